"""Keras callbacks for a training run: progress bar, TensorBoard scalars and samples, NaN guard, checkpoints,
profiler traces."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from absl import logging

from tfgan_apps import visualize
from tfgan_apps.errors import TrainingError
from tfgan_apps.progress import progress_bar

# Tracker name → hierarchical TensorBoard tag.
_TAGS = {
    "d_loss": "Loss/D/total",
    "d_adv": "Loss/D/adv",
    "g_loss": "Loss/G/total",
    "g_adv": "Loss/G/adv",
    "d_real": "D/real_score",
    "d_fake": "D/fake_score",
}
_PENALTY_NAMES = ("gradient_penalty", "r1", "r2", "dragan")


def tag_for(name: str) -> str:
    """TensorBoard tag of a logged value (penalties under ``Loss/D/reg/``, the rest under ``Train/``)."""
    if name in _TAGS:
        return _TAGS[name]
    if name in _PENALTY_NAMES:
        return f"Loss/D/reg/{name}"
    return f"Train/{name}"


def current_step(model: keras.Model) -> int:
    """The model's completed training steps as a Python int."""
    return int(model.step.numpy())


class ProgressBar(keras.callbacks.Callback):
    """A tqdm bar over the whole run (steps, steps/s, a few losses)."""

    def __init__(self, total_steps: int, initial_step: int, steps_per_execution: int = 1) -> None:
        super().__init__()
        self.total, self.initial, self.stride = total_steps, initial_step, steps_per_execution
        self._bar = None
        self._last_postfix = 0.0

    def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        self._bar = progress_bar(total=self.total, initial=self.initial, desc="train", unit="step")

    def on_train_batch_end(self, batch: int, logs: Mapping[str, Any] | None = None) -> None:
        self._bar.update(self.stride)
        now = time.monotonic()
        if logs and now - self._last_postfix > 1.0:
            self._last_postfix = now
            shown = {k: f"{float(v):.3f}" for k, v in logs.items() if k in ("d_loss", "g_loss")}
            self._bar.set_postfix(shown, refresh=False)

    def on_train_end(self, logs: Mapping[str, Any] | None = None) -> None:
        if self._bar is not None:
            self._bar.close()


class NonFiniteGuard(keras.callbacks.Callback):
    """Acts when a logged loss term becomes NaN/Inf.

    Without ``rollback`` it stops the run with a TrainingError naming the step and
    the term; it runs before the checkpoint callback, so the last good checkpoint
    is kept. With ``rollback`` (``train.on_nan=rollback``) it calls
    ``rollback(step, term)`` (which restores the last checkpoint and lowers the
    learning rates) and ends this ``fit``; ``rolled_back`` then tells the trainer
    to continue from the restored step.
    """

    def __init__(self, rollback: Any = None) -> None:
        super().__init__()
        self.rollback = rollback
        self.rolled_back = False

    def on_train_batch_end(self, batch: int, logs: Mapping[str, Any] | None = None) -> None:
        if self.rolled_back:
            return
        for name, value in (logs or {}).items():
            if not math.isfinite(float(value)):
                step = current_step(self.model)
                if self.rollback is None:
                    raise TrainingError(
                        f"non-finite {name} ({float(value)}) at step {step}; the last good checkpoint is kept. "
                        "Lower the learning rates, add a penalty (e.g. --config.model.penalties.r1=10) "
                        "or set --config.train.on_nan=rollback"
                    )
                self.rollback(step, name)
                self.rolled_back = True
                self.model.stop_training = True
                return


def write_scalars(writer: tf.summary.SummaryWriter, step: int, values: Mapping[str, Any]) -> None:
    """Writes ``{tag: value}`` as TensorBoard scalars at ``step`` and flushes, so a reader sees them at once."""
    with writer.as_default(step=step):
        for tag, value in values.items():
            tf.summary.scalar(tag, float(value))
    writer.flush()


class PeriodicCallback(keras.callbacks.Callback):
    """Acts every N steps, and always at the final step of the run.

    Subclasses implement :meth:`on_period`; it is called at the end of a Keras
    epoch (the trainer's loop of ``config.loop_length`` steps) when the model's
    step counter has crossed a multiple of ``every`` since the previous epoch end,
    or when the step is the final one. The final step is ``final_step`` when
    given (the trainer's ``train.steps``), else the end of the last epoch of this
    ``fit`` — so a 40-step run with ``every=100`` still acts once, at step 40,
    and a 2,050-step run acts at 2,050 after 2,000. ``every ≤ 0`` means only at
    the final step. Callbacks with more than one interval (pictures and
    evaluation) ask :meth:`due` for each.

    A loop cut short (``model.stop_training`` set by a NaN rollback, whose state
    is replaced by the restored checkpoint) is skipped unless
    ``act_when_stopped`` is True.
    """

    act_when_stopped = False

    def __init__(self, every: int, final_step: int | None = None) -> None:
        super().__init__()
        self.every = int(every)
        self.final_step = None if final_step is None else int(final_step)
        self._last = 0  # step at the previous epoch end (or at the start of the fit)
        self._last_epoch = False

    def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        self._last = current_step(self.model)

    def is_final(self, step: int) -> bool:
        """Whether ``step`` ends the run (``final_step`` reached, or the last epoch of this ``fit``)."""
        if self.final_step is not None:
            return step >= self.final_step
        return self._last_epoch

    def due(self, step: int, every: int | None = None) -> bool:
        """Whether to act at ``step``: a multiple of ``every`` (default ``self.every``) was crossed, or it is final."""
        every = self.every if every is None else int(every)
        crossed = every > 0 and step // every > self._last // every
        return crossed or self.is_final(step)

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        step = current_step(self.model)
        epochs = (self.params or {}).get("epochs")
        self._last_epoch = epochs is not None and epoch + 1 >= epochs
        if not self.model.stop_training or self.act_when_stopped:
            self.on_period(step, logs or {})
        self._last = step

    def on_period(self, step: int, logs: Mapping[str, Any]) -> None:
        """Called at every epoch end; act when ``self.due(step)`` (overridden by subclasses)."""
        raise NotImplementedError


class ScalarLogger(PeriodicCallback):
    """Writes every logged term, learning rates and steps/s to TensorBoard every N steps and at the final step."""

    def __init__(self, writer: tf.summary.SummaryWriter, every: int, final_step: int | None = None) -> None:
        super().__init__(every, final_step)
        self.writer = writer
        self._t0 = time.monotonic()
        self._step0 = 0

    def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        super().on_train_begin(logs)
        self._t0, self._step0 = time.monotonic(), current_step(self.model)

    def on_period(self, step: int, logs: Mapping[str, Any]) -> None:
        if not self.due(step):
            return
        now = time.monotonic()
        rate = (step - self._step0) / max(now - self._t0, 1e-9)
        self._t0, self._step0 = now, step
        values = {tag_for(name): value for name, value in logs.items()}
        for net in ("g", "d"):
            optimizer = getattr(self.model, f"{net}_optimizer", None)
            if optimizer is not None:
                values[f"LearningRate/{net.upper()}"] = keras.ops.convert_to_numpy(optimizer.learning_rate)
        values["Speed/steps_per_sec"] = rate
        write_scalars(self.writer, step, values)
        logging.info("step %d: %s (%.2f steps/s)", step,
                     ", ".join(f"{k}={float(v):.4f}" for k, v in logs.items()), rate)


class SampleGrid(PeriodicCallback):
    """Draws samples from a fixed latent batch every N steps and at the final step; writes the picture
    (image grid, 2-D scatter over real points, or signal lines) to TensorBoard as ``Samples``."""

    def __init__(self, writer: tf.summary.SummaryWriter | None = None, every: int = 500, kind: str = "image",
                 count: int = 64, reference: np.ndarray | None = None, seed: int = 1234,
                 final_step: int | None = None, logdir: str | None = None) -> None:
        super().__init__(every, final_step)
        if (writer is None) == (logdir is None):
            raise ValueError("SampleGrid needs a summary writer or a logdir (one of them)")
        writer = writer if writer is not None else tf.summary.create_file_writer(logdir)
        self.writer, self.kind, self.count = writer, kind, count
        self.reference, self.seed = reference, seed

    def on_period(self, step: int, logs: Mapping[str, Any]) -> None:
        if not self.due(step):
            return
        samples = np.asarray(self.model.generate(self.count, seed=self.seed))
        picture = visualize.render(self.kind, samples, self.reference)
        with self.writer.as_default(step=step):
            tf.summary.image("Samples", picture[None], step=step)
        self.writer.flush()


class Checkpointer(PeriodicCallback):
    """Saves a checkpoint every N steps and at the final step (numbered by step), also after an early stop."""

    act_when_stopped = True

    def __init__(self, manager: tf.train.CheckpointManager, every: int, final_step: int | None = None) -> None:
        super().__init__(every, final_step)
        self.manager = manager

    def on_period(self, step: int, logs: Mapping[str, Any]) -> None:
        latest = self.manager.latest_checkpoint
        if latest and latest.endswith(f"-{step}"):  # already saved (e.g. just restored by a rollback)
            return
        if self.due(step):
            path = self.manager.save(checkpoint_number=step)
            logging.info("saved checkpoint %s", path)


def parse_profile_steps(spec: str | tuple[int, int] | None) -> tuple[int, int] | None:
    """``"START,END"`` (or a pair) → (START, END) with 1 ≤ START ≤ END; None or "" → None."""
    if spec is None or spec == "":
        return None
    try:
        start, end = (int(v) for v in (spec.split(",") if isinstance(spec, str) else spec))
    except (TypeError, ValueError):
        raise TrainingError(f"--profile_steps must be START,END (two step numbers), got {spec!r}") from None
    if not 1 <= start <= end:
        raise TrainingError(f"--profile_steps needs 1 ≤ START ≤ END, got {start},{end}")
    return start, end


class Profiler(keras.callbacks.Callback):
    """Records a TensorBoard profiler trace of training steps START..END (inclusive, 1-based step numbers).

    Step s is the s-th generator update, the step of the TensorBoard scalars. The
    trace starts before the execution that runs step START and stops after the one
    that completes step END (with ``steps_per_execution`` > 1 the range widens to
    whole executions), and lands in ``logdir/plugins/profile/<timestamp>/`` where
    TensorBoard's Profile tab (``pip install tensorboard-plugin-profile``) reads it:
    per-op device time, the trace viewer, and the input-pipeline analysis (how much
    of each step waited for tf.data). Steps outside this run's range are ignored.
    """

    def __init__(self, logdir: str, start: int, end: int, steps_per_execution: int = 1) -> None:
        super().__init__()
        self.logdir, self.start, self.end = logdir, int(start), int(end)
        self.stride = max(int(steps_per_execution), 1)
        self._step = 0  # completed steps before the next execution
        self._active = False

    def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        self._step = current_step(self.model)

    def on_train_batch_begin(self, batch: int, logs: Mapping[str, Any] | None = None) -> None:
        first, last = self._step + 1, self._step + self.stride  # steps this execution runs
        if not self._active and first <= self.end and last >= self.start:
            tf.profiler.experimental.start(self.logdir)
            self._active = True
            logging.info("profiler: tracing steps %d..%d into %s", max(first, self.start), self.end, self.logdir)

    def on_train_batch_end(self, batch: int, logs: Mapping[str, Any] | None = None) -> None:
        self._step += self.stride
        if self._active and self._step >= self.end:
            self._stop()

    def on_train_end(self, logs: Mapping[str, Any] | None = None) -> None:
        if self._active:
            self._stop()

    def _stop(self) -> None:
        tf.profiler.experimental.stop()
        self._active = False
        logging.info("profiler: trace written under %s/plugins/profile", self.logdir)
