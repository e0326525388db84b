"""EBGAN: Energy-Based GAN (Zhao, Mathieu & LeCun 2017, arXiv:1609.03126).

The discriminator is an auto-encoder (``nets/autoencoder.py``) whose energy
D(x) = mean (x − Dec(Enc(x)))² is the per-example MSE of its reconstruction
(§2.3). With margin m (``config.model.margin``) the losses are (Eq. 1, 2):

    L_D = D(x) + max(0, m − D(G(z)))
    L_G = D(G(z)) + λ_PT · PT(S)

where PT is the pull-away term (§2.4, Eq. 5) on the encoder embeddings S of the
fake batch, weighted by ``config.model.pt_weight`` (0 = plain EBGAN):

    PT(S) = 1 / (N (N − 1)) Σ_i Σ_{j≠i} (s_iᵀ s_j / (‖s_i‖ ‖s_j‖))²

PT is a batch statistic: each replica scores its own examples against the
embeddings of the whole global batch (gathered across replicas, gradients
included), so the global-batch mean is exactly the paper's PT on any number of
replicas. ``D/real_score`` and ``D/fake_score`` log the energies D(x) and
D(G(z)), ``Train/pull_away`` the PT value. ``config.model.loss`` is not used and
penalties are refused.

Improved-Techniques stabilizers: feature matching (§3.1) matches the encoder embeddings h
(the ones PT reads; D has no real/fake logit) and is added to L_G; virtual batch norm
(§3.5) acts on networks built with ``norm="batch"`` (the paper's EBGAN auto-encoder has
batch norm), D's reference batch prepended in ``discriminate``; minibatch discrimination is
refused (no logit layer for o(x) to feed).
"""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf

from tfgan_apps.distribute import gather_replicas
from tfgan_apps.errors import ConfigError
from tfgan_apps.models.base import GAN, Update
from tfgan_apps.nets.autoencoder import (
    AUTOENCODER_D_REASONS,
    AUTOENCODER_D_STABILIZERS,
    check_autoencoder,
    reconstruction_energy,
)
from tfgan_apps.registry import MODELS


def ebgan_discriminator_loss(real_energy: tf.Tensor, fake_energy: tf.Tensor, margin: float) -> tf.Tensor:
    """EBGAN Eq. 1 per example: D(x) + max(0, m − D(G(z)))."""
    return tf.cast(real_energy, tf.float32) + tf.nn.relu(margin - tf.cast(fake_energy, tf.float32))


def pull_away_term(embeddings: tf.Tensor, batch_embeddings: tf.Tensor | None = None) -> tf.Tensor:
    """EBGAN Eq. 5 per example: (1 / (N − 1)) Σ_{j≠i} cos²(s_i, s_j); the mean over the batch is PT.

    Args:
      embeddings: [n, ...] the examples s_i to score (flattened per example).
      batch_embeddings: [N, ...] the whole batch they belong to, rows of ``embeddings`` included
        (default: ``embeddings`` itself, N = n ≥ 2). Passing the global batch gathered from all replicas
        makes the mean of the per-replica scores over the global batch exactly the paper's PT.
    """

    def unit(x: tf.Tensor) -> tf.Tensor:
        x = tf.cast(tf.reshape(x, [tf.shape(x)[0], -1]), tf.float32)
        return tf.math.l2_normalize(x, axis=1, epsilon=1e-12)

    s = unit(embeddings)
    batch = s if batch_embeddings is None else unit(batch_embeddings)
    cos2 = tf.square(tf.matmul(s, batch, transpose_b=True))
    self_term = tf.square(tf.reduce_sum(s * s, axis=1))  # cos²(s_i, s_i): 1, or 0 for a zero vector
    n = tf.cast(tf.maximum(tf.shape(batch)[0] - 1, 1), tf.float32)
    return (tf.reduce_sum(cos2, axis=1) - self_term) / n


@keras.saving.register_keras_serializable(package="tfgan_apps")
@MODELS.register("ebgan")
class EBGAN(GAN):
    """EBGAN: auto-encoder energy discriminator with a margin hinge, optional pull-away term on G.

    Args:
      margin: m > 0, the energy above which fakes no longer push D.
      pt_weight: λ_PT ≥ 0 of the pull-away term (the paper's EBGAN-PT uses 0.1).
      (other arguments: see ``GAN``)
    """

    SUPPORTED_STABILIZERS = AUTOENCODER_D_STABILIZERS
    STABILIZER_REASONS = AUTOENCODER_D_REASONS

    def __init__(self, generator: keras.Model, discriminator: keras.Model, latent_dim: int,
                 margin: float = 1.0, pt_weight: float = 0.1, **kwargs: Any) -> None:
        super().__init__(generator, discriminator, latent_dim, **kwargs)
        check_autoencoder(discriminator, "ebgan")
        if self.penalty_weights:
            raise ConfigError(f"ebgan does not use penalties; set {', '.join(self.penalty_weights)} to 0")
        if margin <= 0.0 or pt_weight < 0.0:
            raise ConfigError(f"config.model.margin must be > 0 and pt_weight ≥ 0, got {margin}, {pt_weight}")
        self.margin = float(margin)
        self.pt_weight = float(pt_weight)

    @classmethod
    def extra_settings(cls, model_cfg: Any, source: Any) -> dict[str, Any]:
        """m and λ_PT from ``config.model.margin`` / ``pt_weight``."""
        return {"margin": model_cfg.get("margin", 1.0), "pt_weight": model_cfg.get("pt_weight", 0.1)}

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "margin": self.margin, "pt_weight": self.pt_weight}

    def tracker_names(self) -> list[str]:
        return [*super().tracker_names(), "g_pt", "pull_away"]

    def discriminate(self, x: tf.Tensor, salt: int, training: bool = True) -> dict[str, tf.Tensor]:
        """``{"energy": D(v), "embedding": Enc(v)}`` of D's input v (after input stabilizers), where D(v) is
        the per-example MSE of the auto-encoder's reconstruction of v (VBN: D's reference batch prepended in
        training calls)."""
        v = self.d_input(x, salt)
        out = self.with_reference(self.discriminator, v, self.discriminator_reference(), training)
        return {"energy": reconstruction_energy(v, out["reconstruction"], 2), "embedding": out["embedding"]}

    def discriminator_features(self, outputs: dict[str, tf.Tensor]) -> tf.Tensor:
        """Feature matching's f: the auto-encoder's bottleneck code h (the representation the pull-away term
        already reads)."""
        return outputs["embedding"]

    def adversarial_logits(self, outputs: dict[str, tf.Tensor]) -> tf.Tensor:
        """The energies (``D/real_score`` and ``D/fake_score`` log them)."""
        return outputs["energy"]

    def d_adversarial_term(self, ctx: Update) -> tf.Tensor:
        """L_D = D(x) + max(0, m − D(G(z)))."""
        return self.global_mean(ebgan_discriminator_loss(ctx.real_logits, ctx.fake_logits, self.margin))

    def g_adversarial_term(self, ctx: Update) -> tf.Tensor:
        """D(G(z)): G lowers the energy of its samples."""
        return self.global_mean(ctx.fake_logits)

    def extra_g_terms(self, ctx: Update) -> dict[str, tf.Tensor]:
        """λ_PT · PT over the global batch's embeddings (each replica scores its rows against all)."""
        embedding = ctx.fake_out["embedding"]
        ctx.stats["pull_away"] = self.global_mean(pull_away_term(embedding, gather_replicas(embedding)))
        return {"g_pt": self.pt_weight * ctx.stats["pull_away"]} if self.pt_weight else {}
