"""Exactness tests for mode coverage on the ring and grid mixtures."""

import math

import numpy as np
import pytest

from tfgan_apps.metrics import modes


def test_ring_and_grid_centers():
    ring = modes.ring_centers(8, 1.0)
    i = np.arange(8)
    np.testing.assert_allclose(ring, np.stack([np.cos(2 * np.pi * i / 8), np.sin(2 * np.pi * i / 8)], 1))
    grid = modes.grid_centers(5, 2.0)
    assert grid.shape == (25, 2)
    assert sorted(set(grid[:, 0])) == [-4.0, -2.0, 0.0, 2.0, 4.0]
    assert {tuple(p) for p in grid} == {(a, b) for a in range(-4, 5, 2) for b in range(-4, 5, 2)}


@pytest.mark.parametrize("centers", [modes.ring_centers(), modes.grid_centers()])
def test_exact_centers_cover_everything(centers):
    samples = np.repeat(centers, 3, axis=0)
    result = modes.mode_coverage(samples, centers, std=0.05)
    assert result == {"modes": len(centers), "high_quality": 1.0, "reverse_kl": 0.0}


def test_half_the_modes():
    centers = modes.ring_centers(8)
    rng = np.random.default_rng(0)
    samples = np.repeat(centers[:4], 50, axis=0) + rng.normal(scale=0.01, size=(200, 2))
    result = modes.mode_coverage(samples, centers, std=0.01, threshold=10.0)
    assert result["modes"] == 4
    assert result["high_quality"] == 1.0
    assert result["reverse_kl"] == pytest.approx(math.log(2), rel=1e-12)


def test_high_quality_fraction_and_uneven_histogram():
    centers = modes.grid_centers()
    far = np.full((4, 2), 100.0)
    samples = np.concatenate([np.repeat(centers[:1], 3, axis=0), centers[1:2], far])
    result = modes.mode_coverage(samples, centers, std=0.05)
    assert result["modes"] == 2
    assert result["high_quality"] == 0.5
    expected = 0.75 * math.log(0.75 * 25) + 0.25 * math.log(0.25 * 25)
    assert result["reverse_kl"] == pytest.approx(expected, rel=1e-12)


def test_threshold_is_in_standard_deviations():
    centers = modes.ring_centers()
    just_inside = centers[:1] + np.array([[0.0299, 0.0]])
    just_outside = centers[:1] + np.array([[0.0301, 0.0]])
    assert modes.mode_coverage(just_inside, centers, std=0.01)["high_quality"] == 1.0
    assert modes.mode_coverage(just_outside, centers, std=0.01)["high_quality"] == 0.0


def test_no_high_quality_samples():
    result = modes.mode_coverage(np.full((5, 2), 50.0), modes.ring_centers(), std=0.01)
    assert result["modes"] == 0 and result["high_quality"] == 0.0
    assert math.isnan(result["reverse_kl"])
