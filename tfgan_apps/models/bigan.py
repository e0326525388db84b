"""BiGAN (Donahue, Krähenbühl & Darrell 2017, arXiv:1605.09782) / ALI (Dumoulin et al. 2017, arXiv:1606.00704).

An encoder E: x → z is learned alongside G: z → x. The discriminator sees
joint pairs (``nets/bigan.py``) and separates (x, E(x)), x ~ data, from
(G(z), z), z ~ N(0, I) (the BiGAN objective V(D, E, G), §3):

    L_D  = ℓ_D(D(x, E(x)), D(G(z), z))              (real pairs vs fake pairs)
    L_GE = ℓ_D(D(G(z), z), D(x, E(x)))              (the same loss, labels swapped)

ℓ_D is the configured loss's discriminator loss. G and E minimise L_GE jointly,
one loss, one tape and one optimizer over the group G ∪ E (per-parameter Adam
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

Improved-Techniques stabilizers: feature matching (§3.1) matches the joint features h of
(x, E(x)) and (G(z), z), the vector D's logit reads (a features output of D); as in the
paper the real side's mean is a constant, so the term trains G (E gets no gradient from
it). Minibatch discrimination (§3.2) feeds o(h) of the joint features to the logit.
"""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf

from tfgan_apps import losses
from tfgan_apps.errors import ConfigError
from tfgan_apps.export import EncoderExport
from tfgan_apps.models.base import GAN, Streams, Update
from tfgan_apps.nets import build_network
from tfgan_apps.registry import DISCRIMINATORS, ENCODERS, GENERATORS, MODELS
from tfgan_apps.stabilizers import MinibatchDiscriminationSpec
from tfgan_apps.stabilizers import settings as stabilizer_settings


@keras.saving.register_keras_serializable(package="tfgan_apps")
@MODELS.register("bigan")
class BiGAN(GAN):
    """BiGAN / ALI: generator, encoder and a joint discriminator D(x, z).

    Args:
      encoder: maps samples to z [B, latent_dim] (``registry.ENCODERS``).
      (other arguments: see ``GAN``; ``discriminator`` takes ``[x, z]``)
    """

    G_NETWORKS = ("generator", "encoder")  # one optimizer: per-parameter Adam over G ∪ E = two Adams in step
    SERIALIZED_NETWORKS = ("encoder",)
    SUPPORTED_STABILIZERS = ("diffaugment", "ema", "feature_matching", "historical_averaging", "instance_noise",
                             "label_noise", "label_smoothing", "minibatch_discrimination")
    STABILIZER_REASONS = {"packing": "the joint D pairs each sample with its own z",
                          "replay": "past fakes would lose the z they were made from",
                          "virtual_batch": "D's reference batch would be pairs (x_ref, E(x_ref)) that move with E, "
                                           "and E, which plays G for the real side, has no reference of its own"}

    def __init__(self, generator: keras.Model, discriminator: keras.Model, latent_dim: int,
                 encoder: keras.Model, **kwargs: Any) -> None:
        super().__init__(generator, discriminator, latent_dim, **kwargs)
        self.encoder = encoder
        if self.adversarial.name == "minimax":
            raise ConfigError("bigan trains G and E with swapped labels (non-saturating); "
                              "use loss non_saturating (the paper's) instead of minimax")
        self.sample_shape = tuple(int(d) for d in generator.output_shape[1:])

    @classmethod
    def build_networks(cls, model_cfg: Any, source: Any, sync_batchnorm: bool) -> tuple[keras.Model, keras.Model]:
        """G from ``model_cfg.generator``; the joint D from ``model_cfg.discriminator`` (it also needs latent_dim),
        with a minibatch-discrimination layer before its logit when that stabilizer is on."""
        generator = build_network(
            GENERATORS, model_cfg.generator, latent_dim=model_cfg.latent_dim,
            output_shape=source.shape, sync_batchnorm=sync_batchnorm,
        )
        discriminator = build_network(
            DISCRIMINATORS, model_cfg.discriminator, input_shape=source.shape, latent_dim=model_cfg.latent_dim,
            sync_batchnorm=sync_batchnorm,
        )
        settings = stabilizer_settings(model_cfg)
        if settings.get("minibatch_discrimination"):  # o(h) of the joint features h, before the logit
            discriminator = MinibatchDiscriminationSpec.from_config(settings).apply(discriminator)
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

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "encoder": keras.saving.serialize_keras_object(self.encoder)}

    def exportables(self, source: Any) -> dict[str, tf.Module]:
        """``generator`` (z → samples, see ``export.SamplerExport``) and ``encoder`` (samples → z)."""
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

    # ------------------------------------------------------------------ template hooks
    def discriminator_inputs(self, samples: tf.Tensor, ctx: Update, real: bool) -> tuple[tf.Tensor, tf.Tensor]:
        """Joint pairs: (x, E(x)) for data, (G(z), z) for fakes. E runs in training mode, so in G's update
        the real pairs carry E's gradient."""
        if real:
            return samples, self.encoder(samples, training=True)
        return samples, ctx.g_inputs["z"]

    @property
    def generator_sees_real(self) -> bool:
        """G and E minimise D's loss with the labels swapped: it needs D on the real pairs too."""
        return True

    def g_adversarial_term(self, ctx: Update) -> tf.Tensor:
        """L_GE = ℓ_D(D(G(z), z), D(x, E(x))): D's loss with real and fake swapped."""
        return self.global_mean(self.adversarial.discriminator(ctx.fake_logits, ctx.real_logits))

    def penalty_view(self, ctx: Update) -> tuple[tf.Tensor, tf.Tensor, Any]:
        """Packed pairs, so penalties take ∇_x of the joint D with z held fixed (module docstring)."""
        def d_fn(v: tf.Tensor) -> tf.Tensor:
            return self.adversarial_logits(self.discriminate(v, salt=ctx.stream(Streams.REAL)))

        return self.pack(*ctx.real_in), self.pack(*ctx.fake_in), d_fn

    def extra_g_terms(self, ctx: Update) -> dict[str, tf.Tensor]:
        """No loss term; logs ``recon_mse`` = mean (x − G(E(x)))² in inference mode."""
        real = ctx.batch["x"]
        reconstruction = self.generator(self.encoder(real, training=False), training=False)
        ctx.stats["recon_mse"] = self.global_mean(losses.per_example_mean(tf.square(reconstruction - real)))
        return {}
