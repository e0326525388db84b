"""benchmarks/restoration.py: time-budgeted training through the Trainer, and the generalization verdicts."""

from __future__ import annotations

import os

from tests.conftest import ROOT, import_path, tiny_config


def bench():
    return import_path(os.path.join(ROOT, "benchmarks", "restoration.py"), "bench_restoration")


def test_train_for_runs_the_trainer_to_a_time_budget(tmp_path):
    config = tiny_config(export__enabled=False)
    trainer, note, seconds = bench().train_for(config, str(tmp_path / "run"), seconds=1.0)
    step = int(trainer.model.step.numpy())
    assert 2 <= step < config.train.steps == bench().BUDGET_STEPS  # the budget, not train.steps, ended it
    assert seconds >= 1.0 and note.startswith(f"{step} steps in ")
    assert os.path.exists(tmp_path / "run" / "config.json") and os.path.isdir(tmp_path / "run" / "checkpoints")


def test_verdicts_name_the_cells_where_a_model_loses_to_its_input():
    records = [
        {"cell": "a", "input": 20.0, "baseline": {"psnr": 22.0},
         "models": {"m": {"psnr": 25.0, "min_gain_over_input": 3.0}, "n": {"psnr": 21.0, "min_gain_over_input": 0.5}}},
        {"cell": "b", "input": 30.0, "baseline": {"psnr": 29.0},
         "models": {"m": {"psnr": 31.0, "min_gain_over_input": 0.2}, "n": {"psnr": 29.5, "min_gain_over_input": -1.0}}},
    ]
    m, n = bench().verdicts(records)
    assert "≥ input everywhere" in m and "+0.20 dB, at 'b'" in m and "below the classical baseline in 0 of 2" in m
    assert "worse than its input somewhere" in n and "1 cell(s) (b)" in n and "baseline in 1 of 2 cell(s) (a)" in n
