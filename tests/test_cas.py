"""Classification Accuracy Score and GAN data augmentation, with stub generators of known quality."""

from __future__ import annotations

import numpy as np
import pytest

from tfgan_apps.errors import DataError
from tfgan_apps.metrics import cas

SIZE, EPOCHS, K = 8, 10, 10  # sklearn's digits at their own 8×8: a fast classifier


@pytest.fixture(scope="module")
def splits() -> tuple[cas.Split, cas.Split]:
    return cas.digits_splits(SIZE)


def real_generator(train: cas.Split):
    """A perfect conditional generator: real training images of the requested classes."""

    def generate(labels: np.ndarray, seed: int) -> np.ndarray:
        rng = np.random.default_rng(seed)
        return np.stack([train.x[rng.choice(np.flatnonzero(train.y == k))] for k in labels])

    return generate


def noise_generator(labels: np.ndarray, seed: int) -> np.ndarray:
    """A generator that ignores its labels: uniform noise in [-1, 1]."""
    return np.random.default_rng(seed).uniform(-1, 1, (len(labels), SIZE, SIZE, 1)).astype(np.float32)


@pytest.fixture(scope="module")
def real_score(splits) -> cas.Score:
    train, test = splits
    return cas.train_and_score(train.x, train.y, test, K, EPOCHS)


def test_cas_of_real_samples_is_the_real_accuracy(splits, real_score):
    train, test = splits
    sampler = cas.conditional_sampler(real_generator(train), K)
    score = cas.classification_accuracy_score(sampler, test, len(train.y), K, EPOCHS)
    assert real_score.accuracy > 0.9
    assert abs(score.accuracy - real_score.accuracy) < 0.05
    assert score.recall.shape == (K,) and np.all(score.recall > 0.7)


def test_cas_of_noise_is_chance(splits):
    _, test = splits
    score = cas.classification_accuracy_score(cas.conditional_sampler(noise_generator, K), test, 1000, K, EPOCHS)
    assert score.accuracy < 0.25  # chance is 0.1 on the stratified test set


def test_generated_samples_help_a_few_labels(splits):
    """2 real labels per class alone vs the same plus 1000 samples of a perfect generator."""
    train, test = splits
    alone, mixed = cas.augmentation(cas.conditional_sampler(real_generator(train), K), train, test,
                                    labels_per_class=2, num_generated=1000, num_classes=K, epochs=EPOCHS)
    assert alone.train_size == 20 and mixed.train_size == 1020
    assert mixed.accuracy > alone.accuracy + 0.1


def test_imbalanced_set_and_minority_top_up(splits):
    train, test = splits
    minority = (5, 6, 7, 8, 9)
    skewed = cas.imbalance(train, minority, keep=0.05)
    counts = np.bincount(skewed.y, minlength=K)
    full = np.bincount(train.y, minlength=K)
    assert np.array_equal(counts[:5], full[:5])
    assert np.array_equal(counts[5:], np.maximum(1, np.round(0.05 * full[5:]).astype(int)))
    alone, mixed, _ = cas.imbalanced_augmentation(cas.conditional_sampler(real_generator(train), K), train, test,
                                                  minority, 0.05, K, EPOCHS, draw=2000)
    assert mixed.train_size == alone.train_size + sum(int(np.median(counts[:5])) - counts[k] for k in minority)
    assert np.mean(mixed.recall[list(minority)]) > np.mean(alone.recall[list(minority)]) + 0.05


def test_per_class_recall():
    recall = cas.per_class_recall(np.array([0, 0, 1, 2, 2]), np.array([0, 1, 1, 2, 2]), 4)
    assert recall[:3].tolist() == [1.0, 0.5, 1.0] and np.isnan(recall[3])


def test_pseudo_labelled_sampler_and_model_dispatch():
    """An unconditional generator's samples get the classifier's argmax; a model with labels is conditional."""
    sampler = cas.pseudo_labelled_sampler(lambda n, seed: np.full((n, 2, 2, 1), seed % 3, np.float32) / 3,
                                          lambda x: np.eye(K)[(x[:, 0, 0, 0] * 3).round().astype(int) + 4],
                                          batch_size=4)
    x, y = sampler(10, 7)
    assert x.shape == (10, 2, 2, 1) and y.tolist() == [5] * 4 + [6] * 4 + [4] * 2  # seeds 700, 701, 702

    class Conditional:
        num_classes = 3

        def generate(self, n, seed=0, labels=None):
            return np.asarray(labels, np.float32)[:, None, None, None] * np.ones((n, 2, 2, 1), np.float32) / 3

    x, y = cas.model_sampler(Conditional())(9, 0)
    assert sorted(y.tolist()) == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert np.allclose(x[:, 0, 0, 0] * 3, y)
    with pytest.raises(DataError, match="CAS needs a conditional generator"):
        cas.model_sampler(type("Plain", (), {"generate": lambda self, n, seed=0: None})())
