"""Restoration inference: any image size, tiles for large images, the ×8 geometric self-ensemble.

Three tools a trained restorer (``restoration.model.ImageToImage``, an exported
``RestorerExport`` or any fully convolutional function) is run with:

* **Padding** (``pad_to_multiple``, ``restore_images``): a U-Net of depth d takes
  sides that are multiples of 2^d; the image is padded at the bottom/right by
  whole-sample symmetric reflection and the output cropped back, so any H, W works.
* **Tiling** (``tiled_apply``): reflect-pads the image, cuts it into overlapping
  tiles of one size, runs the function on batches of tiles (memory bounded by
  ``batch_size`` tiles) and blends the outputs with a smooth window normalised by
  the summed weights, so there are no seams. Along each inner tile edge the window
  is 0 over the outer quarter of the overlap (where the function's own zero padding
  corrupts the tile output), rises as a raised cosine over the middle half and is 1
  beyond; the window of a neighbouring tile is its mirror, so the weights sum to 1.
  Hence a translation-equivariant function whose receptive-field radius is at most
  ``overlap // 4`` px gives exactly its whole-image output away from the image
  borders. At the image borders the tiles see ``overlap // 2`` px of reflected
  context instead of zeros.
* **Masks** (inpainting; ``masked_condition``, ``fill_holes``, ``composite``): an inpainting restorer
  takes the image with the hole mask as an extra last channel (1 = hole). ``restore_images(...,
  masked=True)`` binarises the mask at 0.5, fills the holes as in training (``fill``: a constant, or
  ``"pyramid"``: push-pull interpolation from the known pixels, ``pyramid_fill``; None: the holes
  are already filled), runs G and returns the composite ``mask·G + (1 − mask)·image``, so the known
  pixels are the input's. Padding, tiling and the self-ensemble move the mask with the image (it is
  one more channel). The pyramid fill is global (a large hole takes its colours from far away), so
  tiled inference fills the whole image first and then tiles with ``fill=None``.
* **Self-ensemble** (``self_ensemble``; EDSR+, Lim et al. 2017, Sec. 4.3): restore
  each of the 8 dihedral transforms (rotations / reflections) of an image, undo each
  transform on the output and take the mean. It costs 8 forward passes and typically
  adds 0.1–0.3 dB of PSNR to a super-resolution or denoising network, with no
  training. For a function that is already equivariant to the transforms (a bicubic
  upsampler, a symmetric filter) the mean equals its plain output. Non-square images
  work: a transpose swaps H and W before the restorer sees them.

This module imports no Keras model code, so ``tfgan-restore`` loads only TensorFlow.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import tensorflow as tf
from absl import logging

N_TRANSFORMS = 8


# ----------------------------------------------------------------------------- padding


def _symmetric_indices(size: tf.Tensor, length: tf.Tensor) -> tf.Tensor:
    """Indices 0..length−1 into an axis of ``size`` extended by whole-sample symmetric reflection (any length)."""
    j = tf.range(length) % (2 * size)
    return tf.where(j < size, j, 2 * size - 1 - j)


def pad_to_multiple(images: tf.Tensor, multiple: int) -> tf.Tensor:
    """Pads ``[N, H, W, C]`` at the bottom/right by symmetric reflection so H and W are multiples of ``multiple``."""
    if multiple <= 1:
        return images
    shape = tf.shape(images)
    padded = [(shape[i] + multiple - 1) // multiple * multiple for i in (1, 2)]
    images = tf.gather(images, _symmetric_indices(shape[1], padded[0]), axis=1)
    return tf.gather(images, _symmetric_indices(shape[2], padded[1]), axis=2)


# ----------------------------------------------------------------------------- self-ensemble


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


_ensemble_mean = self_ensemble  # ``restore_images``' argument of that name shadows it


# ----------------------------------------------------------------------------- masks (inpainting)


def composite(restored: tf.Tensor, images: tf.Tensor, mask: tf.Tensor) -> tf.Tensor:
    """``mask·restored + (1 − mask)·images``: the restorer's output inside the holes (mask 1), the input elsewhere."""
    mask = tf.cast(mask, restored.dtype)
    return mask * restored + (1.0 - mask) * tf.cast(images, restored.dtype)


PYRAMID_LEVELS = 13
"""Levels of ``pyramid_fill``: images up to 2^13 = 8192 px a side are filled from a 1-px top level."""

HoleFill = float | str | None
"""How holes are filled before G sees them: a constant in [-1, 1], ``"pyramid"`` or None (already filled)."""


def _halve(x: tf.Tensor) -> tf.Tensor:
    """2×2 average pooling of ``[N, H, W, C]``; an odd side is first extended by one mirrored row / column."""
    shape = tf.shape(x)
    x = tf.pad(x, [[0, 0], [0, shape[1] % 2], [0, shape[2] % 2], [0, 0]], mode="SYMMETRIC")
    return tf.nn.avg_pool2d(x, 2, 2, "VALID")


def pyramid_fill(images: tf.Tensor, mask: tf.Tensor, levels: int = PYRAMID_LEVELS) -> tf.Tensor:
    """Fills the holes (``mask`` 1) of ``[N, H, W, C]`` images by push-pull interpolation (Gortler et al. 1996).

    Pull: a pyramid of 2×2 averages of the known pixels, premultiplied (``v``) with their weights (``w``,
    the known fraction). Push: from the top level down, ``filled = v + (1 − w)·upsample(filled above)``
    (bilinear), i.e. the mean of the known pixels where a cell has any, blended with the coarser
    estimate by its known fraction. A smooth, membrane-like fill of any hole size in O(pixels), known
    pixels unchanged; holes with no known pixel in the image get 0 (mid-grey).
    """
    images = tf.convert_to_tensor(images, tf.float32)
    known = 1.0 - tf.convert_to_tensor(mask, tf.float32)
    values, weights = [images * known], [known]
    for _ in range(levels):
        values.append(_halve(values[-1]))
        weights.append(_halve(weights[-1]))
    filled = values[-1] / tf.maximum(weights[-1], 1e-6)
    for value, weight in zip(reversed(values[:-1]), reversed(weights[:-1])):
        filled = value + (1.0 - weight) * tf.image.resize(filled, tf.shape(value)[1:3], method="bilinear")
    return images * known + filled * (1.0 - known)


def fill_holes(images: tf.Tensor, mask: tf.Tensor, fill: HoleFill = 0.0) -> tf.Tensor:
    """``images`` ``[N, H, W, C]`` with the holes (``mask`` ``[N, H, W, 1]`` 1) filled by ``fill`` (``HoleFill``)."""
    images = tf.convert_to_tensor(images, tf.float32)
    if fill is None:
        return images
    mask = tf.convert_to_tensor(mask, tf.float32)
    if fill == "pyramid":
        return pyramid_fill(images, mask)
    if isinstance(fill, str):
        raise ValueError(f"unknown hole fill {fill!r}: a number in [-1, 1] or 'pyramid'")
    return images * (1.0 - mask) + float(fill) * mask


def masked_condition(images: tf.Tensor, mask: tf.Tensor, fill: HoleFill = 0.0) -> tf.Tensor:
    """An inpainting restorer's input ``[N, H, W, C + 1]``: the mask binarised at 0.5 (1 = hole), the holes of
    ``images`` (``[N, H, W, C]`` in [-1, 1]) filled by ``fill_holes``, the mask appended as the last channel."""
    holes = tf.cast(tf.convert_to_tensor(mask, tf.float32) > 0.5, tf.float32)
    return tf.concat([fill_holes(images, holes, fill), holes], axis=-1)


def restore_images(generator: Callable[..., Any], images: tf.Tensor, multiple: int = 1, scale: int = 1,
                   self_ensemble: bool = False, masked: bool = False, fill: HoleFill = 0.0) -> tf.Tensor:
    """A restorer on images of any size: pad to ``multiple``, run in inference mode, crop to ``scale``× the input,
    clip to [-1, 1].

    ``generator`` is a Keras model (called with ``training=False``); ``self_ensemble`` averages it over the
    8 rotations / reflections of the input (``self_ensemble``, EDSR+): 8× the compute, usually a little more PSNR.
    ``masked``: ``images`` carry a hole mask as their last channel (an inpainting restorer, ``scale`` 1); the
    holes are filled by ``fill`` (``fill_holes``) and the result is the composite with the known pixels (module
    docstring).
    """
    images = tf.convert_to_tensor(images, tf.float32)
    if masked:
        images = masked_condition(images[..., :-1], images[..., -1:], fill)

    def run(x: tf.Tensor) -> tf.Tensor:
        shape = tf.shape(x)
        out = generator(pad_to_multiple(x, multiple), training=False)
        return tf.cast(out, tf.float32)[:, : shape[1] * scale, : shape[2] * scale]

    out = _ensemble_mean(run, images) if self_ensemble else run(images)
    if masked:
        out = composite(out, images[..., :-1], images[..., -1:])
    return tf.clip_by_value(out, -1.0, 1.0)


# ----------------------------------------------------------------------------- tiling


TileFn = Callable[[np.ndarray], object]
"""Maps float32 ``[N, h, w, C]`` in [-1, 1] to ``[N, h·scale, w·scale, C_out]`` (numpy or tensor)."""


def _round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


def _layout(
    size: int, tile: int, overlap: int, multiple: int
) -> tuple[int, int, list[int]]:
    """Plans one axis: returns (pad_before, tile_size, tile_starts) in padded coordinates."""
    pad = overlap // 2
    needed = size + 2 * pad
    if (
        needed <= tile
    ):  # one tile covers the axis: shrink it to the (rounded) image size
        return pad, _round_up(needed, multiple), [0]
    stride = tile - overlap
    n = math.ceil((needed - tile) / stride) + 1
    return pad, tile, [i * stride for i in range(n)]


def _ramp(overlap: int) -> np.ndarray:
    """Rising edge of a tile window over ``overlap`` px: zeros, raised cosine, ones (see module docstring)."""
    margin = overlap // 4
    width = overlap - 2 * margin
    rise = 0.5 - 0.5 * np.cos(np.pi * (np.arange(width) + 0.5) / width)
    return np.concatenate([np.zeros(margin), rise, np.ones(margin)])


def _window(length: int, overlap: int, first: bool, last: bool) -> np.ndarray:
    """1-D blending window of one tile; sides at the padded canvas border are not tapered."""
    w = np.ones(length)
    if overlap > 0:
        ramp = _ramp(overlap)
        if not first:
            w[:overlap] = ramp
        if not last:
            w[length - overlap :] = ramp[::-1]
    return w


def tiled_apply(
    fn: TileFn,
    image: np.ndarray,
    tile: int = 256,
    overlap: int = 32,
    scale: int = 1,
    batch_size: int = 4,
    progress: Callable[[int, int], None] | None = None,
    multiple: int = 1,
) -> np.ndarray:
    """Applies ``fn`` to a large ``[H, W, C]`` image tile by tile and returns ``[H·scale, W·scale, C_out]``.

    Args:
      fn: maps a float32 batch ``[N, h, w, C]`` in [-1, 1] to ``[N, h·scale, w·scale, C_out]``
        (e.g. a Keras model or a SavedModel signature); called with ``N <= batch_size``.
      image: HWC float array in [-1, 1] (any H, W, including smaller than a tile).
      tile: tile side in input px; rounded up to a multiple of ``multiple``. An
        axis shorter than a tile is processed as one tile of (rounded) image size.
      overlap: overlap of neighbouring tiles in input px; must be < tile/2 (and
        of at least 4× the receptive-field radius of ``fn`` for exact results).
      scale: output/input size ratio of ``fn`` (e.g. 4 for ×4 super-resolution).
      batch_size: tiles per ``fn`` call (bounds memory).
      progress: optional ``callable(n_done, n_total)`` called after every batch (tiles).
      multiple: every tile side given to ``fn`` is divisible by this (e.g. 16 for a depth-4 U-Net).

    Returns:
      float32 array ``[H·scale, W·scale, C_out]``.
    """
    image = np.asarray(image, dtype=np.float32)
    if image.ndim != 3:
        raise ValueError(f"image must be [H, W, C], got shape {image.shape}")
    if image.shape[0] < 1 or image.shape[1] < 1:
        raise ValueError(f"image is empty: shape {image.shape}")
    for what, value in (
        ("tile", tile),
        ("scale", scale),
        ("batch_size", batch_size),
        ("multiple", multiple),
    ):
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{what} must be a positive integer, got {value!r}")
    if not isinstance(overlap, (int, np.integer)) or overlap < 0:
        raise ValueError(f"overlap must be a non-negative integer, got {overlap!r}")
    rounded = _round_up(tile, multiple)
    if rounded != tile:
        logging.info(
            "tiled_apply: tile %d rounded up to %d (a multiple of %d)",
            tile,
            rounded,
            multiple,
        )
        tile = rounded
    if 2 * overlap >= tile:
        raise ValueError(
            f"overlap ({overlap}) must be smaller than tile/2 ({tile}/2); lower it or use larger tiles"
        )

    height, width, _ = image.shape
    pad_y, tile_h, starts_y = _layout(height, tile, overlap, multiple)
    pad_x, tile_w, starts_x = _layout(width, tile, overlap, multiple)
    canvas_h = starts_y[-1] + tile_h
    canvas_w = starts_x[-1] + tile_w
    padded = np.pad(
        image,
        ((pad_y, canvas_h - height - pad_y), (pad_x, canvas_w - width - pad_x), (0, 0)),
        mode="reflect",
    )

    s = scale
    win_y = [
        _window(tile_h * s, overlap * s, i == 0, i == len(starts_y) - 1)
        for i in range(len(starts_y))
    ]
    win_x = [
        _window(tile_w * s, overlap * s, j == 0, j == len(starts_x) - 1)
        for j in range(len(starts_x))
    ]
    positions = [(i, j) for i in range(len(starts_y)) for j in range(len(starts_x))]
    total = len(positions)
    out = None
    weights = np.zeros((canvas_h * s, canvas_w * s, 1), np.float32)

    for begin in range(0, total, batch_size):
        chunk = positions[begin : begin + batch_size]
        batch = np.stack(
            [
                padded[
                    starts_y[i] : starts_y[i] + tile_h,
                    starts_x[j] : starts_x[j] + tile_w,
                ]
                for i, j in chunk
            ]
        )
        result = np.asarray(fn(batch), dtype=np.float32)
        expected = (len(chunk), tile_h * s, tile_w * s)
        if result.ndim != 4 or result.shape[:3] != expected:
            raise ValueError(
                f"fn returned shape {result.shape} for input {batch.shape}; expected {expected + ('C_out',)} "
                f"(is scale={scale} right?)"
            )
        if out is None:
            out = np.zeros((canvas_h * s, canvas_w * s, result.shape[-1]), np.float32)
        for (i, j), tile_out in zip(chunk, result):
            w = (win_y[i][:, None] * win_x[j][None, :]).astype(np.float32)[..., None]
            y0, x0 = starts_y[i] * s, starts_x[j] * s
            out[y0 : y0 + tile_h * s, x0 : x0 + tile_w * s] += tile_out * w
            weights[y0 : y0 + tile_h * s, x0 : x0 + tile_w * s] += w
        if progress is not None:
            progress(min(begin + batch_size, total), total)

    out /= weights
    return out[pad_y * s : (pad_y + height) * s, pad_x * s : (pad_x + width) * s]
