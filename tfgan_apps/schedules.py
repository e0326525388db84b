"""Learning-rate decay over training steps, shared by every optimizer of a model.

``train.lr_decay`` picks the shape; the learning rate of each optimizer is its
configured rate times one factor of the model's step counter (generator
updates, ``model.step``), so a critic with 5 updates per step decays on the
same clock as its generator. With ``p`` the progress through the decay window
(clipped to [0, 1]) and ``final = train.lr_decay_final``:

* ``none``: no decay (the optimizers keep a plain, checkpointed learning rate);
* ``cosine``: ``final + (1 − final) · ½ (1 + cos π p)`` (SGDR without restarts);
* ``linear``: ``1 − (1 − final) · p`` (pix2pix / CycleGAN's second half);
* ``step``: 1, then ``final`` once the window starts (one drop, e.g. × 0.1).

The window ends at ``train.lr_decay_steps`` (0, the default, means
``train.steps``) and starts at ``train.lr_decay_start`` times that. Its ends are variables, so a time-budgeted driver
(``train.max_minutes``: ``trainer.TimeBudget``) can move them while training; ``scale`` is the
``on_nan=rollback`` factor. The factor is a function of the restored step, so a
resumed run follows the same learning rates as an uninterrupted one. A
rollback's scale lasts for the rest of the process (a fresh process starts at 1).
"""

from __future__ import annotations

import math
from typing import Any

import keras
import tensorflow as tf

from tfgan_apps.errors import ConfigError

DECAYS = ("none", "cosine", "linear", "step")


def check_settings(kind: str, start: float, final: float, steps: int = 0) -> None:
    """ConfigError unless ``train.lr_decay`` / ``_start`` / ``_final`` / ``_steps`` are valid (validation.validate)."""
    if kind not in DECAYS:
        raise ConfigError(f"unknown train.lr_decay {kind!r}; valid choices: {', '.join(DECAYS)}")
    if not 0.0 <= start < 1.0:
        raise ConfigError(f"config.train.lr_decay_start must be in [0, 1), got {start}")
    if not 0.0 < final <= 1.0:
        raise ConfigError(f"config.train.lr_decay_final must be in (0, 1], got {final}")
    if steps < 0:
        raise ConfigError(f"config.train.lr_decay_steps must be ≥ 0 (0 = train.steps), got {steps}")


class LearningRateDecay:
    """The decay factor of a model's learning rates as a function of its step counter.

    Create it (under the strategy scope) before the optimizers, give each
    optimizer ``decay.rate(base_lr)`` as its learning rate, and ``bind`` the model
    once it is compiled (its ``step`` is the generator optimizer's counter).
    """

    def __init__(self, kind: str, total_steps: int, start: float = 0.0, final: float = 0.01) -> None:
        check_settings(kind, start, final)
        if kind == "none":
            raise ConfigError("LearningRateDecay needs a decay shape, not 'none' (use a constant learning rate)")
        self.kind, self.final = kind, float(final)
        begin = int(round(start * total_steps))
        self.begin = tf.Variable(begin, dtype=tf.int64, trainable=False, name="lr_decay_begin")
        self.end = tf.Variable(max(int(total_steps), begin + 1), dtype=tf.int64, trainable=False,
                               name="lr_decay_end")
        self.scale = tf.Variable(1.0, dtype=tf.float32, trainable=False, name="lr_decay_scale")
        self._model: keras.Model | None = None

    def bind(self, model: keras.Model) -> None:
        """Makes ``model.step`` the clock (call after ``model.compile``)."""
        self._model = model

    def set_window(self, begin: int, end: int) -> None:
        """Moves the decay window to steps [begin, end] (the factor is 1 before begin and ``final`` after end)."""
        self.begin.assign(int(begin))
        self.end.assign(max(int(end), int(begin) + 1))

    def factor_at(self, step: Any) -> tf.Tensor:
        """The factor (including the rollback scale) at training step ``step``."""
        step = tf.cast(step, tf.float32)
        begin, end = tf.cast(self.begin, tf.float32), tf.cast(self.end, tf.float32)
        p = tf.clip_by_value((step - begin) / (end - begin), 0.0, 1.0)
        if self.kind == "cosine":
            f = self.final + (1.0 - self.final) * 0.5 * (1.0 + tf.cos(math.pi * p))
        elif self.kind == "linear":
            f = 1.0 - (1.0 - self.final) * p
        else:  # step
            f = tf.where(step >= begin, self.final, 1.0)
        return f * self.scale

    def factor(self) -> tf.Tensor:
        """The factor at the bound model's current step."""
        if self._model is None:
            raise RuntimeError("LearningRateDecay.bind(model) was not called after compile")
        return self.factor_at(self._model.step)

    def rate(self, base_lr: float) -> DecayedRate:
        """A learning-rate schedule for one optimizer: ``base_lr`` × the shared factor."""
        return DecayedRate(self, base_lr)


class DecayedRate(keras.optimizers.schedules.LearningRateSchedule):
    """``base_lr`` × ``LearningRateDecay.factor()``; ignores the optimizer's own iteration count."""

    def __init__(self, decay: LearningRateDecay, base_lr: float) -> None:
        super().__init__()
        self.decay, self.base_lr = decay, float(base_lr)

    def __call__(self, iterations: Any) -> tf.Tensor:
        del iterations  # the clock is the model's step, shared by all optimizers
        return self.base_lr * self.decay.factor()

    def get_config(self) -> dict[str, Any]:
        """For logging only: a DecayedRate is tied to a live model and cannot be rebuilt from its config."""
        return {"base_lr": self.base_lr, "kind": self.decay.kind, "final": self.decay.final}


def from_config(train_cfg: Any) -> LearningRateDecay | None:
    """The decay of ``config.train`` (``lr_decay``, ``_start``, ``_final``, ``_steps``), or None for "none"."""
    kind = str(train_cfg.get("lr_decay", "none"))
    if kind == "none":
        return None
    total = int(train_cfg.get("lr_decay_steps", 0)) or int(train_cfg.steps)
    return LearningRateDecay(kind, total, float(train_cfg.get("lr_decay_start", 0.0)),
                             float(train_cfg.get("lr_decay_final", 0.01)))


def copy_optimizer(optimizer: keras.optimizers.Optimizer) -> keras.optimizers.Optimizer:
    """A fresh optimizer with the same class and settings; a LossScaleOptimizer stays one, a decay is shared."""
    if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        config = optimizer.get_config()
        return keras.optimizers.LossScaleOptimizer(copy_optimizer(optimizer.inner_optimizer),
                                                   initial_scale=config["initial_scale"],
                                                   dynamic_growth_steps=config["dynamic_growth_steps"])
    rate = getattr(optimizer, "_learning_rate", None)  # Keras 3 keeps the variable or the schedule here
    if not isinstance(rate, DecayedRate):
        return keras.optimizers.deserialize(keras.optimizers.serialize(optimizer))
    config = optimizer.get_config()
    config["learning_rate"] = rate
    return type(optimizer).from_config(config)


def scale_learning_rates(model: keras.Model, optimizers: list[keras.optimizers.Optimizer], factor: float) -> None:
    """Multiplies every learning rate by ``factor`` (``on_nan=rollback``): the decay's scale, or each variable."""
    decay = getattr(model, "lr_decay", None)
    if decay is not None:
        decay.scale.assign(decay.scale * factor)
        return
    for optimizer in optimizers:
        optimizer.learning_rate = float(keras.ops.convert_to_numpy(optimizer.learning_rate)) * factor
