"""Models: the base GAN and one module per variant whose algorithm differs."""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import statistics
import tempfile
import time
from typing import Any

import keras
import tensorflow as tf
from absl import logging

from tfgan_apps import schedules
from tfgan_apps.errors import ConfigError
from tfgan_apps.registry import MODELS

# ``train.jit_compile="auto"``: timed steps per setting in the probe (after one step that traces / compiles).
JIT_PROBE_STEPS = 3
# Where the probe's decisions are kept (``jit.json``): $TFGAN_CACHE_DIR, else ~/.cache/tfgan_apps.
CACHE_DIR_ENV = "TFGAN_CACHE_DIR"


def build(config: Any, source: Any, num_replicas: int = 1) -> keras.Model:
    """Builds ``config.model.name`` from the config and the data source (call inside ``strategy.scope()``).

    BatchNorm is synchronised across replicas whenever there is more than one.
    """
    cls = MODELS.get(config.model.name)
    return cls.from_settings(config, source, sync_batchnorm=num_replicas > 1)


def make_optimizer(lr: Any, beta_1: float, beta_2: float, kind: str = "adam") -> keras.optimizers.Optimizer:
    """The optimizer of one network: Adam (the GAN default: lr 2e-4, β = (0.5, 0.999)) or RMSProp.

    ``lr`` is a float or a schedule (``schedules.DecayedRate`` for ``train.lr_decay``).

    ``kind="rmsprop"`` is the WGAN paper's choice (Arjovsky et al. 2017, Alg. 1:
    lr 5e-5, no momentum); it uses ρ = 0.99 and ε = 1e-8 (PyTorch's defaults,
    which the authors' code ran with) and ignores the betas. Under the
    ``mixed_float16`` policy the optimizer is wrapped in a dynamic
    ``LossScaleOptimizer``; ``GAN.apply_update`` scales each loss through it.
    """
    if kind == "adam":
        optimizer = keras.optimizers.Adam(learning_rate=lr, beta_1=beta_1, beta_2=beta_2)
    elif kind == "rmsprop":
        optimizer = keras.optimizers.RMSprop(learning_rate=lr, rho=0.99, epsilon=1e-8)
    else:
        raise ConfigError(f"unknown optimizer {kind!r}; valid choices: adam, rmsprop")
    if keras.mixed_precision.dtype_policy().name == "mixed_float16":
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    return optimizer


def jit_setting(value: Any) -> bool | str:
    """``train.jit_compile`` as True, False or ``"auto"`` (also accepts the strings true/false/1/0)."""
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered == "auto":
            return "auto"
        if lowered in ("true", "1", "yes"):
            return True
        if lowered in ("false", "0", "no"):
            return False
        raise ConfigError(f"config.train.jit_compile must be True, False or 'auto', got {value!r}")
    if value in (True, False, 0, 1) and not isinstance(value, float):
        return bool(value)
    raise ConfigError(f"config.train.jit_compile must be True, False or 'auto', got {value!r}")


def compile_model(model: keras.Model, train_cfg: Any) -> keras.Model:
    """Compiles with one optimizer per network from ``config.train`` and the chosen XLA / execution settings.

    ``model.lr_decay`` is the shared ``schedules.LearningRateDecay`` of
    ``train.lr_decay`` (None for a constant learning rate).

    With ``train.jit_compile="auto"`` the model is compiled without XLA and
    ``model.jit_auto`` is set; ``probe_jit_compile`` (called by the trainer
    before training) then times both settings and keeps the faster one.
    """
    kind = train_cfg.get("optimizer", "adam")
    jit = jit_setting(train_cfg.jit_compile)
    decay = schedules.from_config(train_cfg)

    def rate(lr: float) -> Any:
        return lr if decay is None else decay.rate(lr)

    model.compile(
        d_optimizer=make_optimizer(rate(train_cfg.d_lr), train_cfg.beta_1, train_cfg.beta_2, kind),
        g_optimizer=make_optimizer(rate(train_cfg.g_lr), train_cfg.beta_1, train_cfg.beta_2, kind),
        jit_compile=jit is True,
        steps_per_execution=int(train_cfg.get("steps_per_execution", 1)),
    )
    if decay is not None:
        decay.bind(model)
    model.lr_decay = decay
    model.jit_auto = jit == "auto"
    return model


def _timed_steps(model: keras.Model, dataset: tf.data.Dataset, steps: int) -> float:
    """Median seconds per training step over ``steps`` executions after one warm-up execution."""
    stride = max(int(model.steps_per_execution), 1)
    model.fit(dataset, epochs=1, steps_per_epoch=stride, verbose=0, shuffle=False)  # traces / compiles
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        model.fit(dataset, epochs=1, steps_per_epoch=stride, verbose=0, shuffle=False)
        times.append((time.perf_counter() - start) / stride)
    return statistics.median(times)


def jit_cache_path() -> str:
    """The JSON file of cached ``jit_compile="auto"`` decisions: ``$TFGAN_CACHE_DIR/jit.json``, else
    ``~/.cache/tfgan_apps/jit.json``."""
    root = os.environ.get(CACHE_DIR_ENV) or os.path.join(os.path.expanduser("~"), ".cache", "tfgan_apps")
    return os.path.join(root, "jit.json")


def jit_cache_key(model: keras.Model, dataset: tf.data.Dataset) -> tuple[str, dict[str, Any]]:
    """(key, what it was made of) of the XLA decision for this model, batch, precision, CPU and TensorFlow.

    The parts: the model's class; for each network its class, parameter count and a hash of every weight's
    shape and dtype; the batch's shapes and dtypes; the dtype policy; ``steps_per_execution``; replicas;
    the CPU's model name and flags; the TensorFlow and Keras versions. Any change re-runs the probe.
    """
    from tfgan_apps import hardware

    nets = {}
    for name, item in sorted(model.checkpoint_items().items()):
        if isinstance(item, keras.Model):
            shapes = ";".join(f"{tuple(w.shape)}:{w.dtype}" for w in item.weights)
            nets[name] = {"class": type(item).__name__, "params": int(item.count_params()),
                          "shapes": hashlib.sha256(shapes.encode()).hexdigest()[:16]}
    batch = {str(k): f"{tuple(v.shape)}:{v.dtype.name}" for k, v in
             (dataset.element_spec.items() if isinstance(dataset.element_spec, dict)
              else enumerate(tf.nest.flatten(dataset.element_spec)))}
    cpu = hardware.cpu_info()
    parts = {"model": f"{type(model).__module__}.{type(model).__qualname__}", "nets": nets, "batch": batch,
             "policy": keras.mixed_precision.dtype_policy().name,
             "steps_per_execution": int(model.steps_per_execution),
             "replicas": int(model.distribute_strategy.num_replicas_in_sync),
             "cpu": cpu.model, "cpu_flags": hashlib.sha256(" ".join(sorted(cpu.flags)).encode()).hexdigest()[:16],
             "tensorflow": tf.__version__, "keras": keras.__version__}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:24], parts


def _read_jit_cache(path: str) -> dict[str, Any]:
    """The cached decisions ({} when the file is missing or unreadable: the probe then runs again)."""
    try:
        with open(path) as f:
            data = json.load(f)
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as err:
        logging.warning("jit_compile=auto: ignoring unreadable cache %s (%s)", path, err)
        return {}
    return data if isinstance(data, dict) else {}


def _write_jit_cache(path: str, key: str, entry: dict[str, Any]) -> None:
    """Adds one decision (re-reading the file first, so concurrent runs lose nothing but a race); a cache
    that cannot be written costs a probe on the next run, nothing else."""
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        data = _read_jit_cache(path)
        data[key] = entry
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".jit-")
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=1, sort_keys=True)
        os.replace(tmp, path)
    except OSError as err:
        logging.warning("jit_compile=auto: could not write the cache %s (%s); the next run probes again", path, err)


def probe_jit_compile(model: keras.Model, dataset: tf.data.Dataset, steps: int = JIT_PROBE_STEPS,
                      use_cache: bool = True) -> bool:
    """Chooses XLA on or off for this model, batch and machine, installs that train function and returns it.

    The choice is cached (``jit_cache_path()``, keyed by ``jit_cache_key``: model class,
    networks' shapes and sizes, batch, precision, CPU model and flags, TF version), so the
    probe is paid once per setting and machine, not on every run; ``use_cache=False`` always probes.
    The probe times ``steps`` executions with XLA off and on (median, after one that
    traces / compiles) on ``dataset``; the model's state (``checkpoint_items``: networks,
    optimizers, stabilizers) is saved before and restored after, so training
    then starts exactly where it would have without the probe. Both compiled
    functions are kept and the faster one is installed as ``model.train_function``,
    so nothing is compiled twice. The choice is logged; it depends on the model,
    the batch and the machine (``benchmarks/results/train_speed.md``). Multi-worker
    runs skip the probe and use no XLA (each worker would time on its own and
    could choose differently).
    """
    from tfgan_apps.distribute import is_multi_worker

    model.jit_auto = False
    if is_multi_worker(model.distribute_strategy):  # workers could time differently and disagree
        logging.info("jit_compile=auto: multi-worker run, no probe -> jit_compile=False")
        model.jit_compile = False
        model.make_train_function(force=True)
        return False
    model.jit_compile = True
    if not model.jit_compile:  # Keras refuses XLA here (e.g. op determinism on): nothing to probe
        logging.info("jit_compile=auto: this model cannot use XLA here -> jit_compile=False")
        model.make_train_function(force=True)
        return False
    path = jit_cache_path()
    key, parts = jit_cache_key(model, dataset)
    cached = _read_jit_cache(path).get(key) if use_cache else None
    if isinstance(cached, dict) and isinstance(cached.get("jit_compile"), bool):
        best = cached["jit_compile"]
        model.jit_compile = best
        model.make_train_function(force=True)
        logging.info("jit_compile=auto: cached decision %s (%s) -> jit_compile=%s", key, path, best)
        return best
    checkpoint = tf.train.Checkpoint(**model.checkpoint_items())
    tmp = tempfile.mkdtemp(prefix="tfgan-jit-probe-")
    try:
        saved = checkpoint.write(os.path.join(tmp, "state"))
        timings, functions = {}, {}
        for jit in (False, True):
            model.jit_compile = jit
            model.make_train_function(force=True)
            try:
                timings[jit] = _timed_steps(model, dataset, steps)
            except (tf.errors.InvalidArgumentError, tf.errors.UnimplementedError) as err:
                if not jit:
                    raise
                # XLA cannot compile an op of this model (e.g. an antialiased resize: ScaleAndTranslate).
                reason = next((line.strip() for line in str(err).splitlines() if "XLA" in line), "")
                logging.warning("jit_compile=auto: XLA cannot compile this model (%s) -> jit_compile=False",
                                reason[:200] or type(err).__name__)
                timings[jit] = math.inf
            functions[jit] = model.train_function
        checkpoint.read(saved).assert_existing_objects_matched()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    best = timings[True] < timings[False]
    model.jit_compile = best
    model.train_function = functions[best]
    model.reset_metrics()
    logging.info("jit_compile=auto: %.3f s/step without XLA, %.3f s/step with XLA -> jit_compile=%s",
                 timings[False], timings[True], best)
    if use_cache:
        xla_on = timings[True] if math.isfinite(timings[True]) else None  # None: XLA could not compile it
        _write_jit_cache(path, key, {"jit_compile": best, "seconds_per_step": {"xla_off": timings[False],
                                                                               "xla_on": xla_on},
                                     "measured": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **parts})
    return best
