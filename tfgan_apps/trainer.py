"""Train a model from a config into a run directory, resuming from its latest checkpoint.

The run directory holds TensorBoard events, ``checkpoints/``, the resolved
``config.json`` and ``export/`` (SavedModels), everything needed to reproduce,
resume or serve the run.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
import os
import shutil
import tempfile
import time
from typing import Any

import keras
import ml_collections
import numpy as np
import tensorflow as tf
from absl import logging

from tfgan_apps import callbacks as cb
from tfgan_apps import export, hardware, models
from tfgan_apps.config import from_json, loop_length, to_json
from tfgan_apps.configs import check_placeholders
from tfgan_apps.data import Source, load_source, make_dataset
from tfgan_apps.distribute import split_cpu, strategy_from
from tfgan_apps.errors import TrainingError
from tfgan_apps.schedules import scale_learning_rates
from tfgan_apps.validation import validate

CONFIG_FILE = "config.json"
HISTORY_FILE = "config_history.jsonl"


@dataclasses.dataclass
class Run:
    """A built run: the strategy, data source, compiled model and its checkpoint manager."""

    config: ml_collections.ConfigDict
    workdir: str
    strategy: tf.distribute.Strategy
    source: Source
    model: keras.Model
    manager: tf.train.CheckpointManager
    is_chief: bool = True
    restore_dir: str = ""  # checkpoints every worker resumes from (the chief's)


def prepare_runtime(config: ml_collections.ConfigDict) -> None:
    """Process-wide settings: logical CPUs, seeds, op determinism, dtype policy."""
    split_cpu(config.train.logical_cpus)
    keras.utils.set_random_seed(config.train.seed)
    if config.train.deterministic:
        tf.config.experimental.enable_op_determinism()
    keras.mixed_precision.set_global_policy(hardware.resolve_precision(config.train.mixed_precision))  # "auto": by CPU


def _is_chief(strategy: tf.distribute.Strategy) -> bool:
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.cluster_spec().as_dict():
        return True
    return resolver.task_type in ("chief", None) or (
        resolver.task_type == "worker" and resolver.task_id == 0 and "chief" not in resolver.cluster_spec().as_dict()
    )


def check_compatible(workdir: str, config: ml_collections.ConfigDict) -> None:
    """Refuses to reuse a run directory whose checkpoints belong to a different model or data shape."""
    path = os.path.join(workdir, CONFIG_FILE)
    if not os.path.exists(path) or not tf.train.latest_checkpoint(os.path.join(workdir, "checkpoints")):
        return
    with open(path) as f:
        saved = from_json(f.read())
    for section, keys in (("model", None), ("data", ("source", "image_size", "channels"))):
        old, new = saved[section].to_dict(), config[section].to_dict()
        if keys:
            old, new = {k: old.get(k) for k in keys}, {k: new.get(k) for k in keys}
        if to_json(ml_collections.ConfigDict(old)) != to_json(ml_collections.ConfigDict(new)):
            changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
            raise TrainingError(
                f"{workdir!r} holds checkpoints of a different run (config.{section} differs in: "
                f"{', '.join(changed)}); use another --workdir or delete that directory"
            )


def write_text_atomic(path: str, text: str) -> None:
    """Writes a file via a temporary file and rename."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path) or ".", prefix=".tmp-")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def build_run(config: ml_collections.ConfigDict, workdir: str) -> Run:
    """Validates the config, builds data and model under the strategy and restores the latest checkpoint."""
    check_placeholders(config)
    validate(config)
    prepare_runtime(config)
    strategy = strategy_from(config.train.strategy, config.train.tpu)
    is_chief = _is_chief(strategy)
    check_compatible(workdir, config)
    restore_from = os.path.join(workdir, "checkpoints")  # every worker resumes from the chief's checkpoints
    if not is_chief:  # non-chief workers save into a private place, deleted after the run (TF multi-worker guide)
        workdir = tempfile.mkdtemp(prefix="tfgan-worker-")
    source = load_source(config.data)
    with strategy.scope():
        model = models.build(config, source, strategy.num_replicas_in_sync)
        models.compile_model(model, config.train)
    checkpoint = tf.train.Checkpoint(**model.checkpoint_items())
    manager = tf.train.CheckpointManager(
        checkpoint, os.path.join(workdir, "checkpoints"), max_to_keep=config.train.keep_checkpoints
    )
    latest = tf.train.latest_checkpoint(restore_from)
    if latest:
        status = checkpoint.restore(latest)
        try:
            status.assert_existing_objects_matched()
        except AssertionError as err:
            raise TrainingError(
                f"checkpoint {latest!r} does not match this model ({str(err)[:200]}); use another --workdir"
            ) from None
        logging.info("restored %s (step %d)", latest, int(model.step.numpy()))
    return Run(config, workdir, strategy, source, model, manager, is_chief, restore_from)


def eval_callbacks(config: ml_collections.ConfigDict, writer: Any, source: Source) -> list[keras.callbacks.Callback]:
    """The periodic evaluation callback when ``config.eval.every`` > 0 and metrics are named."""
    eval_cfg = config.get("eval")
    if not eval_cfg or not eval_cfg.get("every") or not eval_cfg.get("metrics"):
        return []
    from tfgan_apps.evaluation import EvalCallback, check_metrics, resolve_features

    names = [m.strip() for m in eval_cfg.metrics.split(",") if m.strip()]
    check_metrics(names, resolve_features(eval_cfg.features, source))  # refused before training, not at step N
    return [EvalCallback(writer, eval_cfg.every, names, source, eval_cfg.num_samples, eval_cfg.features,
                         final_step=config.train.steps)]


def degradation_from(data_cfg: Any) -> Any:
    """The configured degradation function, or None."""
    spec = data_cfg.get("degradation")
    if not spec:
        return None
    from tfgan_apps.data.degradations import build_degradation

    return build_degradation(spec.to_dict() if isinstance(spec, ml_collections.ConfigDict) else spec)


def _hparams(config: ml_collections.ConfigDict) -> dict[str, Any]:
    flat: dict[str, Any] = {}

    def walk(prefix: str, node: Any) -> None:
        for key, value in node.items():
            name = f"{prefix}{key}"
            if isinstance(value, ml_collections.ConfigDict):
                walk(name + ".", value)
            elif isinstance(value, (bool, int, float, str)):
                flat[name] = value
            else:
                flat[name] = str(value)

    walk("", config)
    return flat


def record_config(workdir: str, config: ml_collections.ConfigDict, step: int) -> None:
    """Writes ``config.json`` (the latest config) and appends one line to ``config_history.jsonl``.

    Each line is ``{"time", "step", "config"}``: the config a start (fresh or resumed at ``step``) ran with,
    so a rerun with other settings (fewer steps, new intervals) never loses what the run was trained with.
    """
    path = os.path.join(workdir, CONFIG_FILE)
    if os.path.exists(path):
        with open(path) as f:
            previous = json.load(f)
        old_steps, new_steps = previous.get("train", {}).get("steps"), config.train.steps
        if old_steps != new_steps:
            logging.warning("config.train.steps changes from %s to %s at step %d (history: %s)", old_steps,
                            new_steps, step, HISTORY_FILE)
    text = to_json(config)
    write_text_atomic(path, text)
    line = {"time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"), "step": step,
            "config": json.loads(text)}
    with open(os.path.join(workdir, HISTORY_FILE), "a") as f:
        f.write(json.dumps(line, sort_keys=True) + "\n")


def training_phases(model: keras.Model, total_steps: int) -> list[tuple[str, int]]:
    """The model's ``training_phases(total_steps)`` ((name, end step) in order, the last ending at
    ``total_steps``), or one phase ``("train", total_steps)`` for models without the method."""
    phases = getattr(model, "training_phases", None)
    if phases is None:
        return [("train", total_steps)]
    result = [(str(name), min(int(end), total_steps)) for name, end in phases(total_steps)]
    ends = [end for _, end in result]
    if not result or ends != sorted(ends) or ends[-1] != total_steps:
        raise TrainingError(f"{type(model).__name__}.training_phases({total_steps}) must list (name, end step) "
                            f"with increasing end steps, the last {total_steps}; got {result}")
    return result


class TimeBudget(keras.callbacks.Callback):
    """``train.max_minutes``: ends a ``Trainer.fit`` at the first step boundary after a wall-clock budget.

    The clock starts at the end of the invocation's first training step, so tracing, XLA compilation and
    the data pipeline's warm-up are not counted (they are reported as ``setup_seconds``). When the budget
    is spent the callback sets ``model.stop_training``; the trainer then ends the run at that step as it
    would at ``train.steps``: final scalars, pictures and evaluations, a checkpoint and the export. One
    instance spans every ``model.fit`` call of the invocation (fit segments, training phases).

    Learning-rate decay: when ``train.lr_decay`` is on and ``train.lr_decay_steps`` is 0 (the window ends
    where the run ends), the run's end is the budget's: after every step the window's end is re-estimated
    as the step the budget will reach at the speed so far (at most ``train.steps``), its start at
    ``lr_decay_start`` of the way from the invocation's first step, so the rates reach their final value
    when the time is up. A resumed invocation fits a new window over its own budget (a warm restart,
    SGDR-style); with an explicit ``lr_decay_steps`` the window stays where the config puts it.

    Resume: the budget never moves ``train.steps``. A run stopped by the budget holds a checkpoint at the
    step it reached; running it again resumes there towards ``train.steps`` with a fresh budget. The data
    order and every checkpointed state are functions of the step, so without a budget-fitted decay window
    the run is step-for-step the one an uninterrupted run would have been.
    """

    def __init__(self, minutes: float, decay_start: float = 0.0, final_step: int | None = None,
                 fit_decay: bool = True) -> None:
        super().__init__()
        self.seconds = float(minutes) * 60.0
        self.decay_start, self.final_step, self.fit_decay = float(decay_start), final_step, fit_decay
        self.expired = False
        self.begin: float | None = None  # monotonic time of the first on_train_begin
        self.start: float | None = None  # ... and of the end of the first step (the budget's clock)
        self.cpu_start = 0.0
        self.setup_seconds = 0.0
        self.step0: int | None = None  # step at the first on_train_begin
        self.step1 = 0  # step after the first training step
        self.window: tuple[int, int] | None = None
        self.elapsed = self.cpu_elapsed = 0.0  # wall / CPU seconds of training up to the last step's end

    def _decay(self) -> Any:
        return getattr(self.model, "lr_decay", None) if self.fit_decay else None

    def _fit_window(self, end: int) -> None:
        decay = self._decay()
        if decay is None or self.step0 is None:
            return
        if self.final_step is not None:
            end = min(end, int(self.final_step))
        begin = self.step0 + int(self.decay_start * (end - self.step0))
        decay.set_window(begin, end)
        self.window = (int(decay.begin.numpy()), int(decay.end.numpy()))

    def on_train_begin(self, logs: Any = None) -> None:
        if self.step0 is None:
            self.begin, self.step0 = time.monotonic(), int(self.model.step.numpy())
            self._fit_window(self.step0 + 10**9)  # no decay until the speed is known

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        now = time.monotonic()
        if self.start is None:
            self.start, self.cpu_start = now, time.process_time()
            self.setup_seconds = now - (self.begin or now)
            self.step1 = int(self.model.step.numpy())
            return
        elapsed = now - self.start
        self.elapsed, self.cpu_elapsed = elapsed, time.process_time() - self.cpu_start
        if elapsed >= self.seconds:
            self.expired = True
            self.model.stop_training = True
            return
        step = int(self.model.step.numpy())
        rate = (step - self.step1) / max(elapsed, 1e-9)
        self._fit_window(step + int(rate * (self.seconds - elapsed)) + 1)

    def summary(self) -> dict[str, Any]:
        """What the budget did: minutes, whether it ended the run, steps, wall / CPU seconds of training (to the
        end of the last step; final evaluation and export not included), the decay window."""
        step = int(self.model.step.numpy()) if self.model is not None else None
        return {
            "max_minutes": self.seconds / 60.0, "stopped_by_budget": self.expired, "first_step": self.step0,
            "last_step": step, "setup_seconds": round(self.setup_seconds, 2),
            "train_seconds": round(self.elapsed, 2), "cpu_seconds": round(self.cpu_elapsed, 2),
            "lr_decay_window": list(self.window) if self.window else None,
        }


def time_budget(config: ml_collections.ConfigDict) -> TimeBudget | None:
    """The ``TimeBudget`` of ``config.train.max_minutes``, or None when it is 0 (off)."""
    minutes = float(config.train.get("max_minutes", 0.0) or 0.0)
    if minutes <= 0:
        return None
    return TimeBudget(minutes, float(config.train.get("lr_decay_start", 0.0)), int(config.train.steps),
                      fit_decay=not int(config.train.get("lr_decay_steps", 0) or 0))


BUDGET_FILE = "time_budget.jsonl"


class Trainer:
    """Runs a config into a run directory from Python: ``Trainer(config, workdir).fit()``.

    The same object serves ``tfgan-train``, the benchmarks and a notebook::

        from tfgan_apps import configs
        trainer = Trainer(configs.load("dcgan_digits"), "runs/dcgan")
        trainer.fit()                          # trains or resumes to config.train.steps, exports
        trainer.evaluate(["fcd", "kid"], 1000) # metrics, appended to runs/dcgan/eval.json
        trainer.export()                       # re-export the SavedModels

    The run (strategy, data source, compiled model, checkpoint manager) is built on first use and restored
    from the directory's latest checkpoint; ``fit`` returns what ``train`` returns.
    """

    def __init__(self, config: ml_collections.ConfigDict, workdir: str) -> None:
        self.config, self.workdir = config, workdir
        self._run: Run | None = None

    @property
    def run(self) -> Run:
        """The built (and restored) run."""
        if self._run is None:
            self._run = build_run(self.config, self.workdir)
        return self._run

    @property
    def model(self) -> keras.Model:
        """The compiled model of the run."""
        return self.run.model

    def fit(self, profile_steps: tuple[int, int] | str | None = None) -> dict[str, Any]:
        """Trains (or resumes) to ``config.train.steps``, or until ``config.train.max_minutes`` is spent, and
        exports; see ``train``."""
        return _train(self.run, profile_steps)

    def evaluate(self, metrics: Any = ("auto",), num_samples: int = 1000, features: str = "auto",
                 seed: int = 0, **kwargs: Any) -> dict[str, Any]:
        """Scores the current model (``evaluation.evaluate_run``) and appends the record to ``eval.json``."""
        from tfgan_apps import evaluation

        run = self.run
        step = int(run.model.step.numpy())
        record = evaluation.evaluate_run(list(metrics), run.model, run.source, num_samples, features=features,
                                         seed=seed, step=step, **kwargs)
        if run.is_chief:
            evaluation.write_results(run.workdir, step, record)
        return record

    def export(self, export_dir: str | None = None) -> dict[str, str]:
        """Writes the model's SavedModels to ``export_dir`` (default ``WORKDIR/export``); returns their paths."""
        run = self.run
        return export.save(run.model, run.source, export_dir or os.path.join(run.workdir, "export"))


def train(config: ml_collections.ConfigDict, workdir: str,
          profile_steps: tuple[int, int] | str | None = None) -> dict[str, Any]:
    """Trains (or resumes) to ``config.train.steps`` and exports (``Trainer(config, workdir).fit()``).

    Returns ``step``, the final ``logs``, the ``exports`` paths, ``workdir``, the weights ``fingerprint``,
    the trained ``model`` itself (for scoring it in the same process) and ``time_budget`` (``TimeBudget.summary``
    when ``train.max_minutes`` > 0, also appended to ``WORKDIR/time_budget.jsonl``; else None). A spent budget
    ends the run early at a step boundary, exactly as ``train.steps`` would (``TimeBudget``).

    ``profile_steps=(START, END)`` (or ``"START,END"``) writes a TensorBoard profiler
    trace of those training steps under ``workdir/plugins/profile/`` (``callbacks.Profiler``).
    """
    return Trainer(config, workdir).fit(profile_steps)


def _train(run: Run, profile_steps: tuple[int, int] | str | None = None) -> dict[str, Any]:
    """``train`` on a built run: one ``model.fit`` per training phase, NaN rollbacks, export."""
    profile = cb.parse_profile_steps(profile_steps)
    config, model, workdir = run.config, run.model, run.workdir
    start = int(model.step.numpy())
    if run.is_chief:
        record_config(workdir, config, start)
    steps = config.train.steps
    logs: dict[str, Any] = {}
    rollbacks = 0
    if start >= steps:
        logging.info("run in %s is already at step %d of %d", workdir, start, steps)
    budget = time_budget(config) if start < steps else None
    for phase, end in training_phases(model, steps):
        if budget is not None and budget.expired:
            break
        if start >= end:
            continue
        if hasattr(model, "set_phase"):
            model.set_phase(phase)
            logging.info("phase %r: steps %d to %d", phase, start, end)
        while start < end:
            guard = cb.NonFiniteGuard(rollback=_rollback_fn(run) if config.train.on_nan == "rollback" else None)
            logs = _fit(run, start, end, guard, profile, budget) or logs
            start = int(model.step.numpy())
            if not guard.rolled_back:
                break
            rollbacks += 1
            if rollbacks > config.train.max_rollbacks:
                raise TrainingError(
                    f"still non-finite after {config.train.max_rollbacks} rollbacks (train.max_rollbacks); "
                    f"stopped at step {start} with the last good checkpoint kept. Lower the learning rates or add a "
                    "penalty"
                )
    budget_record = _record_budget(run, budget) if budget is not None else None
    # Every worker exports (saving may run collectives); non-chief workers into their private directory.
    paths = export.save(model, run.source, os.path.join(workdir, "export")) if config.export.enabled else {}
    fingerprint = weights_fingerprint(model)
    logging.info("final step %d, weights fingerprint %s", int(model.step.numpy()), fingerprint)
    if not run.is_chief:
        shutil.rmtree(workdir, ignore_errors=True)
        paths = {}
    return {"step": int(model.step.numpy()), "logs": logs, "exports": paths, "workdir": workdir,
            "fingerprint": fingerprint, "model": model, "time_budget": budget_record}


def _record_budget(run: Run, budget: TimeBudget) -> dict[str, Any]:
    """Logs what ``train.max_minutes`` did and appends it as one JSON line to ``WORKDIR/time_budget.jsonl``."""
    record = {"time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              **budget.summary()}
    if budget.expired:
        logging.info("train.max_minutes=%g spent: stopped at step %d of %d (%.0f s of training, %.0f CPU s, "
                     "%.0f s setup not counted); rerun to resume towards train.steps", record["max_minutes"],
                     record["last_step"], run.config.train.steps, record["train_seconds"], record["cpu_seconds"],
                     record["setup_seconds"])
    if run.is_chief:
        with open(os.path.join(run.workdir, BUDGET_FILE), "a") as f:
            f.write(json.dumps(record, sort_keys=True) + "\n")
    return record


def weights_fingerprint(model: keras.Model) -> str:
    """A short SHA-256 of every checkpointed network weight: equal on all workers of a synchronous run."""
    digest = hashlib.sha256()
    for name, item in sorted(model.checkpoint_items().items()):
        if isinstance(item, keras.Model):
            for weight in item.weights:
                digest.update(name.encode())
                digest.update(np.ascontiguousarray(keras.ops.convert_to_numpy(weight)).tobytes())
    return digest.hexdigest()[:16]


def fit_segments(start: int, end: int, loop: int) -> list[tuple[int, int, int]]:
    """``model.fit`` calls that take the step from ``start`` to ``end`` with epoch ends on multiples of ``loop``:
    (first step, steps per epoch, epochs). A start or end off the loop grid (a run resumed with new
    intervals, a phase boundary) gets its own one-epoch partial call."""
    segments = []
    aligned = min(-(-start // loop) * loop, end)
    if aligned > start:
        segments.append((start, aligned - start, 1))
    full_end = max(end // loop * loop, aligned)
    if full_end > aligned:
        segments.append((aligned, loop, (full_end - aligned) // loop))
    if end > full_end:
        segments.append((full_end, end - full_end, 1))
    return segments


def _fit(run: Run, start: int, end: int, guard: cb.NonFiniteGuard,
         profile: tuple[int, int] | None = None, budget: TimeBudget | None = None) -> dict[str, float]:
    """``model.fit`` from step ``start`` to ``end`` (or until ``guard`` rolls back or ``budget`` is spent): one
    call per ``fit_segments`` entry, each on a dataset that starts at its first step (so a resume repeats the
    data). A spent budget ends the run at its step: every periodic callback acts as at the final step.

    With ``train.jit_compile="auto"`` the first call times XLA off/on first (``models.probe_jit_compile``).
    """
    config, model, workdir = run.config, run.model, run.workdir
    steps, loop = config.train.steps, loop_length(config)
    batch = config.data.batch_size * config.train.d_steps
    writer = tf.summary.create_file_writer(workdir)
    if start == 0:
        from tensorboard.plugins.hparams import api as hp

        with writer.as_default():
            hp.hparams(_hparams(config))
    reference = run.source.examples(1000) if run.source.kind == "points" else None
    callbacks = [
        cb.ScalarLogger(writer, config.train.log_every, final_step=steps),
        cb.SampleGrid(writer, config.train.image_every, run.source.kind, config.export.grid_size, reference,
                      final_step=steps),
        *eval_callbacks(config, writer, run.source),
        *model.training_callbacks(writer=writer, source=run.source, config=config),
        cb.Checkpointer(run.manager, config.train.checkpoint_every, steps),
    ]
    if profile and run.is_chief:
        callbacks.append(cb.Profiler(workdir, *profile, config.train.steps_per_execution))
    logs: dict[str, float] = {}
    for first, per_epoch, epochs in fit_segments(start, end, loop):
        dataset = make_dataset(run.source, batch, seed=config.train.seed, start_step=first,
                               degradation=degradation_from(config.data), d_steps=config.train.d_steps,
                               replicas=run.strategy.num_replicas_in_sync)
        if getattr(model, "jit_auto", False):
            models.probe_jit_compile(model, dataset)
        # shuffle=False: the pipeline shuffles (statelessly, so resumes repeat it); Keras would only warn.
        bar = cb.ProgressBar(steps, first, config.train.steps_per_execution)
        extra = [budget] if budget is not None else []
        history = model.fit(dataset, epochs=epochs, steps_per_epoch=per_epoch,
                            callbacks=[guard, bar, *extra, *callbacks], verbose=0, shuffle=False)
        logs = {k: float(v[-1]) for k, v in history.history.items()} or logs
        if guard.rolled_back:
            break
        if budget is not None and budget.expired:
            _end_here(model, callbacks, logs)
            break
    writer.close()
    return logs


def _end_here(model: keras.Model, callbacks: list[keras.callbacks.Callback], logs: dict[str, float]) -> None:
    """Makes the current step the final one of every periodic callback and lets each act (scalars, pictures,
    evaluation, checkpoint), as at ``train.steps``; Keras skipped them because ``stop_training`` was set."""
    step = int(model.step.numpy())
    for callback in callbacks:
        if isinstance(callback, cb.PeriodicCallback):
            callback.final_step = step
            callback.on_period(step, logs)


def _rollback_fn(run: Run) -> Any:
    """``on_nan=rollback``: restores the latest checkpoint and multiplies every optimizer's learning rate."""
    factor = float(run.config.train.nan_lr_factor)

    def rollback(step: int, term: str) -> None:
        latest = tf.train.latest_checkpoint(run.restore_dir)
        if latest is None:
            raise TrainingError(f"non-finite {term} at step {step} before the first checkpoint: nothing to roll back "
                                "to; lower the learning rates or checkpoint earlier (train.checkpoint_every)")
        tf.train.Checkpoint(**run.model.checkpoint_items()).restore(latest).assert_existing_objects_matched()
        optimizers = {id(o): o for o in run.model.checkpoint_items().values()
                      if isinstance(o, keras.optimizers.Optimizer)}
        scale_learning_rates(run.model, list(optimizers.values()), factor)
        logging.warning("non-finite %s at step %d: rolled back to %s and scaled the learning rates by %g",
                        term, step, latest, factor)

    return rollback


def load_run(workdir: str) -> Run:
    """Rebuilds the model of an existing run directory from its config.json and latest checkpoint."""
    path = os.path.join(workdir, CONFIG_FILE)
    if not os.path.exists(path):
        raise TrainingError(f"{workdir!r} is not a run directory (no {CONFIG_FILE}); train first with tfgan-train")
    with open(path) as f:
        config = from_json(f.read())
    run = build_run(config, workdir)
    if not run.manager.latest_checkpoint:
        raise TrainingError(f"{workdir!r} has no checkpoint yet")
    return run
