"""Every GAN recipe in ``configs/`` trained for the same short budget: speed, final losses and sample quality.

    python benchmarks/variants.py [--only=dcgan_digits,gan_mog_ring] [--steps_image=100] [--steps_toy=1000]
                                  [--num_samples=1000] [--baseline_steps=5] [--workdir_root=DIR]
                                  [--set=data.batch_size=16 ...] [--results=benchmarks/results/variants.md]

The variants are the recipes in ``configs/`` whose model is not a restoration
model (``pix2pix``), found by listing the directory (``*_bench`` recipes are
fixtures of other benchmarks and skipped). Each is trained with
``trainer.train`` (the path of ``tfgan-train``: same callbacks, checkpoints; export
off) for ``--steps_image`` generator steps (image recipes) or ``--steps_toy``
(2-D mixtures and 1-D signals), then restored with ``trainer.load_run`` and
evaluated with ``evaluation.compute`` on ``--num_samples`` samples:

* digits — Fréchet classifier distance (FCD: ``fid`` on the features of the
  in-project digits classifier, 32 px, trained once and cached) and classifier
  score (``is`` on its probabilities). One classifier for every digits row, so
  the 16 px recipes (BEGAN, EBGAN) are measured by the same network (their
  samples and their real data are resized to 32 px by it);
* LFW — no offline feature network fits faces (Inception needs local weights,
  the classifier is for digits), so ``raw`` features: KID (``kid``, cubic
  polynomial kernel) and Gaussian-kernel MMD² (``mmd``) on the 32×32 pixels;
  both are unbiased, which matters with only 200 real images;
* 2-D mixtures — ``modes``: captured modes, high-quality fraction, reverse KL;
* 1-D signals — MMD² (``mmd``) and the Fréchet distance on the raw signals.

A "real vs real" row per data set compares two disjoint sets of real data with
the same metrics (finite data sets are split by a seeded permutation into halves
of min(num_samples, size/2) examples; SGAN's ``indexed:digits`` shares the digits
row), and the column "@N steps" gives the primary metric of the same recipe
trained for only ``--baseline_steps`` steps (without XLA), so a reader sees both
ends of the scale. Steps/s are measured by the run's own ``Speed/steps_per_sec``
scalars after the first logging interval (a fifth of the run, which holds the
tracing / XLA compilation). Losses are the final Keras logs of ``trainer.train``:
means over the last logging interval. "own terms" lists every other logged term
(penalties, BEGAN's k_t and convergence M, InfoGAN's MI, ...) and the final
``Eval/*`` scalars a variant writes itself (SGAN's held-out accuracy).

Recipes with a step schedule (PGGAN's ``model.stages`` / ``model.fade_steps``)
get it scaled to the budget, so they pass through every stage.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import glob
import math
import os
import shlex
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TFGAN_PROGRESS", "0")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import keras  # noqa: E402
import ml_collections  # noqa: E402
import numpy as np  # noqa: E402
import overrides as overrides_lib  # noqa: E402
import tensorflow as tf  # noqa: E402
from provenance import cpu_model, load_average, load_note, machine, utc_now  # noqa: E402, F401

from tfgan_apps import evaluation, trainer  # noqa: E402
from tfgan_apps.data import Source, load_source  # noqa: E402
from tfgan_apps.metrics import features as feature_nets  # noqa: E402
from tfgan_apps.metrics.spec import evaluate  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG_DIR = os.path.join(ROOT, "tfgan_apps", "configs")
DEFAULT_RESULTS = os.path.join(ROOT, "benchmarks", "results", "variants.md")
#: Models of the restoration applications (paired image-to-image), not GAN variants.
RESTORATION_MODELS = frozenset({"pix2pix"})
#: Recipe-name suffix of fixtures for other benchmarks (e.g. ``dcgan64_bench`` of train_speed.py), not variants.
FIXTURE_SUFFIX = "_bench"
#: Keys every model logs; the rest of the final logs are the variant's own terms.
BASE_LOGS = frozenset({"d_loss", "d_adv", "g_loss", "g_adv", "d_real", "d_fake"})
#: Classifier resolution for every digits row (the recipes' main size).
DIGITS_CLASSIFIER_SIZE = 32


@dataclasses.dataclass(frozen=True)
class Column:
    """One metric column: result key, header, and how to print its value."""

    key: str
    header: str
    scale: float = 1.0
    digits: int = 3

    def format(self, value: float | None) -> str:
        """The value scaled and rounded, ``-`` when missing, ``nan`` when not finite."""
        if value is None:
            return "-"
        if not math.isfinite(value):
            return "nan"
        return f"{value * self.scale:.{self.digits}f}"


@dataclasses.dataclass(frozen=True)
class Kind:
    """How one kind of data is evaluated: metric names, feature network, columns (primary first)."""

    name: str
    title: str
    metrics: tuple[str, ...]
    features: str
    columns: tuple[Column, ...]
    note: str


KINDS = {
    "digits": Kind(
        "digits", "Digits (sklearn 8×8 digits, resized)", ("fid", "is"), "classifier",
        (Column("fid", "FCD ↓", digits=2), Column("is", "CS ↑", digits=2)),
        "FCD: Fréchet distance on the 128-d features of the in-project digits classifier (32 px, cached in "
        "~/.cache/tfgan_apps); CS: its classifier score (exp E KL(p(y|x) ‖ p(y)), at most 10).",
    ),
    "image": Kind(
        "image", "Other images (LFW: scikit-image's 200-image subset, 32×32 grey)", ("kid", "mmd"), "raw",
        (Column("kid", "KID×10³ raw ↓", scale=1e3, digits=2), Column("mmd", "MMD² raw ↓", digits=4)),
        "No offline feature network fits these images (InceptionV3 needs local weights, the classifier knows "
        "digits), so both are on raw pixels: KID (unbiased cubic-kernel MMD², ×10³) and Gaussian-kernel MMD² "
        "(median-heuristic bandwidth). LFW has 200 real images: they are the real set of every LFW row.",
    ),
    "points": Kind(
        "points", "2-D mixtures of Gaussians", ("modes",), "raw",
        (Column("modes", "modes ↑", digits=0), Column("high_quality", "HQ % ↑", scale=100, digits=1),
         Column("reverse_kl", "reverse KL ↓", digits=3)),
        "modes: captured modes (ring 8, grid 25); HQ: samples within 3σ of a centre; reverse KL of the HQ "
        "histogram to uniform weights (nan when no sample is HQ).",
    ),
    "signal": Kind(
        "signal", "1-D signals (sines and chirps, length 64)", ("mmd", "fid"), "raw",
        (Column("mmd", "MMD² ↓", digits=4), Column("fid", "FD raw ↓", digits=3)),
        "Gaussian-kernel MMD² (median-heuristic bandwidth) and the Fréchet distance on the raw 64-d signals.",
    ),
}


@dataclasses.dataclass
class Row:
    """One line of a results table (a variant, or the real-vs-real reference when ``reference``)."""

    name: str
    kind: str
    model: str = ""
    steps: int = 0
    steps_per_sec: float | None = None
    compile_included: bool = False
    d_loss: float | None = None
    g_loss: float | None = None
    metrics: dict[str, float] = dataclasses.field(default_factory=dict)
    baseline: float | None = None
    own: dict[str, float] = dataclasses.field(default_factory=dict)
    train_seconds: float = 0.0
    eval_seconds: float = 0.0
    reference: bool = False
    error: str = ""


# ---------------------------------------------------------------------------- recipes


def load_config(path: str) -> ml_collections.ConfigDict:
    """``get_config()`` of a recipe file."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"recipe_{os.path.basename(path)[:-3]}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.get_config()


def list_variants(config_dir: str = CONFIG_DIR) -> dict[str, str]:
    """Recipe name → path for every config whose model is a GAN variant (not a restoration model,
    not another benchmark's ``*_bench`` fixture, not a recipe for the user's own folder of images)."""
    variants = {}
    for path in sorted(glob.glob(os.path.join(config_dir, "*.py"))):
        name = os.path.basename(path)[:-3]
        if name.startswith("_") or name.endswith(FIXTURE_SUFFIX):
            continue
        config = load_config(path)
        if config.model.name not in RESTORATION_MODELS and config.data.source != "folder:PATH":  # (user data)
            variants[name] = path
    return variants


def kind_of(source: Source) -> str:
    """The evaluation kind of a data source: ``digits``, ``image`` (other images), ``points`` or ``signal``."""
    if source.kind == "image":
        return "digits" if base_source(source).name.startswith("digits") else "image"
    return source.kind


def base_source(source: Source) -> Source:
    """The underlying source of a wrapper such as ``indexed:digits`` (the source itself otherwise)."""
    return getattr(source, "base", source)


def log_interval(steps: int) -> int:
    """The largest divisor of ``steps`` that is at most a fifth of it (at least 1): the first interval,
    which holds the compilation, is left out of steps/s."""
    limit = max(1, steps // 5)
    return max(d for d in range(1, limit + 1) if steps % d == 0)


def scale_schedule(config: ml_collections.ConfigDict, steps: int) -> None:
    """Scales ``model.stages`` (resolution, steps) and ``model.fade_steps`` so the schedule spans ``steps``."""
    stages = config.model.get("stages")
    if not stages:
        return
    total = sum(int(n) for _, n in stages)
    scaled = tuple((int(r), max(1, round(int(n) * steps / total))) for r, n in stages)
    config.model.stages = scaled
    if "fade_steps" in config.model:
        fade = round(int(config.model.fade_steps) * steps / total)
        config.model.fade_steps = min(fade, *(n for _, n in scaled[1:])) if len(scaled) > 1 else fade


def budget_config(path: str, steps: int, run_steps: int, seed: int, overrides: Sequence[tuple[str, str]],
                  jit: bool | None = None) -> ml_collections.ConfigDict:
    """The recipe with the benchmark's overrides, a schedule scaled to ``steps``, trained for ``run_steps``.

    Logging every :func:`log_interval` steps; sample grid and checkpoint only at the end; no periodic
    evaluation; no export (the benchmark restores the checkpoint).
    """
    config = load_config(path)
    overrides_lib.apply_items(config, overrides, skip_missing=True)
    scale_schedule(config, steps)
    interval = log_interval(run_steps)
    config.train.update(steps=run_steps, seed=seed, log_every=interval, image_every=run_steps,
                        checkpoint_every=run_steps, keep_checkpoints=1)
    if "eval_every" in config.train:
        config.train.eval_every = 0
    config.eval.every = 0
    config.export.enabled = False
    if jit is not None:
        config.train.jit_compile = jit
    return config


# ---------------------------------------------------------------------------- measuring


def read_scalars(workdir: str, prefixes: tuple[str, ...] = ("Speed/", "Eval/")) -> dict[str, list[tuple[int, float]]]:
    """``tag → [(step, value), ...]`` (sorted by step) of a run's TensorBoard scalars with these prefixes."""
    out: dict[str, list[tuple[int, float]]] = {}
    for path in sorted(glob.glob(os.path.join(workdir, "events.out.tfevents.*"))):
        for record in tf.data.TFRecordDataset(path):
            event = tf.compat.v1.Event.FromString(record.numpy())
            for value in event.summary.value:
                if not value.tag.startswith(prefixes):
                    continue
                if value.WhichOneof("value") == "simple_value":
                    number = float(value.simple_value)
                else:
                    number = float(tf.make_ndarray(value.tensor))
                out.setdefault(value.tag, []).append((int(event.step), number))
    return {tag: sorted(points) for tag, points in out.items()}


def steady_rate(points: Sequence[tuple[int, float]], total_steps: int, seconds: float) -> tuple[float, bool]:
    """Steps/s from ``Speed/steps_per_sec`` points, leaving out the first interval (compilation).

    Each point is the rate over the interval that ends at its step; the result is total steps over total
    time of the later intervals. With fewer than two points it is ``total_steps / seconds`` and the flag
    says that the compilation is included.
    """
    if len(points) < 2:
        return total_steps / max(seconds, 1e-9), True
    steps = time_taken = 0.0
    for (previous, _), (step, rate) in zip(points, points[1:]):
        steps += step - previous
        time_taken += (step - previous) / max(rate, 1e-12)
    return steps / max(time_taken, 1e-12), False


class Extractors:
    """Feature networks for the metrics, built once per kind and shared by every row of that kind."""

    def __init__(self, cache_dir: str | None = None) -> None:
        self.cache_dir = cache_dir
        self._built: dict[str, evaluation.FeatureFn] = {}

    def get(self, kind: Kind, source: Source) -> evaluation.FeatureFn:
        """The feature function of ``kind`` (the 32 px digits classifier for every digits source)."""
        if kind.name not in self._built:
            if kind.features == "classifier":
                self._built[kind.name] = feature_nets.digits_classifier(
                    self.cache_dir or evaluation.default_cache_dir(), image_size=DIGITS_CLASSIFIER_SIZE,
                    channels=source.shape[-1])
            else:
                self._built[kind.name] = evaluation.feature_fn(kind.features, source)
        return self._built[kind.name]


def real_halves(source: Source, count: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two disjoint sets of real examples: ``count`` each from generative sources; for finite ones
    min(``count``, size // 2) each, split by a seeded permutation (sources may be ordered: LFW's subset
    holds 100 faces, then 100 non-faces)."""
    if source.size is None:
        both = source.examples(2 * count)
        return both[:count], both[count:]
    everything = source.examples()
    half = min(count, len(everything) // 2)
    order = np.random.default_rng(seed).permutation(len(everything))
    return everything[order[:half]], everything[order[half : 2 * half]]


def describe_shape(source: Source) -> str:
    """``32×32 px`` for images, ``length 64`` for signals, ``2-D`` for points."""
    if source.kind == "image":
        return "×".join(str(s) for s in source.shape[:-1]) + " px"
    if source.kind == "signal":
        return f"length {source.shape[0]}"
    return f"{source.shape[-1]}-D"


def reference_row(kind: Kind, source: Source, count: int, extractor: evaluation.FeatureFn, seed: int = 0) -> Row:
    """Metrics of real data against other real data, with the inputs ``evaluation.compute`` builds."""
    start = time.perf_counter()
    real, other = real_halves(source, count, seed)
    inputs = []
    for x in (real, other):
        feats, probs = extractor(x)
        entry = {"features": feats, "samples": x.reshape(len(x), -1)}
        if probs is not None:
            entry["probs"] = probs
        inputs.append(entry)
    names = list(kind.metrics)
    results = evaluate(names, inputs[0], inputs[1], evaluation.metric_options(names, source))
    return Row(name=f"real vs real ({source.name}, {describe_shape(source)}, {len(real)} vs {len(other)})",
               kind=kind.name,
               metrics=results, eval_seconds=time.perf_counter() - start, reference=True)


def train_and_evaluate(config: ml_collections.ConfigDict, workdir: str, kind: Kind, num_samples: int,
                       extractors: Extractors, seed: int) -> tuple[dict[str, Any], dict[str, float], float, float]:
    """Trains with ``trainer.train``, restores with ``trainer.load_run``, evaluates with ``evaluation.compute``.

    Returns (the result of ``trainer.train``, metric values, train seconds, eval seconds).
    """
    start = time.perf_counter()
    result = trainer.train(config, workdir)
    train_seconds = time.perf_counter() - start
    start = time.perf_counter()
    run = trainer.load_run(workdir)
    extractor = extractors.get(kind, run.source)
    metrics = evaluation.compute(list(kind.metrics), run.model, run.source, num_samples, seed=seed,
                                 progress=False, extractor=extractor)
    eval_seconds = time.perf_counter() - start
    del run
    return result, metrics, train_seconds, eval_seconds


def benchmark_variant(name: str, path: str, args: argparse.Namespace, extractors: Extractors,
                      source: Source, workdir_root: str) -> Row:
    """Trains and evaluates one recipe (and its ``--baseline_steps`` self); returns its row."""
    kind = KINDS[kind_of(source)]
    steps = args.steps_toy if kind.name in ("points", "signal") else args.steps_image
    config = budget_config(path, steps, steps, args.seed, args.set)
    row = Row(name=name, kind=kind.name, model=config.model.name, steps=steps)
    result, row.metrics, row.train_seconds, row.eval_seconds = train_and_evaluate(
        config, os.path.join(workdir_root, name), kind, args.num_samples, extractors, args.seed)
    logs = result["logs"]
    row.d_loss, row.g_loss = logs.get("d_loss"), logs.get("g_loss")
    row.own = {k: v for k, v in sorted(logs.items()) if k not in BASE_LOGS}
    scalars = read_scalars(result["workdir"])
    row.steps_per_sec, row.compile_included = steady_rate(scalars.get("Speed/steps_per_sec", []), steps,
                                                          row.train_seconds)
    for tag, points in scalars.items():
        if tag.startswith("Eval/") and points:
            row.own[tag.removeprefix("Eval/")] = points[-1][1]
    if args.baseline_steps > 0:
        early = budget_config(path, steps, args.baseline_steps, args.seed, args.set, jit=False)
        _, metrics, seconds, eval_seconds = train_and_evaluate(
            early, os.path.join(workdir_root, f"{name}@{args.baseline_steps}"), kind, args.num_samples,
            extractors, args.seed)
        row.baseline = metrics[kind.columns[0].key]
        row.eval_seconds += seconds + eval_seconds
    return row


# ---------------------------------------------------------------------------- reporting


def _fmt(value: float | None, digits: int = 3) -> str:
    if value is None:
        return "-"
    return f"{value:.{digits}f}" if math.isfinite(value) else "nan"


def format_tables(rows: Sequence[Row], baseline_steps: int) -> str:
    """Markdown: one table per kind of data (reference rows first), with the kind's metric notes."""
    parts = []
    for kind in KINDS.values():
        selected = [r for r in rows if r.kind == kind.name]
        if not selected:
            continue
        metric_headers = [c.header for c in kind.columns]
        early = [f"{kind.columns[0].header.split(' ')[0]} @{baseline_steps} steps"] if baseline_steps else []
        headers = ["variant", "model", "steps", "steps/s", "final d_loss", "final g_loss", *metric_headers,
                   *early, "own terms (final)", "train s", "eval s"]
        lines = [f"### {kind.title}", "", "| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
        for row in sorted(selected, key=lambda r: not r.reference):
            if row.error:
                cells = [row.name, row.model, str(row.steps), f"**failed:** {row.error}"]
                cells += [""] * (len(headers) - len(cells))
                lines.append("| " + " | ".join(cells) + " |")
                continue
            rate = "-" if row.reference else f"{row.steps_per_sec:.2f}" + ("*" if row.compile_included else "")
            own = ", ".join(f"{k}={_fmt(v)}" for k, v in row.own.items()) or "-"
            cells = [
                f"*{row.name}*" if row.reference else row.name,
                row.model or "-",
                str(row.steps) if row.steps else "-",
                rate,
                _fmt(row.d_loss),
                _fmt(row.g_loss),
                *[c.format(row.metrics.get(c.key)) for c in kind.columns],
                *([kind.columns[0].format(row.baseline)] if baseline_steps else []),
                "-" if row.reference else own,
                "-" if row.reference else f"{row.train_seconds:.0f}",
                f"{row.eval_seconds:.0f}",
            ]
            lines.append("| " + " | ".join(cells) + " |")
        lines += ["", kind.note, ""]
        parts.append("\n".join(lines))
    return "\n".join(parts)


def header(command: str, args: argparse.Namespace, load_start: str, load_end: str, total_seconds: float) -> str:
    """Date, machine, software, command and settings of a benchmark run."""
    return "\n".join([
        "# GAN variants: same short budget, speed, final losses, sample quality",
        "",
        f"- date: {utc_now()}",
        f"- machine: {machine()}; {load_note(load_start, load_end)}",
        f"- command: `{command}`",
        f"- budget: {args.steps_image} generator steps for image recipes, {args.steps_toy} for 2-D mixtures and "
        f"1-D signals; {args.num_samples} generated samples per metric; seed {args.seed}; total "
        f"{total_seconds / 60:.1f} min",
        "- steps/s: after the first fifth of the run (tracing, XLA compilation); `*` = whole run, compilation "
        "included. Final losses: means over the last logging interval (a fifth of the run). train s: "
        "`trainer.train` wall time (build, compile, train); eval s: restore + generate + features + metrics"
        + (f", plus the whole @{args.baseline_steps}-step run (no XLA)." if args.baseline_steps else "."),
        "",
    ])


# ---------------------------------------------------------------------------- entry point


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command-line flags."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", default="", help="comma-separated recipe names (default: every GAN recipe)")
    parser.add_argument("--steps_image", type=int, default=100, help="generator steps for image recipes")
    parser.add_argument("--steps_toy", type=int, default=1000, help="generator steps for 2-D mixtures / 1-D signals")
    parser.add_argument("--num_samples", type=int, default=1000, help="generated samples per evaluation")
    parser.add_argument("--baseline_steps", type=int, default=5,
                        help="also evaluate each recipe after this many steps (0: off)")
    parser.add_argument("--workdir_root", default="", help="run directories go here (default: a temp dir)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", type=overrides_lib.parse_item,
                        help="override a config field in every recipe that has it, e.g. data.batch_size=16")
    parser.add_argument("--config_dir", default=CONFIG_DIR, help=argparse.SUPPRESS)
    parser.add_argument("--results", default=DEFAULT_RESULTS, help="markdown file to write ('' = none)")
    args = parser.parse_args(argv)
    for flag in ("steps_image", "steps_toy", "num_samples"):
        if getattr(args, flag) <= 0:
            parser.error(f"--{flag} must be positive")
    return args


def run_benchmark(args: argparse.Namespace, report: Callable[[str], None] = print,
                  on_rows: Callable[[list[Row], int], None] | None = None) -> list[Row]:
    """Benchmarks the selected recipes; returns the rows (reference rows included).

    ``report`` gets one line per finished recipe, ``on_rows(rows so far, recipes left)`` the rows.
    """
    variants = list_variants(args.config_dir)
    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(variants)
    unknown = [n for n in names if n not in variants]
    if unknown:
        raise SystemExit(f"unknown or non-GAN recipe(s): {', '.join(unknown)}; choices: {', '.join(variants)}")
    workdir_root = args.workdir_root or tempfile.mkdtemp(prefix="tfgan-variants-")
    try:
        return _run_all(names, variants, args, workdir_root, report, on_rows)
    finally:
        if not args.workdir_root:
            shutil.rmtree(workdir_root, ignore_errors=True)


def _run_all(names: Sequence[str], variants: dict[str, str], args: argparse.Namespace, workdir_root: str,
             report: Callable[[str], None], on_rows: Callable[[list[Row], int], None] | None) -> list[Row]:
    extractors = Extractors()
    rows: list[Row] = []
    references: set[tuple[str, tuple[int, ...]]] = set()
    for i, name in enumerate(names, 1):
        config = load_config(variants[name])
        overrides_lib.apply_items(config, args.set, skip_missing=True)
        source = load_source(config.data)
        kind = KINDS[kind_of(source)]
        key = (base_source(source).name, tuple(source.shape))
        if key not in references:
            references.add(key)
            rows.append(reference_row(kind, base_source(source), args.num_samples, extractors.get(kind, source),
                                      args.seed))
        try:
            row = benchmark_variant(name, variants[name], args, extractors, source, workdir_root)
        except Exception as error:  # a broken recipe is a result too; keep benchmarking the others
            row = Row(name=name, kind=kind.name, model=config.model.name, error=f"{type(error).__name__}: "
                      f"{str(error).splitlines()[0][:160] if str(error) else ''}")
        rows.append(row)
        metrics = ", ".join(f"{c.key}={c.format(row.metrics.get(c.key))}" for c in kind.columns)
        report(f"[{i}/{len(names)}] {name}: {row.error or f'{row.steps_per_sec or 0:.2f} steps/s, {metrics}'} "
               f"({row.train_seconds:.0f} s train, {row.eval_seconds:.0f} s eval)")
        if on_rows is not None:
            on_rows(rows, len(names) - i)
        keras.utils.clear_session()
        gc.collect()
    return rows


def main(argv: Sequence[str] | None = None) -> list[Row]:
    """Runs the benchmark, prints the tables and writes them to ``--results`` (updated after every
    recipe, marked partial until the end); returns the rows."""
    args = parse_args(argv)
    command_args = sys.argv[1:] if argv is None else list(argv)
    command = " ".join(["python benchmarks/variants.py", *map(shlex.quote, command_args)])
    load_start = load_average()
    start = time.perf_counter()

    def document(rows: list[Row], left: int) -> str:
        text = header(command, args, load_start, load_average(), time.perf_counter() - start)
        if left:
            text += f"\n**Partial: {left} recipe(s) still running.**\n"
        return text + "\n" + format_tables(rows, args.baseline_steps)

    def write(rows: list[Row], left: int) -> None:
        if args.results:
            os.makedirs(os.path.dirname(os.path.abspath(args.results)), exist_ok=True)
            trainer.write_text_atomic(os.path.abspath(args.results), document(rows, left))

    rows = run_benchmark(args, on_rows=write)
    write(rows, 0)
    print("\n" + document(rows, 0))
    return rows


if __name__ == "__main__":
    # SIGTERM → SystemExit, so the temporary run directories are removed (``finally`` in run_benchmark).
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    main()
