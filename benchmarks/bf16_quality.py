"""Does mixed bfloat16 train as well as float32? A short quality check on the README's digits DCGAN.

    python benchmarks/bf16_quality.py [--steps=300] [--seeds=0,1] [--num_samples=1000]

Trains ``dcgan_digits`` (32², batch 64, no XLA, oneDNN) for ``--steps`` steps under ``float32`` and
``mixed_bfloat16`` with each seed (precisions interleaved per seed), then scores each generator with the
Fréchet classifier distance (``fcd``: ``tfgan_apps.evaluation`` on the in-project digits classifier's
features, ``--num_samples`` samples). Prints the final losses, FCD and wall time per run, and the
difference of the precisions' mean FCD next to the spread between seeds of the same precision: bf16 is
"within noise" when that difference is no larger than the seed-to-seed spread.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TFGAN_PROGRESS", "0")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
from absl import app, flags  # noqa: E402

from tfgan_apps import hardware, trainer  # noqa: E402
from tfgan_apps.config import dcgan_digits_config  # noqa: E402
from tfgan_apps.data import load_source  # noqa: E402
from tfgan_apps.evaluation import evaluate_run  # noqa: E402

_STEPS = flags.DEFINE_integer("steps", 300, "Training steps per run.")
_SEEDS = flags.DEFINE_list("seeds", ["0", "1"], "Seeds (one fp32 and one bf16 run each).")
_SAMPLES = flags.DEFINE_integer("num_samples", 1000, "Samples scored per run.")
PRECISIONS = ("float32", "mixed_bfloat16")


def run_one(precision: str, seed: int, steps: int, root: str) -> dict[str, float]:
    """Trains one run and scores it; returns final losses, fcd and seconds."""
    config = dcgan_digits_config()
    config.train.steps = steps
    config.train.log_every = config.train.image_every = config.train.checkpoint_every = steps
    config.train.jit_compile = False
    config.train.mixed_precision = precision
    config.train.seed = seed
    config.export.enabled = False
    t0 = time.perf_counter()
    result = trainer.train(config, os.path.join(root, f"{precision}_{seed}"))
    seconds = time.perf_counter() - t0
    record = evaluate_run(["fcd"], result["model"], load_source(config.data), _SAMPLES.value,
                          features="classifier", seed=seed, progress=False)
    keras.mixed_precision.set_global_policy("float32")
    return {"d_loss": result["logs"].get("d_loss", float("nan")), "g_loss": result["logs"].get("g_loss", float("nan")),
            "fcd": record["metrics"]["fcd"], "seconds": seconds}


def main(argv: list[str]) -> None:
    del argv
    load0 = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    results: dict[str, list[dict[str, float]]] = {p: [] for p in PRECISIONS}
    with tempfile.TemporaryDirectory(prefix="bf16-quality-") as root:
        for seed in (int(s) for s in _SEEDS.value):
            for precision in PRECISIONS:
                results[precision].append(run_one(precision, seed, _STEPS.value, root) | {"seed": seed})
                print(f"  {precision} seed {seed}: {results[precision][-1]}", flush=True)
    load1 = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    lines = [f"dcgan_digits, {_STEPS.value} steps, batch 64, no XLA; {hardware.cpu_info().summary()}; "
             f"TF {tf.__version__}; FCD on {_SAMPLES.value} samples; load average {load0} at start, {load1} at end.",
             "", "| precision | seed | final d_loss | final g_loss | FCD | wall s |", "|---|---|---|---|---|---|"]
    for precision, runs in results.items():
        lines += [f"| {precision} | {r['seed']} | {r['d_loss']:.3f} | {r['g_loss']:.3f} | {r['fcd']:.2f} | "
                  f"{r['seconds']:.0f} |" for r in runs]
    means = {p: statistics.mean(r["fcd"] for r in runs) for p, runs in results.items()}
    spread = max((max(r["fcd"] for r in runs) - min(r["fcd"] for r in runs)) for runs in results.values())
    lines += ["", f"mean FCD: float32 {means['float32']:.2f}, mixed_bfloat16 {means['mixed_bfloat16']:.2f} "
              f"(difference {means['mixed_bfloat16'] - means['float32']:+.2f}); largest seed-to-seed spread "
              f"within one precision {spread:.2f}."]
    print("\n".join(lines))


if __name__ == "__main__":
    app.run(main)
