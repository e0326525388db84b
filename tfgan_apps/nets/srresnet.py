"""SRResNet generator without BatchNorm and the SRGAN discriminator, for single-image super-resolution.

The generator follows BasicSR's MSRResNet / EDSR (the "no BN" SRResNet that
ESRGAN showed trains better than Ledig et al.'s original):

  conv3×3 → LeakyReLU(0.1) → n_blocks × [conv-ReLU-conv, ×res_scale, + skip]
  → upsampling stages (conv to width·s² channels → pixel shuffle
  ``tf.nn.depth_to_space(s)`` → LeakyReLU(0.1)): ×2 = one ×2, ×3 = one ×3,
  ×4 = two ×2 → conv3×3 + LeakyReLU → conv3×3 to ``out_channels`` (or, with
  ``upsampler="direct"``, ESPCN's single LR conv to ``out_channels·scale²`` + pixel shuffle)
  → + the input upsampled ``scale``× (a global skip, so the body only learns
  the missing high frequencies; ``bicubic`` makes the untrained network the
  bicubic baseline, computed with fixed convolutions so it also runs under XLA).

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
import numpy as np
import tensorflow as tf

from tfgan_apps.errors import ConfigError
from tfgan_apps.nets.layers import maybe_spectral, normalization
from tfgan_apps.registry import DISCRIMINATORS, GENERATORS

SKIP_MODES = ("bilinear", "bicubic", "nearest", "none")
UPSAMPLERS = ("progressive", "direct")


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


def keys_cubic(t: float, a: float = -0.5) -> float:
    """Keys' cubic convolution kernel at distance ``t`` (a = −0.5: MATLAB's and TF's bicubic)."""
    t = abs(t)
    if t <= 1:
        return (a + 2) * t**3 - (a + 3) * t**2 + 1
    if t < 2:
        return a * t**3 - 5 * a * t**2 + 8 * a * t - 4 * a
    return 0.0


def bicubic_phase_weights(factor: int) -> np.ndarray:
    """``[factor, 5]`` 1-D weights: output sub-pixel ``p`` of input pixel ``i`` from inputs ``i−2 … i+2``.

    With half-pixel centres, output ``factor·i + p`` samples the input at ``i + (2p + 1 − factor) / (2·factor)``.
    """
    weights = np.zeros((factor, 5), np.float64)
    for p in range(factor):
        offset = (2 * p + 1 - factor) / (2 * factor)
        for k in range(-2, 3):
            weights[p, k + 2] = keys_cubic(k - offset)
        weights[p] /= weights[p].sum()
    return weights


def _reflected(size: tf.Tensor, pad: int) -> tf.Tensor:
    """Indices ``−pad … size + pad − 1`` into an axis of ``size``, reflected half-sample symmetrically
    (``x[−1] = x[0]``, like ``np.pad(mode="symmetric")``, repeating for axes shorter than ``pad``)."""
    j = tf.math.floormod(tf.range(-pad, size + pad), 2 * size)
    return tf.where(j < size, j, 2 * size - 1 - j)


@keras.saving.register_keras_serializable(package="tfgan_apps")
class BicubicUpsample(keras.layers.Layer):
    """Bicubic ×``factor`` upsampling (Keys a = −0.5, half-pixel centres, symmetric borders) as fixed convolutions.

    One depthwise 5×5 convolution gives the ``factor²`` sub-pixel phases of every input pixel, which
    ``depth_to_space`` interleaves; unlike ``tf.image.resize(method="bicubic")`` it compiles with XLA.
    Inside the image it equals ``tf.image.resize(..., "bicubic")``; at the 2-px border it reflects
    the image (MATLAB's ``imresize`` convention) where TF clamps. Any size, even 1 px.
    """

    def __init__(self, factor: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.factor = factor
        w = bicubic_phase_weights(factor)
        # kernel[dy, dx, 0, py·factor + px] = w[py, dy] · w[px, dx]
        kernel = np.einsum("ay,bx->yxab", w, w).reshape(5, 5, 1, factor * factor)
        self._kernel = kernel.astype(np.float32)

    def call(self, inputs: tf.Tensor) -> tf.Tensor:
        f = self.factor
        shape = tf.shape(inputs)
        channels = inputs.shape[-1]
        x = tf.gather(inputs, _reflected(shape[1], 2), axis=1)
        x = tf.gather(x, _reflected(shape[2], 2), axis=2)
        kernel = tf.tile(tf.constant(self._kernel, dtype=inputs.dtype), [1, 1, channels, 1])
        x = tf.nn.depthwise_conv2d(x, kernel, [1, 1, 1, 1], "VALID")  # channel c·f² + phase
        x = tf.reshape(x, [shape[0], shape[1], shape[2], channels, f * f])
        x = tf.reshape(tf.transpose(x, [0, 1, 2, 4, 3]), [shape[0], shape[1], shape[2], f * f * channels])
        return tf.nn.depth_to_space(x, f)

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        b, h, w, c = input_shape
        f = self.factor
        return (b, None if h is None else h * f, None if w is None else w * f, c)

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": self.factor}


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
    upsampler: str = "progressive",
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
      skip: interpolation of the global input skip (``bilinear``, ``bicubic``, ``nearest``) or ``none``;
        ``bicubic`` (``BicubicUpsample``) starts training from the bicubic baseline.
      identity_init: with a skip, zero-initialise the last conv so the untrained network is the plain
        interpolation (training starts from that baseline rather than a random perturbation of it).
      upsampler: ``progressive`` (SRResNet: pixel-shuffle stages with convs at every resolution, then
        two HR convs) or ``direct`` (ESPCN, Shi et al. 2016: the last conv, at LR, gives the
        ``scale²`` sub-pixels of each output pixel; every conv runs at LR, several times cheaper).
    """
    factors = upsampling_factors(scale)
    if upsampler not in UPSAMPLERS:
        raise ConfigError(f"unknown srresnet upsampler {upsampler!r}; valid choices: {', '.join(UPSAMPLERS)}")
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
    last_init = "zeros" if identity_init and skip != "none" else "glorot_uniform"
    if upsampler == "direct":  # ESPCN: every conv at LR, one sub-pixel conv to the HR image
        x = keras.layers.Conv2D(out_channels * scale * scale, 3, padding="same", dtype="float32",
                                kernel_initializer=last_init, name="conv_last")(x)
        out = PixelShuffle(scale, dtype="float32", name="up_shuffle")(x)
    else:
        for j, s in enumerate(factors):
            x = keras.layers.Conv2D(width * s * s, 3, padding="same", name=f"up{j}_conv")(x)
            x = PixelShuffle(s, name=f"up{j}_shuffle")(x)
            x = keras.layers.LeakyReLU(0.1, name=f"up{j}_act")(x)
        x = keras.layers.Conv2D(width, 3, padding="same", name="conv_hr")(x)
        x = keras.layers.LeakyReLU(0.1, name="act_hr")(x)
        out = keras.layers.Conv2D(out_channels, 3, padding="same", dtype="float32", name="conv_last",
                                  kernel_initializer=last_init)(x)
    if skip != "none":
        if skip == "bicubic":
            base = BicubicUpsample(scale, dtype="float32", name="skip_upsample")(inputs)
        else:
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
