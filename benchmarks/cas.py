"""Classification Accuracy Score and GAN data augmentation for the labelled digits models (cGAN, ACGAN, SGAN).

    python benchmarks/cas.py [--recipes=cgan_digits,acgan_digits,sgan_digits] [--steps=0] [--epochs=20]
                             [--labels_per_class=10] [--minority=5,6,7,8,9] [--keep=0.1] [--workdir=DIR]
                             [--set FIELD=VALUE ...] [--results=benchmarks/results/cas.md]

Every recipe is trained with ``trainer.train`` (the path of ``tfgan-train``; export off) on the training part of
``indexed:digits`` with ``data.heldout`` = 297 class-balanced digits held out (the SGAN recipe's split, used for
all three, so no GAN ever sees a test image); ``--steps=0`` keeps each recipe's own step count. Then, with the
project's small conv classifier (``tfgan_apps/metrics/features.py``) trained for ``--epochs`` epochs each time and
always tested on the 297 held-out real digits (``tfgan_apps/metrics/cas.py``):

* real: the classifier trained on the 1500 real training digits;
* CAS (Ravuri & Vinyals 2019): trained on 1500 generated labelled samples only (cGAN / ACGAN: class-balanced
  requested labels; SGAN: unconditional samples labelled by its K-class discriminator);
* own D: the model's own classifier on the held-out digits (ACGAN's auxiliary head, SGAN's discriminator);
* few labels: ``--labels_per_class`` real labels per class alone, and the same plus the 1500 generated samples;
* imbalanced: the 1500 real digits with only ``--keep`` of each ``--minority`` class; minority recall (mean
  per-class recall over the minority classes) alone and with generated minority samples topping each minority
  class up to the median majority count. The GANs themselves are trained on the balanced training set.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TFGAN_PROGRESS", "0")

import importlib  # noqa: E402

import numpy as np  # noqa: E402
import overrides as overrides_lib  # noqa: E402
from provenance import load_average, load_note, machine, utc_now  # noqa: E402

from tfgan_apps.metrics import cas  # noqa: E402

HELDOUT = 297  # sgan_digits' held-out digits


def recipe_config(name: str, args: argparse.Namespace) -> Any:
    """The recipe on ``indexed:digits`` with the held-out split, shortened by ``--steps`` if given."""
    config = importlib.import_module(f"tfgan_apps.configs.{name}").get_config()
    with config.unlocked():
        config.data.source = "indexed:digits"
        config.data.heldout = HELDOUT
    if args.steps:
        config.train.steps = args.steps
        for key in ("log_every", "image_every", "checkpoint_every"):
            config.train[key] = min(config.train[key], args.steps)
    config.export.enabled = False
    overrides_lib.apply_items(config, args.set)
    return config


def own_accuracy(model: Any, test: cas.Split) -> float | None:
    """Accuracy of the model's own classifier (``classify``: ACGAN's auxiliary head, SGAN's D), if it has one."""
    if not hasattr(model, "classify"):
        return None
    logits = np.concatenate([np.asarray(model.classify(test.x[i:i + 256])) for i in range(0, len(test.y), 256)])
    return float(np.mean(np.argmax(logits, axis=1) == test.y))


def pct(value: float | None) -> str:
    """A fraction as a percentage with one decimal ('-' when missing)."""
    return "-" if value is None or not np.isfinite(value) else f"{100 * value:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[1],
                                     formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--recipes", default="cgan_digits,acgan_digits,sgan_digits")
    parser.add_argument("--steps", type=int, default=0, help="generator steps (0 = the recipe's own)")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--labels_per_class", type=int, default=10)
    parser.add_argument("--minority", default="5,6,7,8,9")
    parser.add_argument("--keep", type=float, default=0.1)
    parser.add_argument("--workdir", default=os.path.join(ROOT, "tensorboard_logs", "cas"))
    parser.add_argument("--set", action="append", default=[], type=overrides_lib.parse_item, metavar="FIELD=VALUE")
    parser.add_argument("--results", default=os.path.join(ROOT, "benchmarks", "results", "cas.md"))
    args = parser.parse_args()
    recipes = [r.strip() for r in args.recipes.split(",") if r.strip()]
    minority = [int(k) for k in args.minority.split(",") if k.strip()]
    command = "python benchmarks/cas.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    started, load_start, t0 = utc_now(), load_average(), time.monotonic()

    from tfgan_apps import trainer
    from tfgan_apps.data import load_source

    baselines: dict[Any, dict[str, Any]] = {}  # real-data scores per (image size, channels): shared by recipes
    rows = []
    for name in recipes:
        config = recipe_config(name, args)
        t1 = time.monotonic()
        result = trainer.train(config, os.path.join(args.workdir, name))
        train_minutes = (time.monotonic() - t1) / 60
        model, source = result["model"], load_source(config.data)
        train = cas.Split(source.examples(), np.asarray(source.labels))
        test = cas.Split(*source.heldout_examples())
        k = int(source.num_classes)
        key = (config.data.image_size, config.data.channels)
        if key not in baselines:
            from tfgan_apps.data.labelled import balanced_subset

            few = balanced_subset(train.y, args.labels_per_class * k, k)
            skewed = cas.imbalance(train, minority, args.keep)
            baselines[key] = {
                "real": cas.train_and_score(train.x, train.y, test, k, args.epochs),
                "few": cas.train_and_score(train.x[few], train.y[few], test, k, args.epochs),
                "skewed": cas.train_and_score(skewed.x, skewed.y, test, k, args.epochs),
                "skewed_size": len(skewed.y),
            }
        base = baselines[key]
        sampler = cas.model_sampler(model)
        score = cas.classification_accuracy_score(sampler, test, len(train.y), k, args.epochs)
        _, few_mixed = cas.augmentation(sampler, train, test, args.labels_per_class, len(train.y), k, args.epochs,
                                        alone=base["few"])
        _, skewed_mixed, _ = cas.imbalanced_augmentation(sampler, train, test, minority, args.keep, k, args.epochs,
                                                         draw=10 * len(train.y), alone=base["skewed"])
        rows.append({"recipe": name, "model": config.model.name, "steps": result["step"], "size": key[0],
                     "train_min": train_minutes, "real": base["real"], "cas": score, "own": own_accuracy(model, test),
                     "few": base["few"], "few_mixed": few_mixed, "skewed": base["skewed"],
                     "skewed_mixed": skewed_mixed, "skewed_size": base["skewed_size"]})
        print(f"{name}: CAS {score.accuracy:.3f} (real {base['real'].accuracy:.3f}) after "
              f"{(time.monotonic() - t0) / 60:.1f} min", flush=True)

    def minority_recall(s: cas.Score) -> float:
        return float(np.nanmean(s.recall[minority]))

    lines = [
        "# Classification Accuracy Score and GAN data augmentation (cGAN, ACGAN, SGAN on digits)",
        "",
        f"- date: {started} (took {(time.monotonic() - t0) / 60:.1f} min)",
        f"- machine: {machine()}; {load_note(load_start, load_average())}; shared with other sessions",
        f"- command: `{command}`",
        f"- data: `indexed:digits`, {HELDOUT} class-balanced digits held out (never seen by a GAN or a classifier "
        "in training) = the test set of every accuracy below; 1500 training digits",
        f"- classifier: `tfgan_apps.metrics.features.build_classifier` trained {args.epochs} epochs (Adam 1e-3, "
        "batch 64, seed 0) on each training set; numbers are accuracies (%) on the held-out digits",
        f"- few labels: {args.labels_per_class} per class; imbalanced: classes {args.minority} keep "
        f"{args.keep:.0%} of their training digits ({rows[0]['skewed_size'] if rows else '-'} digits left); "
        "the GANs are trained on the balanced training set",
        "",
        "| recipe | steps | px | real (1500 real) | CAS (1500 generated) | own D | "
        f"{args.labels_per_class}/class alone | + 1500 generated | imbalanced: minority recall alone | "
        "+ generated minority | imbalanced acc alone | + generated |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['recipe']} | {r['steps']} | {r['size']} | {pct(r['real'].accuracy)} | {pct(r['cas'].accuracy)} | "
            f"{pct(r['own'])} | {pct(r['few'].accuracy)} | {pct(r['few_mixed'].accuracy)} | "
            f"{pct(minority_recall(r['skewed']))} | {pct(minority_recall(r['skewed_mixed']))} | "
            f"{pct(r['skewed'].accuracy)} | {pct(r['skewed_mixed'].accuracy)} |")
    lines += ["", "Per-class recall (%) of the CAS classifier (trained on generated samples only) on the held-out "
              "digits: a class the generator does not draw recognisably has a low recall.", "",
              "| recipe | " + " | ".join(str(k) for k in range(10)) + " |", "|---|" + "---|" * 10]
    for r in rows:
        lines.append(f"| {r['recipe']} | " + " | ".join(pct(v) for v in r["cas"].recall) + " |")
    if rows:
        lines.append("| *real data* | " + " | ".join(pct(v) for v in rows[0]["real"].recall) + " |")
    lines += ["", "GAN training minutes: " + ", ".join(f"{r['recipe']} {r['train_min']:.1f}" for r in rows), ""]
    os.makedirs(os.path.dirname(args.results), exist_ok=True)
    with open(args.results, "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
