"""Fréchet distance between Gaussians fitted to two sets of activations (FID, FCD).

The squared Fréchet (2-Wasserstein) distance between N(μ1, Σ1) and N(μ2, Σ2) is

    d² = ‖μ1 − μ2‖² + Tr(Σ1) + Tr(Σ2) − 2 Tr((Σ1^½ Σ2 Σ1^½)^½),

the value pytorch-fid and TF-GAN report as FID (covariances with the unbiased
``n − 1`` normaliser). Applied to Inception pool3 activations it is FID; applied to
the in-project classifier's features it is the "Fréchet classifier distance".

The trace term is computed exactly from symmetric eigenproblems instead of a
general matrix square root (``scipy.linalg.sqrtm`` of the non-symmetric Σ1 Σ2,
which needs a complex Schur decomposition). The eigenvalues of Σ1^½ Σ2 Σ1^½ are
those of Σ1 Σ2, and for any factor Σ1 = A Aᵀ also those of the symmetric PSD
matrix Aᵀ Σ2 A. With A the Cholesky factor L (when Σ1 is positive definite; Lᵀ Σ2 L
by two triangular BLAS products) or A = Σ1^½ from ``eigh`` (clipping tiny
negative eigenvalues; used when Σ1 is singular, e.g. fewer samples than
dimensions), one ``eigvalsh`` gives them all.
Measured on 2 CPU cores with 2048-d covariances, float64 numpy/LAPACK is ~6× faster
than ``tf.linalg`` for ``eigh`` and the Cholesky route ~2× faster than ``eigh``;
see ``benchmarks/metrics_speed.py`` for the end-to-end comparison with ``sqrtm``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.linalg import blas

from tfgan_apps.errors import DataError
from tfgan_apps.metrics import spec

_METHODS = ("auto", "cholesky", "eigh")


def activation_moments(acts: Any) -> tuple[np.ndarray, np.ndarray]:
    """Returns the float64 mean ``[d]`` and unbiased covariance ``[d, d]`` of ``acts [n, d]``."""
    x = spec.as_2d(acts, "activations")
    if x.shape[0] < 2:
        raise DataError(f"need at least 2 activations to estimate a covariance, got {x.shape[0]}")
    x = np.array(x, dtype=np.float64, copy=True)  # own copy: centred in place below
    mu = x.mean(axis=0)
    x -= mu
    sigma = x.T @ x  # numpy uses a symmetric rank-k update (syrk) for Xᵀ X
    sigma /= x.shape[0] - 1
    return mu, sigma


def _symmetric_sqrt(matrix: np.ndarray) -> np.ndarray:
    """Principal square root of a symmetric PSD matrix (negative eigenvalues clipped to 0)."""
    eigenvalues, eigenvectors = np.linalg.eigh(matrix)
    root = np.sqrt(np.clip(eigenvalues, 0.0, None))
    return (eigenvectors * root) @ eigenvectors.T


def trace_sqrt_product(sigma1: Any, sigma2: Any, method: str = "auto") -> float:
    """Returns Tr((Σ1^½ Σ2 Σ1^½)^½) = Tr(sqrtm(Σ1 Σ2)) for symmetric PSD Σ1, Σ2.

    Args:
      sigma1, sigma2: ``[d, d]`` covariance matrices.
      method: ``"cholesky"`` factors Σ1 = L Lᵀ (needs Σ1 positive definite);
        ``"eigh"`` uses Σ1^½ from a symmetric eigendecomposition (any PSD Σ1);
        ``"auto"`` tries Cholesky and falls back to ``eigh``.
    """
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
    s1 = np.asarray(sigma1, dtype=np.float64)
    s2 = np.asarray(sigma2, dtype=np.float64)
    if s1.ndim != 2 or s1.shape[0] != s1.shape[1] or s1.shape != s2.shape:
        raise DataError(f"covariances must be equal square matrices, got {s1.shape} and {s2.shape}")
    lower = None
    if method in ("auto", "cholesky"):
        try:
            lower = np.linalg.cholesky(s1)
        except np.linalg.LinAlgError:
            if method == "cholesky":
                raise
    if lower is not None:
        # Lᵀ Σ2 L with two triangular products (half the flops of general ones).
        lower = np.asfortranarray(lower)
        right = blas.dtrmm(1.0, lower, np.asfortranarray(s2), side=1, lower=1)  # Σ2 L
        sandwich = blas.dtrmm(1.0, lower, right, side=0, lower=1, trans_a=1, overwrite_b=1)
    else:
        root = _symmetric_sqrt(s1)
        sandwich = root @ s2 @ root
    sandwich = 0.5 * (sandwich + sandwich.T)  # remove round-off asymmetry
    eigenvalues = np.linalg.eigvalsh(sandwich)
    return float(np.sqrt(np.clip(eigenvalues, 0.0, None)).sum())


def frechet_distance_from_moments(mu1: Any, sigma1: Any, mu2: Any, sigma2: Any, method: str = "auto") -> float:
    """Squared Fréchet distance between N(mu1, sigma1) and N(mu2, sigma2).

    Use this when the moments of the real data are precomputed (e.g. cached
    dataset statistics). ``method`` is passed to :func:`trace_sqrt_product`.
    The result can be a tiny negative number (round-off) for identical moments.
    """
    mu1 = np.atleast_1d(np.asarray(mu1, dtype=np.float64))
    mu2 = np.atleast_1d(np.asarray(mu2, dtype=np.float64))
    s1 = np.atleast_2d(np.asarray(sigma1, dtype=np.float64))
    s2 = np.atleast_2d(np.asarray(sigma2, dtype=np.float64))
    if mu1.shape != mu2.shape or s1.shape != (mu1.shape[0],) * 2:
        raise DataError(f"moment shapes do not match: mu {mu1.shape}/{mu2.shape}, sigma {s1.shape}/{s2.shape}")
    diff = mu1 - mu2
    trace_sqrt = trace_sqrt_product(s1, s2, method=method)
    return float(diff @ diff + np.trace(s1) + np.trace(s2) - 2.0 * trace_sqrt)


def frechet_distance(real_acts: Any, fake_acts: Any, method: str = "auto") -> float:
    """Squared Fréchet distance between Gaussians fitted to ``real_acts`` and ``fake_acts``.

    Args:
      real_acts, fake_acts: activations ``[n, d]`` and ``[m, d]`` (any float dtype;
        computed in float64).
      method: see :func:`trace_sqrt_product`.

    Returns:
      FID when the activations are Inception pool3 features.
    """
    mu1, sigma1 = activation_moments(real_acts)
    mu2, sigma2 = activation_moments(fake_acts)
    return frechet_distance_from_moments(mu1, sigma1, mu2, sigma2, method=method)


@spec.register(
    "fid",
    needs="features",
    higher_is_better=False,
    description="Squared Fréchet distance between Gaussian fits of real and fake features.",
)
def _fid(real: Any, fake: Any) -> dict[str, float]:
    return {"fid": frechet_distance(real, fake)}
