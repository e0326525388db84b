"""Train a GAN on normal data, score the held-out test set, calibrate and export a ``scorer``: one call.

``fit_detector(config, workdir, method)`` is the application's path from a
config to a servable detector:

1. ``trainer.train`` trains the GAN of the config on normal data only (the
   config's ``data.anomaly_class`` or ``folder:`` split, ``data/anomaly.py``);
2. ``build_scorer`` makes the method's score from the trained networks:

   ========== ================================ ======================================
   method     model the config must train       score
   ========== ================================ ======================================
   anogan     any GAN (G, D)                    ``latent_search.LatentSearch``
   fanogan    any GAN with a one-input D        ``fanogan.train_izif`` → ``IzifScore``
              (a WGAN-GP in the paper)
   egbad      ``bigan``                         ``bigan_score.BiGANScore``
   ganomaly   ``ganomaly``                      ``models/ganomaly.GanomalyScore``
   ========== ================================ ======================================

3. the test set is scored: AUROC / AUPRC, score histograms and a ROC picture go
   to the run's TensorBoard (``callbacks.write_summaries``);
4. the threshold is calibrated on the held-out normals at ``fpr`` and the
   ``scorer`` SavedModel is written to ``workdir/export/scorer`` (``scorer.py``),
   which ``tfgan-anomaly`` serves.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import tensorflow as tf
from absl import logging

from tfgan_apps.anomaly.callbacks import score_array, write_summaries
from tfgan_apps.errors import ConfigError

METHODS = ("anogan", "fanogan", "egbad", "ganomaly")


@dataclass
class Detector:
    """A fitted detector: its scorer, test scores and labels, metrics and export path."""

    scorer: tf.Module
    test_scores: np.ndarray
    test_labels: np.ndarray
    metrics: dict[str, float]
    export_path: str
    threshold: float


def build_scorer(method: str, model: Any, train_x: np.ndarray | None = None, search_steps: int = 100,
                 izif_steps: int = 1000, seed: int = 0) -> tf.Module:
    """The score of ``method`` for a trained model (module docstring); ``train_x``: normals for f-AnoGAN's E."""
    if method == "anogan":
        from tfgan_apps.anomaly.latent_search import LatentSearch

        return LatentSearch(model.generator, model.discriminator, model.latent_dim, steps=search_steps, seed=seed)
    if method == "fanogan":
        from tfgan_apps.anomaly.fanogan import train_izif

        if train_x is None:
            raise ConfigError("fanogan trains an encoder: pass the normal training examples (train_x)")
        return train_izif(model.generator, model.discriminator, train_x, model.latent_dim, steps=izif_steps,
                          seed=seed)
    if method == "egbad":
        from tfgan_apps.anomaly.bigan_score import BiGANScore

        if not hasattr(model, "encoder"):
            raise ConfigError("egbad scores a BiGAN: set config.model.name='bigan'")
        return BiGANScore(model.encoder, model.generator, model.discriminator)
    if method == "ganomaly":
        if not hasattr(model, "scorer"):
            raise ConfigError("the ganomaly score needs config.model.name='ganomaly'")
        return model.scorer()
    raise ConfigError(f"unknown anomaly method {method!r}; valid choices: {', '.join(METHODS)}")


def fit_detector(config: Any, workdir: str, method: str, fpr: float = 0.05, **options: Any) -> Detector:
    """Trains (or resumes), scores, writes TensorBoard summaries and exports ``workdir/export/scorer``."""
    from tfgan_apps import trainer
    from tfgan_apps.anomaly.metrics import threshold_at_fpr
    from tfgan_apps.anomaly.scorer import export_scorer
    from tfgan_apps.data.anomaly import enabled, load_split

    if method not in METHODS:
        raise ConfigError(f"unknown anomaly method {method!r}; valid choices: {', '.join(METHODS)}")
    if not enabled(config.data):
        raise ConfigError("an anomaly detector trains on normal data only: set config.data.anomaly_class or use "
                          "source='folder:PATH' with PATH/normal and PATH/anomalous")
    split = load_split(config.data)
    result = trainer.train(config, workdir)
    model = result["model"]
    scorer = build_scorer(method, model, split.train.examples(), seed=int(config.train.seed), **options)
    scores = score_array(scorer, split.test_x)
    normal = split.test_x[split.test_y == 0]
    threshold = threshold_at_fpr(scores[split.test_y == 0], fpr)
    values: dict[str, float] = {}
    if split.test_y.min() == 0 and split.test_y.max() == 1:
        writer = tf.summary.create_file_writer(workdir)
        values = write_summaries(writer, result["step"], scores, split.test_y, threshold)
        writer.close()
        logging.info("%s: AUROC %.4f, AUPRC %.4f on %s", method, values["auroc"], values["auprc"], split.description)
    path, _ = export_scorer(scorer, normal, split.train.kind, os.path.join(workdir, "export", "scorer"), fpr)
    return Detector(scorer, scores, split.test_y, values, path, threshold)
