"""Evaluate a generator against its run's data with the metrics of ``tfgan_apps.metrics``.

Used by ``tfgan-eval``, ``Trainer.evaluate`` and the periodic ``EvalCallback`` during training.
Features for the distances and probabilities for the scores come from a feature network chosen
by ``features``:

* ``classifier`` — the in-project digits classifier (trained once and cached);
* ``inception`` — InceptionV3 from local weights (clear error if absent);
* ``raw`` — the samples themselves, flattened (2-D mixtures, signals);
* ``auto`` — ``classifier`` for digits, ``raw`` for points and signals,
  ``inception`` for other images.

The metric names say which feature space they were measured in, so a number is never mistaken for
a published one: ``fid`` / ``is`` exist only on Inception features; the same formulas on the
classifier's features are ``fcd`` (Fréchet classifier distance) / ``cs`` (classifier score), and on
raw samples the Fréchet distance is ``fd``. ``kid`` is the unbiased MMD² with the cubic polynomial
kernel on the chosen features, at its raw scale (papers often print KID × 10³). ``evaluate_run``
refuses a metric its feature space cannot give before generating anything, and returns a record
with the feature network, its weights' SHA-256, the numbers of real and generated samples and the
seed; ``write_results`` appends that record to ``WORKDIR/eval.json`` (a JSON list).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import math
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from absl import logging

from tfgan_apps.callbacks import PeriodicCallback
from tfgan_apps.errors import ConfigError
from tfgan_apps.metrics.spec import evaluate
from tfgan_apps.progress import progress_bar
from tfgan_apps.registry import METRICS

FEATURES = ("auto", "classifier", "inception", "raw")
FeatureFn = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray | None]]


def default_cache_dir() -> str:
    """Where feature networks trained in-project are cached (``$TFGAN_CACHE`` or ~/.cache/tfgan_apps)."""
    return os.environ.get("TFGAN_CACHE", os.path.join(os.path.expanduser("~"), ".cache", "tfgan_apps"))


def is_digits(source: Any) -> bool:
    """Whether ``source`` is sklearn digits, directly or wrapped (e.g. ``indexed:digits`` of the SGAN)."""
    while getattr(source, "base", None) is not None:
        source = source.base
    return source.name.startswith("digits")


def resolve_features(features: str, source: Any) -> str:
    """Turns ``auto`` into a concrete feature network name for a data source."""
    if features not in FEATURES:
        raise ConfigError(f"unknown features {features!r}; valid choices: {', '.join(FEATURES)}")
    if features != "auto":
        return features
    if source.kind != "image":
        return "raw"
    return "classifier" if is_digits(source) else "inception"


def feature_fn(features: str, source: Any, cache_dir: str | None = None,
               inception_weights: str | None = None) -> FeatureFn:
    """A callable samples → (features [n, d], class probabilities [n, K] or None)."""
    from tfgan_apps.metrics import features as nets

    name = resolve_features(features, source)
    if name == "raw":
        return lambda x: (np.asarray(x, np.float32).reshape(len(x), -1), None)
    if name == "classifier":
        if not is_digits(source):
            raise ConfigError("features='classifier' is the digits classifier; use 'inception' or 'raw' here")
        size, _, channels = source.shape
        return nets.digits_classifier(cache_dir or default_cache_dir(), image_size=size, channels=channels)
    try:
        return nets.inception_features(inception_weights)
    except ConfigError as err:  # name the command-line flag next to the Python argument
        raise ConfigError(str(err).replace(
            "(weights_path=...)", "(--inception_weights=PATH for tfgan-eval, inception_weights=... in Python)"
        ).replace("\n", " ")) from None


def generate_samples(model: keras.Model, count: int, seed: int = 0, batch_size: int = 250,
                     progress: bool = True) -> np.ndarray:
    """``count`` samples from ``model.generate`` in batches (a progress bar when ``progress``)."""
    batches = []
    steps = range(math.ceil(count / batch_size))
    for i in progress_bar(steps, desc="generate", unit="batch") if progress else steps:
        n = min(batch_size, count - i * batch_size)
        batches.append(np.asarray(model.generate(n, seed=seed * 100003 + i)))
    return np.concatenate(batches)[:count]


def metric_options(names: Sequence[str], source: Any) -> dict[str, dict[str, Any]]:
    """Per-metric options a source implies (mixture centres and std for ``modes``)."""
    options: dict[str, dict[str, Any]] = {}
    if "modes" in names:
        if "centers" not in source.info:
            raise ConfigError("metric 'modes' needs a mixture-of-Gaussians source (mog_ring or mog_grid)")
        options["modes"] = {"centers": source.info["centers"], "std": source.info["std"]}
    return options


def compute(names: Sequence[str], model: keras.Model, source: Any, num_samples: int,
            features: str = "auto", seed: int = 0, progress: bool = True,
            cache_dir: str | None = None, inception_weights: str | None = None,
            extractor: FeatureFn | None = None, real: np.ndarray | None = None,
            fake: np.ndarray | None = None) -> dict[str, float]:
    """Generates ``num_samples`` samples and evaluates the registry metrics ``names`` against up to as many
    real examples; values under the registry's keys (``evaluate_run`` names them by feature space).
    ``real`` / ``fake`` skip loading / generating when given."""
    for name in names:
        METRICS.get(name)
    real = source.examples(num_samples) if real is None else real
    fake = generate_samples(model, num_samples, seed=seed, progress=progress) if fake is None else fake
    extractor = extractor or feature_fn(features, source, cache_dir, inception_weights)
    real_features, real_probs = extractor(real)
    fake_features, fake_probs = extractor(fake)
    real_in = {"features": real_features, "samples": real.reshape(len(real), -1)}
    fake_in = {"features": fake_features, "samples": fake.reshape(len(fake), -1)}
    if real_probs is not None:
        real_in["probs"], fake_in["probs"] = real_probs, fake_probs
    return evaluate(list(names), real_in, fake_in, metric_options(names, source))


FEATURE_NETWORKS = {
    "classifier": "in-project digits classifier (penultimate-layer features, class probabilities)",
    "inception": "Keras InceptionV3 ImageNet weights (pool 2048-d, 1000-way softmax; not the 2015 TF-GAN graph)",
    "raw": "the samples themselves, flattened",
}
#: Metric names a user asks for → (registry metric, the feature spaces it is defined on; None = any).
METRIC_NAMES: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "fid": ("fid", ("inception",)),
    "fcd": ("fid", ("classifier",)),
    "fd": ("fid", ("raw",)),
    "is": ("is", ("inception",)),
    "cs": ("is", ("classifier",)),
    "mode_score": ("mode_score", ("inception", "classifier")),
}
#: How a requested name renames the registry metric's result keys.
KEY_NAMES = {"fcd": {"fid": "fcd"}, "fd": {"fid": "fd"}, "cs": {"is": "cs", "is_std": "cs_std"}}
#: ``--metrics=auto``: what each feature space reports by default.
DEFAULT_METRICS = {"classifier": ("fcd", "kid", "cs", "prdc"), "inception": ("fid", "kid", "is", "prdc"),
                   "raw": ("fd", "kid", "prdc")}
KID_SCALE = "kid: unbiased MMD² with the cubic polynomial kernel, raw scale (papers often print KID × 10³)"


def valid_metric_names() -> list[str]:
    """Every name ``check_metrics`` accepts: ``auto``, the feature-space names and the other registry metrics."""
    return ["auto", *METRIC_NAMES, *(n for n in METRICS.names() if n not in METRIC_NAMES)]


def check_metrics(names: Sequence[str], features: str) -> list[tuple[str, str]]:
    """(requested name, registry metric) for each of ``names`` in the concrete feature space ``features``.

    ``auto`` expands to ``DEFAULT_METRICS[features]``. Raises ConfigError (before anything is generated) for
    an unknown name or a metric the feature space cannot give (``fid`` on classifier features, ``is`` on raw
    samples, ...), naming what to ask for instead.
    """
    expanded: list[str] = []
    for name in names:
        expanded += list(DEFAULT_METRICS[features]) if name == "auto" else [name]
    checked = []
    for name in dict.fromkeys(expanded):
        metric, spaces = METRIC_NAMES.get(name, (name, None))
        if metric not in METRICS:
            raise ConfigError(f"unknown metric {name!r}; valid choices: {', '.join(valid_metric_names())}")
        if METRICS.get(metric).needs == "probs" and features == "raw":
            raise ConfigError(f"metric {name!r} needs class probabilities, which --features=raw does not give; "
                              "use --features=classifier (digits) or --features=inception")
        if spaces is not None and features not in spaces:
            same = [n for n, (m, s) in METRIC_NAMES.items() if m == metric and s and features in s]
            instead = f"ask for {same[0]!r} instead, or " if same else ""
            raise ConfigError(f"metric {name!r} is defined on {' or '.join(spaces)} features, not {features}; "
                              f"{instead}pass --features={spaces[0]}")
        checked.append((name, metric))
    return checked


def weights_digest(extractor: Any, inception_weights: str | None = None) -> str:
    """SHA-256 (first 16 hex digits) of the feature network's weights: the Inception weights file, or the
    classifier's weight arrays; "" for raw features."""
    from tfgan_apps.metrics.features import ClassifierFeatures, InceptionFeatures, inception_weights_path

    digest = hashlib.sha256()
    if isinstance(extractor, ClassifierFeatures):
        for weight in extractor.model.weights:
            digest.update(np.ascontiguousarray(keras.ops.convert_to_numpy(weight)).tobytes())
        return digest.hexdigest()[:16]
    if isinstance(extractor, InceptionFeatures):
        with open(inception_weights_path(inception_weights), "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()[:16]
    return ""


def evaluate_run(names: Sequence[str], model: keras.Model, source: Any, num_samples: int, features: str = "auto",
                 seed: int = 0, step: int | None = None, progress: bool = True, cache_dir: str | None = None,
                 inception_weights: str | None = None, extractor: FeatureFn | None = None) -> dict[str, Any]:
    """Scores ``num_samples`` generated samples against up to as many real examples of ``source``.

    Returns the record ``write_results`` stores: ``metrics`` ({key: value}, keys named by feature space),
    ``features``, ``feature_network``, ``weights_sha256``, ``num_real``, ``num_fake``, ``seed``, ``step``,
    ``time`` and ``kid_scale`` (when KID is in). Unknown or incompatible metrics fail before generating.
    """
    space = resolve_features(features, source)
    checked = check_metrics(names, space)
    registry_names = list(dict.fromkeys(metric for _, metric in checked))
    metric_options(registry_names, source)  # mixture-only metrics fail here, before generating
    extractor = extractor or feature_fn(space, source, cache_dir, inception_weights)
    real = source.examples(num_samples)
    if len(real) < num_samples:
        logging.warning("only %d real examples against %d generated samples (the dataset has no more)",
                        len(real), num_samples)
    fake = generate_samples(model, num_samples, seed=seed, progress=progress)
    raw = compute(registry_names, model, source, num_samples, seed=seed, progress=progress, extractor=extractor,
                  real=real, fake=fake)
    values: dict[str, float] = {}
    for name, metric in checked:
        keys = METRICS.get(metric).keys
        renames = KEY_NAMES.get(name, {})
        values.update({renames.get(key, key): raw[key] for key in keys})
    record: dict[str, Any] = {
        "step": step, "metrics": values, "features": space, "feature_network": FEATURE_NETWORKS[space],
        "weights_sha256": weights_digest(extractor, inception_weights), "num_real": int(len(real)),
        "num_fake": int(len(fake)), "seed": int(seed),
        "time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    if "kid" in values:
        record["kid_scale"] = KID_SCALE
    return record


def read_results(workdir: str) -> list[dict[str, Any]]:
    """The records of ``workdir/eval.json`` (oldest first; a single-record file of older versions is a list of one)."""
    path = os.path.join(workdir, "eval.json")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        loaded = json.load(f)
    return loaded if isinstance(loaded, list) else [loaded]


def write_results(workdir: str, step: int, results: Mapping[str, Any], writer: Any = None) -> str:
    """Appends one record to ``workdir/eval.json`` (rewritten atomically) and writes ``Eval/<key>`` scalars.

    ``results`` is a record of ``evaluate_run`` or a plain ``{key: value}`` dict (stored as its metrics).
    """
    from tfgan_apps.trainer import write_text_atomic

    record = dict(results) if "metrics" in results else {"metrics": {k: float(v) for k, v in results.items()}}
    record["step"] = step
    values = record["metrics"]
    path = os.path.join(workdir, "eval.json")
    write_text_atomic(path, json.dumps([*read_results(workdir), record], indent=2))
    own_writer = writer is None
    writer = writer or tf.summary.create_file_writer(workdir)
    with writer.as_default(step=step):
        for key, value in values.items():
            tf.summary.scalar(f"Eval/{key}", float(value))
    writer.flush()
    if own_writer:
        writer.close()
    return path


class EvalCallback(PeriodicCallback):
    """Computes metrics every ``every`` steps and at the final step of the run; logs them as ``Eval/<key>``."""

    def __init__(self, writer: Any, every: int, names: Sequence[str], source: Any, num_samples: int,
                 features: str = "auto", cache_dir: str | None = None, final_step: int | None = None) -> None:
        super().__init__(every, final_step)
        self.writer, self.names, self.source = writer, list(names), source
        self.num_samples, self.features, self.cache_dir = num_samples, features, cache_dir
        self._extractor: FeatureFn | None = None

    def on_period(self, step: int, logs: Mapping[str, Any]) -> None:
        if not self.due(step):
            return
        if self._extractor is None:
            self._extractor = feature_fn(self.features, self.source, self.cache_dir)
        results = evaluate_run(self.names, self.model, self.source, self.num_samples, features=self.features,
                               step=step, progress=False, extractor=self._extractor)["metrics"]
        with self.writer.as_default(step=step):
            for key, value in results.items():
                tf.summary.scalar(f"Eval/{key}", float(value))
        self.writer.flush()
        logging.info("step %d eval: %s", step, ", ".join(f"{k}={v:.4f}" for k, v in results.items()))
