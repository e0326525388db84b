"""Nearest-neighbour two-sample statistics: 1-NN accuracy, precision/recall, density/coverage.

All work on features ``[n, d]`` (embeddings, or raw points for toy data) with
memory-bounded blocked distance computations (:mod:`tfgan_apps.metrics.pairwise`),
so 10 000 points per set fit in a few hundred MiB. k-NN balls are closed: a point
at exactly the radius is inside.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tfgan_apps.errors import DataError
from tfgan_apps.metrics import pairwise, spec


def one_nn_accuracy(real: Any, fake: Any) -> float:
    """Leave-one-out 1-nearest-neighbour two-sample test accuracy.

    Pools both sets, labels them real/fake, and classifies every point by the
    label of its nearest *other* point (Lopez-Paz & Oquab 2017; used as a GAN
    metric by Xu et al. 2018). ≈ 0.5 when the sets come from one distribution
    (best), → 1 when they are separable; < 0.5 signals fakes copying real points.
    """
    x, y = pairwise.as_pair(real, fake)
    z = np.concatenate([x, y])
    labels = np.concatenate([np.ones(x.shape[0], bool), np.zeros(y.shape[0], bool)])
    correct = 0
    for rows, d in pairwise.distance_blocks(z, z):
        d[np.arange(d.shape[0]), np.arange(rows.start, rows.stop)] = np.inf
        nearest = np.argmin(d, axis=1)
        correct += int(np.count_nonzero(labels[nearest] == labels[rows]))
    return correct / z.shape[0]


def prdc(real: Any, fake: Any, pr_k: int = 3, dc_k: int = 5) -> dict[str, float]:
    """Precision, recall (k = ``pr_k``), density and coverage (k = ``dc_k``) in one pass.

    Radii are distances to the k-th nearest other point of the same set.

    * precision (Kynkäänniemi et al. 2019): fraction of fakes inside some real k-NN ball;
    * recall: fraction of reals inside some fake k-NN ball;
    * density (Naeem et al. 2020): mean number of real balls containing a fake,
      divided by k (≈ 1 when the distributions match; can exceed 1);
    * coverage: fraction of reals whose ball contains at least one fake.
    """
    x, y = pairwise.as_pair(real, fake)
    real_radii = pairwise.knn_squared_radii(x, (pr_k, dc_k))
    fake_radii = pairwise.knn_squared_radii(y, (pr_k,))[pr_k]
    r_pr, r_dc = real_radii[pr_k], real_radii[dc_k]
    in_real_ball = np.zeros(y.shape[0], dtype=bool)
    real_balls_per_fake = np.zeros(y.shape[0], dtype=np.int64)
    recalled = np.zeros(x.shape[0], dtype=bool)
    covered = np.zeros(x.shape[0], dtype=bool)
    for rows, d in pairwise.distance_blocks(x, y):
        in_real_ball |= (d <= r_pr[rows, None]).any(axis=0)
        real_balls_per_fake += (d <= r_dc[rows, None]).sum(axis=0)
        recalled[rows] = (d <= fake_radii[None, :]).any(axis=1)
        covered[rows] = d.min(axis=1) <= r_dc[rows]
    return {
        "precision": float(in_real_ball.mean()),
        "recall": float(recalled.mean()),
        "density": float(real_balls_per_fake.mean() / dc_k),
        "coverage": float(covered.mean()),
    }


def precision_recall(real: Any, fake: Any, k: int = 3) -> tuple[float, float]:
    """Improved precision and recall (Kynkäänniemi et al. 2019) with k-NN balls; see :func:`prdc`."""
    values = prdc(real, fake, pr_k=k, dc_k=k)
    return values["precision"], values["recall"]


def density_coverage(real: Any, fake: Any, k: int = 5) -> tuple[float, float]:
    """Density and coverage (Naeem et al. 2020) with real k-NN balls; see :func:`prdc`."""
    values = prdc(real, fake, pr_k=k, dc_k=k)
    return values["density"], values["coverage"]


def nearest_distances(reference: Any, queries: Any, exclude_self: bool = False) -> np.ndarray:
    """Euclidean distance from each row of ``queries`` to its nearest row of ``reference`` ([n_queries]).

    Shows memorisation: samples much nearer to a training image than training images are to each
    other are copies. ``exclude_self`` (``queries`` is ``reference``) skips each point's own row,
    giving the leave-one-out nearest-other distances of the reference set.
    """
    x, y = pairwise.as_pair(reference, queries)
    if exclude_self and x.shape != y.shape:
        raise DataError(f"exclude_self needs queries to be the reference set, got {y.shape} vs {x.shape}")
    out = np.empty(y.shape[0], dtype=np.float64)
    for rows, d in pairwise.distance_blocks(y, x):
        if exclude_self:
            d[np.arange(d.shape[0]), np.arange(rows.start, rows.stop)] = np.inf
        out[rows] = np.sqrt(d.min(axis=1))
    return out


@spec.register(
    "one_nn",
    needs="features",
    higher_is_better=False,
    description="Leave-one-out 1-NN two-sample accuracy (0.5 is best).",
)
def _one_nn(real: Any, fake: Any) -> dict[str, float]:
    return {"one_nn": one_nn_accuracy(real, fake)}


@spec.register(
    "prdc",
    needs="features",
    keys=("precision", "recall", "density", "coverage"),
    higher_is_better=True,
    options=("pr_k", "dc_k"),
    description="Precision/recall (k=3) and density/coverage (k=5) of k-NN balls.",
)
def _prdc(real: Any, fake: Any, **options: Any) -> dict[str, float]:
    return prdc(real, fake, **options)
