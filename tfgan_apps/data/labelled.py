"""Held-out splits and small labelled subsets of a labelled source, for semi-supervised training.

``indexed:<source>`` (e.g. ``config.data.source = "indexed:digits"``) wraps a
finite labelled source so that

* ``config.data.heldout`` examples (class-balanced, chosen deterministically)
  are removed from training and kept for evaluation (``heldout_examples()``);
* every batch also holds ``"index"``: each example's int32 position in the
  training part, so a model can tell which examples belong to its labelled
  subset. The index comes through the shared pipeline like the data itself, so
  it is a pure function of (seed, step) and survives resume and distribution.

Which examples count as labelled is the model's setting (``config.model.labelled``,
see ``models/sgan.py``); ``labelled_mask(count)`` turns it into a per-index mask
with ``balanced_subset``: ``count // K`` examples of every class (the first
``count % K`` classes get one more), picked by a fixed-seed permutation.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as tf

from tfgan_apps.data.source import Source
from tfgan_apps.errors import ConfigError
from tfgan_apps.registry import SOURCES


def balanced_subset(labels: np.ndarray, count: int, num_classes: int, seed: int = 0) -> np.ndarray:
    """Sorted indices of ``count`` examples, ``count // K`` (or one more) per class, chosen by ``seed``.

    Deterministic: the same (labels, count, seed) always give the same subset.
    """
    labels = np.asarray(labels)
    if count < 0 or count > len(labels):
        raise ConfigError(f"cannot choose {count} examples out of {len(labels)}")
    rng = np.random.default_rng(seed)
    chosen = []
    for k in range(num_classes):
        want = count // num_classes + (1 if k < count % num_classes else 0)
        members = np.flatnonzero(labels == k)
        if len(members) < want:
            raise ConfigError(f"class {k} has {len(members)} examples, fewer than the {want} requested")
        chosen.append(rng.permutation(members)[:want])
    return np.sort(np.concatenate(chosen)).astype(np.int64)


class IndexedSource(Source):
    """The training part of a finite labelled source, with example indices in every batch.

    Args:
      base: a finite source with ``labels`` (e.g. ``digits``).
      heldout: examples removed from training (class-balanced), for evaluation.
      seed: seed of the held-out choice.
    """

    def __init__(self, base: Source, heldout: int = 0, seed: int = 0) -> None:
        labels = getattr(base, "labels", None)
        if not base.size or labels is None or base.num_classes < 2:
            raise ConfigError(f"source {base.name!r} has no labels; 'indexed:' needs a finite labelled source")
        if not 0 <= heldout < base.size:
            raise ConfigError(f"config.data.heldout must be in [0, {base.size}), got {heldout}")
        held = balanced_subset(labels, heldout, base.num_classes, seed=seed + 1)
        train = np.setdiff1d(np.arange(base.size), held)
        super().__init__(name=f"indexed:{base.name}", kind=base.kind, shape=base.shape, size=len(train),
                         num_classes=base.num_classes, info=dict(base.info))
        self.base = base
        self.train_indices, self.heldout_indices = train, held
        self._train_table = tf.constant(train, tf.int32)

    @property
    def labels(self) -> np.ndarray:
        """Labels of the training part, aligned with ``examples()`` and with batch ``"index"``."""
        return np.asarray(self.base.labels)[self.train_indices]

    def load(self, positions: tf.Tensor, indices: tf.Tensor, seed: tf.Tensor) -> dict[str, tf.Tensor]:
        indices = tf.cast(indices, tf.int32)
        batch = self.base.load(positions, tf.gather(self._train_table, indices), seed)
        batch["index"] = indices
        return batch

    def examples(self, limit: int | None = None) -> np.ndarray:
        return self.base.examples()[self.train_indices][:limit]

    def heldout_examples(self) -> tuple[np.ndarray, np.ndarray]:
        """(images, labels) of the held-out examples (never in a training batch)."""
        return self.base.examples()[self.heldout_indices], np.asarray(self.base.labels)[self.heldout_indices]

    def labelled_mask(self, count: int, seed: int = 0) -> np.ndarray:
        """bool [size]: True at the ``count`` training indices of the class-balanced labelled subset."""
        mask = np.zeros(self.size, bool)
        mask[balanced_subset(self.labels, count, self.num_classes, seed=seed)] = True
        return mask


@SOURCES.register("indexed")
def indexed(cfg: Any, argument: str | None = None) -> Source:
    """``indexed:<source>``: the source minus ``cfg.heldout`` held-out examples, with ``"index"`` in batches."""
    from tfgan_apps.data.pipeline import parse_source

    if not argument:
        raise ConfigError("'indexed' wraps another source: use e.g. config.data.source='indexed:digits'")
    name, inner_argument = parse_source(argument)
    base = SOURCES.get(name)(cfg, inner_argument)
    return IndexedSource(base, heldout=int(cfg.get("heldout", 0)))
