"""Adversarial autoencoder (Makhzani et al. 2016): an autoencoder whose code distribution is matched to a prior.

Networks: encoder E(x) → code (``config.model.encoder``, ``registry.ENCODERS``),
decoder G(code) → x (the configured generator, e.g. DCGAN), and a discriminator
D on codes (``config.model.discriminator``, an MLP). Each training step has the
paper's two phases (§2), both run by the base template:

1. reconstruction (``EXTRA_UPDATES``): E and G minimise ‖G(E(x)) − x‖² (or L1,
   ``model.reconstruction``), with ``reconstruction_optimizer``;
2. regularisation: the adversarial updates with E as the generator of codes
   (``G_NETWORKS = ("encoder",)``): D learns to tell prior samples p(z) ("real",
   ``real_samples``, on the ``PRIOR`` stream) from codes E(x) ("fake",
   ``run_generator``), then E minimises the adversarial generator loss on D(E(x)).

Priors (``model.prior``): ``gaussian`` N(0, I) of ``latent_dim`` dimensions, or
``mixture``: 10 isotropic 2-D Gaussians with centres on a circle of radius
``model.prior_radius`` and std ``model.prior_std`` (the paper's 10-component
2-D mixture, drawn isotropic here rather than stretched radially; needs
``latent_dim = 2``). ``generate(n)`` decodes prior samples, ``reconstruct(x)``
decodes E(x).

Optimizers: ``reconstruction_optimizer`` updates E and G together in phase 1,
``d_optimizer`` updates D and ``g_optimizer`` updates E in phase 2 (the two
encoder objectives keep separate Adam moments, as in common AAE
implementations). ``reconstruction_optimizer`` copies the G optimizer's settings
(``train.g_lr``, betas). All are checkpointed with the encoder. Logged:
``recon``, ``g_adv`` (E's adversarial term) and ``g_loss`` = recon + g_adv.

Stabilizers: ``ema`` (the decoder's EMA copy is what ``generate``, ``reconstruct``
and the export use), ``instance_noise`` (on D's code inputs), and the Improved-Techniques
ones that act on the code GAN: feature matching (§3.1: E's codes matched to prior draws on
D's hidden features), minibatch discrimination (§3.2, before D's logit), historical
averaging and the label stabilizers; the image-side ones are refused (D sees codes, not samples).
Exports: ``generator`` (the decoder; its
``sample`` signature draws from the prior) and ``encoder``
(``serving_default``/``encode``: images → ``{"z": code}``, the decoder's input name).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import keras
import tensorflow as tf

from tfgan_apps import losses
from tfgan_apps.data.toy import ring_centers
from tfgan_apps.distribute import replica_draw
from tfgan_apps.errors import ConfigError
from tfgan_apps.export import EncoderExport, SamplerExport
from tfgan_apps.models.base import GAN, ExtraUpdate, Streams, Update
from tfgan_apps.nets import build_network
from tfgan_apps.registry import DISCRIMINATORS, ENCODERS, GENERATORS, MODELS
from tfgan_apps.stabilizers import MinibatchDiscriminationSpec
from tfgan_apps.stabilizers import settings as stabilizer_settings

PRIORS = ("gaussian", "mixture")
RECONSTRUCTIONS = ("mse", "l1")
MIXTURE_COMPONENTS = 10


def sample_prior(prior: str, n: Any, latent_dim: int, seed: tf.Tensor, radius: float = 4.0, std: float = 0.5
                 ) -> tf.Tensor:
    """``n`` stateless draws [n, latent_dim] from the AAE prior.

    ``gaussian``: N(0, I). ``mixture``: uniform over 10 components, component k
    ~ N(r·(cos 2πk/10, sin 2πk/10), std²·I) (2-D only).
    """
    if prior == "gaussian":
        return tf.random.stateless_normal(tf.stack([n, latent_dim]), seed=seed)
    if prior == "mixture":
        seeds = tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), 2)
        component = tf.random.stateless_uniform(tf.reshape(n, [1]), seeds[0], 0, MIXTURE_COMPONENTS, dtype=tf.int32)
        noise = tf.random.stateless_normal(tf.stack([n, 2]), seed=seeds[1], stddev=std)
        return tf.gather(tf.constant(ring_centers(MIXTURE_COMPONENTS, radius)), component) + noise
    raise ConfigError(f"unknown model.prior {prior!r}; valid choices: {', '.join(PRIORS)}")


def reconstruction_error(kind: str, x: tf.Tensor, reconstruction: tf.Tensor) -> tf.Tensor:
    """Per-example mean squared (``mse``) or absolute (``l1``) error over all non-batch axes."""
    diff = tf.cast(reconstruction, tf.float32) - tf.cast(x, tf.float32)
    if kind == "mse":
        return losses.per_example_mean(tf.square(diff))
    if kind == "l1":
        return losses.per_example_mean(tf.abs(diff))
    raise ConfigError(f"unknown model.reconstruction {kind!r}; valid choices: {', '.join(RECONSTRUCTIONS)}")


@keras.saving.register_keras_serializable(package="tfgan_apps")
@MODELS.register("aae")
class AdversarialAutoencoder(GAN):
    """E(x) → code → G(code), with D on codes matching E's code distribution to the prior.

    Args (besides the base GAN's; ``generator`` is the decoder, ``discriminator`` D(code)):
      encoder: x → code [B, latent_dim].
      prior: ``gaussian`` or ``mixture``.
      prior_radius, prior_std: the mixture's circle radius and component std.
      reconstruction: ``mse`` or ``l1``.
    """

    G_NETWORKS: ClassVar[tuple[str, ...]] = ("encoder",)  # E is the generator of codes
    D_NETWORKS: ClassVar[tuple[str, ...]] = ("discriminator",)
    EXTRA_UPDATES: ClassVar[tuple[ExtraUpdate, ...]] = (
        ExtraUpdate("reconstruction", loss="reconstruction_terms", networks=("encoder", "generator"),
                    optimizer="reconstruction_optimizer"),
    )
    SUPPORTED_STABILIZERS: ClassVar[tuple[str, ...]] = ("ema", "feature_matching", "historical_averaging",
                                                        "instance_noise", "label_noise", "label_smoothing",
                                                        "minibatch_discrimination")
    STABILIZER_REASONS: ClassVar[dict[str, str]] = {
        "diffaugment": "the discriminator sees latent codes, and DiffAugment's transforms are for images",
        "virtual_batch": "the encoder plays G and is fed real images, not latents, so there is no reference "
                         "latent batch to prepend (and the code discriminator has no batch norm to replace)",
        "packing": "the discriminator on codes is built for one code per input",
        "replay": "the replay pool stores the decoder's images, while the discriminator sees codes",
    }
    SUPPORTS_REUSE_FAKES: ClassVar[bool] = False

    def __init__(self, generator: keras.Model, discriminator: keras.Model, latent_dim: int,
                 encoder: keras.Model | None = None, prior: str = "gaussian", prior_radius: float = 4.0,
                 prior_std: float = 0.5, reconstruction: str = "mse", **kwargs: Any) -> None:
        if encoder is None:
            raise ConfigError("aae needs an encoder (config.model.encoder)")
        super().__init__(generator, discriminator, latent_dim, **kwargs)
        self.encoder = encoder
        self._recon: tf.Tensor | None = None  # the step's reconstruction term, for the logged g_loss
        if self.d_steps != 1:
            raise ConfigError(f"aae runs one reconstruction and one regularisation phase per step; "
                              f"set train.d_steps = 1 (got {self.d_steps})")
        if prior not in PRIORS:
            raise ConfigError(f"unknown model.prior {prior!r}; valid choices: {', '.join(PRIORS)}")
        if prior == "mixture" and self.latent_dim != 2:
            raise ConfigError(f"model.prior='mixture' is a 2-D mixture: set model.latent_dim = 2 "
                              f"(got {self.latent_dim})")
        if reconstruction not in RECONSTRUCTIONS:
            raise ConfigError(f"unknown model.reconstruction {reconstruction!r}; valid choices: "
                              f"{', '.join(RECONSTRUCTIONS)}")
        self.prior, self.prior_radius, self.prior_std = prior, float(prior_radius), float(prior_std)
        self.reconstruction = reconstruction

    SERIALIZED_NETWORKS: ClassVar[tuple[str, ...]] = ("encoder",)

    def get_config(self) -> dict[str, Any]:
        """The base GAN's arguments plus the encoder and the prior (``.keras`` files)."""
        return {**super().get_config(), "encoder": keras.saving.serialize_keras_object(self.encoder),
                "prior": self.prior, "prior_radius": self.prior_radius, "prior_std": self.prior_std,
                "reconstruction": self.reconstruction}

    # ------------------------------------------------------------------ building
    @classmethod
    def build_networks(cls, model_cfg: Any, source: Any, sync_batchnorm: bool) -> tuple[keras.Model, keras.Model]:
        """The decoder G(code) from ``model_cfg.generator`` and D(code) from ``model_cfg.discriminator`` (with a
        minibatch-discrimination layer before its logit when that stabilizer is on)."""
        decoder = build_network(GENERATORS, model_cfg.generator, latent_dim=model_cfg.latent_dim,
                                output_shape=source.shape, sync_batchnorm=sync_batchnorm, name="decoder")
        discriminator = build_network(DISCRIMINATORS, model_cfg.discriminator, input_shape=(model_cfg.latent_dim,),
                                      sync_batchnorm=sync_batchnorm, name="prior_discriminator")
        settings = stabilizer_settings(model_cfg)
        if settings.get("minibatch_discrimination"):  # o(f) of D's hidden features, before its logit
            discriminator = MinibatchDiscriminationSpec.from_config(settings).apply(discriminator)
        return decoder, discriminator

    @classmethod
    def extra_settings(cls, model_cfg: Any, source: Any) -> dict[str, Any]:
        """The encoder (BatchNorm synchronised under multi-replica strategies, like the other networks) and prior."""
        sync_batchnorm = tf.distribute.get_strategy().num_replicas_in_sync > 1
        if "encoder" not in model_cfg:
            raise ConfigError("aae needs config.model.encoder, e.g. {'type': 'dcgan', 'width': 32}")
        encoder = build_network(ENCODERS, model_cfg.encoder, input_shape=source.shape,
                                latent_dim=model_cfg.latent_dim, sync_batchnorm=sync_batchnorm)
        return {
            "encoder": encoder,
            "prior": model_cfg.get("prior", "gaussian"),
            "prior_radius": model_cfg.get("prior_radius", 4.0),
            "prior_std": model_cfg.get("prior_std", 0.5),
            "reconstruction": model_cfg.get("reconstruction", "mse"),
        }

    def exportables(self, source: Any) -> dict[str, tf.Module]:
        """The decoder (sampling from the prior) and the encoder."""
        return {
            "generator": SamplerExport.unconditional(
                self.inference_generator, self.latent_dim, source.kind,
                prior=lambda n, seed: sample_prior(self.prior, n, self.latent_dim, seed, self.prior_radius,
                                                   self.prior_std)),
            "encoder": EncoderExport(self.encoder, source.shape, source.kind),
        }

    def training_callbacks(self, writer: tf.summary.SummaryWriter, source: Any, config: Any) -> list[Any]:
        """Reconstruction pairs (and a code scatter for 2-D codes) every ``train.image_every`` steps and at the
        final step."""
        from tfgan_apps.model_callbacks import AutoencoderPictures

        return [AutoencoderPictures(writer, config.train.image_every, source.examples(1000),
                                    final_step=config.train.steps)]

    def tracker_names(self) -> list[str]:
        return [*super().tracker_names(), "recon"]

    # ------------------------------------------------------------------ sampling
    def generate_codes(self, n: int, seed: int = 0) -> tf.Tensor:
        """``n`` seeded prior samples [n, latent_dim]."""
        return sample_prior(self.prior, n, self.latent_dim, tf.constant([seed, 0], tf.int64),
                            self.prior_radius, self.prior_std)

    def generate(self, n_or_z: int | tf.Tensor, seed: int = 0, training: bool = False) -> tf.Tensor:
        """Decodes ``n`` seeded prior samples, or a given batch of codes (``inference_generator``: the EMA
        decoder when on)."""
        codes = self.generate_codes(n_or_z, seed) if isinstance(n_or_z, int) else n_or_z
        return self.inference_generator(tf.convert_to_tensor(codes, tf.float32), training=training)

    def encode(self, x: tf.Tensor) -> tf.Tensor:
        """E(x) in inference mode."""
        return self.encoder(tf.convert_to_tensor(x, tf.float32), training=False)

    def reconstruct(self, x: tf.Tensor) -> tf.Tensor:
        """G(E(x)) in inference mode (``inference_generator``: the EMA decoder when on)."""
        return self.inference_generator(self.encode(x), training=False)

    # ------------------------------------------------------------------ template hooks
    def reconstruction_terms(self, ctx: Update) -> dict[str, tf.Tensor]:
        """Phase 1 (``EXTRA_UPDATES``): the reconstruction error of G(E(x)), a global-batch mean."""
        x = ctx.batch["x"]
        recon = self.global_mean(reconstruction_error(
            self.reconstruction, x, self.generator(self.encoder(x, training=True), training=True)))
        self._recon = recon  # this replica's partial, for g_loss in the generator update of the same step
        return {"recon": recon}

    def generator_inputs(self, ctx: Update) -> dict[str, tf.Tensor]:
        """E is the generator of codes: it is fed the real batch."""
        return {"x": ctx.batch["x"]}

    def run_generator(self, inputs: Mapping[str, tf.Tensor], training: bool = True) -> tf.Tensor:
        """The codes E(x)."""
        return self.encoder(inputs["x"], training=training)

    def real_samples(self, ctx: Update) -> tf.Tensor:
        """Prior draws on the PRIOR stream: one global draw, this replica's slice (like ``sample_latent``)."""
        seed = ctx.seed(Streams.PRIOR)
        return replica_draw(lambda n: sample_prior(self.prior, n, self.latent_dim, seed, self.prior_radius,
                                                   self.prior_std), ctx.batch_size)

    def g_adversarial_term(self, ctx: Update) -> tf.Tensor:
        """E's adversarial term; also logs ``g_loss`` = recon + g_adv (per-replica partials, summed by the
        template; a ``ctx.stats`` entry replaces the template's ``g_loss``)."""
        g_adv = super().g_adversarial_term(ctx)
        recon, self._recon = self._recon, None
        if recon is not None:
            ctx.stats["g_loss"] = recon + g_adv
        return g_adv
