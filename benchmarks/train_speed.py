"""Training speed of the DCGAN on this machine: Keras fit with and without XLA vs a plain eager loop.

    python benchmarks/train_speed.py [--image_size=32] [--batch=64] [--width=64] [--steps=40] [--rounds=3]

Prints one markdown table. Everything is measured in this one run, modes
interleaved round by round (the machine is noisy: compare the ratios, not
numbers from another day): steps/s and images/s (median over rounds), achieved
GFLOP/s from FLOPs counted in the traced train-step graph (``flops.py``), and
the share of an fp32 4096² ``tf.matmul`` measured in the same run. The final
losses are printed so speed never hides a broken step.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
from absl import app, flags  # noqa: E402
from flops import function_flops  # noqa: E402

from tfgan_apps import losses, models  # noqa: E402
from tfgan_apps.config import base_config  # noqa: E402
from tfgan_apps.data import load_source, make_dataset  # noqa: E402

_SIZE = flags.DEFINE_integer("image_size", 32, "Image side (px).")
_BATCH = flags.DEFINE_integer("batch", 64, "Batch size.")
_WIDTH = flags.DEFINE_integer("width", 64, "DCGAN width (ngf = ndf).")
_STEPS = flags.DEFINE_integer("steps", 40, "Timed steps per mode per round.")
_ROUNDS = flags.DEFINE_integer("rounds", 3, "Interleaved rounds.")
_MODES = flags.DEFINE_list("modes", ["fit_xla", "fit", "eager"], "Modes to time.")


def matmul_gflops(n: int = 4096, repeats: int = 5) -> float:
    """Achieved fp32 GFLOP/s of an n×n matmul (best of ``repeats``)."""
    a = tf.random.normal([n, n])
    b = tf.random.normal([n, n])
    fn = tf.function(lambda x, y: tf.reduce_sum(tf.matmul(x, y)))
    fn(a, b).numpy()
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(a, b).numpy()
        best = min(best, time.perf_counter() - t0)
    return 2 * n**3 / best / 1e9


def make_config(jit: bool):
    c = base_config()
    c.data.source = "photos"
    c.data.channels = 3
    c.data.image_size = _SIZE.value
    c.data.batch_size = _BATCH.value
    c.model.latent_dim = 100
    c.model.generator.width = _WIDTH.value
    c.model.discriminator.width = _WIDTH.value
    c.train.jit_compile = jit
    return c


class FitMode:
    """Keras ``fit`` on the project's GAN (the way tfgan-train runs)."""

    def __init__(self, jit: bool, source) -> None:
        keras.utils.set_random_seed(0)
        config = make_config(jit)
        self.model = models.compile_model(models.build(config, source), config.train)
        self.data = make_dataset(source, _BATCH.value, seed=0)
        self.model.fit(self.data, epochs=1, steps_per_epoch=3, verbose=0)  # trace / compile

    def run(self, steps: int) -> dict[str, float]:
        history = self.model.fit(self.data, epochs=1, steps_per_epoch=steps, verbose=0)
        return {k: float(v[-1]) for k, v in history.history.items()}

    def flops(self) -> int:
        spec = {"x": tf.TensorSpec([_BATCH.value, *self.model.generator.output_shape[1:]], tf.float32)}
        return function_flops(tf.function(self.model.train_step), spec)


class EagerMode:
    """A plain eager GradientTape loop over the same nets and losses (the naive baseline)."""

    def __init__(self, source) -> None:
        keras.utils.set_random_seed(0)
        config = make_config(False)
        self.model = models.compile_model(models.build(config, source), config.train)
        self.loss = losses.get("non_saturating")
        self.iterator = iter(make_dataset(source, _BATCH.value, seed=0))
        self.run(2)

    def run(self, steps: int) -> dict[str, float]:
        g, d, m = self.model.generator, self.model.discriminator, self.model
        for _ in range(steps):
            real = next(self.iterator)["x"]
            z = tf.random.normal([_BATCH.value, m.latent_dim])
            with tf.GradientTape() as tape:
                d_loss = tf.reduce_mean(self.loss.discriminator(d(real, training=True), d(g(z, training=True),
                                                                                         training=True)))
            m.d_optimizer.apply_gradients(zip(tape.gradient(d_loss, d.trainable_variables), d.trainable_variables))
            with tf.GradientTape() as tape:
                g_loss = tf.reduce_mean(self.loss.generator(d(g(z, training=True), training=True)))
            m.g_optimizer.apply_gradients(zip(tape.gradient(g_loss, g.trainable_variables), g.trainable_variables))
        return {"d_loss": float(d_loss), "g_loss": float(g_loss)}


def cpu_name() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        return next(line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Model name"))
    except (OSError, StopIteration):
        return platform.processor() or "unknown CPU"


def main(argv: list[str]) -> None:
    del argv
    cfg = make_config(False)
    source = load_source(cfg.data)
    peak = matmul_gflops()
    modes = {}
    for name in _MODES.value:
        modes[name] = {"fit_xla": lambda: FitMode(True, source), "fit": lambda: FitMode(False, source),
                       "eager": lambda: EagerMode(source)}[name]()
    flops = FitMode.flops(modes.get("fit") or FitMode(False, source))
    rates: dict[str, list[float]] = {name: [] for name in modes}
    final: dict[str, dict[str, float]] = {}
    for _ in range(_ROUNDS.value):
        for name, mode in modes.items():
            t0 = time.perf_counter()
            final[name] = mode.run(_STEPS.value)
            rates[name].append(_STEPS.value / (time.perf_counter() - t0))
    eager = statistics.median(rates["eager"]) if "eager" in rates else None
    print(f"\nDCGAN {_SIZE.value}×{_SIZE.value}×3, width {_WIDTH.value}, batch {_BATCH.value}; "
          f"{flops / 1e9:.2f} GFLOP per step (counted); fp32 matmul 4096²: {peak:.0f} GFLOP/s")
    print(f"{cpu_name()}, {os.cpu_count()} cores, TF {tf.__version__}, Keras {keras.__version__}\n")
    print("| mode | steps/s | images/s | GFLOP/s | % of matmul | × eager | final d_loss | final g_loss |")
    print("|---|---|---|---|---|---|---|---|")
    for name, values in rates.items():
        rate = statistics.median(values)
        gflops = rate * flops / 1e9
        vs = f"{rate / eager:.2f}" if eager else "-"
        print(f"| {name} | {rate:.2f} | {rate * _BATCH.value:.0f} | {gflops:.1f} | {100 * gflops / peak:.0f} % | "
              f"{vs} | {final[name]['d_loss']:.3f} | {final[name]['g_loss']:.3f} |")


if __name__ == "__main__":
    app.run(main)
