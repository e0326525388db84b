"""Mode coverage of samples from a known mixture of Gaussians (2-D ring and grid).

The toy benchmark of Metz et al. (2017), VEEGAN and PacGAN: real data are
isotropic Gaussians of standard deviation ``std`` around known ``centers``; a
generated sample is *high quality* (HQ) when it lies within ``threshold`` standard
deviations of its nearest center, a mode is *captured* when at least one HQ sample
falls into it, and the *reverse KL* KL(p_HQ ‖ uniform) compares the histogram of
HQ samples over modes with the uniform mixture weights (0 = balanced).
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from tfgan_apps.errors import DataError
from tfgan_apps.metrics import pairwise, spec


def ring_centers(n: int = 8, radius: float = 1.0) -> np.ndarray:
    """``[n, 2]`` centers (r cos 2πi/n, r sin 2πi/n), i = 0..n−1 (PacGAN's 2-D ring)."""
    angles = 2.0 * np.pi * np.arange(n) / n
    return radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def grid_centers(side: int = 5, spacing: float = 2.0) -> np.ndarray:
    """``[side², 2]`` centers of a square grid centred on 0; default {−4, −2, 0, 2, 4}²."""
    coords = (np.arange(side) - (side - 1) / 2.0) * spacing
    return np.array(list(itertools.product(coords, coords)), dtype=np.float64)


def mode_coverage(samples: Any, centers: Any, std: float, threshold: float = 3.0) -> dict[str, float]:
    """Counts captured modes, the HQ fraction and the reverse KL to uniform weights.

    Args:
      samples: generated points ``[n, d]``.
      centers: mode centers ``[k, d]``.
      std: standard deviation of each real mode.
      threshold: HQ when (distance to nearest center) / std < threshold.

    Returns:
      ``{"modes": int, "high_quality": fraction in [0, 1], "reverse_kl": float}``;
      the reverse KL uses 0·log 0 = 0 for empty modes, equals log(k / c) when the
      HQ samples spread evenly over c modes, and is NaN when no sample is HQ.
    """
    x = spec.as_2d(samples, "samples", dtype=np.float64)
    c = spec.as_2d(centers, "centers", dtype=np.float64)
    if x.shape[1] != c.shape[1]:
        raise DataError(f"samples are {x.shape[1]}-d but centers {c.shape[1]}-d")
    if not std > 0:
        raise DataError(f"std must be > 0, got {std}")
    nearest = np.empty(x.shape[0], dtype=np.int64)
    distance = np.empty(x.shape[0], dtype=np.float64)
    for rows, d in pairwise.distance_blocks(x, c):
        nearest[rows] = np.argmin(d, axis=1)
        distance[rows] = np.sqrt(d[np.arange(d.shape[0]), nearest[rows]])
    high_quality = distance / std < threshold
    counts = np.bincount(nearest[high_quality], minlength=c.shape[0])
    total = counts.sum()
    if total:
        p = counts[counts > 0] / total
        reverse_kl = float(np.sum(p * np.log(p * c.shape[0])))
    else:
        reverse_kl = float("nan")
    return {
        "modes": int(np.count_nonzero(counts)),
        "high_quality": float(high_quality.mean()),
        "reverse_kl": reverse_kl,
    }


@spec.register(
    "modes",
    needs="samples",
    keys=("modes", "high_quality", "reverse_kl"),
    higher_is_better=True,
    uses_real=False,
    options=("centers", "std", "threshold"),
    required_options=("centers", "std"),
    description="Captured modes, high-quality fraction and reverse KL on a Gaussian mixture.",
)
def _modes(real: Any, fake: Any, **options: Any) -> dict[str, float]:
    del real  # the mixture is described by its centers and std
    return mode_coverage(fake, **options)
