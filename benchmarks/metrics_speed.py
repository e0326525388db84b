"""Times our FID against the plain numpy + scipy.linalg.sqrtm computation (pytorch-fid style).

Run: ``.venv/bin/python benchmarks/metrics_speed.py [--n 10000] [--dim 2048]``

Both implementations start from the same float32 activations and compute the
means, covariances and the squared Fréchet distance in float64. The reference is
what pytorch-fid does (``np.cov`` and ``sqrtm(Σ1 Σ2)``, real part); ours is
``tfgan_apps.metrics.frechet_distance`` (Cholesky/eigh + ``eigvalsh``). The table
shows the end-to-end time and, separately, the matrix square-root part alone.
"""

from __future__ import annotations

import argparse
import time

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


def timed(repeats: int, fn, *args, **kwargs) -> tuple[float, float]:
    """Best wall time over ``repeats`` calls, and the value."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        value = fn(*args, **kwargs)
        best = min(best, time.perf_counter() - start)
    return best, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=10_000, help="activations per set")
    parser.add_argument("--dim", type=int, default=2048, help="activation dimension")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=1, help="report the best of this many runs")
    args = parser.parse_args()

    real, fake = fake_activations(args.n, args.dim, args.seed)
    warm_x, warm_y = fake_activations(256, 64, args.seed)  # load LAPACK, start BLAS threads
    reference_fid(warm_x, warm_y)
    frechet.frechet_distance(warm_x, warm_y)
    frechet.frechet_distance(warm_x, warm_y, method="eigh")
    rows = []
    t_ref, v_ref = timed(args.repeats, reference_fid, real, fake)
    rows.append(("numpy + scipy.linalg.sqrtm (reference)", "activations", t_ref, v_ref, t_ref))
    for method in ("auto", "eigh"):
        t, v = timed(args.repeats, frechet.frechet_distance, real, fake, method=method)
        rows.append((f"frechet_distance(method={method!r})", "activations", t, v, t_ref))

    mu1, s1 = frechet.activation_moments(real)
    mu2, s2 = frechet.activation_moments(fake)
    t_ref_m, v_ref_m = timed(args.repeats, reference_from_moments, mu1, s1, mu2, s2)
    rows.append(("sqrtm(Σ1 Σ2) (reference)", "moments", t_ref_m, v_ref_m, t_ref_m))
    for method in ("auto", "eigh"):
        t, v = timed(args.repeats, frechet.frechet_distance_from_moments, mu1, s1, mu2, s2, method=method)
        rows.append((f"frechet_distance_from_moments({method!r})", "moments", t, v, t_ref_m))

    print(f"FID on {args.n} × {args.dim} float32 activations per set (float64 math), best of {args.repeats}\n")
    print("| implementation | input | time (s) | speed-up | FID | rel. diff vs reference |")
    print("|---|---|---:|---:|---:|---:|")
    for name, start, t, value, t_base in rows:
        reference = v_ref if start == "activations" else v_ref_m
        rel = abs(value - reference) / abs(reference)
        print(f"| {name} | {start} | {t:.2f} | {t_base / t:.1f}× | {value:.6f} | {rel:.1e} |")


if __name__ == "__main__":
    main()
