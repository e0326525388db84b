"""Feature networks: Inception weight-file plumbing and the in-project digits classifier."""

import h5py
import keras
import numpy as np
import pytest
from keras.src.legacy.saving import legacy_h5_format

from tfgan_apps.errors import ConfigError, DataError
from tfgan_apps.metrics import features


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.delenv(features.INCEPTION_WEIGHTS_ENV, raising=False)
    return tmp_path


def test_missing_inception_weights_say_where_to_put_them(keras_home, tmp_path, monkeypatch):
    cache = keras_home / "models" / features.INCEPTION_WEIGHTS_FILE
    with pytest.raises(ConfigError) as error:
        features.inception_features()
    message = str(error.value)
    assert str(cache) in message
    assert features.INCEPTION_WEIGHTS_ENV in message
    assert "InceptionV3(weights='imagenet')" in message

    missing = tmp_path / "nowhere.h5"
    with pytest.raises(ConfigError, match="nowhere.h5"):
        features.inception_features(str(missing))
    monkeypatch.setenv(features.INCEPTION_WEIGHTS_ENV, str(missing))
    with pytest.raises(ConfigError, match=features.INCEPTION_WEIGHTS_ENV):
        features.inception_features()


def test_inception_loads_weights_from_keras_cache(keras_home):
    # Random weights written in the legacy HDF5 layout of the real ImageNet file.
    source = keras.applications.InceptionV3(weights=None, include_top=True)
    cache = keras_home / "models" / features.INCEPTION_WEIGHTS_FILE
    cache.parent.mkdir(parents=True)
    with h5py.File(cache, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, source)

    net = features.inception_features()
    np.testing.assert_array_equal(
        net.model.get_layer("predictions").get_weights()[0],
        source.get_layer("predictions").get_weights()[0],
    )
    images = np.random.default_rng(0).uniform(-1, 1, size=(3, 40, 40, 1)).astype(np.float32)
    pool3, probs = net(images)
    assert pool3.shape == (3, 2048) and probs.shape == (3, 1000)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)


def test_inception_rejects_a_file_of_another_network(tmp_path, keras_home):
    other = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    path = tmp_path / "other.weights.h5"
    other.save_weights(path)
    with pytest.raises(ConfigError, match="not an InceptionV3 weights file"):
        features.inception_features(str(path))


def test_inception_never_keeps_random_kernels(tmp_path, keras_home, monkeypatch):
    path = tmp_path / "silently_ignored.h5"
    path.write_bytes(b"")
    monkeypatch.setattr(keras.Model, "load_weights", lambda self, filepath: None)
    with pytest.raises(ConfigError, match="kernels were not loaded"):
        features.inception_features(str(path))


def test_batched_pads_the_last_batch_to_one_shape():
    shapes = []

    def fn(batch):
        shapes.append(tuple(batch.shape))
        return (batch[:, 0, 0, :],)

    x = np.linspace(-1, 1, 5 * 2 * 2).reshape(5, 2, 2, 1).astype(np.float32)
    (out,) = features._batched(fn, x, 2, pad_last=True)
    assert shapes == [(2, 2, 2, 1)] * 3
    np.testing.assert_array_equal(out, x[:, 0, 0, :])


def test_untrained_classifier_raises():
    with pytest.raises(ConfigError, match="fit"):
        features.ClassifierFeatures()(np.zeros((1, 8, 8, 1), np.float32))


def test_classifier_rejects_uint8_range_images():
    classifier = features.ClassifierFeatures(features.build_classifier((8, 8, 1), 10))
    with pytest.raises(DataError, match=r"\[-1, 1\]"):
        classifier(np.full((2, 8, 8, 1), 255.0, np.float32))


def test_digits_classifier_trains_caches_and_reloads(tmp_path, monkeypatch):
    images, labels = features.digits_arrays(image_size=8)
    assert images.shape == (1797, 8, 8, 1) and images.min() >= -1 and images.max() <= 1

    classifier = features.digits_classifier(tmp_path, image_size=8, epochs=10)
    assert classifier.accuracy(images, labels) > 0.9
    saved = list(tmp_path.glob("*.keras"))
    assert len(saved) == 1

    def no_training(*args, **kwargs):
        raise AssertionError("a cached classifier must not be retrained")

    monkeypatch.setattr(features.ClassifierFeatures, "fit", no_training)
    reloaded = features.digits_classifier(tmp_path, image_size=8, epochs=10)
    feats, probs = classifier(images[:50])
    feats2, probs2 = reloaded(images[:50])
    assert feats.shape == (50, 128) and probs.shape == (50, 10)
    np.testing.assert_allclose(feats2, feats, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(probs2, probs, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)

    # Other sizes and RGB inputs are resized / converted to what the network expects.
    rgb16 = np.repeat(features.digits_arrays(image_size=16)[0][:5], 3, axis=-1)
    feats16, probs16 = reloaded(rgb16)
    assert feats16.shape == (5, 128) and probs16.shape == (5, 10)
