"""Tests of the seeded restoration degradations (noise, rain, downsampling, composition)."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from tfgan_apps.data import degradations as deg
from tfgan_apps.errors import ConfigError
from tfgan_apps.registry import DEGRADATIONS

SEED_A = tf.constant([1, 2], tf.int64)
SEED_B = tf.constant([3, 4], tf.int64)


def _images(batch: int = 2, size: int = 32, channels: int = 3) -> tf.Tensor:
    rng = np.random.default_rng(0)
    return tf.constant(
        rng.uniform(-1, 1, (batch, size, size, channels)).astype(np.float32)
    )


@pytest.mark.parametrize(
    "spec",
    [
        {"type": "gaussian_noise", "sigma": 25.0},
        {
            "type": "gaussian_noise",
            "sigma_range": (0.0, 55.0),
            "poisson": True,
            "jpeg_quality": (20, 80),
        },
        "rain",
        "rain_heavy",
        [{"type": "rain", "density": 0.02}, {"type": "gaussian_noise", "sigma": 5.0}],
    ],
)
def test_same_seed_same_result_different_seed_different(spec):
    fn = deg.build_degradation(spec)
    x = _images()
    a, b, c = fn(x, SEED_A), fn(x, SEED_A), fn(x, SEED_B)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert np.abs(a.numpy() - c.numpy()).max() > 1e-3


def test_registered_names():
    for name in (
        "gaussian_noise",
        "rain",
        "rain_light",
        "rain_heavy",
        "downsample",
        "compose",
    ):
        assert name in DEGRADATIONS


def test_noise_std_matches_sigma_on_flat_grey():
    grey = tf.zeros([2, 64, 64, 3])  # 0 in [-1, 1] = mid grey
    out = deg.gaussian_noise(sigma=25.0)(grey, SEED_A).numpy()
    expected = 2 * 25.0 / 255.0
    assert abs(out.std() / expected - 1) < 0.05
    assert abs(out.mean()) < 0.05 * expected


def test_blind_noise_draws_sigma_per_image_within_range():
    grey = tf.zeros([8, 32, 32, 1])
    out = deg.gaussian_noise(sigma_range=(10.0, 50.0))(grey, SEED_A).numpy()
    stds = out.reshape(8, -1).std(axis=1) * 255 / 2
    assert stds.min() > 10 * 0.9 and stds.max() < 50 * 1.1
    assert stds.max() - stds.min() > 5  # not one σ for every image


def test_jpeg_output_in_range_and_single_image_input():
    x = _images(1)[0]  # [H, W, C] also accepted
    out = deg.gaussian_noise(sigma=10.0, jpeg_quality=30)(x, SEED_A)
    assert out.shape == x.shape
    assert -1.0 <= out.numpy().min() and out.numpy().max() <= 1.0


def test_works_in_tf_data_with_seed_from_index():
    fn = deg.build_degradation({"type": "rain", "angle": (0.0, 180.0)})
    clean = _images(1)[0]
    ds = tf.data.Dataset.range(3).map(
        lambda i: deg.make_pair(clean, fn, tf.stack([i, tf.constant(7, tf.int64)]))
    )
    pairs = list(ds.as_numpy_iterator())
    again = list(ds.as_numpy_iterator())
    for (noisy, target), (noisy2, _) in zip(pairs, again):
        np.testing.assert_array_equal(noisy, noisy2)
        np.testing.assert_array_equal(target, clean.numpy())
    assert not np.array_equal(pairs[0][0], pairs[1][0])


def test_rain_only_brightens():
    x = _images(4)
    out = deg.build_degradation("rain_heavy")(x, SEED_A).numpy()
    assert (out >= x.numpy()).all()
    assert out.max() <= 1.0


def test_rain_density_monotonic():
    x = tf.fill([2, 64, 64, 1], -0.5)
    fractions = []
    for density in (0.001, 0.005, 0.02):
        out = deg.rain(density=density, alpha=1.0)(x, SEED_A).numpy()
        fractions.append(np.mean(out > x.numpy() + 1e-4))
    assert fractions[0] < fractions[1] < fractions[2]


def test_rain_angle_sets_streak_direction():
    x = tf.fill([2, 64, 64, 1], -1.0)

    def gradient_energy(angle: float) -> tuple[float, float]:
        out = deg.rain(density=0.005, angle=angle, length=15.0, alpha=1.0)(
            x, SEED_A
        ).numpy()[..., 0]
        along_x = np.square(np.diff(out, axis=2)).sum()  # changes between columns
        along_y = np.square(np.diff(out, axis=1)).sum()  # changes between rows
        return along_x, along_y

    gx, gy = gradient_energy(0.0)  # horizontal streaks: rows change, columns barely
    assert gy > 3 * gx
    gx, gy = gradient_energy(90.0)  # vertical streaks
    assert gx > 3 * gy


def test_downsample_shape_and_matches_tf_resize():
    x = _images(2, size=24)
    for scale in (2, 3, 4):
        out = deg.downsample(scale)(x, SEED_A)
        assert out.shape == (2, 24 // scale, 24 // scale, 3)
        ref = tf.clip_by_value(
            tf.image.resize(
                x, (24 // scale, 24 // scale), method="bicubic", antialias=True
            ),
            -1,
            1,
        )
        np.testing.assert_allclose(out.numpy(), ref.numpy(), atol=1e-6)


def test_downsample_rejects_non_divisible_size():
    with pytest.raises(ConfigError, match="divisible"):
        deg.downsample(3)(_images(1, size=32), SEED_A)


def test_compose_applies_in_sequence():
    fn = deg.build_degradation(
        [{"type": "downsample", "scale": 2}, {"type": "gaussian_noise", "sigma": 5.0}]
    )
    out = fn(_images(2, size=32), SEED_A)
    assert out.shape == (2, 16, 16, 3)


def test_build_degradation_does_not_mutate_spec():
    spec = {"type": "gaussian_noise", "sigma": 15.0}
    deg.build_degradation(spec)
    assert spec == {"type": "gaussian_noise", "sigma": 15.0}
    nested = {"type": "compose", "stages": [{"type": "downsample", "scale": 2}]}
    deg.build_degradation(nested)
    assert nested == {"type": "compose", "stages": [{"type": "downsample", "scale": 2}]}


def test_unknown_name_and_option_raise_config_error():
    with pytest.raises(ConfigError, match="gaussian_noise"):
        deg.build_degradation({"type": "snow"})
    with pytest.raises(ConfigError, match="sigma"):
        deg.build_degradation({"type": "gaussian_noise", "sigmaa": 3})
    with pytest.raises(ConfigError):
        deg.build_degradation({"sigma": 3})
