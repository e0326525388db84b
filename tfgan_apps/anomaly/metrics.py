"""How well anomaly scores separate anomalies from normal data, and thresholds calibrated on normal data.

Scores are "higher = more anomalous"; labels are 1 for anomalies, 0 for normal
examples. AUROC and AUPRC (average precision) are scikit-learn's; the threshold
for a chosen false-positive rate is a quantile of the scores of held-out
normal examples, so it needs no labelled anomaly.
"""

from __future__ import annotations

import numpy as np

from tfgan_apps.errors import ConfigError, DataError


def _check(scores: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scores, labels = np.asarray(scores, np.float64).ravel(), np.asarray(labels).ravel()
    if scores.shape != labels.shape:
        raise DataError(f"{scores.size} scores for {labels.size} labels")
    if not np.isfinite(scores).all():
        raise DataError(f"{int((~np.isfinite(scores)).sum())} anomaly scores are not finite")
    if set(np.unique(labels)) != {0, 1}:
        raise DataError("AUROC / AUPRC need both normal (0) and anomalous (1) examples in the labels")
    return scores, labels.astype(np.int32)


def auroc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve: the probability that a random anomaly scores above a random normal example."""
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(*reversed(_check(scores, labels))))


def auprc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the precision-recall curve (average precision), anomalies as the positive class."""
    from sklearn.metrics import average_precision_score

    return float(average_precision_score(*reversed(_check(scores, labels))))


def roc_curve(scores: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(false-positive rates, true-positive rates) of every threshold, from (0, 0) to (1, 1)."""
    from sklearn.metrics import roc_curve as sk_roc_curve

    scores, labels = _check(scores, labels)
    fpr, tpr, _ = sk_roc_curve(labels, scores)
    return fpr, tpr


def threshold_at_fpr(normal_scores: np.ndarray, fpr: float) -> float:
    """The score above which a fraction ``fpr`` of ``normal_scores`` lies (flag: score > threshold).

    The (1 − fpr) quantile with the "higher" rule, so at most ``fpr`` of the
    calibration normals are flagged.
    """
    if not 0.0 < fpr < 1.0:
        raise ConfigError(f"the false-positive rate must be in (0, 1), got {fpr}")
    normal_scores = np.asarray(normal_scores, np.float64).ravel()
    if not normal_scores.size:
        raise DataError("no normal scores to calibrate a threshold on")
    return float(np.quantile(normal_scores, 1.0 - fpr, method="higher"))
