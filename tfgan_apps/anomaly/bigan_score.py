"""The BiGAN / EGBAD anomaly score (Zenati et al. 2018, arXiv:1802.06222, §3), no search.

A BiGAN's encoder inverts its generator in one pass, so a query x is scored by

    A(x) = α·L_G(x) + (1 − α)·L_D(x),   L_G(x) = ‖x − G(E(x))‖₁,

with L_D either the feature-matching distance ‖f_D(x, E(x)) − f_D(G(E(x)), E(x))‖₁
of the joint discriminator's last hidden layer (``"feature_matching"``, the
variant the paper reports as better on MNIST) or the cross-entropy
σ(D(x, E(x)), 1) = softplus(−D(x, E(x))) (``"cross_entropy"``); α = 0.9 as in the
paper. Works with ``models/bigan.py``'s ``encoder``, ``generator`` and joint
``discriminator``.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from tfgan_apps.anomaly.features import joint_features
from tfgan_apps.errors import ConfigError

KINDS = ("feature_matching", "cross_entropy")


def _per_example_l1(a: tf.Tensor, b: tf.Tensor) -> tf.Tensor:
    diff = tf.abs(tf.cast(a, tf.float32) - tf.cast(b, tf.float32))
    return tf.reduce_sum(tf.reshape(diff, [tf.shape(diff)[0], -1]), axis=1)


class BiGANScore(tf.Module):
    """EGBAD's score of a trained BiGAN (module docstring).

    Args:
      encoder, generator, discriminator: the BiGAN's E, G and joint D(x, z).
      alpha: α, the weight of the reconstruction term.
      kind: ``"feature_matching"`` or ``"cross_entropy"`` L_D.
    """

    def __init__(self, encoder: keras.Model, generator: keras.Model, discriminator: keras.Model,
                 alpha: float = 0.9, kind: str = "feature_matching") -> None:
        super().__init__(name="bigan_score")
        if kind not in KINDS:
            raise ConfigError(f"unknown EGBAD discriminator score {kind!r}; valid choices: {', '.join(KINDS)}")
        self.encoder, self.generator, self.discriminator = encoder, generator, discriminator
        self.features = joint_features(discriminator) if kind == "feature_matching" else None
        self.alpha, self.kind = float(alpha), kind
        self.terms = tf.function(self._terms)  # an attribute: a decorated method would hold self only weakly

    def _terms(self, x: tf.Tensor) -> dict[str, tf.Tensor]:
        """``terms(x)``: ``reconstruction`` L_G, ``discriminator`` L_D and ``score`` A per example."""
        x = tf.convert_to_tensor(x, tf.float32)
        z = self.encoder(x, training=False)
        recon = self.generator(z, training=False)
        l_g = _per_example_l1(x, recon)
        if self.kind == "feature_matching":
            l_d = _per_example_l1(self.features([x, z], training=False), self.features([recon, z], training=False))
        else:
            logit = tf.reshape(tf.cast(self.discriminator([x, z], training=False), tf.float32), [-1])
            l_d = tf.nn.softplus(-logit)
        return {"reconstruction": l_g, "discriminator": l_d, "score": self.alpha * l_g + (1.0 - self.alpha) * l_d}

    def score(self, x: tf.Tensor) -> tf.Tensor:
        """A(x), float32 [N]."""
        return self.terms(x)["score"]
