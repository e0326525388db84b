"""The GAN landscape on digits: an equal budget of sweep trials per loss family, which setting reaches the best FCD.

    python benchmarks/landscape.py [--trials_per_family=6] [--steps=300] [--report_every=150] [--image_size=16]
                                   [--width=16] [--num_samples=500] [--workdir=tensorboard_logs/sweeps/landscape]
                                   [--set FIELD=VALUE ...] [--results=benchmarks/results/landscape.md]

Kurach et al. 2018 ("The GAN Landscape") and Lucic et al. 2017 ask which loss, penalty and normalisation reach the
best quality for an equal budget of hyperparameter trials. Here, on the bundled digits: the plain DCGAN of
``config.dcgan_digits_config`` (no EMA, constant rates) made small (``--image_size`` px, width ``--width`` G and
D, ``--steps`` generator steps per trial, no XLA, no export), one Optuna study per loss family (non_saturating,
least_squares, wasserstein_gp = WGAN + gradient penalty, hinge) in one SQLite storage, each with
``--trials_per_family`` trials of the default search space (``config.sweep.space``: the Lucic et al. ranges for
learning rate, β1, d_steps, penalty λ and D normalisation), run through ``tfgan_apps.sweep.run_worker`` exactly as
``tfgan-sweep`` runs them. Families are run round-robin (trial 1 of every family, then trial 2, ...), so an
interrupted run still has equal budgets up to its last round. The random sampler draws every value from (sweep
seed, trial number, parameter name): trial k of every family gets the same learning rate, β1, d_steps and
normalisation, a paired comparison of the losses.

Objective: FCD (Fréchet distance on the in-project digits classifier's features, ``--image_size`` px) of
``--num_samples`` samples, reported every ``--report_every`` steps (median pruning after 3 finished trials of a
family; NaN losses prune). Writes ``benchmarks/results/landscape.md`` (the tables), ``landscape.csv`` (every trial)
and ``docs/landscape_digits.png`` (best FCD vs number of trials per loss, bootstrap median and 5–95 % band).
"""

from __future__ import annotations

import argparse
import copy
import csv
import math
import os
import shlex
import sys
import time
from collections.abc import Sequence
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TFGAN_PROGRESS", "0")

import ml_collections  # noqa: E402
import numpy as np  # noqa: E402
import overrides as overrides_lib  # noqa: E402
from provenance import load_average, load_note, machine, utc_now  # noqa: E402

from tfgan_apps import sweep  # noqa: E402

FAMILIES = ("non_saturating", "least_squares", "wasserstein_gp", "hinge")


def landscape_config(args: argparse.Namespace) -> ml_collections.ConfigDict:
    """The small digits DCGAN every trial starts from (the sweep then writes its sampled values into it).

    The plain DCGAN of ``config.dcgan_digits_config`` (constant learning rates, no EMA of G), not today's
    ``dcgan_digits`` recipe: its EMA (β 0.999) and cosine decay are tuned to 8,000 steps, and over a trial of a
    few hundred steps the EMA generator is still mostly its initial weights, which would hide the loss, rate and
    normalisation the study compares."""
    from tfgan_apps.config import dcgan_digits_config

    config = dcgan_digits_config()
    config.data.image_size = args.image_size
    config.model.generator.width = args.width
    config.model.discriminator.width = args.width
    config.train.steps = args.steps
    config.train.log_every = args.report_every
    config.train.image_every = args.steps
    config.train.checkpoint_every = args.report_every
    config.train.jit_compile = False
    config.export.enabled = False
    config.sweep.num_samples = args.num_samples
    config.sweep.report_every = args.report_every
    config.sweep.prune_startup = 3
    overrides_lib.apply_items(config, args.set)
    return config


def family_config(config: ml_collections.ConfigDict, family: str) -> ml_collections.ConfigDict:
    """The config of one family's study: the loss fixed to ``family``, every other parameter sampled."""
    out = copy.deepcopy(config)
    out.name = f"landscape_{family}"
    out.sweep.space.loss.choices = (family,)
    return out


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "diverged"
        return f"{value:.{digits}f}" if abs(value) >= 0.01 else f"{value:.1e}"
    return str(value)


def summarise(rows: Sequence[dict[str, Any]], key: str, values: Sequence[str]) -> list[list[str]]:
    """Per value of ``key``: trials, finished with a score, diverged, best FCD (and its trial), median FCD."""
    table = []
    for value in values:
        group = [r for r in rows if r.get(key) == value]
        scores = [r["score"] for r in group if r["score"] is not None]
        finite = [s for s in scores if math.isfinite(s)]
        best = min(group, key=lambda r: r["score"] if r["score"] is not None and math.isfinite(r["score"])
                   else math.inf) if finite else None
        table.append([str(value), str(len(group)), str(sum(1 for s in scores if not math.isfinite(s))),
                      str(sum(1 for r in group if r["state"] == "PRUNED")),
                      _fmt(min(finite)) if finite else "-", _fmt(float(np.median(finite))) if finite else "-",
                      f"{best['family']} #{best['number']}" if best else "-"])
    return table


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[1],
                                     formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--trials_per_family", type=int, default=6)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--report_every", type=int, default=150)
    parser.add_argument("--image_size", type=int, default=16)
    parser.add_argument("--width", type=int, default=16)
    parser.add_argument("--num_samples", type=int, default=500)
    parser.add_argument("--families", default=",".join(FAMILIES))
    parser.add_argument("--workdir", default=os.path.join(ROOT, "tensorboard_logs", "sweeps", "landscape"))
    parser.add_argument("--set", action="append", default=[], type=overrides_lib.parse_item, metavar="FIELD=VALUE")
    parser.add_argument("--results", default=os.path.join(ROOT, "benchmarks", "results", "landscape.md"))
    parser.add_argument("--plot", default=os.path.join(ROOT, "docs", "landscape_digits.png"))
    args = parser.parse_args()
    families = [f.strip() for f in args.families.split(",") if f.strip()]
    command = "python benchmarks/landscape.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    started, load_start, t0 = utc_now(), load_average(), time.monotonic()

    config = landscape_config(args)
    storage = sweep.default_storage(args.workdir)
    studies: dict[str, Any] = {}
    for round_ in range(1, args.trials_per_family + 1):
        for family in families:
            cfg = family_config(config, family)
            studies[family] = sweep.run_worker(cfg, cfg.name, storage, round_, os.path.join(args.workdir, family))
        print(f"round {round_}/{args.trials_per_family} done after {time.monotonic() - t0:.0f} s", flush=True)
    minutes = (time.monotonic() - t0) / 60

    rows: list[dict[str, Any]] = []
    for family, study in studies.items():
        for t in study.get_trials(deepcopy=False):
            if t.number >= args.trials_per_family:  # equal budgets: a study of an interrupted run may hold more
                continue
            score = sweep.trial_score(t)
            rows.append({"family": family, "number": t.number, "state": t.state.name, "score": score,
                         "steps": t.user_attrs.get("step", ""), **t.params,
                         "seconds": (t.datetime_complete - t.datetime_start).total_seconds()
                         if t.datetime_complete and t.datetime_start else ""})
    settings = sweep.settings_from(family_config(config, families[0]))
    groups = {f: [r["score"] for r in rows if r["family"] == f and r["score"] is not None] for f in families}
    sweep.plot_best_vs_trials(groups, settings.direction, "FCD", args.plot,
                              title=f"digits {args.image_size} px, {args.steps} steps/trial: best FCD vs trials")
    csv_path = os.path.splitext(args.results)[0] + ".csv"
    keys = ["family", "number", "state", "score", "steps", "learning_rate", "beta_1", "d_steps", "d_norm",
            "penalty_weight", "seconds"]
    os.makedirs(os.path.dirname(csv_path), exist_ok=True)
    with open(csv_path, "w", newline="") as f:
        writer = csv.DictWriter(f, keys, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)

    header = ["", "trials", "diverged", "pruned", "best FCD ↓", "median FCD", "best trial"]
    best = min((r for r in rows if r["score"] is not None and math.isfinite(r["score"])),
               key=lambda r: r["score"], default=None)
    real_note = ("real vs real FCD on this classifier, for scale: 6.24 at 16 px, 7.42 at 32 px "
                 "(benchmarks/results/variants.md, 898 vs 898 digits)")
    lines = [
        "# The GAN landscape on digits: equal trial budgets per loss family",
        "",
        f"- date: {started} (took {minutes:.1f} min)",
        f"- machine: {machine()}; {load_note(load_start, load_average())}; shared with other sessions, so the "
        "minutes are indicative only",
        f"- command: `{command}`",
        f"- budget: {args.trials_per_family} trials per loss family ({len(families)} families, "
        f"{len(rows)} trials), {args.steps} generator steps per trial (batch {config.data.batch_size}, "
        f"{args.image_size}×{args.image_size} px, G/D width {args.width}, no XLA); objective FCD on "
        f"{args.num_samples} samples vs as many real digits, reported every {args.report_every} steps "
        "(median pruning after 3 finished trials per family; a NaN loss prunes)",
        f"- seeds: sweep sampler seed {config.sweep.seed} (trial k of every family draws the same learning rate, "
        f"β1, d_steps and D normalisation), training seed {config.train.seed}, evaluation seed 0",
        "- search space (`config.sweep.space`, Lucic et al. 2017): learning rate 10^U[−5, −2] (G and D), "
        "β1 ∈ U[0, 1], d_steps ∈ {1..5}, D normalisation ∈ {none, batch, layer, spectral}; "
        "wasserstein_gp: gradient penalty λ ∈ 10^U[−1, 2]",
        f"- {real_note}",
        "",
        f"![best FCD vs trials](../../docs/{os.path.basename(args.plot)})",
        "",
        "## By loss family",
        "",
        markdown_table(header, summarise(rows, "family", families)),
        "",
        "## By discriminator normalisation (all families)",
        "",
        markdown_table(header, summarise(rows, "d_norm", ["none", "batch", "layer", "spectral"])),
        "",
        "## By D steps per G step (all families)",
        "",
        markdown_table(header, summarise(rows, "d_steps", [1, 2, 3, 4, 5])),
        "",
    ]
    if best:
        lines += [
            f"Best trial: {best['family']} #{best['number']}, FCD {best['score']:.1f}, learning rate "
            f"{best.get('learning_rate', float('nan')):.2e}, β1 {best.get('beta_1', float('nan')):.2f}, d_steps "
            f"{best.get('d_steps')}, D normalisation {best.get('d_norm')}"
            + (f", λ {best['penalty_weight']:.2f}" if best.get("penalty_weight") else "") + ".",
            "",
        ]
    wgan = [r for r in rows if r["family"] == "wasserstein_gp" and r.get("penalty_weight")]
    if wgan:
        lines += ["## wasserstein_gp: gradient penalty λ", "",
                  markdown_table(["trial", "λ", "learning rate", "d_steps", "D norm", "FCD"],
                                 [[str(r["number"]), f"{r['penalty_weight']:.2f}", f"{r['learning_rate']:.1e}",
                                   str(r["d_steps"]), r["d_norm"], _fmt(r["score"])]
                                  for r in sorted(wgan, key=lambda r: r["number"])]), ""]
    lines += ["Every trial (with its sampled values and seconds): "
              f"[`{os.path.basename(csv_path)}`]({os.path.basename(csv_path)}).", ""]
    os.makedirs(os.path.dirname(args.results), exist_ok=True)
    with open(args.results, "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
