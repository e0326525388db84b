"""CycleGAN (Zhu et al. 2017): unpaired image translation with two generators and two discriminators.

G: A → B (``generator``) and F: B → A (``generator_ba``) are updated together as the generator group,
D_B (``discriminator``, judges B) and D_A (``discriminator_a``) as the discriminator group, on the one
training step of ``models/base.py``. Batches come from an unpaired source (``data/unpaired.py``):
``{"a", "b"}`` drawn independently. With x = a, y = b (paper §3, eq. 1–3, least-squares GAN §4):

    L_D   = ℓ_D(D_B(b), D_B(G(a))) + ℓ_D(D_A(a), D_A(F(b)))          (each D sees only its own term)
    L_G,F = w_adv·[ℓ_G(D_B(G(a))) + ℓ_G(D_A(F(b)))]
            + λ·[‖F(G(a)) − a‖₁ + ‖G(F(b)) − b‖₁]                     (cycle consistency, λ = 10)
            + λ_id·[‖G(b) − b‖₁ + ‖F(a) − a‖₁]                        (identity, λ_id = 0.5·λ, optional)

ℓ is the configured loss family (the paper's is ``least_squares``: ℓ_D = ½(D(x) − 1)² + ½D(G)², the
paper's D objective divided by 2; ℓ_G = ½(D(G) − 1)², so ``adversarial_weight`` = 2 gives the paper's
E[(D(G(x)) − 1)²]). L1 norms are means over pixels and channels. D sees its fakes through a pool of
50 past fakes per discriminator (§4: "image buffer"), the ``replay`` stabilizer's ``ReplayPool`` with
``stabilizers.replay`` = p (the paper's 0.5) and ``replay_size`` = 50, one pool per domain. The D
outputs of both domains are concatenated along the batch axis (``discriminate``), so the template's
logged ``d_real`` / ``d_fake`` are means over both discriminators.

Exports ``translator_ab`` (G) and ``translator_ba`` (F), the restorer export of
``restoration/export.py``: uint8 images of any size (padded to a multiple of 4 inside).
TensorBoard (``model_callbacks.TranslationRows``): rows A, G(A), F(G(A)) and B, F(B), G(F(B)) every
``train.image_every`` steps.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import keras
import tensorflow as tf

from tfgan_apps import losses
from tfgan_apps.errors import ConfigError
from tfgan_apps.models.base import GAN, Update
from tfgan_apps.nets import build_network
from tfgan_apps.registry import DISCRIMINATORS, GENERATORS, MODELS
from tfgan_apps.stabilizers import ReplayPool, Stabilizers

DOMAINS = ("a", "b")


def l1(x: tf.Tensor, y: tf.Tensor) -> tf.Tensor:
    """Per-example mean absolute difference ``[B]``."""
    return losses.per_example_mean(tf.abs(tf.cast(x, tf.float32) - tf.cast(y, tf.float32)))


@keras.saving.register_keras_serializable(package="tfgan_apps")
@MODELS.register("cyclegan")
class CycleGAN(GAN):
    """Two generators (G: A → B, F: B → A) and two discriminators on unpaired batches (module docstring).

    Args (beyond ``GAN``'s; config ``model.<name>``):
      generator_ba: F (``model.generator`` spec, built twice); ``discriminator_a``: D_A.
      cycle_weight: λ of the cycle loss (10).
      identity_weight: λ_id of the identity loss (the paper's 0.5·λ = 5; 0 = off).
      adversarial_weight: weight of the generators' adversarial terms (2: see module docstring).
      size_multiple: image sides the generators accept are multiples of this (4 for ``resnet_translator``).
      sample_shape: ``(S, S, C)`` of a training image (the replay pools' entry shape).
    """

    G_NETWORKS = ("generator", "generator_ba")
    D_NETWORKS = ("discriminator", "discriminator_a")
    SERIALIZED_NETWORKS = ("generator_ba", "discriminator_a")
    SUPPORTED_STABILIZERS = ("diffaugment", "historical_averaging", "instance_noise", "replay")
    STABILIZER_REASONS = {"ema": "the EMA copy follows one generator and cyclegan trains two",
                          "packing": "each discriminator judges single images of its own domain",
                          "minibatch_discrimination": "the PatchGAN discriminators judge patches, not a flat "
                                                      "feature vector of the image",
                          "feature_matching": "the PatchGAN discriminators end in a map of per-patch logits, with no "
                                              "image-level feature vector f(x) under a final logit layer to match",
                          "label_smoothing": "the two domains' D terms are assembled by cyclegan's own "
                                             "d_adversarial_term, without targets",
                          "label_noise": "the two domains' D terms are assembled by cyclegan's own "
                                         "d_adversarial_term, without targets",
                          "virtual_batch": "the translators use instance normalisation, and their calls have no "
                                           "VBN reference batch"}

    def __init__(self, generator: keras.Model, discriminator: keras.Model, latent_dim: int,
                 generator_ba: keras.Model, discriminator_a: keras.Model, cycle_weight: float = 10.0,
                 identity_weight: float = 5.0, adversarial_weight: float = 2.0, size_multiple: int = 4,
                 sample_shape: tuple[int, ...] | None = None, **kwargs: Any) -> None:
        for name, value in (("cycle_weight", cycle_weight), ("identity_weight", identity_weight),
                            ("adversarial_weight", adversarial_weight)):
            if value < 0:
                raise ConfigError(f"model.{name} must be >= 0, got {value}")
        self.cycle_weight, self.identity_weight = float(cycle_weight), float(identity_weight)
        self.adversarial_weight = float(adversarial_weight)
        self.generator_ba, self.discriminator_a = generator_ba, discriminator_a
        self.sample_shape = tuple(sample_shape) if sample_shape else None
        self.size_multiple = int(size_multiple)
        super().__init__(generator, discriminator, latent_dim, **kwargs)
        if self.adversarial.relativistic:
            raise ConfigError(f"cyclegan's discriminators judge each domain on its own: use loss least_squares "
                              f"(the paper's), non_saturating or hinge, not {self.adversarial.name!r}")
        if self.penalty_weights:
            raise ConfigError(f"cyclegan takes no discriminator penalties, got {', '.join(self.penalty_weights)}; "
                              "set them to 0")
        if self.d_steps != 1:
            raise ConfigError(f"cyclegan updates each network once per step: set train.d_steps=1, got {self.d_steps}")
        probability = float(self.stabilizer_settings.get("replay", 0.0) or 0.0)
        self.pools: dict[str, ReplayPool] = {}
        if probability:
            if self.sample_shape is None:
                raise ConfigError("the replay pools need sample_shape (the training image shape)")
            size = int(self.stabilizer_settings.get("replay_size", 50))
            self.pool_a = ReplayPool(probability, size, self.sample_shape)
            self.pool_b = ReplayPool(probability, size, self.sample_shape)
            self.pools = {"a": self.pool_a, "b": self.pool_b}

    def _finish_build(self) -> None:
        """The base stabilizers without a shared replay pool (one pool per domain replaces it)."""
        self.stabilizers = Stabilizers({**self.stabilizer_settings, "replay": 0.0}, self.generator)
        self.joint_d_pass = False
        self.built = True

    # ------------------------------------------------------------------ building
    @classmethod
    def from_settings(cls, config: Any, source: Any, sync_batchnorm: bool = False) -> CycleGAN:
        """Builds the model and keeps the unpaired source (for ``generate`` and the picture rows)."""
        if not hasattr(source, "domain_examples"):
            raise ConfigError(f"cyclegan needs an unpaired source ('unpaired:SOURCE_A|SOURCE_B', "
                              f"'unpaired_folder:A,B' or 'cycle_gan:NAME'), got {source.name!r}")
        model = super().from_settings(config, source, sync_batchnorm)
        model.data_source = source
        return model

    @classmethod
    def _nets(cls, model_cfg: Any, source: Any, sync_batchnorm: bool, suffix: str) -> tuple[keras.Model, keras.Model]:
        any_size = (None, None, source.shape[-1])
        generator = build_network(GENERATORS, model_cfg.generator, input_shape=any_size,
                                  sync_batchnorm=sync_batchnorm, name=f"generator_{suffix}")
        discriminator = build_network(DISCRIMINATORS, model_cfg.discriminator, input_shape=any_size,
                                      conditional=False, sync_batchnorm=sync_batchnorm,
                                      name=f"discriminator_{suffix[-1]}")
        return generator, discriminator

    @classmethod
    def build_networks(cls, model_cfg: Any, source: Any, sync_batchnorm: bool) -> tuple[keras.Model, keras.Model]:
        """G: A → B and D_B, fully convolutional over any H, W."""
        return cls._nets(model_cfg, source, sync_batchnorm, "ab")

    @classmethod
    def extra_settings(cls, model_cfg: Any, source: Any) -> dict[str, Any]:
        """F: B → A and D_A (the same specs as G and D_B), the loss weights and the pools' sample shape."""
        sync = tf.distribute.get_strategy().num_replicas_in_sync > 1
        generator_ba, discriminator_a = cls._nets(model_cfg, source, sync, "ba")
        return {
            "generator_ba": generator_ba,
            "discriminator_a": discriminator_a,
            "cycle_weight": model_cfg.get("cycle_weight", 10.0),
            "identity_weight": model_cfg.get("identity_weight", 5.0),
            "adversarial_weight": model_cfg.get("adversarial_weight", 2.0),
            "size_multiple": model_cfg.get("size_multiple", 0) or 4,
            "sample_shape": tuple(source.shape),
        }

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(),
                "generator_ba": keras.saving.serialize_keras_object(self.generator_ba),
                "discriminator_a": keras.saving.serialize_keras_object(self.discriminator_a),
                "cycle_weight": self.cycle_weight, "identity_weight": self.identity_weight,
                "adversarial_weight": self.adversarial_weight, "size_multiple": self.size_multiple,
                "sample_shape": self.sample_shape}

    def extra_state(self) -> dict[str, Any]:
        """The two replay pools (when on), so a resumed run replays the same past fakes."""
        return {f"replay_pool_{key}": pool for key, pool in self.pools.items()}

    def tracker_names(self) -> list[str]:
        names = [*super().tracker_names(), "cycle"]
        return [*names, "identity"] if self.identity_weight else names

    # ------------------------------------------------------------------ inference / export
    def translate(self, images: Any, direction: str = "ab") -> tf.Tensor:
        """G (``"ab"``) or F (``"ba"``) on [-1, 1] images of any size (padded to ``size_multiple``), clipped."""
        from tfgan_apps.restoration.inference import restore_images

        if direction not in ("ab", "ba"):
            raise ConfigError(f"direction must be 'ab' or 'ba', got {direction!r}")
        network = self.generator if direction == "ab" else self.generator_ba
        return restore_images(network, tf.convert_to_tensor(images, tf.float32), self.size_multiple)

    def generate(self, n_or_images: int | tf.Tensor, seed: int = 0, training: bool = False) -> tf.Tensor:
        """G(A) of ``n`` fixed domain-A images of the training source, or of the given A images."""
        del seed, training
        if isinstance(n_or_images, int):
            n_or_images = self.data_source.domain_examples("a", n_or_images)
        return self.translate(n_or_images, "ab")

    def exportables(self, source: Any) -> dict[str, tf.Module]:
        """``translator_ab`` (G) and ``translator_ba`` (F): uint8 images of any size → translated uint8 images."""
        from tfgan_apps.restoration.export import RestorerExport

        channels = source.shape[-1]
        return {"translator_ab": RestorerExport(self.generator, channels, self.size_multiple, 1),
                "translator_ba": RestorerExport(self.generator_ba, channels, self.size_multiple, 1)}

    def training_callbacks(self, writer: tf.summary.SummaryWriter, source: Any, config: Any) -> list[Any]:
        """The A, G(A), F(G(A)) / B, F(B), G(F(B)) picture rows."""
        from tfgan_apps.model_callbacks import TranslationRows

        return [TranslationRows(writer, config.train.image_every, source, final_step=config.train.steps)]

    # ------------------------------------------------------------------ template hooks
    def prepare_batch(self, batch: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        """Checks that the batch is unpaired ``{"a", "b"}``."""
        missing = [k for k in DOMAINS if k not in batch]
        if missing:
            raise ConfigError(f"cyclegan needs unpaired batches with 'a' and 'b' (source='unpaired:A|B'); "
                              f"the batch has {sorted(batch)}")
        return batch

    def generator_inputs(self, ctx: Update) -> dict[str, tf.Tensor]:
        """Both domains: G translates a, F translates b."""
        return {key: tf.cast(ctx.batch[key], tf.float32) for key in DOMAINS}

    def run_generator(self, inputs: Mapping[str, tf.Tensor], training: bool = True) -> dict[str, tf.Tensor]:
        """The fakes by the domain they imitate: ``{"b": G(a), "a": F(b)}``."""
        return {"b": self.generator(inputs["a"], training=training),
                "a": self.generator_ba(inputs["b"], training=training)}

    def real_samples(self, ctx: Update) -> dict[str, tf.Tensor]:
        return self.generator_inputs(ctx)

    def replay_fakes(self, fake: Any, ctx: Update) -> Any:
        """Each domain's fakes through its own pool of past fakes (identity when ``replay`` is off)."""
        if not self.pools:
            return fake
        seeds = tf.random.experimental.stateless_split(ctx.replica_seed(0), 2)
        return {key: tf.cast(self.pools[key](fake[key], seeds[i]), fake[key].dtype) for i, key in enumerate(DOMAINS)}

    def discriminate(self, x: Any, salt: int, training: bool = True) -> tf.Tensor:
        """``concat([D_A(x["a"]), D_B(x["b"])])`` along the batch axis (input-side stabilizers on each)."""
        if not isinstance(x, Mapping):
            raise ConfigError("cyclegan's discriminators take {'a', 'b'} image batches")
        out_a = self.discriminator_a(self.d_input(x["a"], salt), training=training)
        out_b = self.discriminator(self.d_input(x["b"], salt), training=training)
        return tf.concat([tf.cast(out_a, tf.float32), tf.cast(out_b, tf.float32)], axis=0)

    def d_adversarial_term(self, ctx: Update) -> tf.Tensor:
        """ℓ_D of D_A plus ℓ_D of D_B (each a global-batch mean)."""
        real, fake = tf.split(ctx.real_logits, 2), tf.split(ctx.fake_logits, 2)
        return tf.add_n([self.global_mean(self.adversarial.discriminator(r, f)) for r, f in zip(real, fake)])

    def g_adversarial_term(self, ctx: Update) -> tf.Tensor:
        """ℓ_G of F's fakes under D_A plus ℓ_G of G's fakes under D_B."""
        return tf.add_n([self.global_mean(self.adversarial.generator(f)) for f in tf.split(ctx.fake_logits, 2)])

    def extra_g_terms(self, ctx: Update) -> dict[str, tf.Tensor]:
        """Cycle consistency ‖F(G(a)) − a‖₁ + ‖G(F(b)) − b‖₁ and, when weighted, identity ‖G(b) − b‖₁ + ‖F(a) − a‖₁."""
        a, b = ctx.g_inputs["a"], ctx.g_inputs["b"]
        rec_a = self.generator_ba(ctx.fake["b"], training=True)
        rec_b = self.generator(ctx.fake["a"], training=True)
        terms = {"cycle": self.global_mean(l1(rec_a, a)) + self.global_mean(l1(rec_b, b))}
        if self.identity_weight:
            terms["identity"] = (self.global_mean(l1(self.generator(b, training=True), b))
                                 + self.global_mean(l1(self.generator_ba(a, training=True), a)))
        return terms

    def generator_term_weights(self, ctx: Update, tape: tf.GradientTape, terms: Mapping[str, tf.Tensor]
                               ) -> dict[str, tf.Tensor]:
        """w_adv on the adversarial terms, λ on the cycle term, λ_id on the identity term."""
        return {"g_adv": self.adversarial_weight, "cycle": self.cycle_weight, "identity": self.identity_weight}
