"""Data that ships inside installed packages and works offline: digits, LFW faces, photos."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import tensorflow as tf

from tfgan_apps.data.augment import random_flips
from tfgan_apps.data.source import ArraySource, Source, to_uint8_images
from tfgan_apps.errors import ConfigError
from tfgan_apps.registry import SOURCES

# Photos bundled with scikit-image that load without a download.
BUNDLED_PHOTOS = (
    "astronaut", "coffee", "chelsea", "rocket", "hubble_deep_field", "immunohistochemistry",
    "retina", "camera", "brick", "grass", "gravel", "moon", "cat", "coins", "clock", "page", "text",
    "motorcycle", "china", "flower",
)


def _sklearn_sample(name: str) -> np.ndarray:
    """One of the two JPEG photos that ship with scikit-learn (``china.jpg``, ``flower.jpg``; 427×640 RGB)."""
    from sklearn.datasets import load_sample_image

    return load_sample_image(f"{name}.jpg")


# Photos that are not a plain ``skimage.data.<name>()`` call: "motorcycle" is the left view of scikit-image's
# stereo pair; "china" and "flower" are scikit-learn's sample images.
_LOADERS = {
    "motorcycle": lambda data: data.stereo_motorcycle()[0],
    "china": lambda data: _sklearn_sample("china"),
    "flower": lambda data: _sklearn_sample("flower"),
}


@SOURCES.register("digits")
def digits(cfg: Any, argument: str | None = None) -> Source:
    """The 1797 8×8 sklearn digits, resized to ``cfg.image_size``, with labels 0–9."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = to_uint8_images(bunch.images / 16.0, cfg.image_size, cfg.channels)
    return ArraySource("digits", "image", images, bunch.target.astype(np.int32), num_classes=10)


#: ``lfw:ARGUMENT`` choices: the faces only (no argument) or scikit-image's whole subset.
LFW_PARTS = ("all",)


@SOURCES.register("lfw")
def lfw(cfg: Any, argument: str | None = None) -> Source:
    """Faces from scikit-image's bundled ``lfw_subset`` (25×25 grey, resized to ``cfg.image_size``).

    The subset holds 100 face crops from Labeled Faces in the Wild followed by 100
    non-face patches (its purpose is face detection). ``lfw`` is the 100 faces
    (unlabelled: one class), what a face GAN trains on; ``lfw:all`` is all 200
    with labels (1 = face, 0 = non-face), for labelled uses such as anomaly
    detection.
    """
    from skimage.data import lfw_subset

    if argument not in (None, "", *LFW_PARTS):
        raise ConfigError(f"unknown LFW part {argument!r} in data.source; use 'lfw' (the 100 faces) "
                          "or 'lfw:all' (100 faces and 100 non-faces, labelled)")
    patches = lfw_subset()
    images = to_uint8_images(patches, cfg.image_size, cfg.channels)
    if argument == "all":
        labels = np.array([1] * 100 + [0] * 100, np.int32)
        return ArraySource("lfw:all", "image", images, labels, num_classes=2)
    return ArraySource("lfw", "image", images[:100])


def load_photo(name: str) -> np.ndarray:
    """Loads a bundled scikit-image (or scikit-learn) photo as float32 RGB in [0, 1] (grey photos repeated)."""
    import skimage.data

    if name not in BUNDLED_PHOTOS:
        raise ConfigError(f"unknown bundled photo {name!r}; valid choices: {', '.join(BUNDLED_PHOTOS)}")
    loader = _LOADERS.get(name, lambda data: getattr(data, name)())
    photo = np.asarray(loader(skimage.data), np.float32)
    if photo.max() > 1.0:
        photo = photo / 255.0
    if photo.ndim == 2:
        photo = np.repeat(photo[..., None], 3, axis=-1)
    return photo[..., :3]


def check_held_out_photos(eval_names: Sequence[str], train_names: Sequence[str],
                          training: str = "training photos") -> None:
    """ConfigError if a held-out photo is also a training photo, by name or by identical pixels.

    Used wherever bundled photos are split into training and held-out sets (the paired restoration
    pipeline, both domains of unpaired translation), so a held-out score never sees a training picture.
    """
    overlap = sorted(set(eval_names) & set(train_names))
    if overlap:
        raise ConfigError(f"held-out photo(s) {', '.join(overlap)} are also {training}")
    train = {name: load_photo(name) for name in train_names}
    for name in eval_names:
        photo = load_photo(name)
        for other, pixels in train.items():
            if photo.shape == pixels.shape and np.array_equal(photo, pixels):
                raise ConfigError(f"held-out photo {name!r} is the same picture as training photo {other!r}")


class PhotoCrops(Source):
    """Random square crops of a set of photos (generative: every batch is new crops).

    Photos are stored zero-padded in one uint8 tensor; a crop is taken with
    ``tf.image.crop_and_resize`` on boxes that land on exact pixel centres, so
    it is a plain crop, vectorised over the batch. The photo for each crop is
    chosen with probability proportional to its area. Each crop is flipped
    horizontally at random, or with ``dihedral`` given one of the 8 rotations /
    reflections (``augment.random_flips``).
    """

    def __init__(self, name: str, photos: Sequence[np.ndarray], crop: int, channels: int,
                 dihedral: bool = False) -> None:
        for i, p in enumerate(photos):
            if min(p.shape[:2]) < crop:
                raise ConfigError(f"photo #{i} ({p.shape[0]}×{p.shape[1]}) is smaller than the crop size {crop}")
        super().__init__(name=name, kind="image", shape=(crop, crop, channels))
        self.crop, self.dihedral = crop, dihedral
        height = max(p.shape[0] for p in photos)
        width = max(p.shape[1] for p in photos)
        stack = np.zeros((len(photos), height, width, 3), np.uint8)
        for i, p in enumerate(photos):
            stack[i, : p.shape[0], : p.shape[1]] = np.round(p * 255)
        self._stack = stack
        self._sizes = np.array([p.shape[:2] for p in photos], np.float32)
        self._area_logits = np.log(self._sizes.prod(axis=1) / self._sizes.prod(axis=1).sum())
        self._channels = channels
        self._stack_tensor = tf.constant(stack)

    def load(self, positions: tf.Tensor, indices: tf.Tensor, seed: tf.Tensor) -> dict[str, tf.Tensor]:
        batch = tf.shape(positions)[0]
        seeds = tf.random.experimental.stateless_split(seed, 3)
        which = tf.random.stateless_categorical(
            tf.constant(self._area_logits[None], tf.float32), batch, seed=seeds[0]
        )[0]
        sizes = tf.gather(tf.constant(self._sizes), which)
        unit = tf.random.stateless_uniform([batch, 2], seed=seeds[1])
        top_left = tf.floor(unit * (sizes - self.crop + 1))
        full = tf.constant([self._stack.shape[1] - 1, self._stack.shape[2] - 1], tf.float32)
        boxes = tf.concat([top_left / full, (top_left + self.crop - 1) / full], axis=1)
        crops = tf.image.crop_and_resize(
            self._stack_tensor, boxes, tf.cast(which, tf.int32), (self.crop, self.crop), method="nearest"
        )
        (crops,) = random_flips([crops], seeds[2], self.dihedral)
        if self._channels == 1:
            crops = tf.image.rgb_to_grayscale(crops)
        return {"x": crops / 127.5 - 1.0}

    def examples(self, limit: int | None = None) -> np.ndarray:
        n = limit or 1024
        out = self.load(tf.range(n, dtype=tf.int64), tf.zeros([n], tf.int64), tf.constant([0, 0], tf.int64))
        return out["x"].numpy()


@SOURCES.register("photos")
def photos(cfg: Any, argument: str | None = None) -> Source:
    """Random ``image_size`` crops (with horizontal flips) of the bundled photos in ``cfg.photos``.

    ``cfg.photo_scale`` (default 1.0) shrinks every photo first, so a crop covers
    more of the scene; ``cfg.dihedral`` adds vertical flips and transposes.
    """
    names = list(argument.split(",")) if argument else list(cfg.get("photos", ("astronaut", "coffee", "chelsea")))
    scale = float(cfg.get("photo_scale", 1.0))
    loaded = []
    for name in names:
        photo = load_photo(name)
        if scale != 1.0:
            size = (max(1, round(photo.shape[0] * scale)), max(1, round(photo.shape[1] * scale)))
            photo = tf.image.resize(photo, size, antialias=True).numpy().clip(0, 1)
        loaded.append(photo)
    return PhotoCrops("photos:" + ",".join(names), loaded, cfg.image_size, cfg.channels,
                      bool(cfg.get("dihedral", False)))
