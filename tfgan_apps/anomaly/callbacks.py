"""TensorBoard pictures of an anomaly detector while it trains: score histograms, AUROC/AUPRC, a ROC curve.

``AnomalyMonitor`` scores a fixed held-out test set (normals and anomalies,
``data/anomaly.py``) every N steps and at the final step with a scorer made from the model being
trained, and writes ``Anomaly/scores_normal`` / ``Anomaly/scores_anomalous``
histograms, ``Anomaly/auroc`` / ``Anomaly/auprc`` scalars and ``Anomaly/roc`` /
``Anomaly/histogram`` pictures. ``write_summaries`` does the same once, for
scores computed elsewhere (e.g. after training, ``anomaly/detector.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from tfgan_apps.anomaly import metrics, plots
from tfgan_apps.callbacks import PeriodicCallback


def score_array(scorer: Any, x: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """``scorer.score`` on chunks of ``x``, as one float32 numpy array."""
    return np.concatenate([np.asarray(scorer.score(tf.constant(x[i:i + batch_size], tf.float32)), np.float32)
                           for i in range(0, len(x), batch_size)])


def write_summaries(writer: tf.summary.SummaryWriter, step: int, scores: np.ndarray, labels: np.ndarray,
                    threshold: float | None = None) -> dict[str, float]:
    """Histograms, AUROC/AUPRC and the two pictures of one set of test scores; returns the metrics."""
    normal, anomalous = scores[labels == 0], scores[labels == 1]
    values = {"auroc": metrics.auroc(scores, labels), "auprc": metrics.auprc(scores, labels)}
    with writer.as_default(step=step):
        tf.summary.histogram("Anomaly/scores_normal", normal)
        tf.summary.histogram("Anomaly/scores_anomalous", anomalous)
        for name, value in values.items():
            tf.summary.scalar(f"Anomaly/{name}", value)
        tf.summary.image("Anomaly/roc", plots.roc_picture([metrics.roc_curve(scores, labels)])[None])
        tf.summary.image("Anomaly/histogram", plots.histogram_picture(normal, anomalous, threshold=threshold)[None])
    writer.flush()
    return values


class AnomalyMonitor(PeriodicCallback):
    """Every ``every`` steps and at the final step: scores ``test_x`` with ``make_scorer(model)`` and writes
    ``write_summaries``.

    Args:
      writer: the run's summary writer.
      every: steps between evaluations (``callbacks.PeriodicCallback``).
      test_x, test_y: held-out examples in [-1, 1] and their labels (1 = anomaly).
      make_scorer: model → a scorer (``.score``: float batch → scores [N]) of the current weights.
      final_step: the run's last step (always evaluated).
    """

    def __init__(self, writer: tf.summary.SummaryWriter, every: int, test_x: np.ndarray, test_y: np.ndarray,
                 make_scorer: Callable[[keras.Model], Any], final_step: int | None = None) -> None:
        super().__init__(every, final_step)
        self.writer, self.test_x, self.test_y = writer, test_x, np.asarray(test_y)
        self.make_scorer = make_scorer
        self.last: dict[str, float] = {}

    def on_period(self, step: int, logs: Mapping[str, Any]) -> None:
        if not self.due(step):
            return
        scores = score_array(self.make_scorer(self.model), self.test_x)
        if np.isfinite(scores).all():
            self.last = write_summaries(self.writer, step, scores, self.test_y)
