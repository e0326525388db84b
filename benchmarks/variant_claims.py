"""Each conditional variant's own paper claim, scored on the recipe trained with its own defaults, over seeds.

    python benchmarks/variant_claims.py [--recipes=infogan_digits,cgan_digits,acgan_digits,sgan_digits]
                                        [--seeds=0,1,2] [--per_code=200] [--set FIELD=VALUE ...]
                                        [--pictures] [--workdir_root=DIR]
                                        [--results=benchmarks/results/variant_claims.md]

Every run goes through ``trainer.train`` (what ``tfgan-train --config=<recipe>`` runs) with
the recipe's ``get_config()``; only ``train.seed`` changes between seeds (``--set`` adds
overrides, recorded in the row, for probing other settings — the default table has none).
The judge is the in-project digits classifier (``metrics/features.py``), trained on 80 %
of sklearn's digits and never shown to the GANs' auxiliary heads:

* InfoGAN (Chen et al. 2016, §7.1: the categorical code captures the digit class, ≈ 5 %
  error on MNIST) — ``--per_code`` samples per categorical value (noise and continuous
  codes from their priors), classified; the confusion matrix codes × digits gives the
  *purity* (mean over codes of the fraction of the code's majority digit), the number of
  *distinct* majority digits, and the *matched error*: 1 − accuracy after the best
  one-to-one assignment of codes to digits (Hungarian algorithm), the paper's metric;
* cGAN / ACGAN (the sample is the digit asked for) — ``--per_code`` samples per label,
  accuracy of the classifier against the requested label;
* SGAN (Salimans et al. 2016, §5: unlabelled data and generated samples improve a
  classifier trained on few labels) — the discriminator's accuracy on the held-out
  digits, against the same network trained with cross-entropy on the labelled subset
  alone for the same steps (``benchmarks/sgan_digits.py``'s baseline);

and, for every recipe, the sample quality of ``--num_samples`` random samples (FCD and
classifier score against the classifier's held-out 20 %, ``benchmarks/recipes.py``).
Rows accumulate in the JSON beside the markdown, keyed by recipe, overrides and seed.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TFGAN_PROGRESS", "0")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import overrides as overrides_lib  # noqa: E402
from provenance import load_average, machine, read_store, timed, utc_now  # noqa: E402
from recipes import list_recipes, load_config, score_digits  # noqa: E402

from tfgan_apps import evaluation, trainer  # noqa: E402
from tfgan_apps.metrics import features as feature_nets  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_RESULTS = os.path.join(ROOT, "benchmarks", "results", "variant_claims.md")
DEFAULT_RECIPES = ("infogan_digits", "cgan_digits", "acgan_digits", "sgan_digits")
DIGITS_SIZE = 32
SAMPLE_SEED = 1


# ---------------------------------------------------------------------------- scoring (pure functions)


def confusion(codes: np.ndarray, predicted: np.ndarray, num_codes: int, num_classes: int = 10) -> np.ndarray:
    """Counts [num_codes, num_classes]: how often a sample made with code i was classified as class j."""
    matrix = np.zeros((num_codes, num_classes), np.int64)
    np.add.at(matrix, (np.asarray(codes, np.int64), np.asarray(predicted, np.int64)), 1)
    return matrix


def code_purity(matrix: np.ndarray) -> dict[str, float]:
    """How well codes (rows) map to classes (columns) of a confusion matrix of counts.

    Returns ``purity`` (mean over codes with samples of max_j n_ij / n_i), ``distinct`` (how many different classes
    are some code's majority class), ``matched_accuracy`` (the fraction of all samples on the diagonal of the best
    one-to-one assignment of codes to classes, Hungarian algorithm; codes beyond the classes stay unmatched) and
    ``matched_error`` = 1 − matched_accuracy.
    """
    from scipy.optimize import linear_sum_assignment

    matrix = np.asarray(matrix, np.float64)
    totals = matrix.sum(axis=1)
    used = totals > 0
    if not used.any():
        raise ValueError("the confusion matrix has no samples")
    purity = float(np.mean(matrix[used].max(axis=1) / totals[used]))
    distinct = len(set(np.argmax(matrix[used], axis=1).tolist()))
    rows, cols = linear_sum_assignment(-matrix)
    matched = float(matrix[rows, cols].sum() / matrix.sum())
    return {"purity": purity, "distinct": float(distinct), "matched_accuracy": matched, "matched_error": 1.0 - matched}


def class_accuracy(requested: np.ndarray, predicted: np.ndarray) -> float:
    """The fraction of samples classified as the class they were generated for."""
    requested, predicted = np.asarray(requested), np.asarray(predicted)
    if requested.shape != predicted.shape or not requested.size:
        raise ValueError(f"requested {requested.shape} and predicted {predicted.shape} must be equal, non-empty")
    return float(np.mean(requested == predicted))


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and population standard deviation (0 for one value)."""
    array = np.asarray(values, np.float64)
    return float(array.mean()), float(array.std())


# ---------------------------------------------------------------------------- model scoring


def classifier() -> feature_nets.ClassifierFeatures:
    """The in-project digits classifier (trained on its 80 % split, cached)."""
    return feature_nets.digits_classifier(evaluation.default_cache_dir(), DIGITS_SIZE, 1)


def predict(judge: feature_nets.ClassifierFeatures, images: np.ndarray) -> np.ndarray:
    """The judge's argmax class of each image ([-1, 1], first channel used)."""
    _, probs = judge(np.asarray(images, np.float32)[..., :1])
    return np.asarray(probs).argmax(axis=1)


def infogan_claim(model: Any, judge: Any, per_code: int, seed: int = SAMPLE_SEED) -> dict[str, Any]:
    """Purity / distinct digits / matched error of ``per_code`` samples per categorical value (other codes and the
    noise from their priors), and the confusion matrix."""
    codes = np.repeat(np.arange(model.categories), per_code).astype(np.int32)
    images = np.concatenate([np.asarray(model.generate(len(part), seed=seed * 1000 + i,
                                                       codes={"categorical": part}))
                             for i, part in enumerate(np.array_split(codes, max(1, len(codes) // 250)))])
    matrix = confusion(codes, predict(judge, images), model.categories)
    return {**code_purity(matrix), "confusion": matrix.tolist()}


def conditional_claim(model: Any, judge: Any, per_code: int, seed: int = SAMPLE_SEED) -> dict[str, Any]:
    """Accuracy of the judge against the requested label over ``per_code`` samples per class."""
    labels = np.repeat(np.arange(model.num_classes), per_code).astype(np.int32)
    images = np.concatenate([np.asarray(model.generate(len(part), seed=seed * 1000 + i, labels=part))
                             for i, part in enumerate(np.array_split(labels, max(1, len(labels) // 250)))])
    predicted = predict(judge, images)
    return {"class_accuracy": class_accuracy(labels, predicted),
            "confusion": confusion(labels, predicted, model.num_classes).tolist()}


def sgan_claim(result: Mapping[str, Any], config: Any, seed: int) -> dict[str, Any]:
    """The SGAN's held-out accuracy and that of the same network trained on the labelled subset alone."""
    from sgan_digits import train_supervised_only

    from tfgan_apps.data import load_source
    from tfgan_apps.models.sgan import heldout_accuracy

    source = load_source(config.data)
    held_x, held_y = source.heldout_examples()
    start = time.process_time()
    baseline = train_supervised_only(config, source, int(config.train.steps), seed)
    return {"heldout_accuracy": heldout_accuracy(result["model"], held_x, held_y),
            "labels_only_accuracy": heldout_accuracy(baseline, held_x, held_y),
            "heldout": len(held_y), "labelled": int(config.model.labelled),
            "baseline_cpu_seconds": time.process_time() - start}


def config_digest(config: Any) -> str:
    """A short SHA-256 of the resolved config without its seed: equal digests = the same recipe settings, whether
    reached by the recipe's defaults or by ``--set`` overrides."""
    import hashlib

    settings = json.loads(config.to_json_best_effort())
    settings["train"].pop("seed", None)
    settings.pop("name", None)
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:10]


def run_one(name: str, path: str, seed: int, items: Sequence[tuple[str, str]], workdir: str, per_code: int,
            num_samples: int, judge: Any) -> dict[str, Any]:
    """Trains one recipe (defaults + ``items``) with ``train.seed = seed`` and scores its claim and samples."""
    config = load_config(path)
    overrides_lib.apply_items(config, items)
    config.train.seed = seed
    row: dict[str, Any] = {"recipe": name, "seed": seed, "set": [f"{k}={v}" for k, v in items], "date": utc_now(),
                           "config_digest": config_digest(config),
                           "load_start": load_average(), "steps": int(config.train.steps), "model": config.model.name}
    result, timing = timed(lambda: trainer.train(config, workdir))
    row.update(timing)
    model = result["model"]
    if config.model.name == "infogan":
        row["claim"] = infogan_claim(model, judge, per_code)
    elif config.model.name in ("cgan", "acgan"):
        row["claim"] = conditional_claim(model, judge, per_code)
    elif config.model.name == "sgan":
        row["claim"] = sgan_claim(result, config, seed)
    fake = evaluation.generate_samples(model, num_samples, seed=SAMPLE_SEED, progress=False)
    row["quality"], row["real"] = score_digits(fake)
    return row


# ---------------------------------------------------------------------------- pictures


def pictures(workdirs: Mapping[str, str], docs: str) -> list[str]:
    """docs/infogan_codes.png (rows: categorical values; columns: continuous code 0 swept over [−1, 1]) and
    docs/cgan_classes.png (rows: requested digits) from the seed-0 runs' exports."""
    from tfgan_apps import generate
    from tfgan_apps.visualize import with_title

    written = []
    if "infogan_digits" in workdirs:
        gen = generate.load(workdirs["infogan_digits"])
        sheets = generate.code_sweeps(gen, steps=10, seed=0)
        for key, title in (("continuous_0", "InfoGAN: rows = categorical code 0-9, columns = continuous code 0 "
                                            "from -1 to 1"),
                           ("categorical", "InfoGAN: rows = categorical code 0-9, columns = noise z")):
            path = os.path.join(docs, f"infogan_{key}.png")
            generate.save_png(with_title(_upscale(sheets[key]), title), path)
            written.append(path)
    if "cgan_digits" in workdirs:
        gen = generate.load(workdirs["cgan_digits"])
        path = os.path.join(docs, "cgan_classes.png")
        generate.save_png(with_title(_upscale(generate.class_sweep(gen, per_class=10, seed=0)),
                                     "cGAN: row i = samples asked for digit i (same noise in each column)"), path)
        written.append(path)
    return written


def _upscale(picture: np.ndarray, factor: int = 2) -> np.ndarray:
    """Nearest-neighbour ×factor so a 32-px grid is legible and its title fits."""
    return np.repeat(np.repeat(np.asarray(picture), factor, axis=0), factor, axis=1)


# ---------------------------------------------------------------------------- report


def claim_cells(rows: Sequence[Mapping[str, Any]]) -> str:
    """The claim columns of one (recipe, overrides) group: mean ± std over its seeds."""
    model = rows[0]["model"]
    claims = [r["claim"] for r in rows]

    def ms(key: str, scale: float = 100.0, digits: int = 1) -> str:
        m, s = mean_std([c[key] * scale for c in claims])
        return f"{m:.{digits}f} ± {s:.{digits}f}"

    if model == "infogan":
        return (f"purity {ms('purity')} %, distinct digits {ms('distinct', 1, 1)}, "
                f"matched error {ms('matched_error')} %")
    if model in ("cgan", "acgan"):
        return f"class accuracy of samples {ms('class_accuracy')} %"
    if model == "sgan":
        gaps = [c["heldout_accuracy"] - c["labels_only_accuracy"] for c in claims]
        g, gs = mean_std([100 * x for x in gaps])
        return (f"held-out accuracy {ms('heldout_accuracy')} % vs labels only {ms('labels_only_accuracy')} % "
                f"(gap {g:.1f} ± {gs:.1f} points, min {100 * min(gaps):.1f}; {claims[0]['labelled']} labels, "
                f"{claims[0]['heldout']} held-out)")
    return "-"


def groups(rows: Mapping[str, Mapping[str, Any]]) -> dict[tuple[str, str], list[Mapping[str, Any]]]:
    """Rows grouped by (recipe, resolved settings), seeds in order: runs with equal config digests pool, whether
    they reached those settings by the recipe's defaults or by ``--set`` (rows without a digest: by overrides)."""
    out: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for row in sorted(rows.values(), key=lambda r: (r["recipe"], " ".join(r["set"]), r["seed"])):
        if "error" not in row:
            out.setdefault((row["recipe"], row.get("config_digest") or " ".join(row["set"])), []).append(row)
    return {key: sorted(members, key=lambda r: r["seed"]) for key, members in out.items()}


def overrides_cell(members: Sequence[Mapping[str, Any]]) -> str:
    """The overrides of a group: "(defaults)" when some run used none, plus the other spellings of it."""
    spellings = sorted({" ".join(r["set"]) for r in members})
    if "" in spellings:
        rest = [s for s in spellings if s]
        return "(defaults)" + (f" = {'; '.join(rest)} at the time" if rest else "")
    return "; ".join(spellings)


def markdown(rows: Mapping[str, Mapping[str, Any]], header: Sequence[str]) -> str:
    """The results file: provenance, then one line per (recipe, overrides) with the claim and sample quality."""
    lines = ["# Each variant's paper claim at its recipe's defaults", "", *header, "",
             "| recipe | overrides | config digest | steps | seeds | claim (mean ± std over seeds) | FCD ↓ | CS ↑ | "
             "train CPU s / seed | wall s / seed | load (start → end) |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    real = None
    for (recipe, _), members in groups(rows).items():
        sets = overrides_cell(members)
        fcd, fcd_s = mean_std([r["quality"]["fcd"] for r in members])
        cs, cs_s = mean_std([r["quality"]["cs"] for r in members])
        cpu, wall = mean_std([r["cpu_seconds"] for r in members])[0], mean_std([r["train_seconds"] for r in members])[0]
        loads = f"{members[0]['load_start'].split(',')[0]} → {members[-1]['load_end'].split(',')[0]}"
        seeds = ",".join(str(r["seed"]) for r in members)
        digest = members[0].get("config_digest", "-")
        lines.append(f"| {recipe} | {sets} | {digest} | {members[0]['steps']} | {seeds} | "
                     f"{claim_cells(members)} | {fcd:.1f} ± {fcd_s:.1f} | {cs:.2f} ± {cs_s:.2f} | {cpu:.0f} | "
                     f"{wall:.0f} | {loads} |")
        real = real or members[0].get("real")
    if real:
        lines += ["", f"Real vs real (classifier's 80 % training split against its 20 % held-out): FCD "
                      f"{real['fcd']:.1f}, CS {real['cs']:.2f}."]
    for row in rows.values():
        if "error" in row:
            lines.append(f"- `{row['recipe']}` seed {row['seed']} {' '.join(row['set'])}: failed: {row['error']}")
    return "\n".join(lines).rstrip() + "\n"


def row_key(recipe: str, items: Sequence[tuple[str, str]], seed: int) -> str:
    """The JSON key of one run."""
    return " ".join([recipe, *(f"{k}={v}" for k, v in items), f"seed={seed}"])


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipes", default=",".join(DEFAULT_RECIPES), help="comma-separated recipe names")
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated train.seed values")
    parser.add_argument("--per_code", type=int, default=200, help="samples per categorical value / label")
    parser.add_argument("--num_samples", type=int, default=1000, help="random samples for FCD and CS")
    parser.add_argument("--set", action="append", default=[], type=overrides_lib.parse_item, metavar="FIELD=VALUE",
                        help="a config override for every run (recorded in the row; repeatable)")
    parser.add_argument("--pictures", action="store_true", help="write docs/infogan_*.png, docs/cgan_classes.png "
                        "from the first seed's runs")
    parser.add_argument("--workdir_root", default="", help="keep the run directories here (default: temporary)")
    parser.add_argument("--results", default=DEFAULT_RESULTS, help="markdown file; rows also in the .json beside it")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    available = list_recipes()
    names = [n.strip() for n in args.recipes.split(",") if n.strip()]
    unknown = [n for n in names if n not in available]
    if unknown:
        raise SystemExit(f"unknown recipes {unknown}; valid: {', '.join(available)}")
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    store, rows = read_store(args.results)
    command = "python benchmarks/variant_claims.py " + " ".join(sys.argv[1:] if argv is None else argv)
    header = [f"- machine: {machine()}",
              f"- last command: `{command.strip()}`; each row records its own date, load, overrides and seed "
              f"(rows accumulate in `{os.path.basename(store)}`)",
              "- CPU s = user + system seconds of training (not inflated by other jobs; wall s is, on a shared "
              "machine)",
              f"- {args.per_code} samples per code/label for the claim, {args.num_samples} random samples for FCD/CS"]
    root = args.workdir_root or tempfile.mkdtemp(prefix="variant-claims-")
    judge = classifier()
    first: dict[str, str] = {}
    for name in names:
        for seed in seeds:
            workdir = os.path.join(root, f"{name}_seed{seed}")
            shutil.rmtree(workdir, ignore_errors=True)
            key = row_key(name, args.set, seed)
            print(f"{key}: training ...", flush=True)
            try:
                rows[key] = run_one(name, available[name], seed, args.set, workdir, args.per_code,
                                    args.num_samples, judge)
            except Exception as error:  # noqa: BLE001 - one failing run must not lose the others
                rows[key] = {"recipe": name, "seed": seed, "set": [f"{k}={v}" for k, v in args.set],
                             "error": f"{type(error).__name__}: {str(error)[:300]}"}
            print(json.dumps({k: v for k, v in rows[key].items() if k != "claim"} | {
                "claim": {k: v for k, v in rows[key].get("claim", {}).items() if k != "confusion"}},
                default=float), flush=True)
            os.makedirs(os.path.dirname(os.path.abspath(args.results)), exist_ok=True)
            with open(store, "w") as f:
                json.dump(rows, f, indent=1, sort_keys=True, default=float)
            with open(args.results, "w") as f:
                f.write(markdown(rows, header))
            if seed == seeds[0] and args.pictures and "error" not in rows[key]:
                first[name] = workdir
                for path in pictures({name: workdir}, os.path.join(ROOT, "docs")):
                    print(f"wrote {path}", flush=True)
            elif not args.workdir_root:
                shutil.rmtree(workdir, ignore_errors=True)
            keras.backend.clear_session()
            gc.collect()
    print(markdown(rows, header))
    return rows


if __name__ == "__main__":
    main()
