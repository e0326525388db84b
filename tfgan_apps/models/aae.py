"""Adversarial autoencoder (Makhzani et al. 2016): an autoencoder whose code distribution is matched to a prior.

Networks: encoder E(x) → code (``config.model.encoder``, ``registry.ENCODERS``),
decoder G(code) → x (the configured generator, e.g. DCGAN), and a discriminator
D on codes (``config.model.discriminator``, an MLP). Each training step has the
paper's two phases (§2):

1. reconstruction: E and G minimise ‖G(E(x)) − x‖² (or L1, ``model.reconstruction``);
2. regularisation: D learns to tell prior samples p(z) ("real") from codes E(x)
   ("fake") with the configured adversarial loss and penalties, then E, as the
   generator, minimises the adversarial generator loss on D(E(x)).

Priors (``model.prior``): ``gaussian`` N(0, I) of ``latent_dim`` dimensions, or
``mixture``: 10 isotropic 2-D Gaussians with centres on a circle of radius
``model.prior_radius`` and std ``model.prior_std`` (the paper's 10-component
2-D mixture, drawn isotropic here rather than stretched radially; needs
``latent_dim = 2``). ``generate(n)`` decodes prior samples, ``reconstruct(x)``
decodes E(x).

Optimizers: ``g_optimizer`` updates the decoder and ``encoder_optimizer`` the
encoder in phase 1, ``d_optimizer`` updates D and ``encoder_adv_optimizer`` the
encoder in phase 2 (the two encoder objectives keep separate Adam moments, as in
common AAE implementations). Both encoder optimizers copy the G optimizer's
settings (``train.g_lr``, betas). All are checkpointed with the encoder. Exports: ``generator`` (the
decoder; its ``sample`` signature draws from the prior) and ``encoder``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from tfgan_apps import losses, visualize
from tfgan_apps.callbacks import current_step
from tfgan_apps.data.toy import ring_centers
from tfgan_apps.distribute import replica_draw
from tfgan_apps.errors import ConfigError
from tfgan_apps.export import GeneratorExport, signature_function, uint8_to_images
from tfgan_apps.models.base import G_SALT, GAN
from tfgan_apps.models.conditional import refuse_stabilizers
from tfgan_apps.nets import build_network
from tfgan_apps.registry import DISCRIMINATORS, ENCODERS, GENERATORS, MODELS
from tfgan_apps.schedules import copy_optimizer

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


class PriorDecoderExport(GeneratorExport):
    """The decoder's export: ``serving_default(z)`` as any generator; ``sample(count, seed)`` decodes prior draws."""

    def __init__(self, decoder: keras.Model, latent_dim: int, kind: str, prior: str, radius: float, std: float
                 ) -> None:
        self.prior, self.radius, self.std = prior, radius, std
        super().__init__(decoder, latent_dim, kind)

    def _sample(self, count: tf.Tensor, seed: tf.Tensor) -> dict[str, tf.Tensor]:
        seed_pair = tf.stack([seed, tf.constant(0, tf.int64)])
        return self._serve(sample_prior(self.prior, count, self.latent_dim, seed_pair, self.radius, self.std))


class EncoderExport(tf.Module):
    """The encoder with ``serving_default(images) -> {"code": float32 [N, latent_dim]}``.

    Image sources take uint8 NHWC images (as the generator export returns them); other kinds float32.
    """

    def __init__(self, encoder: keras.Model, input_shape: tuple[int, ...], kind: str) -> None:
        super().__init__(name="encoder_export")
        self.encoder = encoder
        self.kind = kind
        dtype = tf.uint8 if kind == "image" else tf.float32
        self.serve = signature_function(self._serve, tf.TensorSpec([None, *input_shape], dtype, "images"))

    def _serve(self, images: tf.Tensor) -> dict[str, tf.Tensor]:
        x = uint8_to_images(images) if self.kind == "image" else images
        return {"code": tf.cast(self.encoder(x, training=False), tf.float32)}

    def signatures(self) -> dict[str, Any]:
        """The concrete functions to save as signatures."""
        return {"serving_default": self.serve.get_concrete_function()}


class AutoencoderPictures(keras.callbacks.Callback):
    """Every N steps writes ``Reconstructions`` (rows of real | reconstructed pairs) and, for 2-D codes,
    ``Codes`` (E(x) in red over prior samples in grey) to TensorBoard."""

    def __init__(self, writer: tf.summary.SummaryWriter, every: int, examples: np.ndarray) -> None:
        super().__init__()
        self.writer, self.every, self.examples = writer, every, examples

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        step = current_step(self.model)
        if step % self.every:
            return
        x = self.examples[:32]
        pairs = np.stack([x, np.asarray(self.model.reconstruct(x))], axis=1).reshape((-1, *x.shape[1:]))
        with self.writer.as_default(step=step):
            if x.ndim == 4:
                tf.summary.image("Reconstructions", visualize.image_grid(pairs, cols=8)[None])
            if self.model.latent_dim == 2:
                codes = np.asarray(self.model.encode(self.examples))
                prior = self.model.generate_codes(len(self.examples), seed=0).numpy()
                tf.summary.image("Codes", visualize.scatter_image(codes, prior)[None])
        self.writer.flush()


@MODELS.register("aae")
class AdversarialAutoencoder(GAN):
    """E(x) → code → G(code), with D on codes matching E's code distribution to the prior.

    Args (besides the base GAN's; ``generator`` is the decoder, ``discriminator`` D(code)):
      encoder: x → code [B, latent_dim].
      prior: ``gaussian`` or ``mixture``.
      prior_radius, prior_std: the mixture's circle radius and component std.
      reconstruction: ``mse`` or ``l1``.
    """

    def __init__(self, generator: keras.Model, discriminator: keras.Model, latent_dim: int,
                 encoder: keras.Model | None = None, prior: str = "gaussian", prior_radius: float = 4.0,
                 prior_std: float = 0.5, reconstruction: str = "mse", **kwargs: Any) -> None:
        super().__init__(generator, discriminator, latent_dim, **kwargs)
        refuse_stabilizers(self, ("diffaugment", "packing", "replay"),
                           "the discriminator sees latent codes, not samples (instance noise and EMA work)")
        if encoder is None:
            raise ConfigError("aae needs an encoder (config.model.encoder)")
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
        self.encoder = encoder
        self.prior, self.prior_radius, self.prior_std = prior, float(prior_radius), float(prior_std)
        self.reconstruction = reconstruction

    # ------------------------------------------------------------------ building
    @classmethod
    def build_networks(cls, model_cfg: Any, source: Any, sync_batchnorm: bool) -> tuple[keras.Model, keras.Model]:
        """The decoder G(code) from ``model_cfg.generator`` and D(code) from ``model_cfg.discriminator``."""
        decoder = build_network(GENERATORS, model_cfg.generator, latent_dim=model_cfg.latent_dim,
                                output_shape=source.shape, sync_batchnorm=sync_batchnorm, name="decoder")
        discriminator = build_network(DISCRIMINATORS, model_cfg.discriminator, input_shape=(model_cfg.latent_dim,),
                                      sync_batchnorm=sync_batchnorm, name="prior_discriminator")
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

    def compile(self, d_optimizer: keras.optimizers.Optimizer, g_optimizer: keras.optimizers.Optimizer,
                **kwargs: Any) -> None:
        """The base optimizers plus two encoder optimizers with G's settings (reconstruction, regularisation)."""
        super().compile(d_optimizer=d_optimizer, g_optimizer=g_optimizer, **kwargs)
        self.encoder_optimizer = copy_optimizer(g_optimizer)
        self.encoder_adv_optimizer = copy_optimizer(g_optimizer)
        self.encoder_optimizer.build(self.encoder.trainable_variables)
        self.encoder_adv_optimizer.build(self.encoder.trainable_variables)

    def checkpoint_items(self) -> dict[str, Any]:
        return {
            **super().checkpoint_items(),
            "encoder": self.encoder,
            "encoder_optimizer": self.encoder_optimizer,
            "encoder_adv_optimizer": self.encoder_adv_optimizer,
        }

    def exportables(self, source: Any) -> dict[str, tf.Module]:
        """The decoder (sampling from the prior) and the encoder."""
        return {
            "generator": PriorDecoderExport(self.inference_generator, self.latent_dim, source.kind, self.prior,
                                            self.prior_radius, self.prior_std),
            "encoder": EncoderExport(self.encoder, source.shape, source.kind),
        }

    def training_callbacks(self, writer: tf.summary.SummaryWriter, source: Any, config: Any) -> list[Any]:
        """Reconstruction pairs (and a code scatter for 2-D codes) every ``train.image_every`` steps."""
        return [AutoencoderPictures(writer, config.train.image_every, source.examples(1000))]

    def tracker_names(self) -> list[str]:
        return [*super().tracker_names(), "recon"]

    # ------------------------------------------------------------------ sampling
    def sample_prior(self, batch_size: tf.Tensor, salt: int) -> tf.Tensor:
        """Prior draws for this replica's slice of one global draw (like ``sample_latent``)."""
        seed = self.step_seed(salt)
        return replica_draw(lambda n: sample_prior(self.prior, n, self.latent_dim, seed, self.prior_radius,
                                                   self.prior_std), batch_size)

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

    # ------------------------------------------------------------------ training
    def reconstruction_step(self, real: tf.Tensor) -> dict[str, tf.Tensor]:
        """Phase 1: one update of E (``encoder_optimizer``) and G (``g_optimizer``) on the reconstruction error."""
        with tf.GradientTape(persistent=True) as tape:
            recon = self.global_mean(reconstruction_error(
                self.reconstruction, real, self.generator(self.encoder(real, training=True), training=True)))
        self.apply_update(self.encoder_optimizer, tape, recon, self.encoder.trainable_variables)
        self.apply_update(self.g_optimizer, tape, recon, self.generator.trainable_variables)
        del tape
        return {"recon": recon}

    def discriminator_step(self, real: tf.Tensor, salt: int) -> dict[str, tf.Tensor]:
        """Phase 2a: one D update, prior samples as real and codes E(x) as fake."""
        prior = self.sample_prior(tf.shape(real)[0], salt)
        codes = self.encoder(real, training=True)
        with tf.GradientTape() as tape:
            prior_out = self.discriminate(prior, salt=salt + 32)
            code_out = self.discriminate(codes, salt=salt + 33)
            terms = {"d_adv": self.global_mean(self.adversarial.discriminator(prior_out, code_out))}
            terms.update(self.penalty_terms(prior, codes, salt))
            total = tf.add_n(list(terms.values()))
        self.apply_update(self.d_optimizer, tape, total, self.discriminator.trainable_variables)
        self.apply_constraints()
        return {
            "d_loss": total,
            **terms,
            "d_real": self.global_mean(losses.per_example_mean(prior_out)),
            "d_fake": self.global_mean(losses.per_example_mean(code_out)),
        }

    def encoder_adversarial_step(self, real: tf.Tensor, salt: int) -> dict[str, tf.Tensor]:
        """Phase 2b: one update of E as the generator of codes, against the current D."""
        with tf.GradientTape() as tape:
            g_adv = self.global_mean(self.adversarial.generator(
                self.discriminate(self.encoder(real, training=True), salt=salt)))
        self.apply_update(self.encoder_adv_optimizer, tape, g_adv, self.encoder.trainable_variables)
        return {"g_adv": g_adv}

    def train_step(self, data: Mapping[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        """Reconstruction phase, then regularisation phase (D on prior vs codes, then E as generator)."""
        real = data["x"]
        logs = self.reconstruction_step(real)
        logs.update(self.discriminator_step(real, salt=0))
        logs.update(self.encoder_adversarial_step(real, salt=G_SALT))
        logs["g_loss"] = logs["recon"] + logs["g_adv"]
        return self.update_trackers(logs)
