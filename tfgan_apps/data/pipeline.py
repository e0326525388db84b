"""The one input pipeline every model uses: source → deterministic shuffled batches → prefetch.

``make_dataset`` yields dicts ``{"x": [B, ...] float32 in [-1, 1], "label": [B] int32?}``.
Batch number ``s`` is a pure function of (seed, s): finite sources are shuffled
with a fresh stateless permutation per epoch and generative sources draw with
stateless seeds derived from the element position. A run resumed at step ``s``
therefore starts the pipeline at ``start_step=s`` and sees exactly the batches an
uninterrupted run would have seen.

A model with ``d_steps`` > 1 receives ``d_steps`` slices in one batch and splits
its replica's rows into ``d_steps`` parts; with ``replicas`` > 1 the rows are
reordered replica-major (``replica_major``) so that discriminator update i sees
the same global rows on any number of replicas.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import tensorflow as tf

from tfgan_apps.data.source import Source
from tfgan_apps.errors import ConfigError
from tfgan_apps.registry import SOURCES

_FOREVER = 2**62


def parse_source(spec: str) -> tuple[str, str | None]:
    """Splits ``"folder:/data"`` into ("folder", "/data"); plain names have no argument."""
    name, sep, argument = spec.partition(":")
    return name, (argument if sep else None)


def load_source(cfg: Any) -> Source:
    """Builds the source named by ``cfg.source`` (see ``SOURCES.names()``)."""
    if not isinstance(cfg.source, str) or not cfg.source:
        raise ConfigError("config.data.source must be a non-empty string such as 'digits'")
    name, argument = parse_source(cfg.source)
    from tfgan_apps.data import anomaly

    if anomaly.enabled(cfg):  # normal-only training data (data/anomaly.py)
        return anomaly.load_split(cfg).train
    return SOURCES.get(name)(cfg, argument)


def _epoch_indices(size: int, seed: int, first_epoch: tf.Tensor) -> tf.data.Dataset:
    """An endless stream of example indices: one stateless permutation per epoch."""

    def permutation(epoch: tf.Tensor) -> tf.data.Dataset:
        keys = tf.random.stateless_uniform([size], seed=tf.stack([tf.constant(seed, tf.int64), epoch]))
        return tf.data.Dataset.from_tensor_slices(tf.argsort(keys, stable=True))

    return tf.data.Dataset.range(first_epoch, _FOREVER).flat_map(permutation)


def replica_major(batch: dict[str, tf.Tensor], d_steps: int, replicas: int) -> dict[str, tf.Tensor]:
    """Reorders a global batch of ``d_steps`` slices from slice-major to replica-major.

    ``tf.distribute`` hands replica r the r-th contiguous block of a batch, and a
    model splits that block into ``d_steps`` parts. Rows laid out as
    [replica, slice, row] make part i of every replica together equal slice i
    of the single-device batch, so runs on R replicas see the same data per update.
    """
    if d_steps == 1 or replicas == 1:
        return batch

    def reorder(t: tf.Tensor) -> tf.Tensor:
        shape = tf.shape(t)
        blocks = tf.reshape(t, tf.concat([[d_steps, replicas, -1], shape[1:]], 0))
        perm = [1, 0, *range(2, len(t.shape) + 2)]
        return tf.reshape(tf.transpose(blocks, perm), shape)

    return {name: reorder(t) for name, t in batch.items()}


def make_dataset(
    source: Source,
    batch_size: int,
    seed: int = 0,
    start_step: int = 0,
    shuffle: bool = True,
    degradation: Callable[[tf.Tensor, tf.Tensor], tf.Tensor] | None = None,
    d_steps: int = 1,
    replicas: int = 1,
) -> tf.data.Dataset:
    """Endless batches of ``batch_size`` (the *global* batch) starting at step ``start_step``.

    Args:
      source: a data source from ``load_source``.
      batch_size: global batch size; ``tf.distribute`` splits it across replicas.
      seed: data seed; two pipelines with equal seeds yield equal batches.
      start_step: number of batches already consumed (for exact resume).
      shuffle: permute finite sources per epoch (False: sequential order).
      degradation: optional ``(images, seed) -> degraded`` (see ``data.degradations``);
        when given, each batch also holds ``"input"``: the degraded ``"x"``, seeded
        per batch so resumed runs degrade identically (restoration applications).
      d_steps, replicas: slices per batch and replicas in sync (see ``replica_major``).
    """
    if batch_size <= 0:
        raise ConfigError(f"batch size must be positive, got {batch_size}")
    if batch_size % (d_steps * replicas):
        raise ConfigError(
            f"batch size {batch_size} is not divisible by d_steps × replicas = {d_steps} × {replicas}; "
            "pick a data.batch_size that the number of replicas divides"
        )
    first = int(start_step) * int(batch_size)
    positions = tf.data.Dataset.range(first, _FOREVER)
    if source.size:
        if shuffle:
            indices = _epoch_indices(source.size, seed, tf.constant(first // source.size, tf.int64)).skip(
                first % source.size
            )
        else:
            indices = tf.data.Dataset.range(first, _FOREVER).map(lambda p: p % source.size)
    else:
        indices = tf.data.Dataset.range(first, _FOREVER).map(lambda p: tf.zeros_like(p))
    ds = tf.data.Dataset.zip(positions, indices).batch(batch_size, drop_remainder=True)

    def load(pos: tf.Tensor, idx: tf.Tensor) -> dict[str, tf.Tensor]:
        batch_seed = tf.stack([tf.constant(seed, tf.int64), pos[0]])
        batch = source.load(pos, tf.cast(idx, tf.int32), batch_seed)
        if degradation is not None and "input" not in batch:
            batch["input"] = degradation(batch["x"], batch_seed + tf.constant([1, 0], tf.int64))
        return replica_major(batch, d_steps, replicas)

    ds = ds.map(load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    options = tf.data.Options()
    options.deterministic = True
    # Every worker builds the same stream; DATA sharding makes worker i take batches i, i+W, ...
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return ds.with_options(options).prefetch(tf.data.AUTOTUNE)
