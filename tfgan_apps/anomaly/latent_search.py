"""AnoGAN's anomaly score by latent search (Schlegl et al. 2017, arXiv:1703.05921, §2.2–2.3).

For a query x, find z with G(z) close to x by gradient descent on

    L(z) = (1 − λ)·R(z) + λ·D(z),   R(z) = Σ |x − G(z)|,   D(z) = Σ |f(x) − f(G(z))|,

with f an intermediate discriminator layer (``features.sample_features``) and
λ = 0.1 (the paper's). After a fixed number of steps the anomaly score is
A(x) = L(z_Γ) (the paper: Γ = 500 steps). Any trained GAN works: a generator
and a discriminator, both frozen.

The search runs for a whole batch at once inside one ``tf.function``: the
examples' losses are independent, so the gradient of their sum gives every z
its own gradient, and Adam (β = (0.9, 0.999)) steps all of them together. z
starts at a seeded N(0, I) draw, so a score is a deterministic function of x
and the seed, and the module exports as a SavedModel (``scorer.ScorerExport``).
"""

from __future__ import annotations

import keras
import tensorflow as tf

from tfgan_apps.anomaly.features import sample_features


def _per_example_sum(t: tf.Tensor) -> tf.Tensor:
    return tf.reduce_sum(tf.reshape(tf.cast(t, tf.float32), [tf.shape(t)[0], -1]), axis=1)


class LatentSearch(tf.Module):
    """AnoGAN score of a trained generator and discriminator (module docstring).

    Args:
      generator: z [B, latent_dim] → samples in [-1, 1].
      discriminator: D(x) or a joint D(x, z); its sample features define f.
      latent_dim: size of z.
      steps: Adam steps of the search (Γ).
      lr: Adam learning rate on z.
      lam: λ, the weight of the feature distance.
      seed: seed of the initial z.
    """

    def __init__(self, generator: keras.Model, discriminator: keras.Model, latent_dim: int, steps: int = 100,
                 lr: float = 0.05, lam: float = 0.1, seed: int = 0) -> None:
        super().__init__(name="latent_search")
        self.generator = generator
        self.features = sample_features(discriminator)
        self.latent_dim, self.steps, self.lr, self.lam, self.seed = int(latent_dim), int(steps), lr, lam, int(seed)
        # A tf.function attribute (not a decorated method, which holds its module only weakly: a temporary
        # ``LatentSearch(...).score(x)`` would lose it mid-call).
        self.search = tf.function(self._search)

    def terms(self, x: tf.Tensor, z: tf.Tensor, fx: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """(R, D) per example: Σ|x − G(z)| and Σ|f(x) − f(G(z))|."""
        g = self.generator(z, training=False)
        residual = _per_example_sum(tf.abs(tf.cast(x, tf.float32) - tf.cast(g, tf.float32)))
        distance = _per_example_sum(tf.abs(fx - tf.cast(self.features(g, training=False), tf.float32)))
        return residual, distance

    def loss(self, residual: tf.Tensor, distance: tf.Tensor) -> tf.Tensor:
        """(1 − λ)·R + λ·D per example."""
        return (1.0 - self.lam) * residual + self.lam * distance

    def _search(self, x: tf.Tensor) -> dict[str, tf.Tensor]:
        """``search(x)``: runs the search; ``z``, ``residual``, ``feature_distance`` and ``score`` at the last z."""
        x = tf.convert_to_tensor(x, tf.float32)
        n = tf.shape(x)[0]
        z = tf.random.stateless_normal([n, self.latent_dim], seed=[self.seed, 0])
        fx = tf.cast(self.features(x, training=False), tf.float32)
        m, v = tf.zeros_like(z), tf.zeros_like(z)
        beta_1, beta_2, eps = 0.9, 0.999, 1e-7
        for t in tf.range(1, self.steps + 1):
            with tf.GradientTape() as tape:
                tape.watch(z)
                total = tf.reduce_sum(self.loss(*self.terms(x, z, fx)))
            grad = tape.gradient(total, z)
            m = beta_1 * m + (1.0 - beta_1) * grad
            v = beta_2 * v + (1.0 - beta_2) * tf.square(grad)
            step = tf.cast(t, tf.float32)
            m_hat, v_hat = m / (1.0 - beta_1**step), v / (1.0 - beta_2**step)
            z = z - self.lr * m_hat / (tf.sqrt(v_hat) + eps)
        residual, distance = self.terms(x, z, fx)
        return {"z": z, "residual": residual, "feature_distance": distance, "score": self.loss(residual, distance)}

    def score(self, x: tf.Tensor) -> tf.Tensor:
        """A(x) = (1 − λ)·R + λ·D after the search, float32 [N]."""
        return self.search(x)["score"]
