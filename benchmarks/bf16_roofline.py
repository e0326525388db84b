"""How much faster can bf16 be on this CPU? fp32 vs bf16 GEMM and convolution throughput, TF and PyTorch.

    python benchmarks/bf16_roofline.py [--size=2048] [--repeats=5] [--results=benchmarks/results/bf16_roofline.md]

The ceiling of a mixed-bf16 training step's speed-up over fp32 is the speed-up of its matrix kernels: a
CPU with AVX512_BF16 (``vdpbf16ps``) doubles the multiply-add rate of the GEMMs at best, one with AMX
does more; BatchNorm, activations, casts and the fp32 optimizer update do not get faster. This prints,
for a ``size``² ``tf.matmul``, the 4×4 stride-2 convolution of the 64² DCGAN's middle layer (128→256
channels on 16² maps, batch 64) and a ``torch.matmul`` when PyTorch is installed: GFLOP/s per wall
second and per CPU second (process user + system time; the steadier one on a shared machine), best of
``repeats``, and each bf16 / fp32 ratio. The CPU's features come first (``hardware.cpu_info``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import tensorflow as tf  # noqa: E402
from provenance import load_average, utc_now  # noqa: E402

from tfgan_apps import hardware  # noqa: E402


def best_time(fn: Callable[[], Any], repeats: int) -> tuple[float, float]:
    """(wall s, CPU s) of the fastest of ``repeats`` calls of ``fn`` after one warm-up call."""
    fn()
    wall = cpu = float("inf")
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall, cpu = min(wall, time.perf_counter() - w0), min(cpu, time.process_time() - c0)
    return wall, cpu


def tf_kernels(size: int, repeats: int) -> list[tuple[str, str, float, float]]:
    """(kernel, dtype, GFLOP/s wall, GFLOP per CPU s) of TensorFlow's matmul and conv in fp32 and bf16."""
    rows = []
    for dtype in (tf.float32, tf.bfloat16):
        a, b = (tf.cast(tf.random.normal([size, size], seed=i), dtype) for i in (1, 2))
        matmul = tf.function(lambda x, y: tf.reduce_sum(tf.cast(tf.matmul(x, y), tf.float32)))
        wall, cpu = best_time(lambda: matmul(a, b).numpy(), repeats)  # noqa: B023
        rows.append((f"tf.matmul {size}²", dtype.name, 2 * size**3 / wall / 1e9, 2 * size**3 / cpu / 1e9))
        x = tf.cast(tf.random.normal([64, 16, 16, 128], seed=3), dtype)
        k = tf.cast(tf.random.normal([4, 4, 128, 256], seed=4), dtype)
        conv = tf.function(lambda x, k: tf.reduce_sum(tf.cast(tf.nn.conv2d(x, k, 2, "SAME"), tf.float32)))
        flops = 2 * 64 * 8 * 8 * 256 * 4 * 4 * 128
        wall, cpu = best_time(lambda: conv(x, k).numpy(), repeats)  # noqa: B023
        rows.append(("tf conv 4×4/2, 128→256, 16², batch 64", dtype.name, flops / wall / 1e9, flops / cpu / 1e9))
    return rows


def torch_kernels(size: int, repeats: int) -> list[tuple[str, str, float, float]]:
    """The same matmul in PyTorch (2 threads), or nothing when torch is not installed."""
    try:
        import torch
    except ImportError:
        return []
    torch.set_num_threads(2)
    rows = []
    for dtype in (torch.float32, torch.bfloat16):
        a, b = torch.randn(size, size).to(dtype), torch.randn(size, size).to(dtype)
        wall, cpu = best_time(lambda: float(torch.matmul(a, b).float().sum()), repeats)  # noqa: B023
        rows.append((f"torch.matmul {size}²", str(dtype).removeprefix("torch."),
                     2 * size**3 / wall / 1e9, 2 * size**3 / cpu / 1e9))
    return rows


def table(rows: Sequence[tuple[str, str, float, float]]) -> list[str]:
    """Markdown rows with the bf16 / fp32 ratio of each kernel."""
    fp32 = {kernel: (w, c) for kernel, dtype, w, c in rows if dtype == "float32"}
    out = ["| kernel | dtype | GFLOP/s (wall) | GFLOP per CPU s | bf16 / fp32 (wall) | bf16 / fp32 (CPU) |",
           "|---|---|---|---|---|---|"]
    for kernel, dtype, wall, cpu in rows:
        ratio = ("-", "-")
        if dtype != "float32":
            ratio = (f"{wall / fp32[kernel][0]:.2f}×", f"{cpu / fp32[kernel][1]:.2f}×")
        out.append(f"| {kernel} | {dtype} | {wall:.0f} | {cpu:.0f} | {ratio[0]} | {ratio[1]} |")
    return out


def main(argv: Sequence[str] | None = None) -> list[str]:
    """Measures, prints the table and writes it to ``--results`` (when given)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=2048, help="matmul side")
    parser.add_argument("--repeats", type=int, default=5, help="timed calls per kernel (the best counts)")
    parser.add_argument("--results", default="", help="also write the table (markdown) to this file")
    args = parser.parse_args(argv)
    if args.size < 1 or args.repeats < 1:
        parser.error("--size and --repeats must be ≥ 1")
    start_load = load_average()
    rows = tf_kernels(args.size, args.repeats) + torch_kernels(args.size, args.repeats)
    lines = [f"bf16 roofline, {utc_now()}; {hardware.cpu_info().summary()}; load average {start_load} at the start, "
             f"{load_average()} at the end; TF {tf.__version__}", "", *table(rows), ""]
    text = "\n".join(lines)
    sys.stdout.write(text + "\n")
    if args.results:
        with open(args.results, "w") as f:
            f.write(text)
    return lines


if __name__ == "__main__":
    main()
