"""``tfgan-eval``: evaluate a trained run with GAN metrics.

    tfgan-eval --workdir=tensorboard_logs/dcgan_digits --metrics=fid,kid,is,prdc --num_samples=1797

Restores the latest checkpoint of the run, generates ``num_samples`` samples
with a progress bar, compares them with as many examples of the run's dataset,
prints a table, writes ``WORKDIR/eval.json`` and logs ``Eval/<key>`` scalars to
the run's TensorBoard.
"""

from __future__ import annotations

import sys

from absl import flags

from tfgan_apps import cli, evaluation, trainer
from tfgan_apps.errors import ConfigError

_WORKDIR = flags.DEFINE_string("workdir", None, "Run directory written by tfgan-train.", required=True)
_METRICS = flags.DEFINE_list("metrics", ["fid", "kid", "is", "prdc"],
                             "Metrics (registry names: fid, kid, is, mode_score, mmd, wasserstein, one_nn, prdc, "
                             "modes).")
_NUM = flags.DEFINE_integer("num_samples", 10000, "Generated samples (and at most as many real examples).")
_FEATURES = flags.DEFINE_enum("features", "auto", list(evaluation.FEATURES),
                              "Feature network: classifier (digits), inception (local weights), raw, auto.")
_CACHE = flags.DEFINE_string("cache_dir", None, "Cache of in-project feature networks (default ~/.cache/tfgan_apps).")
_INCEPTION = flags.DEFINE_string("inception_weights", None, "Local InceptionV3 weights file (.h5).")
_SEED = flags.DEFINE_integer("seed", 0, "Seed of the generated samples.")


def main(argv: list[str]) -> None:
    """Restores the run, evaluates and reports."""
    if _NUM.value <= 0:
        raise ConfigError(f"--num_samples must be positive, got {_NUM.value}")
    run = trainer.load_run(_WORKDIR.value)
    step = int(run.model.step.numpy())
    results = evaluation.compute(_METRICS.value, run.model, run.source, _NUM.value, features=_FEATURES.value,
                                 seed=_SEED.value, cache_dir=_CACHE.value, inception_weights=_INCEPTION.value)
    path = evaluation.write_results(_WORKDIR.value, step, results)
    lines = [f"| metric | value (step {step}) |", "|---|---|"]
    lines += [f"| {key} | {value:.4f} |" for key, value in results.items()]
    sys.stdout.write("\n".join(lines) + f"\n\nwritten to {path}\n")


def run() -> None:
    """Console-script entry point."""
    cli.run_main(main, "tfgan-eval")


if __name__ == "__main__":
    run()
