"""``tf.distribute`` strategy from the config: default | one_device | mirrored | multi_worker | tpu."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import tensorflow as tf
from absl import logging

from tfgan_apps.config import STRATEGIES
from tfgan_apps.errors import ConfigError


def replica_info() -> tuple[Any, int]:
    """(replica id, number of replicas in sync) of the current replica context."""
    ctx = tf.distribute.get_replica_context()
    if ctx is None:  # cross-replica context: behave as a single replica
        return 0, 1
    return ctx.replica_id_in_sync_group, ctx.num_replicas_in_sync


def replica_draw(draw: Callable[[tf.Tensor], Any], batch_size: tf.Tensor) -> Any:
    """This replica's ``batch_size`` rows of one draw made for the *global* batch.

    ``draw(n)`` returns a tensor (or a nest of tensors) with ``n`` rows from a
    seed shared by every replica; each replica keeps its own slice, so a run on
    R replicas uses exactly the random numbers of a single-device run with the
    same global batch.
    """
    replica_id, replicas = replica_info()
    batch_size = tf.cast(batch_size, tf.int32)
    start = tf.cast(replica_id, tf.int32) * batch_size
    return tf.nest.map_structure(lambda t: t[start : start + batch_size], draw(batch_size * replicas))


def cross_replica_sum(value: Any) -> Any:
    """Sum of ``value`` (a tensor or a nest of tensors) over the replicas; identity on one replica.

    Per-replica partial means (``sum over this replica's examples / global batch``) become global means.
    """
    ctx = tf.distribute.get_replica_context()
    if ctx is None or ctx.num_replicas_in_sync == 1:
        return value
    return ctx.all_reduce(tf.distribute.ReduceOp.SUM, value)


def gather_replicas(x: tf.Tensor) -> tf.Tensor:
    """The global batch of ``x`` concatenated over replicas (differentiable; identity on one replica)."""
    ctx = tf.distribute.get_replica_context()
    if ctx is None or ctx.num_replicas_in_sync == 1:
        return x
    return ctx.all_gather(x, axis=0)


def global_batch_mean(x: tf.Tensor) -> tf.Tensor:
    """Mean over the GLOBAL batch of ``x`` ``[B, ...]`` → ``[1, ...]`` (summed across replicas, differentiable)."""
    _, replicas = replica_info()
    x = tf.cast(x, tf.float32)
    total = cross_replica_sum(tf.reduce_sum(x, axis=0, keepdims=True))
    return total / tf.cast(tf.shape(x)[0] * replicas, tf.float32)


def is_multi_worker(strategy: tf.distribute.Strategy) -> bool:
    """True for a ``MultiWorkerMirroredStrategy`` whose ``TF_CONFIG`` names a cluster of several tasks."""
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return False
    cluster = strategy.cluster_resolver.cluster_spec().as_dict()
    return sum(len(tasks) for tasks in cluster.values()) > 1


def split_cpu(count: int) -> None:
    """Splits the physical CPU into ``count`` logical devices (call before TF initialises devices)."""
    if count <= 1:
        return
    cpus = tf.config.list_physical_devices("CPU")
    current = tf.config.get_logical_device_configuration(cpus[0])
    if current is not None and len(current) == count:
        return
    try:
        tf.config.set_logical_device_configuration(cpus[0], [tf.config.LogicalDeviceConfiguration()] * count)
    except RuntimeError as err:
        raise ConfigError(
            f"cannot split the CPU into {count} logical devices after TensorFlow started: {err}"
        ) from None


def strategy_from(name: str, tpu: str = "") -> tf.distribute.Strategy:
    """Returns the named strategy.

    ``mirrored`` uses every GPU, or every logical CPU device when there is no
    GPU (see ``train.logical_cpus``); ``multi_worker`` reads the cluster from the
    ``TF_CONFIG`` environment variable; ``tpu`` connects to ``tpu`` (an address
    or name, empty for a local TPU VM).
    """
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "one_device":
        gpus = tf.config.list_logical_devices("GPU")
        return tf.distribute.OneDeviceStrategy(gpus[0].name if gpus else "/cpu:0")
    if name == "mirrored":
        devices = [d.name for d in tf.config.list_logical_devices("GPU")] or [
            d.name for d in tf.config.list_logical_devices("CPU")
        ]
        logging.info("MirroredStrategy over %s", devices)
        return tf.distribute.MirroredStrategy(devices)
    if name == "multi_worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    if name == "tpu":
        try:
            resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=tpu or None)
            tf.config.experimental_connect_to_cluster(resolver)
            tf.tpu.experimental.initialize_tpu_system(resolver)
        except (ValueError, RuntimeError, tf.errors.OpError) as err:
            where = f"at {tpu!r}" if tpu else "on this machine (not a TPU VM)"
            raise ConfigError(
                f"strategy=tpu: no TPU found {where} ({type(err).__name__}: {str(err).splitlines()[0][:200]}); "
                "run on a TPU VM or set --config.train.tpu=NAME_OR_GRPC_ADDRESS, or pick another strategy"
            ) from None
        return tf.distribute.TPUStrategy(resolver)
    raise ConfigError(f"unknown strategy {name!r}; valid choices: {', '.join(STRATEGIES)}")
