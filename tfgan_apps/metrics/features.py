"""Feature networks for the metrics, injected as callables ``images -> (features, probs)``.

A feature network maps images (float NHWC in [-1, 1], any size, 1 or 3 channels)
to an embedding ``[n, d]`` (for FID/KID/PRDC/1-NN) and class probabilities
``[n, classes]`` (for IS/MODE score). Two are provided:

* :func:`inception_features` – Keras InceptionV3 (ImageNet weights loaded from a
  *local* file, never downloaded): pool3 ``[n, 2048]`` and softmax ``[n, 1000]``.
  Note these are Keras' ImageNet weights, not the 2015 TF graph that TF-GAN and
  pytorch-fid use (1008 logits), so FID values are comparable within this project
  but not with numbers published from those tools.
* :class:`ClassifierFeatures` – a small conv classifier trained in-project on a
  labelled dataset (:func:`digits_classifier` for sklearn's digits), giving the
  "Fréchet classifier distance" and a classifier score offline.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from absl import logging

from tfgan_apps.errors import ConfigError, DataError

FeatureFn = Callable[[Any], tuple[np.ndarray, np.ndarray]]

INCEPTION_WEIGHTS_ENV = "TFGAN_INCEPTION_WEIGHTS"
INCEPTION_WEIGHTS_FILE = "inception_v3_weights_tf_dim_ordering_tf_kernels.h5"
INCEPTION_SIZE = 299


def _keras_cache_path() -> Path:
    keras_home = os.environ.get("KERAS_HOME", os.path.join(os.path.expanduser("~"), ".keras"))
    return Path(keras_home) / "models" / INCEPTION_WEIGHTS_FILE


def inception_weights_path(weights_path: str | None = None) -> Path:
    """Resolves the InceptionV3 weights file: argument, then env var, then the Keras cache.

    Raises:
      ConfigError: the chosen file does not exist; the message says where to put it.
    """
    help_text = (
        f"InceptionV3 ImageNet weights (with top) are needed, and this tool never downloads "
        f"them. On a machine with internet run\n"
        f"  python -c \"import keras; keras.applications.InceptionV3(weights='imagenet')\"\n"
        f"which saves {INCEPTION_WEIGHTS_FILE} under ~/.keras/models/; copy that file to "
        f"{_keras_cache_path()} on this machine, or anywhere and pass its path "
        f"(weights_path=...) or set {INCEPTION_WEIGHTS_ENV}=/path/to/{INCEPTION_WEIGHTS_FILE}."
    )
    if weights_path is not None:
        source, path = "weights_path", Path(weights_path).expanduser()
    elif os.environ.get(INCEPTION_WEIGHTS_ENV):
        source, path = (
            INCEPTION_WEIGHTS_ENV,
            Path(os.environ[INCEPTION_WEIGHTS_ENV]).expanduser(),
        )
    else:
        source, path = "the Keras cache", _keras_cache_path()
    if not path.is_file():
        raise ConfigError(f"no InceptionV3 weights at {path} (from {source}). {help_text}")
    return path


def _match_channels(images: tf.Tensor, channels: int) -> tf.Tensor:
    have = images.shape[-1]
    if have == channels:
        return images
    if have == 1 and channels == 3:
        return tf.repeat(images, 3, axis=-1)
    if have == 3 and channels == 1:
        luma = tf.constant([[0.299], [0.587], [0.114]], images.dtype)
        return tf.tensordot(images, luma, axes=[[3], [0]])
    raise DataError(f"images must have 1 or 3 channels, got {have}")


def _batched(
    fn: Callable[[tf.Tensor], Any], images: Any, batch_size: int, pad_last: bool = False
) -> tuple[np.ndarray, ...]:
    """Runs ``fn`` over ``images`` (NHWC or NHW, in [-1, 1]) in batches; concatenates outputs.

    Values are clipped to [-1, 1]; values beyond ±2 (e.g. uint8-range images) raise DataError.

    ``pad_last`` zero-pads a short last batch to ``batch_size`` (and drops the padding
    from the outputs) so a traced ``fn`` sees one shape and is traced once; a
    single batch is run as it is.
    """
    x = np.asarray(images, dtype=np.float32)
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4 or x.shape[0] == 0:
        raise DataError(f"images must be a non-empty NHWC batch, got shape {x.shape}")
    low, high = float(x.min()), float(x.max())
    if low < -2.0 or high > 2.0:  # e.g. uint8-range images passed by mistake
        raise DataError(f"images must be floats in [-1, 1], got values in [{low}, {high}]")
    x = np.clip(x, -1.0, 1.0)  # slight overshoot (no tanh on the generator output) is clipped
    outputs: list[list[np.ndarray]] = []
    for start in range(0, x.shape[0], batch_size):
        batch = x[start : start + batch_size]
        count = batch.shape[0]
        if pad_last and count < batch_size and x.shape[0] > batch_size:
            batch = np.concatenate([batch, np.zeros((batch_size - count, *batch.shape[1:]), batch.dtype)])
        for i, value in enumerate(fn(tf.constant(batch))):
            if len(outputs) <= i:
                outputs.append([])
            outputs[i].append(np.asarray(value)[:count])
    return tuple(np.concatenate(parts) for parts in outputs)


class InceptionFeatures:
    """InceptionV3 as a feature network: images in [-1, 1] → (pool3 [n, 2048], probs [n, 1000])."""

    def __init__(self, model: keras.Model, batch_size: int = 32) -> None:
        """``model`` maps 299×299×3 inputs in [-1, 1] to ``[pool3, probabilities]``."""
        self.model = model
        self.batch_size = batch_size

    # Traced: on 2 CPU cores a batch of 8 takes 1.6 s as a graph vs 4.1 s eagerly
    # (Grappler fuses conv + batch norm + ReLU); batches are padded to one shape.
    @tf.function(reduce_retracing=True)
    def _forward(self, images: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        x = _match_channels(tf.cast(images, tf.float32), 3)
        x = tf.image.resize(x, (INCEPTION_SIZE, INCEPTION_SIZE), method="bilinear")
        pool3, probs = self.model(x, training=False)
        return pool3, probs

    def __call__(self, images: Any) -> tuple[np.ndarray, np.ndarray]:
        """Runs ``images`` (NHWC, [-1, 1]) in batches; returns float32 numpy arrays."""
        pool3, probs = _batched(self._forward, images, self.batch_size, pad_last=True)
        return pool3, probs


def inception_features(weights_path: str | None = None, batch_size: int = 32) -> InceptionFeatures:
    """Builds InceptionV3 (``include_top=True``) with ImageNet weights from a local file.

    The file is ``weights_path``, else ``$TFGAN_INCEPTION_WEIGHTS``, else the Keras
    cache ``~/.keras/models/inception_v3_weights_tf_dim_ordering_tf_kernels.h5``;
    see :func:`inception_weights_path`. Never falls back to random weights.

    Raises:
      ConfigError: no weights file, or a file that does not fit InceptionV3 with top.
    """
    path = inception_weights_path(weights_path)
    base = keras.applications.InceptionV3(weights=None, include_top=True)
    not_inception = (
        f"{path} is not an InceptionV3 weights file with the classification top "
        f"({INCEPTION_WEIGHTS_FILE}, not the *_notop variant)"
    )
    kernels = [v for v in base.weights if v.path.endswith("kernel")]
    initial = [np.array(v.numpy()) for v in kernels]
    try:
        base.load_weights(str(path))
    except (ValueError, KeyError, OSError) as error:
        raise ConfigError(f"{not_inception}: {error}") from error
    # Keras may skip parts of a file with a warning; never evaluate with random kernels.
    unset = [v.path for v, w in zip(kernels, initial) if np.array_equal(v.numpy(), w)]
    if unset:
        raise ConfigError(f"{not_inception}: {len(unset)} kernels were not loaded, e.g. {unset[0]}")
    logging.info("InceptionV3 weights loaded from %s", path)
    model = keras.Model(base.inputs, [base.get_layer("avg_pool").output, base.output])
    return InceptionFeatures(model, batch_size=batch_size)


def build_classifier(
    input_shape: tuple[int, int, int],
    num_classes: int,
    feature_dim: int = 128,
    seed: int = 0,
) -> keras.Model:
    """A small conv classifier: stride-2 convs down to ≤ 4×4 → flatten → ``features`` → softmax.

    3×3 convs with stride 2 and 32, 64, then 128 filters (at least two, more until
    the map is at most 4×4), each followed by LeakyReLU 0.2. The ``features``
    layer (ReLU, ``feature_dim`` units) is the embedding for the Fréchet
    classifier distance; the output layer ``probs`` gives the classifier score.
    """

    def init(i: int) -> keras.initializers.Initializer:
        return keras.initializers.GlorotUniform(seed=seed * 100 + i)

    inputs = keras.Input(input_shape, name="images")
    x = inputs
    size, i = max(input_shape[0], input_shape[1]), 0
    while i < 2 or size > 4:
        x = keras.layers.Conv2D(
            min(32 * 2**i, 128),
            3,
            strides=2,
            padding="same",
            kernel_initializer=init(i),
            name=f"conv{i}",
        )(x)
        x = keras.layers.LeakyReLU(0.2, name=f"lrelu{i}")(x)
        size, i = (size + 1) // 2, i + 1
    x = keras.layers.Flatten(name="flatten")(x)
    features = keras.layers.Dense(feature_dim, activation="relu", kernel_initializer=init(i), name="features")(x)
    logits = keras.layers.Dense(num_classes, kernel_initializer=init(i + 1), name="logits")(features)
    probs = keras.layers.Softmax(name="probs")(logits)
    return keras.Model(inputs, probs, name="classifier")


class ClassifierFeatures:
    """An in-project classifier used as a feature network: images → (features, probs).

    Create it empty and :meth:`fit` it on labelled images in [-1, 1], or
    :meth:`load` a saved ``.keras`` file. Inputs of another size or channel count
    than the training images are resized (bilinear) / converted (luma or repeat).
    """

    def __init__(self, model: keras.Model | None = None, batch_size: int = 256) -> None:
        self.batch_size = batch_size
        self._model: keras.Model | None = None
        self._features: keras.Model | None = None
        if model is not None:
            self._set_model(model)

    def _set_model(self, model: keras.Model) -> None:
        self._model = model
        self._features = keras.Model(model.inputs, [model.get_layer("features").output, model.output])

    @property
    def model(self) -> keras.Model:
        """The trained Keras classifier (images → probabilities)."""
        if self._model is None:
            raise ConfigError("the classifier is not trained: call fit() or load() first")
        return self._model

    def fit(
        self,
        images: Any,
        labels: Any,
        epochs: int = 20,
        seed: int = 0,
        batch_size: int = 64,
        learning_rate: float = 1e-3,
    ) -> list[float]:
        """Trains a fresh :func:`build_classifier` network; returns the per-epoch losses.

        Args:
          images: ``[n, h, w, c]`` floats in [-1, 1].
          labels: ``[n]`` integer class ids (0..classes−1).
          epochs: passes over the data, each in a ``seed``-determined shuffled order.
          seed: seeds the weight initialisation and the shuffling.
        """
        x = np.asarray(images, dtype=np.float32)
        y = np.asarray(labels).astype(np.int64).ravel()
        if x.ndim != 4 or x.shape[0] != y.shape[0] or x.shape[0] == 0:
            raise DataError(f"need images [n, h, w, c] and labels [n], got {x.shape} and {y.shape}")
        model = build_classifier(x.shape[1:], int(y.max()) + 1, seed=seed)
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate),
            loss=keras.losses.SparseCategoricalCrossentropy(),
        )
        # An op-level seed makes the per-epoch shuffling order reproducible.
        dataset = (
            tf.data.Dataset.from_tensor_slices((x, y))
            .shuffle(x.shape[0], seed=seed, reshuffle_each_iteration=True)
            .batch(batch_size)
        )
        history = model.fit(dataset, epochs=epochs, shuffle=False, verbose=0)
        losses = [float(v) for v in history.history["loss"]]
        self._set_model(model)
        return losses

    def _forward(self, images: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        # Eager on purpose: the network is small (tf.function measured only ~20 %
        # faster) and a traced function per classifier instance triggers retracing.
        height, width, channels = self.model.input_shape[1:]
        x = _match_channels(tf.cast(images, tf.float32), channels)
        if x.shape[1] != height or x.shape[2] != width:
            x = tf.image.resize(x, (height, width), method="bilinear")
        features, probs = self._features(x, training=False)
        return features, probs

    def __call__(self, images: Any) -> tuple[np.ndarray, np.ndarray]:
        """Features ``[n, feature_dim]`` and class probabilities ``[n, classes]`` of ``images``."""
        self.model  # noqa: B018 - raises a clear error when untrained
        features, probs = _batched(self._forward, images, self.batch_size)
        return features, probs

    def accuracy(self, images: Any, labels: Any) -> float:
        """Fraction of ``images`` whose most probable class is ``labels``."""
        _, probs = self(images)
        return float(np.mean(np.argmax(probs, axis=1) == np.asarray(labels).ravel()))

    def save(self, path: str | os.PathLike[str]) -> None:
        """Saves the classifier as a ``.keras`` file."""
        path = Path(path)
        if path.suffix != ".keras":
            raise ConfigError(f"classifier files end in .keras, got {path}")
        path.parent.mkdir(parents=True, exist_ok=True)
        self.model.save(path)

    @classmethod
    def load(cls, path: str | os.PathLike[str], batch_size: int = 256) -> ClassifierFeatures:
        """Loads a classifier saved by :meth:`save` (``safe_mode=True``: no code is deserialised)."""
        if not Path(path).is_file():
            raise ConfigError(f"no classifier file at {path}")
        model = keras.models.load_model(path, compile=False, safe_mode=True)
        return cls(model, batch_size=batch_size)


def digits_arrays(image_size: int = 32, channels: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """sklearn's 1797 digits as images in [-1, 1] ``[n, size, size, channels]`` and labels.

    Preprocessed like the ``digits`` data source: 8×8 values /16, bilinear resize,
    quantised to uint8 levels, then mapped to [-1, 1].
    """
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = (bunch.images / 16.0).astype(np.float32)[..., None]
    if image_size != x.shape[1]:
        x = tf.image.resize(x, (image_size, image_size), method="bilinear", antialias=True).numpy()
    if channels == 3:
        x = np.repeat(x, 3, axis=-1)
    x = np.clip(np.round(x * 255.0), 0, 255) / 127.5 - 1.0
    return x.astype(np.float32), bunch.target.astype(np.int64)


def digits_classifier(
    cache_dir: str | os.PathLike[str],
    image_size: int = 32,
    channels: int = 1,
    epochs: int = 20,
    seed: int = 0,
) -> ClassifierFeatures:
    """The digits classifier from ``cache_dir``, trained (and saved there) if not cached.

    Trains on a stratified 80 % of sklearn's digits and logs the accuracy on the
    held-out 20 % via absl logging. The file name records size, channels, epochs
    and seed, so different settings never reuse each other's model.
    """
    from sklearn.model_selection import train_test_split

    path = Path(cache_dir) / f"digits_classifier_{image_size}px_{channels}c_{epochs}ep_seed{seed}.keras"
    if path.is_file():
        logging.info("loading digits classifier from %s", path)
        return ClassifierFeatures.load(path)
    images, labels = digits_arrays(image_size, channels)
    x_train, x_test, y_train, y_test = train_test_split(
        images, labels, test_size=0.2, random_state=seed, stratify=labels
    )
    classifier = ClassifierFeatures()
    classifier.fit(x_train, y_train, epochs=epochs, seed=seed)
    accuracy = classifier.accuracy(x_test, y_test)
    logging.info("digits classifier: held-out accuracy %.4f on %d images", accuracy, len(y_test))
    classifier.save(path)
    logging.info("saved digits classifier to %s", path)
    return classifier
