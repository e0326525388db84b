"""Paired data for restoration: ``paired_folder:INPUT_DIR,TARGET_DIR`` and the held-out evaluation images.

Training pairs
  ``paired_folder:INPUT_DIR,TARGET_DIR`` pairs every image of ``INPUT_DIR`` with
  the image of ``TARGET_DIR`` at the same relative path and file name stem
  (``rain/001.jpg`` ↔ ``clean/001.png``; paths may not contain commas). Each
  batch holds aligned random crops: ``"input"`` crops of ``image_size`` px and
  ``"x"`` (target) crops of ``image_size·scale`` px (``config.data.scale``,
  1 for denoising/de-raining, 4 for ×4 super-resolution), with the same
  horizontal flip. Because the batch already carries ``"input"``, the pipeline
  does not degrade it again. Note the difference with the ``photos`` source +
  a ``downsample`` degradation, where ``image_size`` is the *target* (HR) crop.

Held-out evaluation (split by image, never by crop)
  ``config.data.eval_photos`` names bundled photos that must not be in
  ``config.data.photos`` (checked by name *and* by pixel content: skimage's
  ``cat`` is ``chelsea``). ``held_out_pairs`` loads them, takes a fixed centre
  crop of ``config.data.eval_crop`` px (default 192; 0 = the full photo, cropped
  down to a multiple of the scale) and degrades each with a fixed seed
  (``config.data.eval_seed``, default 2024), so every evaluation sees the same
  pairs. For folder data, ``config.data.eval_pairs = "INPUT_DIR,TARGET_DIR"``
  gives held-out pairs (centre-cropped the same way).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import tensorflow as tf

from tfgan_apps.data.augment import random_flips
from tfgan_apps.data.bundled import PhotoCrops, check_held_out_photos, load_photo
from tfgan_apps.data.folder import decode_file, list_images
from tfgan_apps.data.source import Source
from tfgan_apps.errors import ConfigError, DataError
from tfgan_apps.progress import progress_bar
from tfgan_apps.registry import SOURCES

DEFAULT_EVAL_CROP = 192
DEFAULT_EVAL_SEED = 2024

Pair = tuple[str, np.ndarray, np.ndarray]
"""(name, degraded input HWC float32 in [-1, 1], clean target HWC float32 in [-1, 1])."""


# ----------------------------------------------------------------------------- files


def split_dirs(argument: str | None) -> tuple[str, str]:
    """Parses ``"INPUT_DIR,TARGET_DIR"``; ConfigError otherwise."""
    parts = (argument or "").split(",")
    if len(parts) != 2 or not all(p.strip() for p in parts):
        raise ConfigError(
            f"paired_folder needs two folders: source='paired_folder:INPUT_DIR,TARGET_DIR', got {argument!r}"
        )
    return parts[0].strip(), parts[1].strip()


def _by_stem(root: str) -> dict[str, str]:
    files: dict[str, str] = {}
    for path in list_images(root):
        key = os.path.splitext(os.path.relpath(path, root))[0]
        if key in files:
            raise DataError(f"{files[key]!r} and {path!r} have the same name; pairs are matched by file name")
        files[key] = path
    return files


def pair_files(input_dir: str, target_dir: str) -> list[tuple[str, str]]:
    """(input, target) paths matched by relative path without extension; DataError naming an unpaired file."""
    inputs, targets = _by_stem(input_dir), _by_stem(target_dir)
    for key, path in sorted(inputs.items()):
        if key not in targets:
            raise DataError(f"input image {path!r} has no target partner named {key}.* in {target_dir!r}")
    for key, path in sorted(targets.items()):
        if key not in inputs:
            raise DataError(f"target image {path!r} has no input partner named {key}.* in {input_dir!r}")
    return [(inputs[k], targets[k]) for k in sorted(inputs)]


def match_channels(image: np.ndarray, channels: int) -> np.ndarray:
    """HWC float image → ``channels`` (alpha dropped, grey repeated, RGB → BT.601 luma)."""
    if image.shape[-1] in (2, 4):
        image = image[..., :-1]
    if channels == 3 and image.shape[-1] == 1:
        return np.repeat(image, 3, axis=-1)
    if channels == 1 and image.shape[-1] == 3:
        return image @ np.array([[0.299], [0.587], [0.114]], np.float32)
    return image


def load_pairs(input_dir: str, target_dir: str, channels: int, scale: int,
               min_input: int = 1) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Decodes every pair as float [0, 1]; DataError if a target is not exactly ``scale``× its input."""
    pairs = []
    for input_path, target_path in progress_bar(pair_files(input_dir, target_dir), desc="decoding pairs",
                                                unit="pair"):
        x_in = match_channels(decode_file(input_path), channels)
        x_tg = match_channels(decode_file(target_path), channels)
        expected = (x_in.shape[0] * scale, x_in.shape[1] * scale)
        if x_tg.shape[:2] != expected:
            raise DataError(
                f"size mismatch: target {target_path!r} is {x_tg.shape[0]}×{x_tg.shape[1]} but its input "
                f"{input_path!r} is {x_in.shape[0]}×{x_in.shape[1]} (expected target {expected[0]}×{expected[1]} "
                f"for scale {scale})"
            )
        if min(x_in.shape[:2]) < min_input:
            raise DataError(
                f"input image {input_path!r} ({x_in.shape[0]}×{x_in.shape[1]}) is smaller than the "
                f"{min_input} px crop (config.data.image_size)"
            )
        pairs.append((input_path, x_in, x_tg))
    return pairs


# ----------------------------------------------------------------------------- training source


def _stack(images: Sequence[np.ndarray]) -> np.ndarray:
    """Zero-pads float [0, 1] images into one uint8 [N, Hmax, Wmax, C] array."""
    height = max(i.shape[0] for i in images)
    width = max(i.shape[1] for i in images)
    stack = np.zeros((len(images), height, width, images[0].shape[-1]), np.uint8)
    for k, image in enumerate(images):
        stack[k, : image.shape[0], : image.shape[1]] = np.round(np.clip(image, 0, 1) * 255)
    return stack


def _crops(stack: tf.Tensor, which: tf.Tensor, top_left: tf.Tensor, size: int) -> tf.Tensor:
    """Exact (unresampled) ``size``² crops at integer ``top_left`` [B, 2] of images ``which`` of a padded stack."""
    full = tf.cast(tf.shape(stack)[1:3] - 1, tf.float32)
    boxes = tf.concat([top_left / full, (top_left + size - 1) / full], axis=1)
    return tf.image.crop_and_resize(stack, boxes, which, (size, size), method="nearest")


class PairedCrops(Source):
    """Aligned random crops of (input, target) image pairs; a target is ``scale``× its input.

    Each crop's pair is drawn with probability proportional to its input area;
    the input crop's top-left corner is uniform over valid integer positions and
    the target crop starts at ``scale``× that corner. Both get the same random
    horizontal flip (with ``dihedral``: rotation / reflection). Generative
    (``size=None``): every batch is new crops, a pure function of the batch seed.
    """

    def __init__(self, name: str, inputs: Sequence[np.ndarray], targets: Sequence[np.ndarray],
                 crop: int, scale: int, dihedral: bool = False) -> None:
        channels = inputs[0].shape[-1]
        super().__init__(name=name, kind="image", shape=(crop * scale, crop * scale, channels),
                         info={"input_shape": (crop, crop, channels), "scale": scale, "pairs": len(inputs)})
        self.crop, self.scale, self.dihedral = crop, scale, dihedral
        sizes = np.array([i.shape[:2] for i in inputs], np.float32)
        self._sizes = tf.constant(sizes)
        self._logits = tf.constant(np.log(sizes.prod(axis=1) / sizes.prod(axis=1).sum())[None], tf.float32)
        self._inputs = tf.constant(_stack(inputs))
        self._targets = tf.constant(_stack(targets))

    def load(self, positions: tf.Tensor, indices: tf.Tensor, seed: tf.Tensor) -> dict[str, tf.Tensor]:
        batch = tf.shape(positions)[0]
        seeds = tf.random.experimental.stateless_split(seed, 3)
        which = tf.cast(tf.random.stateless_categorical(self._logits, batch, seed=seeds[0])[0], tf.int32)
        unit = tf.random.stateless_uniform([batch, 2], seed=seeds[1])
        top_left = tf.floor(unit * (tf.gather(self._sizes, which) - self.crop + 1))
        x_in = _crops(self._inputs, which, top_left, self.crop)
        x_tg = _crops(self._targets, which, top_left * self.scale, self.crop * self.scale)
        x_in, x_tg = random_flips([x_in, x_tg], seeds[2], self.dihedral)
        return {"x": x_tg / 127.5 - 1.0, "input": x_in / 127.5 - 1.0}

    def examples(self, limit: int | None = None) -> np.ndarray:
        n = limit or 256
        return self.load(tf.range(n, dtype=tf.int64), tf.zeros([n], tf.int64), tf.constant([0, 0], tf.int64))[
            "x"
        ].numpy()


@SOURCES.register("paired_folder")
def paired_folder(cfg: Any, argument: str | None = None) -> Source:
    """Aligned crops of ``paired_folder:INPUT_DIR,TARGET_DIR`` pairs (see module docstring), held in memory."""
    input_dir, target_dir = split_dirs(argument)
    scale = int(cfg.get("scale", 1) or 1)
    pairs = load_pairs(input_dir, target_dir, cfg.channels, scale, min_input=cfg.image_size)
    return PairedCrops(f"paired_folder:{argument}", [p[1] for p in pairs], [p[2] for p in pairs],
                       cfg.image_size, scale, bool(cfg.get("dihedral", False)))


# ----------------------------------------------------------------------------- held-out images


def check_held_out(cfg: Any) -> None:
    """ConfigError if an ``eval_photos`` photo is also a training photo (by name or by pixels)."""
    eval_names = list(cfg.get("eval_photos", None) or ())
    source = str(cfg.get("source", ""))
    if not eval_names or not source.startswith("photos"):
        return
    argument = source.partition(":")[2]
    train_names = argument.split(",") if argument else list(cfg.get("photos", ()))
    check_held_out_photos(eval_names, train_names, training="training photos (config.data.photos)")


def centre_crop(image: np.ndarray, size: int, multiple: int = 1) -> np.ndarray:
    """The central ``size``² crop (``size`` 0 or larger than the image: the whole image), sides cut to a multiple."""
    h, w = image.shape[:2]
    ch, cw = (min(size, h), min(size, w)) if size else (h, w)
    ch, cw = ch - ch % multiple, cw - cw % multiple
    top, left = (h - ch) // 2, (w - cw) // 2
    return image[top : top + ch, left : left + cw]


def held_out_pairs(cfg: Any, degradation: Callable[[tf.Tensor, tf.Tensor], tf.Tensor] | None,
                   scale: int = 1) -> list[Pair]:
    """The fixed held-out (input, target) pairs of a data config (empty list if it defines none).

    Bundled ``eval_photos`` are centre-cropped to ``eval_crop`` (a multiple of
    ``scale``) and degraded with seed ``(eval_seed, i)``; ``eval_pairs`` folders are
    loaded as they are (input crop ``eval_crop / scale``, target ``eval_crop``).
    """
    check_held_out(cfg)
    crop = int(cfg.get("eval_crop", DEFAULT_EVAL_CROP))
    seed = int(cfg.get("eval_seed", DEFAULT_EVAL_SEED))
    pairs: list[Pair] = []
    names = list(cfg.get("eval_photos", None) or ())
    if names and degradation is None:
        raise ConfigError("config.data.eval_photos needs config.data.degradation to make the degraded inputs")
    for i, name in enumerate(names):
        target = match_channels(centre_crop(load_photo(name), crop, scale), cfg.channels) * 2.0 - 1.0
        degraded = degradation(tf.constant(target[None], tf.float32), tf.constant([seed, i], tf.int64))
        pairs.append((name, degraded[0].numpy(), target.astype(np.float32)))
    if cfg.get("eval_pairs", None):
        for path, x_in, x_tg in load_pairs(*split_dirs(cfg.eval_pairs), cfg.channels, scale):
            x_tg = centre_crop(x_tg, crop, scale)
            top = (x_in.shape[0] - x_tg.shape[0] // scale) // 2
            left = (x_in.shape[1] - x_tg.shape[1] // scale) // 2
            x_in = x_in[top : top + x_tg.shape[0] // scale, left : left + x_tg.shape[1] // scale]
            pairs.append((os.path.basename(path), x_in * 2.0 - 1.0, x_tg * 2.0 - 1.0))
    return pairs


def validation_crops(cfg: Any, source: Source, degradation: Callable[[tf.Tensor, tf.Tensor], tf.Tensor] | None,
                     count: int, seed: int = 1234) -> tuple[np.ndarray, np.ndarray]:
    """Fixed ``count`` (input, target) crops for pictures: from the held-out photos when configured, else the source.

    Crops are ``source.shape`` (the training target size) and seeded by ``seed``.
    """
    names = list(cfg.get("eval_photos", None) or ())
    if names and str(cfg.get("source", "")).startswith("photos"):
        size = source.shape[0]
        photos = [p for p in (load_photo(n) for n in names) if min(p.shape[:2]) >= size]
        if photos:
            source = PhotoCrops("eval_photos", photos, size, source.shape[-1])
    batch_seed = tf.constant([seed, 2**40], tf.int64)
    batch = source.load(tf.range(count, dtype=tf.int64), tf.zeros([count], tf.int64), batch_seed)
    if "input" not in batch:
        if degradation is None:
            raise ConfigError("restoration needs paired data or config.data.degradation")
        batch["input"] = degradation(batch["x"], batch_seed + tf.constant([1, 0], tf.int64))
    return np.asarray(batch["input"]), np.asarray(batch["x"])
