"""Paired restoration data: name matching, aligned crops, clear errors, held-out images split by image."""

from __future__ import annotations

import os

import ml_collections
import numpy as np
import pytest
import tensorflow as tf

from tfgan_apps.config import base_config
from tfgan_apps.data import load_source, make_dataset
from tfgan_apps.data.degradations import build_degradation
from tfgan_apps.data.paired import check_held_out, held_out_pairs, validation_crops
from tfgan_apps.errors import ConfigError, DataError


def _write(path: str, pixels: np.ndarray) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tf.io.write_file(path, tf.io.encode_png(pixels))


def _upsample(x: np.ndarray, s: int) -> np.ndarray:
    return np.repeat(np.repeat(x, s, axis=-3), s, axis=-2)


@pytest.fixture
def folders(tmp_path):
    """Inputs of two sizes (one in a subfolder) and targets that are their ×2 nearest upsamplings."""
    rng = np.random.default_rng(0)
    root_in, root_tg = str(tmp_path / "in"), str(tmp_path / "target")
    for name, shape in (("a", (20, 24)), (os.path.join("sub", "b"), (18, 30))):
        pixels = rng.integers(0, 256, (*shape, 3), dtype=np.uint8)
        _write(os.path.join(root_in, name + ".png"), pixels)
        _write(os.path.join(root_tg, name + ".png"), _upsample(pixels, 2))
    return root_in, root_tg


def _config(source: str, image_size: int = 8, scale: int = 2) -> ml_collections.ConfigDict:
    c = base_config()
    c.data.source = source
    c.data.image_size = image_size
    c.data.channels = 3
    c.data.scale = scale
    return c.data


def test_crops_are_aligned_pairs_and_the_pipeline_does_not_degrade_them_again(folders):
    source = load_source(_config(f"paired_folder:{folders[0]},{folders[1]}"))
    assert source.shape == (16, 16, 3) and source.info["input_shape"] == (8, 8, 3) and source.info["pairs"] == 2
    noise = build_degradation({"type": "gaussian_noise", "sigma": 50})
    batch = next(iter(make_dataset(source, 32, seed=1, degradation=noise)))
    x, y = batch["x"].numpy(), batch["input"].numpy()
    assert x.shape == (32, 16, 16, 3) and y.shape == (32, 8, 8, 3)
    # Same place, same flip: every target crop is exactly its input crop upsampled (and no noise was added).
    np.testing.assert_array_equal(x, _upsample(y, 2))
    assert len({v.tobytes() for v in y}) > 20  # crops differ
    again = next(iter(make_dataset(source, 32, seed=1)))
    np.testing.assert_array_equal(again["input"].numpy(), y)


@pytest.mark.parametrize(
    "damage, error, message",
    [
        ("drop_target", DataError, "in/a.png' has no target partner named a.*"),
        ("extra_target", DataError, "target/c.png' has no input partner"),
        ("wrong_size", DataError, "size mismatch: target"),
        ("one_dir", ConfigError, "paired_folder:INPUT_DIR,TARGET_DIR"),
        ("small", DataError, "smaller than the 64 px crop"),
    ],
)
def test_unusable_pairs_raise_errors_that_name_the_file(folders, damage, error, message):
    root_in, root_tg = folders
    size = 8
    if damage == "drop_target":
        os.remove(os.path.join(root_tg, "a.png"))
    elif damage == "extra_target":
        _write(os.path.join(root_tg, "c.png"), np.zeros((8, 8, 3), np.uint8))
    elif damage == "wrong_size":
        _write(os.path.join(root_tg, "a.png"), np.zeros((40, 47, 3), np.uint8))
    elif damage == "small":
        size = 64
    spec = f"paired_folder:{root_in}" if damage == "one_dir" else f"paired_folder:{root_in},{root_tg}"
    with pytest.raises(error) as info:
        load_source(_config(spec, image_size=size))
    assert message in str(info.value)
    if damage == "wrong_size":
        assert "a.png" in str(info.value) and "40×47" in str(info.value)


def test_held_out_photos_must_not_be_training_photos():
    cfg = _config("photos", 16, 1)
    cfg.photos = ("chelsea", "coins")
    cfg.eval_photos = ("coins",)
    with pytest.raises(ConfigError, match="coins are also training photos"):
        check_held_out(cfg)
    cfg.eval_photos = ("cat",)  # scikit-image's cat *is* chelsea
    with pytest.raises(ConfigError, match="'cat' is the same picture as training photo 'chelsea'"):
        check_held_out(cfg)


def test_held_out_pairs_are_fixed_centre_crops_degraded_with_a_fixed_seed():
    cfg = _config("photos", 16, 4)
    cfg.photos = ("coins",)
    cfg.eval_photos = ("camera", "clock")
    cfg.eval_crop = 64
    sr = build_degradation({"type": "downsample", "scale": 4})
    pairs = held_out_pairs(cfg, sr, scale=4)
    assert [p[0] for p in pairs] == ["camera", "clock"]
    assert all(p[1].shape == (16, 16, 3) and p[2].shape == (64, 64, 3) for p in pairs)
    noise = build_degradation({"type": "gaussian_noise", "sigma": 25})
    first, second = held_out_pairs(cfg, noise), held_out_pairs(cfg, noise)
    np.testing.assert_array_equal(first[0][1], second[0][1])
    assert not np.array_equal(first[0][1], first[0][2])  # degraded
    assert not np.array_equal(first[0][1] - first[0][2], first[1][1] - first[1][2])  # each image its own noise
    cfg.eval_crop = 0  # the full photo (clock is 300×400)
    assert held_out_pairs(cfg, noise)[1][2].shape == (300, 400, 3)
    crops = validation_crops(cfg, load_source(cfg), noise, 3)
    np.testing.assert_array_equal(crops[0], validation_crops(cfg, load_source(cfg), noise, 3)[0])
    assert crops[0].shape == crops[1].shape == (3, 16, 16, 3)
