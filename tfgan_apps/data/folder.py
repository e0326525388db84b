"""Images from a folder tree (``folder:PATH``), decoded with TensorFlow and held in memory."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import tensorflow as tf
from absl import logging

from tfgan_apps.data.source import ArraySource, Source, to_uint8_images
from tfgan_apps.errors import ConfigError, DataError
from tfgan_apps.progress import progress_bar
from tfgan_apps.registry import SOURCES

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif")


def list_images(root: str) -> list[str]:
    """Recursively lists image files (by extension, case-insensitive), sorted; errors if none."""
    if not root:
        raise ConfigError("folder source needs a path: use source='folder:/path/to/images'")
    if not os.path.isdir(root):
        raise DataError(f"image folder {root!r} does not exist or is not a directory")
    files = sorted(
        os.path.join(dirpath, name)
        for dirpath, _, names in os.walk(root)
        for name in names
        if name.lower().endswith(IMAGE_EXTENSIONS)
    )
    if not files:
        raise DataError(
            f"image folder {root!r} holds no {'/'.join(e[1:] for e in IMAGE_EXTENSIONS)} files"
        )
    return files


def decode_file(path: str) -> np.ndarray:
    """Decodes one image file to float32 [H, W, C] in [0, 1] (C as stored); raises DataError naming the file."""
    try:
        data = tf.io.read_file(path)
        image = tf.io.decode_image(data, expand_animations=False)
    except (tf.errors.InvalidArgumentError, tf.errors.NotFoundError) as err:
        reason = err.message.splitlines()[0].split("}}")[-1].split("[Op:")[0].strip()
        raise DataError(
            f"cannot decode image file {path!r} ({reason}); "
            "remove it or set config.data.skip_corrupt=True"
        ) from None
    return tf.image.convert_image_dtype(image, tf.float32).numpy()


def load_folder(root: str, image_size: int, channels: int, skip_corrupt: bool = False) -> np.ndarray:
    """Loads every image under ``root`` as uint8 [N, S, S, channels] (centre square crop, resize)."""
    files = list_images(root)
    images, skipped = [], []
    for path in progress_bar(files, desc="decoding images", unit="img"):
        try:
            images.append(to_uint8_images(decode_file(path)[None], image_size, channels)[0])
        except DataError:
            if not skip_corrupt:
                raise
            skipped.append(path)
    if skipped:
        logging.warning("skipped %d corrupt image file(s) in %s, e.g. %s", len(skipped), root, skipped[0])
    if not images:
        raise DataError(f"no readable images in {root!r} ({len(skipped)} corrupt files skipped)")
    logging.info("loaded %d images from %s (%d skipped)", len(images), root, len(skipped))
    return np.stack(images)


@SOURCES.register("folder")
def folder(cfg: Any, argument: str | None = None) -> Source:
    """All PNG/JPEG/BMP/GIF files below ``folder:PATH`` (recursive), as one in-memory array."""
    images = load_folder(argument or "", cfg.image_size, cfg.channels, bool(cfg.get("skip_corrupt", False)))
    return ArraySource(f"folder:{argument}", "image", images)


@SOURCES.register("tfds")
def tfds_source(cfg: Any, argument: str | None = None) -> Source:
    """A tensorflow-datasets dataset ``tfds:NAME[:SPLIT]`` (default split ``train``), held in memory.

    The dataset must already be prepared in ``cfg.tfds_data_dir`` (or the TFDS
    default); nothing is downloaded unless ``cfg.tfds_download`` is True. The
    ``image`` feature is used, and ``label`` when present; at most
    ``cfg.max_examples`` examples are loaded (0 = all).
    """
    import tensorflow_datasets as tfds

    if not argument:
        raise ConfigError("tfds source needs a name: use source='tfds:mnist' or 'tfds:mnist:train'")
    name, _, split = argument.partition(":")
    split = split or "train"
    try:
        builder = tfds.builder(name, data_dir=cfg.get("tfds_data_dir") or None)
    except tfds.core.registered.DatasetNotFoundError:
        raise ConfigError(f"unknown tensorflow-datasets name {name!r}; see tfds.list_builders()") from None
    if cfg.get("tfds_download", False):
        builder.download_and_prepare()
    try:
        ds = builder.as_dataset(split=split)
    except (AssertionError, FileNotFoundError, tf.errors.NotFoundError) as err:
        raise DataError(
            f"tensorflow-datasets {name!r} split {split!r} is not prepared in {builder.data_dir!r} ({err}); "
            "run tfds.builder(name).download_and_prepare() on a machine with internet and copy the data dir, "
            "or set config.data.tfds_download=True"
        ) from None
    limit = int(cfg.get("max_examples", 0))
    if limit:
        ds = ds.take(limit)
    images, labels = [], []
    for example in progress_bar(tfds.as_numpy(ds), desc=f"loading {name}", unit="ex"):
        images.append(to_uint8_images(example["image"][None] / 255.0, cfg.image_size, cfg.channels)[0])
        if "label" in example:
            labels.append(int(example["label"]))
    if not images:
        raise DataError(f"tensorflow-datasets {name!r} split {split!r} is empty")
    features = builder.info.features
    num_classes = features["label"].num_classes if "label" in features and labels else 0
    return ArraySource(
        f"tfds:{argument}", "image", np.stack(images),
        np.array(labels, np.int32) if labels else None, num_classes=num_classes,
    )
