"""``tfgan-eval``: score a trained run with GAN metrics.

    tfgan-eval --workdir=tensorboard_logs/dcgan_digits [--metrics=auto] [--features=auto] [--num_samples=10000]

Restores the latest checkpoint of the run, generates ``num_samples`` samples with a progress bar,
compares them with up to as many examples of the run's dataset, prints a table that names the
feature network and the sample counts, appends a record to ``WORKDIR/eval.json`` and logs
``Eval/<key>`` scalars to the run's TensorBoard. Metric names carry their feature space: fid / is on
Inception, fcd / cs on the in-project digits classifier, fd on raw samples (``--metrics=auto``
picks the usual set for the feature space).
"""

from __future__ import annotations

import sys
from typing import Any

from absl import flags

from tfgan_apps import cli
from tfgan_apps.errors import ConfigError

_WORKDIR = flags.DEFINE_string("workdir", None, "Run directory written by tfgan-train.")
_METRICS = flags.DEFINE_list(
    "metrics", ["auto"],
    "Metrics: auto (classifier: fcd,kid,cs,prdc; inception: fid,kid,is,prdc; raw: fd,kid,prdc) or names from "
    "fid, is (Inception features), fcd, cs (classifier features), fd (raw), kid, mode_score, prdc, one_nn, mmd, "
    "wasserstein, modes.")
_NUM = flags.DEFINE_integer("num_samples", 10000, "Generated samples (compared with up to as many real examples).")
_FEATURES = flags.DEFINE_enum("features", "auto", ["auto", "classifier", "inception", "raw"],
                              "Feature network: classifier (digits), inception (local weights), raw, auto.")
_CACHE = flags.DEFINE_string("cache_dir", None, "Cache of in-project feature networks (default ~/.cache/tfgan_apps).")
_INCEPTION = flags.DEFINE_string("inception_weights", None,
                                 "Local InceptionV3 weights file (inception_v3_weights_tf_dim_ordering_tf_kernels.h5).")
_SEED = flags.DEFINE_integer("seed", 0, "Seed of the generated samples.")


def table(record: dict[str, Any]) -> str:
    """The printed report of one ``evaluation.evaluate_run`` record."""
    lines = [
        f"features: {record['features']} ({record['feature_network']}"
        + (f", weights sha256 {record['weights_sha256']}" if record["weights_sha256"] else "") + ")",
        f"samples: {record['num_fake']} generated (seed {record['seed']}) vs {record['num_real']} real",
    ]
    if record["num_real"] < record["num_fake"]:
        lines.append(f"note: only {record['num_real']} real examples exist, fewer than the {record['num_fake']} "
                     "generated; distances are biased by the smaller sample")
    if "kid_scale" in record:
        lines.append(record["kid_scale"])
    lines += ["", f"| metric | value (step {record['step']}) |", "|---|---|"]
    lines += [f"| {key} | {value:.4f} |" for key, value in record["metrics"].items()]
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    """Restores the run, evaluates and reports."""
    from tfgan_apps import evaluation  # TensorFlow is imported here, so --help stays quick
    from tfgan_apps.trainer import load_run

    if len(argv) > 1:
        raise ConfigError(f"unexpected arguments: {' '.join(argv[1:])}")
    if not _WORKDIR.value:
        raise ConfigError("--workdir is required (a run directory written by tfgan-train)")
    if _NUM.value <= 0:
        raise ConfigError(f"--num_samples must be positive, got {_NUM.value}")
    run = load_run(_WORKDIR.value)
    # Refuse unknown or incompatible metric/feature choices before building feature networks or generating.
    evaluation.check_metrics(_METRICS.value, evaluation.resolve_features(_FEATURES.value, run.source))
    step = int(run.model.step.numpy())
    record = evaluation.evaluate_run(_METRICS.value, run.model, run.source, _NUM.value, features=_FEATURES.value,
                                     seed=_SEED.value, step=step, cache_dir=_CACHE.value,
                                     inception_weights=_INCEPTION.value)
    path = evaluation.write_results(_WORKDIR.value, step, record)
    sys.stdout.write(table(record) + f"\n\nappended to {path}\n")


def run() -> None:
    """Console-script entry point."""
    cli.run_main(main, "tfgan-eval")


if __name__ == "__main__":
    run()
