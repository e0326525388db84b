"""f-AnoGAN's izi_f encoder and score (Schlegl et al. 2019, Medical Image Analysis 54, §2.2–2.3).

After a WGAN-GP has been trained on normal data, an encoder E: x → z is
trained with G and D frozen (the "izi_f" architecture: image → z → image, with
a discriminator-feature residual):

    L_izi_f(x) = (1/n)·‖x − G(E(x))‖² + κ·(1/n_d)·‖f(x) − f(G(E(x)))‖²,

n pixels, n_d features of D's last hidden layer f (``features.sample_features``),
κ = 1 (the paper's). The anomaly score of a query is the same quantity,
A(x) = A_R(x) + κ·A_D(x). This is a separate small Keras training (``train_izif``),
not a GAN: only E's weights move.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf

from tfgan_apps.anomaly.features import sample_features
from tfgan_apps.nets import build_network
from tfgan_apps.registry import ENCODERS


def _per_example_mean(t: tf.Tensor) -> tf.Tensor:
    return tf.reduce_mean(tf.reshape(tf.cast(t, tf.float32), [tf.shape(t)[0], -1]), axis=1)


class IzifScore(tf.Module):
    """A(x) = (1/n)‖x − G(E(x))‖² + κ(1/n_d)‖f(x) − f(G(E(x)))‖² for an encoder, a generator and D's features."""

    def __init__(self, encoder: keras.Model, generator: keras.Model, features: keras.Model, kappa: float = 1.0) -> None:
        super().__init__(name="izif_score")
        self.encoder, self.generator, self.features, self.kappa = encoder, generator, features, float(kappa)
        self._score = tf.function(self._score_impl)  # an attribute: a decorated method would hold self weakly

    def terms(self, x: tf.Tensor, training: bool = False) -> dict[str, tf.Tensor]:
        """``residual`` A_R, ``feature_residual`` A_D and ``score`` per example (``training``: E's mode)."""
        x = tf.convert_to_tensor(x, tf.float32)
        recon = self.generator(self.encoder(x, training=training), training=False)
        a_r = _per_example_mean(tf.square(x - tf.cast(recon, tf.float32)))
        a_d = _per_example_mean(tf.square(tf.cast(self.features(x, training=False), tf.float32)
                                          - tf.cast(self.features(recon, training=False), tf.float32)))
        return {"residual": a_r, "feature_residual": a_d, "score": a_r + self.kappa * a_d}

    def _score_impl(self, x: tf.Tensor) -> tf.Tensor:
        return self.terms(x)["score"]

    def score(self, x: tf.Tensor) -> tf.Tensor:
        """A(x), float32 [N]."""
        return self._score(x)


class IzifTrainer(keras.Model):
    """Trains E on the izi_f loss with G and f frozen (their weights are not in the optimizer)."""

    def __init__(self, scorer: IzifScore) -> None:
        super().__init__()
        self.scorer = scorer
        self.encoder = scorer.encoder
        self.trackers = {name: keras.metrics.Mean(name=name) for name in ("loss", "residual", "feature_residual")}

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        return list(self.trackers.values())

    def train_step(self, x: tf.Tensor) -> dict[str, tf.Tensor]:
        variables = self.encoder.trainable_variables
        with tf.GradientTape() as tape:
            terms = self.scorer.terms(x, training=True)
            loss = tf.reduce_mean(terms["score"])
        self.optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        values = {"loss": loss, "residual": tf.reduce_mean(terms["residual"]),
                  "feature_residual": tf.reduce_mean(terms["feature_residual"])}
        for name, value in values.items():
            self.trackers[name].update_state(value)
        return {name: t.result() for name, t in self.trackers.items()}


def train_izif(generator: keras.Model, discriminator: keras.Model, x_train: np.ndarray, latent_dim: int,
               encoder_spec: dict[str, Any] | None = None, kappa: float = 1.0, steps: int = 2000,
               batch_size: int = 64, lr: float = 1e-3, seed: int = 0) -> IzifScore:
    """Trains an izi_f encoder for a frozen (generator, discriminator) on normal examples; returns the scorer.

    ``encoder_spec`` (default a DCGAN-body encoder of width 32 with BatchNorm) names a
    ``registry.ENCODERS`` builder. Adam, lr ``lr``, β = (0.5, 0.999), ``steps`` batches
    of ``batch_size``. The paper trains E with the WGAN's optimizer settings for
    as long as the GAN; ``lr`` = 1e-3 is our choice for a short budget.
    """
    keras.utils.set_random_seed(seed)
    spec = dict(encoder_spec or {"type": "dcgan", "width": 32, "norm": "batch"})
    encoder = build_network(ENCODERS, spec, input_shape=tuple(x_train.shape[1:]), latent_dim=latent_dim)
    scorer = IzifScore(encoder, generator, sample_features(discriminator), kappa)
    model = IzifTrainer(scorer)
    model.compile(optimizer=keras.optimizers.Adam(lr, beta_1=0.5), jit_compile=False)
    data = (tf.data.Dataset.from_tensor_slices(np.asarray(x_train, np.float32)).repeat()
            .shuffle(len(x_train), seed=seed).batch(batch_size, drop_remainder=True))
    model.fit(data, steps_per_epoch=steps, epochs=1, verbose=0)
    return scorer
