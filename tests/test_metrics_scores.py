"""Exactness tests for the Inception score and the MODE score."""

import numpy as np
import pytest

from tfgan_apps.errors import DataError
from tfgan_apps.metrics import scores


def _one_hot_evenly(n: int, k: int) -> np.ndarray:
    return np.eye(k)[np.arange(n) % k]


def test_uniform_predictions_score_one():
    mean, std = scores.inception_score(np.full((100, 10), 0.1), splits=10)
    assert mean == pytest.approx(1.0, abs=1e-12)
    assert std == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("k", [2, 10])
def test_confident_even_predictions_score_k(k):
    mean, std = scores.inception_score(_one_hot_evenly(100 * k, k), splits=10)
    assert mean == pytest.approx(k, rel=1e-12)
    assert std == pytest.approx(0.0, abs=1e-12)


def test_matches_formula_on_random_probs():
    p = np.random.default_rng(0).dirichlet(np.ones(5) * 0.5, size=64)
    marginal = p.mean(0)
    expected = np.exp(np.mean(np.sum(p * (np.log(p) - np.log(marginal)), axis=1)))
    assert scores.inception_score(p, splits=1)[0] == pytest.approx(expected, rel=1e-12)


def test_mode_score_equals_is_when_marginals_match():
    p = np.random.default_rng(1).dirichlet(np.ones(4), size=200)
    real = p[np.random.default_rng(2).permutation(200)]  # same marginal
    assert scores.mode_score(p, real, splits=1)[0] == pytest.approx(scores.inception_score(p, splits=1)[0], rel=1e-12)


def test_mode_score_penalises_collapse_to_one_class():
    k = 8
    fake = np.tile(np.eye(k)[0], (80, 1))  # every sample confidently class 0
    real = _one_hot_evenly(80, k)
    # IS = 1 (no diversity); KL(p(y) ‖ p*) = log k  →  exp(0 − log k) = 1/k.
    assert scores.mode_score(fake, real, splits=4)[0] == pytest.approx(1.0 / k, rel=1e-12)
    assert scores.mode_score(real, real, splits=1)[0] == pytest.approx(k, rel=1e-12)


def test_logits_are_rejected():
    with pytest.raises(DataError, match="softmax"):
        scores.inception_score(np.random.default_rng(3).standard_normal((10, 3)), splits=2)
