"""BEGAN: Boundary Equilibrium GAN (Berthelot, Schumm & Metz 2017, arXiv:1703.10717).

The discriminator is an auto-encoder (``nets/autoencoder.py``) and
L(v) = mean |v − D(v)| is its per-example L1 reconstruction loss (Eq. 1, η = 1).
With k_t ∈ [0, 1] a non-trainable variable (Eq. 4):

    L_D = L(x) − k_t · L(G(z))
    L_G = L(G(z))
    k_{t+1} = clip(k_t + λ_k (γ L(x) − L(G(z))), 0, 1)

γ (``config.model.gamma``, default 0.5) sets the diversity ratio E[L(G(z))] / E[L(x)]
the two networks are held at, λ_k (``config.model.lambda_k``, default 0.001) is
k's learning rate. The convergence measure (§3.4.1)
M = L(x) + |γ L(x) − L(G(z))| is logged as ``Train/convergence``, k_t as
``Train/k_t``; ``D/real_score`` and ``D/fake_score`` are L(x) and L(G(z)).

k is updated after every discriminator update from the L(x) and L(G(z)) of that
update's batch (both measured with the same D, as in the paper's simultaneous
update), using their global-batch means so all replicas apply the same update.
``config.model.loss`` is not used (the losses above replace it) and penalties
are refused.

Improved-Techniques stabilizers: feature matching (§3.1) matches the auto-encoder's
bottleneck code h (D has no real/fake logit, so h is its only feature vector) and is
added to L_G; virtual batch norm (§3.5) acts on networks built with ``norm="batch"``
(D's reference batch prepended in ``discriminate``); minibatch discrimination is refused
(no logit layer for o(x) to feed).
"""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf

from tfgan_apps.distribute import cross_replica_sum
from tfgan_apps.errors import ConfigError
from tfgan_apps.models.base import GAN, Update
from tfgan_apps.nets.autoencoder import (
    AUTOENCODER_D_REASONS,
    AUTOENCODER_D_STABILIZERS,
    check_autoencoder,
    reconstruction_energy,
)
from tfgan_apps.registry import MODELS


def equilibrium_update(k: tf.Tensor, loss_real: tf.Tensor, loss_fake: tf.Tensor, gamma: float,
                       lambda_k: float) -> tf.Tensor:
    """BEGAN Eq. 4: k_{t+1} = clip(k_t + λ_k (γ L(x) − L(G(z))), 0, 1)."""
    return tf.clip_by_value(k + lambda_k * (gamma * loss_real - loss_fake), 0.0, 1.0)


def convergence_measure(loss_real: tf.Tensor, loss_fake: tf.Tensor, gamma: float) -> tf.Tensor:
    """BEGAN §3.4.1: M_global = L(x) + |γ L(x) − L(G(z))| (decreases as training converges)."""
    return loss_real + tf.abs(gamma * loss_real - loss_fake)


@keras.saving.register_keras_serializable(package="tfgan_apps")
@MODELS.register("began")
class BEGAN(GAN):
    """BEGAN: auto-encoder discriminator balanced against the generator by the k_t controller.

    Args:
      gamma: diversity ratio γ ∈ (0, 1].
      lambda_k: learning rate λ_k of k_t.
      k_init: k_0 (the paper starts at 0).
      (other arguments: see ``GAN``)
    """

    SUPPORTED_STABILIZERS = AUTOENCODER_D_STABILIZERS
    STABILIZER_REASONS = AUTOENCODER_D_REASONS

    def __init__(self, generator: keras.Model, discriminator: keras.Model, latent_dim: int,
                 gamma: float = 0.5, lambda_k: float = 0.001, k_init: float = 0.0, **kwargs: Any) -> None:
        super().__init__(generator, discriminator, latent_dim, **kwargs)
        check_autoencoder(discriminator, "began")
        if self.penalty_weights:
            raise ConfigError(f"began does not use penalties; set {', '.join(self.penalty_weights)} to 0")
        if not 0.0 < gamma <= 1.0:
            raise ConfigError(f"config.model.gamma must be in (0, 1], got {gamma}")
        if lambda_k < 0.0 or not 0.0 <= k_init <= 1.0:
            raise ConfigError(f"config.model.lambda_k must be ≥ 0 and k_init in [0, 1], got {lambda_k}, {k_init}")
        self.gamma = float(gamma)
        self.lambda_k = float(lambda_k)
        self.k_init = float(k_init)
        # One value shared by all replicas: every replica computes the same update from global means.
        self.k = self.add_weight(shape=(), initializer=keras.initializers.Constant(k_init), trainable=False,
                                 name="k_t", aggregation="only_first_replica")

    @classmethod
    def extra_settings(cls, model_cfg: Any, source: Any) -> dict[str, Any]:
        """γ, λ_k and k_0 from ``config.model.gamma`` / ``lambda_k`` / ``k_init``."""
        return {
            "gamma": model_cfg.get("gamma", 0.5),
            "lambda_k": model_cfg.get("lambda_k", 0.001),
            "k_init": model_cfg.get("k_init", 0.0),
        }

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "gamma": self.gamma, "lambda_k": self.lambda_k, "k_init": self.k_init}

    def extra_state(self) -> dict[str, Any]:
        """k_t, so a resumed run continues the controller where it stopped."""
        return {"began_k": self.k}

    def tracker_names(self) -> list[str]:
        return [*super().tracker_names(), "k_t", "convergence"]

    def discriminate(self, x: tf.Tensor, salt: int, training: bool = True) -> dict[str, tf.Tensor]:
        """``{"energy": L(v), "embedding": h(v)}``: L(v) = mean |v − D(v)| per example (BEGAN Eq. 1, η = 1) of D's
        input v (after input stabilizers) and the auto-encoder's bottleneck code h(v) (VBN: D's reference
        batch prepended in training calls)."""
        v = self.d_input(x, salt)
        out = self.with_reference(self.discriminator, v, self.discriminator_reference(), training)
        return {"energy": reconstruction_energy(v, out["reconstruction"], 1), "embedding": out["embedding"]}

    def adversarial_logits(self, outputs: dict[str, tf.Tensor]) -> tf.Tensor:
        """The energies L(v) (``D/real_score`` and ``D/fake_score`` log them)."""
        return outputs["energy"]

    def discriminator_features(self, outputs: dict[str, tf.Tensor]) -> tf.Tensor:
        """Feature matching's f: the auto-encoder's bottleneck code h, D's only per-example feature vector."""
        return outputs["embedding"]

    def d_adversarial_term(self, ctx: Update) -> tf.Tensor:
        """L_D = L(x) − k_t · L(G(z))."""
        return self.global_mean(ctx.real_logits - self.k * ctx.fake_logits)

    def g_adversarial_term(self, ctx: Update) -> tf.Tensor:
        """L_G = L(G(z)): G makes samples the auto-encoder reconstructs well."""
        return self.global_mean(ctx.fake_logits)

    def after_d_update(self, ctx: Update) -> dict[str, tf.Tensor]:
        """k_t update from this batch's global L(x) and L(G(z)) (the D before its update, as in the paper's
        simultaneous update); logs k_t and the convergence measure M."""
        loss_real = cross_replica_sum(self.global_mean(ctx.real_logits))
        loss_fake = cross_replica_sum(self.global_mean(ctx.fake_logits))
        self.k.assign(equilibrium_update(self.k, loss_real, loss_fake, self.gamma, self.lambda_k))
        return {"k_t": tf.identity(self.k.value), "convergence": convergence_measure(loss_real, loss_fake, self.gamma)}
