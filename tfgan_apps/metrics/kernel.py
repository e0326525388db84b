"""Kernel two-sample distances: KID (polynomial-kernel MMD²) and Gaussian-kernel MMD².

Both are *unbiased* estimates of the squared maximum mean discrepancy

    MMD² = E k(x, x') + E k(y, y') − 2 E k(x, y),

with the diagonal terms k(x_i, x_i) left out of the within-set averages, so two
samples of one distribution give values scattered around 0 (possibly negative).

Gram matrices are computed in float32 when both inputs are float32 (activations
usually are; ~2× faster on CPU) and in float64 otherwise; kernel values are
summed in float64.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tfgan_apps.errors import DataError
from tfgan_apps.metrics import pairwise, spec


def _unbiased_mmd2_from_gram(k: np.ndarray, m: int) -> float:
    """Unbiased MMD² from the kernel matrix of ``[x; y]`` where x holds the first m rows."""
    n = k.shape[0] - m
    k = k.astype(np.float64, copy=False)
    kxx, kyy, kxy = k[:m, :m], k[m:, m:], k[:m, m:]
    sum_xx = kxx.sum() - np.trace(kxx)
    sum_yy = kyy.sum() - np.trace(kyy)
    return float(sum_xx / (m * (m - 1)) + sum_yy / (n * (n - 1)) - 2.0 * kxy.sum() / (m * n))


def polynomial_mmd2(x: Any, y: Any, degree: int = 3, gamma: float | None = None, coef0: float = 1.0) -> float:
    """Unbiased MMD² with the polynomial kernel k(a, b) = (γ aᵀb + coef0)^degree.

    ``gamma`` defaults to 1/d, which with degree 3 and coef0 1 is the KID kernel.
    Builds the full ``(n+m)²`` Gram matrix: call it on subsets (see
    :func:`kernel_inception_distance`) for large inputs.
    """
    x, y = pairwise.as_pair(x, y)
    if x.shape[0] < 2 or y.shape[0] < 2:
        raise DataError("need at least 2 samples per set for an unbiased MMD²")
    gamma = 1.0 / x.shape[1] if gamma is None else gamma
    z = np.concatenate([x, y])
    gram = z @ z.T
    gram *= gamma
    gram += coef0
    gram **= degree
    return _unbiased_mmd2_from_gram(gram, x.shape[0])


def kernel_inception_distance(
    real_acts: Any,
    fake_acts: Any,
    subsets: int = 100,
    subset_size: int = 1000,
    seed: int = 0,
) -> tuple[float, float]:
    """KID (Bińkowski et al. 2018): mean and std of unbiased polynomial MMD² over subsets.

    Each of ``subsets`` rounds draws ``min(subset_size, n)`` rows without replacement
    from each set (n = the smaller set size) and computes the unbiased MMD² with
    k(x, y) = (xᵀy / d + 1)³, as the authors' reference code does. The std is the
    population std (ddof 0) of the per-subset values.

    Returns:
      ``(mean, std)``; multiply by 1000 for the "KID × 10³" usually reported.
    """
    x, y = pairwise.as_pair(real_acts, fake_acts)
    n = min(x.shape[0], y.shape[0])
    m = min(subset_size, n)
    if m < 2:
        raise DataError("KID needs at least 2 samples in each set")
    rng = np.random.default_rng(seed)
    values = np.empty(subsets, dtype=np.float64)
    for i in range(subsets):
        xs = x[rng.choice(x.shape[0], m, replace=False)]
        ys = y[rng.choice(y.shape[0], m, replace=False)]
        values[i] = polynomial_mmd2(xs, ys)
    return float(values.mean()), float(values.std())


def _gaussian_kernel_sum(a: np.ndarray, b: np.ndarray, gamma: float, exclude_diagonal: bool) -> float:
    """Σ_ij exp(−γ‖a_i − b_j‖²) over memory-bounded row blocks (a is b when exclude_diagonal)."""
    total = 0.0
    for rows, d in pairwise.distance_blocks(a, b):
        np.multiply(d, -gamma, out=d)
        np.exp(d, out=d)
        if exclude_diagonal:
            d[np.arange(d.shape[0]), np.arange(rows.start, rows.stop)] = 0.0
        total += float(d.sum(dtype=np.float64))
    return total


def median_heuristic(x: Any, y: Any, max_points: int = 1000, seed: int = 0) -> float:
    """Median Euclidean distance between distinct points of the pooled sample x ∪ y.

    The Gaussian-kernel bandwidth of Gretton et al. (2012). At most ``max_points``
    pooled points (drawn with ``seed``) are used, which keeps it O(max_points²).
    """
    x, y = pairwise.as_pair(x, y)
    z = np.concatenate([x, y])
    if z.shape[0] > max_points:
        z = z[np.random.default_rng(seed).choice(z.shape[0], max_points, replace=False)]
    d = pairwise.squared_distances(z.astype(np.float64), z.astype(np.float64))
    upper = d[np.triu_indices(z.shape[0], k=1)]
    return float(np.sqrt(np.median(upper)))


def mmd(x: Any, y: Any, sigma: float | None = None) -> float:
    """Unbiased MMD² with the Gaussian kernel k(a, b) = exp(−‖a − b‖² / (2σ²)).

    Args:
      x, y: samples ``[n, ...]`` and ``[m, ...]`` (flattened to vectors).
      sigma: kernel bandwidth; default: :func:`median_heuristic` of the pooled
        sample (median pairwise distance, on ≤ 1000 points).

    Memory is bounded (row blocks of ≤ 64 MiB), time is O((n + m)² d).
    """
    x, y = pairwise.as_pair(x, y)
    if x.shape[0] < 2 or y.shape[0] < 2:
        raise DataError("need at least 2 samples per set for an unbiased MMD²")
    if sigma is None:
        sigma = median_heuristic(x, y)
    if not sigma > 0:
        raise DataError(f"Gaussian MMD bandwidth must be > 0, got {sigma} (are all points equal?)")
    gamma = 1.0 / (2.0 * sigma**2)
    m, n = x.shape[0], y.shape[0]
    sum_xx = _gaussian_kernel_sum(x, x, gamma, exclude_diagonal=True)
    sum_yy = _gaussian_kernel_sum(y, y, gamma, exclude_diagonal=True)
    sum_xy = _gaussian_kernel_sum(x, y, gamma, exclude_diagonal=False)
    return float(sum_xx / (m * (m - 1)) + sum_yy / (n * (n - 1)) - 2.0 * sum_xy / (m * n))


@spec.register(
    "kid",
    needs="features",
    keys=("kid", "kid_std"),
    higher_is_better=False,
    options=("subsets", "subset_size", "seed"),
    description="Kernel Inception distance: unbiased cubic-polynomial MMD² over subsets.",
)
def _kid(real: Any, fake: Any, **options: Any) -> dict[str, float]:
    mean, std = kernel_inception_distance(real, fake, **options)
    return {"kid": mean, "kid_std": std}


@spec.register(
    "mmd",
    needs="samples",
    higher_is_better=False,
    options=("sigma",),
    description="Unbiased Gaussian-kernel MMD² (median-heuristic bandwidth by default).",
)
def _mmd(real: Any, fake: Any, **options: Any) -> dict[str, float]:
    return {"mmd": mmd(real, fake, **options)}
