"""Mode coverage on PacGAN's 2-D mixtures: our GAN, WGAN-GP, R1-GAN and PacGAN4 next to the published rows.

    TFGAN_PROGRESS=0 .venv/bin/python benchmarks/mode_coverage.py [--datasets=grid,ring]
        [--variants=gan,wgan_gp,r1,pacgan4] [--seeds=3] [--steps=0] [--samples=2500]
        [--batch_size=128] [--ema | --no-ema] [--r1=0.1] [--jobs=2] [--set FIELD=VALUE ...]
        [--results=benchmarks/results/mode_coverage.md]

The protocol of PacGAN (Lin et al. 2018) after VEEGAN (Srivastava et al. 2017):

* data: ``mog_ring`` (8 modes at (cos 2πi/8, sin 2πi/8), σ = 0.01) and ``mog_grid``
  (25 modes at {−4, −2, 0, 2, 4}², σ = 0.05); each run's source is checked against
  ``tfgan_apps.metrics.modes.ring_centers`` / ``grid_centers`` and σ before training;
* z ~ N(0, I) of dimension 2 (the recipes' ``model.latent_dim``; overridden to 2, and
  said so in the results header, if a recipe differs);
* 2,500 samples per trained model, scored by ``tfgan_apps.metrics.modes.mode_coverage``:
  high quality (HQ) = σ-scaled distance to the nearest mode < 3; modes = modes with ≥ 1
  HQ sample; reverse KL = KL(HQ histogram over modes ‖ uniform);
* several seeds (0 … n−1: weights, data order and noise), mean ± standard error.

Every run trains the way ``tfgan-train`` trains (``trainer.Trainer(config, workdir).fit()``: its
callbacks and checkpoints, export off) from a recipe plus config overrides:

* ``gan``: ``configs/gan_mog_grid.py`` / ``configs/gan_mog_ring.py`` (MLP G/D 3 × 128,
  non-saturating loss, Adam 1e-3, β = (0.5, 0.999)) without the grid recipe's R1 and
  learning-rate decay (``PLAIN``, applied to every variant before its own overrides: the
  grid recipe holds the best configuration found here, the rows compare methods);
* ``wgan_gp``: + Wasserstein loss, gradient penalty λ = 10, 5 critic steps per G step,
  β2 = 0.9 (Gulrajani et al. 2017); it runs ``steps / 5`` generator steps, i.e. the same
  number of D updates (and about the same time) as the others;
* ``r1``: + R1 penalty γ = ``--r1`` on real data (Mescheder et al. 2018);
* ``pacgan4``: ``configs/pacgan_mog_grid.py`` on the grid (the paper's networks, G 4 × 400
  and D 3 × 200, Adam 1e-4; here at the protocol's batch, not the recipe's 100 packs), the
  ring recipe with ``model.stabilizers.packing = 4`` on the ring: D judges 4 samples at once.

Shared protocol overrides (flags; stated in the results header), the same for every
variant: the global batch (``--batch_size``, 128 instead of the recipes' 256: half the
cost per step, and in our tuning runs on the grid more progress per unit of compute than
64 or 256), the EMA generator (``--ema``: samples come from an exponential moving average
of G's weights, β = 0.999, which removes most of the late-training jitter of the modes;
``--no-ema`` scores the raw G), ``jit_compile`` off and 50 steps per execution (speed only: XLA
compilation costs more than it saves on these tiny MLPs). Steps default per dataset
(``Dataset.default_steps``: grid 10,000, ring 5,000). ``--jobs`` runs train side by side
in spawned processes with one intra-/inter-op TensorFlow thread each (measured: TensorFlow's
default threads make one run only about 1.3× faster than one thread on these small
matrices, so two single-threaded runs use 2 cores better); the table gives each run's
wall-clock and CPU seconds.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import importlib.util
import math
import multiprocessing
import os
import shlex
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TFGAN_PROGRESS", "0")

import keras  # noqa: E402
import ml_collections  # noqa: E402
import overrides as overrides_lib  # noqa: E402
import tensorflow as tf  # noqa: E402
from provenance import load_average, load_note, machine, utc_now  # noqa: E402

from tfgan_apps import trainer  # noqa: E402
from tfgan_apps.metrics.modes import grid_centers, mode_coverage, ring_centers  # noqa: E402

LATENT_DIM = 2  # the protocol's 2-D N(0, I) noise
SAMPLE_SEED = 10_000  # samples of seed s are drawn with generate(..., seed=SAMPLE_SEED + s)
STEPS_PER_EXECUTION = 50


@dataclasses.dataclass(frozen=True)
class Dataset:
    """A PacGAN mixture: its recipe, the protocol's centres and σ, and its published rows."""

    recipe: str
    centers: np.ndarray
    std: float
    default_steps: int
    published: tuple[tuple[str, str, float, float, float], ...] = ()  # (source, method, modes, HQ %, KL)


@dataclasses.dataclass(frozen=True)
class Variant:
    """A training method: config overrides on top of a recipe (``recipes`` replaces a dataset's recipe)."""

    label: str
    overrides: Mapping[str, Any]
    recipes: Mapping[str, str] = dataclasses.field(default_factory=dict)


DATASETS: dict[str, Dataset] = {
    "grid": Dataset(
        recipe="gan_mog_grid.py",
        centers=grid_centers(5, 2.0),
        std=0.05,
        default_steps=10000,
        published=(
            ("PacGAN Table 1", "GAN", 17.3, 94.8, 0.70),
            ("PacGAN Table 1", "PacGAN4", 24.8, 93.6, 0.04),
            ("VEEGAN Table 1", "VEEGAN", 24.6, 40.0, float("nan")),
        ),
    ),
    "ring": Dataset(recipe="gan_mog_ring.py", centers=ring_centers(8, 1.0), std=0.01, default_steps=5000),
}

GRID_TARGET = {"modes": 25, "hq": 90.0, "reverse_kl": 0.04}
#: Applied to every variant before its own overrides: the plain method, whatever the recipe's best settings.
PLAIN = {"model.penalties.r1": 0.0, "train.lr_decay": "none"}


def variants(r1_gamma: float) -> dict[str, Variant]:
    """The compared methods; ``r1_gamma`` is R1's γ."""
    return {
        "gan": Variant("GAN (non-saturating)", {}),
        "wgan_gp": Variant(
            "WGAN-GP (λ 10, 5 D steps)",
            {"model.loss": "wasserstein", "model.penalties.gradient_penalty": 10.0, "train.d_steps": 5,
             "train.beta_2": 0.9},
        ),
        "r1": Variant(f"R1-GAN (γ {r1_gamma:g})", {"model.penalties.r1": float(r1_gamma)}),
        "pacgan4": Variant("PacGAN4 (m 4)", {"model.stabilizers.packing": 4}, {"grid": "pacgan_mog_grid.py"}),
    }


@dataclasses.dataclass
class Result:
    """The per-seed scores of one (dataset, variant)."""

    dataset: str
    variant: str
    label: str
    steps: int
    modes: list[float] = dataclasses.field(default_factory=list)
    hq: list[float] = dataclasses.field(default_factory=list)  # percent
    reverse_kl: list[float] = dataclasses.field(default_factory=list)
    seconds: list[float] = dataclasses.field(default_factory=list)  # wall-clock training time
    cpu_seconds: list[float] = dataclasses.field(default_factory=list)  # process CPU time of the training


def mean_se(values: Sequence[float]) -> tuple[float, float, int]:
    """Mean and standard error (sample std with ddof 1 / √n) of the finite values, and their count.

    NaNs (e.g. the reverse KL of a model without any high-quality sample) are left
    out; the standard error is NaN with fewer than two finite values, the mean with none.
    """
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    n = int(x.size)
    mean = float(x.mean()) if n else float("nan")
    se = float(x.std(ddof=1) / math.sqrt(n)) if n > 1 else float("nan")
    return mean, se, n


def format_mean_se(values: Sequence[float], digits: int) -> str:
    """``mean ± se`` (``mean`` alone for one value, ``n/a`` for none), with ``(k/n seeds)`` when some are NaN."""
    mean, se, n = mean_se(values)
    if not n:
        return "n/a"
    text = f"{mean:.{digits}f}" + (f" ± {se:.{digits}f}" if n > 1 else "")
    return text + (f" ({n}/{len(values)} seeds)" if n < len(values) else "")


def split(names: str) -> list[str]:
    """The non-empty items of a comma-separated flag value."""
    return [n.strip() for n in names.split(",") if n.strip()]


def load_config(name: str) -> ml_collections.ConfigDict:
    """``get_config()`` of ``configs/<name>``."""
    spec = importlib.util.spec_from_file_location("recipe", os.path.join(ROOT, "tfgan_apps", "configs", name))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.get_config()


def run_config(dataset: str, variant: Variant, args: argparse.Namespace, seed: int,
               notes: set[str]) -> ml_collections.ConfigDict:
    """The recipe of (dataset, variant) with the variant's and the protocol's overrides for one seed."""
    recipe = variant.recipes.get(dataset, DATASETS[dataset].recipe)
    config = load_config(recipe)
    overrides_lib.set_fields(config, PLAIN)
    overrides_lib.set_fields(config, variant.overrides)
    if config.model.latent_dim != LATENT_DIM:
        notes.add(f"`{recipe}` has latent_dim {config.model.latent_dim}: overridden to {LATENT_DIM}")
        config.model.latent_dim = LATENT_DIM
    steps = max(1, (args.steps or DATASETS[dataset].default_steps) // config.train.d_steps)
    overrides_lib.set_fields(config, {
        "train.steps": steps,
        "train.seed": seed,
        "train.jit_compile": False,
        "train.steps_per_execution": math.gcd(steps, STEPS_PER_EXECUTION),
        "model.stabilizers.ema": bool(args.ema),
        "export.enabled": False,
    })
    if args.batch_size:
        config.data.batch_size = args.batch_size
    overrides_lib.apply_items(config, args.set)
    return config


def check_protocol(dataset: str, source: Any) -> None:
    """Raises if the library's source is not the protocol's mixture (centres and σ)."""
    expected = DATASETS[dataset]
    info = source.info
    centers = np.asarray(info["centers"], np.float64)
    same = centers.shape == expected.centers.shape and np.allclose(centers, expected.centers, atol=1e-6)
    if not (same and math.isclose(info["std"], expected.std)):
        raise RuntimeError(f"source {source.name!r} is not PacGAN's {dataset}: centres or σ = {info['std']} differ")


def train_and_score(config: ml_collections.ConfigDict, dataset: str,
                    samples: int) -> tuple[dict[str, float], float, float]:
    """Trains one run in a temporary directory and scores ``samples`` generated points.

    Returns the scores, the wall-clock and the process CPU seconds of building and training.
    """
    start, cpu_start = time.perf_counter(), time.process_time()
    with tempfile.TemporaryDirectory(prefix="mode-coverage-") as workdir:
        config = config.copy_and_resolve_references()
        config.export.enabled = False
        run = trainer.Trainer(config, workdir)  # what tfgan-train runs: its callbacks and checkpoints
        check_protocol(dataset, run.run.source)
        model = run.model
        if model.latent_dim != LATENT_DIM:
            raise RuntimeError(f"model latent_dim is {model.latent_dim}, the protocol needs {LATENT_DIM}")
        run.fit()
        seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
        points = model.generate(samples, seed=SAMPLE_SEED + config.train.seed).numpy()
        scores = mode_coverage(points, run.run.source.info["centers"], run.run.source.info["std"], threshold=3.0)
    keras.backend.clear_session()
    return scores, seconds, cpu_seconds


def table(results: list[Result], datasets: Sequence[str], seeds: int) -> list[str]:
    """The markdown table: our rows (mean ± standard error over seeds), then the published rows."""
    lines = [
        "| dataset | method | source | G steps | modes | HQ % | reverse KL | train s / run | CPU s / run |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        total = len(DATASETS[r.dataset].centers)
        lines.append(
            f"| {r.dataset} | {r.label} | ours, {len(r.modes)} seed{'s' if len(r.modes) != 1 else ''} | {r.steps} | "
            f"{format_mean_se(r.modes, 1)} / {total} | {format_mean_se(r.hq, 1)} | "
            f"{format_mean_se(r.reverse_kl, 3)} | {format_mean_se(r.seconds, 0)} | {format_mean_se(r.cpu_seconds, 0)} |"
        )
    for name in datasets:
        total = len(DATASETS[name].centers)
        for source, method, modes, hq, kl in DATASETS[name].published:
            kl_text = "—" if math.isnan(kl) else f"{kl:.2f}"
            lines.append(f"| {name} | {method} | {source} | — | {modes:.1f} / {total} | {hq:.1f} | {kl_text} | — | — |")
    return lines


def target_lines(results: list[Result]) -> list[str]:
    """Whether each grid row meets the issue's target (25/25 modes, ≥ 90 % HQ, reverse KL ≤ 0.04) on average."""
    out = []
    for r in results:
        if r.dataset != "grid":
            continue
        modes, hq, kl = mean_se(r.modes)[0], mean_se(r.hq)[0], mean_se(r.reverse_kl)[0]
        met = modes >= GRID_TARGET["modes"] and hq >= GRID_TARGET["hq"] and kl <= GRID_TARGET["reverse_kl"]
        out.append(f"- grid, {r.label}: {modes:.1f} modes, {hq:.1f} % HQ, reverse KL {kl:.3f} → "
                   f"{'**met**' if met else 'not met'}")
    return out


def markdown(results: list[Result], args: argparse.Namespace, notes: set[str], started: str, command: str,
             minutes: float, status: str = "", load: str = "") -> str:
    """The results file: provenance, protocol, the table and the target check (``status``: e.g. partial;
    ``load``: how busy the machine was, ``provenance.load_note``)."""
    datasets = split(args.datasets)
    steps = ", ".join(f"{d} {args.steps or DATASETS[d].default_steps}" for d in datasets)
    lines = [
        "# Mode coverage on PacGAN's 2-D mixtures of Gaussians",
        "",
        f"- date (UTC): {started}",
        f"- machine: {machine()}" + (f"; {load}" if load else ""),
        f"- command: `{command}`",
        f"- total wall-clock: {minutes:.1f} min" + (f" — **{status}**" if status else ""),
        f"- protocol: z ~ N(0, I) with latent_dim {LATENT_DIM} "
        f"({'overridden, see the notes' if notes else 'the recipes’ own'}), {args.samples} samples per model, "
        "HQ = σ-scaled distance to the nearest mode < 3, modes = modes with ≥ 1 HQ sample, reverse KL = "
        "KL(HQ mode histogram ‖ uniform); mean ± standard error over seeds "
        f"{', '.join(str(s) for s in range(args.seeds))}",
        f"- training: recipes `configs/gan_mog_{{grid,ring}}.py` / `pacgan_mog_grid.py` + variant overrides; "
        f"batch {args.batch_size or 'of the recipe'}, EMA generator {'on (β 0.999)' if args.ema else 'off'}, "
        f"steps (D updates) {steps}; WGAN-GP runs 1/5 as many G steps (5 D steps each); R1 γ {args.r1:g}; "
        f"{args.jobs} run(s) at a time"
        + (", each in its own process with one TensorFlow thread" if args.jobs > 1 else "")
        + "".join(f"; `{field}={value}`" for field, value in args.set),
        "- published rows: as printed in the papers' Table 1, with their own, larger networks (PacGAN: G 4 × 400, "
        "D 3 × 200 maxout, batch 100, per `configs/pacgan_mog_grid.py`); no published ring rows are repeated here",
        *[f"- note: {n}" for n in sorted(notes)],
        "",
        *table(results, datasets, args.seeds),
        "",
    ]
    targets = target_lines(results)
    if targets:
        lines += ["Target for the grid (issue): 25/25 modes, ≥ 90 % HQ, reverse KL ≤ 0.04 (means over seeds):", "",
                  *targets, ""]
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The benchmark's flags."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="grid,ring", help="comma-separated subset of " + ",".join(DATASETS))
    parser.add_argument("--variants", default="gan,wgan_gp,r1,pacgan4",
                        help="comma-separated subset of " + ",".join(variants(0.0)))
    parser.add_argument("--seeds", type=int, default=3, help="number of seeds (0 … n−1)")
    parser.add_argument("--steps", type=int, default=0,
                        help="D updates per run (0: per-dataset default " +
                        ", ".join(f"{k} {v.default_steps}" for k, v in DATASETS.items()) + ")")
    parser.add_argument("--samples", type=int, default=2500, help="generated samples scored per model")
    parser.add_argument("--batch_size", type=int, default=128, help="global batch (0: the recipe's)")
    parser.add_argument("--ema", action=argparse.BooleanOptionalAction, default=True,
                        help="score samples of the EMA generator (model.stabilizers.ema)")
    parser.add_argument("--r1", type=float, default=0.1, help="γ of the r1 variant")
    parser.add_argument("--set", action="append", default=[], type=overrides_lib.parse_item, metavar="FIELD=VALUE",
                        help="a config override for every run, e.g. --set train.lr_decay=step (repeatable)")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                        help="runs trained at once, each in its own process with one TensorFlow thread "
                        "(1: one after another in this process, TensorFlow's default threads)")
    parser.add_argument("--results", default=os.path.join(ROOT, "benchmarks", "results", "mode_coverage.md"),
                        help="markdown results file ('' = do not write)")
    args = parser.parse_args(argv)
    for flag, valid in (("datasets", DATASETS), ("variants", variants(0.0))):
        unknown = sorted(set(split(getattr(args, flag))) - set(valid))
        if unknown:
            parser.error(f"unknown {flag} {', '.join(unknown)}; valid: {', '.join(valid)}")
    if min(args.seeds, args.samples, args.jobs) < 1 or min(args.steps, args.batch_size) < 0:
        parser.error("--seeds, --samples and --jobs must be ≥ 1, --steps and --batch_size ≥ 0")
    return args


@dataclasses.dataclass(frozen=True)
class Task:
    """One training run: which row and seed it belongs to, and its resolved config."""

    dataset: str
    variant: str
    seed: int
    config: ml_collections.ConfigDict


def init_worker() -> None:
    """Worker-process setup: one TensorFlow thread per process (``--jobs`` processes share the cores)."""
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    tf.get_logger().setLevel("ERROR")


Output = tuple[dict[str, float], float, float]  # scores, wall-clock s, CPU s of one run


def run_tasks(tasks: Sequence[Task], samples: int, jobs: int,
              on_done: Callable[[list[Output | None]], None] | None = None) -> list[Output]:
    """``train_and_score`` of every task, in order; ``jobs`` > 1 runs them in as many spawned processes.

    ``on_done`` is called after every finished run with the outputs so far (None for runs not done yet).
    """
    outputs: list[Output | None] = [None] * len(tasks)

    def report(i: int) -> None:
        t, (scores, seconds, cpu_seconds) = tasks[i], outputs[i]
        print(f"{t.dataset} {t.variant} seed {t.seed}: {scores['modes']} modes, "
              f"{100 * scores['high_quality']:.1f} % HQ, reverse KL {scores['reverse_kl']:.3f}, "
              f"{seconds:.0f} s ({cpu_seconds:.0f} CPU s)", flush=True)
        if on_done is not None:
            on_done(list(outputs))

    if jobs == 1:
        for i, t in enumerate(tasks):
            outputs[i] = train_and_score(t.config, t.dataset, samples)
            report(i)
        return outputs
    context = multiprocessing.get_context("spawn")  # a fresh TensorFlow per worker, never a forked one
    with concurrent.futures.ProcessPoolExecutor(jobs, mp_context=context, initializer=init_worker) as pool:
        futures = {pool.submit(train_and_score, t.config, t.dataset, samples): i for i, t in enumerate(tasks)}
        for future in concurrent.futures.as_completed(futures):
            outputs[futures[future]] = future.result()
            report(futures[future])
    return outputs


def collect(tasks: Sequence[Task], outputs: Sequence[Output | None], methods: Mapping[str, Variant]) -> list[Result]:
    """Groups per-seed outputs into one ``Result`` per (dataset, variant), in task order (skipping None)."""
    results: dict[tuple[str, str], Result] = {}
    for t, output in zip(tasks, outputs, strict=True):
        if output is None:
            continue
        scores, seconds, cpu_seconds = output
        key = (t.dataset, t.variant)
        if key not in results:
            results[key] = Result(t.dataset, t.variant, methods[t.variant].label, int(t.config.train.steps))
        r = results[key]
        r.modes.append(float(scores["modes"]))
        r.hq.append(100.0 * scores["high_quality"])
        r.reverse_kl.append(float(scores["reverse_kl"]))
        r.seconds.append(seconds)
        r.cpu_seconds.append(cpu_seconds)
    return list(results.values())


def main(argv: Sequence[str] | None = None) -> list[Result]:
    """Trains every (dataset, variant, seed), prints the table and writes ``--results``; returns the results."""
    args = parse_args(argv)
    tf.get_logger().setLevel("ERROR")
    started, load_start = utc_now(), load_average()
    command = "TFGAN_PROGRESS=0 .venv/bin/python benchmarks/mode_coverage.py " + " ".join(
        shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv))
    clock = time.perf_counter()
    methods = variants(args.r1)
    notes: set[str] = set()
    tasks = [
        Task(dataset, name, seed, run_config(dataset, methods[name], args, seed, notes))
        for dataset in split(args.datasets)
        for name in split(args.variants)
        for seed in range(args.seeds)
    ]
    print(f"{len(tasks)} runs, {args.jobs} at a time; {machine()}", flush=True)

    def write(results: list[Result], status: str = "") -> str:
        text = markdown(results, args, notes, started, command, (time.perf_counter() - clock) / 60, status,
                        load_note(load_start, load_average()))
        if args.results:
            os.makedirs(os.path.dirname(os.path.abspath(args.results)), exist_ok=True)
            with open(args.results, "w") as f:
                f.write(text)
        return text

    def partial(outputs: list[Output | None]) -> None:  # a killed run still leaves the finished rows
        done = sum(o is not None for o in outputs)
        if done < len(outputs):
            write(collect(tasks, outputs, methods), f"partial: {done} of {len(outputs)} runs done")

    results = collect(tasks, run_tasks(tasks, args.samples, args.jobs, partial), methods)
    print("\n" + write(results))
    if args.results:
        print(f"wrote {args.results}")
    return results


if __name__ == "__main__":
    main()
