"""Classifier scores of generated samples: Inception score and MODE score.

Both take class probabilities p(y|x) (softmax outputs, rows summing to 1) from a
classifier: Inception-v3 for "IS", the in-project classifier for a "classifier
score". KL terms use 0·log 0 = 0 (``scipy.special.rel_entr``), so confident
one-hot predictions are handled exactly.

Samples are split into ``splits`` nearly equal consecutive parts
(``numpy.array_split``); the score is computed per part and the mean and the
population std (ddof 0) over parts are returned, as in the original IS code.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import rel_entr

from tfgan_apps.errors import DataError
from tfgan_apps.metrics import spec


def _check_probs(probs: Any, name: str) -> np.ndarray:
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim != 2:
        raise DataError(f"{name} must be [n, classes] probabilities, got shape {p.shape}")
    if p.shape[0] == 0:
        raise DataError(f"{name} is empty")
    if (p < -1e-6).any() or not np.allclose(p.sum(axis=1), 1.0, atol=1e-3):
        raise DataError(f"{name} rows must be probabilities summing to 1 (pass softmax outputs, not logits)")
    return np.clip(p, 0.0, None)


def _splits(p: np.ndarray, splits: int) -> list[np.ndarray]:
    if not 1 <= splits <= p.shape[0]:
        raise DataError(f"splits must be in [1, {p.shape[0]}], got {splits}")
    return np.array_split(p, splits)


def _mean_kl_to_marginal(part: np.ndarray) -> float:
    """E_x KL(p(y|x) ‖ p(y)) with p(y) the marginal of ``part``."""
    marginal = part.mean(axis=0, keepdims=True)
    return float(rel_entr(part, marginal).sum(axis=1).mean())


def inception_score(probs: Any, splits: int = 10) -> tuple[float, float]:
    """Inception score exp(E_x KL(p(y|x) ‖ p(y))) (Salimans et al. 2016).

    Args:
      probs: ``[n, classes]`` class probabilities of generated samples.
      splits: number of parts the score is computed on.

    Returns:
      ``(mean, std)`` over the parts; 1 for uniform predictions, K for confident
      predictions spread evenly over K classes.
    """
    p = _check_probs(probs, "probs")
    scores = np.array([np.exp(_mean_kl_to_marginal(part)) for part in _splits(p, splits)])
    return float(scores.mean()), float(scores.std())


def mode_score(probs_fake: Any, probs_real: Any, splits: int = 10) -> tuple[float, float]:
    """MODE score (Che et al. 2017) as implemented by Xu et al. (2018).

        MODE = exp(E_x KL(p(y|x) ‖ p(y)) − KL(p(y) ‖ p*(y)))

    with p(y) the label marginal of the generated part and p*(y) that of all real
    samples: the Inception score, discounted when the generated classes are not
    distributed like the real ones. The paper writes p*(y) instead of p(y) in the
    first KL; with p(y) = E_x p(y|x) that version reduces algebraically to the
    Inception score (the Σ p(y) log p*(y) terms cancel), so the form above, used by
    the public reference implementations, is the one that measures something.
    Real classes with p*(y) = 0 that the generator produces give an infinite KL;
    p* is floored at 1e-12 to keep the score finite (it is then ~0).

    Returns:
      ``(mean, std)`` over ``splits`` parts of ``probs_fake``.
    """
    p = _check_probs(probs_fake, "probs_fake")
    q = _check_probs(probs_real, "probs_real")
    if p.shape[1] != q.shape[1]:
        raise DataError(f"class counts differ: fake {p.shape[1]} vs real {q.shape[1]}")
    real_marginal = np.maximum(q.mean(axis=0), 1e-12)
    scores = []
    for part in _splits(p, splits):
        marginal_kl = float(rel_entr(part.mean(axis=0), real_marginal).sum())
        scores.append(np.exp(_mean_kl_to_marginal(part) - marginal_kl))
    scores = np.array(scores)
    return float(scores.mean()), float(scores.std())


@spec.register(
    "is",
    needs="probs",
    keys=("is", "is_std"),
    higher_is_better=True,
    uses_real=False,
    options=("splits",),
    description="Inception (classifier) score of the generated samples.",
)
def _is(real: Any, fake: Any, **options: Any) -> dict[str, float]:
    del real  # the Inception score looks at generated samples only
    mean, std = inception_score(fake, **options)
    return {"is": mean, "is_std": std}


@spec.register(
    "mode_score",
    needs="probs",
    keys=("mode_score", "mode_score_std"),
    higher_is_better=True,
    options=("splits",),
    description="MODE score: Inception score discounted by KL to the real label marginal.",
)
def _mode_score(real: Any, fake: Any, **options: Any) -> dict[str, float]:
    mean, std = mode_score(fake, real, **options)
    return {"mode_score": mean, "mode_score_std": std}
