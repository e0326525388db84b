"""pix2pix U-Net generator (Isola et al. 2017) for paired image-to-image translation and restoration.

Encoder: ``depth`` stride-2 4×4 convolutions (LeakyReLU 0.2, normalisation except
on the first and innermost layers), widths ``width·2^i`` capped at ``8·width``.
Decoder: stride-2 4×4 transposed convolutions (normalisation, optional dropout,
ReLU) each concatenated with the mirror encoder activation, then a last
transposed convolution to ``out_channels`` and tanh. With ``residual=True`` (restoration,
e.g. de-raining) the last layer instead predicts a correction added to the input, zero-initialised
so the untrained network is the identity, without tanh (clip for display). Fully convolutional: H and
W may be None, but must be divisible by ``2**depth``.
"""

from __future__ import annotations

import keras

from tfgan_apps.errors import ConfigError
from tfgan_apps.nets.layers import normalization
from tfgan_apps.registry import GENERATORS


def check_divisible(
    input_shape: tuple[int | None, ...], divisor: int, what: str
) -> None:
    """Raises ConfigError if a static spatial size of ``input_shape`` (H, W, C) is not divisible by ``divisor``."""
    for dim, size in zip(("height", "width"), input_shape[:2]):
        if size is not None and size % divisor:
            raise ConfigError(
                f"{what}: input {dim} {size} must be divisible by {divisor}; "
                f"crop/pad images to a multiple of {divisor} or change the depth/scale"
            )


@GENERATORS.register("unet")
def unet(
    input_shape: tuple[int | None, int | None, int],
    out_channels: int | None = None,
    width: int = 32,
    depth: int = 4,
    norm: str = "instance",
    dropout: float = 0.0,
    residual: bool = False,
    sync_batchnorm: bool = False,
    name: str = "generator",
) -> keras.Model:
    """Builds the U-Net: image ``[B, H, W, C]`` → image ``[B, H, W, out_channels]`` in [-1, 1] (unbounded if residual).

    Args:
      input_shape: ``(H, W, C)``; H and W may be None (any size divisible by ``2**depth``).
      out_channels: output channels (default: C).
      width: filters of the first encoder layer (pix2pix's ngf = 64).
      depth: number of stride-2 down/up-sampling stages (pix2pix uses 8 for 256 px).
      norm: ``instance`` (``GroupNormalization(groups=-1)``), ``batch``, ``layer`` or ``none``.
      dropout: rate of the dropout after the (up to) three innermost decoder
        layers, pix2pix's noise source (0.5 there); 0 disables it.
      residual: output = input + last layer (zero-initialised, no tanh); needs out_channels == C.
    """
    if depth < 1:
        raise ConfigError(f"unet depth must be >= 1, got {depth}")
    check_divisible(input_shape, 2**depth, f"unet with depth={depth}")
    out_channels = out_channels or input_shape[-1]
    if residual and out_channels != input_shape[-1]:
        raise ConfigError(f"a residual unet needs out_channels == input channels, got {out_channels} "
                          f"and {input_shape[-1]}")
    inputs = keras.Input(tuple(input_shape), name="image")
    x = inputs
    skips = []
    for i in range(depth):
        filters = width * min(2**i, 8)
        innermost = i == depth - 1
        x = keras.layers.Conv2D(
            filters,
            4,
            strides=2,
            padding="same",
            use_bias=i == 0 or innermost or norm == "none",
            name=f"down{i}_conv",
        )(x)
        if 0 < i and not innermost:
            x = normalization(norm, sync_batchnorm, name=f"down{i}_norm")(x)
        x = keras.layers.LeakyReLU(0.2, name=f"down{i}_act")(x)
        skips.append(x)
    skips.pop()  # the innermost activation has no mirror
    for j, i in enumerate(reversed(range(depth - 1))):
        filters = width * min(2**i, 8)
        x = keras.layers.Conv2DTranspose(
            filters,
            4,
            strides=2,
            padding="same",
            use_bias=norm == "none",
            name=f"up{i}_conv",
        )(x)
        x = normalization(norm, sync_batchnorm, name=f"up{i}_norm")(x)
        if dropout > 0 and j < 3:
            x = keras.layers.Dropout(dropout, name=f"up{i}_dropout")(x)
        x = keras.layers.ReLU(name=f"up{i}_act")(x)
        x = keras.layers.Concatenate(name=f"up{i}_skip")([x, skips[i]])
    x = keras.layers.Conv2DTranspose(
        out_channels, 4, strides=2, padding="same", dtype="float32", name="out_conv",
        kernel_initializer="zeros" if residual else "glorot_uniform",
    )(x)
    if residual:
        out = keras.layers.Add(dtype="float32", name="out")([inputs, x])
    else:
        out = keras.layers.Activation("tanh", dtype="float32", name="out")(x)
    return keras.Model(inputs, out, name=name)
