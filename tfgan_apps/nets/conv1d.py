"""1-D DCGAN-style networks for signals of length 8·2^k (the "1D models")."""

from __future__ import annotations

import keras

from tfgan_apps.nets.layers import check_power_of_two, maybe_spectral, normalization
from tfgan_apps.registry import DISCRIMINATORS, GENERATORS


@GENERATORS.register("conv1d")
def conv1d_generator(
    latent_dim: int,
    output_shape: tuple[int, int],
    width: int = 32,
    norm: str = "batch",
    sync_batchnorm: bool = False,
    name: str = "generator",
) -> keras.Model:
    """Builds z → signal [B, L, C] in [-1, 1] by stride-2 transposed 1-D convolutions from length 8."""
    length, channels = output_shape
    n_up = check_power_of_two(length, 8, "signal length")
    z = keras.Input((latent_dim,), name="z")
    filters = width * 2 ** max(n_up - 1, 0)
    x = keras.layers.Dense(8 * filters, use_bias=False)(z)
    x = keras.layers.Reshape((8, filters))(x)
    x = normalization(norm, sync_batchnorm)(x)
    x = keras.layers.ReLU()(x)
    for _ in range(n_up):
        filters = max(filters // 2, width)
        x = keras.layers.Conv1DTranspose(filters, 8, strides=2, padding="same", use_bias=False)(x)
        x = normalization(norm, sync_batchnorm)(x)
        x = keras.layers.ReLU()(x)
    x = keras.layers.Conv1D(channels, 7, padding="same")(x)
    out = keras.layers.Activation("tanh", dtype="float32", name="signal")(x)
    return keras.Model(z, out, name=name)


@DISCRIMINATORS.register("conv1d")
def conv1d_discriminator(
    input_shape: tuple[int, int],
    width: int = 32,
    norm: str = "none",
    spectral_norm: bool = False,
    sync_batchnorm: bool = False,
    name: str = "discriminator",
) -> keras.Model:
    """Builds signal [B, L, C] → one logit with stride-2 1-D convolutions down to length 8."""
    n_down = check_power_of_two(input_shape[0], 8, "signal length")
    x_in = keras.Input(tuple(input_shape), name="signal")
    x = x_in
    filters = width
    for i in range(n_down):
        x = maybe_spectral(keras.layers.Conv1D(filters, 8, strides=2, padding="same"), spectral_norm)(x)
        if i > 0:
            x = normalization(norm, sync_batchnorm)(x)
        x = keras.layers.LeakyReLU(0.2)(x)
        filters *= 2
    x = keras.layers.Flatten()(x)
    out = maybe_spectral(keras.layers.Dense(1, dtype="float32", name="logit"), spectral_norm)(x)
    return keras.Model(x_in, out, name=name)
