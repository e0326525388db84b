"""Exactness tests for KID (polynomial MMD²) and Gaussian-kernel MMD²."""

import numpy as np
import pytest
from scipy.spatial.distance import pdist

from tfgan_apps.metrics import kernel, pairwise


def _naive_unbiased_mmd2(x, y, k) -> float:
    m, n = len(x), len(y)
    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(n)) / (m * n)
    return xx + yy - 2 * xy


def test_polynomial_mmd2_matches_definition():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((9, 5)), rng.standard_normal((7, 5)) + 0.3
    expected = _naive_unbiased_mmd2(x, y, lambda a, b: (a @ b / 5 + 1) ** 3)
    assert kernel.polynomial_mmd2(x, y) == pytest.approx(expected, rel=1e-12)


def test_kid_uses_whole_sets_when_small():
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((30, 4)), rng.standard_normal((30, 4)) + 1.0
    mean, std = kernel.kernel_inception_distance(x, y, subsets=3, subset_size=1000)
    assert mean == pytest.approx(kernel.polynomial_mmd2(x, y), rel=1e-12)
    assert std == pytest.approx(0.0, abs=1e-12)  # every subset is the whole set


def test_kid_near_zero_for_one_distribution_and_positive_for_shift():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((1500, 512)).astype(np.float32)
    y = rng.standard_normal((1500, 512)).astype(np.float32)
    mean, std = kernel.kernel_inception_distance(x, y, subsets=5, subset_size=1000)
    assert abs(mean) < 1e-3
    assert std > 0
    shifted, _ = kernel.kernel_inception_distance(x, y + 0.5, subsets=5, subset_size=1000)
    assert shifted > 0.05


def test_kid_is_seeded():
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((100, 8)), rng.standard_normal((120, 8))
    a = kernel.kernel_inception_distance(x, y, subsets=4, subset_size=50, seed=7)
    b = kernel.kernel_inception_distance(x, y, subsets=4, subset_size=50, seed=7)
    assert a == b


def test_gaussian_mmd_matches_definition_with_blocks(monkeypatch):
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal((11, 3)), rng.standard_normal((8, 3)) + 0.5
    sigma = 1.3
    expected = _naive_unbiased_mmd2(x, y, lambda a, b: np.exp(-np.sum((a - b) ** 2) / (2 * sigma**2)))
    assert kernel.mmd(x, y, sigma=sigma) == pytest.approx(expected, rel=1e-10)
    monkeypatch.setattr(pairwise, "BUDGET_BYTES", 3 * 8 * 11)  # 3 rows per block
    assert kernel.mmd(x, y, sigma=sigma) == pytest.approx(expected, rel=1e-10)


def test_median_heuristic_is_median_pairwise_distance():
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((20, 3)), rng.standard_normal((15, 3))
    expected = np.median(pdist(np.concatenate([x, y])))
    assert kernel.median_heuristic(x, y) == pytest.approx(expected, rel=1e-10)


def test_gaussian_mmd_near_zero_for_one_distribution_and_positive_for_shift():
    rng = np.random.default_rng(6)
    x, y = rng.standard_normal((2000, 2)), rng.standard_normal((2000, 2))
    assert abs(kernel.mmd(x, y)) < 1e-3
    assert kernel.mmd(x, y + 1.0) > 0.05
