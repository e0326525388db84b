"""Classification Accuracy Score (Ravuri & Vinyals 2019) and GAN data augmentation for labelled generators.

CAS asks whether generated samples carry their class: a classifier is trained on generated (image, label) pairs
*only* and tested on real held-out data. Its accuracy, next to the same classifier trained on real data, says how
much of the class-conditional distribution the generator captured (a model that draws sharp images of few modes
scores high FID-wise but low CAS). The classifier is the project's small conv net
(:func:`tfgan_apps.metrics.features.build_classifier`, trained by ``ClassifierFeatures.fit``).

Samplers are injected as callables ``(count, seed) -> (images [n, h, w, c] in [-1, 1], int labels [n])``:

* :func:`conditional_sampler` wraps a class-conditional ``generate(labels, seed)`` (cGAN, ACGAN: the label is the
  one requested), with class-balanced labels;
* :func:`pseudo_labelled_sampler` wraps an unconditional generator and a classifier that labels its samples
  (the SGAN: G's samples labelled by the K-class discriminator);
* :func:`model_sampler` picks one of the two for a trained project model.

Besides CAS: :func:`augmentation` (a few real labels alone vs the same few plus generated samples) and
:func:`imbalanced_augmentation` (per-class recall of a classifier trained on a deliberately imbalanced real set,
alone and topped up with generated minority examples, the minority-coverage question of Inclusive GAN).
"""

from __future__ import annotations

import dataclasses
import inspect
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tfgan_apps.errors import DataError

Sampler = Callable[[int, int], tuple[np.ndarray, np.ndarray]]


@dataclasses.dataclass(frozen=True)
class Split:
    """Labelled real images: ``x`` [n, h, w, c] in [-1, 1], ``y`` int [n]."""

    x: np.ndarray
    y: np.ndarray


@dataclasses.dataclass(frozen=True)
class Score:
    """A classifier's test accuracy and per-class recall (recall[k] = accuracy on the test images of class k)."""

    accuracy: float
    recall: np.ndarray
    train_size: int


def digits_splits(image_size: int = 32, channels: int = 1, test_fraction: float = 0.2, seed: int = 0
                  ) -> tuple[Split, Split]:
    """sklearn's digits as (train, test): a stratified split, preprocessed like the ``digits`` source."""
    from sklearn.model_selection import train_test_split

    from tfgan_apps.metrics.features import digits_arrays

    images, labels = digits_arrays(image_size, channels)
    x_train, x_test, y_train, y_test = train_test_split(images, labels, test_size=test_fraction, random_state=seed,
                                                        stratify=labels)
    return Split(x_train, y_train), Split(x_test, y_test)


def per_class_recall(predicted: np.ndarray, labels: np.ndarray, num_classes: int) -> np.ndarray:
    """recall[k] = fraction of the examples of class k predicted as k (NaN for a class absent from ``labels``)."""
    predicted, labels = np.asarray(predicted).ravel(), np.asarray(labels).ravel()
    return np.array([np.mean(predicted[labels == k] == k) if np.any(labels == k) else math.nan
                     for k in range(num_classes)])


def train_and_score(train_x: np.ndarray, train_y: np.ndarray, test: Split, num_classes: int, epochs: int = 20,
                    seed: int = 0) -> Score:
    """Trains a fresh project classifier on (train_x, train_y) and scores it on the real ``test`` split."""
    from tfgan_apps.metrics.features import ClassifierFeatures

    train_x, train_y = np.asarray(train_x, np.float32), np.asarray(train_y).astype(np.int64).ravel()
    if train_x.shape[1:] != test.x.shape[1:]:
        raise DataError(f"training images {train_x.shape[1:]} and test images {test.x.shape[1:]} differ in shape")
    if len(train_y) == 0 or train_y.min() < 0 or train_y.max() >= num_classes:
        raise DataError(f"training labels must be in 0..{num_classes - 1}, got {np.unique(train_y)[:20]}")
    # Pin the output layer to K classes even when the largest class is missing (pseudo-labels may miss one).
    pad_x, pad_y = train_x, train_y
    if train_y.max() < num_classes - 1:
        pad_x = np.concatenate([train_x, train_x[:1]])
        pad_y = np.concatenate([train_y, [num_classes - 1]])
    classifier = ClassifierFeatures()
    classifier.fit(pad_x, pad_y, epochs=epochs, seed=seed)
    _, probs = classifier(test.x)
    predicted = np.argmax(probs, axis=1)
    return Score(float(np.mean(predicted == test.y)), per_class_recall(predicted, test.y, num_classes),
                 int(len(train_y)))


def classification_accuracy_score(sampler: Sampler, test: Split, num_samples: int, num_classes: int,
                                  epochs: int = 20, seed: int = 0) -> Score:
    """CAS: the classifier trained on ``num_samples`` generated labelled samples only, tested on real ``test``."""
    x, y = sampler(num_samples, seed)
    _check_samples(x, y, num_samples)
    return train_and_score(x, y, test, num_classes, epochs, seed)


def augmentation(sampler: Sampler, train: Split, test: Split, labels_per_class: int, num_generated: int,
                 num_classes: int, epochs: int = 20, seed: int = 0, alone: Score | None = None
                 ) -> tuple[Score, Score]:
    """(few real labels alone, the same few + ``num_generated`` generated samples), both tested on ``test``.

    The few labels are ``labels_per_class`` real examples of every class, chosen by ``seed``. ``alone``: the
    score of the few labels alone when already known (it depends only on the real data and the seed).
    """
    from tfgan_apps.data.labelled import balanced_subset

    few = balanced_subset(train.y, labels_per_class * num_classes, num_classes, seed=seed)
    alone = alone or train_and_score(train.x[few], train.y[few], test, num_classes, epochs, seed)
    x, y = sampler(num_generated, seed)
    _check_samples(x, y, num_generated)
    mixed = train_and_score(np.concatenate([train.x[few], x]), np.concatenate([train.y[few], y]), test,
                            num_classes, epochs, seed)
    return alone, mixed


def imbalance(train: Split, minority: Sequence[int], keep: float, seed: int = 0) -> Split:
    """``train`` with only a ``keep`` fraction (at least one) of each ``minority`` class, chosen by ``seed``."""
    rng = np.random.default_rng(seed)
    chosen = []
    for k in np.unique(train.y):
        members = np.flatnonzero(train.y == k)
        if k in minority:
            members = rng.permutation(members)[:max(1, int(round(keep * len(members))))]
        chosen.append(members)
    index = np.sort(np.concatenate(chosen))
    return Split(train.x[index], train.y[index])


def imbalanced_augmentation(sampler: Sampler, train: Split, test: Split, minority: Sequence[int], keep: float,
                            num_classes: int, epochs: int = 20, seed: int = 0, draw: int = 0,
                            alone: Score | None = None) -> tuple[Score, Score, Split]:
    """Per-class recall on an imbalanced real set alone, and with generated minority examples added.

    The imbalanced set keeps a ``keep`` fraction of each ``minority`` class (:func:`imbalance`). Generated
    samples of the minority classes (taken from ``draw`` samples, default 20 × the training set, so that the
    pseudo-labelled SGAN finds enough) top every minority class up to the median majority count.
    Returns (real alone, real + generated, the imbalanced split); ``alone`` as in :func:`augmentation`.
    """
    skewed = imbalance(train, minority, keep, seed)
    alone = alone or train_and_score(skewed.x, skewed.y, test, num_classes, epochs, seed)
    counts = np.bincount(skewed.y, minlength=num_classes)
    target = int(np.median([counts[k] for k in range(num_classes) if k not in minority]))
    x, y = sampler(draw or 20 * len(train.y), seed + 1)
    add = []
    for k in minority:
        members = np.flatnonzero(y == k)[:max(0, target - counts[k])]
        add.append(members)
    add_index = np.concatenate(add) if add else np.zeros(0, np.int64)
    mixed = train_and_score(np.concatenate([skewed.x, x[add_index]]), np.concatenate([skewed.y, y[add_index]]),
                            test, num_classes, epochs, seed)
    return alone, mixed, skewed


def _check_samples(x: np.ndarray, y: np.ndarray, count: int) -> None:
    if len(x) != count or len(y) != count:
        raise DataError(f"the sampler returned {len(x)} images and {len(y)} labels for {count} requested")


# ---------------------------------------------------------------------------------------------- samplers
def conditional_sampler(generate: Callable[[np.ndarray, int], Any], num_classes: int,
                        batch_size: int = 250) -> Sampler:
    """A sampler from a class-conditional ``generate(labels, seed) -> images``: labels 0, 1, …, K−1, 0, … shuffled."""

    def sample(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        labels = np.random.default_rng(seed).permutation(np.arange(count) % num_classes)
        images = [np.asarray(generate(labels[i:i + batch_size], seed * 100003 + i // batch_size), np.float32)
                  for i in range(0, count, batch_size)]
        return np.concatenate(images), labels.astype(np.int64)

    return sample


def pseudo_labelled_sampler(generate: Callable[[int, int], Any], classify: Callable[[Any], Any],
                            batch_size: int = 250) -> Sampler:
    """A sampler from an unconditional ``generate(n, seed)`` whose samples get the argmax of ``classify``."""

    def sample(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        images, labels = [], []
        for i, start in enumerate(range(0, count, batch_size)):
            x = np.asarray(generate(min(batch_size, count - start), seed * 100003 + i), np.float32)
            images.append(x)
            labels.append(np.argmax(np.asarray(classify(x)), axis=1))
        return np.concatenate(images), np.concatenate(labels).astype(np.int64)

    return sample


def model_sampler(model: Any) -> Sampler:
    """The sampler of a trained project model: conditional when ``generate`` takes ``labels`` (cgan, acgan),
    else its samples labelled by its ``classify`` (the sgan's K-class discriminator)."""
    if "labels" in inspect.signature(model.generate).parameters:
        return conditional_sampler(lambda labels, seed: model.generate(len(labels), seed=seed, labels=labels),
                                   int(model.num_classes))
    if hasattr(model, "classify"):
        return pseudo_labelled_sampler(lambda n, seed: model.generate(n, seed=seed),
                                       lambda x: model.classify(np.clip(x, -1.0, 1.0)))
    raise DataError(f"{type(model).__name__} has no labels to score: CAS needs a conditional generator (cgan, "
                    "acgan) or a classifying discriminator (sgan)")
