"""Exactness tests for the empirical 1-Wasserstein distance."""

import numpy as np
import pytest
import scipy.stats

from tfgan_apps.metrics import wasserstein


def test_shifted_point_set_is_shift_length():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((200, 3))
    v = np.array([0.3, -1.2, 2.0])
    fake = (x + v)[rng.permutation(200)]
    assert wasserstein.wasserstein_distance(x, fake) == pytest.approx(np.linalg.norm(v), rel=1e-9)


def test_one_dimensional_matches_scipy():
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal(300), rng.exponential(size=300)
    expected = scipy.stats.wasserstein_distance(x, y)
    assert wasserstein.wasserstein_distance(x, y) == pytest.approx(expected, rel=1e-9)


def test_subsamples_both_sets_to_max_points():
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((500, 2)), rng.standard_normal((400, 2)) + 1.0
    pick = np.random.default_rng(3)
    xs = x[pick.choice(500, 100, replace=False)]
    ys = y[pick.choice(400, 100, replace=False)]
    got = wasserstein.wasserstein_distance(x, y, max_points=100, seed=3)
    assert got == pytest.approx(wasserstein.wasserstein_distance(xs, ys), rel=1e-12)
