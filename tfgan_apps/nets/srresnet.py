"""SRResNet generator without BatchNorm and the SRGAN discriminator, for single-image super-resolution.

The generator follows BasicSR's MSRResNet / EDSR (the "no BN" SRResNet that
ESRGAN showed trains better than Ledig et al.'s original):

  conv3×3 → LeakyReLU(0.1) → n_blocks × [conv-ReLU-conv, ×res_scale, + skip]
  → upsampling stages (conv to width·s² channels → pixel shuffle
  ``tf.nn.depth_to_space(s)`` → LeakyReLU(0.1)): ×2 = one ×2, ×3 = one ×3,
  ×4 = two ×2 → conv3×3 + LeakyReLU → conv3×3 to ``out_channels``
  → + the input upsampled ``scale``× (bilinear by default: a global skip, so
  the body only learns the missing high frequencies).

The output has no tanh: it is unbounded (linear), which keeps L1/perceptual
training unsaturated near black/white (no zero gradients from a clip or tanh);
clip to [-1, 1] when converting to pixels (inference, export, metrics).
Fully convolutional (any H, W).

``srgan_discriminator`` (Ledig et al. 2017): VGG-style 3×3 convolutions,
LeakyReLU(0.2), a stride-2 conv ending each of ``depth`` stages (widths
width, 2·width, 4·width, 8·width, each stage after the first starting with a
stride-1 conv), normalisation after every conv but the first, then global average pooling
(instead of the paper's flatten, so any input ≥ 2^depth px works) → dense
(16·width) → LeakyReLU → dense 1 logit.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from tfgan_apps.errors import ConfigError
from tfgan_apps.nets.layers import maybe_spectral, normalization
from tfgan_apps.registry import DISCRIMINATORS, GENERATORS

SKIP_MODES = ("bilinear", "bicubic", "nearest", "none")


@keras.saving.register_keras_serializable(package="tfgan_apps")
class PixelShuffle(keras.layers.Layer):
    """Sub-pixel convolution's rearrangement ``[B, H, W, C·s²]`` → ``[B, H·s, W·s, C]`` (``tf.nn.depth_to_space``)."""

    def __init__(self, block_size: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.block_size = block_size

    def call(self, inputs: tf.Tensor) -> tf.Tensor:
        return tf.nn.depth_to_space(inputs, self.block_size)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        s = self.block_size
        b, h, w, c = input_shape
        return (
            b,
            None if h is None else h * s,
            None if w is None else w * s,
            c // (s * s),
        )

    def get_config(self) -> dict:
        return {**super().get_config(), "block_size": self.block_size}


@keras.saving.register_keras_serializable(package="tfgan_apps")
class ResizeImage(keras.layers.Layer):
    """Resizes ``[B, H, W, C]`` by an integer factor with ``tf.image.resize`` (half-pixel centres).

    Unlike ``keras.layers.UpSampling2D`` it traces with unknown H, W (SavedModels
    that accept any size).
    """

    def __init__(self, factor: int, method: str = "bilinear", **kwargs) -> None:
        super().__init__(**kwargs)
        self.factor = factor
        self.method = method

    def call(self, inputs: tf.Tensor) -> tf.Tensor:
        size = tf.shape(inputs)[1:3] * self.factor
        return tf.cast(tf.image.resize(inputs, size, method=self.method), inputs.dtype)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        b, h, w, c = input_shape
        f = self.factor
        return (b, None if h is None else h * f, None if w is None else w * f, c)

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": self.factor, "method": self.method}


def upsampling_factors(scale: int) -> list[int]:
    """Pixel-shuffle stages for a scale: 2 → [2], 3 → [3], 4 → [2, 2]."""
    factors = {2: [2], 3: [3], 4: [2, 2]}
    if scale not in factors:
        raise ConfigError(f"srresnet scale must be 2, 3 or 4, got {scale!r}")
    return factors[scale]


@GENERATORS.register("srresnet")
def srresnet(
    input_shape: tuple[int | None, int | None, int],
    out_channels: int | None = None,
    scale: int = 4,
    width: int = 64,
    n_blocks: int = 16,
    res_scale: float = 1.0,
    skip: str = "bilinear",
    identity_init: bool = True,
    name: str = "generator",
) -> keras.Model:
    """Builds LR image ``[B, H, W, C]`` → SR image ``[B, scale·H, scale·W, out_channels]``.

    Args:
      input_shape: ``(H, W, C)`` of the low-resolution input; H, W may be None.
      out_channels: output channels (default C; must equal C unless ``skip="none"``).
      scale: 2, 3 or 4.
      width: feature channels (64 in SRResNet/EDSR-baseline).
      n_blocks: residual blocks (16 in SRResNet).
      res_scale: multiplier of each block's residual branch (0.1 stabilises wide/deep
        nets, as in EDSR; 1 = plain skip).
      skip: interpolation of the global input skip (``bilinear``, ``bicubic``, ``nearest``) or ``none``.
        ``bicubic`` has no XLA kernel: use another with ``jit_compile``.
      identity_init: with a skip, zero-initialise the last conv so the untrained network is the plain
        interpolation (training starts from that baseline rather than a random perturbation of it).
    """
    factors = upsampling_factors(scale)
    if skip not in SKIP_MODES:
        raise ConfigError(
            f"unknown srresnet skip {skip!r}; valid choices: {', '.join(SKIP_MODES)}"
        )
    in_channels = input_shape[-1]
    out_channels = out_channels or in_channels
    if skip != "none" and out_channels != in_channels:
        raise ConfigError(
            f"srresnet global skip needs out_channels == input channels ({out_channels} != {in_channels}); "
            "set skip='none'"
        )
    inputs = keras.Input(tuple(input_shape), name="image")
    x = keras.layers.Conv2D(width, 3, padding="same", name="conv_first")(inputs)
    x = keras.layers.LeakyReLU(0.1, name="act_first")(x)
    for i in range(n_blocks):
        r = keras.layers.Conv2D(width, 3, padding="same", name=f"block{i}_conv1")(x)
        r = keras.layers.ReLU(name=f"block{i}_act")(r)
        r = keras.layers.Conv2D(width, 3, padding="same", name=f"block{i}_conv2")(r)
        if res_scale != 1.0:
            r = keras.layers.Rescaling(res_scale, name=f"block{i}_scale")(r)
        x = keras.layers.Add(name=f"block{i}_add")([x, r])
    for j, s in enumerate(factors):
        x = keras.layers.Conv2D(width * s * s, 3, padding="same", name=f"up{j}_conv")(x)
        x = PixelShuffle(s, name=f"up{j}_shuffle")(x)
        x = keras.layers.LeakyReLU(0.1, name=f"up{j}_act")(x)
    x = keras.layers.Conv2D(width, 3, padding="same", name="conv_hr")(x)
    x = keras.layers.LeakyReLU(0.1, name="act_hr")(x)
    out = keras.layers.Conv2D(
        out_channels, 3, padding="same", dtype="float32", name="conv_last",
        kernel_initializer="zeros" if identity_init and skip != "none" else "glorot_uniform",
    )(x)
    if skip != "none":
        base = ResizeImage(scale, skip, dtype="float32", name="skip_upsample")(inputs)
        out = keras.layers.Add(dtype="float32", name="global_skip")([out, base])
    return keras.Model(inputs, out, name=name)


@DISCRIMINATORS.register("srgan")
def srgan_discriminator(
    input_shape: tuple[int | None, int | None, int],
    width: int = 64,
    depth: int = 4,
    norm: str = "batch",
    spectral_norm: bool = False,
    sync_batchnorm: bool = False,
    name: str = "discriminator",
) -> keras.Model:
    """Builds HR image ``[B, H, W, C]`` (any H, W ≥ 2^depth, 16 by default) → one logit ``[B, 1]``.

    Args:
      input_shape: ``(H, W, C)``; H, W may be None.
      width: filters of the first conv (64 in SRGAN), doubled every stride-2 stage up to 8·width.
      depth: number of stride-2 stages (4 in SRGAN: 96 px → 6 px).
      norm: after every conv but the first (``batch`` as in SRGAN; ``none``/``layer`` with gradient penalties).
      spectral_norm: wrap the convolutions and dense layers in ``keras.layers.SpectralNormalization``.
    """
    minimum = 2**depth
    for dim, size in zip(("height", "width"), input_shape[:2]):
        if size is not None and size < minimum:
            raise ConfigError(
                f"srgan discriminator with depth={depth} needs {dim} >= {minimum}, got {size}"
            )
    inputs = keras.Input(tuple(input_shape), name="image")
    x = maybe_spectral(
        keras.layers.Conv2D(width, 3, padding="same", name="conv0"), spectral_norm
    )(inputs)
    x = keras.layers.LeakyReLU(0.2, name="act0")(x)
    blocks = [(width, 2)] + [
        (width * min(2**k, 8), stride) for k in range(1, depth) for stride in (1, 2)
    ]
    for i, (filters, stride) in enumerate(blocks, start=1):
        conv = keras.layers.Conv2D(
            filters,
            3,
            strides=stride,
            padding="same",
            use_bias=norm == "none",
            name=f"conv{i}",
        )
        x = maybe_spectral(conv, spectral_norm)(x)
        x = normalization(norm, sync_batchnorm, name=f"norm{i}")(x)
        x = keras.layers.LeakyReLU(0.2, name=f"act{i}")(x)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    x = maybe_spectral(keras.layers.Dense(width * 16, name="dense"), spectral_norm)(x)
    x = keras.layers.LeakyReLU(0.2, name="act_dense")(x)
    last = keras.layers.Dense(1, dtype="float32", name="logit")
    if spectral_norm:
        last = keras.layers.SpectralNormalization(
            last, dtype="float32", name="logit_sn"
        )
    return keras.Model(inputs, last(x), name=name)
