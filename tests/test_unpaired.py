"""Tests of the unpaired translation data (tfgan_apps/data/unpaired.py): independent domains, resume, sources."""

from __future__ import annotations

import os

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from tests.conftest import tiny_config
from tfgan_apps.data import load_source, make_dataset
from tfgan_apps.data.degradations import night
from tfgan_apps.data.source import ArraySource
from tfgan_apps.data.unpaired import UnpairedSource, held_out_translation
from tfgan_apps.errors import ConfigError


def _indexed(n: int) -> ArraySource:
    """n constant 2×2 images whose pixel value is their index (so a batch reveals which examples it holds)."""
    array = (np.arange(n, dtype=np.uint8)[:, None, None, None] * np.ones((1, 2, 2, 1), np.uint8))
    return ArraySource(f"indexed{n}", "image", array)


def _ids(images: tf.Tensor) -> np.ndarray:
    return np.round((images.numpy()[:, 0, 0, 0] + 1.0) * 127.5).astype(int)


def _epochs(source: UnpairedSource, batches: int, batch: int = 5, **kwargs) -> tuple[np.ndarray, np.ndarray]:
    a, b = [], []
    for x in make_dataset(source, batch, **kwargs).take(batches):
        a.append(_ids(x["a"]))
        b.append(_ids(x["b"]))
    return np.concatenate(a), np.concatenate(b)


def test_domains_are_shuffled_independently_even_for_identical_sources():
    # Same images in both domains: any shared shuffle would pair example i with example i.
    n = 10
    a, b = _epochs(UnpairedSource("u", _indexed(n), _indexed(n)), batches=80, seed=3)
    for epoch in range(len(a) // n):  # every epoch is a permutation in each domain
        assert sorted(a[epoch * n:(epoch + 1) * n]) == list(range(n))
        assert sorted(b[epoch * n:(epoch + 1) * n]) == list(range(n))
    assert not np.array_equal(a[:n], b[:n])
    assert np.mean(a == b) < 0.25  # independent permutations: 1/n expected
    partners = [len(set(b[a == i])) for i in range(n)]
    assert min(partners) >= 5  # every A example meets many B examples over 40 epochs
    # The domains' orders are uncorrelated (a shared or reversed order would give ±1).
    assert abs(np.corrcoef(a, b)[0, 1]) < 0.2


def test_unpaired_batches_resume_exactly_and_depend_on_the_seed():
    source = UnpairedSource("u", _indexed(7), _indexed(4))  # different sizes: epochs end at different steps
    a, b = _epochs(source, batches=6, batch=3, seed=1)
    a2, b2 = _epochs(source, batches=2, batch=3, seed=1, start_step=4)
    np.testing.assert_array_equal(a[12:], a2)
    np.testing.assert_array_equal(b[12:], b2)
    a3, _ = _epochs(source, batches=6, batch=3, seed=2)
    assert not np.array_equal(a, a3)


def test_domain_degradation_applies_to_its_domain_only():
    rng = np.random.default_rng(0)
    images = rng.integers(60, 255, (6, 8, 8, 3), np.uint8)
    clean = ArraySource("c", "image", images)
    source = UnpairedSource("u", clean, ArraySource("c2", "image", images), degradation_b=night())
    batch = next(iter(make_dataset(source, 6, seed=0)))
    a, b = batch["a"].numpy(), batch["b"].numpy()
    originals = images.astype(np.float32) / 127.5 - 1.0
    # A's images are exactly the originals (in some order); B's are darker and bluer.
    assert sorted(np.round(a.mean(axis=(1, 2, 3)), 5)) == sorted(np.round(originals.mean(axis=(1, 2, 3)), 5))
    assert b.mean() < a.mean() - 0.5
    assert b[..., 2].mean() > b[..., 0].mean()


def test_unpaired_spec_of_two_sources_and_errors():
    cfg = tiny_config(data__source="unpaired:digits|lfw").data
    source = load_source(cfg)
    assert source.shape == (16, 16, 1) and source.size is None
    assert source.info["domains"] == ("digits", "lfw") and source.info["domain_sizes"][0] == 1797
    batch = next(iter(make_dataset(source, 4)))
    assert set(batch) == {"a", "b", "x"} and batch["a"].shape == batch["b"].shape == (4, 16, 16, 1)
    np.testing.assert_array_equal(batch["x"], batch["a"])
    for bad in ("unpaired:digits", "unpaired:digits|", "unpaired:digits|unpaired:lfw|digits"):
        with pytest.raises(ConfigError, match="unpaired"):
            load_source(tiny_config(data__source=bad).data)
    with pytest.raises(ConfigError, match="degradation_b"):
        load_source(tiny_config(data__source="unpaired:digits|lfw", data__degradation="grayscale").data)


def test_unpaired_folder(tmp_path):
    rng = np.random.default_rng(0)
    for domain, count in (("horses", 3), ("zebras", 2)):
        os.makedirs(tmp_path / domain)
        for i in range(count):
            Image.fromarray(rng.integers(0, 255, (20, 24, 3), np.uint8)).save(tmp_path / domain / f"{i}.png")
    cfg = tiny_config(data__source=f"unpaired_folder:{tmp_path}/horses,{tmp_path}/zebras", data__channels=3).data
    source = load_source(cfg)
    assert source.info["domain_sizes"] == (3, 2)
    with pytest.raises(ConfigError, match="A_DIR,B_DIR"):
        load_source(tiny_config(data__source=f"unpaired_folder:{tmp_path}/horses").data)


def test_cycle_gan_tfds_with_mock_data():
    import tensorflow_datasets as tfds

    with tfds.testing.mock_data(num_examples=6, policy=tfds.testing.MockPolicy.USE_CODE):
        source = load_source(tiny_config(data__source="cycle_gan:horse2zebra", data__channels=3).data)
        test = load_source(tiny_config(data__source="cycle_gan:horse2zebra:test", data__channels=3).data)
    assert source.info["domains"] == ("tfds:cycle_gan/horse2zebra:trainA", "tfds:cycle_gan/horse2zebra:trainB")
    assert test.info["domains"][1] == "tfds:cycle_gan/horse2zebra:testB"
    batch = next(iter(make_dataset(source, 4)))
    assert batch["a"].shape == (4, 16, 16, 3) and -1.0 <= float(tf.reduce_min(batch["b"]))
    with pytest.raises(ConfigError, match="train\\|test"):
        load_source(tiny_config(data__source="cycle_gan:horse2zebra:val").data)


def test_held_out_translation_pairs_and_overlap_check():
    cfg = tiny_config(data__source="unpaired:photos:astronaut|photos:coins", data__channels=3,
                      data__degradation_b={"type": "night"}).data
    cfg.eval_photos = ("camera",)
    cfg.eval_crop = 32
    cfg.eval_seed = 5
    [(name, degraded, truth)] = held_out_translation(cfg)
    assert name == "camera" and degraded.shape == truth.shape == (32, 32, 3)
    assert degraded.mean() < truth.mean()
    np.testing.assert_allclose(held_out_translation(cfg)[0][1], degraded)  # fixed seed
    cfg.eval_photos = ("coins",)
    with pytest.raises(ConfigError, match="coins.*training photos"):
        held_out_translation(cfg)
