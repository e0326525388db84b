"""The face recipes (``dcgan_lfw``, ``dcgan_diffaugment_lfw``) and their ablations, trained with ``--seeds``.

    python benchmarks/faces.py [--variants=dcgan_lfw,diffaugment_lfw,...] [--seeds=0,1,2]
                               [--set FIELD=VALUE ...] [--extra 'LABEL|RECIPE|FIELD=VALUE|...']
                               [--pictures] [--results=benchmarks/results/faces.md]

Every run goes through ``trainer.train`` (what ``tfgan-train --config=<recipe>`` runs) on the recipe's
``get_config()`` with the variant's overrides and ``train.seed = SEED``, and scores its final model
(the EMA generator when the recipe has one) on ``--num_samples`` samples with three checks:

* **KID ×10³** on raw 32×32 pixels against the 100 training faces (``recipes.score_faces``; real vs
  real: two halves of 50, ≈ 3.5). There is no held-out face: 100 faces are the whole set.
* **face rate**: the fraction of samples that two face-vs-non-face classifiers trained on ``lfw:all``
  (logistic regression on raw pixels, and on HOG features) *both* rate as faces. The classifiers are
  fitted on a stratified 70 % of the 200 patches (seed 0); their held-out accuracy on the other 30 %
  and the rate on the 30 held-out real faces are reported beside it. Either alone is fooled (HOG
  rates pixel noise as faces, raw pixels rate blurred faces as faces); together they reject both.
* **nearest-face distance**: per sample, the RMS pixel distance (images in [−1, 1]) to its nearest
  training face (``metrics.nearest.nearest_distances``); the median is shown next to the real faces'
  leave-one-out median, and ``copies`` is the share of samples nearer to a training face than
  half that real median (memorisation of the 100 images shows up there).

Results accumulate in ``faces.json`` beside the markdown, keyed by ``variant/seed``; the table shows
per variant the mean ± std over its seeds. Every row records its date, load, wall and CPU seconds
(user + system of this process during training: on a shared machine wall time is inflated, CPU
seconds are not) and the exact command. ``--pictures`` writes, for seed 0 of the two recipes at
their defaults, ``docs/faces_<recipe>.png`` (64 samples with a title) and ``docs/faces_real.png``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shlex
import shutil
import sys
import tempfile
from collections.abc import Mapping, Sequence
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TFGAN_PROGRESS", "0")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import overrides  # noqa: E402
from provenance import load_average, machine, read_store, timed, utc_now  # noqa: E402
from recipes import ROOT, halves, list_recipes, load_config, score_faces  # noqa: E402

from tfgan_apps import evaluation, trainer  # noqa: E402
from tfgan_apps.data import load_source  # noqa: E402
from tfgan_apps.metrics.nearest import nearest_distances  # noqa: E402

DEFAULT_RESULTS = os.path.join(ROOT, "benchmarks", "results", "faces.md")
DOCS = os.path.join(ROOT, "docs")
SAMPLE_SEED = 1
FACE_SIZE = 32

#: label → (recipe, overrides). The two recipes at their defaults and dcgan_lfw with an EMA of G.
#: The EMA only renders samples (training is unchanged), so a run with EMA is scored twice: its EMA
#: generator and its raw generator (row "LABEL [raw G]", the same run without EMA). Three runs per seed
#: thus give the 2 × 2 ablation of the DiffAugment recipe: DA+EMA, DA alone ("diffaugment_lfw [raw G]"),
#: EMA alone ("dcgan_lfw +EMA"), neither ("dcgan_lfw +EMA [raw G]" = dcgan_lfw).
VARIANTS: dict[str, tuple[str, dict[str, Any]]] = {
    "dcgan_lfw": ("dcgan_lfw", {}),
    "diffaugment_lfw": ("dcgan_diffaugment_lfw", {}),
    "dcgan_lfw +EMA": ("dcgan_lfw", {"model.stabilizers.ema": True, "model.stabilizers.ema_decay": 0.995}),
    "diffaugment_lfw -DA": ("dcgan_diffaugment_lfw", {"model.stabilizers.diffaugment": ""}),
}
RAW = " [raw G]"
#: Table order: the 2 × 2 ablation (neither, EMA, DA, both), then anything else alphabetically.
ORDER = ("dcgan_lfw", "dcgan_lfw +EMA [raw G]", "dcgan_lfw +EMA", "diffaugment_lfw [raw G]", "diffaugment_lfw")
PICTURES = {"dcgan_lfw": "faces_dcgan_lfw.png", "diffaugment_lfw": "faces_diffaugment_lfw.png"}


# ---------------------------------------------------------------------------- face checks


def face_arrays(size: int = FACE_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """(images [200, size, size] in [-1, 1], labels 1 = face) of ``lfw:all``, as the data source loads them."""
    import ml_collections

    cfg = ml_collections.ConfigDict({"image_size": size, "channels": 1})
    from tfgan_apps.data.bundled import lfw

    source = lfw(cfg, "all")
    return source.examples()[..., 0], np.asarray(source.labels)


def hog_features(images: np.ndarray) -> np.ndarray:
    """HOG descriptors (9 orientations, 8×8-px cells, 2×2-cell blocks) of grey images [N, H, W] in [-1, 1]."""
    from skimage.feature import hog

    return np.stack([hog(image, orientations=9, pixels_per_cell=(8, 8), cells_per_block=(2, 2))
                     for image in np.asarray(images, np.float64)])


def raw_features(images: np.ndarray) -> np.ndarray:
    """The pixels of grey images [N, H, W] as [N, H·W]."""
    return np.asarray(images, np.float64).reshape(len(images), -1)


class FaceRater:
    """Face-vs-non-face logistic regressions on raw pixels and on HOG, fitted on 70 % of ``lfw:all``.

    ``rate(images)`` is the share of images both classifiers call a face. The held-out 30 % (60
    patches, 30 of them faces) gives ``accuracy`` (of the joint rule) and ``real_rate``.
    """

    FEATURES = {"raw": raw_features, "hog": hog_features}

    def __init__(self, images: np.ndarray, labels: np.ndarray, seed: int = 0, held_out: float = 0.3) -> None:
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import train_test_split
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        x_train, x_test, y_train, y_test = train_test_split(images, labels, test_size=held_out, random_state=seed,
                                                            stratify=labels)
        self.classifiers = {
            name: make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=5000)).fit(f(x_train), y_train)
            for name, f in self.FEATURES.items()}
        joint = self.is_face(x_test)
        self.accuracy = float(np.mean(joint == (y_test == 1)))
        self.accuracy_each = {name: float(np.mean(c.predict(self.FEATURES[name](x_test)) == y_test))
                              for name, c in self.classifiers.items()}
        self.real_rate = float(joint[y_test == 1].mean())

    def is_face(self, images: np.ndarray) -> np.ndarray:
        """Boolean [N]: both classifiers predict "face" for the grey images [N, H, W] in [-1, 1]."""
        votes = [c.predict(self.FEATURES[name](images)) == 1 for name, c in self.classifiers.items()]
        return np.logical_and.reduce(votes)

    def rate(self, images: np.ndarray) -> float:
        """Share of ``images`` rated faces by both classifiers."""
        return float(self.is_face(images).mean())


def rms(distance: np.ndarray, dims: int) -> np.ndarray:
    """Root-mean-square pixel difference from a Euclidean distance over ``dims`` pixels."""
    return np.asarray(distance, np.float64) / np.sqrt(dims)


def memorisation(fake: np.ndarray, real: np.ndarray) -> dict[str, float]:
    """Nearest-training-face distances of ``fake`` (RMS per pixel), against the real faces' leave-one-out ones."""
    flat_real = real.reshape(len(real), -1)
    dims = flat_real.shape[1]
    fake_nn = rms(nearest_distances(flat_real, fake.reshape(len(fake), -1)), dims)
    real_nn = rms(nearest_distances(flat_real, flat_real, exclude_self=True), dims)
    real_median = float(np.median(real_nn))
    return {"nn_median": float(np.median(fake_nn)), "nn_real_median": real_median,
            "copies": float(np.mean(fake_nn < 0.5 * real_median))}


def kid_real_vs_real(real: np.ndarray, splits: int = 10) -> float:
    """Mean KID between two random halves of the real faces over ``splits`` seeded splits."""
    values = []
    for seed in range(splits):
        a, b = halves(real, seed)
        values.append(score_faces(a, b)[0]["kid"])
    return float(np.mean(values))


def score(fake: np.ndarray, real: np.ndarray, rater: FaceRater) -> dict[str, float]:
    """Every face check of ``fake`` [N, 32, 32, 1] in [-1, 1] against the 100 ``real`` faces."""
    kid, kid_real = score_faces(fake, real)
    return {"kid": kid["kid"], "kid_real": kid_real["kid"], "face_rate": rater.rate(fake[..., 0]),
            **memorisation(fake[..., 0], real[..., 0])}


# ---------------------------------------------------------------------------- runs


def parse_extra(text: str) -> tuple[str, tuple[str, dict[str, str]]]:
    """``LABEL|RECIPE|FIELD=VALUE|...`` → (label, (recipe, raw overrides))."""
    label, recipe, *items = text.split("|")
    if not label or not recipe:
        raise argparse.ArgumentTypeError(f"--extra needs LABEL|RECIPE[|FIELD=VALUE...], got {text!r}")
    return label, (recipe, dict(overrides.parse_item(item) for item in items))


def configure(recipe: str, fields: Mapping[str, Any], sets: Sequence[tuple[str, str]], seed: int) -> Any:
    """The recipe's config with the variant's fields (typed or raw text), the ``--set`` items and the seed."""
    config = load_config(list_recipes()[recipe])
    raw = [(k, v) for k, v in fields.items() if isinstance(v, str) and not isinstance(config_get(config, k), str)]
    typed = {k: v for k, v in fields.items() if (k, v) not in raw}
    overrides.set_fields(config, typed)
    overrides.apply_items(config, [*raw, *sets])
    config.train.seed = seed
    return config


def config_get(config: Any, dotted: str) -> Any:
    """The value of a dotted config field (KeyError naming it when absent)."""
    node = config
    for part in dotted.split("."):
        if part not in node:
            raise KeyError(f"config has no field {dotted!r}")
        node = node[part]
    return node


def run_one(label: str, recipe: str, fields: Mapping[str, Any], sets: Sequence[tuple[str, str]], seed: int,
            workdir: str, num_samples: int, rater: FaceRater, real: np.ndarray) -> tuple[dict[str, Any], Any]:
    """Trains one (variant, seed) and scores it; (the JSON-able row, the trained model)."""
    config = configure(recipe, fields, sets, seed)
    row: dict[str, Any] = {"variant": label, "recipe": recipe, "seed": seed, "date": utc_now(),
                           "load_start": load_average(), "steps": int(config.train.steps),
                           "overrides": {**{k: str(v) for k, v in fields.items()}, **dict(sets)}}
    result, timing = timed(lambda: trainer.train(config, workdir))
    row.update(timing)
    model = result["model"]
    fake = evaluation.generate_samples(model, num_samples, seed=SAMPLE_SEED, progress=False)
    row["scores"] = score(fake, real, rater)
    if model.inference_generator is not model.generator:
        row["scores_raw"] = score(raw_samples(model, num_samples, SAMPLE_SEED), real, rater)
    return row, model


def raw_samples(model: Any, count: int, seed: int, batch_size: int = 250) -> np.ndarray:
    """The samples ``evaluation.generate_samples`` draws (same latents), from the raw generator, not the EMA."""
    import tensorflow as tf

    batches = []
    for i in range(-(-count // batch_size)):
        n = min(batch_size, count - i * batch_size)
        z = tf.random.stateless_normal([n, model.latent_dim], seed=[seed * 100003 + i, 0])
        batches.append(np.asarray(model.generator(z, training=False)))
    return np.concatenate(batches)[:count]


# ---------------------------------------------------------------------------- pictures


def save_picture(images: np.ndarray, title: str, path: str, scale: int = 3, cols: int = 8) -> str:
    """A titled grid of grey images [N, H, W, 1] in [-1, 1], each pixel ``scale``×``scale``, as PNG."""
    from tfgan_apps.generate import save_png
    from tfgan_apps.visualize import image_grid, with_title

    big = np.repeat(np.repeat(np.asarray(images, np.float32), scale, axis=1), scale, axis=2)
    return save_png(with_title(image_grid(big, cols=cols, pad=2), title), path)


# ---------------------------------------------------------------------------- report


def _stat(rows: Sequence[Mapping[str, Any]], key: str, scale: float = 1.0, digits: int = 1) -> str:
    values = np.array([r["scores"][key] for r in rows], np.float64) * scale
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{values.mean():.{digits}f} ± {values.std(ddof=1):.{digits}f}"


def summary(rows: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One entry per variant (in first-seen order): its rows and the CPU/wall means."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows.values():
        groups.setdefault(row["variant"], []).append(row)
    order = [*ORDER, *sorted(v for v in groups if v not in ORDER)]
    return [{"variant": v, "rows": sorted(groups[v], key=lambda r: r["seed"])} for v in order if v in groups]


def table(rows: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Markdown table lines: per variant, mean ± std over its seeds."""
    lines = ["| variant | overrides | steps | seeds | CPU s | wall s | KID×10³ ↓ | face rate % ↑ | "
             "NN dist (median) | copies % |", "|---" * 10 + "|"]
    for group in summary(rows):
        rs = group["rows"]
        over = "; ".join(f"{k}={v}" for k, v in rs[0]["overrides"].items()) or "(defaults)"
        cpu = np.mean([r["cpu_seconds"] for r in rs])
        wall = np.mean([r["train_seconds"] for r in rs])
        lines.append(f"| {group['variant']} | `{over}` | {rs[0]['steps']} | "
                     f"{','.join(str(r['seed']) for r in rs)} | {cpu:.0f} | {wall:.0f} | "
                     f"{_stat(rs, 'kid', 1e3)} | {_stat(rs, 'face_rate', 100, 0)} | "
                     f"{_stat(rs, 'nn_median', 1, 3)} | {_stat(rs, 'copies', 100, 0)} |")
    return lines


def markdown(rows: Mapping[str, Mapping[str, Any]], header: Sequence[str], reference: Mapping[str, float]) -> str:
    """The results file: provenance, the reference values of real faces, the table and every run's line."""
    lines = ["# Face recipes: samples of the 100 LFW faces, ablation of DiffAugment and EMA", "", *header, "",
             "Reference (real faces): "
             f"KID×10³ real vs real (two halves of 50, mean of 10 splits) {reference['kid_real'] * 1e3:.1f}; "
             f"face rate of the 30 held-out real faces {reference['real_rate'] * 100:.0f} %, "
             f"held-out accuracy of the face rater {reference['accuracy'] * 100:.0f} % "
             f"(raw pixels {reference['accuracy_raw'] * 100:.0f} %, HOG {reference['accuracy_hog'] * 100:.0f} %); "
             f"nearest-other-face distance of the real faces (median RMS) {reference['nn_real_median']:.3f}.", "",
             f"Rows \"X{RAW}\" are the raw generator of the run X with EMA, i.e. X without EMA (the EMA only renders "
             "samples; \"dcgan_lfw +EMA [raw G]\" is dcgan_lfw: seed 0 gave the identical numbers). Mean ± std over "
             "the seeds.", "", *table(rows), "", "## Every run", ""]
    for key in sorted(rows):
        r = rows[key]
        s = r["scores"]
        lines.append(f"- `{key}`: {r['date']}, load {r['load_start']} → {r['load_end']}, "
                     f"{r['train_seconds']:.0f} s wall, {r['cpu_seconds']:.0f} CPU s; KID×10³ {s['kid'] * 1e3:.1f}, "
                     f"face {s['face_rate'] * 100:.0f} %, NN {s['nn_median']:.3f}, copies {s['copies'] * 100:.0f} %; "
                     f"`{r['command']}`")
    return "\n".join(lines).rstrip() + "\n"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", default=",".join(VARIANTS),
                        help=f"comma-separated variants (default: all of {', '.join(VARIANTS)})")
    parser.add_argument("--extra", action="append", type=parse_extra, default=[],
                        help="another variant: LABEL|RECIPE|FIELD=VALUE|... (repeatable)")
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated train.seed values")
    parser.add_argument("--set", dest="sets", action="append", type=overrides.parse_item, default=[],
                        help="FIELD=VALUE applied to every run (repeatable)")
    parser.add_argument("--num_samples", type=int, default=1000, help="generated samples per run")
    parser.add_argument("--pictures", action="store_true", help="write docs/faces_*.png from seed 0 of the recipes")
    parser.add_argument("--samples_dir", default="", help="also write a titled 64-sample grid of every run here")
    parser.add_argument("--report_only", action="store_true", help="rewrite the markdown from the .json, train nothing")
    parser.add_argument("--workdir_root", default="", help="keep the run directories here (default: temporary)")
    parser.add_argument("--results", default=DEFAULT_RESULTS, help="markdown file; rows also in the .json beside it")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    command = "python benchmarks/faces.py " + " ".join(shlex.quote(a) for a in (sys.argv[1:] if argv is None
                                                                                 else argv))
    variants = {**VARIANTS, **dict(args.extra)}
    names = [n.strip() for n in args.variants.split(",") if n.strip()] + [label for label, _ in args.extra]
    names = list(dict.fromkeys(names))
    unknown = [n for n in names if n not in variants]
    if unknown:
        raise SystemExit(f"unknown variants {unknown}; valid: {', '.join(variants)}")
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    store, saved = read_store(args.results)
    rows: dict[str, Any] = saved.get("runs", {})
    images, labels = face_arrays()
    rater = FaceRater(images, labels)
    real = load_source(load_config(list_recipes()["dcgan_lfw"]).data).examples()
    real_mem = memorisation(real[:1, ..., 0], real[..., 0])
    reference = {"kid_real": kid_real_vs_real(real), "real_rate": rater.real_rate,
                 "accuracy": rater.accuracy, "accuracy_raw": rater.accuracy_each["raw"],
                 "accuracy_hog": rater.accuracy_each["hog"], "nn_real_median": real_mem["nn_real_median"]}
    header = [f"- machine: {machine()} (shared with other jobs: see each run's load; CPU s = user + system "
              "seconds of the training, not inflated by other jobs)",
              "- command: `python benchmarks/faces.py --variants=... --seeds=...` (each run's own command below); "
              "runs accumulate in `faces.json`",
              f"- {args.num_samples} samples per run (seed {SAMPLE_SEED}); images 32×32 grey in [−1, 1]; "
              "the EMA generator when the recipe has one"]
    if args.report_only:
        names = []
    root = args.workdir_root or (tempfile.mkdtemp(prefix="faces-") if names else "")
    print("| variant | seed | CPU s | wall s | KID×10³ | face % | NN median | copies % |", flush=True)
    for name in names:
        recipe, fields = variants[name]
        for seed in seeds:
            workdir = os.path.join(root, f"{name.replace(' ', '_')}_{seed}")
            shutil.rmtree(workdir, ignore_errors=True)
            row, model = run_one(name, recipe, fields, args.sets, seed, workdir, args.num_samples, rater, real)
            row["command"] = command
            rows[f"{name}/{seed}"] = row
            if "scores_raw" in row:
                raw_scores = row.pop("scores_raw")
                rows[f"{name}{RAW}/{seed}"] = {**row, "variant": name + RAW, "scores": raw_scores,
                                               "note": f"the raw generator of the run {name}/{seed} (EMA off)"}
            s = row["scores"]
            if f"{name}{RAW}/{seed}" in rows and rows[f"{name}{RAW}/{seed}"]["date"] == row["date"]:
                r = rows[f"{name}{RAW}/{seed}"]["scores"]
                print(f"| {name}{RAW} | {seed} | - | - | {r['kid'] * 1e3:.1f} | {r['face_rate'] * 100:.0f} | "
                      f"{r['nn_median']:.3f} | {r['copies'] * 100:.0f} |", flush=True)
            print(f"| {name} | {seed} | {row['cpu_seconds']:.0f} | {row['train_seconds']:.0f} | "
                  f"{s['kid'] * 1e3:.1f} | {s['face_rate'] * 100:.0f} | {s['nn_median']:.3f} | "
                  f"{s['copies'] * 100:.0f} |", flush=True)
            fake = evaluation.generate_samples(model, 64, seed=SAMPLE_SEED, progress=False)
            title = (f"{name}, seed {seed}, {row['steps']} steps: KID x1000 {s['kid'] * 1e3:.1f}, "
                     f"face rate {s['face_rate'] * 100:.0f} %")
            if args.samples_dir:
                save_picture(fake, title, os.path.join(args.samples_dir, f"{name.replace(' ', '_')}_{seed}.png"))
            if args.pictures and name in PICTURES and seed == 0 and not args.sets:
                title = (f"tfgan-train --config={recipe} (seed {seed}): KID x1000 {s['kid'] * 1e3:.1f}, "
                         f"face rate {s['face_rate'] * 100:.0f} %")
                save_picture(fake, title, os.path.join(DOCS, PICTURES[name]))
            os.makedirs(os.path.dirname(os.path.abspath(args.results)), exist_ok=True)
            with open(store, "w") as f:
                json.dump({"reference": reference, "machine": machine(), "runs": rows}, f, indent=1,
                          sort_keys=True, default=float)
            with open(args.results, "w") as f:
                f.write(markdown(rows, header, reference))
            if not args.workdir_root:
                shutil.rmtree(workdir, ignore_errors=True)
            del model
            keras.backend.clear_session()
            gc.collect()
    if args.pictures:
        save_picture(real[:64], "real: 64 of the 100 LFW faces of lfw_subset (the training set, 32x32)",
                     os.path.join(DOCS, "faces_real.png"))
    if args.report_only:
        with open(args.results, "w") as f:
            f.write(markdown(rows, header, reference))
    print("\n".join(table(rows)))
    return rows


if __name__ == "__main__":
    main()
