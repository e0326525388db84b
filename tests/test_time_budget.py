"""train.max_minutes: a wall-clock budget ends a run cleanly at a step boundary, as train.steps would."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import tensorflow as tf

from tests.conftest import tiny_config
from tfgan_apps.errors import ConfigError
from tfgan_apps.trainer import BUDGET_FILE, Trainer
from tfgan_apps.validation import validate

SECONDS = 1.5


def budget_config(**overrides: object):
    """The tiny DCGAN with far more steps than the budget allows."""
    return tiny_config(**{"train__steps": 10**6, "train__max_minutes": SECONDS / 60.0, **overrides})


def checkpoint_steps(workdir) -> list[int]:
    return sorted(int(p.split("-")[-1].split(".")[0]) for p in os.listdir(os.path.join(workdir, "checkpoints"))
                  if p.endswith(".index"))


def event_steps(workdir, tag: str) -> set[int]:
    steps = set()
    for name in os.listdir(workdir):
        if name.startswith("events.out"):
            for event in tf.compat.v1.train.summary_iterator(os.path.join(workdir, name)):
                if any(v.tag == tag for v in event.summary.value):
                    steps.add(int(event.step))
    return steps


def test_budget_stops_early_and_ends_like_a_normal_run(tmp_path):
    result = Trainer(budget_config(train__log_every=1000, train__image_every=1000,
                                   train__checkpoint_every=1000), str(tmp_path)).fit()
    step, record = result["step"], result["time_budget"]
    assert 2 <= step < 10**6 and record["stopped_by_budget"] and record["last_step"] == step
    assert SECONDS <= record["train_seconds"] < SECONDS + 30 and record["cpu_seconds"] > 0
    # A normal end at the step reached: checkpoint, export, final scalars and sample grid (off the intervals).
    assert checkpoint_steps(tmp_path)[-1] == step
    assert os.path.exists(os.path.join(result["exports"]["generator"], "saved_model.pb"))
    assert step in event_steps(tmp_path, "Loss/D") or step in event_steps(tmp_path, "Speed/steps_per_sec")
    assert step in event_steps(tmp_path, "Samples")
    # The config and the budget's record are in the run directory.
    with open(tmp_path / "config.json") as f:
        assert json.load(f)["train"]["max_minutes"] == pytest.approx(SECONDS / 60.0)
    with open(tmp_path / BUDGET_FILE) as f:
        lines = [json.loads(line) for line in f]
    assert lines[-1]["last_step"] == step and lines[-1]["stopped_by_budget"] is True


def test_resume_continues_from_the_budget_stop_towards_train_steps(tmp_path):
    first = Trainer(budget_config(export__enabled=False), str(tmp_path)).fit()
    second = Trainer(budget_config(export__enabled=False), str(tmp_path)).fit()
    assert second["time_budget"]["first_step"] == first["step"] < second["step"]
    # A budget larger than the work left ends at train.steps as usual, and never goes beyond it.
    total = second["step"] + 4
    third = Trainer(budget_config(train__steps=total, train__max_minutes=5.0, export__enabled=False),
                    str(tmp_path)).fit()
    assert third["step"] == total and third["time_budget"]["stopped_by_budget"] is False


def test_budget_fits_the_lr_decay_window_unless_lr_decay_steps_is_set(tmp_path):
    result = Trainer(budget_config(train__lr_decay="cosine", train__lr_decay_start=0.5, export__enabled=False),
                     str(tmp_path / "a")).fit()
    model, step = result["model"], result["step"]
    begin, end = int(model.lr_decay.begin.numpy()), int(model.lr_decay.end.numpy())
    assert result["time_budget"]["lr_decay_window"] == [begin, end]
    assert step - 1 <= end <= 3 * step + 10 and begin == int(0.5 * end)  # ends near the step the budget reached
    factor = float(model.lr_decay.factor())  # most of the way down (the estimate wobbles on a loaded machine)
    assert factor < 0.8, (step, begin, end, factor)
    np.testing.assert_allclose(float(model.g_optimizer.learning_rate), 2e-4 * factor, rtol=1e-5)
    # An explicit window is the config's: a step-defined schedule that resumes exactly.
    fixed = Trainer(budget_config(train__lr_decay="cosine", train__lr_decay_steps=50_000, export__enabled=False),
                    str(tmp_path / "b")).fit()
    assert int(fixed["model"].lr_decay.end.numpy()) == 50_000 and fixed["time_budget"]["lr_decay_window"] is None


@pytest.mark.parametrize("value", [-1.0, float("nan"), "ten"])
def test_bad_budget_is_one_line_config_error(value):
    config = tiny_config(train__max_minutes=value)
    with pytest.raises(ConfigError, match="max_minutes") as err:
        validate(config)
    assert "\n" not in str(err.value)


def test_budget_off_by_default_changes_nothing(tmp_path):
    result = Trainer(tiny_config(), str(tmp_path)).fit()
    assert result["step"] == 4 and result["time_budget"] is None and not os.path.exists(tmp_path / BUDGET_FILE)


def test_budget_stop_then_resume_equals_an_uninterrupted_run(tmp_path):
    def config(**overrides):
        return budget_config(train__deterministic=True, train__lr_decay="cosine", train__lr_decay_steps=40,
                             export__enabled=False, **overrides)

    stopped = Trainer(config(train__max_minutes=0.4 / 60.0), str(tmp_path / "cut")).fit()["step"]
    total = stopped + 3  # resumed off the loop grid when the budget stopped at an odd step
    resumed = Trainer(config(train__steps=total, train__max_minutes=0.0), str(tmp_path / "cut")).fit()
    reference = Trainer(config(train__steps=total, train__max_minutes=0.0), str(tmp_path / "ref")).fit()
    assert resumed["step"] == reference["step"] == total
    assert resumed["fingerprint"] == reference["fingerprint"]
