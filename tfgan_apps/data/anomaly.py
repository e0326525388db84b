"""Normal-only training data and a held-out test set with anomalies, for anomaly detection.

Two ways to say what is normal:

* a labelled source (``digits``, ``lfw``, ``tfds:...``) with ``config.data.anomaly_class = k``:
  the normal classes are ``config.data.normal_classes`` (empty = every class but k).
  A fraction ``config.data.anomaly_heldout`` of each normal class is held out
  (chosen by ``config.data.anomaly_seed``); training sees only the rest. The
  test set is the held-out normals plus *every* example of class k (classes that
  are neither normal nor k are left out). With ``normal_classes`` = all but k
  this is the leave-one-class-out protocol of GANomaly (Akçay et al. 2018) and
  EGBAD (Zenati et al. 2018), not the one-class protocol (one normal class).
* ``folder:PATH`` where PATH holds ``normal/`` and (optionally) ``anomalous/``
  sub-folders (your own data, e.g. chest X-rays): training uses the normal
  images minus the held-out fraction; the test set is the held-out normals plus
  every anomalous image.

``load_source`` (``data/pipeline.py``) returns ``split.train`` for such configs, so
every model trains on normal data only without knowing about anomalies; the
scoring code (``tfgan_apps/anomaly``) reads the test set from ``load_split``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np
from absl import logging

from tfgan_apps.data.source import ArraySource, Source
from tfgan_apps.errors import ConfigError, DataError

NORMAL_DIR, ANOMALOUS_DIR = "normal", "anomalous"


@dataclass
class AnomalySplit:
    """Normal-only training source and a labelled test set.

    Attributes:
      train: the training source (normal examples only, never a test example).
      test_x: float32 test examples in [-1, 1].
      test_y: int32 [N], 1 = anomaly, 0 = normal.
      test_class: int32 [N], the original class of each test example (-1 for folders).
      description: one line for logs and reports.
    """

    train: Source
    test_x: np.ndarray
    test_y: np.ndarray
    test_class: np.ndarray
    description: str


def enabled(cfg: Any) -> bool:
    """True when ``cfg`` (``config.data``) asks for normal-only training: an anomaly class is set,
    or the source is a folder with a ``normal/`` sub-folder."""
    if int(cfg.get("anomaly_class", -1)) >= 0:
        return True
    name, _, argument = str(cfg.get("source", "")).partition(":")
    return name == "folder" and bool(argument) and os.path.isdir(os.path.join(argument, NORMAL_DIR))


def heldout_indices(labels: np.ndarray, classes: list[int], fraction: float, seed: int) -> np.ndarray:
    """Sorted indices of ``round(fraction · n_k)`` examples of each class k in ``classes``, chosen by ``seed``."""
    rng = np.random.default_rng(seed)
    chosen = []
    for k in classes:
        members = np.flatnonzero(labels == k)
        chosen.append(rng.permutation(members)[: int(round(fraction * len(members)))])
    return np.sort(np.concatenate(chosen)).astype(np.int64) if chosen else np.zeros([0], np.int64)


def _check_fraction(fraction: float) -> None:
    if not 0.0 < fraction < 1.0:
        raise ConfigError(f"config.data.anomaly_heldout must be in (0, 1) (the held-out share of normal "
                          f"examples), got {fraction}")


def _as_float(array: np.ndarray) -> np.ndarray:
    if array.dtype == np.uint8:
        return array.astype(np.float32) / 127.5 - 1.0
    return array.astype(np.float32)


def labelled_split(source: Source, anomaly_class: int, normal_classes: list[int] | tuple[int, ...],
                   fraction: float = 0.2, seed: int = 0) -> AnomalySplit:
    """The split of a finite labelled source (module docstring); ConfigError for impossible class choices."""
    _check_fraction(fraction)
    labels = getattr(source, "labels", None)
    if not source.size or labels is None or source.num_classes < 2:
        raise ConfigError(f"source {source.name!r} has no labels; config.data.anomaly_class needs a finite "
                          "labelled source (digits, lfw, tfds:NAME) or a folder with normal/ and anomalous/")
    labels = np.asarray(labels)
    num_classes = source.num_classes
    if not 0 <= anomaly_class < num_classes:
        raise ConfigError(f"config.data.anomaly_class must be in [0, {num_classes}) for {source.name!r}, "
                          f"got {anomaly_class}")
    normal = sorted({int(k) for k in normal_classes}) or [k for k in range(num_classes) if k != anomaly_class]
    bad = [k for k in normal if not 0 <= k < num_classes or k == anomaly_class]
    if bad:
        raise ConfigError(f"config.data.normal_classes must be classes in [0, {num_classes}) other than the "
                          f"anomaly class {anomaly_class}; got {bad}")
    held = heldout_indices(labels, normal, fraction, seed)
    is_normal = np.isin(labels, normal)
    train = np.setdiff1d(np.flatnonzero(is_normal), held)
    test = np.concatenate([held, np.flatnonzero(labels == anomaly_class)])
    if not len(held) or not len(train):
        raise ConfigError(f"config.data.anomaly_heldout={fraction} leaves no held-out or no training normals")
    examples = source.examples()  # float32 in [-1, 1]
    train_source = ArraySource(f"{source.name}-normal", source.kind, examples[train], labels[train].astype(np.int32),
                               num_classes=num_classes, info=dict(source.info))
    description = (f"{source.name}: normal classes {normal} ({len(train)} training, {len(held)} held-out), "
                   f"anomaly class {anomaly_class} ({int((labels == anomaly_class).sum())} test)")
    return AnomalySplit(train_source, _as_float(examples[test]), (labels[test] == anomaly_class).astype(np.int32),
                        labels[test].astype(np.int32), description)


def folder_split(root: str, image_size: int, channels: int, fraction: float = 0.2, seed: int = 0,
                 skip_corrupt: bool = False) -> AnomalySplit:
    """The split of ``root/normal`` (train + held-out) and ``root/anomalous`` (test only)."""
    from tfgan_apps.data.folder import load_folder

    _check_fraction(fraction)
    normal_dir, anomalous_dir = os.path.join(root, NORMAL_DIR), os.path.join(root, ANOMALOUS_DIR)
    if not os.path.isdir(normal_dir):
        raise DataError(f"{root!r} has no {NORMAL_DIR}/ sub-folder; put normal images in {normal_dir!r} and "
                        f"anomalous ones (test only) in {anomalous_dir!r}")
    normal = load_folder(normal_dir, image_size, channels, skip_corrupt)
    anomalous = (load_folder(anomalous_dir, image_size, channels, skip_corrupt) if os.path.isdir(anomalous_dir)
                 else np.zeros([0, *normal.shape[1:]], np.uint8))
    if not len(anomalous):
        logging.warning("%s has no %s/ images: the test set holds held-out normals only", root, ANOMALOUS_DIR)
    held = np.sort(np.random.default_rng(seed).permutation(len(normal))[: int(round(fraction * len(normal)))])
    train = np.setdiff1d(np.arange(len(normal)), held)
    if not len(held) or not len(train):
        raise DataError(f"{normal_dir!r} holds {len(normal)} images: too few to hold out "
                        f"config.data.anomaly_heldout={fraction} of them and train on the rest")
    test = np.concatenate([normal[held], anomalous])
    test_y = np.concatenate([np.zeros(len(held), np.int32), np.ones(len(anomalous), np.int32)])
    description = (f"folder:{root}: {len(train)} training normals, {len(held)} held-out normals, "
                   f"{len(anomalous)} anomalous")
    return AnomalySplit(ArraySource(f"folder:{normal_dir}", "image", normal[train]), _as_float(test), test_y,
                        np.full(len(test), -1, np.int32), description)


def load_split(cfg: Any) -> AnomalySplit:
    """The anomaly split that ``cfg`` (``config.data``) describes; ConfigError if it describes none."""
    from tfgan_apps.data.pipeline import parse_source
    from tfgan_apps.registry import SOURCES

    if not enabled(cfg):
        raise ConfigError("no anomaly split configured: set config.data.anomaly_class (labelled sources) or use "
                          "source='folder:PATH' with PATH/normal and PATH/anomalous")
    fraction, seed = float(cfg.get("anomaly_heldout", 0.2)), int(cfg.get("anomaly_seed", 0))
    name, argument = parse_source(cfg.source)
    if name == "folder" and os.path.isdir(os.path.join(argument or "", NORMAL_DIR)):
        split = folder_split(argument, cfg.image_size, cfg.channels, fraction, seed,
                             bool(cfg.get("skip_corrupt", False)))
    else:
        source = SOURCES.get(name)(cfg, argument)
        split = labelled_split(source, int(cfg.anomaly_class), tuple(cfg.get("normal_classes", ())), fraction, seed)
    logging.info("anomaly split: %s", split.description)
    return split
