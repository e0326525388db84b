"""The project's training-speed report: one run, one table.

    python benchmarks/train_speed.py [--sizes=32,64] [--rounds=2] [--steps_32=60] [--steps_64=30]
                                     [--modes=fit,fit_xla,fit_bf16,fit_xla_bf16,eager,torch,...]
                                     [--results=benchmarks/results/train_speed_table.md]

The model is the DCGAN of ``configs/dcgan64_bench.py`` (PyTorch's ``examples/dcgan``:
ngf = ndf = 64, nz = 100, batch 64, Adam 2e-4 β1 0.5, BCE) at 64² and the same
recipe at 32² (one stage fewer), on random crops of the bundled photos through
the project's own ``tf.data`` pipeline. Modes (each row of the table):

* ``fit`` / ``fit_xla`` — Keras ``fit`` on the project's ``GAN`` (as ``tfgan-train``
  runs it), XLA off / on; ``_bf16`` — the same under the ``mixed_bfloat16`` policy;
  ``_spe4`` — ``steps_per_execution=4``.
* ``fit_fusedbn`` / ``fit_fusedbn_bf16`` — ``fit`` / ``fit_bf16`` with every BatchNorm
  built as ``nets.fused_batchnorm.FusedBatchNormalization`` (TensorFlow's fused
  kernel; same weights and arithmetic).
* ``ln_separate`` / ``ln_joint`` — the same recipe with a LayerNorm D (no BatchNorm,
  so the joint D pass on real+fake is exact) with two D calls / one (``d_pass``).
* ``eager`` — a plain eager ``GradientTape`` loop over the same nets and losses
  (the naive baseline).
* ``torch`` — the same architecture and algorithm in PyTorch (``torch_dcgan.py``,
  ``torch.set_num_threads(--torch_threads)``), skipped with a note when torch is
  not installed (``pip install -e .[bench]``); ``torch_bf16`` — the same under
  ``torch.autocast("cpu", dtype=torch.bfloat16)`` (PyTorch's mixed bf16), the
  reference of the Keras ``_bf16`` rows.
* ``default`` — what ``tfgan-train --config=dcgan64_bench`` runs without flags: the
  recipe's ``jit_compile`` and ``mixed_precision`` as the trainer resolves them
  (``auto`` by ``hardware.resolve_precision`` and the cached ``models.probe_jit_compile``;
  the row names the resolved settings) and ``tfgan-train``'s per-step callbacks
  (NaN guard, progress bar, scalar logger).

Everything is measured in this one run, modes interleaved round by round (the
machine may be shared: compare the ratios in one table, not numbers from another
day): steps/s (median over rounds, wall clock), images/s, CPU seconds per step
(the process's user+system time: less sensitive to other jobs than wall time),
achieved GFLOP/s from the FLOPs counted in the traced train-step graph
(``flops.py``: convolutions and matmuls, not by hand) and their share of an fp32
``tf.matmul`` timed in every round of the same run (the best of its rounds), the
speed-up over the eager loop and over PyTorch, and the final losses, so speed
never hides a broken step. The CPU-time columns repeat the comparison per CPU
second (FLOPs / CPU s against the matmul's FLOPs / CPU s; ratios of CPU s/step):
on a loaded machine they are the steadier ones. A data-only loop times the input pipeline alone
(batches/s), to show it is never the bottleneck.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tfgan_apps", "configs"))

import dcgan64_bench  # noqa: E402
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
from absl import app, flags  # noqa: E402
from flops import function_flops  # noqa: E402
from provenance import cpu_model  # noqa: E402

from tfgan_apps import callbacks, hardware, losses, models  # noqa: E402
from tfgan_apps.data import load_source, make_dataset  # noqa: E402
from tfgan_apps.nets.fused_batchnorm import FusedBatchNormalization  # noqa: E402

ALL_MODES = ("default", "fit", "fit_xla", "fit_bf16", "fit_xla_bf16", "fit_fusedbn", "fit_fusedbn_bf16", "fit_spe4",
             "fit_xla_spe4", "fit_xla_reuse",
             "ln_separate", "ln_joint", "eager", "torch", "torch_bf16", "torch_reuse")
_SIZES = flags.DEFINE_list("sizes", ["32", "64"], "Image sides (8·2^k).")
_MODES = flags.DEFINE_list("modes", ["default", "fit", "fit_xla", "fit_bf16", "fit_xla_bf16", "fit_xla_reuse", "eager",
                                     "torch", "torch_bf16", "torch_reuse"],
                           f"Modes to time, from {', '.join(ALL_MODES)}.")
_EXTRA_32 = flags.DEFINE_list("extra_modes_32", ["ln_separate", "ln_joint"], "Modes timed at the smallest side only.")
_STEPS_32 = flags.DEFINE_integer("steps_32", 60, "Timed steps per mode per round at 32² (one fit call).")
_STEPS_64 = flags.DEFINE_integer("steps_64", 30, "Timed steps per mode per round at 64² (and larger; one fit "
                                  "call: fewer steps let its start-up dominate the row).")
_ROUNDS = flags.DEFINE_integer("rounds", 2, "Interleaved rounds.")
_BATCH = flags.DEFINE_integer("batch", 64, "Batch size.")
_WIDTH = flags.DEFINE_integer("width", 64, "DCGAN width (ngf = ndf).")
_TORCH_THREADS = flags.DEFINE_integer("torch_threads", 2, "torch.set_num_threads.")
_RESULTS = flags.DEFINE_string("results", "", "Also write the table (markdown) to this file.")


def matmul_gflops(n: int = 2048, repeats: int = 3) -> tuple[float, float]:
    """fp32 GFLOP/s of an n×n ``tf.matmul``: per wall-clock second and per CPU second (best of ``repeats``)."""
    a = tf.random.normal([n, n])
    b = tf.random.normal([n, n])
    fn = tf.function(lambda x, y: tf.reduce_sum(tf.matmul(x, y)))
    fn(a, b).numpy()
    wall = cpu = float("inf")
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        fn(a, b).numpy()
        wall, cpu = min(wall, time.perf_counter() - w0), min(cpu, time.process_time() - c0)
    return 2 * n**3 / wall / 1e9, 2 * n**3 / cpu / 1e9


def make_config(size: int, jit: bool | str | None = False, precision: str | None = "float32", spe: int = 1,
                d_norm: str = "batch", d_pass: str = "auto", reuse: bool = False) -> Any:
    """``configs/dcgan64_bench.py`` at side ``size`` with the mode's settings (None: the recipe's own)."""
    c = dcgan64_bench.get_config()
    c.data.image_size = size
    c.data.batch_size = _BATCH.value
    c.model.generator.width = c.model.discriminator.width = _WIDTH.value
    c.model.discriminator.norm = d_norm
    if d_pass != "auto":
        c.model.d_pass = d_pass
    c.model.reuse_fakes = reuse
    if jit is not None:
        c.train.jit_compile = jit
    if precision is not None:
        c.train.mixed_precision = precision
    c.train.steps_per_execution = spe
    return c


class FitMode:
    """Keras ``fit`` on the project's GAN (the way ``tfgan-train`` runs it)."""

    callbacks: list[keras.callbacks.Callback] = []

    def __init__(self, size: int, source: Any, fused_bn: bool = False, **settings: Any) -> None:
        self.config = make_config(size, **settings)
        self.policy = hardware.resolve_precision(self.config.train.mixed_precision)
        keras.mixed_precision.set_global_policy(self.policy)
        plain_bn = keras.layers.BatchNormalization
        try:
            keras.utils.set_random_seed(0)
            if fused_bn:  # the net builders look the class up when they build
                keras.layers.BatchNormalization = FusedBatchNormalization
            self.model = models.compile_model(models.build(self.config, source), self.config.train)
            self.stride = self.config.train.steps_per_execution
            self.data = make_dataset(source, _BATCH.value, seed=0)
            if self.model.jit_auto:  # as the trainer does: the cached decision, or a probe (then cached)
                models.probe_jit_compile(self.model, self.data)
        finally:
            keras.mixed_precision.set_global_policy("float32")
            keras.layers.BatchNormalization = plain_bn
        self.model.fit(self.data, epochs=1, steps_per_epoch=2 * self.stride, verbose=0,
                       callbacks=self.callbacks)  # trace / compile

    def run(self, steps: int) -> dict[str, float]:
        steps = max(steps // self.stride, 1) * self.stride
        history = self.model.fit(self.data, epochs=1, steps_per_epoch=steps, verbose=0, callbacks=self.callbacks)
        return {k: float(v[-1]) for k, v in history.history.items()} | {"steps": steps}

    def flops(self) -> int:
        spec = {"x": tf.TensorSpec([_BATCH.value, *self.model.generator.output_shape[1:]], tf.float32)}
        return function_flops(tf.function(self.model.train_step), spec)


class DefaultMode(FitMode):
    """``tfgan-train``'s defaults: the recipe's jit_compile / mixed_precision, resolved as the trainer does,
    and the trainer's per-step callbacks."""

    def __init__(self, size: int, source: Any, logdir: str) -> None:
        self.callbacks = [callbacks.NonFiniteGuard(), callbacks.ProgressBar(10**9, 0),
                          callbacks.ScalarLogger(tf.summary.create_file_writer(logdir), 100)]
        super().__init__(size, source, jit=None, precision=None)
        recipe = self.config.train
        self.description = (f"`tfgan-train` defaults (jit_compile={recipe.jit_compile} → "
                            f"{bool(self.model.jit_compile)}, mixed_precision={recipe.mixed_precision} → "
                            f"{self.policy}, its callbacks)")


class EagerMode:
    """A plain eager GradientTape loop over the same nets and losses (the naive baseline)."""

    def __init__(self, size: int, source: Any) -> None:
        keras.utils.set_random_seed(0)
        config = make_config(size)
        self.model = models.compile_model(models.build(config, source), config.train)
        self.loss = losses.get("non_saturating")
        self.iterator = iter(make_dataset(source, _BATCH.value, seed=0))
        self.run(1)

    def run(self, steps: int) -> dict[str, float]:
        g, d, m = self.model.generator, self.model.discriminator, self.model
        for _ in range(steps):
            real = next(self.iterator)["x"]
            fake = g(tf.random.normal([_BATCH.value, m.latent_dim]), training=True)
            with tf.GradientTape() as tape:
                d_loss = tf.reduce_mean(self.loss.discriminator(d(real, training=True), d(fake, training=True)))
            m.d_optimizer.apply_gradients(zip(tape.gradient(d_loss, d.trainable_variables), d.trainable_variables))
            with tf.GradientTape() as tape:
                fake = g(tf.random.normal([_BATCH.value, m.latent_dim]), training=True)
                g_loss = tf.reduce_mean(self.loss.generator(d(fake, training=True)))
            m.g_optimizer.apply_gradients(zip(tape.gradient(g_loss, g.trainable_variables), g.trainable_variables))
        return {"d_loss": float(d_loss), "g_loss": float(g_loss), "steps": steps}


class TorchMode:
    """The same DCGAN and algorithm in PyTorch, fed from the same tf.data pipeline."""

    def __init__(self, size: int, source: Any, reuse: bool = False, bf16: bool = False) -> None:
        from torch_dcgan import TorchDCGAN

        self.net = TorchDCGAN(size, 3, _WIDTH.value, 100, _BATCH.value, threads=_TORCH_THREADS.value,
                              reuse_fake=reuse, bf16=bf16)
        self.iterator = iter(make_dataset(source, _BATCH.value, seed=0))
        self.run(1)

    def run(self, steps: int) -> dict[str, float]:
        for _ in range(steps):
            d_loss, g_loss = self.net.step(next(self.iterator)["x"].numpy())
        return {"d_loss": d_loss, "g_loss": g_loss, "steps": steps}


def torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def build_mode(name: str, size: int, source: Any) -> Any:
    """The runner of one mode (see the module docstring)."""
    if name == "eager":
        return EagerMode(size, source)
    if name == "default":
        return DefaultMode(size, source, os.path.join(_LOGDIR, f"default{size}"))
    if name in ("torch", "torch_reuse", "torch_bf16"):
        return TorchMode(size, source, reuse=name == "torch_reuse", bf16=name == "torch_bf16")
    if name in ("ln_separate", "ln_joint"):
        return FitMode(size, source, d_norm="layer", d_pass=name[3:])
    settings: dict[str, Any] = {"jit": "_xla" in name, "fused_bn": "_fusedbn" in name}
    if name.endswith("_bf16"):
        settings["precision"] = "mixed_bfloat16"
    if name.endswith("_spe4"):
        settings["spe"] = 4
    if name.endswith("_reuse"):
        settings["reuse"] = True
    return FitMode(size, source, **settings)


_LOGDIR = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"train_speed_{os.getpid()}")


def data_only_rate(source: Any, batches: int = 30) -> float:
    """Batches/s of the input pipeline alone (after its first batch)."""
    iterator = iter(make_dataset(source, _BATCH.value, seed=0))
    next(iterator)
    t0 = time.perf_counter()
    for _ in range(batches):
        next(iterator)["x"].numpy()
    return batches / (time.perf_counter() - t0)


def timed(fn: Callable[[], dict[str, float]]) -> tuple[float, float, dict[str, float]]:
    """(wall seconds, process CPU seconds, result) of one call."""
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - w0, time.process_time() - c0, out


def bench_size(size: int, source: Any, names: list[str], steps: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Builds every mode at one size, times them in interleaved rounds; returns rows and facts."""
    modes, setup = {}, {}
    for name in names:
        t0 = time.perf_counter()
        modes[name] = build_mode(name, size, source)
        setup[name] = time.perf_counter() - t0
        print(f"  {size}² {name}: built and warmed up in {setup[name]:.0f} s", flush=True)
    counted = modes.get("fit") or FitMode(size, source)
    flops = FitMode.flops(counted)
    flops_reuse = None
    if any(n.endswith("_reuse") for n in modes):  # one G forward pass less: counted on its own graph
        flops_reuse = FitMode.flops(modes.get("fit_xla_reuse") or FitMode(size, source, reuse=True))
    wall: dict[str, list[float]] = {n: [] for n in modes}
    cpu: dict[str, list[float]] = {n: [] for n in modes}
    final: dict[str, dict[str, float]] = {}
    peaks, cpu_peaks = [], []
    for r in range(_ROUNDS.value):
        peak, cpu_peak = matmul_gflops()
        peaks.append(peak)
        cpu_peaks.append(cpu_peak)
        for name, mode in modes.items():
            w, c, final[name] = timed(lambda mode=mode: mode.run(steps))
            wall[name].append(final[name]["steps"] / w)
            cpu[name].append(c / final[name]["steps"])
            print(f"  {size}² round {r + 1} {name}: {wall[name][-1]:.3f} steps/s, {cpu[name][-1]:.2f} CPU s/step, "
                  f"d_loss {final[name].get('d_loss', float('nan')):.3f}", flush=True)
    rows = []
    for name in modes:
        rows.append({"size": size, "mode": name, "rate": statistics.median(wall[name]),
                     "cpu": statistics.median(cpu[name]), "d_loss": final[name].get("d_loss", float("nan")),
                     "g_loss": final[name].get("g_loss", float("nan")), "setup": setup[name],
                     "description": getattr(modes[name], "description", DESCRIPTIONS[name]),
                     "bf16": name.endswith("_bf16") or getattr(modes[name], "policy", "") == "mixed_bfloat16"})
    facts = {"flops": flops, "flops_reuse": flops_reuse, "matmul": max(peaks), "matmul_cpu": max(cpu_peaks),
             "data": data_only_rate(source)}
    return rows, facts


DESCRIPTIONS = {
    "fit": "Keras `fit`, fp32", "fit_xla": "Keras `fit`, fp32, XLA", "fit_bf16": "Keras `fit`, mixed bf16",
    "fit_xla_bf16": "Keras `fit`, mixed bf16, XLA", "fit_spe4": "Keras `fit`, fp32, steps_per_execution 4",
    "fit_xla_spe4": "Keras `fit`, fp32, XLA, steps_per_execution 4",
    "ln_separate": "LayerNorm D, two D calls", "ln_joint": "LayerNorm D, joint D call",
    "eager": "eager `GradientTape` loop, fp32", "torch": "PyTorch, fp32",
    "fit_xla_reuse": "Keras `fit`, fp32, XLA, G step on D's fakes (`reuse_fakes`)",
    "torch_reuse": "PyTorch, fp32, G step on D's fakes (the example's algorithm)",
    "torch_bf16": "PyTorch, bf16 autocast", "fit_fusedbn": "Keras `fit`, fp32, fused BatchNorm",
    "fit_fusedbn_bf16": "Keras `fit`, mixed bf16, fused BatchNorm", "default": "`tfgan-train` defaults",
}


def _ratio(row: dict[str, Any], same: dict[str, dict[str, Any]], ref: str, key: str, inverse: bool = False) -> str:
    """row[key] / same[ref][key] (or its inverse, for seconds per step) as text; "-" without that reference."""
    if ref not in same:
        return "-"
    return f"{(same[ref][key] / row[key]) if inverse else (row[key] / same[ref][key]):.2f}"


def table(rows: list[dict[str, Any]], facts: dict[int, dict[str, Any]]) -> str:
    """The markdown table of every row, with ratios against the eager loop, PyTorch at the same precision (bf16
    rows against ``torch_bf16``, reuse rows against ``torch_reuse``) and the faster Keras fp32 row of the same size."""
    lines = ["| side | mode | steps/s | images/s | GFLOP/s | % of matmul | × eager | × torch | × Keras fp32 | "
             "CPU s/step | % of matmul per CPU s | × eager (CPU) | × torch (CPU) | final d_loss | final g_loss |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        f = facts[row["size"]]
        same = {r["mode"]: r for r in rows if r["size"] == row["size"]}
        fp32 = [same[m] for m in ("fit", "fit_xla") if m in same]
        if fp32:
            same["keras_fp32"] = max(fp32, key=lambda r: r["rate"])
        reuse = row["mode"].endswith("_reuse")
        flops = f["flops_reuse"] if reuse else f["flops"]
        torch_ref = "torch_reuse" if reuse and "torch_reuse" in same else "torch"
        if row["bf16"]:
            torch_ref = "torch_bf16"
        gflops = row["rate"] * flops / 1e9
        cpu_gflops = flops / row["cpu"] / 1e9
        lines.append(
            f"| {row['size']}² | {row['description']} | {row['rate']:.3f} | {row['rate'] * _BATCH.value:.1f} | "
            f"{gflops:.1f} | {100 * gflops / f['matmul']:.0f} % | {_ratio(row, same, 'eager', 'rate')} | "
            f"{_ratio(row, same, torch_ref, 'rate')} | {_ratio(row, same, 'keras_fp32', 'rate')} | "
            f"{row['cpu']:.2f} | {100 * cpu_gflops / f['matmul_cpu']:.0f} % | "
            f"{_ratio(row, same, 'eager', 'cpu', True)} | {_ratio(row, same, torch_ref, 'cpu', True)} | "
            f"{row['d_loss']:.3f} | {row['g_loss']:.3f} |")
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    del argv
    names = [n for n in _MODES.value if n]
    unknown = set(names + _EXTRA_32.value) - set(ALL_MODES)
    if unknown:
        raise app.UsageError(f"unknown modes {sorted(unknown)}; valid: {', '.join(ALL_MODES)}")
    notes = []
    os.environ.setdefault("TFGAN_PROGRESS", "0")  # the default row's progress bar: registered, but silent
    torch_names = [n for n in names if n.startswith("torch")]
    if torch_names and not torch_available():
        names = [n for n in names if n not in torch_names]
        notes.append("PyTorch rows skipped: torch is not installed (`pip install -e .[bench]`).")
    torch_version = ""
    if any(n.startswith("torch") for n in names):
        import torch

        torch_version = f", PyTorch {torch.__version__} ({_TORCH_THREADS.value} threads)"
    t_start = time.perf_counter()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    rows: list[dict[str, Any]] = []
    facts: dict[int, dict[str, Any]] = {}
    sizes = [int(s) for s in _SIZES.value]
    for size in sizes:
        source = load_source(make_config(size).data)
        extra = [n for n in _EXTRA_32.value if n and n not in names] if size == min(sizes) else []
        size_names = names + extra
        steps = _STEPS_32.value if size <= 32 else _STEPS_64.value
        size_rows, facts[size] = bench_size(size, source, size_names, steps)
        rows += size_rows
    load_end = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    header = [f"DCGAN (configs/dcgan64_bench.py: ngf = ndf = {_WIDTH.value}, nz = 100, batch {_BATCH.value}), "
              f"{_ROUNDS.value} interleaved rounds; {cpu_model()}, {os.cpu_count()} cores; TF {tf.__version__}, "
              f"Keras {keras.__version__}{torch_version}; load average {load:.1f} at start, {load_end:.1f} at end; "
              f"total {time.perf_counter() - t_start:.0f} s.", "",
              f"- CPU: {hardware.cpu_info().summary()}; TF_ENABLE_ONEDNN_OPTS="
              f"{os.environ.get('TF_ENABLE_ONEDNN_OPTS', '(unset)')}."]
    for size, f in facts.items():
        reuse = f" ({f['flops_reuse'] / 1e9:.4g} with `reuse_fakes`)" if f["flops_reuse"] else ""
        header.append(f"- {size}²: {f['flops'] / 1e9:.4g} GFLOP per training step{reuse} (counted in the traced "
                      "graph); "
                      f"fp32 matmul 2048² in this run: {f['matmul']:.1f} GFLOP/s, {f['matmul_cpu']:.1f} GFLOP per "
                      f"CPU second (best of rounds); input pipeline "
                      f"alone: {f['data']:.0f} batches/s.")
    header += [f"- {n}" for n in notes]
    text = "\n".join(header) + "\n\n" + table(rows, facts) + "\n"
    print("\n" + text)
    if _RESULTS.value:
        os.makedirs(os.path.dirname(_RESULTS.value) or ".", exist_ok=True)
        with open(_RESULTS.value, "w") as out:
            out.write(text)


if __name__ == "__main__":
    app.run(main)
