"""Exactness tests for 1-NN accuracy and precision/recall/density/coverage."""

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from tfgan_apps.metrics import nearest, pairwise


def _reference_one_nn(x, y) -> float:
    z = np.concatenate([x, y])
    labels = np.r_[np.ones(len(x)), np.zeros(len(y))]
    d = cdist(z, z)
    np.fill_diagonal(d, np.inf)
    return float(np.mean(labels[d.argmin(1)] == labels))


def _reference_prdc(x, y, pr_k, dc_k) -> dict:
    """Brute-force formulas of Kynkäänniemi et al. / Naeem et al. (closed balls)."""

    def radii(a, k):
        d = cdist(a, a)
        np.fill_diagonal(d, np.inf)
        return np.sort(d, axis=1)[:, k - 1]

    d = cdist(x, y)  # real × fake
    r_pr, r_dc, f_pr = radii(x, pr_k), radii(x, dc_k), radii(y, pr_k)
    return {
        "precision": np.mean((d <= r_pr[:, None]).any(0)),
        "recall": np.mean((d <= f_pr[None, :]).any(1)),
        "density": np.mean((d <= r_dc[:, None]).sum(0)) / dc_k,
        "coverage": np.mean(d.min(1) <= r_dc),
    }


@pytest.fixture
def small_blocks(monkeypatch):
    monkeypatch.setattr(pairwise, "BUDGET_BYTES", 7 * 8 * 60)  # a handful of rows per block


def test_one_nn_matches_brute_force(small_blocks):
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((40, 3)), rng.standard_normal((35, 3)) * 1.3 + 0.4
    assert nearest.one_nn_accuracy(x, y) == _reference_one_nn(x, y)


def test_one_nn_half_for_one_distribution_one_for_disjoint():
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((1000, 2)), rng.standard_normal((1000, 2))
    assert nearest.one_nn_accuracy(x, y) == pytest.approx(0.5, abs=0.05)
    assert nearest.one_nn_accuracy(x, y + 100.0) == 1.0


def test_prdc_matches_brute_force(small_blocks):
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((60, 4)), rng.standard_normal((50, 4)) + 0.7
    got = nearest.prdc(x, y, pr_k=3, dc_k=5)
    expected = _reference_prdc(x, y, 3, 5)
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, abs=1e-12), key


def test_prdc_identical_sets():
    x = np.random.default_rng(3).standard_normal((400, 8))
    got = nearest.prdc(x, x.copy(), pr_k=3, dc_k=5)
    assert got["precision"] == 1.0 and got["recall"] == 1.0 and got["coverage"] == 1.0
    # Each point lies in its own ball and in the balls of the k points it is a
    # neighbour of on average: density = (k + 1) / k.
    assert got["density"] == pytest.approx(6 / 5, abs=1e-12)


def test_prdc_one_distribution_and_disjoint():
    rng = np.random.default_rng(4)
    x, y = rng.standard_normal((3000, 2)), rng.standard_normal((3000, 2))
    same = nearest.prdc(x, y)
    assert same["precision"] > 0.9 and same["recall"] > 0.9
    assert same["density"] == pytest.approx(1.0, abs=0.05)
    assert same["coverage"] > 0.9
    apart = nearest.prdc(x, y + 100.0)
    assert apart == {"precision": 0.0, "recall": 0.0, "density": 0.0, "coverage": 0.0}


def test_wrappers_agree_with_prdc():
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((80, 3)), rng.standard_normal((70, 3)) + 0.2
    p, r = nearest.precision_recall(x, y, k=3)
    d, c = nearest.density_coverage(x, y, k=5)
    both = nearest.prdc(x, y, pr_k=3, dc_k=5)
    assert (p, r, d, c) == (
        both["precision"],
        both["recall"],
        both["density"],
        both["coverage"],
    )
