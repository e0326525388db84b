"""Small layer factories shared by the network builders (normalisation, spectral norm)."""

from __future__ import annotations

import keras

from tfgan_apps.errors import ConfigError
from tfgan_apps.nets.fused_batchnorm import FusedBatchNormalization
from tfgan_apps.nets.virtual_batchnorm import VirtualBatchNormalization

NORMS = ("batch", "layer", "instance", "virtual_batch", "none")


def normalization(kind: str, sync_batchnorm: bool = False, name: str | None = None) -> keras.layers.Layer:
    """Returns a normalisation layer by name.

    ``batch`` uses momentum 0.9 / epsilon 1e-5 (the DCGAN reference values) and is
    synchronised across replicas when ``sync_batchnorm`` is set (multi-replica
    strategies), so per-replica statistics equal single-device ones. Its training
    pass runs TensorFlow's fused kernel (``fused_batchnorm.FusedBatchNormalization``:
    the same result to float rounding, 9–12 % less CPU per 64² DCGAN step in
    ``benchmarks/results/train_speed.md``); synchronised BN keeps Keras' own code. ``instance`` is
    ``GroupNormalization(groups=-1)``; ``virtual_batch`` is virtual batch normalisation (Salimans et al.
    2016, §3.5; ``virtual_batchnorm.VirtualBatchNormalization``), which needs the model to prepend its
    reference batch (``config.model.stabilizers.virtual_batch`` = N); ``none`` is the identity.
    """
    if kind == "batch":
        return FusedBatchNormalization(momentum=0.9, epsilon=1e-5, synchronized=sync_batchnorm, name=name)
    if kind == "layer":
        return keras.layers.LayerNormalization(name=name)
    if kind == "instance":
        return keras.layers.GroupNormalization(groups=-1, name=name)
    if kind == "virtual_batch":
        return VirtualBatchNormalization(epsilon=1e-5, name=name)
    if kind == "none":
        return keras.layers.Identity(name=name)
    raise ConfigError(f"unknown normalization {kind!r}; valid choices: {', '.join(NORMS)}")


def maybe_spectral(layer: keras.layers.Layer, spectral_norm: bool) -> keras.layers.Layer:
    """Wraps ``layer`` in ``keras.layers.SpectralNormalization`` when requested."""
    return keras.layers.SpectralNormalization(layer) if spectral_norm else layer


def check_power_of_two(size: int, minimum: int, what: str) -> int:
    """Returns log2(size / minimum) or raises ConfigError if size is not minimum·2^k."""
    steps = 0
    value = size
    while value > minimum and value % 2 == 0:
        value //= 2
        steps += 1
    if value != minimum:
        raise ConfigError(
            f"{what} must be {minimum}·2^k (e.g. 16, 32, 64), got {size}; "
            "set config.data.image_size accordingly"
        )
    return steps
