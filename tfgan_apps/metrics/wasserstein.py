"""Empirical 1-Wasserstein (earth mover's) distance between two sample sets.

For two sets of n points with uniform weights, an optimal transport plan is a
permutation (Birkhoff–von Neumann), so W1 = min over matchings of the mean
Euclidean distance between matched points: an assignment problem solved exactly
by ``scipy.optimize.linear_sum_assignment``. That is O(n³) time and O(n²) memory,
so each set is subsampled to at most ``max_points`` (default 2000, a few seconds)
points; the value is then an estimate of the distance between the distributions.
Sets of different sizes are both subsampled to the smaller size.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist

from tfgan_apps.errors import DataError
from tfgan_apps.metrics import spec


def wasserstein_distance(real: Any, fake: Any, max_points: int = 2000, seed: int = 0) -> float:
    """Exact W1 between the empirical distributions of ``real`` and ``fake``.

    Args:
      real, fake: samples ``[n, ...]`` and ``[m, ...]`` (flattened to vectors).
      max_points: both sets are subsampled (without replacement, with ``seed``) to
        ``min(n, m, max_points)`` points.

    Returns:
      The mean Euclidean distance of the optimal one-to-one matching.
    """
    x = spec.as_2d(real, "real", dtype=np.float64)
    y = spec.as_2d(fake, "fake", dtype=np.float64)
    if x.shape[1] != y.shape[1]:
        raise DataError(f"real and fake dimensions differ: {x.shape[1]} vs {y.shape[1]}")
    size = min(x.shape[0], y.shape[0], max_points)
    rng = np.random.default_rng(seed)
    if x.shape[0] > size:
        x = x[rng.choice(x.shape[0], size, replace=False)]
    if y.shape[0] > size:
        y = y[rng.choice(y.shape[0], size, replace=False)]
    cost = cdist(x, y)
    rows, cols = linear_sum_assignment(cost)
    return float(cost[rows, cols].mean())


@spec.register(
    "wasserstein",
    needs="samples",
    higher_is_better=False,
    options=("max_points", "seed"),
    description="Empirical 1-Wasserstein distance (exact assignment on ≤ 2000 points).",
)
def _wasserstein(real: Any, fake: Any, **options: Any) -> dict[str, float]:
    return {"wasserstein": wasserstein_distance(real, fake, **options)}
