"""Evaluate a generator against its run's data with the metrics of ``tfgan_apps.metrics``.

Used by ``tfgan-eval`` and by the periodic ``EvalCallback`` during training.
Features for FID/KID/PRDC/1-NN and probabilities for IS/mode score come from a
feature network chosen by ``features``:

* ``classifier`` — the in-project digits classifier (trained once and cached);
* ``inception`` — InceptionV3 from local weights (clear error if absent);
* ``raw`` — the samples themselves, flattened (2-D mixtures, signals);
* ``auto`` — ``classifier`` for digits, ``raw`` for points and signals,
  ``inception`` for other images.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from absl import logging

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
    return nets.inception_features(inception_weights)


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
            extractor: FeatureFn | None = None) -> dict[str, float]:
    """Generates ``num_samples`` samples and evaluates ``names`` against as many real examples."""
    for name in names:
        METRICS.get(name)
    real = source.examples(num_samples)
    fake = generate_samples(model, num_samples, seed=seed, progress=progress)
    extractor = extractor or feature_fn(features, source, cache_dir, inception_weights)
    real_features, real_probs = extractor(real)
    fake_features, fake_probs = extractor(fake)
    real_in = {"features": real_features, "samples": real.reshape(len(real), -1)}
    fake_in = {"features": fake_features, "samples": fake.reshape(len(fake), -1)}
    if real_probs is not None:
        real_in["probs"], fake_in["probs"] = real_probs, fake_probs
    return evaluate(list(names), real_in, fake_in, metric_options(names, source))


def write_results(workdir: str, step: int, results: Mapping[str, float], writer: Any = None) -> str:
    """Writes ``workdir/eval.json`` (atomically) and ``Eval/<key>`` TensorBoard scalars."""
    from tfgan_apps.trainer import write_text_atomic

    path = os.path.join(workdir, "eval.json")
    write_text_atomic(path, json.dumps({"step": step, **{k: float(v) for k, v in results.items()}}, indent=2))
    own_writer = writer is None
    writer = writer or tf.summary.create_file_writer(workdir)
    with writer.as_default(step=step):
        for key, value in results.items():
            tf.summary.scalar(f"Eval/{key}", float(value))
    writer.flush()
    if own_writer:
        writer.close()
    return path


class EvalCallback(keras.callbacks.Callback):
    """Computes metrics every ``every`` steps during training and logs them as ``Eval/<key>``."""

    def __init__(self, writer: Any, every: int, names: Sequence[str], source: Any, num_samples: int,
                 features: str = "auto", cache_dir: str | None = None) -> None:
        super().__init__()
        self.writer, self.every, self.names, self.source = writer, every, list(names), source
        self.num_samples, self.features, self.cache_dir = num_samples, features, cache_dir
        self._extractor: FeatureFn | None = None

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        step = int(self.model.step.numpy())
        if step % self.every:
            return
        if self._extractor is None:
            self._extractor = feature_fn(self.features, self.source, self.cache_dir)
        results = compute(self.names, self.model, self.source, self.num_samples, progress=False,
                          extractor=self._extractor)
        with self.writer.as_default(step=step):
            for key, value in results.items():
                tf.summary.scalar(f"Eval/{key}", float(value))
        self.writer.flush()
        logging.info("step %d eval: %s", step, ", ".join(f"{k}={v:.4f}" for k, v in results.items()))
