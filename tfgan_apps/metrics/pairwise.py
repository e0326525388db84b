"""Memory-bounded pairwise squared Euclidean distances, shared by the sample-based metrics.

Distances are computed as ‖a‖² + ‖b‖² − 2 aᵀb with one matrix product per block
of rows (clipped at 0 against round-off), in float32 when both inputs are float32
and float64 otherwise. A block holds at most ``budget_bytes`` (64 MiB by
default), so 10 000 × 10 000 comparisons never hold the full matrix.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from tfgan_apps.errors import DataError
from tfgan_apps.metrics import spec

BUDGET_BYTES = 64 * 2**20


def as_pair(real: Any, fake: Any) -> tuple[np.ndarray, np.ndarray]:
    """Both inputs as ``[n, d]`` arrays of one float dtype (≥ float32), dimensions checked."""
    x = spec.as_2d(real, "real")
    y = spec.as_2d(fake, "fake")
    if x.shape[1] != y.shape[1]:
        raise DataError(f"real and fake dimensions differ: {x.shape[1]} vs {y.shape[1]}")
    dtype = np.result_type(x.dtype, y.dtype, np.float32)
    return x.astype(dtype, copy=False), y.astype(dtype, copy=False)


def squared_norms(x: np.ndarray) -> np.ndarray:
    """Row-wise ‖x_i‖²."""
    return np.einsum("ij,ij->i", x, x)


def squared_distances(a: np.ndarray, b: np.ndarray, b_sq: np.ndarray | None = None) -> np.ndarray:
    """The full ``[len(a), len(b)]`` matrix of squared distances (use on blocks)."""
    b_sq = squared_norms(b) if b_sq is None else b_sq
    d = a @ b.T
    d *= -2.0
    d += squared_norms(a)[:, None]
    d += b_sq[None, :]
    return np.maximum(d, 0.0, out=d)


def distance_blocks(
    a: np.ndarray, b: np.ndarray, budget_bytes: int | None = None
) -> Iterator[tuple[slice, np.ndarray]]:
    """Yields ``(rows, D)`` with D the squared distances from ``a[rows]`` to all of ``b``.

    A block holds at most ``budget_bytes`` (default :data:`BUDGET_BYTES`).
    """
    budget_bytes = BUDGET_BYTES if budget_bytes is None else budget_bytes
    b_sq = squared_norms(b)
    step = max(1, budget_bytes // max(1, b.shape[0] * a.itemsize))
    for start in range(0, a.shape[0], step):
        rows = slice(start, min(start + step, a.shape[0]))
        yield rows, squared_distances(a[rows], b, b_sq)


def knn_squared_radii(x: np.ndarray, ks: tuple[int, ...]) -> dict[int, np.ndarray]:
    """Squared distance from each point of ``x`` to its k-th nearest *other* point, per k."""
    n = x.shape[0]
    if max(ks) >= n or min(ks) < 1:
        raise DataError(f"k must be in [1, {n - 1}] for {n} points, got {ks}")
    kth = sorted({k - 1 for k in ks})
    radii = {k: np.empty(n, dtype=x.dtype) for k in ks}
    for rows, d in distance_blocks(x, x):
        # A point is not its own neighbour.
        d[np.arange(d.shape[0]), np.arange(rows.start, rows.stop)] = np.inf
        part = np.partition(d, kth, axis=1)
        for k in ks:
            radii[k][rows] = part[:, k - 1]
    return radii
