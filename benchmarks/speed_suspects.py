"""Where the gap to PyTorch is not: each suspect of issue #21 timed on its own, A/B interleaved in one process.

    python benchmarks/speed_suspects.py [--rounds=5] [--parts=callbacks,batchnorm,layout,optimizer]

* ``callbacks`` — ``fit`` of the same compiled model (the README's ``dcgan_digits``,
  32², batch 64, oneDNN, no XLA: the shortest steps, where per-step host work
  weighs most) with no callbacks, with ``tfgan-train``'s per-step ones (NaN guard
  + progress bar: Keras then converts every log value to Python each step, so the
  host waits for each step before it dispatches the next) and with the NaN guard
  alone. Milliseconds per step. (Keras 3.15 on the TensorFlow backend never
  dispatches callbacks asynchronously — ``IS_THREAD_SAFE`` is False — and converts
  the logs of every step to Python whether or not a callback reads them, so
  ``async_safe = True`` on these callbacks would change nothing.)
* ``batchnorm`` — one BatchNorm (training mode, forward + backward) at the DCGAN's
  activation shapes: Keras' ``BatchNormalization`` (moments + elementwise ops) vs
  TensorFlow's fused kernel (``tf.compat.v1.nn.fused_batch_norm``, oneDNN's
  ``_MklFusedBatchNormV3``) vs PyTorch's ``BatchNorm2d``.
* ``layout`` — the DCGAN's stride-2 4×4 convolution and transposed convolution
  (forward + both backward passes) in NHWC (Keras' default) vs NCHW under oneDNN,
  and PyTorch's NCHW.
* ``optimizer`` — one Adam update of the 64² DCGAN's G + D variables (6.3 M
  parameters): Keras ``Adam`` in a ``tf.function``, vs PyTorch ``Adam`` (foreach).

Prints one markdown table (median of rounds, seconds or ms) and the load average;
the machine may be shared, so only ratios within a row are meaningful.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TFGAN_PROGRESS", "0")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
from absl import app, flags  # noqa: E402

from tfgan_apps import callbacks, hardware, models  # noqa: E402
from tfgan_apps.config import dcgan_digits_config  # noqa: E402
from tfgan_apps.data import load_source, make_dataset  # noqa: E402

_ROUNDS = flags.DEFINE_integer("rounds", 5, "Interleaved rounds.")
_PARTS = flags.DEFINE_list("parts", ["callbacks", "batchnorm", "layout", "optimizer"], "Suspects to time.")
_STEPS = flags.DEFINE_integer("steps", 20, "Training steps per round in the callbacks part.")

# (batch, side, channels) of the 64² DCGAN's BatchNorm'd activations (G's 16² and D's 16² layers).
BN_SHAPES = ((64, 16, 16, 128), (64, 32, 32, 64))
# (batch, side in, channels in, channels out) of a stride-2 4×4 layer of the 64² DCGAN (D's second conv).
CONV_SHAPE = (64, 32, 64, 128)


def interleaved(variants: dict[str, Callable[[], None]], rounds: int, repeats: int = 1) -> dict[str, float]:
    """Median seconds per call of each variant, called ``repeats`` times per round, variants interleaved."""
    for fn in variants.values():
        fn()  # warm up / trace
    times: dict[str, list[float]] = {k: [] for k in variants}
    for _ in range(rounds):
        for name, fn in variants.items():
            t0 = time.perf_counter()
            for _ in range(repeats):
                fn()
            times[name].append((time.perf_counter() - t0) / repeats)
    return {k: statistics.median(v) for k, v in times.items()}


def part_callbacks(rounds: int) -> list[tuple[str, str, float]]:
    config = dcgan_digits_config()
    config.train.jit_compile = False
    source = load_source(config.data)
    keras.utils.set_random_seed(0)
    model = models.compile_model(models.build(config, source), config.train)
    data = make_dataset(source, config.data.batch_size, seed=0)
    steps = _STEPS.value

    def fit(cbs: list[keras.callbacks.Callback]) -> Callable[[], None]:
        return lambda: model.fit(data, epochs=1, steps_per_epoch=steps, verbose=0, callbacks=cbs)

    out = interleaved({"none": fit([]), "guard + progress": fit([callbacks.NonFiniteGuard(),
                                                                 callbacks.ProgressBar(10**9, 0)]),
                       "guard": fit([callbacks.NonFiniteGuard()])}, rounds)
    return [("callbacks (dcgan_digits 32², ms/step)", k, 1000 * v / steps) for k, v in out.items()]


def part_batchnorm(rounds: int) -> list[tuple[str, str, float]]:
    rows = []
    for shape in BN_SHAPES:
        x = tf.random.normal(shape)
        layer = keras.layers.BatchNormalization()
        layer.build(shape)
        scale, offset = tf.Variable(tf.ones(shape[-1])), tf.Variable(tf.zeros(shape[-1]))

        @tf.function
        def keras_bn(x=x, layer=layer):
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = tf.reduce_sum(layer(x, training=True))
            return tape.gradient(y, [x, *layer.trainable_variables])

        @tf.function
        def fused_bn(x=x, scale=scale, offset=offset):
            with tf.GradientTape() as tape:
                tape.watch(x)
                y, _, _ = tf.compat.v1.nn.fused_batch_norm(x, scale, offset, epsilon=1e-3, is_training=True)
                y = tf.reduce_sum(y)
            return tape.gradient(y, [x, scale, offset])

        variants = {"Keras BatchNormalization": lambda f=keras_bn: [t.numpy() for t in f()],
                    "tf fused_batch_norm": lambda f=fused_bn: [t.numpy() for t in f()]}
        torch_fn = _torch_bn(shape)
        if torch_fn:
            variants["PyTorch BatchNorm2d"] = torch_fn
        for k, v in interleaved(variants, rounds, repeats=5).items():
            rows.append((f"BatchNorm fwd+bwd {shape} (ms)", k, 1000 * v))
    return rows


def _torch_bn(shape: tuple[int, ...]) -> Callable[[], None] | None:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(os.cpu_count() or 1)
    bn = torch.nn.BatchNorm2d(shape[-1])
    x = torch.randn(shape[0], shape[3], shape[1], shape[2], requires_grad=True)

    def run() -> None:
        bn(x).sum().backward()

    return run


def part_layout(rounds: int) -> list[tuple[str, str, float]]:
    batch, side, cin, cout = CONV_SHAPE
    rows = []
    variants: dict[str, Callable[[], None]] = {}
    for fmt in ("channels_last", "channels_first"):
        shape = (batch, side, side, cin) if fmt == "channels_last" else (batch, cin, side, side)
        x = tf.random.normal(shape)
        conv = keras.layers.Conv2D(cout, 4, strides=2, padding="same", use_bias=False, data_format=fmt)
        up = keras.layers.Conv2DTranspose(cin, 4, strides=2, padding="same", use_bias=False, data_format=fmt)

        @tf.function
        def step(x=x, conv=conv, up=up):
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = tf.reduce_sum(up(conv(x)))
            return tape.gradient(y, [x, *conv.trainable_variables, *up.trainable_variables])

        try:
            step()
        except (tf.errors.InvalidArgumentError, tf.errors.UnimplementedError) as err:
            rows.append(("conv + transposed conv fwd+bwd (ms)", f"Keras {fmt}: fails ({str(err)[:60]})",
                         float("nan")))
            continue
        variants[f"Keras {fmt}"] = lambda f=step: [t.numpy() for t in f()]
    try:
        import torch

        conv_t = torch.nn.Conv2d(cin, cout, 4, 2, 1, bias=False)
        up_t = torch.nn.ConvTranspose2d(cout, cin, 4, 2, 1, bias=False)
        xt = torch.randn(batch, cin, side, side, requires_grad=True)
        variants["PyTorch NCHW"] = lambda: up_t(conv_t(xt)).sum().backward()
    except ImportError:
        pass
    for k, v in interleaved(variants, rounds, repeats=2).items():
        rows.append((f"conv {cin}→{cout} + transposed conv, {side}², batch {batch}, fwd+bwd (ms)", k, 1000 * v))
    return rows


def part_optimizer(rounds: int) -> list[tuple[str, str, float]]:
    sizes = [(4, 4, 100, 512), (4, 4, 512, 256), (4, 4, 256, 128), (4, 4, 128, 64), (4, 4, 64, 3),
             (4, 4, 3, 64), (4, 4, 64, 128), (4, 4, 128, 256), (4, 4, 256, 512), (4, 4, 512, 1)]
    variables = [tf.Variable(tf.random.normal(s) * 0.02) for s in sizes]
    grads = [tf.random.normal(s) * 1e-3 for s in sizes]
    opt = keras.optimizers.Adam(2e-4, beta_1=0.5)
    opt.build(variables)

    @tf.function
    def apply():
        opt.apply_gradients(zip(grads, variables))

    variants = {"Keras Adam (tf.function)": lambda: apply() and None}
    try:
        import torch

        params = [torch.nn.Parameter(torch.randn(*s) * 0.02) for s in sizes]
        for p in params:
            p.grad = torch.randn_like(p) * 1e-3
        topt = torch.optim.Adam(params, lr=2e-4, betas=(0.5, 0.999))
        variants["PyTorch Adam"] = topt.step
    except ImportError:
        pass
    count = sum(int(tf.size(v)) for v in variables) / 1e6
    return [(f"Adam update, {count:.1f} M parameters (ms)", k, 1000 * v)
            for k, v in interleaved(variants, rounds, repeats=5).items()]


PARTS = {"callbacks": part_callbacks, "batchnorm": part_batchnorm, "layout": part_layout,
         "optimizer": part_optimizer}


def main(argv: list[str]) -> None:
    del argv
    unknown = set(_PARTS.value) - set(PARTS)
    if unknown:
        raise app.UsageError(f"unknown parts {sorted(unknown)}; valid: {', '.join(PARTS)}")
    load0 = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    rows = []
    for part in _PARTS.value:
        rows += PARTS[part](_ROUNDS.value)
        print(f"  {part} done", flush=True)
    load1 = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    lines = [f"{hardware.cpu_info().summary()}; TF {tf.__version__}, Keras {keras.__version__}; "
             f"TF_ENABLE_ONEDNN_OPTS={os.environ.get('TF_ENABLE_ONEDNN_OPTS', '(unset)')}; "
             f"{_ROUNDS.value} interleaved rounds, median; load average {load0} at start, {load1} at end.", "",
             "| suspect | variant | time |", "|---|---|---|"]
    lines += [f"| {suspect} | {variant} | {value:.2f} |" for suspect, variant, value in rows]
    print("\n".join(lines))


if __name__ == "__main__":
    app.run(main)
