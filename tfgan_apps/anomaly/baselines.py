"""Classical anomaly detectors on raw pixels, the yardsticks of the GAN methods (same split, same data).

Each detector is fitted on normal examples only and scores new ones, higher =
more anomalous:

* ``PCAReconstruction``: squared error of the projection onto the principal
  subspace that keeps ``variance`` of the training variance.
* ``OneClassSVM``: minus the decision function of an RBF one-class SVM
  (Schölkopf et al. 2001; ν = 0.1, γ = 1 / (d · Var x), scikit-learn's "scale").
* ``IsolationForest``: minus scikit-learn's ``score_samples`` (Liu et al. 2008; 100 trees).
* ``ConvAutoencoder``: per-example mean squared reconstruction error of a plain
  convolutional autoencoder (DCGAN-discriminator encoder → code → DCGAN-generator
  decoder, the networks of GANomaly's first encoder and decoder) trained with
  the MSE alone.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from tfgan_apps.nets import build_network
from tfgan_apps.registry import ENCODERS, GENERATORS


def _flat(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, np.float32).reshape(len(x), -1)


class PCAReconstruction:
    """Squared distance of x to its PCA reconstruction (components keeping ``variance`` of the variance)."""

    name = "pca"

    def __init__(self, variance: float = 0.9, seed: int = 0) -> None:
        from sklearn.decomposition import PCA

        self.pca = PCA(n_components=variance, svd_solver="full", random_state=seed)

    def fit(self, x: np.ndarray) -> PCAReconstruction:
        """Fits the principal subspace of normal examples."""
        self.pca.fit(_flat(x))
        return self

    def score(self, x: np.ndarray) -> np.ndarray:
        """‖x − x̂‖² per example."""
        flat = _flat(x)
        recon = self.pca.inverse_transform(self.pca.transform(flat))
        return np.square(flat - recon).sum(axis=1)


class OneClassSVM:
    """RBF one-class SVM on pixels; the score is minus its signed distance to the boundary."""

    name = "ocsvm"

    def __init__(self, nu: float = 0.1, seed: int = 0) -> None:
        from sklearn.svm import OneClassSVM as SkOneClassSVM

        self.svm = SkOneClassSVM(kernel="rbf", nu=nu, gamma="scale")

    def fit(self, x: np.ndarray) -> OneClassSVM:
        """Fits the boundary around normal examples."""
        self.svm.fit(_flat(x))
        return self

    def score(self, x: np.ndarray) -> np.ndarray:
        """−decision_function(x): positive outside the boundary."""
        return -self.svm.decision_function(_flat(x))


class IsolationForest:
    """Isolation Forest on pixels; the score is minus scikit-learn's ``score_samples`` (short paths = anomalous)."""

    name = "iforest"

    def __init__(self, trees: int = 100, seed: int = 0) -> None:
        from sklearn.ensemble import IsolationForest as SkIsolationForest

        self.forest = SkIsolationForest(n_estimators=trees, random_state=seed)

    def fit(self, x: np.ndarray) -> IsolationForest:
        """Grows the trees on normal examples."""
        self.forest.fit(_flat(x))
        return self

    def score(self, x: np.ndarray) -> np.ndarray:
        """−score_samples(x)."""
        return -self.forest.score_samples(_flat(x))


def build_autoencoder(input_shape: tuple[int, ...], latent_dim: int, width: int) -> tuple[keras.Model, keras.Model]:
    """(encoder, decoder): the DCGAN encoder (BatchNorm) and DCGAN generator for ``input_shape`` images."""
    encoder = build_network(ENCODERS, {"type": "dcgan", "width": width, "norm": "batch"},
                            input_shape=input_shape, latent_dim=latent_dim)
    decoder = build_network(GENERATORS, {"type": "dcgan", "width": width, "norm": "batch"},
                            latent_dim=latent_dim, output_shape=input_shape)
    return encoder, decoder


class AutoencoderTrainer(keras.Model):
    """Minimises the mean squared reconstruction error of decoder(encoder(x))."""

    def __init__(self, encoder: keras.Model, decoder: keras.Model) -> None:
        super().__init__()
        self.encoder, self.decoder = encoder, decoder
        self.loss_tracker = keras.metrics.Mean(name="mse")

    def call(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        return self.decoder(self.encoder(x, training=training), training=training)

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        return [self.loss_tracker]

    def train_step(self, x: tf.Tensor) -> dict[str, tf.Tensor]:
        variables = self.encoder.trainable_variables + self.decoder.trainable_variables
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(self(x, training=True) - x))
        self.optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        self.loss_tracker.update_state(loss)
        return {"mse": self.loss_tracker.result()}


class ConvAutoencoder:
    """A plain convolutional autoencoder; the score is the per-example mean squared reconstruction error.

    Args:
      latent_dim, width: code size and first-layer filters of the DCGAN encoder / decoder.
      steps, batch_size, lr: Adam training on the normal examples (β = (0.5, 0.999)).
      seed: weights and batch order.
    """

    name = "conv_ae"

    def __init__(self, latent_dim: int = 32, width: int = 32, steps: int = 2000, batch_size: int = 64,
                 lr: float = 1e-3, seed: int = 0) -> None:
        self.latent_dim, self.width, self.steps = latent_dim, width, steps
        self.batch_size, self.lr, self.seed = batch_size, lr, seed
        self.model: AutoencoderTrainer | None = None

    def fit(self, x: np.ndarray) -> ConvAutoencoder:
        """Trains on normal examples (float32 in [-1, 1]) for ``steps`` batches."""
        keras.utils.set_random_seed(self.seed)
        encoder, decoder = build_autoencoder(tuple(x.shape[1:]), self.latent_dim, self.width)
        self.model = AutoencoderTrainer(encoder, decoder)
        self.model.compile(optimizer=keras.optimizers.Adam(self.lr, beta_1=0.5), jit_compile=False)
        data = (tf.data.Dataset.from_tensor_slices(np.asarray(x, np.float32)).repeat()
                .shuffle(len(x), seed=self.seed).batch(self.batch_size, drop_remainder=True))
        self.model.fit(data, steps_per_epoch=self.steps, epochs=1, verbose=0)
        return self

    def score(self, x: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """Mean over pixels of (x − D(E(x)))², per example."""
        if self.model is None:
            raise RuntimeError("ConvAutoencoder.score called before fit")
        out = []
        for start in range(0, len(x), batch_size):
            chunk = tf.constant(x[start:start + batch_size], tf.float32)
            recon = self.model(chunk, training=False)
            out.append(tf.reduce_mean(tf.square(recon - chunk), axis=list(range(1, len(chunk.shape)))).numpy())
        return np.concatenate(out)


CLASSICAL = {cls.name: cls for cls in (PCAReconstruction, OneClassSVM, IsolationForest, ConvAutoencoder)}
