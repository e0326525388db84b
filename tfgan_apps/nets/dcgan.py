"""DCGAN generator and discriminator (Radford et al. 2016) for square images of 8·2^k px.

The generator projects z to a 4×4 feature map and doubles the resolution with
stride-2 4×4 transposed convolutions (BatchNorm + ReLU), ending in tanh; the
discriminator mirrors it with stride-2 4×4 convolutions and LeakyReLU(0.2).
Widths follow ``width`` (the PyTorch example's ngf/ndf) doubling per stage.
"""

from __future__ import annotations

import keras

from tfgan_apps.errors import ConfigError
from tfgan_apps.nets.layers import check_power_of_two, maybe_spectral, normalization
from tfgan_apps.registry import DISCRIMINATORS, GENERATORS


@GENERATORS.register("dcgan")
def dcgan_generator(
    latent_dim: int,
    output_shape: tuple[int, int, int],
    width: int = 64,
    norm: str = "batch",
    sync_batchnorm: bool = False,
    render_size: int = 0,
    name: str = "generator",
) -> keras.Model:
    """Builds z [B, latent_dim] → image [B, S, S, C] in [-1, 1].

    ``render_size`` (0 = the image size): the transposed convolutions stop at ``render_size`` px and a fixed
    bilinear upsampling brings the picture to S px (equal to the ``digits`` and ``lfw`` sources' antialiased
    resize when enlarging; the plain kernel also compiles with XLA).
    For data that is itself an upsampled small image (sklearn's 8×8 digits at 32 px) G then draws only what the
    data can hold, instead of learning to imitate the interpolation.
    """
    size, _, channels = output_shape
    render = int(render_size) or size
    if render > size:
        raise ConfigError(f"model.generator.render_size ({render}) must be ≤ the image size {size} (0 = off)")
    n_up = check_power_of_two(render, 4, "DCGAN render size" if render_size else "DCGAN image size")
    z = keras.Input((latent_dim,), name="z")
    filters = width * 2 ** (n_up - 1)
    x = keras.layers.Dense(4 * 4 * filters, use_bias=False)(z)
    x = keras.layers.Reshape((4, 4, filters))(x)
    x = normalization(norm, sync_batchnorm)(x)
    x = keras.layers.ReLU()(x)
    for _ in range(n_up - 1):
        filters //= 2
        x = keras.layers.Conv2DTranspose(filters, 4, strides=2, padding="same", use_bias=False)(x)
        x = normalization(norm, sync_batchnorm)(x)
        x = keras.layers.ReLU()(x)
    x = keras.layers.Conv2DTranspose(channels, 4, strides=2, padding="same")(x)
    out = keras.layers.Activation("tanh", dtype="float32", name="image" if render == size else "render")(x)
    if render != size:
        out = keras.layers.Resizing(size, size, interpolation="bilinear", dtype="float32",
                                    name="image")(out)
    return keras.Model(z, out, name=name)


@DISCRIMINATORS.register("dcgan")
def dcgan_discriminator(
    input_shape: tuple[int, int, int],
    width: int = 64,
    norm: str = "batch",
    spectral_norm: bool = False,
    sync_batchnorm: bool = False,
    name: str = "discriminator",
) -> keras.Model:
    """Builds image [B, S, S, C] → one logit per image [B, 1].

    Use ``norm="layer"`` or ``"none"`` with gradient penalties (WGAN-GP's advice:
    BatchNorm couples the examples whose gradients the penalty constrains).
    """
    n_down = check_power_of_two(input_shape[0], 4, "DCGAN image size")
    x_in = keras.Input(tuple(input_shape), name="image")
    x = x_in
    filters = width
    for i in range(n_down):
        x = maybe_spectral(
            keras.layers.Conv2D(filters, 4, strides=2, padding="same", use_bias=i == 0 or norm == "none"),
            spectral_norm,
        )(x)
        if i > 0:
            x = normalization(norm, sync_batchnorm)(x)
        x = keras.layers.LeakyReLU(0.2)(x)
        filters *= 2
    x = keras.layers.Flatten()(x)
    out = maybe_spectral(keras.layers.Dense(1, dtype="float32", name="logit"), spectral_norm)(x)
    return keras.Model(x_in, out, name=name)
