"""Unpaired data for image translation (CycleGAN): two image domains A and B drawn independently.

Sources (``config.data.source``)
  ``unpaired:SOURCE_A|SOURCE_B``
      any two existing sources, e.g. ``unpaired:photos:astronaut,rocket|photos:camera,coins`` or
      ``unpaired:folder:/data/horses|tfds:cycle_gan/horse2zebra:trainB``. Both are built with the same
      ``image_size`` and ``channels``.
  ``unpaired_folder:A_DIR,B_DIR``
      the images under two folders (``folder:`` rules: recursive, centre square crop, resize).
  ``cycle_gan:NAME[:SPLIT]``
      the TFDS ``cycle_gan/NAME`` datasets (``horse2zebra``, ``summer2winter_yosemite``, ...):
      ``trainA`` | ``trainB`` (SPLIT ``train``, the default) or ``testA`` | ``testB`` (SPLIT ``test``).
      The data must be prepared already (``tfds`` source rules; nothing is downloaded by default).

Batches are ``{"a": [B, S, S, C], "b": [B, S, S, C], "x": the "a" tensor}`` in [-1, 1] (``"x"`` is an alias
of ``"a"``, because the training template's batch contract names the samples ``x``). Nothing pairs them: each
domain has its own random stream. A finite domain is read in a fresh stateless permutation per epoch,
seeded by (data seed, epoch, domain), so A's and B's orders are unrelated even when both are the same
images; a generative domain (``photos`` crops) is drawn with its own split of the batch seed. Every
batch is still a pure function of (data seed, step), so resumed runs see the same batches.

Domain degradations (the offline demonstrations)
  ``config.data.degradation_a`` / ``degradation_b`` (degradation specs, ``data/degradations.py``)
  are applied to that domain only, with their own seeds. With ``photos`` halves this makes a
  translation task with a known answer: A = clean crops of some training photos, B = *other* photos
  with synthetic rain or night; ``held_out_translation`` gives the held-out photos (``data.eval_photos``,
  in neither domain) degraded by ``degradation_b`` next to their clean truth, for PSNR/SSIM of B→A.
  ``config.data.degradation`` (the paired pipeline's) is refused for unpaired sources.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as tf

from tfgan_apps.data.degradations import Degradation, build_degradation
from tfgan_apps.data.folder import folder
from tfgan_apps.data.source import Source
from tfgan_apps.errors import ConfigError
from tfgan_apps.registry import SOURCES

DOMAINS = ("a", "b")
"""Batch keys of the two domains."""


def _spec_value(cfg: Any, key: str) -> Any:
    spec = cfg.get(key, None)
    if hasattr(spec, "to_dict"):
        spec = spec.to_dict()
    return spec or None


def domain_degradations(cfg: Any) -> tuple[Degradation | None, Degradation | None]:
    """The degradations of domain A and B from ``data.degradation_a`` / ``degradation_b`` (None when unset)."""
    specs = (_spec_value(cfg, "degradation_a"), _spec_value(cfg, "degradation_b"))
    return tuple(build_degradation(s) if s else None for s in specs)  # type: ignore[return-value]


def shuffled_indices(positions: tf.Tensor, size: int, data_seed: tf.Tensor, stream: int) -> tf.Tensor:
    """Example indices for global ``positions`` [B]: epoch ``p // size`` is a stateless permutation of ``size``.

    The permutation of epoch ``e`` is seeded by ``(data_seed, 2·e + stream)``, so the two domains
    (``stream`` 0 and 1) are shuffled independently, and the result depends on nothing but the
    position: a resumed pipeline reproduces it.
    """
    positions = tf.cast(positions, tf.int64)
    epochs = positions // size
    first = tf.reduce_min(epochs)

    def permutation(epoch: tf.Tensor) -> tf.Tensor:
        keys = tf.random.stateless_uniform([size], seed=tf.stack([tf.cast(data_seed, tf.int64), 2 * epoch + stream]))
        return tf.argsort(keys, stable=True)

    perms = tf.map_fn(permutation, tf.range(first, tf.reduce_max(epochs) + 1),
                      fn_output_signature=tf.TensorSpec([size], tf.int32))
    return tf.gather_nd(perms, tf.stack([epochs - first, positions % size], axis=1))


class UnpairedSource(Source):
    """Two sources drawn independently into ``{"a", "b"}`` batches, each optionally degraded (module docstring).

    Generative from the pipeline's point of view (``size=None``): it does its own per-domain shuffling.
    ``examples()`` returns domain B (the target of G: A → B); ``domain_examples("a")`` either domain.
    """

    def __init__(self, name: str, domain_a: Source, domain_b: Source, degradation_a: Degradation | None = None,
                 degradation_b: Degradation | None = None) -> None:
        if domain_a.kind != "image" or domain_b.kind != "image":
            raise ConfigError(f"unpaired translation needs two image sources, got {domain_a.kind} and {domain_b.kind}")
        if tuple(domain_a.shape) != tuple(domain_b.shape):
            raise ConfigError(f"the two domains give different shapes {domain_a.shape} and {domain_b.shape}; "
                              "they are built with the same data.image_size and data.channels")
        super().__init__(name=name, kind="image", shape=tuple(domain_a.shape),
                         info={"domains": (domain_a.name, domain_b.name),
                               "domain_sizes": (domain_a.size, domain_b.size), "unpaired": True})
        self.domains = {"a": domain_a, "b": domain_b}
        self.degradations = {"a": degradation_a, "b": degradation_b}

    def _draw(self, key: str, positions: tf.Tensor, seed: tf.Tensor, data_seed: tf.Tensor) -> tf.Tensor:
        domain, stream = self.domains[key], DOMAINS.index(key)
        if domain.size:
            indices = shuffled_indices(positions, domain.size, data_seed, stream)
        else:
            indices = tf.zeros_like(positions, tf.int32)
        seeds = tf.random.experimental.stateless_split(seed, 2)
        images = tf.cast(domain.load(positions, indices, seeds[0])["x"], tf.float32)
        degradation = self.degradations[key]
        return images if degradation is None else degradation(images, seeds[1])

    def load(self, positions: tf.Tensor, indices: tf.Tensor, seed: tf.Tensor) -> dict[str, tf.Tensor]:
        """``{"a", "b", "x"}`` ("x" aliases "a"); ``indices`` is unused, ``seed[0]`` (the data seed) keys the
        per-epoch permutations."""
        del indices
        seeds = tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), 2)
        batch = {key: self._draw(key, positions, seeds[i], tf.cast(seed, tf.int64)[0])
                 for i, key in enumerate(DOMAINS)}
        batch["x"] = batch["a"]
        return batch

    def domain_examples(self, key: str, limit: int | None = None) -> np.ndarray:
        """Up to ``limit`` images of domain ``key`` ("a" or "b"), degraded as in training (fixed seed)."""
        if key not in DOMAINS:
            raise ConfigError(f"unknown domain {key!r}; valid choices: a, b")
        n = limit or 256
        domain = self.domains[key]
        if domain.size:
            n = min(n, domain.size) if limit is None else n
        positions = tf.range(n, dtype=tf.int64)
        return self._draw(key, positions, tf.constant([0, DOMAINS.index(key)], tf.int64),
                          tf.constant(0, tf.int64)).numpy()

    def examples(self, limit: int | None = None) -> np.ndarray:
        return self.domain_examples("b", limit)


def _check_no_paired_degradation(cfg: Any) -> None:
    if _spec_value(cfg, "degradation"):
        raise ConfigError("unpaired sources take config.data.degradation_a / degradation_b (one per domain), "
                          "not config.data.degradation; move the spec to data.degradation_b")


def _build(cfg: Any, spec: str) -> Source:
    from tfgan_apps.data.pipeline import parse_source

    name, argument = parse_source(spec.strip())
    if name in ("unpaired", "unpaired_folder", "cycle_gan"):
        raise ConfigError(f"an unpaired domain cannot itself be unpaired: {spec!r}")
    return SOURCES.get(name)(cfg, argument)


def make_unpaired(cfg: Any, name: str, spec_a: str, spec_b: str) -> UnpairedSource:
    """An ``UnpairedSource`` of two source specs, with ``cfg``'s domain degradations."""
    _check_no_paired_degradation(cfg)
    degradation_a, degradation_b = domain_degradations(cfg)
    return UnpairedSource(name, _build(cfg, spec_a), _build(cfg, spec_b), degradation_a, degradation_b)


@SOURCES.register("unpaired")
def unpaired(cfg: Any, argument: str | None = None) -> Source:
    """``unpaired:SOURCE_A|SOURCE_B``: two existing sources as translation domains A and B."""
    parts = (argument or "").split("|")
    if len(parts) != 2 or not all(p.strip() for p in parts):
        raise ConfigError(f"unpaired needs two sources: source='unpaired:SOURCE_A|SOURCE_B' "
                          f"(e.g. 'unpaired:photos:astronaut|photos:camera'), got {argument!r}")
    return make_unpaired(cfg, f"unpaired:{argument}", parts[0], parts[1])


@SOURCES.register("unpaired_folder")
def unpaired_folder(cfg: Any, argument: str | None = None) -> Source:
    """``unpaired_folder:A_DIR,B_DIR``: the images of two folders as domains A and B."""
    parts = (argument or "").split(",")
    if len(parts) != 2 or not all(p.strip() for p in parts):
        raise ConfigError(f"unpaired_folder needs two folders: source='unpaired_folder:A_DIR,B_DIR', got {argument!r}")
    _check_no_paired_degradation(cfg)
    degradation_a, degradation_b = domain_degradations(cfg)
    return UnpairedSource(f"unpaired_folder:{argument}", folder(cfg, parts[0].strip()), folder(cfg, parts[1].strip()),
                          degradation_a, degradation_b)


@SOURCES.register("cycle_gan")
def cycle_gan(cfg: Any, argument: str | None = None) -> Source:
    """``cycle_gan:NAME[:train|test]``: TFDS ``cycle_gan/NAME`` splits trainA | trainB (or testA | testB)."""
    name, _, split = (argument or "").partition(":")
    split = split or "train"
    if not name or split not in ("train", "test"):
        raise ConfigError(f"cycle_gan needs a dataset name and an optional split train|test: "
                          f"source='cycle_gan:horse2zebra' or 'cycle_gan:horse2zebra:test', got {argument!r}")
    return make_unpaired(cfg, f"cycle_gan:{argument}", f"tfds:cycle_gan/{name}:{split}A",
                         f"tfds:cycle_gan/{name}:{split}B")


# ----------------------------------------------------------------------------- held-out evaluation


def domain_photos(cfg: Any) -> list[str]:
    """Names of the bundled photos used by either domain of an ``unpaired:photos:...|photos:...`` source."""
    source = str(cfg.get("source", ""))
    names: list[str] = []
    if source.startswith("unpaired:"):
        for spec in source.partition(":")[2].split("|"):
            kind, _, argument = spec.strip().partition(":")
            if kind == "photos":
                names += argument.split(",") if argument else list(cfg.get("photos", ()))
    return names


def held_out_translation(cfg: Any) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(name, B-domain input, clean truth) for every ``data.eval_photos`` photo, in [-1, 1].

    Each held-out photo is centre-cropped to ``data.eval_crop`` and degraded by ``data.degradation_b``
    with the fixed seed ``(data.eval_seed, i)`` (``paired.held_out_pairs``). ConfigError if a held-out
    photo is a training photo of either domain, or if there is no ``degradation_b`` to make the inputs.
    """
    from tfgan_apps.data.bundled import check_held_out_photos
    from tfgan_apps.data.paired import held_out_pairs

    eval_names = list(cfg.get("eval_photos", None) or ())
    if not eval_names:
        return []
    check_held_out_photos(eval_names, domain_photos(cfg), training="training photos of a domain")
    _, degradation_b = domain_degradations(cfg)
    if degradation_b is None:
        raise ConfigError("held-out translation pairs need data.degradation_b (the B domain's degradation)")
    plain = {k: cfg.get(k) for k in ("eval_photos", "eval_crop", "eval_seed", "channels") if k in cfg}
    return held_out_pairs(_Plain(plain), degradation_b)


class _Plain(dict):
    """A dict with attribute access (``held_out_pairs`` reads ``cfg.channels``), without the unpaired source."""

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None
