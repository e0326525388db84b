"""The ``scorer`` SavedModel: images → anomaly scores and flags, with a threshold calibrated on normal data.

``export_scorer`` wraps any scorer module (``.score``: float batch in [-1, 1] →
float32 [N], higher = more anomalous: ``LatentSearch``, ``BiGANScore``,
``IzifScore``, ``GanomalyScore``), scores held-out *normal* examples, sets the
threshold so that a chosen false-positive rate of them is flagged
(``metrics.threshold_at_fpr``) and saves, atomically (``export.save_module``):

* ``score`` / ``serving_default``: ``images`` uint8 [N, H, W, C] (float32 ``signals``
  [N, L, C] for 1-D models) → ``{"scores": float32 [N], "flags": bool [N]}``
  (flag = score > threshold);
* ``calibration``: no input → ``{"threshold": float32, "fpr": float32,
  "normal_scores": float32 [M]}`` (the sorted calibration scores, so a caller can
  pick another false-positive rate without the normal data).

Loading needs TensorFlow only: ``tf.saved_model.load(path).signatures["score"](images=...)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as tf

from tfgan_apps.anomaly.callbacks import score_array
from tfgan_apps.anomaly.metrics import threshold_at_fpr
from tfgan_apps.export import save_module, signature_function, uint8_to_images


class ScorerExport(tf.Module):
    """A scorer with its serving signatures and calibration (module docstring)."""

    def __init__(self, scorer: tf.Module, input_shape: tuple[int, ...], kind: str, normal_scores: np.ndarray,
                 fpr: float) -> None:
        super().__init__(name="scorer_export")
        self.scorer, self.kind = scorer, kind
        normal_scores = np.sort(np.asarray(normal_scores, np.float32))
        self.threshold = tf.Variable(threshold_at_fpr(normal_scores, fpr), dtype=tf.float32, trainable=False)
        self.fpr = tf.Variable(fpr, dtype=tf.float32, trainable=False)
        self.normal_scores = tf.Variable(normal_scores, trainable=False)
        if kind == "image":
            spec = tf.TensorSpec([None, *input_shape], tf.uint8, "images")
        else:
            spec = tf.TensorSpec([None, *input_shape], tf.float32, "signals")
        self.score = signature_function(self._score, spec)
        self.calibration = tf.function(self._calibration, input_signature=[])

    def _score(self, x: tf.Tensor) -> dict[str, tf.Tensor]:
        x = uint8_to_images(x) if self.kind == "image" else tf.cast(x, tf.float32)
        scores = tf.cast(self.scorer.score(x), tf.float32)
        return {"scores": scores, "flags": scores > self.threshold}

    def _calibration(self) -> dict[str, tf.Tensor]:
        return {"threshold": tf.identity(self.threshold), "fpr": tf.identity(self.fpr),
                "normal_scores": tf.identity(self.normal_scores)}

    def signatures(self) -> dict[str, Any]:
        """The concrete functions to save as signatures."""
        score = self.score.get_concrete_function()
        return {"serving_default": score, "score": score, "calibration": self.calibration.get_concrete_function()}


def export_scorer(scorer: tf.Module, normal_x: np.ndarray, kind: str, export_dir: str, fpr: float = 0.05
                  ) -> tuple[str, ScorerExport]:
    """Calibrates ``scorer`` on held-out normal examples (float, [-1, 1]) and saves the SavedModel.

    Returns (path, the export module: ``threshold``, ``normal_scores``).
    """
    normal_scores = score_array(scorer, normal_x)
    module = ScorerExport(scorer, tuple(normal_x.shape[1:]), kind, normal_scores, fpr)
    return save_module(module, module.signatures(), export_dir), module
