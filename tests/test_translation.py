"""Tests of the translation degradations (grayscale, night, mask) and metrics/baselines (metrics/translation.py)."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from tfgan_apps.data import degradations as deg
from tfgan_apps.errors import ConfigError, DataError
from tfgan_apps.metrics import translation as tr

SEED = tf.constant([4, 2], tf.int64)


def _images(batch: int = 3, height: int = 32, width: int = 40) -> tf.Tensor:
    rng = np.random.default_rng(0)
    return tf.constant(rng.uniform(-1, 1, (batch, height, width, 3)).astype(np.float32))


def test_grayscale_is_bt601_luma():
    x = _images()
    y = deg.build_degradation("grayscale")(x, SEED).numpy()
    luma = 0.299 * x[..., 0] + 0.587 * x[..., 1] + 0.114 * x[..., 2]
    assert y.shape == x.shape
    for c in range(3):
        np.testing.assert_allclose(y[..., c], luma, atol=1e-6)
    assert deg.grayscale(keep_channels=False)(x, SEED).shape == (3, 32, 40, 1)
    assert tr.colourfulness(tr.to_unit(y)) < 1e-6


def test_night_is_darker_bluer_noisy_seeded_and_in_range():
    x = tf.fill([2, 24, 24, 3], 0.4)  # a flat light grey
    fn = deg.build_degradation({"type": "night", "brightness": 0.3, "gamma": 1.5, "blue_shift": 0.2, "noise": 5.0})
    y = fn(x, SEED).numpy()
    assert y.shape == (2, 24, 24, 3) and y.min() >= -1.0 and y.max() <= 1.0
    y01 = (y + 1) / 2
    expected = 0.3 * 0.7**1.5  # brightness · x^gamma on [0, 1]
    np.testing.assert_allclose(y01[..., 1].mean(), expected * 0.9, atol=0.01)
    assert y01[..., 2].mean() > y01[..., 1].mean() > y01[..., 0].mean()
    assert 3.0 / 255 < y01[..., 1].std() < 10.0 / 255
    np.testing.assert_array_equal(fn(x, SEED), y)
    assert not np.array_equal(fn(x, SEED + 1), y)
    with pytest.raises(ConfigError, match="night gamma"):
        deg.night(gamma=-1.0)


@pytest.mark.parametrize("shape", ["rectangles", "strokes", "mixed"])
def test_mask_carries_its_channel_and_the_hole_fraction(shape):
    x = _images(batch=4)
    fn = deg.build_degradation({"type": "mask", "shape": shape, "hole_fraction": 0.25, "fill": 0.0})
    y = fn(x, SEED).numpy()
    assert y.shape == (4, 32, 40, 4)
    holed, hole = deg.split_mask(y)
    assert set(np.unique(hole)) <= {0.0, 1.0}
    np.testing.assert_allclose(hole.mean(axis=(1, 2, 3)), 0.25, atol=0.02)
    np.testing.assert_array_equal(holed[hole[..., 0] == 1], 0.0)  # holes filled
    known = hole[..., 0] == 0
    np.testing.assert_array_equal(holed[known], x.numpy()[known])  # known pixels untouched
    np.testing.assert_array_equal(deg.composite(tf.ones_like(holed), holed, hole).numpy()[hole[..., 0] == 1], 1.0)
    assert not np.array_equal(fn(x, SEED + 1), y)
    assert deg.mask(with_mask=False)(x, SEED).shape == x.shape


def test_mask_fraction_range_and_errors():
    y = deg.mask(hole_fraction=(0.1, 0.4))(_images(batch=8), SEED).numpy()
    fractions = y[..., -1].mean(axis=(1, 2))
    assert fractions.min() >= 0.09 and fractions.max() <= 0.41 and fractions.std() > 0.01
    with pytest.raises(ConfigError, match="unknown mask shape"):
        deg.mask(shape="circles")
    with pytest.raises(ConfigError, match="hole_fraction"):
        deg.mask(hole_fraction=1.5)


def test_colourfulness_closed_form():
    # Pure red (255, 0, 0) on half of the image, black elsewhere: rg ∈ {255, 0}, yb ∈ {127.5, 0}.
    img = np.zeros((4, 4, 3))
    img[:2, :, 0] = 1.0
    rg, yb = np.array([255.0] * 8 + [0.0] * 8), np.array([127.5] * 8 + [0.0] * 8)
    expected = np.sqrt(rg.var() + yb.var()) + 0.3 * np.sqrt(rg.mean() ** 2 + yb.mean() ** 2)
    assert tr.colourfulness(img) == pytest.approx(expected)
    with pytest.raises(DataError, match="RGB"):
        tr.colourfulness(np.zeros((4, 4, 1)))


def test_hole_metrics_ignore_known_pixels():
    rng = np.random.default_rng(1)
    truth = rng.uniform(0, 1, (2, 24, 24, 3))
    mask = np.zeros((2, 24, 24))
    mask[:, 8:16, 8:16] = 1
    guess = truth.copy()
    guess[mask == 1] += 0.1  # error 0.1 inside the hole only
    assert tr.hole_psnr(guess, truth, mask) == pytest.approx(20.0)
    worse_outside = guess.copy()
    worse_outside[mask == 0] = 0.0
    assert tr.hole_psnr(worse_outside, truth, mask) == pytest.approx(20.0)
    assert tr.hole_ssim(truth, truth, mask) == pytest.approx(1.0)
    assert tr.hole_ssim(guess, truth, mask) < 1.0
    with pytest.raises(DataError, match="no hole pixels"):
        tr.hole_psnr(guess, truth, np.zeros((2, 24, 24)))


def test_masked_l1_value_and_no_gradient_on_known_pixels():
    target = tf.zeros([2, 8, 8, 3])
    mask = np.zeros([2, 8, 8, 1], np.float32)
    mask[:, :4] = 1.0
    fake = tf.Variable(tf.fill([2, 8, 8, 3], 0.5))
    with tf.GradientTape() as tape:
        loss = tr.masked_l1(fake, target, tf.constant(mask))
        total = tf.reduce_sum(loss)
    np.testing.assert_allclose(loss.numpy(), [0.5, 0.5])
    grad = tape.gradient(total, fake).numpy()
    assert np.all(grad[:, 4:] == 0.0) and np.all(grad[:, :4] > 0.0)


def test_baselines():
    rng = np.random.default_rng(2)
    smooth = np.tile(np.linspace(0.2, 0.8, 32)[None, :, None], (32, 1, 3))[None]
    specks = smooth.copy()
    specks[0, rng.integers(0, 32, 30), rng.integers(0, 32, 30)] = 1.0  # isolated bright pixels, like rain specks
    assert tr.psnr_ssim(tr.median_filter(specks), smooth)[0] > tr.psnr_ssim(specks, smooth)[0] + 5
    dark = tr.to_unit(deg.night(noise=0.0)(tf.constant(smooth * 2 - 1, tf.float32), SEED).numpy())
    for baseline in (tr.auto_gamma, tr.equalize):
        out = baseline(dark)
        assert out.shape == dark.shape and 0 <= out.min() and out.max() <= 1
    assert tr.psnr_ssim(tr.auto_gamma(dark), smooth)[0] > tr.psnr_ssim(dark, smooth)[0] + 3
    mask = np.zeros((1, 32, 32))
    mask[0, 10:20, 12:22] = 1
    holed = smooth * (1 - mask[..., None])
    biharmonic = tr.inpaint_biharmonic(holed, mask)
    mean = tr.mean_fill(holed, mask)
    np.testing.assert_array_equal(mean[mask == 0], holed[mask == 0])
    assert tr.hole_psnr(biharmonic, smooth, mask) > tr.hole_psnr(mean, smooth, mask) > tr.hole_psnr(holed, smooth, mask)


def test_raw_kid_separates_distributions():
    rng = np.random.default_rng(3)
    a, b = rng.uniform(0, 1, (60, 16, 16, 3)), rng.uniform(0, 1, (60, 16, 16, 3))
    assert abs(tr.raw_kid(a, b, subset_size=50)) < tr.raw_kid(a, b * 0.3, subset_size=50)


def test_mask_channel_reaches_the_batch_input_of_the_paired_pipeline():
    from tfgan_apps.data import make_dataset
    from tfgan_apps.data.source import ArraySource

    images = np.random.default_rng(4).integers(0, 255, (4, 16, 16, 3), np.uint8)
    source = ArraySource("a", "image", images)
    batch = next(iter(make_dataset(source, 4, degradation=deg.mask(hole_fraction=0.2))))
    assert batch["input"].shape == (4, 16, 16, 4) and batch["x"].shape == (4, 16, 16, 3)
    holed, hole = deg.split_mask(batch["input"].numpy())
    assert 0.15 < hole.mean() < 0.25
    known = hole[..., 0] == 0
    np.testing.assert_array_equal(holed[known], batch["x"].numpy()[known])
    # A masked L1 between the target and a guess that is wrong only on the known pixels is zero.
    guess = np.where(hole == 1, batch["x"].numpy(), 0.7)
    np.testing.assert_allclose(tr.masked_l1(guess, batch["x"], hole).numpy(), 0.0, atol=1e-7)
