"""GANomaly (Akçay, Atapour-Abarghouei & Breckon 2018, arXiv:1805.06725): anomaly detection by latent distance.

The generator is an encoder–decoder–encoder: G_E: x → z, G_D: z → x̂ (the
configured generator, so ``generate`` and the ``generator`` export still decode
N(0, I) draws) and a second encoder E: x̂ → ẑ. Trained on normal data only:

    D:  the configured adversarial loss (the paper: BCE, ``non_saturating``) on x against x̂;
    G:  w_adv·L_adv + w_con·L_con + w_enc·L_enc,
        L_adv = mean (f(x) − f(x̂))²   (feature matching on D's last hidden layer, §3.1),
        L_con = mean |x − x̂|         (contextual loss),
        L_enc = mean (G_E(x) − E(x̂))² (encoder loss),

with w_adv = 1, w_con = 50, w_enc = 1 (the paper's). G_E, G_D and E form the
generator group (one optimizer, ``G_NETWORKS``). The anomaly score is the latent
distance A(x) = ‖G_E(x) − E(G_D(G_E(x)))‖₁ (§3.2; a per-dimension mean here,
the same ranking): an anomaly's code is not reproduced by the second encoder,
which only saw reconstructions of normal data.

Built on the template (``models/base.py``): ``generator_inputs`` feeds the real
batch, ``run_generator`` returns ``{"x": x̂, "code": z}``, ``discriminator_inputs``
shows D the image part, ``g_adversarial_term`` is the feature matching and
``extra_g_terms`` the contextual and encoder losses. DiffAugment and instance
noise act on D's inputs as for any model; EMA (of G_D alone), packing and replay
are refused. With ``config.data.anomaly_class`` (or a ``normal/`` + ``anomalous/``
folder) set, ``training_callbacks`` adds score histograms, AUROC and a ROC curve
picture of the held-out test set to TensorBoard (``anomaly/callbacks.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import keras
import tensorflow as tf

from tfgan_apps import losses
from tfgan_apps.anomaly.features import sample_features
from tfgan_apps.errors import ConfigError
from tfgan_apps.models.base import GAN, Streams, Update
from tfgan_apps.nets import build_network
from tfgan_apps.registry import ENCODERS, MODELS

DEFAULT_ENCODER = {"type": "dcgan", "width": 32, "norm": "batch"}


class GanomalyScore(tf.Module):
    """A(x) = mean |G_E(x) − E(G_D(G_E(x)))| per example, float32 [N] (exportable: ``anomaly.scorer``)."""

    def __init__(self, encoder: keras.Model, generator: keras.Model, encoder2: keras.Model) -> None:
        super().__init__(name="ganomaly_score")
        self.encoder, self.generator, self.encoder2 = encoder, generator, encoder2
        self._score = tf.function(self._score_impl)  # an attribute: a decorated method would hold self weakly

    def score(self, x: tf.Tensor) -> tf.Tensor:
        """The latent distance of each example of ``x`` (float32 in [-1, 1])."""
        return self._score(x)

    def _score_impl(self, x: tf.Tensor) -> tf.Tensor:
        z = tf.cast(self.encoder(tf.convert_to_tensor(x, tf.float32), training=False), tf.float32)
        z_hat = tf.cast(self.encoder2(self.generator(z, training=False), training=False), tf.float32)
        return losses.per_example_mean(tf.abs(z - z_hat))


@keras.saving.register_keras_serializable(package="tfgan_apps")
@MODELS.register("ganomaly")
class GANomaly(GAN):
    """GANomaly (module docstring).

    Args (besides the base GAN's; ``generator`` is the decoder G_D, ``discriminator`` D(x)):
      encoder, encoder2: G_E and E, x → z [B, latent_dim].
      adversarial_weight, contextual_weight, encoder_weight: w_adv, w_con, w_enc.
    """

    G_NETWORKS: ClassVar[tuple[str, ...]] = ("encoder", "generator", "encoder2")
    SUPPORTED_STABILIZERS: ClassVar[tuple[str, ...]] = ("diffaugment", "historical_averaging", "instance_noise",
                                                        "label_noise", "label_smoothing")
    STABILIZER_REASONS: ClassVar[dict[str, str]] = {
        "minibatch_discrimination": "G's feature matching compares D's features of single examples, which "
                                    "minibatch features would make depend on the batch",
        "feature_matching": "ganomaly's generator already matches D's features, example by example",
        "virtual_batch": "G is an encoder-decoder fed real images by ganomaly's own run_generator, with no VBN "
                         "reference batch",
        "ema": "the score uses G_E, G_D and E, and the EMA would average G_D alone",
        "packing": "feature matching compares one example's D features with its reconstruction's",
        "replay": "each fake is the reconstruction of the real example it is compared with",
    }
    SUPPORTS_REUSE_FAKES: ClassVar[bool] = False
    SERIALIZED_NETWORKS: ClassVar[tuple[str, ...]] = ("encoder", "encoder2")

    def __init__(self, generator: keras.Model, discriminator: keras.Model, latent_dim: int,
                 encoder: keras.Model | None = None, encoder2: keras.Model | None = None,
                 adversarial_weight: float = 1.0, contextual_weight: float = 50.0, encoder_weight: float = 1.0,
                 **kwargs: Any) -> None:
        if encoder is None or encoder2 is None:
            raise ConfigError("ganomaly needs two encoders (config.model.encoder, e.g. "
                              "{'type': 'dcgan', 'width': 32, 'norm': 'batch'})")
        super().__init__(generator, discriminator, latent_dim, **kwargs)
        self.encoder, self.encoder2 = encoder, encoder2
        for name, w in (("adversarial_weight", adversarial_weight), ("contextual_weight", contextual_weight),
                        ("encoder_weight", encoder_weight)):
            if w < 0:
                raise ConfigError(f"config.model.{name} must be ≥ 0, got {w}")
        self.weights_of_terms = {"g_adv": float(adversarial_weight), "g_con": float(contextual_weight),
                                 "g_enc": float(encoder_weight)}
        self.features = sample_features(discriminator)

    # ------------------------------------------------------------------ building
    @classmethod
    def extra_settings(cls, model_cfg: Any, source: Any) -> dict[str, Any]:
        """G_E and E from ``config.model.encoder`` (two networks of the same spec) and the three weights."""
        if source.kind != "image":
            raise ConfigError(f"ganomaly's networks are for images; source {source.name!r} holds {source.kind}s")
        spec = dict(model_cfg.get("encoder", DEFAULT_ENCODER))
        sync = tf.distribute.get_strategy().num_replicas_in_sync > 1
        encoders = [build_network(ENCODERS, spec, input_shape=source.shape, latent_dim=model_cfg.latent_dim,
                                  sync_batchnorm=sync, name=name) for name in ("encoder", "encoder2")]
        return {"encoder": encoders[0], "encoder2": encoders[1],
                "adversarial_weight": float(model_cfg.get("adversarial_weight", 1.0)),
                "contextual_weight": float(model_cfg.get("contextual_weight", 50.0)),
                "encoder_weight": float(model_cfg.get("encoder_weight", 1.0))}

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(),
                "encoder": keras.saving.serialize_keras_object(self.encoder),
                "encoder2": keras.saving.serialize_keras_object(self.encoder2),
                "adversarial_weight": self.weights_of_terms["g_adv"],
                "contextual_weight": self.weights_of_terms["g_con"],
                "encoder_weight": self.weights_of_terms["g_enc"]}

    def tracker_names(self) -> list[str]:
        return [*super().tracker_names(), "g_con", "g_enc"]

    # ------------------------------------------------------------------ template hooks
    def generator_inputs(self, ctx: Update) -> dict[str, tf.Tensor]:
        """G is fed the real batch itself."""
        return {"x": ctx.batch["x"]}

    def run_generator(self, inputs: Mapping[str, tf.Tensor], training: bool = True) -> dict[str, tf.Tensor]:
        """``{"x": x̂ = G_D(G_E(x)), "code": G_E(x)}``."""
        code = self.encoder(inputs["x"], training=training)
        return {"x": self.generator(code, training=training), "code": code}

    def discriminator_inputs(self, samples: Any, ctx: Update, real: bool) -> tf.Tensor:
        """D sees images: x, or the reconstruction x̂."""
        return samples["x"] if isinstance(samples, dict) else samples

    def penalty_view(self, ctx: Update) -> tuple[Any, Any, Any]:
        """The base view with the reconstruction as the fake samples."""
        real, fake, d_fn = super().penalty_view(ctx)
        return real, self.discriminator_inputs(fake, ctx, real=False), d_fn

    def g_adversarial_term(self, ctx: Update) -> tf.Tensor:
        """L_adv: mean squared distance of D's last hidden features of x and x̂ (feature matching)."""
        real = self.d_input(ctx.batch["x"], ctx.stream(Streams.REAL))
        fake = self.d_input(ctx.fake["x"], ctx.stream(Streams.GENERATOR))
        f_real = tf.cast(self.features(real, training=True), tf.float32)
        f_fake = tf.cast(self.features(fake, training=True), tf.float32)
        return self.global_mean(losses.per_example_mean(tf.square(f_real - f_fake)))

    def extra_g_terms(self, ctx: Update) -> dict[str, tf.Tensor]:
        """L_con = mean |x − x̂| and L_enc = mean (G_E(x) − E(x̂))²."""
        x, recon, code = ctx.batch["x"], ctx.fake["x"], ctx.fake["code"]
        code2 = self.encoder2(recon, training=True)
        l_con = losses.per_example_mean(tf.abs(tf.cast(x, tf.float32) - tf.cast(recon, tf.float32)))
        l_enc = losses.per_example_mean(tf.square(tf.cast(code, tf.float32) - tf.cast(code2, tf.float32)))
        return {"g_con": self.global_mean(l_con), "g_enc": self.global_mean(l_enc)}

    def generator_term_weights(self, ctx: Update, tape: tf.GradientTape, terms: Mapping[str, tf.Tensor]
                               ) -> dict[str, tf.Tensor]:
        """w_adv, w_con, w_enc."""
        return {name: tf.constant(w) for name, w in self.weights_of_terms.items() if name in terms}

    # ------------------------------------------------------------------ scoring
    def scorer(self) -> GanomalyScore:
        """The latent-distance scorer of the current weights (shares them)."""
        return GanomalyScore(self.encoder, self.generator, self.encoder2)

    def anomaly_score(self, x: Any) -> tf.Tensor:
        """A(x) for a batch of examples in [-1, 1], float32 [N]."""
        return self.scorer().score(tf.convert_to_tensor(x, tf.float32))

    def training_callbacks(self, writer: tf.summary.SummaryWriter, source: Any, config: Any) -> list[Any]:
        """With an anomaly split configured: score histograms, AUROC/AUPRC and a ROC picture every
        ``train.image_every`` steps and at the end, on the held-out test set."""
        from tfgan_apps.anomaly.callbacks import AnomalyMonitor
        from tfgan_apps.data import anomaly

        if not anomaly.enabled(config.data):
            return []
        split = anomaly.load_split(config.data)
        return [AnomalyMonitor(writer, config.train.image_every, split.test_x, split.test_y,
                               lambda model: model.scorer(), final_step=config.train.steps)]
