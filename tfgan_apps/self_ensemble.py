"""Geometric self-ensemble at inference: average a restorer over the 8 rotations and reflections of its input.

EDSR+ (Lim et al. 2017, Sec. 4.3): restore each of the 8 dihedral transforms of
an image, undo each transform on the output and take the mean. It costs 8
forward passes and typically adds 0.1–0.3 dB of PSNR to a super-resolution or
denoising network, with no training. For a function that is already equivariant
to the transforms (a bicubic upsampler, a symmetric filter) the mean equals its plain output.
Non-square images work: a transpose swaps H and W before the restorer sees them.
"""

from __future__ import annotations

from collections.abc import Callable

import tensorflow as tf

N_TRANSFORMS = 8


def dihedral(images: tf.Tensor, k: int) -> tf.Tensor:
    """Transform ``k`` (0 … 7) of ``[B, H, W, C]`` images: bit 0 flips W, bit 1 flips H, bit 2 transposes H/W.

    0 is the identity; the flips come before the transpose (``undo`` applies them in reverse).
    """
    if not 0 <= k < N_TRANSFORMS:
        raise ValueError(f"dihedral transform index must be in 0…7, got {k}")
    if k & 1:
        images = tf.reverse(images, axis=[2])
    if k & 2:
        images = tf.reverse(images, axis=[1])
    if k & 4:
        images = tf.transpose(images, [0, 2, 1, 3])
    return images


def undo(images: tf.Tensor, k: int) -> tf.Tensor:
    """Inverse of ``dihedral(·, k)`` (each step is its own inverse, so they are undone in reverse order)."""
    if k & 4:
        images = tf.transpose(images, [0, 2, 1, 3])
    if k & 2:
        images = tf.reverse(images, axis=[1])
    if k & 1:
        images = tf.reverse(images, axis=[2])
    return images


def self_ensemble(restore: Callable[[tf.Tensor], tf.Tensor], images: tf.Tensor) -> tf.Tensor:
    """Mean over the 8 dihedral transforms of ``undo(restore(dihedral(images, k)), k)``.

    ``restore`` maps ``[B, H, W, C]`` to ``[B, s·H, s·W, C']`` for any H, W (a fully
    convolutional restorer; s = 1 for denoising, the scale for SR). The sum is
    accumulated in float32, one transform at a time, so memory is that of one
    extra output.
    """
    images = tf.convert_to_tensor(images)
    total = None
    for k in range(N_TRANSFORMS):
        out = tf.cast(undo(restore(dihedral(images, k)), k), tf.float32)
        total = out if total is None else total + out
    return total / float(N_TRANSFORMS)
