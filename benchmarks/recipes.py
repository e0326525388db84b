"""Every shipped recipe trained with its own defaults: wall time and the quality it delivers, against a target.

    python benchmarks/recipes.py [--recipes=dcgan_digits,gan_mog_grid] [--num_samples=1000]
                                 [--workdir_root=DIR] [--results=benchmarks/results/recipes.md]

What a user runs is ``tfgan-train --config=<recipe>``; this benchmark runs exactly
that path (``trainer.train`` on ``get_config()``, no overrides: the recipe's steps,
intervals, export and seed) and scores the final model with the metric of its
data family, next to the same metric of real data against other real data:

* digits — against the 20 % of sklearn's digits that the in-project classifier
  (``metrics/features.py``) never saw (its stratified split, seed 0): Fréchet
  classifier distance (FCD) and classifier score (CS, the Inception score with
  that classifier) of ``--num_samples`` samples; the real reference is the
  held-out images themselves (CS) and the training 80 % against them (FCD).
  Target: CS ≥ 85 % of the held-out digits' CS, and every class (the
  classifier's argmax) ≥ 5 % of the samples;
* LFW faces — KID (cubic-kernel unbiased MMD², ×10³) on raw 32×32 pixels
  against the 100 faces; real vs real: two halves of 50. Target in ``TARGETS``;
* 1-D signals — Gaussian-kernel MMD² on the raw signals; real vs real: two
  independent draws;
* 2-D mixtures — PacGAN's protocol (2,500 samples; modes with a sample within
  3σ, high-quality fraction, reverse KL of the mode histogram to uniform).
  Target: every mode, ≥ 90 % HQ, reverse KL ≤ 0.04;
* restoration (``pix2pix`` recipes) — PSNR (luma for SR, as the restoration
  benchmark) on the held-out photos against the degraded input (bicubic for SR).
  Target: above that baseline.

Results accumulate in ``results.json`` next to the markdown (keyed by recipe), so
runs of subsets (``--recipes=``) fill the table over several sessions; the
markdown lists the recipes that have no row yet. Every row records its date, the
load average at its start and end, wall and CPU seconds: on a shared machine the
wall time is indicative only, the CPU seconds are not inflated by other jobs.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import glob
import json
import math
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TFGAN_PROGRESS", "0")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import keras  # noqa: E402
import ml_collections  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from provenance import load_average, machine, read_store, timed, utc_now  # noqa: E402

from tfgan_apps import evaluation, trainer  # noqa: E402
from tfgan_apps.data import load_source  # noqa: E402
from tfgan_apps.errors import ConfigError, DataError  # noqa: E402

TfganDataError = (ConfigError, DataError)
from tfgan_apps.metrics import features as feature_nets  # noqa: E402
from tfgan_apps.metrics.spec import evaluate  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RECIPE_DIRS = (os.path.join(ROOT, "tfgan_apps", "configs"), os.path.join(ROOT, "configs"))
DEFAULT_RESULTS = os.path.join(ROOT, "benchmarks", "results", "recipes.md")
#: Recipe-name suffix of fixtures of other benchmarks (not recipes a user trains).
FIXTURE_SUFFIX = "_bench"
DIGITS_SIZE = 32
SAMPLE_SEED = 1
MIXTURE_SAMPLES = 2500


@dataclasses.dataclass(frozen=True)
class Family:
    """A data family: how it is scored, the target, and how to print it."""

    name: str
    title: str
    target: str
    columns: tuple[tuple[str, str, float, int], ...]  # (key, header, scale, digits)


FAMILIES = {
    "digits": Family("digits", "Digits (sklearn 8×8 digits at 32 px; 360 held-out images)",
                     "CS ≥ 85 % of the held-out digits' CS and every class ≥ 5 % of the samples",
                     (("fcd", "FCD ↓", 1, 1), ("cs", "CS ↑", 1, 2), ("cs_ratio", "CS / real %", 100, 0),
                      ("min_class", "rarest class %", 100, 1))),
    "faces": Family("faces", "LFW faces (scikit-image's 100 faces, 32×32 grey)",
                    "KID×10³ ≤ 3 × real vs real + 5",
                    (("kid", "KID×10³ ↓", 1e3, 2),)),
    "signal": Family("signal", "1-D signals (sines and chirps)", "MMD² ≤ 0.005",
                     (("mmd", "MMD² ↓", 1, 4),)),
    "points": Family("points", "2-D mixtures of Gaussians (PacGAN's protocol, 2,500 samples)",
                     "every mode, ≥ 90 % HQ, reverse KL ≤ 0.04",
                     (("modes", "modes ↑", 1, 0), ("high_quality", "HQ % ↑", 100, 1),
                      ("reverse_kl", "reverse KL ↓", 1, 3))),
    "restoration": Family("restoration", "Restoration (held-out photos)",
                          "PSNR above the degraded input's (bicubic for SR)",
                          (("psnr", "PSNR dB ↑", 1, 2), ("baseline", "input PSNR dB", 1, 2))),
}


# ---------------------------------------------------------------------------- recipes


def recipe_dir() -> str:
    """The folder of the shipped recipes (``tfgan_apps/configs``; ``configs`` before the move)."""
    for folder in RECIPE_DIRS:
        if glob.glob(os.path.join(folder, "*.py")):
            return folder
    raise FileNotFoundError(f"no recipes in {' or '.join(RECIPE_DIRS)}")


def list_recipes(folder: str | None = None) -> dict[str, str]:
    """Recipe name → path of every shipped recipe (not ``__init__`` nor ``*_bench`` fixtures)."""
    folder = folder or recipe_dir()
    names = {}
    for path in sorted(glob.glob(os.path.join(folder, "*.py"))):
        name = os.path.basename(path)[:-3]
        if not name.startswith("_") and not name.endswith(FIXTURE_SUFFIX):
            names[name] = path
    return names


def load_config(path: str) -> ml_collections.ConfigDict:
    """``get_config()`` of a recipe file."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"recipe_{os.path.basename(path)[:-3]}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.get_config()


def family_of(config: ml_collections.ConfigDict, source: Any) -> str | None:
    """The family a recipe is scored in (restoration by model, the rest by data source); None when this
    benchmark has no metric for it (unpaired translation, user folders, ...)."""
    from tfgan_apps.data import anomaly

    if config.model.name == "pix2pix":
        return "restoration"
    if anomaly.enabled(config.data):  # trained on the normal class only: scored by benchmarks/anomaly.py
        return None
    if source.kind in ("points", "signal"):
        return source.kind
    if evaluation.is_digits(source):
        return "digits"
    return "faces" if source.name == "lfw" else None


# ---------------------------------------------------------------------------- scoring


def digits_split() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(training 80 %, held-out 20 % images, held-out labels): the digits classifier's own split."""
    from sklearn.model_selection import train_test_split

    images, labels = feature_nets.digits_arrays(DIGITS_SIZE, 1)
    x_train, x_test, _, y_test = train_test_split(images, labels, test_size=0.2, random_state=0, stratify=labels)
    return x_train, x_test, y_test


def _inputs(extractor: Callable[[np.ndarray], Any], x: np.ndarray) -> dict[str, np.ndarray]:
    features, probs = extractor(x)
    out = {"features": features}
    if probs is not None:
        out["probs"] = probs
    return out


def score_digits(fake: np.ndarray) -> tuple[dict[str, float], dict[str, float]]:
    """(scores of ``fake``, real-vs-real) against the held-out digits; fake must be 1-channel images."""
    classifier = feature_nets.digits_classifier(evaluation.default_cache_dir(), DIGITS_SIZE, 1)
    x_train, x_test, _ = digits_split()
    held_out, train, samples = (_inputs(classifier, x) for x in (x_test, x_train, fake[..., :1]))
    got = evaluate(["fid", "is"], held_out, samples)
    real = evaluate(["fid", "is"], held_out, train)
    counts = np.bincount(samples["probs"].argmax(axis=1), minlength=10) / len(fake)
    scores = {"fcd": got["fid"], "cs": got["is"], "cs_ratio": got["is"] / real["is"], "min_class": float(counts.min())}
    return scores, {"fcd": real["fid"], "cs": real["is"], "cs_ratio": 1.0, "min_class": 0.1}


def _flat(x: np.ndarray) -> dict[str, np.ndarray]:
    flat = np.asarray(x, np.float32).reshape(len(x), -1)
    return {"features": flat, "samples": flat}


def halves(real: np.ndarray, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two disjoint halves of ``real`` by a seeded permutation."""
    order = np.random.default_rng(seed).permutation(len(real))
    half = len(real) // 2
    return real[order[:half]], real[order[half : 2 * half]]


def score_faces(fake: np.ndarray, real: np.ndarray) -> tuple[dict[str, float], dict[str, float]]:
    """KID on raw pixels against every real face; real vs real between two halves."""
    a, b = halves(real)
    return ({"kid": evaluate(["kid"], _flat(real), _flat(fake))["kid"]},
            {"kid": evaluate(["kid"], _flat(a), _flat(b))["kid"]})


def score_signals(fake: np.ndarray, source: Any) -> tuple[dict[str, float], dict[str, float]]:
    """Gaussian-kernel MMD² on raw signals; real vs real between two independent draws."""
    both = source.examples(2 * len(fake))
    real, other = both[: len(fake)], both[len(fake):]
    return ({"mmd": evaluate(["mmd"], _flat(real), _flat(fake))["mmd"]},
            {"mmd": evaluate(["mmd"], _flat(real), _flat(other))["mmd"]})


def score_points(model: keras.Model, source: Any, seed: int) -> tuple[dict[str, float], dict[str, float]]:
    """PacGAN's mode coverage of 2,500 samples; real vs real: 2,500 real points."""
    from tfgan_apps.metrics.modes import mode_coverage

    centres, std = source.info["centers"], source.info["std"]
    points = np.asarray(model.generate(MIXTURE_SAMPLES, seed=seed))
    return (mode_coverage(points, centres, std, threshold=3.0),
            mode_coverage(source.examples(MIXTURE_SAMPLES), centres, std, threshold=3.0))


def score_restoration(model: keras.Model, config: ml_collections.ConfigDict) -> tuple[dict[str, float], dict]:
    """Held-out PSNR (luma for 3-channel SR, as served) of the model and of the degraded input."""
    from tfgan_apps.data.paired import held_out_pairs
    from tfgan_apps.restoration.callbacks import bicubic, evaluate_pairs

    pairs = held_out_pairs(config.data, model.degradation, model.scale)
    if not pairs:
        return {}, {}
    key = "psnr_y" if model.scale > 1 and config.data.channels == 3 else "psnr"
    ours = evaluate_pairs(lambda x: model.restore(x), pairs, model.scale)[key]
    baseline = evaluate_pairs(lambda x: bicubic(x, model.scale), pairs, model.scale)[key]
    return {"psnr": ours, "baseline": baseline}, {}


def meets(family: str, scores: Mapping[str, float], real: Mapping[str, float], source: Any) -> bool | None:
    """Whether ``scores`` meet the family's target (None when there is nothing to judge)."""
    if not scores:
        return None
    if family == "digits":
        return scores["cs_ratio"] >= 0.85 and scores["min_class"] >= 0.05
    if family == "faces":
        return scores["kid"] * 1e3 <= 3 * max(real["kid"] * 1e3, 0.0) + 5
    if family == "signal":
        return scores["mmd"] <= 0.005
    if family == "points":
        modes = len(source.info["centers"])
        kl = scores["reverse_kl"]
        return scores["modes"] >= modes and scores["high_quality"] >= 0.9 and math.isfinite(kl) and kl <= 0.04
    return scores["psnr"] > scores["baseline"]


def own_scalars(workdir: str) -> dict[str, float]:
    """The last value of every ``Eval/*`` scalar the run wrote itself (SGAN's held-out accuracy, ...)."""
    last: dict[str, tuple[int, float]] = {}
    for path in sorted(glob.glob(os.path.join(workdir, "events.out.tfevents.*"))):
        for record in tf.data.TFRecordDataset(path):
            event = tf.compat.v1.Event.FromString(record.numpy())
            for value in event.summary.value:
                if value.tag.startswith("Eval/") and value.WhichOneof("value") == "tensor":
                    number = float(tf.make_ndarray(value.tensor))
                    if value.tag not in last or event.step >= last[value.tag][0]:
                        last[value.tag] = (int(event.step), number)
    return {tag[len("Eval/"):]: v for tag, (_, v) in sorted(last.items())}


def run_recipe(name: str, path: str, workdir: str, num_samples: int) -> dict[str, Any]:
    """Trains one recipe with its defaults and scores it; the row as a JSON-able dict."""
    config = load_config(path)
    row: dict[str, Any] = {"recipe": name, "date": utc_now(), "load_start": load_average(),
                           "steps": int(config.train.steps), "model": config.model.name}
    try:
        family = family_of(config, load_source(config.data))
    except TfganDataError as error:  # e.g. folder_rgb's placeholder folder: the user's own data
        return {**row, "skipped": f"needs the user's data ({error})"}
    if family is None:
        return {**row, "skipped": f"no metric here for model {config.model.name!r} on {config.data.source!r}"}
    result, timing = timed(lambda: trainer.train(config, workdir))
    row.update(timing)
    model, source = result["model"], load_source(config.data)
    start = time.perf_counter()
    if family == "points":
        scores, real = score_points(model, source, SAMPLE_SEED)
    elif family == "restoration":
        scores, real = score_restoration(model, config)
    else:
        fake = evaluation.generate_samples(model, num_samples, seed=SAMPLE_SEED, progress=False)
        if family == "digits":
            scores, real = score_digits(fake)
        elif family == "faces":
            scores, real = score_faces(fake, source.examples())
        else:
            scores, real = score_signals(fake, source)
    row.update(family=family, source=config.data.source, scores=scores, real=real,
               met=meets(family, scores, real, source), own=own_scalars(workdir),
               eval_seconds=time.perf_counter() - start)
    return row


# ---------------------------------------------------------------------------- report


def _fmt(value: Any, scale: float = 1.0, digits: int = 2) -> str:
    if value is None:
        return "-"
    value = float(value) * scale
    return f"{value:.{digits}f}" if math.isfinite(value) else "nan"


def markdown(rows: Mapping[str, Mapping[str, Any]], recipes: Sequence[str], header_lines: Sequence[str]) -> str:
    """The results file: provenance, one table per family with its target, and the recipes without a row."""
    lines = ["# Recipes at their own defaults: wall time and quality", "", *header_lines, ""]
    for family in FAMILIES.values():
        members = [rows[r] for r in recipes if r in rows and rows[r].get("family") == family.name]
        if not members:
            continue
        lines += [f"## {family.title}", "", f"Target: {family.target}.", ""]
        heads = [h for _, h, _, _ in family.columns]
        lines += ["| recipe | steps | train s | CPU s | load (start → end) | " + " | ".join(heads)
                  + " | target met | own scalars |",
                  "|---" * (7 + len(heads)) + "|"]
        reals = {}
        for row in members:
            if row.get("real"):
                reals.setdefault(row["source"], row["real"])
        for source, real in reals.items():
            cells = [_fmt(real.get(k), s, d) if k not in ("cs_ratio", "min_class") else "-"
                     for k, _, s, d in family.columns]
            lines.append(f"| *real vs real ({source})* | - | - | - | - | " + " | ".join(cells) + " | - | - |")
        for row in members:
            cells = [_fmt(row["scores"].get(k), s, d) for k, _, s, d in family.columns]
            met = {True: "yes", False: "**no**", None: "-"}[row.get("met")]
            own = ", ".join(f"{k}={v:.3f}" for k, v in row.get("own", {}).items()) or "-"
            lines.append(f"| {row['recipe']} | {row['steps']} | {row['train_seconds']:.0f} | "
                         f"{row['cpu_seconds']:.0f} | {row['load_start'].split(',')[0]} → "
                         f"{row['load_end'].split(',')[0]} | " + " | ".join(cells) + f" | {met} | {own} |")
        lines.append("")
    missing = [r for r in recipes if r not in rows]
    if missing:
        lines += ["## Not measured yet", "", ", ".join(f"`{r}`" for r in missing), ""]
    for r in recipes:
        if r in rows and (rows[r].get("error") or rows[r].get("skipped")):
            lines.append(f"- `{r}`: " + (f"failed: {rows[r]['error']}" if rows[r].get("error")
                                         else f"not scored ({rows[r]['skipped']})"))
    return "\n".join(lines).rstrip() + "\n"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipes", default="", help="comma-separated recipe names (default: every recipe)")
    parser.add_argument("--num_samples", type=int, default=1000, help="generated samples per image/signal metric")
    parser.add_argument("--workdir_root", default="", help="keep the run directories here (default: temporary)")
    parser.add_argument("--results", default=DEFAULT_RESULTS, help="markdown file; rows also in results.json beside it")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    available = list_recipes()
    names = [n.strip() for n in args.recipes.split(",") if n.strip()] or list(available)
    unknown = [n for n in names if n not in available]
    if unknown:
        raise SystemExit(f"unknown recipes {unknown}; valid: {', '.join(available)}")
    store, rows = read_store(args.results)
    header = [f"- machine: {machine()}",
              "- command: `python benchmarks/recipes.py [--recipes=...]` (each row: its own date and load; "
              "rows accumulate over runs in `recipes.json`)",
              "- wall times are indicative when the load is above the 2 cores; CPU s = user + system seconds of "
              "the training process"]
    root = args.workdir_root or tempfile.mkdtemp(prefix="recipes-")
    for name in names:
        workdir = os.path.join(root, name)
        shutil.rmtree(workdir, ignore_errors=True)
        print(f"{name}: training with its defaults ...", flush=True)
        try:
            rows[name] = run_recipe(name, available[name], workdir, args.num_samples)
        except Exception as error:  # noqa: BLE001 - one failing recipe must not lose the other rows
            rows[name] = {"recipe": name, "error": f"{type(error).__name__}: {str(error)[:300]}"}
        print(json.dumps(rows[name], default=float), flush=True)
        os.makedirs(os.path.dirname(os.path.abspath(args.results)), exist_ok=True)
        with open(store, "w") as f:
            json.dump(rows, f, indent=1, sort_keys=True, default=float)
        with open(args.results, "w") as f:
            f.write(markdown(rows, list(available), header))
        if not args.workdir_root:
            shutil.rmtree(workdir, ignore_errors=True)
        keras.backend.clear_session()
        gc.collect()
    return rows


if __name__ == "__main__":
    main()
