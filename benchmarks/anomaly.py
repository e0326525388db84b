"""Anomaly detection on the bundled digits: GAN scores against classical detectors, leave-one-class-out.

Run: ``python benchmarks/anomaly.py [--methods=pca,ocsvm,iforest,conv_ae,fanogan,anogan,egbad,ganomaly]
[--digits=0,1,...,9] [--seeds=0,1,2] [--signals] [--report]``

Protocol (GANomaly, Akçay et al. 2018; EGBAD, Zenati et al. 2018): for each digit k,
every detector is trained on the *other nine* classes (``config.data.anomaly_class = k``,
``tfgan_apps/data/anomaly.py``; 80 % of each normal class, the split drawn with
the run's seed) and tested on the held-out 20 % of normals plus every example of k.
AUROC and AUPRC per digit, mean ± standard error over the seeds. This is **not**
the one-class protocol (one normal class, nine anomalous): numbers of the two
protocols are not comparable. Images are the 8×8 sklearn digits resized to
``--image_size`` (16 by default: 32 px adds no information to 8×8 digits and
costs 4× the compute).

Results are cached per (method, digit, seed) in ``benchmarks/results/anomaly.json``,
so the script resumes where it stopped; GAN trainings keep their checkpoints in
``tensorboard_logs/anomaly_bench/`` (resumed too). ``benchmarks/results/anomaly.md``
is rewritten after every result. ``--signals`` runs the 1-D experiment (a BiGAN on
synthetic sines/chirps; anomalies injected into held-out signals).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from provenance import load_average, machine, utc_now  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.environ.get("ANOMALY_RESULTS", os.path.join(ROOT, "benchmarks", "results"))
CACHE = os.path.join(RESULTS, "anomaly.json")
REPORT = os.path.join(RESULTS, "anomaly.md")
RUNS = os.environ.get("ANOMALY_RUNS", os.path.join(ROOT, "tensorboard_logs", "anomaly_bench"))

CLASSICAL = ("pca", "ocsvm", "iforest", "conv_ae")
GAN_METHODS = ("fanogan", "anogan", "egbad", "ganomaly")
LABELS = {
    "pca": "PCA recon.", "ocsvm": "OC-SVM", "iforest": "IsoForest", "conv_ae": "conv AE",
    "fanogan": "f-AnoGAN izi_f", "anogan": "AnoGAN search", "egbad": "EGBAD (BiGAN)", "ganomaly": "GANomaly",
}


def digits_config(digit: int, seed: int, image_size: int) -> Any:
    """The base config with the anomaly split of ``digit`` (seeded) at ``image_size``."""
    from tfgan_apps.config import base_config

    config = base_config()
    config.data.image_size = image_size
    config.data.anomaly_class = digit
    config.data.anomaly_seed = seed
    config.train.seed = seed
    config.train.jit_compile = False
    config.export.enabled = False
    return config


def gan_config(kind: str, digit: int, seed: int, args: argparse.Namespace) -> Any:
    """Training config of the GAN behind a method: WGAN-GP (fanogan, anogan), BiGAN (egbad), GANomaly."""
    import ml_collections

    config = digits_config(digit, seed, args.image_size)
    config.name = f"{kind}-d{digit}-s{seed}"
    config.model.latent_dim = args.latent_dim
    width = args.width
    if kind == "wgan_gp":  # configs/wgan_gp_digits.py's settings
        config.model.loss = "wasserstein"
        config.model.penalties.gradient_penalty = 10.0
        config.model.generator = ml_collections.ConfigDict({"type": "dcgan", "width": width, "norm": "batch"})
        config.model.discriminator = ml_collections.ConfigDict(
            {"type": "dcgan", "width": width, "norm": "layer", "spectral_norm": False})
        config.train.d_steps = 5
        config.train.g_lr = config.train.d_lr = 1e-4
        config.train.beta_1, config.train.beta_2 = 0.0, 0.9
        config.train.steps = args.wgan_steps
    elif kind == "bigan":  # configs/bigan_digits.py's settings
        config.model.name = "bigan"
        config.model.generator = ml_collections.ConfigDict({"type": "dcgan", "width": width, "norm": "batch"})
        config.model.discriminator = ml_collections.ConfigDict(
            {"type": "bigan", "width": width, "norm": "none", "z_width": 256, "joint_width": 512,
             "spectral_norm": False})
        config.model.encoder = ml_collections.ConfigDict({"type": "bigan", "width": width, "norm": "batch"})
        config.train.steps = args.bigan_steps
    elif kind == "ganomaly":
        config.model.name = "ganomaly"
        config.model.generator = ml_collections.ConfigDict({"type": "dcgan", "width": width, "norm": "batch"})
        config.model.discriminator = ml_collections.ConfigDict(
            {"type": "dcgan", "width": width, "norm": "batch", "spectral_norm": False})
        config.train.steps = args.ganomaly_steps
    else:
        raise ValueError(kind)
    steps = config.train.steps
    config.train.log_every = max(steps // 10, 1)
    config.train.image_every = config.train.checkpoint_every = steps // 2 if steps % 2 == 0 else steps
    return config


def trained_model(kind: str, digit: int, seed: int, args: argparse.Namespace) -> Any:
    """Trains (or resumes, or restores) the GAN of ``kind`` for (digit, seed) and returns the model."""
    from tfgan_apps import trainer

    config = gan_config(kind, digit, seed, args)
    return trainer.train(config, os.path.join(RUNS, config.name))["model"]


def score_in_batches(fn: Callable[[Any], Any], x: np.ndarray, batch: int = 256) -> np.ndarray:
    """``fn`` on chunks of ``x``, concatenated as a numpy array."""
    return np.concatenate([np.asarray(fn(x[i:i + batch])) for i in range(0, len(x), batch)])


# ---------------------------------------------------------------------------------------------- methods
def run_classical(name: str, split: Any, seed: int, args: argparse.Namespace) -> np.ndarray:
    """Fits one classical detector on the training normals and scores the test set."""
    from tfgan_apps.anomaly.baselines import CLASSICAL as DETECTORS

    options = {"steps": args.ae_steps, "latent_dim": args.latent_dim, "width": args.width} if name == "conv_ae" else {}
    detector = DETECTORS[name](seed=seed, **options)
    return detector.fit(split.train.examples()).score(split.test_x)


def run_fanogan(split: Any, digit: int, seed: int, args: argparse.Namespace) -> np.ndarray:
    """izi_f encoder on the frozen WGAN-GP of (digit, seed); its score on the test set."""
    from tfgan_apps.anomaly.fanogan import train_izif

    model = trained_model("wgan_gp", digit, seed, args)
    scorer = train_izif(model.generator, model.discriminator, split.train.examples(), args.latent_dim,
                        steps=args.izif_steps, seed=seed,
                        encoder_spec={"type": "dcgan", "width": args.width, "norm": "batch"})
    return score_in_batches(scorer.score, split.test_x)


def run_anogan(split: Any, digit: int, seed: int, args: argparse.Namespace) -> np.ndarray:
    """AnoGAN latent search on the WGAN-GP of (digit, seed)."""
    from tfgan_apps.anomaly.latent_search import LatentSearch

    model = trained_model("wgan_gp", digit, seed, args)
    search = LatentSearch(model.generator, model.discriminator, args.latent_dim, steps=args.search_steps, seed=seed)
    return score_in_batches(search.score, split.test_x)


def run_egbad(split: Any, digit: int, seed: int, args: argparse.Namespace) -> np.ndarray:
    """EGBAD's feature-matching score of the BiGAN of (digit, seed)."""
    from tfgan_apps.anomaly.bigan_score import BiGANScore

    model = trained_model("bigan", digit, seed, args)
    scorer = BiGANScore(model.encoder, model.generator, model.discriminator)
    return score_in_batches(scorer.score, split.test_x)


def run_ganomaly(split: Any, digit: int, seed: int, args: argparse.Namespace) -> np.ndarray:
    """GANomaly's latent-distance score ‖E1(x) − E2(G(x))‖ of the model of (digit, seed)."""
    model = trained_model("ganomaly", digit, seed, args)
    return score_in_batches(model.anomaly_score, split.test_x)


def run_method(method: str, digit: int, seed: int, args: argparse.Namespace) -> dict[str, Any]:
    """Scores the test set of (digit, seed) with ``method``; AUROC, AUPRC and wall-clock seconds."""
    import keras

    from tfgan_apps.anomaly.metrics import auprc, auroc
    from tfgan_apps.data.anomaly import load_split

    keras.utils.set_random_seed(seed)
    split = load_split(digits_config(digit, seed, args.image_size).data)
    start = time.perf_counter()
    if method in CLASSICAL:
        scores = run_classical(method, split, seed, args)
    else:
        scores = {"fanogan": run_fanogan, "anogan": run_anogan, "egbad": run_egbad,
                  "ganomaly": run_ganomaly}[method](split, digit, seed, args)
    seconds = time.perf_counter() - start
    return {"auroc": auroc(scores, split.test_y), "auprc": auprc(scores, split.test_y), "seconds": seconds,
            "anomaly_rate": float(split.test_y.mean()), "when": utc_now(), "settings": method_settings(method, args)}


def method_settings(method: str, args: argparse.Namespace) -> str:
    """The budget settings a method's result depends on (stored with the result, shown in the report)."""
    common = f"image_size={args.image_size}"
    nets = f"latent_dim={args.latent_dim}, width={args.width}"
    return {
        "conv_ae": f"{common}, {nets}, ae_steps={args.ae_steps}",
        "fanogan": f"{common}, {nets}, wgan_steps={args.wgan_steps}, izif_steps={args.izif_steps}",
        "anogan": f"{common}, {nets}, wgan_steps={args.wgan_steps}, search_steps={args.search_steps}",
        "egbad": f"{common}, {nets}, bigan_steps={args.bigan_steps}",
        "ganomaly": f"{common}, {nets}, ganomaly_steps={args.ganomaly_steps}",
    }.get(method, common)


# ---------------------------------------------------------------------------------------------- 1-D signals
def run_signals(args: argparse.Namespace, cache: dict[str, Any]) -> None:
    """A 1-D BiGAN on normal synthetic signals; AUROC of EGBAD's score and of the latent search per anomaly kind."""
    from tfgan_apps import trainer
    from tfgan_apps.anomaly.bigan_score import BiGANScore
    from tfgan_apps.anomaly.latent_search import LatentSearch
    from tfgan_apps.anomaly.metrics import auroc
    from tfgan_apps.anomaly.signals import ANOMALY_KINDS, heldout_signals, inject

    for seed in args.seeds:
        todo = [k for k in ANOMALY_KINDS for m in ("egbad", "anogan") if f"signals/{m}/{k}/{seed}" not in cache]
        if not todo:
            continue
        config = _signals_config(seed, args)
        model = trainer.train(config, os.path.join(RUNS, config.name))["model"]
        normal = heldout_signals(config.data, 512, seed)
        scorers = {"egbad": BiGANScore(model.encoder, model.generator, model.discriminator),
                   "anogan": LatentSearch(model.generator, model.discriminator, config.model.latent_dim,
                                          steps=args.search_steps, seed=seed)}
        for kind in ANOMALY_KINDS:
            x, y = inject(normal, kind, fraction=0.5, seed=seed)
            for name, scorer in scorers.items():
                scores = score_in_batches(scorer.score, x)
                key = f"signals/{name}/{kind}/{seed}"
                cache[key] = {"auroc": auroc(scores, y), "when": utc_now(),
                              "settings": f"signal_steps={args.signal_steps}, search_steps={args.search_steps}"}
                save_cache(cache)
                print(f"{key}: AUROC {cache[key]['auroc']:.3f}", flush=True)


def _signals_config(seed: int, args: argparse.Namespace) -> Any:
    """configs/bigan1d_signals.py's model, ``--signal_steps`` steps."""
    import ml_collections

    from tfgan_apps.config import base_config

    config = base_config()
    config.name = f"bigan1d-s{seed}"
    config.model.name = "bigan"
    config.data.source = "signals_1d"
    config.data.image_size = 64
    config.model.latent_dim = 32
    config.model.generator = ml_collections.ConfigDict({"type": "conv1d", "width": 32, "norm": "batch"})
    config.model.discriminator = ml_collections.ConfigDict(
        {"type": "bigan1d", "width": 32, "norm": "none", "z_width": 128, "joint_width": 256, "spectral_norm": False})
    config.model.encoder = ml_collections.ConfigDict({"type": "bigan1d", "width": 32, "norm": "batch"})
    config.train.steps = args.signal_steps
    config.train.seed = seed
    config.train.jit_compile = False
    config.train.log_every = max(args.signal_steps // 10, 1)
    config.train.image_every = config.train.checkpoint_every = args.signal_steps
    config.export.enabled = False
    return config


# ---------------------------------------------------------------------------------------------- pictures
def make_pictures(args: argparse.Namespace, digit: int = 0, seed: int = 0) -> None:
    """The application end to end on (digit, seed): ``anomaly.detector.fit_detector`` with f-AnoGAN on the cached
    WGAN-GP run (TensorBoard summaries, ``export/scorer``), then docs pictures: ROC curves of f-AnoGAN (blue),
    the conv AE (red) and PCA (green), and f-AnoGAN's score histograms (normal blue, anomalous red, the
    threshold at 5 % false positives as a black line)."""
    from tfgan_apps.anomaly import metrics, plots
    from tfgan_apps.anomaly.detector import fit_detector
    from tfgan_apps.data.anomaly import load_split

    config = gan_config("wgan_gp", digit, seed, args)
    detector = fit_detector(config, os.path.join(RUNS, config.name), "fanogan", fpr=0.05, izif_steps=args.izif_steps)
    split = load_split(config.data)
    curves = [metrics.roc_curve(detector.test_scores, split.test_y)]
    for name in ("conv_ae", "pca"):
        curves.append(metrics.roc_curve(run_classical(name, split, seed, args), split.test_y))
    docs = os.path.join(ROOT, "docs")
    plots.save_png(plots.roc_picture(curves), os.path.join(docs, "anomaly_roc_digit0.png"))
    labels = detector.test_labels
    plots.save_png(plots.histogram_picture(detector.test_scores[labels == 0], detector.test_scores[labels == 1],
                                           threshold=detector.threshold),
                   os.path.join(docs, "anomaly_hist_digit0.png"))
    print(f"pictures: f-AnoGAN AUROC {detector.metrics['auroc']:.3f}; scorer exported to {detector.export_path}")


# ---------------------------------------------------------------------------------------------- report
def load_cache() -> dict[str, Any]:
    """The cached results (empty when none)."""
    if os.path.exists(CACHE):
        with open(CACHE) as f:
            return json.load(f)
    return {}


def save_cache(cache: dict[str, Any]) -> None:
    """Merges ``cache`` into the file on disk (under a lock: several runs may share it) and reloads it."""
    import fcntl

    os.makedirs(RESULTS, exist_ok=True)
    with open(CACHE + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        merged = {**load_cache(), **cache}
        tmp = f"{CACHE}.tmp-{os.getpid()}"
        with open(tmp, "w") as f:
            json.dump(merged, f, indent=1, sort_keys=True)
        os.replace(tmp, CACHE)
    cache.update(merged)


def mean_se(values: list[float]) -> tuple[float, float]:
    """Mean and standard error (sample std / √n; 0 for one value)."""
    n = len(values)
    mean = float(np.mean(values))
    return mean, (float(np.std(values, ddof=1)) / math.sqrt(n) if n > 1 else 0.0)


def table(cache: dict[str, Any], metric: str, methods: list[str], digits: list[int]) -> list[str]:
    """Markdown rows: one per digit and the mean over digits (of per-digit means), mean ± se (n seeds)."""
    lines = ["| digit k (anomaly) | " + " | ".join(LABELS[m] for m in methods) + " |",
             "|---|" + "---|" * len(methods)]
    per_method: dict[str, dict[int, list[float]]] = {m: {} for m in methods}
    for key, value in cache.items():
        parts = key.split("/")
        if len(parts) == 3 and parts[0] in per_method and int(parts[1]) in digits:
            per_method[parts[0]].setdefault(int(parts[1]), []).append(value[metric])
    for digit in digits:
        cells = []
        for m in methods:
            vals = per_method[m].get(digit, [])
            if not vals:
                cells.append("—")
            else:
                mean, se = mean_se(vals)
                cells.append(f"{mean:.3f} ± {se:.3f} ({len(vals)})" if len(vals) > 1 else f"{mean:.3f} (1)")
        lines.append(f"| {digit} | " + " | ".join(cells) + " |")
    cells = []
    for m in methods:
        done = per_method[m]
        complete = [d for d in digits if len(done.get(d, [])) > 0]
        if not complete:
            cells.append("—")
            continue
        # mean over seeds of the per-seed mean over digits (only digits with results)
        seeds = sorted({int(k.split("/")[2]) for k in cache if k.startswith(m + "/")})
        per_seed = []
        for s in seeds:
            vals = [cache[f"{m}/{d}/{s}"][metric] for d in complete if f"{m}/{d}/{s}" in cache]
            if len(vals) == len(complete):
                per_seed.append(float(np.mean(vals)))
        if len(per_seed) > 1:
            mean, se = mean_se(per_seed)
            cells.append(f"**{mean:.3f}** ± {se:.3f} ({len(complete)} digits, {len(per_seed)} seeds)")
        elif per_seed:
            cells.append(f"**{per_seed[0]:.3f}** ({len(complete)} digits, 1 seed)")
        else:
            cells.append(f"{np.mean([np.mean(done[d]) for d in complete]):.3f} ({len(complete)} digits, seeds uneven)")
    lines.append("| mean over digits | " + " | ".join(cells) + " |")
    return lines


def paired_check(cache: dict[str, Any], methods: list[str]) -> list[str]:
    """The target check on equal footing: for each GAN method, its mean AUROC over the (digit, seed) pairs it
    has, next to every classical detector's mean AUROC over the same pairs."""
    classical = [m for m in CLASSICAL if m in methods]
    lines = ["| GAN method | (digit, seed) pairs | its mean AUROC | " + " | ".join(LABELS[m] for m in classical)
             + " | best classical | met? |", "|---|---|---|" + "---|" * len(classical) + "---|---|"]
    for m in (g for g in GAN_METHODS if g in methods):
        pairs = [tuple(k.split("/")[1:]) for k in cache if k.startswith(m + "/") and len(k.split("/")) == 3]
        pairs = [p for p in pairs if all(f"{c}/{p[0]}/{p[1]}" in cache for c in classical)]
        if not pairs:
            continue
        own = float(np.mean([cache[f"{m}/{d}/{s}"]["auroc"] for d, s in pairs]))
        others = [float(np.mean([cache[f"{c}/{d}/{s}"]["auroc"] for d, s in pairs])) for c in classical]
        best = max(others)
        lines.append(f"| {LABELS[m]} | {len(pairs)} | **{own:.3f}** | " + " | ".join(f"{v:.3f}" for v in others)
                     + f" | {best:.3f} | {'yes' if own >= best else 'no'} ({own - best:+.3f}) |")
    return lines


def write_report(cache: dict[str, Any], args: argparse.Namespace) -> None:
    """Rewrites ``benchmarks/results/anomaly.md`` from the cache."""
    methods = [m for m in (*CLASSICAL, *GAN_METHODS) if any(k.startswith(m + "/") for k in cache)]
    digits = list(range(10))
    lines = [
        "# Anomaly detection on the bundled digits (leave-one-class-out)",
        "",
        f"Written {utc_now()} by `python benchmarks/anomaly.py` ({machine()}; load average at the end "
        f"{load_average()}: **machine shared**, times indicative).",
        "",
        "Protocol: GANomaly / EGBAD's leave-one-class-out, *not* the one-class protocol. For digit k every detector "
        "trains on the other nine classes (80 % of each, split drawn with the seed) and is tested on the "
        "held-out 20 % of normals plus all examples of k (≈ 36 % anomalies). Digits at "
        f"{args.image_size}×{args.image_size}. Cells: mean ± standard error over seeds (number of seeds); the "
        "last row: the mean over the digits that have results of each seed's mean, ± its standard error over "
        "the seeds that cover all those digits. Higher is better.",
        "",
        "## AUROC",
        "",
        *table(cache, "auroc", methods, digits),
        "",
        "## Target check: each GAN method against the classical detectors on the same (digit, seed) pairs",
        "",
        "The mean-over-digits row above averages different digits for methods with missing cells; this table "
        "compares like with like (target: best GAN mean AUROC ≥ best classical mean AUROC).",
        "",
        *paired_check(cache, methods),
        "",
        "## AUPRC (anomalies positive)",
        "",
        *table(cache, "auprc", methods, digits),
        "",
        "## Mean wall-clock seconds per (digit, seed), training + scoring",
        "",
        "| " + " | ".join(LABELS[m] for m in methods) + " |",
        "|" + "---|" * len(methods),
        "| " + " | ".join(
            f"{np.mean([v['seconds'] for k, v in cache.items() if k.startswith(m + '/') and 'seconds' in v]):.0f}"
            for m in methods) + " |",
    ]
    signals = {k: v for k, v in cache.items() if k.startswith("signals/")}
    if signals:
        kinds = sorted({k.split("/")[2] for k in signals})
        lines += ["", "## 1-D signals: anomalies injected into held-out synthetic signals (AUROC)", "",
                  "A 1-D BiGAN (`bigan1d_signals` recipe's networks) trained on normal sines/chirps; 512 held-out "
                  "signals, half of them given one anomaly (`tfgan_apps/anomaly/signals.py`). Mean ± se over seeds. "
                  "Settings: " + "; ".join(sorted({v.get("settings", "signal_steps=2000, search_steps=200")
                                                   for v in signals.values()})) + ".",
                  "", "| score | " + " | ".join(kinds) + " |", "|---|" + "---|" * len(kinds)]
        for name, label in (("egbad", "EGBAD (BiGAN encoder)"), ("anogan", "AnoGAN latent search on the BiGAN's G")):
            cells = []
            for kind in kinds:
                vals = [v["auroc"] for k, v in signals.items() if k.startswith(f"signals/{name}/{kind}/")]
                cells.append("—" if not vals else "{:.3f} ± {:.3f} ({})".format(*mean_se(vals), len(vals)))
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += ["", "Settings of the cached results (`--flag=value` of `benchmarks/anomaly.py`):", ""]
    for m in methods:
        settings = sorted({v.get("settings", "image_size=16") for k, v in cache.items() if k.startswith(m + "/")})
        done = sum(1 for k in cache if k.startswith(m + "/") and len(k.split("/")) == 3)
        lines.append(f"- {LABELS[m]}: " + "; ".join(settings) + f" — {done} of 30 (digit, seed) runs done")
    lines.append("")
    with open(REPORT, "w") as f:
        f.write("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--methods", default=",".join(CLASSICAL + ("fanogan",)))
    parser.add_argument("--digits", default="0,1,2,3,4,5,6,7,8,9")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--image_size", type=int, default=16)
    parser.add_argument("--latent_dim", type=int, default=32)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--wgan_steps", type=int, default=1000)
    parser.add_argument("--bigan_steps", type=int, default=2000)
    parser.add_argument("--ganomaly_steps", type=int, default=2000)
    parser.add_argument("--ae_steps", type=int, default=2000)
    parser.add_argument("--izif_steps", type=int, default=2000)
    parser.add_argument("--search_steps", type=int, default=200)
    parser.add_argument("--signal_steps", type=int, default=2000)
    parser.add_argument("--signals", action="store_true", help="run the 1-D signal experiment too")
    parser.add_argument("--report", action="store_true", help="only rewrite the report from the cache")
    parser.add_argument("--pictures", action="store_true",
                        help="fit the f-AnoGAN detector of digit 0, seed 0 end to end and write docs/anomaly_*.png")
    args = parser.parse_args()
    args.methods = [m for m in args.methods.split(",") if m]
    args.digits = [int(d) for d in args.digits.split(",") if d]
    args.seeds = [int(s) for s in args.seeds.split(",") if s]
    cache = load_cache()
    if args.pictures:
        make_pictures(args)
        return
    if not args.report:
        os.environ.setdefault("TFGAN_PROGRESS", "0")
        for seed in args.seeds:
            for digit in args.digits:
                for method in args.methods:
                    key = f"{method}/{digit}/{seed}"
                    if key in cache:
                        continue
                    cache[key] = run_method(method, digit, seed, args)
                    save_cache(cache)
                    write_report(cache, args)
                    print(f"{key}: AUROC {cache[key]['auroc']:.3f} AUPRC {cache[key]['auprc']:.3f} "
                          f"({cache[key]['seconds']:.0f} s)", flush=True)
        if args.signals:
            run_signals(args, cache)
    write_report(cache, args)
    print(open(REPORT).read())


if __name__ == "__main__":
    main()
