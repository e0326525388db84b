"""Restoration benchmark: PSNR/SSIM of our cGAN restorers vs classical baselines on held-out bundled photos.

    python benchmarks/restoration.py [--minutes=2] [--tasks=denoise,derain,sr] [--workdir=/tmp/tfgan_restoration]

For each task (configs ``denoise_photos``, ``derain_photos``, ``srgan_x4_photos``)
the held-out images are the config's ``data.eval_photos`` (never trained on),
centre-cropped to ``data.eval_crop`` px and degraded with the fixed seed
``data.eval_seed`` (``tfgan_apps.data.paired.held_out_pairs``). Rows:

* the degraded input (for SR: bicubic ×4 upsampling, the classical baseline);
* classical baselines, their one parameter tuned on a *training* photo
  (``data.photos[0]``, same crop and degradation), never on the held-out ones:
  denoising — ``skimage.restoration.denoise_nl_means`` (fast mode, σ given, h = k·σ),
  ``denoise_tv_chambolle`` (weight) and ``denoise_bilateral`` (σ_color);
  de-raining — a per-channel median filter (size);
* our model, trained from scratch for ``--minutes`` of wall-clock training time per
  task, counted after the first (tracing / XLA-compiling) step, whose time is
  printed separately with the steps reached. SR: half the time
  L1 pretraining, whose end is the PSNR-oriented SRResNet, then the relativistic
  GAN for the other half (``model.pretrain_steps`` set to the step reached,
  resumed from the checkpoint as an interrupted run would be).

Metrics: uint8 images, RGB and BT.601 Y (MATLAB convention), border crop = scale
for SR (``tfgan_apps.restoration_callbacks.quality``); mean over held-out images.
Classical methods get the degraded input clipped to [0, 1].
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TFGAN_PROGRESS", "0")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
from skimage.filters import median  # noqa: E402
from skimage.morphology import footprint_rectangle  # noqa: E402
from skimage.restoration import denoise_bilateral, denoise_nl_means, denoise_tv_chambolle  # noqa: E402

from tfgan_apps import trainer  # noqa: E402
from tfgan_apps.data import make_dataset  # noqa: E402
from tfgan_apps.data.degradations import build_degradation  # noqa: E402
from tfgan_apps.data.paired import held_out_pairs  # noqa: E402
from tfgan_apps.restoration_callbacks import bicubic, evaluate_pairs, quality  # noqa: E402

TASKS = {"denoise": "denoise_photos", "derain": "derain_photos", "sr": "srgan_x4_photos"}
COLUMNS = ("psnr", "ssim", "psnr_y", "ssim_y")


def load_config(name: str) -> Any:
    """``get_config()`` of configs/<name>.py."""
    spec = importlib.util.spec_from_file_location(name, os.path.join(ROOT, "configs", f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.get_config()


def to01(x: np.ndarray) -> np.ndarray:
    return np.clip((np.asarray(x, np.float64) + 1.0) / 2.0, 0.0, 1.0)


def classical(fn: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
    """Wraps a [0, 1] HWC → HWC filter as a [-1, 1] NHWC restore function."""
    return lambda batch: np.stack([fn(to01(x)) * 2.0 - 1.0 for x in batch])


def tune(make: Callable[[float], Callable[[np.ndarray], np.ndarray]], grid: list[float], pairs: list, scale: int
         ) -> tuple[float, Callable[[np.ndarray], np.ndarray]]:
    """The grid value with the best RGB PSNR on the tuning pairs (training photos)."""
    scores = [evaluate_pairs(classical(make(v)), pairs, scale)["psnr"] for v in grid]
    best = grid[int(np.argmax(scores))]
    return best, classical(make(best))


class TimeLimit(keras.callbacks.Callback):
    """Stops ``fit`` after ``seconds`` of training, counted from the end of the first (compiling) step."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds
        self.start: float | None = None
        self.first_step = 0.0

    def on_train_begin(self, logs: Any = None) -> None:
        self.first_step = time.monotonic()

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        now = time.monotonic()
        if self.start is None:
            self.start, self.first_step = now, now - self.first_step
        elif now - self.start > self.seconds:
            self.model.stop_training = True


def train_for(config: Any, workdir: str, seconds: float) -> tuple[Any, str]:
    """Trains (or resumes) the run in ``workdir`` for ``seconds`` after its first step; saves a checkpoint.

    Returns the run and a note: steps done, training seconds, and the build + first-step (tracing / XLA
    compilation) seconds, which are not counted in the budget.
    """
    t0 = time.monotonic()
    run = trainer.build_run(config, workdir)
    start = int(run.model.step.numpy())
    dataset = make_dataset(run.source, config.data.batch_size, seed=config.train.seed, start_step=start,
                           degradation=trainer.degradation_from(config.data))
    build = time.monotonic() - t0
    limit = TimeLimit(seconds)
    run.model.fit(dataset, epochs=10**6, steps_per_epoch=10, callbacks=[limit], verbose=0)
    run.manager.save(checkpoint_number=int(run.model.step.numpy()))
    steps = int(run.model.step.numpy()) - start
    trained = time.monotonic() - limit.start if limit.start else 0.0
    return run, f"{steps} steps: {trained:.0f}s + {build + limit.first_step:.0f}s build/compile"


def row(task: str, method: str, metrics: dict[str, float], note: str = "") -> None:
    values = "  ".join(f"{metrics.get(c, float('nan')):7.4f}" if "ssim" in c else f"{metrics.get(c, float('nan')):6.2f}"
                       for c in COLUMNS)
    print(f"{task:8s} {method:42s} {values}  {note}", flush=True)


def run_task(task: str, minutes: float, workdir: str) -> None:
    """Prints the rows of one task."""
    config = load_config(TASKS[task])
    degradation = build_degradation(config.data.degradation.to_dict())
    scale = int(config.data.get("scale", 1) or 1)
    pairs = held_out_pairs(config.data, degradation, scale)
    tuning_cfg = config.data.copy_and_resolve_references()
    tuning_cfg.eval_photos, tuning_cfg.photos = (config.data.photos[0],), ()
    tuning = held_out_pairs(tuning_cfg, degradation, scale)
    if task == "sr":
        row(task, "bicubic x4", evaluate_pairs(lambda x: bicubic(x, scale), pairs, scale))
    else:
        row(task, "degraded input", {k: float(np.mean([quality(p[1], p[2])[k] for p in pairs])) for k in COLUMNS})
    if task == "denoise":
        sigma = float(config.data.degradation.sigma) / 255.0
        candidates = {
            "NL-means (fast, h=k*sigma)": (lambda k: lambda x: denoise_nl_means(
                x, h=k * sigma, sigma=sigma, patch_size=5, patch_distance=6, fast_mode=True, channel_axis=-1),
                [0.4, 0.5, 0.6, 0.8, 1.0]),
            "TV-Chambolle (weight)": (lambda w: lambda x: denoise_tv_chambolle(x, weight=w, channel_axis=-1),
                                      [0.04, 0.06, 0.08, 0.1, 0.14]),
            "bilateral (sigma_color)": (lambda s: lambda x: denoise_bilateral(
                x, sigma_color=s, sigma_spatial=2, channel_axis=-1), [0.05, 0.1, 0.15, 0.2]),
        }
    elif task == "derain":
        candidates = {
            "median filter (size)": (lambda k: lambda x: np.stack(
                [median(x[..., c], footprint_rectangle((int(k), int(k)))) for c in range(x.shape[-1])], -1),
                [3, 5, 7]),
        }
    else:
        candidates = {}
    for name, (make, grid) in candidates.items():
        t0 = time.monotonic()
        best, fn = tune(make, grid, tuning, scale)
        row(task, name, evaluate_pairs(fn, pairs, scale), f"tuned={best:g}, {time.monotonic() - t0:.1f}s")

    workdir = os.path.join(workdir, task)
    shutil.rmtree(workdir, ignore_errors=True)
    budget = minutes * 60.0
    if task != "sr":
        run, note = train_for(config, workdir, budget)
        model = run.model
        row(task, f"ours: {config.name} ({model.generator.count_params()} G params)",
            evaluate_pairs(model.restore, pairs, scale), note)
        return
    config.model.pretrain_steps = 10**9  # phase 1: L1 only, until the time is up
    run, first = train_for(config, workdir, budget / 2)
    config.model.pretrain_steps = int(run.model.step.numpy())  # phase 2 resumes at the end of pretraining
    run, second = train_for(config, workdir, budget / 2)
    model = run.model
    row(task, f"ours: SRResNet L1 ({model.generator.count_params()} G params)",
        evaluate_pairs(lambda x: model.restore(x, model.psnr_generator()), pairs, scale), first)
    row(task, "ours: SRGAN (RaGAN + feature matching), then", evaluate_pairs(model.restore, pairs, scale),
        "+" + second)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=2.0, help="training wall-clock minutes per task")
    parser.add_argument("--tasks", default="denoise,derain,sr", help="comma-separated subset of " + ",".join(TASKS))
    parser.add_argument("--workdir", default="/tmp/tfgan_restoration", help="scratch run directories")
    args = parser.parse_args()
    tasks = [t for t in args.tasks.split(",") if t]
    unknown = sorted(set(tasks) - set(TASKS))
    if unknown:
        parser.error(f"unknown task(s) {', '.join(unknown)}; valid: {', '.join(TASKS)}")
    tf.get_logger().setLevel("ERROR")
    print(f"held-out photos, {args.minutes:g} min of training per task, {os.cpu_count()} CPUs")
    print(f"{'task':8s} {'method':42s} {'PSNR':>6s}  {'SSIM':>7s}  {'PSNR-Y':>6s}  {'SSIM-Y':>7s}  notes")
    for task in tasks:
        run_task(task, args.minutes, args.workdir)


if __name__ == "__main__":
    main()
