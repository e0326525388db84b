"""Rain ranges drawn per image (thickness, blur, second-layer probability) and blind noise σ ranges."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from tfgan_apps import configs
from tfgan_apps.data import degradations as deg
from tfgan_apps.errors import ConfigError

SEED = tf.constant([7, 11], tf.int64)


def black(batch: int, size: int = 64) -> tf.Tensor:
    return tf.fill([batch, size, size, 1], -1.0)


def lit_fraction(out: np.ndarray) -> np.ndarray:
    """Per image: the fraction of pixels a streak touched."""
    return np.mean(out > -1.0 + 1e-3, axis=(1, 2, 3))


def test_fixed_values_match_a_degenerate_range():
    x = black(3)
    fixed = deg.rain(density=0.005, thickness=2.0, blur=0.7)(x, SEED).numpy()
    pair = deg.rain(density=0.005, thickness=(2.0, 2.0), blur=(0.7, 0.7))(x, SEED).numpy()
    np.testing.assert_array_equal(fixed, pair)


def test_thickness_range_draws_per_image_between_its_ends():
    x = black(16)
    thin = lit_fraction(deg.rain(density=0.003, angle=90.0, length=12.0, blur=0.0, thickness=1.0)(x, SEED).numpy())
    thick = lit_fraction(deg.rain(density=0.003, angle=90.0, length=12.0, blur=0.0, thickness=4.0)(x, SEED).numpy())
    drawn = lit_fraction(deg.rain(density=0.003, angle=90.0, length=12.0, blur=0.0,
                                  thickness=(1.0, 4.0))(x, SEED).numpy())
    assert thick.mean() > 2 * thin.mean()
    assert thin.min() * 0.9 <= drawn.min() and drawn.max() <= thick.max() * 1.1
    assert drawn.std() > 0.3 * (thick.mean() - thin.mean()) / 2  # spread over the range, not one value


def test_blur_range_blurs_some_images_more_than_others():
    x = black(16)
    spec = dict(density=0.003, angle=90.0, length=12.0, thickness=1.0)
    sharp = deg.rain(**spec, blur=0.0)(x, SEED).numpy()
    drawn = deg.rain(**spec, blur=(0.0, 3.0))(x, SEED).numpy()
    # Blur spreads the same streaks over more pixels at lower peaks; σ drawn per image gives a spread of peaks.
    peaks = drawn.max(axis=(1, 2, 3))
    assert peaks.min() < sharp.max(axis=(1, 2, 3)).min() - 0.1
    assert peaks.max() - peaks.min() > 0.1
    assert np.all(drawn >= -1.0 - 1e-6) and np.all(drawn <= 1.0 + 1e-6)


def test_second_layer_probability_adds_it_to_that_share_of_images():
    x = black(64)
    spec = dict(density=0.004, angle=90.0, length=10.0, thickness=1.0, blur=0.0, alpha=1.0)
    none = deg.rain(**spec, second_layer=False)(x, SEED).numpy()
    every = deg.rain(**spec, second_layer=True)(x, SEED).numpy()
    half = deg.rain(**spec, second_layer=0.5)(x, SEED).numpy()
    np.testing.assert_array_equal(deg.rain(**spec, second_layer=1.0)(x, SEED).numpy(), every)
    np.testing.assert_array_equal(deg.rain(**spec, second_layer=0.0)(x, SEED).numpy(), none)
    with_layer = np.array([np.allclose(h, e) and not np.allclose(h, n) for h, e, n in zip(half, every, none)])
    without = np.array([np.allclose(h, n) for h, n in zip(half, none)])
    assert np.all(with_layer | without)  # each image has both layers or only the first
    assert 0.25 < with_layer.mean() < 0.75


@pytest.mark.parametrize("kwargs", [{"thickness": (2.0, 1.0)}, {"thickness": 0.0}, {"blur": (-1.0, 1.0)},
                                    {"second_layer": 1.5}, {"second_layer": "yes"}])
def test_bad_rain_ranges_are_config_errors(kwargs):
    with pytest.raises(ConfigError):
        deg.rain(**kwargs)


def test_blind_noise_sigma_spans_the_dncnn_b_range():
    flat = tf.zeros([256, 16, 16, 1])
    out = deg.gaussian_noise(sigma_range=(0.0, 55.0))(flat, SEED).numpy()
    sigmas = out.std(axis=(1, 2, 3)) * 255.0 / 2.0
    assert sigmas.min() < 5.0 and sigmas.max() > 50.0 and np.all(sigmas < 60.0)


def test_recipes_train_over_wide_ranges():
    rain = configs.load("derain_photos").data.degradation.to_dict()
    assert rain["angle"][0] <= 45 and rain["angle"][1] >= 135
    for key in ("density", "length", "thickness", "blur"):
        assert rain[key][1] > rain[key][0], key
    assert configs.load("denoise_photos").data.degradation.sigma_range == (0.0, 55.0)
    x = tf.zeros([4, 64, 64, 3])
    assert deg.build_degradation(rain)(x, SEED).shape == x.shape
