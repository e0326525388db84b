"""Random flips of image crops, the same for every tensor of a pair (input and target)."""

from __future__ import annotations

from collections.abc import Sequence

import tensorflow as tf


def random_flips(images: Sequence[tf.Tensor], seed: tf.Tensor, dihedral: bool = False) -> list[tf.Tensor]:
    """A random horizontal flip per example, and with ``dihedral`` also a vertical flip and a transpose.

    ``images`` are ``[B, H, W, C]`` batches that get the same transform per
    example (an input crop and its target); with ``dihedral`` (all 8 rotations
    and reflections, the usual super-resolution augmentation) crops must be
    square. Pure function of ``seed``: the horizontal flip uses ``seed`` itself,
    so turning ``dihedral`` on keeps it and adds the other two.
    """
    batch = tf.shape(images[0])[0]

    def coin(s: tf.Tensor) -> tf.Tensor:
        return tf.random.stateless_uniform([batch, 1, 1, 1], seed=s) < 0.5

    out = list(images)
    flip = coin(seed)
    out = [tf.where(flip, tf.reverse(x, axis=[2]), x) for x in out]
    if dihedral:
        vertical = coin(tf.random.experimental.stateless_fold_in(seed, 1))
        out = [tf.where(vertical, tf.reverse(x, axis=[1]), x) for x in out]
        swap = coin(tf.random.experimental.stateless_fold_in(seed, 2))
        out = [tf.where(swap, tf.transpose(x, [0, 2, 1, 3]), x) for x in out]
    return out
