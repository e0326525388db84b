"""Times our FID against the plain numpy + scipy.linalg.sqrtm computation (pytorch-fid style).

Run: ``.venv/bin/python benchmarks/metrics_speed.py [--n 10000] [--dim 2048] [--repeats 1]``

Both implementations start from the same float32 activations and compute the
means, covariances and the squared Fréchet distance in float64. The reference is
what pytorch-fid does (``np.cov`` and ``sqrtm(Σ1 Σ2)``, real part); ours is
``tfgan_apps.metrics.frechet_distance`` (Cholesky/eigh + ``eigvalsh``). The table
shows the end-to-end time and, separately, the part after the moments.

Implementations run interleaved and each keeps its best time over ``--repeats``
rounds; CPU time (this process, all threads) is reported next to wall time
because it is less sensitive to other processes sharing the machine.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import scipy.linalg

from tfgan_apps.metrics import frechet


def reference_fid(x: np.ndarray, y: np.ndarray) -> float:
    """pytorch-fid's computation: np.cov + scipy.linalg.sqrtm of the product."""
    mu1, mu2 = x.mean(axis=0, dtype=np.float64), y.mean(axis=0, dtype=np.float64)
    s1 = np.cov(x.astype(np.float64), rowvar=False)
    s2 = np.cov(y.astype(np.float64), rowvar=False)
    return reference_from_moments(mu1, s1, mu2, s2)


def reference_from_moments(mu1, s1, mu2, s2) -> float:
    covmean = scipy.linalg.sqrtm(s1.dot(s2)).real
    diff = mu1 - mu2
    return float(diff.dot(diff) + np.trace(s1) + np.trace(s2) - 2.0 * np.trace(covmean))


def fake_activations(n: int, dim: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Non-negative, correlated activations with a decaying spectrum (like pool3 features)."""
    rng = np.random.default_rng(seed)
    mixing = rng.standard_normal((dim, dim)).astype(np.float32) / np.sqrt(dim)
    mixing *= (1.0 / np.sqrt(1.0 + np.arange(dim, dtype=np.float32)))[:, None]
    real = np.abs(rng.standard_normal((n, dim), dtype=np.float32) @ mixing)
    fake = np.abs(rng.standard_normal((n, dim), dtype=np.float32) @ mixing * 1.1 + 0.01)
    return real, fake


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=10_000, help="activations per set")
    parser.add_argument("--dim", type=int, default=2048, help="activation dimension")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=1, help="report the best of this many rounds")
    args = parser.parse_args()

    real, fake = fake_activations(args.n, args.dim, args.seed)
    mu1, s1 = frechet.activation_moments(real)
    mu2, s2 = frechet.activation_moments(fake)
    # (name, input, function, reference row index)
    cases: list[tuple[str, str, Callable[[], float], int]] = [
        ("numpy + scipy.linalg.sqrtm (reference)", "activations", lambda: reference_fid(real, fake), 0),
        ("frechet_distance(method='auto')", "activations", lambda: frechet.frechet_distance(real, fake), 0),
        (
            "frechet_distance(method='eigh')",
            "activations",
            lambda: frechet.frechet_distance(real, fake, method="eigh"),
            0,
        ),
        ("sqrtm(Σ1 Σ2) (reference)", "moments", lambda: reference_from_moments(mu1, s1, mu2, s2), 3),
        (
            "frechet_distance_from_moments('auto')",
            "moments",
            lambda: frechet.frechet_distance_from_moments(mu1, s1, mu2, s2),
            3,
        ),
        (
            "frechet_distance_from_moments('eigh')",
            "moments",
            lambda: frechet.frechet_distance_from_moments(mu1, s1, mu2, s2, method="eigh"),
            3,
        ),
    ]
    warm_x, warm_y = fake_activations(256, 64, args.seed)  # load LAPACK, start BLAS threads
    reference_fid(warm_x, warm_y)
    frechet.frechet_distance(warm_x, warm_y)
    frechet.frechet_distance(warm_x, warm_y, method="eigh")

    wall = [float("inf")] * len(cases)
    cpu = [float("inf")] * len(cases)
    values = [0.0] * len(cases)
    for _ in range(args.repeats):
        for i, (_, _, fn, _) in enumerate(cases):
            w0, c0 = time.perf_counter(), time.process_time()
            values[i] = fn()
            wall[i] = min(wall[i], time.perf_counter() - w0)
            cpu[i] = min(cpu[i], time.process_time() - c0)

    print(f"FID on {args.n} × {args.dim} float32 activations per set (float64 math), best of {args.repeats}\n")
    print("| implementation | input | wall (s) | CPU (s) | speed-up wall | speed-up CPU | FID | rel. diff |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for i, (name, start, _, ref) in enumerate(cases):
        rel = abs(values[i] - values[ref]) / abs(values[ref])
        print(
            f"| {name} | {start} | {wall[i]:.2f} | {cpu[i]:.2f} | {wall[ref] / wall[i]:.1f}× "
            f"| {cpu[ref] / cpu[i]:.1f}× | {values[i]:.6f} | {rel:.1e} |"
        )


if __name__ == "__main__":
    main()
