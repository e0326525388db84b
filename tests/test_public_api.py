"""The keras-io way (README "Use it from Python"): networks in, image tensors to ``fit``, ``.keras`` files out."""

from __future__ import annotations

import os
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfgan_apps as tg
from tests.conftest import ROOT


def small_nets(latent_dim: int = 8) -> tuple[keras.Model, keras.Model]:
    """Unbuilt networks for 8×8×1 images (no input shapes: the GAN builds them on the first batch)."""
    generator = keras.Sequential([
        keras.layers.Dense(4 * 4 * 8, activation="relu"),
        keras.layers.Reshape((4, 4, 8)),
        keras.layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="tanh"),
    ], name="g")
    discriminator = keras.Sequential([
        keras.layers.Conv2D(8, 4, strides=2, padding="same"),
        keras.layers.LeakyReLU(0.2),
        keras.layers.Flatten(),
        keras.layers.Dense(1),
    ], name="d")
    return generator, discriminator


def images(n: int = 64) -> np.ndarray:
    return np.tanh(np.random.default_rng(0).normal(size=(n, 8, 8, 1))).astype("float32")


def test_readme_snippet_trains_saves_loads_and_exports(tmp_path):
    my_g, my_d = small_nets()
    images_dataset = tf.data.Dataset.from_tensor_slices(images()).batch(16)
    # --- the README code, verbatim apart from sizes and paths
    gan = tg.GAN(generator=my_g, discriminator=my_d, latent_dim=8, loss="hinge", penalties={"r1": 10.0})
    gan.compile(d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
                g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5))
    gan.fit(images_dataset, epochs=2, callbacks=[tg.callbacks.SampleGrid(logdir=str(tmp_path / "logs"), every=4)])
    gan.save(str(tmp_path / "gan.keras"))
    loaded = keras.saving.load_model(str(tmp_path / "gan.keras"))
    tg.export.save_generator(gan, str(tmp_path / "export/generator"))
    # --- checks
    assert int(gan.step.numpy()) == 8
    np.testing.assert_allclose(loaded.generate(4, seed=3).numpy(), gan.generate(4, seed=3).numpy(), atol=1e-6)
    assert type(loaded) is tg.GAN and loaded.penalty_weights == {"r1": 10.0} and loaded.adversarial.name == "hinge"
    assert any(name.startswith("events") for name in os.listdir(tmp_path / "logs"))
    served = tf.saved_model.load(str(tmp_path / "export/generator")).signatures["serving_default"]
    z = tf.random.stateless_normal([2, 8], seed=[1, 2])
    expected = np.clip(np.round((gan.generator(z).numpy() + 1) * 127.5), 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(served(z=z)["samples"].numpy(), expected)


@pytest.mark.parametrize("data", ["tensors", "tuples", "dicts", "numpy"])
def test_fit_takes_image_tensors_tuples_dicts_and_arrays(data):
    x = images(32)
    y = np.arange(32) % 10
    datasets = {
        "tensors": tf.data.Dataset.from_tensor_slices(x).batch(16),
        "tuples": tf.data.Dataset.from_tensor_slices((x, y)).batch(16),
        "dicts": tf.data.Dataset.from_tensor_slices({"x": x}).batch(16),
        "numpy": x,
    }
    gan = tg.GAN(*small_nets(), latent_dim=8)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3))
    before = [w.numpy() for w in gan.generator.weights]
    kwargs = {"batch_size": 16} if data == "numpy" else {}
    history = gan.fit(datasets[data], epochs=1, verbose=0, **kwargs)
    assert np.isfinite(history.history["d_loss"]).all()
    assert all(not np.allclose(a, b.numpy()) for a, b in zip(before, gan.generator.weights))


def test_a_custom_loss_object_needs_no_registry_entry():
    from tfgan_apps.losses import AdversarialLoss, least_squares_discriminator_loss, least_squares_generator_loss
    from tfgan_apps.registry import LOSSES

    mine = AdversarialLoss("my_lsgan", least_squares_discriminator_loss, least_squares_generator_loss)
    gan = tg.GAN(*small_nets(), latent_dim=8, loss=mine)
    assert gan.adversarial is mine and "my_lsgan" not in LOSSES.names()
    with pytest.raises(TypeError, match="loss must be a name"):
        tg.GAN(*small_nets(), latent_dim=8, loss=3)


def test_ema_copy_survives_the_keras_file(tmp_path):
    gan = tg.GAN(*small_nets(), latent_dim=8, stabilizers={"ema": True, "ema_decay": 0.5})
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-2), g_optimizer=keras.optimizers.Adam(1e-2))
    gan.fit(images(32), batch_size=16, epochs=1, verbose=0)
    assert gan.inference_generator is not gan.generator
    gan.save(str(tmp_path / "ema.keras"))
    loaded = keras.saving.load_model(str(tmp_path / "ema.keras"))
    np.testing.assert_allclose(loaded.generate(3).numpy(), gan.generate(3).numpy(), atol=1e-6)


def test_keras_file_loads_in_a_fresh_process_with_safe_mode(tmp_path):
    gan = tg.GAN(*small_nets(), latent_dim=8)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3))
    gan.fit(images(16), batch_size=16, epochs=1, verbose=0)
    path = str(tmp_path / "gan.keras")
    gan.save(path)
    np.save(tmp_path / "expected.npy", gan.generate(2, seed=5).numpy())
    expected = str(tmp_path / "expected.npy")
    code = (f"import keras, numpy as np, tfgan_apps; m = keras.saving.load_model({path!r}, safe_mode=True); "
            f"np.testing.assert_allclose(m.generate(2, seed=5).numpy(), np.load({expected!r}), atol=1e-6)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300,
                            env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
    assert result.returncode == 0, result.stderr[-3000:]
