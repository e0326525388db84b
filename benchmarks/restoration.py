"""Restoration benchmark: PSNR/SSIM of our cGAN restorers vs classical baselines on held-out bundled photos.

    python benchmarks/restoration.py [--minutes=12] [--tasks=denoise,derain,sr] [--gan_fraction=0.25]
        [--set FIELD=VALUE ...] [--grid] [--runs TASK=RUN_DIR ...]
        [--workdir=/tmp/tfgan_restoration] [--results=benchmarks/results/restoration.md] [--pictures=docs]
        [--grid_results=benchmarks/results/restoration_generalization.md]

For each task (configs ``denoise_photos``, ``derain_photos``, ``srgan_x4_photos``)
the held-out images are the config's ``data.eval_photos`` (never trained on),
centre-cropped to ``data.eval_crop`` px and degraded with the fixed seed
``data.eval_seed`` (``tfgan_apps.data.paired.held_out_pairs``). Rows:

* the degraded input (for SR: bicubic ×4 upsampling, the classical baseline);
* classical baselines, their one parameter tuned on a *training* photo
  (``data.photos[0]``, same crop and degradation), never on the held-out ones:
  denoising — ``skimage.restoration.denoise_nl_means`` (fast mode, h = k·σ, σ given, or estimated per
  image with ``estimate_sigma`` when the recipe's noise is blind), ``denoise_tv_chambolle`` (weight)
  and ``denoise_bilateral`` (σ_color); de-raining — a per-channel median filter (size);
* our model, trained from scratch with ``tfgan_apps.trainer.Trainer`` (what ``tfgan-train`` runs) for
  ``--minutes`` of wall-clock training time per task (tasks one after another): the config's
  ``train.max_minutes``, counted after the first (tracing / XLA-compiling) step, whose time is reported
  separately, with the steps reached and the process CPU time. Every recipe pre-trains G on the
  reconstruction loss and then fine-tunes it adversarially: here the first ``1 − gan_fraction`` of the
  time is the reconstruction phase (run directory ``WORKDIR/TASK/l1``), whose end is the PSNR-oriented
  model (row "L1"), the rest the GAN phase (``WORKDIR/TASK/gan``: ``model.pretrain_steps`` set to the
  step reached, resumed from the first phase's checkpoint as an interrupted run would be; row "GAN").
  The L1 model is also scored with the ×8 geometric self-ensemble at inference
  (``tfgan_apps.restoration.inference``, EDSR+; the same weights, 8 passes). A learning-rate decay
  (``--set train.lr_decay=cosine``) runs over each phase: ``train.max_minutes`` fits its window to the
  phase's time budget (a warm restart for the GAN phase).

``--grid`` (de-raining and denoising) adds a second axis: held-out *degradation parameters* inside and
outside the recipe's training ranges (``GRID``: streak angles, densities, lengths, widths, blur; noise σ),
each on the held-out photos with ``GRID_SEEDS`` draws, next to the degraded input and the classical
baseline (tuned per cell on a training photo), with every model's smallest per-image gain over its input
(the issue's bar: never worse than the input). ``--runs TASK=RUN_DIR`` scores an already trained
``tfgan-train`` run directory (``export/restorer_psnr`` and ``export/restorer``) or one exported restorer
instead of training (no main table then). Tables in ``--grid_results`` (markdown, + ``.json``).

Metrics: uint8 images, RGB and BT.601 Y (MATLAB convention), border crop = scale
for SR (``tfgan_apps.restoration.callbacks.quality``); mean over held-out images.
Classical methods get the degraded input clipped to [0, 1].

Outputs: the table on stdout and, with the date, machine, minutes and command, in
``--results`` (markdown); one picture per task in ``--pictures``
(``restoration_<task>.png``): a centre crop of every held-out photo per row, columns
input | best classical baseline | ours (L1) | ours (GAN) | target.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import os
import shlex
import shutil
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TFGAN_PROGRESS", "0")

import overrides as overrides_lib  # noqa: E402
import tensorflow as tf  # noqa: E402
from provenance import load_average, load_note, machine, utc_now  # noqa: E402
from skimage.filters import median  # noqa: E402
from skimage.morphology import footprint_rectangle  # noqa: E402
from skimage.restoration import (  # noqa: E402
    denoise_bilateral,
    denoise_nl_means,
    denoise_tv_chambolle,
)

from tfgan_apps.data.degradations import build_degradation  # noqa: E402
from tfgan_apps.data.paired import held_out_pairs  # noqa: E402
from tfgan_apps.restoration.callbacks import bicubic, evaluate_pairs, quality  # noqa: E402
from tfgan_apps.trainer import Trainer  # noqa: E402
from tfgan_apps.visualize import to_uint8, with_title  # noqa: E402

TASKS = {"denoise": "denoise_photos", "derain": "derain_photos", "sr": "srgan_x4_photos"}
COLUMNS = ("psnr", "ssim", "psnr_y", "ssim_y")
PICTURE_CROP = 128  # px of each held-out image shown in the pictures (target resolution)
BUDGET_STEPS = 10**7  # train.steps of a time-budgeted run: never reached, the budget ends it

RestoreFn = Callable[[np.ndarray], np.ndarray]


@dataclasses.dataclass
class Row:
    """One method's mean metrics on the held-out pairs, its outputs (for the pictures) and a note."""

    task: str
    method: str
    metrics: dict[str, float]
    outputs: list[np.ndarray]
    note: str = ""
    # "input" (the degraded input), "baseline" (classical, bicubic for SR), "ours", or "ensemble" (our L1
    # model with the ×8 self-ensemble at inference; not in the pictures)
    kind: str = "baseline"
    restore_fn: RestoreFn | None = None  # ours: the model's restore function (scored again on the grid)


def load_config(name: str) -> Any:
    """``get_config()`` of configs/<name>.py."""
    spec = importlib.util.spec_from_file_location(name, os.path.join(ROOT, "tfgan_apps", "configs", f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.get_config()


def to01(x: np.ndarray) -> np.ndarray:
    """[-1, 1] image → float64 [0, 1], clipped (what the classical filters take)."""
    return np.clip((np.asarray(x, np.float64) + 1.0) / 2.0, 0.0, 1.0)


def classical(fn: Callable[[np.ndarray], np.ndarray]) -> RestoreFn:
    """Wraps a [0, 1] HWC → HWC filter as a [-1, 1] NHWC restore function."""
    return lambda batch: np.stack([fn(to01(x)) * 2.0 - 1.0 for x in batch])


def tune(make: Callable[[float], Callable[[np.ndarray], np.ndarray]], grid: list[float], pairs: list, scale: int
         ) -> tuple[float, RestoreFn]:
    """The grid value with the best RGB PSNR on the tuning pairs (training photos)."""
    scores = [evaluate_pairs(classical(make(v)), pairs, scale)["psnr"] for v in grid]
    best = grid[int(np.argmax(scores))]
    return best, classical(make(best))


def evaluate(task: str, method: str, restore: RestoreFn, pairs: list, scale: int, note: str = "",
             kind: str = "baseline") -> Row:
    """Restores every held-out input and returns the row of mean ``quality`` metrics, printing it."""
    outputs = [np.asarray(restore(x_in[None]))[0] for _, x_in, _ in pairs]
    per_image = [quality(out, x_tg, scale) for out, (_, _, x_tg) in zip(outputs, pairs)]
    metrics = {k: float(np.mean([v[k] for v in per_image])) for k in per_image[0]}
    row = Row(task, method, metrics, outputs, note, kind, restore if kind == "ours" else None)
    print(format_row(row), flush=True)
    return row


def train_for(config: Any, workdir: str, seconds: float, resume_from: str = "") -> tuple[Trainer, str, float]:
    """Trains the run in ``workdir`` with ``tfgan_apps.trainer.Trainer`` (what ``tfgan-train`` runs) for
    ``seconds`` of wall-clock time after its first step (``train.max_minutes``; ``train.steps`` raised so the
    budget ends the run, which then checkpoints, logs its final step and exports as at a normal end).

    ``resume_from``: a run directory whose latest checkpoint this one starts from (copied into
    ``workdir/checkpoints``), as an interrupted run resumes. Returns the trainer, a note (steps done,
    training wall-clock and CPU seconds, and the seconds outside the budget: build, the first (tracing /
    XLA-compiling) step, final evaluation and export) and the training seconds.
    """
    with config.unlocked():
        config.train.max_minutes = seconds / 60.0
        config.train.steps = max(int(config.train.steps), BUDGET_STEPS)
    if resume_from:
        shutil.copytree(os.path.join(resume_from, "checkpoints"), os.path.join(workdir, "checkpoints"))
    t0 = time.monotonic()
    run = Trainer(config, workdir)
    result = run.fit()
    budget = result["time_budget"]
    steps = budget["last_step"] - budget["first_step"]
    outside = time.monotonic() - t0 - budget["train_seconds"]
    note = (f"{steps} steps in {budget['train_seconds']:.0f} s (CPU {budget['cpu_seconds']:.0f} s) "
            f"+ {outside:.0f} s build/first step/export")
    return run, note, float(budget["train_seconds"])


def train_phases(config: Any, workdir: str, seconds: float, gan_fraction: float
                 ) -> tuple[list[tuple[str, Trainer, str]], float]:
    """A pix2pix recipe's two phases in a time budget: the reconstruction loss alone for ``1 − gan_fraction``
    of ``seconds`` (run directory ``workdir/l1``), then (``gan_fraction`` > 0) the GAN phase for the rest
    (``workdir/gan``, resumed from the first phase's checkpoint with ``model.pretrain_steps`` = the step it
    reached). Returns (phase, trainer, note) per phase and the training seconds."""
    shutil.rmtree(workdir, ignore_errors=True)
    first = config.copy_and_resolve_references()
    with first.unlocked():
        first.model.pretrain_steps = 10**9  # phase 1: reconstruction loss only, until its time is up
    run, note, t1 = train_for(first, os.path.join(workdir, "l1"), seconds * (1.0 - gan_fraction))
    phases = [("L1", run, note)]
    if gan_fraction <= 0:
        return phases, t1
    second = config.copy_and_resolve_references()
    with second.unlocked():
        second.model.pretrain_steps = int(run.model.step.numpy())  # phase 2 resumes at the end of pretraining
    run, note, t2 = train_for(second, os.path.join(workdir, "gan"), seconds * gan_fraction,
                              resume_from=os.path.join(workdir, "l1"))
    return phases + [("GAN", run, "+" + note)], t1 + t2


def format_row(row: Row) -> str:
    """A fixed-width text line of a row (stdout)."""
    values = "  ".join(f"{row.metrics.get(c, float('nan')):7.4f}" if "ssim" in c
                       else f"{row.metrics.get(c, float('nan')):6.2f}" for c in COLUMNS)
    return f"{row.task:8s} {row.method:44s} {values}  {row.note}"


def estimate_noise_sigma(x: np.ndarray) -> float:
    """Donoho's MAD estimate of white-noise σ of a [0, 1] HWC image: median |HH| / 0.6745 of the finest
    diagonal Haar subband, averaged over channels (``skimage.restoration.estimate_sigma`` without PyWavelets)."""
    h, w = x.shape[0] // 2 * 2, x.shape[1] // 2 * 2
    x = x[:h, :w]
    hh = (x[0::2, 0::2] - x[0::2, 1::2] - x[1::2, 0::2] + x[1::2, 1::2]) / 2.0
    return float(np.mean([np.median(np.abs(hh[..., c])) / 0.6745 for c in range(x.shape[-1])]))


def nl_means(sigma: float | None) -> tuple[Callable[[float], Callable[[np.ndarray], np.ndarray]], list[float]]:
    """NL-means (fast mode) with h = k·σ: the factory of k and its tuning grid. σ (on [0, 1]) is given, or for
    blind noise (``sigma=None``) estimated per image (``estimate_noise_sigma``, Donoho's MAD)."""

    def make(k: float) -> Callable[[np.ndarray], np.ndarray]:
        def denoise(x: np.ndarray) -> np.ndarray:
            s = sigma if sigma is not None else max(estimate_noise_sigma(x), 1e-3)
            return denoise_nl_means(x, h=k * s, sigma=s, patch_size=5, patch_distance=6, fast_mode=True,
                                    channel_axis=-1)
        return denoise

    return make, [0.4, 0.5, 0.6, 0.8, 1.0]


def median_filter(size: float) -> Callable[[np.ndarray], np.ndarray]:
    """A per-channel ``size``×``size`` median filter of a [0, 1] HWC image (the de-raining baseline)."""
    return lambda x: np.stack([median(x[..., c], footprint_rectangle((int(size), int(size))))
                               for c in range(x.shape[-1])], -1)


def baselines(task: str, config: Any, pairs: list, tuning: list, scale: int) -> list[Row]:
    """The degraded-input (bicubic for SR) row and the tuned classical baselines of a task."""
    if task == "sr":
        rows = [evaluate(task, f"bicubic x{scale}", lambda x: bicubic(x, scale), pairs, scale)]
    else:
        rows = [evaluate(task, "degraded input", lambda x: x, pairs, scale, kind="input")]
    if task == "denoise":
        degradation = config.data.degradation
        sigma = None if degradation.get("sigma_range") else float(degradation.get("sigma", 25.0)) / 255.0
        candidates = {
            "NL-means (fast, h=k*sigma)": nl_means(sigma),
            "TV-Chambolle (weight)": (lambda w: lambda x: denoise_tv_chambolle(x, weight=w, channel_axis=-1),
                                      [0.04, 0.06, 0.08, 0.1, 0.14]),
            "bilateral (sigma_color)": (lambda s: lambda x: denoise_bilateral(
                x, sigma_color=s, sigma_spatial=2, channel_axis=-1), [0.05, 0.1, 0.15, 0.2]),
        }
    elif task == "derain":
        candidates = {
            "median filter (size)": (median_filter, [3, 5, 7]),
        }
    else:
        candidates = {}
    for name, (make, grid) in candidates.items():
        t0 = time.monotonic()
        best, fn = tune(make, grid, tuning, scale)
        rows.append(evaluate(task, name, fn, pairs, scale, f"tuned={best:g}, {time.monotonic() - t0:.1f}s"))
    return rows


def ours(task: str, config: Any, pairs: list, scale: int, minutes: float, gan_fraction: float,
         workdir: str) -> tuple[list[Row], float]:
    """Trains the task's recipe (reconstruction phase, then GAN phase) and returns its rows and training minutes."""
    phases, seconds = train_phases(config, os.path.join(workdir, task), minutes * 60.0, gan_fraction)
    rows = []
    for phase, run, note in phases:
        model = run.model
        if phase == "L1":
            params = model.generator.count_params()
            rows.append(evaluate(task, f"ours: {config.name} L1 ({params / 1e3:.0f}k G params)", model.restore,
                                 pairs, scale, note, kind="ours"))
            rows.append(evaluate(task, "ours: the L1 model + ×8 self-ensemble",
                                 lambda x, m=model: m.restore(x, self_ensemble=True), pairs, scale,
                                 "the same weights; 8 passes at inference (EDSR+)", kind="ensemble"))
        else:
            rows.append(evaluate(task, "ours: then GAN fine-tuning", model.restore, pairs, scale, note, kind="ours"))
    return rows, seconds / 60.0


def picture(rows: list[Row], pairs: list, scale: int, path: str, pad: int = 4) -> list[str]:
    """Writes the picture of a task (a row per held-out photo); returns the column titles."""
    best = max((r for r in rows if r.kind == "baseline"), key=lambda r: r.metrics["psnr"], default=None)
    columns = ([best] if best else []) + [r for r in rows if r.kind == "ours"]
    lines = []
    for i, (_, x_in, x_tg) in enumerate(pairs):
        h, w = x_tg.shape[:2]
        top, left = (h - PICTURE_CROP) // 2, (w - PICTURE_CROP) // 2
        cut = (slice(max(top, 0), max(top, 0) + PICTURE_CROP), slice(max(left, 0), max(left, 0) + PICTURE_CROP))
        # The input column shows the degraded input itself (nearest-upsampled for SR), not a restoration.
        degraded = np.repeat(np.repeat(x_in, scale, axis=0), scale, axis=1)
        tiles = [degraded[cut]] + [r.outputs[i][cut] for r in columns] + [x_tg[cut]]
        tiles = [to_uint8(t) for t in tiles]
        gap = np.full((tiles[0].shape[0], pad, tiles[0].shape[2]), 255, np.uint8)
        line = [t for tile in tiles for t in (tile, gap)][:-1]
        lines += [np.concatenate(line, axis=1), np.full((pad, sum(t.shape[1] for t in line), 3), 255, np.uint8)]
    grid = np.concatenate(lines[:-1], axis=0)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    tf.io.write_file(path, tf.io.encode_png(grid))
    first = f"degraded input (nearest x{scale})" if scale > 1 else "degraded input"
    return [first] + [r.method for r in columns] + ["target"]


def targets(task: str, rows: list[Row]) -> str:
    """The issue's target for a task and whether the PSNR-oriented model (the L1 row) meets it."""
    by = {r.method.split(" (")[0]: r.metrics for r in rows}
    l1 = next(r.metrics for r in rows if r.kind == "ours")
    # The metric each task is judged on (SR: luma, as in the SR literature), written once for every row.
    key = "psnr_y" if task == "sr" else "psnr"
    if task == "sr":
        need = by[next(k for k in by if k.startswith("bicubic"))][key] + 1.5
        what = "PSNR-Y ≥ bicubic + 1.5 dB"
    elif task == "denoise":
        need = by["NL-means"][key] + 1.0
        what = "PSNR ≥ NL-means + 1 dB"
    else:
        need = max(by["degraded input"][key] + 6.0, by["median filter"][key])
        what = "PSNR ≥ rainy input + 6 dB and > median filter"
    got = l1[key]
    verdict = "**met**" if got >= need else "**not met**"
    line = f"{task}: {what}: need {need:.2f}, L1 model {got:.2f} → {verdict} ({got - need:+.2f} dB)"
    ensemble = next((r.metrics for r in rows if r.kind == "ensemble"), None)
    if ensemble is not None:
        line += f"; with the ×8 self-ensemble {ensemble[key]:.2f} ({ensemble[key] - need:+.2f} dB)"
    return line


def markdown(results: list[tuple[str, list[Row], float, list[str]]], args: argparse.Namespace,
             started: str, command: str, load: str = "") -> str:
    """The results file: provenance, one table for all tasks, the targets and the pictures."""
    lines = [
        "# Restoration benchmark: held-out bundled photos",
        "",
        f"- date (UTC): {started}",
        f"- machine: {machine()}" + (f"; {load}" if load else "")
        + "; on a shared machine wall-clock minutes buy less compute: see the CPU seconds",
        f"- command: `{command}`",
        f"- training per task: {args.minutes:g} min wall-clock budget, the first {1 - args.gan_fraction:.0%} "
        "reconstruction (L1) pretraining, the rest GAN fine-tuning; tasks one after another"
        + "".join(f"; `{field}={value}`" for field, value in args.set),
        "- held-out: 192 px centre crops of `chelsea` and `coffee` (never trained on), degraded with a fixed seed; "
        "uint8 metrics, Y = BT.601 luma, border crop 4 for SR; baselines tuned on a training photo",
        "",
        "| task | method | PSNR | SSIM | PSNR-Y | SSIM-Y | notes |",
        "|---|---|---|---|---|---|---|",
    ]
    for task, rows, _, _ in results:
        for r in rows:
            m = r.metrics
            lines.append(f"| {task} | {r.method} | {m['psnr']:.2f} | {m['ssim']:.4f} | {m['psnr_y']:.2f} | "
                         f"{m['ssim_y']:.4f} | {r.note} |")
    lines += ["", "Targets (issue), judged on the PSNR-oriented L1 model:", ""]
    lines += [f"- {targets(task, rows)}; {trained:.1f} min of training" for task, rows, trained, _ in results]
    lines += ["", "Pictures (a 128 px centre crop of each held-out photo per row):", ""]
    for task, _, _, titles in results:
        path = os.path.relpath(os.path.join(args.pictures, f"restoration_{task}.png"),
                               os.path.dirname(os.path.abspath(args.results)))
        lines.append(f"- {task}: `{' | '.join(titles)}` — ![{task}]({path})")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- generalization grid

# Held-out degradation parameters per task: (cell, degradation spec, inside the recipe's training ranges?).
# The recipes (tfgan_apps/configs/derain_photos.RAIN, denoise_photos) train on angles 45–135° (a second layer
# in half of the crops, its angles ±10° wider), densities 0.2–1.2 %, lengths 8–35 px, thickness 1–2.5 px,
# blur 0.3–1.5 px, opacity 0.5–0.9; noise σ 0–55. The cells vary one parameter of a base rain at a time.
RAIN_BASE = {"type": "rain", "angle": 90.0, "density": 0.006, "length": 20.0, "thickness": 1.5, "blur": 0.7,
             "alpha": 0.8, "second_layer": False}
GRID: dict[str, list[tuple[str, dict[str, Any], bool]]] = {
    "derain": [
        ("vertical (90°), density 0.6 %, length 20", RAIN_BASE, True),
        ("angle 60°", {**RAIN_BASE, "angle": 60.0}, True),
        ("angle 120°", {**RAIN_BASE, "angle": 120.0}, True),
        ("rain_light preset (80–100°, 0.4 %)", {"type": "rain_light"}, True),
        ("rain_heavy preset (two layers, 65–115°)", {"type": "rain_heavy"}, True),
        ("angle 25°", {**RAIN_BASE, "angle": 25.0}, False),
        ("angle 155°", {**RAIN_BASE, "angle": 155.0}, False),
        ("angle 0° (horizontal)", {**RAIN_BASE, "angle": 0.0}, False),
        ("density 0.1 % (sparser)", {**RAIN_BASE, "density": 0.001}, False),
        ("density 2 % (denser)", {**RAIN_BASE, "density": 0.02}, False),
        ("length 50 px", {**RAIN_BASE, "length": 50.0}, False),
        ("thickness 4 px", {**RAIN_BASE, "thickness": 4.0}, False),
        ("blur 2.5 px", {**RAIN_BASE, "blur": 2.5}, False),
        ("wind-driven: 25°, 1.5 %, 40 px, 2 px",
         {**RAIN_BASE, "angle": 25.0, "density": 0.015, "length": 40.0, "thickness": 2.0}, False),
    ],
    "denoise": [
        *[(f"σ = {s}", {"type": "gaussian_noise", "sigma": float(s)}, True) for s in (2, 5, 15, 25, 40, 50)],
        *[(f"σ = {s}", {"type": "gaussian_noise", "sigma": float(s)}, False) for s in (60, 70, 85)],
    ],
}
GRID_SEEDS = 3  # degradation draws per held-out photo and cell (seeds eval_seed + 1000·k)


@dataclasses.dataclass
class Model:
    """A restorer to score: its label, a [-1, 1] NHWC → NHWC function and where it came from."""

    label: str
    restore: RestoreFn
    note: str = ""


def load_models(path: str) -> tuple[list[Model], Any]:
    """The restorers of a ``tfgan-train`` run directory (``export/restorer_psnr``, the L1 model, when a GAN
    phase ran, and ``export/restorer``) or of one exported restorer, with the run's config (or None)."""
    from tfgan_apps.config import from_json

    if os.path.isfile(os.path.join(path, "saved_model.pb")):
        exports, run_dir = {"restorer": path}, os.path.dirname(os.path.dirname(os.path.abspath(path)))
    else:
        exports = {n: os.path.join(path, "export", n) for n in ("restorer_psnr", "restorer")
                   if os.path.isfile(os.path.join(path, "export", n, "saved_model.pb"))}
        run_dir = path
    if not exports:
        raise SystemExit(f"no exported restorer in {path!r} (expected RUN/export/restorer or a SavedModel)")
    config = None
    if os.path.isfile(os.path.join(run_dir, "config.json")):
        with open(os.path.join(run_dir, "config.json")) as f:
            config = from_json(f.read())
    models = []
    for name, export_path in exports.items():
        fn = tf.saved_model.load(export_path).signatures["restore_float"]
        label = {"restorer_psnr": "ours: L1 (restorer_psnr)"}.get(
            name, "ours: GAN (restorer)" if "restorer_psnr" in exports else "ours: restorer")
        models.append(Model(label, lambda x, fn=fn: fn(images=tf.constant(x, tf.float32))["restored"].numpy(),
                            export_path))
    return models, config


def cell_pairs(config: Any, spec: dict[str, Any], scale: int, photos: Any = None) -> list:
    """Held-out (or ``photos``) pairs degraded by ``spec``, ``GRID_SEEDS`` draws per photo."""
    degradation = build_degradation(spec)
    pairs = []
    for k in range(GRID_SEEDS):
        cfg = config.data.copy_and_resolve_references()
        with cfg.unlocked():
            cfg.eval_seed = int(config.data.eval_seed) + 1000 * k
            if photos is not None:
                cfg.eval_photos, cfg.photos = tuple(photos), ()
        pairs += held_out_pairs(cfg, degradation, scale)
    return pairs


def psnr_each(restore: RestoreFn, pairs: list, scale: int) -> np.ndarray:
    """RGB PSNR of every pair's restoration."""
    return np.array([quality(np.asarray(restore(x_in[None]))[0], x_tg, scale)["psnr"] for _, x_in, x_tg in pairs])


def generalization(task: str, config: Any, models: list[Model], scale: int = 1) -> list[dict[str, Any]]:
    """Scores the input, the tuned classical baseline and every model on each held-out degradation cell;
    prints a line per cell and returns the records (mean PSNR per method, per-pair margins over the input)."""
    records = []
    tuning_photo = config.data.photos[0]
    for cell, spec, in_range in GRID[task]:
        t0 = time.monotonic()
        pairs = cell_pairs(config, spec, scale)
        tuning = cell_pairs(config, spec, scale, photos=(tuning_photo,))[:1]
        inputs = psnr_each(lambda x: x, pairs, scale)
        if task == "derain":
            name, (make, grid) = "median filter", (median_filter, [3, 5, 7])
        else:
            name, (make, grid) = "NL-means (σ estimated)", nl_means(None)
        best, fn = tune(make, grid, tuning, scale)
        baseline = psnr_each(fn, pairs, scale)
        _, x_in, x_tg = pairs[0]
        tiles = [x_in, np.asarray(fn(x_in[None]))[0]] + [np.asarray(m.restore(x_in[None]))[0] for m in models]
        record = {"cell": cell, "spec": spec, "in_range": in_range, "pairs": len(pairs),
                  "input": float(inputs.mean()), "baseline": {"name": name, "tuned": best,
                                                               "psnr": float(baseline.mean())},
                  "models": {}, "tiles": tiles + [x_tg]}
        for model in models:
            ours = psnr_each(model.restore, pairs, scale)
            record["models"][model.label] = {"psnr": float(ours.mean()),
                                             "min_gain_over_input": float((ours - inputs).min()),
                                             "gain_over_baseline": float((ours - baseline).mean())}
        records.append(record)
        shown = "  ".join(f"{m}={v['psnr']:.2f} (min Δin {v['min_gain_over_input']:+.2f})"
                          for m, v in record["models"].items())
        print(f"{task:8s} {cell:44s} {'in ' if in_range else 'OUT'}  input={inputs.mean():.2f}  "
              f"{name}={baseline.mean():.2f}  {shown}  [{time.monotonic() - t0:.0f}s]", flush=True)
    return records


def short_label(label: str) -> str:
    """A picture column title: a model label without 'ours: ' and the export name."""
    for cut in ("ours: ", " (restorer_psnr)", " (restorer)"):
        label = label.replace(cut, "")
    label = label.replace("derain_", "").replace("denoise_", "").replace("photos:", "recipe:")
    return "ours" if label == "restorer" else label


def grid_picture(records: list[dict[str, Any]], path: str, crop: int = 112, pad: int = 4) -> list[str]:
    """One row per cell (its first held-out pair, a ``crop`` px centre crop), titled with the cell; columns
    input | baseline | models | target under a header of column titles. Pops the tiles from the records;
    returns the column titles."""
    titles = ["degraded input", records[0]["baseline"]["name"], *records[0]["models"], "target"]
    short = ["input", records[0]["baseline"]["name"].split(" (")[0], *map(short_label, records[0]["models"]), "target"]
    def strip(tiles: list[np.ndarray]) -> np.ndarray:
        cols = [t for tile in tiles for t in (tile, np.full((tile.shape[0], pad, 3), 255, np.uint8))][:-1]
        return np.concatenate(cols, axis=1)

    lines = [strip([with_title(np.full((0, crop, 3), 255, np.uint8), t) for t in short])]
    for r in records:
        tiles = [to_uint8(t) for t in r.pop("tiles")]
        h, w = tiles[0].shape[:2]
        top, left = (h - crop) // 2, (w - crop) // 2
        line = strip([t[top:top + crop, left:left + crop] for t in tiles])
        outside = "" if r["in_range"] else "  (outside the recipe's training ranges)"
        lines.append(with_title(line, r["cell"] + outside))
    white = np.full((pad, lines[0].shape[1], 3), 255, np.uint8)
    picture = np.concatenate([x for line in lines for x in (line, white)][:-1])
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    tf.io.write_file(path, tf.io.encode_png(picture))
    return titles


def verdicts(records: list[dict[str, Any]]) -> list[str]:
    """Per model: is it ≥ its input in every cell and on every pair (the issue's bar), and where it is not."""
    lines = []
    for label in records[0]["models"]:
        worst = min(records, key=lambda r: r["models"][label]["min_gain_over_input"])
        margin = worst["models"][label]["min_gain_over_input"]
        below = [r["cell"] for r in records if r["models"][label]["psnr"] < r["input"]]
        beaten = [r["cell"] for r in records if r["models"][label]["psnr"] < r["baseline"]["psnr"]]
        verdict = "**≥ input everywhere**" if margin >= 0 else "**worse than its input somewhere**"
        lines.append(f"{label}: {verdict} (smallest per-image gain {margin:+.2f} dB, at {worst['cell']!r}); "
                     f"mean PSNR below the input in {len(below)} cell(s)" + (f" ({'; '.join(below)})" if below else "")
                     + f"; below the classical baseline in {len(beaten)} of {len(records)} cell(s)"
                     + (f" ({'; '.join(beaten)})" if beaten else ""))
    return lines


def grid_markdown(results: dict[str, tuple[list[dict[str, Any]], list[Model], Any, str]], started: str,
                  command: str, load: str) -> str:
    """The generalization results file: provenance, one table per task, the verdicts."""
    lines = [
        "# Restoration beyond the training degradations: held-out degradation parameters",
        "",
        f"- date (UTC): {started}",
        f"- machine: {machine()}" + (f"; {load}" if load else ""),
        f"- command: `{command}`",
        f"- held-out photos: `chelsea`, `coffee` (192 px centre crops, never trained on), {GRID_SEEDS} degradation "
        "draws each per cell (seeds eval_seed + 1000·k), RGB PSNR on uint8 images, mean over the "
        f"{2 * GRID_SEEDS} pairs; classical baseline tuned per cell on a training photo (`astronaut`)",
        "- 'min gain': the smallest per-image PSNR gain of the model over its own input in the cell (the issue's "
        "bar: never worse than the input anywhere)",
        "",
    ]
    for task, (records, _models, _config, source) in results.items():
        labels = list(records[0]["models"])
        lines += [f"## {task}", "", f"- models: {source}"]
        lines += ["", "| cell | in training range | input | " + records[0]["baseline"]["name"] + " | "
                  + " | ".join(f"{m} | min gain" for m in labels) + " |",
                  "|---|---|---|---|" + "---|---|" * len(labels)]
        for r in records:
            cells = [f"{r['models'][m]['psnr']:.2f} | {r['models'][m]['min_gain_over_input']:+.2f}" for m in labels]
            baseline = f"{r['baseline']['psnr']:.2f} (tuned {r['baseline']['tuned']:g})"
            lines.append(f"| {r['cell']} | {'yes' if r['in_range'] else '**no**'} | {r['input']:.2f} | {baseline} | "
                         + " | ".join(cells) + " |")
        lines += ["", *[f"- {v}" for v in verdicts(records)], ""]
    return "\n".join(lines)


def run_task(task: str, args: argparse.Namespace) -> tuple[list[Row], float, list[str]] | None:
    """Baselines, then our model (trained, or loaded from ``--runs``), the picture and (``--grid``) the
    generalization grid of one task. Returns the main table's rows (None when ``--no-table``)."""
    config = load_config(TASKS[task])
    overrides_lib.apply_items(config, args.set)
    scale = int(config.data.get("scale", 1) or 1)
    if task in args.runs:
        models, sources = [], []
        for path in args.runs[task]:
            loaded, run_config = load_models(path)
            prefix = f"{os.path.basename(os.path.normpath(path))}: " if len(args.runs[task]) > 1 else ""
            models += [dataclasses.replace(m, label=prefix + m.label) for m in loaded]
            config = run_config if run_config is not None and not sources else config
            if run_config is not None:
                sources.append(f"`{path}` (trained on `{json.dumps(run_config.data.degradation.to_dict())}`)")
        source, trained, rows = "loaded from " + ", ".join(sources or args.runs[task]), 0.0, None
    else:
        models, rows, trained, titles = train_and_table(task, config, scale, args)
        source = (f"trained here for {args.minutes:g} min (`{config.name}` with --set overrides {args.set}, on "
                  f"`{json.dumps(config.data.degradation.to_dict())}`)")
    if args.grid:
        if task not in GRID:
            print(f"{task}: no generalization grid (only {', '.join(GRID)})")
        else:
            records = generalization(task, config, models, scale)
            path = os.path.join(args.pictures, f"restoration_generalization_{task}.png")
            titles = grid_picture(records, path)
            source += (f"; picture `{os.path.relpath(path, ROOT)}`: one row per cell (first held-out photo, 112 px "
                       f"centre crop, titled), columns `{' | '.join(titles)}`")
            args.grid_results_[task] = (records, models, config, source)
    return None if rows is None else (rows, trained, titles)


def train_and_table(task: str, config: Any, scale: int, args: argparse.Namespace
                    ) -> tuple[list[Model], list[Row], float, list[str]]:
    """The main table of a task: baselines, our recipe trained for ``--minutes``, the picture."""
    degradation = build_degradation(config.data.degradation.to_dict())
    pairs = held_out_pairs(config.data, degradation, scale)
    tuning_cfg = config.data.copy_and_resolve_references()
    tuning_cfg.eval_photos, tuning_cfg.photos = (config.data.photos[0],), ()
    tuning = held_out_pairs(tuning_cfg, degradation, scale)
    rows = baselines(task, config, pairs, tuning, scale)
    trained_rows, trained = ours(task, config, pairs, scale, args.minutes, args.gan_fraction, args.workdir)
    rows += trained_rows
    titles = picture(rows, pairs, scale, os.path.join(args.pictures, f"restoration_{task}.png"))
    print(targets(task, rows), flush=True)
    models = [Model(r.method, r.restore_fn) for r in trained_rows if r.kind == "ours"]
    return models, rows, trained, titles


def parse_run(item: str) -> tuple[str, str]:
    """``TASK=PATH`` of ``--runs``."""
    task, sep, path = item.partition("=")
    if not sep or task not in TASKS or not path:
        raise argparse.ArgumentTypeError(f"--runs takes TASK=RUN_DIR with TASK one of {', '.join(TASKS)}, got {item!r}")
    return task, path


def main() -> None:
    """Parses the flags, runs the tasks one after another and writes the results files and pictures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=12.0, help="training wall-clock minutes per task")
    parser.add_argument("--gan_fraction", type=float, default=0.25, help="share of the minutes in the GAN phase")
    parser.add_argument("--set", action="append", default=[], type=overrides_lib.parse_item, metavar="FIELD=VALUE",
                        help="a config override for every task, e.g. --set train.lr_decay=cosine (repeatable; a "
                             "decay's window is fitted to each phase's time budget)")
    parser.add_argument("--tasks", default="denoise,derain,sr", help="comma-separated subset of " + ",".join(TASKS))
    parser.add_argument("--runs", action="append", default=[], type=parse_run, metavar="TASK=RUN_DIR",
                        help="score an already trained run directory (tfgan-train's, or one exported restorer) "
                             "instead of training: no main table, only --grid (repeatable, also per task: the "
                             "runs side by side; the first run's config gives the held-out settings)")
    parser.add_argument("--grid", action="store_true",
                        help="also score held-out degradation parameters in and outside the training ranges")
    parser.add_argument("--grid_results", default=os.path.join(ROOT, "benchmarks", "results",
                                                               "restoration_generalization.md"),
                        help="markdown file of the --grid tables (+ .json beside it; '' = do not write)")
    parser.add_argument("--workdir", default="/tmp/tfgan_restoration", help="scratch run directories")
    parser.add_argument("--results", default=os.path.join(ROOT, "benchmarks", "results", "restoration.md"),
                        help="markdown results file ('' = do not write)")
    parser.add_argument("--pictures", default=os.path.join(ROOT, "docs"), help="folder of the picture PNGs")
    args = parser.parse_args()
    runs: dict[str, list[str]] = {}
    for task, path in args.runs:
        runs.setdefault(task, []).append(path)
    args.runs = runs
    args.grid_results_ = {}
    tasks = [t for t in args.tasks.split(",") if t]
    unknown = sorted(set(tasks) - set(TASKS))
    if unknown:
        parser.error(f"unknown task(s) {', '.join(unknown)}; valid: {', '.join(TASKS)}")
    if not 0 <= args.gan_fraction < 1:
        parser.error("--gan_fraction must be in [0, 1)")
    tf.get_logger().setLevel("ERROR")
    started, load_start = utc_now(), load_average()
    command = "python benchmarks/restoration.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    print(f"held-out photos, {args.minutes:g} min of training per task; {machine()}")
    print(f"{'task':8s} {'method':44s} {'PSNR':>6s}  {'SSIM':>7s}  {'PSNR-Y':>6s}  {'SSIM-Y':>7s}  notes")
    results = [(task, *out) for task in tasks if (out := run_task(task, args)) is not None]
    load = load_note(load_start, load_average())
    if args.results and results:
        os.makedirs(os.path.dirname(os.path.abspath(args.results)), exist_ok=True)
        with open(args.results, "w") as f:
            f.write(markdown(results, args, started, command, load))
        print(f"wrote {args.results}")
    if args.grid_results and args.grid_results_:
        os.makedirs(os.path.dirname(os.path.abspath(args.grid_results)), exist_ok=True)
        with open(args.grid_results, "w") as f:
            f.write(grid_markdown(args.grid_results_, started, command, load))
        with open(os.path.splitext(args.grid_results)[0] + ".json", "w") as f:
            json.dump({"date": started, "machine": machine(), "load": load, "command": command,
                       "tasks": {t: {"source": v[3], "cells": v[0]} for t, v in args.grid_results_.items()}},
                      f, indent=2)
        print(f"wrote {args.grid_results}")


if __name__ == "__main__":
    main()
