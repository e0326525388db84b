"""Every model class saves to a ``.keras`` file and loads back (``safe_mode`` on) with the same weights and samples."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.test_template import RECIPES, tiny
from tfgan_apps import evaluation, models
from tfgan_apps.data import load_source
from tfgan_apps.errors import ConfigError

SAMPLED = ("gan", "infogan", "began", "ebgan", "cgan", "acgan", "sgan", "bigan", "aae", "pggan", "ganomaly")


def _perturbed(model: keras.Model, seed: int = 0) -> None:
    """Sets every variable of the model's networks to new values, so a loaded copy cannot match by re-initialising."""
    rng = np.random.default_rng(seed)
    for w in model.weights:
        if w.dtype in ("float32", "float16", "bfloat16") and "ema" not in w.path:
            w.assign(np.asarray(w.numpy() + rng.normal(0.0, 0.01, w.shape), dtype=w.dtype))


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_model_round_trips_through_a_keras_file(name, tmp_path):
    config = tiny(name)
    model = models.build(config, load_source(config.data))
    _perturbed(model)
    path = str(tmp_path / f"{name}.keras")
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert type(loaded) is type(model)
    assert loaded.get_config().keys() == model.get_config().keys()
    assert len(loaded.weights) == len(model.weights)
    for a, b in zip(model.weights, loaded.weights, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=a.path)
    if name == "pix2pix":  # restores like the trained model: same data settings, same outputs
        assert (loaded.scale, loaded.masked, loaded.mask_fill) == (model.scale, model.masked, model.mask_fill)
        clean = tf.random.stateless_uniform((2, 16, 16, 3), seed=(1, 2), minval=-1.0, maxval=1.0)
        degraded = loaded.degradation(clean, tf.constant([3, 4]))  # the degradation came back with the file
        np.testing.assert_allclose(model.restore(degraded), loaded.restore(degraded), atol=1e-6)
    if name == "sgan":  # the labelled subset travels in the file as indices
        np.testing.assert_array_equal(loaded.labelled_mask, model.labelled_mask)
    if name in SAMPLED:
        before = evaluation.generate_samples(model, 6, seed=3, progress=False)
        after = evaluation.generate_samples(loaded, 6, seed=3, progress=False)
        np.testing.assert_allclose(before, after, atol=1e-6)


def test_inpainting_model_keeps_its_mask_settings_in_the_keras_file(tmp_path, monkeypatch):
    monkeypatch.setitem(RECIPES, "pix2pix", "inpaint_photos")
    config = tiny("pix2pix")
    model = models.build(config, load_source(config.data))
    path = str(tmp_path / "inpaint.keras")
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert loaded.masked and loaded.mask_fill == "pyramid" == model.mask_fill
    clean = tf.random.stateless_uniform((2, 16, 16, 3), seed=(1, 2), minval=-1.0, maxval=1.0)
    holed = loaded.degradation(clean, tf.constant([3, 4]))
    assert holed.shape[-1] == 4  # the hole mask rides along as the last channel
    np.testing.assert_allclose(model.restore(holed), loaded.restore(holed), atol=1e-6)


def test_a_vgg_perceptual_model_refuses_the_keras_file_in_one_line(tmp_path):
    config = tiny("pix2pix")
    model = models.build(config, load_source(config.data))
    model.uses_vgg = True  # as built with model.vgg_weights: the VGG weights live outside the model
    with pytest.raises(ConfigError, match=r"^a pix2pix model with the VGG perceptual term cannot be saved as a "
                                          r"\.keras file .*use the checkpoint or export/restorer$"):
        model.save(str(tmp_path / "vgg.keras"))
