"""tfgan-sweep: search spaces as config data, trials on one Optuna study, pruning, resume, retries."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time

import numpy as np
import optuna
import pytest

from tests.conftest import ROOT, TINY_FLAGS, run_cli, tiny_config
from tfgan_apps import sweep
from tfgan_apps.errors import ConfigError, TrainingError

# A cheap space for training tests: two losses, learning rate and β1 sampled; one D update, no normalisation.
CHEAP_SPACE = {
    "loss": {"kind": "categorical", "choices": ("non_saturating", "hinge"), "target": "model.loss"},
    "learning_rate": {"kind": "log_uniform", "low": 1e-4, "high": 1e-3, "target": "train.g_lr,train.d_lr"},
    "beta_1": {"kind": "uniform", "low": 0.0, "high": 0.9, "target": "train.beta_1"},
}
CHEAP_FLAGS = [
    "--config.sweep.space.d_steps.high=1", "--config.sweep.space.d_norm.choices=('none',)",
    "--config.sweep.space.loss.choices=('non_saturating','hinge')", "--config.sweep.features=raw",
    "--config.sweep.num_samples=64", "--config.sweep.report_every=2",
]


def cheap_config(**overrides: object):
    """tiny_config with the cheap space, raw-pixel FID on 64 samples, reports every 2 steps, no export."""
    config = tiny_config(**overrides)
    config.sweep.space = CHEAP_SPACE
    config.sweep.features = "raw"
    config.sweep.num_samples = 64
    config.sweep.report_every = 2
    config.export.enabled = False
    return config


def test_default_space_maps_choices_to_config_fields():
    """The Lucic space: wasserstein_gp is WGAN + GP of weight penalty_weight; spectral is SN without BN."""
    config = tiny_config()
    params = sweep.check_space(config)
    names = [p.name for p in params]  # by name, a conditional parameter after its condition
    assert names == ["beta_1", "d_norm", "d_steps", "learning_rate", "loss", "penalty_weight"]
    out = sweep.apply(config, params, {"loss": "wasserstein_gp", "penalty_weight": 3.5, "learning_rate": 2e-4,
                                       "beta_1": 0.3, "d_steps": 4, "d_norm": "spectral"})
    assert out.model.loss == "wasserstein" and out.model.penalties.gradient_penalty == 3.5
    assert out.train.g_lr == out.train.d_lr == 2e-4 and out.train.beta_1 == 0.3 and out.train.d_steps == 4
    assert out.model.discriminator.norm == "none" and out.model.discriminator.spectral_norm is True
    assert config.model.loss == "non_saturating" and config.train.d_steps == 1  # the recipe is not mutated
    hinge = sweep.apply(config, params, {"loss": "hinge", "d_norm": "layer"})
    assert hinge.model.loss == "hinge" and hinge.model.discriminator.norm == "layer"
    assert hinge.model.penalties.gradient_penalty == 0.0


def test_sampler_is_seeded_by_trial_number_and_respects_ranges():
    """Draws depend on (seed, trial number) only; penalty_weight exists only for wasserstein_gp; ranges hold."""
    params = sweep.parse_space(tiny_config())

    def draws(seed: int, n: int) -> list[dict]:
        study = optuna.create_study(sampler=sweep._trial_seeded_sampler(seed))
        out = []
        for _ in range(n):
            trial = study.ask()
            out.append(sweep.suggest(trial, params))
            study.tell(trial, 0.0)
        return out

    first, again, other = draws(0, 40), draws(0, 40), draws(1, 40)
    assert first == again and first != other
    assert len({d["learning_rate"] for d in first}) == 40  # distinct trials
    for d in first:
        assert 1e-5 <= d["learning_rate"] <= 1e-2 and 0 <= d["beta_1"] <= 1 and 1 <= d["d_steps"] <= 5
        assert ("penalty_weight" in d) == (d["loss"] == "wasserstein_gp")
        assert d.get("penalty_weight", 1.0) >= 0.1 and d.get("penalty_weight", 1.0) <= 100
    lr = np.log10([d["learning_rate"] for d in first])
    assert lr.min() < -4 and lr.max() > -3  # log-uniform over three decades
    assert {d["loss"] for d in first} == {"non_saturating", "least_squares", "wasserstein_gp", "hinge"}


@pytest.mark.parametrize("field, value, message", [
    ("learning_rate.kind", "loguniform", "config.sweep.space.learning_rate.kind: unknown kind 'loguniform'"),
    ("beta_1.target", "train.beta1", "config.sweep.space.beta_1.target: no config field 'train.beta1'"),
    ("d_steps.low", 9, "config.sweep.space.d_steps needs numbers low ≤ high"),
    ("penalty_weight.when", "losses=wasserstein_gp",
     "config.sweep.space.penalty_weight.when must be 'param=choice' with a categorical"),
])
def test_bad_space_fields_name_the_field(field, value, message):
    config = tiny_config()
    name, key = field.split(".")
    config.sweep.space[name][key] = value
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        sweep.settings_from(config)


def test_choice_giving_an_invalid_recipe_is_refused_before_training():
    config = tiny_config()
    config.sweep.space.loss.choices = ("non_saturating", "wgan")  # the wasserstein_gp expansion goes unused
    with pytest.raises(ConfigError, match=r"config.sweep.space.loss='wgan' gives an invalid recipe: unknown "
                                          r"adversarial loss 'wgan'"):
        sweep.settings_from(config)


def test_bad_search_space_field_is_one_clear_line(tmp_path):
    """The command line: exit status 2 and a single line naming the field, before any trial runs."""
    result = run_cli("-m", "tfgan_apps.cli.sweep", "--config=dcgan_digits", *TINY_FLAGS,
                     "--config.sweep.space.learning_rate.kind=loguniform", "--trials=2",
                     f"--workdir={tmp_path}", timeout=600)
    assert result.returncode == 2, result.stderr[-2000:]
    lines = [line for line in result.stderr.splitlines() if line.startswith("tfgan-sweep: error")]
    assert lines == ["tfgan-sweep: error: config.sweep.space.learning_rate.kind: unknown kind 'loguniform'; "
                     "valid choices: log_uniform, uniform, int, categorical"], result.stderr[-2000:]
    assert not (tmp_path / "trials").exists()


@pytest.mark.slow  # 45 s: trains until the first report
def test_pruned_trial_stops_at_its_first_report(tmp_path):
    """A report worse than prune_worse_than prunes the trial: PRUNED, trained only to the first report."""
    config = cheap_config()
    config.sweep.prune_worse_than = 1e-6  # every FID is worse
    study = sweep.run_worker(config, "prune", None, 1, str(tmp_path))
    (trial,) = study.trials
    assert trial.state == optuna.trial.TrialState.PRUNED
    assert list(trial.intermediate_values) == [2] and trial.user_attrs["step"] == 2
    checkpoints = os.listdir(os.path.join(trial.user_attrs["run_dir"], "checkpoints"))
    assert any(name.startswith("ckpt-2.") for name in checkpoints)
    assert not any(name.startswith("ckpt-4.") for name in checkpoints)
    with open(tmp_path / "results.csv") as f:
        (row,) = list(csv.DictReader(f))
    assert row["state"] == "PRUNED" and float(row["fd_objective"]) == pytest.approx(trial.intermediate_values[2])


def test_diverging_trial_is_pruned_not_failed(tmp_path, monkeypatch):
    """The trainer's NaN guard (a TrainingError 'non-finite ...') marks the trial PRUNED, with the reason kept."""
    from tfgan_apps import trainer

    def diverge(config, workdir, **kwargs):
        raise TrainingError("non-finite d_loss (nan) at step 2; the last good checkpoint is kept")

    monkeypatch.setattr(trainer, "train", diverge)
    study = sweep.run_worker(cheap_config(), "nan", None, 1, str(tmp_path))
    (trial,) = study.trials
    assert trial.state == optuna.trial.TrialState.PRUNED
    assert trial.user_attrs["diverged"].startswith("non-finite d_loss")
    assert np.isnan(sweep.trial_score(trial))


@pytest.mark.slow
def test_resumed_sweep_continues_the_same_study(tmp_path):
    """A second run with a larger --trials adds trials to the same study; finished runs are not touched."""
    config = cheap_config(train__steps=2)
    config.sweep.report_every = 0
    sweep.run_worker(config, "resume", None, 1, str(tmp_path))
    first_dir = tmp_path / "trials" / "trial_0000"
    stamp = os.path.getmtime(first_dir / "config.json")
    study = sweep.run_worker(config, "resume", None, 2, str(tmp_path))
    assert [t.number for t in study.trials] == [0, 1]
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials)
    assert os.path.getmtime(first_dir / "config.json") == stamp
    again = sweep.run_worker(config, "resume", None, 2, str(tmp_path))  # already complete: nothing to do
    assert len(again.trials) == 2
    assert (tmp_path / "best_vs_trials.png").stat().st_size > 0
    config.train.g_lr = 5e-4  # another recipe cannot join the study
    with pytest.raises(ConfigError, match=r"was made with another config \(differs in: train.g_lr\)"):
        sweep.run_worker(config, "resume", None, 3, str(tmp_path))


def test_best_vs_trials_bootstrap():
    """One trial's best is a draw of one score; with many trials the best tends to the minimum; NaN is worst."""
    scores = [5.0, 1.0, 3.0, float("nan")]
    band = sweep.best_vs_trials(scores, "minimize", [1, 50])
    assert band["low"][1] == band["median"][1] == 1.0
    assert band["high"][0] == np.inf and band["low"][0] == 1.0
    up = sweep.best_vs_trials([0.2, 0.9], "maximize", [30])
    assert up["median"][0] == 0.9


def _sweep_cmd(tmp_path, *extra: str) -> list[str]:
    # 4 steps per trial (reports at 2 and 4) unless ``extra`` sets more: the recipe's own 4,000 would run for hours.
    return [sys.executable, "-m", "tfgan_apps.cli.sweep", "--config=dcgan_digits", *TINY_FLAGS, *CHEAP_FLAGS,
            "--config.train.steps=4", "--config.export.enabled=False", "--study=shared", f"--workdir={tmp_path}",
            *extra]


def _env() -> dict:
    return dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", TFGAN_PROGRESS="0")


@pytest.mark.slow
def test_two_workers_on_one_sqlite_study(tmp_path):
    """Two processes on one SQLite study: every trial complete, distinct values and run directories, both work."""
    cmd = _sweep_cmd(tmp_path, "--trials=4", "--config.export.enabled=True")
    workers = [subprocess.Popen(cmd, cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for _ in range(2)]
    outputs = [w.communicate(timeout=900) for w in workers]
    for worker, (_, err) in zip(workers, outputs):
        assert worker.returncode == 0, err[-3000:]
    study = optuna.load_study(study_name="shared", storage=sweep.default_storage(str(tmp_path)))
    trials = study.trials
    assert 4 <= len(trials) <= 5  # two workers may each start a last trial
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in trials)
    assert len({t.params["learning_rate"] for t in trials}) == len(trials)
    assert len({t.user_attrs["run_dir"] for t in trials}) == len(trials)
    assert len({t.user_attrs["worker"] for t in trials}) == 2
    for t in trials:
        run_dir = t.user_attrs["run_dir"]
        assert os.path.isdir(os.path.join(run_dir, "export", "generator"))
        assert sorted(t.intermediate_values) == [2, 4]
    with open(tmp_path / "results.csv") as f:
        assert len(list(csv.DictReader(f))) == len(trials)
    assert len([d for d in os.listdir(tmp_path / "hparams") if d.startswith("trial_")]) == len(trials)


@pytest.mark.slow
def test_killed_worker_trial_is_retried_in_its_run_directory(tmp_path):
    """SIGKILL mid-trial: the next worker fails the stale trial and reruns its values from its checkpoint."""
    long_flags = ["--config.train.steps=200", "--config.sweep.heartbeat=1", "--config.sweep.report_every=100"]
    first = subprocess.Popen(_sweep_cmd(tmp_path, "--trials=1", *long_flags), cwd=ROOT, env=_env(),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    checkpoints = tmp_path / "trials" / "trial_0000" / "checkpoints"
    deadline = time.monotonic() + 600
    while not (checkpoints.exists() and any(n.startswith("ckpt-") for n in os.listdir(checkpoints))):
        assert first.poll() is None and time.monotonic() < deadline, "the first worker ended before a checkpoint"
        time.sleep(0.5)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    time.sleep(3)  # the heartbeat is stale after 2 × 1 s
    result = subprocess.run(_sweep_cmd(tmp_path, "--trials=1", *long_flags), cwd=ROOT, env=_env(),
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    study = optuna.load_study(study_name="shared", storage=sweep.default_storage(str(tmp_path)))
    killed, retry = study.trials
    assert killed.state == optuna.trial.TrialState.FAIL and retry.state == optuna.trial.TrialState.COMPLETE
    assert retry.params == killed.params and retry.user_attrs["retry_of"] == 0
    assert retry.user_attrs["run_dir"] == killed.user_attrs["run_dir"]
    assert "restored" in result.stderr  # resumed from the killed run's checkpoint
