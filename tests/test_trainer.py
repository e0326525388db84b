"""Trainer: a config into a run directory from Python; training phases; resumes with new intervals."""

import json
import os

import pytest
import tensorflow as tf

from tests.conftest import tiny_config
from tfgan_apps import trainer
from tfgan_apps.errors import TrainingError
from tfgan_apps.trainer import Trainer, fit_segments


def test_fit_segments_align_epoch_ends_to_the_loop():
    assert fit_segments(0, 100, 20) == [(0, 20, 5)]
    assert fit_segments(30, 100, 20) == [(30, 10, 1), (40, 20, 3)]  # resumed off the grid: a partial first epoch
    assert fit_segments(40, 90, 20) == [(40, 20, 2), (80, 10, 1)]  # a phase ending off the grid
    assert fit_segments(45, 47, 20) == [(45, 2, 1)]
    for start, end, loop in ((0, 100, 20), (30, 100, 20), (7, 93, 10), (45, 47, 20)):
        segments = fit_segments(start, end, loop)
        assert segments[0][0] == start and sum(n * e for _, n, e in segments) == end - start
        assert all((first + n * e) % loop == 0 for first, n, e in segments[:-1])


def test_trainer_fits_evaluates_and_exports(tmp_path):
    t = Trainer(tiny_config(), str(tmp_path))
    result = t.fit()
    assert result["step"] == 4 and os.path.exists(result["exports"]["generator"])
    record = t.evaluate(["fd", "kid"], num_samples=64, features="raw", progress=False)
    assert record["step"] == 4 and set(record["metrics"]) == {"fd", "kid", "kid_std"} and record["num_fake"] == 64
    with open(tmp_path / "eval.json") as f:
        assert json.load(f)[-1]["metrics"] == record["metrics"]
    paths = t.export(str(tmp_path / "again"))
    assert os.path.exists(os.path.join(paths["generator"], "saved_model.pb"))


def test_phases_run_one_fit_each_and_set_the_phase_first(tmp_path):
    t = Trainer(tiny_config(train__steps=6), str(tmp_path))
    model = t.model
    calls = []
    model.training_phases = lambda total: [("pretrain", 3), ("adversarial", total)]
    model.set_phase = lambda name: calls.append((name, int(model.step.numpy())))
    fits = []
    original_fit = model.fit

    def counting_fit(*args, **kwargs):
        fits.append((int(model.step.numpy()), kwargs["steps_per_epoch"], kwargs["epochs"]))
        return original_fit(*args, **kwargs)

    model.fit = counting_fit
    assert t.fit()["step"] == 6
    assert calls == [("pretrain", 0), ("adversarial", 3)]
    # Loop length 2 (intervals of 2): the phase boundary at 3 splits the epochs there.
    assert fits == [(0, 2, 1), (2, 1, 1), (3, 1, 1), (4, 2, 1)]
    ckpts = sorted(int(p.split("-")[-1].split(".")[0]) for p in os.listdir(tmp_path / "checkpoints")
                   if p.endswith(".index"))
    assert ckpts[-1] == 6


def test_phases_must_end_at_the_last_step(tmp_path):
    class Model:
        def training_phases(self, total):
            return [("a", 5), ("b", 3)]

    with pytest.raises(TrainingError, match="increasing end steps"):
        trainer.training_phases(Model(), 5)
    assert trainer.training_phases(object(), 7) == [("train", 7)]


def test_resume_with_new_intervals_and_config_history(tmp_path):
    workdir = str(tmp_path)
    trainer.train(tiny_config(train__steps=4), workdir)  # intervals 2: checkpoint at step 4
    longer = tiny_config(train__steps=9, train__log_every=3, train__image_every=3, train__checkpoint_every=3)
    result = trainer.train(longer, workdir)  # loop length 3 from step 4: a partial epoch to 6 first
    assert result["step"] == 9
    assert tf.train.latest_checkpoint(os.path.join(workdir, "checkpoints")).endswith("ckpt-9")
    assert os.path.exists(os.path.join(workdir, "checkpoints", "ckpt-6.index"))
    with open(os.path.join(workdir, "config.json")) as f:
        assert json.load(f)["train"]["steps"] == 9
    with open(os.path.join(workdir, "config_history.jsonl")) as f:
        history = [json.loads(line) for line in f]
    assert [(h["step"], h["config"]["train"]["steps"], h["config"]["train"]["log_every"]) for h in history] == [
        (0, 4, 2), (4, 9, 3)]
    assert all(h["time"].endswith("+00:00") for h in history)
