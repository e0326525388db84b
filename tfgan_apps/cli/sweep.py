"""``tfgan-sweep``: one worker of an Optuna hyperparameter sweep over a recipe's ``config.sweep.space``.

    tfgan-sweep --config=dcgan_digits --study=NAME --trials=N [--storage=URL] [--workdir=DIR] [--report_only]

Run the same command in as many processes or on as many hosts as you like: they share the study through its
storage (default: the SQLite file WORKDIR/optuna.db; for several machines an SQLAlchemy URL such as
postgresql://user@host/db) and stop when the study holds N trials. Re-running the command continues the study.
Each trial is a run directory WORKDIR/trials/trial_NNNN; results in WORKDIR/results.csv, WORKDIR/hparams
(TensorBoard's HParams dashboard) and WORKDIR/best_vs_trials.png. See tfgan_apps/sweep.py.
"""

from __future__ import annotations

import os

from absl import flags, logging
from ml_collections import config_flags

from tfgan_apps import cli
from tfgan_apps.errors import ConfigError

_CONFIG = config_flags.DEFINE_config_file(
    "config", None, "A shipped recipe's name or a config file; its config.sweep section holds the search space "
    "(any field can be overridden: --config.train.steps=200).", lock_config=True)
_STUDY = flags.DEFINE_string("study", None, "Optuna study name (default: the config's name).")
_STORAGE = flags.DEFINE_string(
    "storage", None, "SQLAlchemy URL of the study's storage (default: sqlite:///WORKDIR/optuna.db; "
    "e.g. postgresql://user@host/db to share a study between machines).")
_TRIALS = flags.DEFINE_integer("trials", None,
                               "Total trials of the study; each worker stops when the study holds them.")
_WORKDIR = flags.DEFINE_string("workdir", None, "Sweep directory: trials/, hparams/, results.csv, the plot "
                               "(default: tensorboard_logs/sweeps/<study>).")
_REPORT_ONLY = flags.DEFINE_bool("report_only", False, "Only rewrite results.csv, hparams/ and the plot.")


def main(argv: list[str]) -> None:
    """Runs one sweep worker (or, with --report_only, rewrites the results)."""
    if len(argv) > 1:
        raise ConfigError(f"unexpected arguments: {' '.join(argv[1:])}")
    config = _CONFIG.value
    if config is None:
        raise ConfigError("--config is required, e.g. --config=dcgan_digits")
    from tfgan_apps import sweep  # TensorFlow and Optuna are imported here, so --help and flag errors stay quick

    study = _STUDY.value or config.name
    workdir = _WORKDIR.value or os.path.join("tensorboard_logs", "sweeps", study)
    if _REPORT_ONLY.value:
        sweep.write_results(config, study, _STORAGE.value, workdir)
        return
    if _TRIALS.value is None:
        raise ConfigError("--trials is required: the study's total number of trials, e.g. --trials=20")
    result = sweep.run_worker(config, study, _STORAGE.value, _TRIALS.value, workdir)
    if any(t.state.name == "COMPLETE" for t in result.get_trials(deepcopy=False)):
        logging.info("best trial so far: %d, value %.4f, params %s", result.best_trial.number, result.best_value,
                     result.best_params)


def run() -> None:
    """Console-script entry point."""
    cli.run_main(main, "tfgan-sweep")


if __name__ == "__main__":
    run()
