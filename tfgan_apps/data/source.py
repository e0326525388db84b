"""The ``Source`` contract every data source implements, and the in-memory array source.

A source turns a batch of global element positions (and, for finite sources,
the shuffled example indices for those positions) into a batch of examples.
Because every batch is a pure function of (seed, step), a resumed run sees
exactly the batches an uninterrupted run would have seen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import tensorflow as tf


@dataclass
class Source:
    """A data source.

    Attributes:
      name: the config string that built it.
      kind: ``image`` ([S, S, C] in [-1, 1]), ``points`` (2-D samples) or ``signal`` ([L, C]).
      shape: shape of one example.
      size: number of distinct examples for finite sources, ``None`` for generative ones.
      num_classes: number of label classes when labels exist, else 0.
      info: extras for evaluation (e.g. mixture centers and std).
    """

    name: str
    kind: str
    shape: tuple[int, ...]
    size: int | None = None
    num_classes: int = 0
    info: dict[str, Any] = field(default_factory=dict)

    def load(self, positions: tf.Tensor, indices: tf.Tensor, seed: tf.Tensor) -> dict[str, tf.Tensor]:
        """Returns ``{"x": examples[, "label": labels]}`` for a batch.

        Args:
          positions: int64 [B] global element counters (unique over the run).
          indices: int64 [B] example indices after the epoch shuffle (finite sources only).
          seed: int64 [2] stateless seed for this batch.
        """
        raise NotImplementedError

    def examples(self, limit: int | None = None) -> np.ndarray:
        """Real examples as a float32 numpy array (for evaluation and plots)."""
        raise NotImplementedError


class ArraySource(Source):
    """A finite source held in memory: uint8 images or float32 arrays in [-1, 1]."""

    def __init__(
        self,
        name: str,
        kind: str,
        array: np.ndarray,
        labels: np.ndarray | None = None,
        num_classes: int = 0,
        info: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(
            name=name,
            kind=kind,
            shape=tuple(array.shape[1:]),
            size=int(array.shape[0]),
            num_classes=num_classes if labels is not None else 0,
            info=info or {},
        )
        self._array = array
        self._labels = labels
        # Eager constants, created here so every tf.data graph can capture them.
        self._tensor = tf.constant(array)
        self._label_tensor = None if labels is None else tf.constant(labels.astype(np.int32))

    def _to_float(self, x: tf.Tensor) -> tf.Tensor:
        if x.dtype == tf.uint8:
            return tf.cast(x, tf.float32) / 127.5 - 1.0
        return tf.cast(x, tf.float32)

    def load(self, positions: tf.Tensor, indices: tf.Tensor, seed: tf.Tensor) -> dict[str, tf.Tensor]:
        batch = {"x": self._to_float(tf.gather(self._tensor, indices))}
        if self._label_tensor is not None:
            batch["label"] = tf.gather(self._label_tensor, indices)
        return batch

    def examples(self, limit: int | None = None) -> np.ndarray:
        arr = self._array[:limit]
        if arr.dtype == np.uint8:
            return arr.astype(np.float32) / 127.5 - 1.0
        return arr.astype(np.float32)

    @property
    def labels(self) -> np.ndarray | None:
        """Integer labels aligned with ``examples()``, or None."""
        return self._labels


def to_uint8_images(images: np.ndarray, image_size: int, channels: int) -> np.ndarray:
    """Converts float images in [0, 1] (N, H, W[, C]) to uint8 (N, S, S, channels).

    Non-square images are centre-cropped to a square first; resizing is bilinear
    with antialiasing; grey images are repeated to 3 channels or RGB converted to
    grey (ITU-R BT.601 luma) to match ``channels``.
    """
    x = np.asarray(images, np.float32)
    if x.ndim == 3:
        x = x[..., None]
    h, w = x.shape[1:3]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    x = x[:, top : top + side, left : left + side]
    if x.shape[-1] in (2, 4):  # drop the alpha channel
        x = x[..., : x.shape[-1] - 1]
    if channels == 3 and x.shape[-1] == 1:
        x = np.repeat(x, 3, axis=-1)
    elif channels == 1 and x.shape[-1] == 3:
        x = x @ np.array([[0.299], [0.587], [0.114]], np.float32)
    if side != image_size:
        x = tf.image.resize(x, (image_size, image_size), method="bilinear", antialias=True).numpy()
    return np.clip(np.round(x * 255.0), 0, 255).astype(np.uint8)
