"""Multi-layer perceptrons for low-dimensional data (2-D mixtures of Gaussians)."""

from __future__ import annotations

import math

import keras

from tfgan_apps.nets.layers import maybe_spectral
from tfgan_apps.registry import DISCRIMINATORS, GENERATORS


@GENERATORS.register("mlp")
def mlp_generator(
    latent_dim: int,
    output_shape: tuple[int, ...],
    width: int = 128,
    depth: int = 3,
    name: str = "generator",
) -> keras.Model:
    """Builds z → x with ``depth`` ReLU hidden layers and a linear output of ``output_shape``."""
    z = keras.Input((latent_dim,), name="z")
    x = z
    for _ in range(depth):
        x = keras.layers.Dense(width, activation="relu")(x)
    x = keras.layers.Dense(math.prod(output_shape), dtype="float32")(x)
    out = keras.layers.Reshape(tuple(output_shape), dtype="float32", name="sample")(x)
    return keras.Model(z, out, name=name)


@DISCRIMINATORS.register("mlp")
def mlp_discriminator(
    input_shape: tuple[int, ...],
    width: int = 128,
    depth: int = 3,
    spectral_norm: bool = False,
    name: str = "discriminator",
) -> keras.Model:
    """Builds x → one logit, with ``depth`` LeakyReLU(0.2) hidden layers."""
    x_in = keras.Input(tuple(input_shape), name="sample")
    x = keras.layers.Flatten()(x_in)
    for _ in range(depth):
        x = maybe_spectral(keras.layers.Dense(width), spectral_norm)(x)
        x = keras.layers.LeakyReLU(0.2)(x)
    out = maybe_spectral(keras.layers.Dense(1, dtype="float32", name="logit"), spectral_norm)(x)
    return keras.Model(x_in, out, name=name)
