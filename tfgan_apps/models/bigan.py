"""BiGAN (Donahue, Krähenbühl & Darrell 2017, arXiv:1605.09782) / ALI (Dumoulin et al. 2017, arXiv:1606.00704).

An encoder E: x → z is learned alongside G: z → x. The discriminator sees
joint pairs (``nets/bigan.py``) and separates (x, E(x)), x ~ data, from
(G(z), z), z ~ N(0, I) (the BiGAN objective V(D, E, G), §3):

    L_D  = ℓ_D(D(x, E(x)), D(G(z), z))              (real pairs vs fake pairs)
    L_GE = ℓ_D(D(G(z), z), D(x, E(x)))              (the same loss, labels swapped)

ℓ_D is the configured loss's discriminator loss. G and E minimise L_GE jointly,
one loss and one gradient tape (E's Adam is a clone of G's: per-parameter Adam
over G ∪ E is exactly two Adams stepping together). Swapping the labels gives the
non-saturating objective BiGAN trains G and E with (§3.4, D's targets inverted): with
``non_saturating`` L_GE = −log σ(D(G(z), z)) − log(1 − σ(D(x, E(x)))). With
``wasserstein`` the swap is −L_D, the exact minimax; ``minimax`` is refused
because the swap would silently turn it into the non-saturating loss.

Penalties (``config.model.penalties``) apply to the joint D with the gradient
taken w.r.t. the x input only, z held fixed: R1 is ½‖∇_x D(x, E(x))‖² on real
pairs, R2 is ½‖∇_x D(G(z), z)‖² on fake pairs. ``discriminate`` accepts a
packed pair (x flattened and concatenated with z, see ``pack``) and stops the
gradient on the z part, so the base ``penalty_terms`` and every penalty in
``penalties.py`` work unchanged; the interpolation of the gradient penalty and
the perturbation of DRAGAN then act on x and z together (x̂ = αx + (1−α)G(z)
pairs with ẑ = αE(x) + (1−α)z, same α).

With ``train.d_steps`` > 1 the G/E update uses the last real slice. Logged:
``Train/recon_mse`` = mean (x − G(E(x)))² on the real batch (inference mode):
how well G and E invert each other (BiGAN shows such reconstructions, §4).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import keras
import tensorflow as tf

from tfgan_apps import losses
from tfgan_apps.errors import ConfigError
from tfgan_apps.export import signature_function, uint8_to_images
from tfgan_apps.models.base import G_SALT, GAN, d_salt
from tfgan_apps.nets import build_network
from tfgan_apps.registry import DISCRIMINATORS, ENCODERS, GENERATORS, MODELS
from tfgan_apps.schedules import copy_optimizer


class EncoderExport(tf.Module):
    """An encoder with its serving signatures ``serving_default`` / ``encode``: x → {"z": float32 [N, latent_dim]}.

    Images are taken as uint8 NHWC (``images``), other kinds as float32 (``signals`` / ``samples``).
    """

    def __init__(self, encoder: keras.Model, input_shape: tuple[int, ...], kind: str) -> None:
        super().__init__(name="encoder_export")
        self.encoder = encoder
        self.kind = kind
        if kind == "image":
            spec = tf.TensorSpec([None, *input_shape], tf.uint8, "images")
        else:
            spec = tf.TensorSpec([None, *input_shape], tf.float32, "signals" if kind == "signal" else "samples")
        self.encode = signature_function(self._encode, spec)

    def _encode(self, x: tf.Tensor) -> dict[str, tf.Tensor]:
        x = uint8_to_images(x) if self.kind == "image" else x
        return {"z": tf.cast(self.encoder(x, training=False), tf.float32)}

    def signatures(self) -> dict[str, Any]:
        """The concrete functions to save as signatures."""
        fn = self.encode.get_concrete_function()
        return {"serving_default": fn, "encode": fn}


@MODELS.register("bigan")
class BiGAN(GAN):
    """BiGAN / ALI: generator, encoder and a joint discriminator D(x, z).

    Args:
      encoder: maps samples to z [B, latent_dim] (``registry.ENCODERS``).
      (other arguments: see ``GAN``; ``discriminator`` takes ``[x, z]``)
    """

    def __init__(self, generator: keras.Model, discriminator: keras.Model, latent_dim: int,
                 encoder: keras.Model, **kwargs: Any) -> None:
        super().__init__(generator, discriminator, latent_dim, **kwargs)
        if self.adversarial.name == "minimax":
            raise ConfigError("bigan trains G and E with swapped labels (non-saturating); "
                              "use loss non_saturating (the paper's) instead of minimax")
        for name in ("packing", "replay"):
            if getattr(self.stabilizers, name, None) is not None:
                raise ConfigError(f"bigan's joint D pairs each sample with its z; stabilizers.{name} is not supported")
        self.encoder = encoder
        self.sample_shape = tuple(int(d) for d in generator.output_shape[1:])

    @classmethod
    def build_networks(cls, model_cfg: Any, source: Any, sync_batchnorm: bool) -> tuple[keras.Model, keras.Model]:
        """G from ``model_cfg.generator``; the joint D from ``model_cfg.discriminator`` (it also needs latent_dim)."""
        generator = build_network(
            GENERATORS, model_cfg.generator, latent_dim=model_cfg.latent_dim,
            output_shape=source.shape, sync_batchnorm=sync_batchnorm,
        )
        discriminator = build_network(
            DISCRIMINATORS, model_cfg.discriminator, input_shape=source.shape, latent_dim=model_cfg.latent_dim,
            sync_batchnorm=sync_batchnorm,
        )
        return generator, discriminator

    @classmethod
    def extra_settings(cls, model_cfg: Any, source: Any) -> dict[str, Any]:
        """Builds E from ``config.model.encoder``.

        BatchNorm is synchronised when the current strategy has several replicas (the
        rule ``models.build`` applies to G and D; ``extra_settings`` is not told it).
        """
        if "encoder" not in model_cfg:
            raise ConfigError("bigan needs config.model.encoder, e.g. {'type': 'bigan', 'width': 32}")
        sync = tf.distribute.get_strategy().num_replicas_in_sync > 1
        encoder = build_network(ENCODERS, model_cfg.encoder, input_shape=source.shape,
                                latent_dim=model_cfg.latent_dim, sync_batchnorm=sync)
        return {"encoder": encoder}

    def compile(self, d_optimizer: keras.optimizers.Optimizer, g_optimizer: keras.optimizers.Optimizer,
                **kwargs: Any) -> None:
        """As ``GAN.compile``, plus E's optimizer: a clone of G's (same class and hyper-parameters)."""
        super().compile(d_optimizer=d_optimizer, g_optimizer=g_optimizer, **kwargs)
        self.e_optimizer = copy_optimizer(g_optimizer)
        self.e_optimizer.build(self.encoder.trainable_variables)

    def checkpoint_items(self) -> dict[str, Any]:
        """The base items plus the encoder and its optimizer."""
        return {**super().checkpoint_items(), "encoder": self.encoder, "e_optimizer": self.e_optimizer}

    def exportables(self, source: Any) -> dict[str, tf.Module]:
        """``generator`` (z → samples, see ``export.GeneratorExport``) and ``encoder`` (samples → z)."""
        return {**super().exportables(source), "encoder": EncoderExport(self.encoder, source.shape, source.kind)}

    def tracker_names(self) -> list[str]:
        return [*super().tracker_names(), "recon_mse"]

    # ------------------------------------------------------------------ joint pairs
    def encode(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        """z = E(x) for samples in the model's convention (images in [-1, 1])."""
        return self.encoder(tf.convert_to_tensor(x, tf.float32), training=training)

    def pack(self, x: tf.Tensor, z: tf.Tensor) -> tf.Tensor:
        """A pair as one joint vector [B, |x| + latent_dim] (x flattened, then z), in float32."""
        x = tf.reshape(tf.cast(x, tf.float32), [tf.shape(x)[0], -1])
        return tf.concat([x, tf.cast(z, tf.float32)], axis=1)

    def unpack(self, v: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """Inverse of ``pack``: (x [B, *sample_shape], z [B, latent_dim])."""
        x, z = tf.split(v, [-1, self.latent_dim], axis=1)
        return tf.reshape(x, [tf.shape(v)[0], *self.sample_shape]), z

    def discriminate(self, x: Any, salt: int, training: bool = True) -> tf.Tensor:
        """D(x, z) logits of an ``(x, z)`` pair, or of a packed pair (``pack``) with z held constant.

        The packed form is what the penalties receive: their input gradients are
        then ∇_x D only (the z part's gradient is zero). Input-side stabilizers
        (``d_input``: DiffAugment, instance noise) apply to the x part.
        """
        if isinstance(x, (tuple, list)):
            x, z = x
        else:
            x, z = self.unpack(x)
            z = tf.stop_gradient(z)
        return self.discriminator([self.d_input(x, salt), z], training=training)

    # ------------------------------------------------------------------ training
    def discriminator_step(self, real: tf.Tensor, salt: int) -> dict[str, tf.Tensor]:
        """One D update on real pairs (x, E(x)) against fake pairs (G(z), z), plus penalties w.r.t. x."""
        z = self.sample_latent(tf.shape(real)[0], salt)
        fake = self.generator(z, training=True)
        encoded = self.encoder(real, training=True)
        with tf.GradientTape() as tape:
            real_out = self.discriminate((real, encoded), salt=salt + 32)
            fake_out = self.discriminate((fake, z), salt=salt + 33)
            terms = {"d_adv": self.global_mean(self.adversarial.discriminator(real_out, fake_out))}
            terms.update(self.penalty_terms(self.pack(real, encoded), self.pack(fake, z), salt))
            total = tf.add_n(list(terms.values()))
        self.apply_update(self.d_optimizer, tape, total, self.discriminator.trainable_variables)
        self.apply_constraints()
        return {
            "d_loss": total,
            **terms,
            "d_real": self.global_mean(losses.per_example_mean(real_out)),
            "d_fake": self.global_mean(losses.per_example_mean(fake_out)),
        }

    def generator_encoder_step(self, real: tf.Tensor, salt: int) -> dict[str, tf.Tensor]:
        """One joint G/E update minimising D's loss with swapped labels (see the module docstring).

        ``salt`` seeds z and the fake pairs' stabilizer draws, ``salt − 1`` the real pairs'.
        """
        z = self.sample_latent(tf.shape(real)[0], salt)
        reconstruction = self.generator(self.encoder(real, training=False), training=False)
        recon = self.global_mean(losses.per_example_mean(tf.square(reconstruction - real)))
        with tf.GradientTape(persistent=True) as tape:
            real_out = self.discriminate((real, self.encoder(real, training=True)), salt=salt - 1)
            fake_out = self.discriminate((self.generator(z, training=True), z), salt=salt)
            ge_adv = self.global_mean(self.adversarial.discriminator(fake_out, real_out))
        self.apply_update(self.g_optimizer, tape, ge_adv, self.generator.trainable_variables)
        self.apply_update(self.e_optimizer, tape, ge_adv, self.encoder.trainable_variables)
        del tape
        return {"g_loss": ge_adv, "g_adv": ge_adv, "recon_mse": recon}

    def train_step(self, data: Mapping[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        """``d_steps`` D updates (one real slice each), then one joint G/E update on the last slice."""
        real = data["x"]
        chunks = tf.split(real, self.d_steps) if self.d_steps > 1 else [real]
        logs: dict[str, tf.Tensor] = {}
        for i, chunk in enumerate(chunks):
            logs.update(self.discriminator_step(chunk, salt=d_salt(i)))
        logs.update(self.generator_encoder_step(chunks[-1], salt=G_SALT))
        return self.update_trackers(logs)
