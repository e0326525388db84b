"""Exactness tests for the Fréchet distance (FID core)."""

import numpy as np
import pytest
import scipy.linalg

from tfgan_apps.errors import DataError
from tfgan_apps.metrics import frechet


def _random_spd(rng: np.random.Generator, d: int) -> np.ndarray:
    a = rng.standard_normal((d, d))
    return a @ a.T / d + 0.1 * np.eye(d)


def _closed_form(mu1, s1, mu2, s2) -> float:
    """‖μ1−μ2‖² + Tr(Σ1 + Σ2 − 2(Σ1^½ Σ2 Σ1^½)^½) with scipy's sqrtm."""
    root1 = scipy.linalg.sqrtm(s1).real
    cross = scipy.linalg.sqrtm(root1 @ s2 @ root1).real
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1 + s2 - 2.0 * cross))


def _pytorch_fid_reference(x: np.ndarray, y: np.ndarray) -> float:
    """The plain numpy + sqrtm(Σ1 Σ2) computation of pytorch-fid."""
    mu1, mu2 = x.mean(0), y.mean(0)
    s1, s2 = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    covmean = scipy.linalg.sqrtm(s1 @ s2).real
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


@pytest.mark.parametrize("method", ["auto", "cholesky", "eigh"])
def test_known_gaussians_match_closed_form(method):
    rng = np.random.default_rng(0)
    d = 24
    mu1, mu2 = rng.standard_normal(d), rng.standard_normal(d)
    s1, s2 = _random_spd(rng, d), _random_spd(rng, d)
    got = frechet.frechet_distance_from_moments(mu1, s1, mu2, s2, method=method)
    assert got == pytest.approx(_closed_form(mu1, s1, mu2, s2), rel=1e-6)


def test_diagonal_gaussians_exact_value():
    # Σ1 = diag(a), Σ2 = diag(b): trace term is Σ sqrt(a b), so d² = ‖Δμ‖² + Σ (√a − √b)².
    a, b = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 0.25])
    mu1, mu2 = np.zeros(3), np.array([1.0, 2.0, 2.0])
    expected = 9.0 + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    got = frechet.frechet_distance_from_moments(mu1, np.diag(a), mu2, np.diag(b))
    assert got == pytest.approx(expected, rel=1e-12)


def test_matches_sqrtm_reference_on_random_activations():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((400, 32))
    y = 0.8 * rng.standard_normal((300, 32)) @ rng.standard_normal((32, 32)) * 0.3 + 0.2
    ref = _pytorch_fid_reference(x, y)
    for method in ("auto", "eigh"):
        assert frechet.frechet_distance(x, y, method=method) == pytest.approx(ref, rel=1e-6)


def test_rank_deficient_covariance_falls_back_to_eigh():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((20, 32))  # fewer samples than dimensions: Σ1 is singular
    y = rng.standard_normal((50, 32)) + 0.5
    with pytest.raises(np.linalg.LinAlgError):
        frechet.frechet_distance(x, y, method="cholesky")
    auto = frechet.frechet_distance(x, y)
    assert auto == pytest.approx(frechet.frechet_distance(x, y, method="eigh"), rel=1e-12)
    mu1, s1 = frechet.activation_moments(x)
    mu2, s2 = frechet.activation_moments(y)
    assert auto == pytest.approx(_closed_form(mu1, s1, mu2, s2), rel=1e-6)


def test_identical_sets_give_zero():
    x = np.random.default_rng(3).standard_normal((500, 64)).astype(np.float32)
    assert abs(frechet.frechet_distance(x, x)) < 1e-6
    assert abs(frechet.frechet_distance(x, x.copy(), method="eigh")) < 1e-6


def test_symmetric():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((300, 16))
    y = rng.standard_normal((200, 16)) * 1.5 + 1.0
    assert frechet.frechet_distance(x, y) == pytest.approx(frechet.frechet_distance(y, x), rel=1e-9)


def test_moments_match_numpy():
    x = np.random.default_rng(5).standard_normal((50, 7)).astype(np.float32)
    mu, sigma = frechet.activation_moments(x)
    np.testing.assert_allclose(mu, x.astype(np.float64).mean(0), rtol=1e-12)
    np.testing.assert_allclose(sigma, np.cov(x.astype(np.float64), rowvar=False), rtol=1e-10)


def test_bad_shapes_raise():
    with pytest.raises(DataError):
        frechet.frechet_distance(np.zeros((10, 3)), np.zeros((10, 4)))
    with pytest.raises(DataError):
        frechet.frechet_distance(np.zeros((1, 3)), np.zeros((10, 3)))
