"""Progressive GAN networks (Karras, Aila, Laine & Lehtinen 2018, arXiv:1710.10196, "PGGAN").

Layers of the paper, reusable on their own:

* ``EqualizedDense`` / ``EqualizedConv2D`` (§4.1 "equalized learning rate"): weights
  initialised N(0, 1) and scaled at runtime by He's constant c = gain / √fan_in
  (gain √2; 1 for to-RGB and D's output), so Adam's per-parameter step is equally
  large for every layer.
* ``PixelNorm`` (§4.2): b = a / √(mean_c a² + 10⁻⁸) per pixel, after each conv of G.
* ``MinibatchStddev`` (§3, with the official code's groups of ``group_size``): the std
  of each feature over the group, averaged into one value, appended as a feature map.

The progressive generator and discriminator (Table 2) hold every resolution's
layers from the start; ``ProgressiveGenerator(z, stage=s, alpha=a)`` renders at
``resolutions[s]`` and fades the new block in, (1 − α)·upsample(toRGB_{s−1}) + α·toRGB_s
(§3, Fig. 2); ``ProgressiveDiscriminator(x, alpha=a)`` picks the stage from x's size
and mirrors the fade with fromRGB on the average-pooled input. Without ``stage`` /
``alpha`` both are the full-resolution networks. Channel counts are
``min(max_width, width · final / resolution)`` (the paper: 512 at 4–32 px, halving above).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import keras
import tensorflow as tf

from tfgan_apps.errors import ConfigError
from tfgan_apps.registry import DISCRIMINATORS, GENERATORS

HE_GAIN = math.sqrt(2.0)


def he_scale(fan_in: int, gain: float = HE_GAIN) -> float:
    """He's per-layer constant c = gain / √fan_in (PGGAN §4.1)."""
    return gain / math.sqrt(fan_in)


def lerp(a: tf.Tensor, b: tf.Tensor, t: Any) -> tf.Tensor:
    """a + t·(b − a), with t cast to the operands' dtype (the fade-in blend)."""
    return a + tf.cast(t, b.dtype) * (b - a)


def upscale(x: tf.Tensor, factor: int) -> tf.Tensor:
    """Nearest-neighbour upsampling of NHWC images by an integer factor."""
    if factor == 1:
        return x
    return tf.repeat(tf.repeat(x, factor, axis=1), factor, axis=2)


def downscale(x: tf.Tensor, factor: int) -> tf.Tensor:
    """Average pooling of NHWC images by an integer factor (the paper's downsampling)."""
    if factor == 1:
        return x
    return tf.nn.avg_pool2d(x, factor, factor, "VALID")


class EqualizedDense(keras.layers.Layer):
    """Dense layer with equalized learning rate: y = x · (c·w) + b, w ~ N(0, 1), c = gain / √fan_in."""

    def __init__(self, units: int, gain: float = HE_GAIN, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.units, self.gain = int(units), float(gain)

    def build(self, input_shape: Sequence[int]) -> None:
        fan_in = int(input_shape[-1])
        self.scale = he_scale(fan_in, self.gain)
        self.kernel = self.add_weight(shape=(fan_in, self.units), initializer=keras.initializers.RandomNormal(0, 1),
                                      name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, x: tf.Tensor) -> tf.Tensor:
        kernel = tf.cast(self.kernel, x.dtype) * tf.cast(self.scale, x.dtype)
        return tf.matmul(x, kernel) + tf.cast(self.bias, x.dtype)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "units": self.units, "gain": self.gain}


class EqualizedConv2D(keras.layers.Layer):
    """Stride-1 "same" convolution with equalized learning rate: c = gain / √(k·k·C_in), w ~ N(0, 1)."""

    def __init__(self, filters: int, kernel_size: int, gain: float = HE_GAIN, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.filters, self.kernel_size, self.gain = int(filters), int(kernel_size), float(gain)

    def build(self, input_shape: Sequence[int]) -> None:
        channels = int(input_shape[-1])
        self.scale = he_scale(self.kernel_size * self.kernel_size * channels, self.gain)
        self.kernel = self.add_weight(
            shape=(self.kernel_size, self.kernel_size, channels, self.filters),
            initializer=keras.initializers.RandomNormal(0, 1), name="kernel",
        )
        self.bias = self.add_weight(shape=(self.filters,), initializer="zeros", name="bias")

    def call(self, x: tf.Tensor) -> tf.Tensor:
        kernel = tf.cast(self.kernel, x.dtype) * tf.cast(self.scale, x.dtype)
        return tf.nn.conv2d(x, kernel, strides=1, padding="SAME") + tf.cast(self.bias, x.dtype)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size, "gain": self.gain}


class PixelNorm(keras.layers.Layer):
    """Pixelwise feature vector normalisation (PGGAN §4.2): a / √(mean over channels of a² + ε), ε = 10⁻⁸."""

    def __init__(self, epsilon: float = 1e-8, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)

    def call(self, x: tf.Tensor) -> tf.Tensor:
        x32 = tf.cast(x, tf.float32)
        return tf.cast(x32 * tf.math.rsqrt(tf.reduce_mean(tf.square(x32), axis=-1, keepdims=True) + self.epsilon),
                       x.dtype)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "epsilon": self.epsilon}


class MinibatchStddev(keras.layers.Layer):
    """Minibatch standard deviation (PGGAN §3) over groups of ``group_size`` examples.

    The batch is split into groups of G = min(group_size, B) consecutive examples
    (example b is in group b // G). For each group: the biased std over its G
    examples of every feature at every pixel, √(Var + 10⁻⁸), averaged over features
    and pixels → one value, appended as an extra constant feature map to the
    group's examples. B must be a multiple of G. ``group_size`` ≤ 0 uses the whole
    batch as one group. The official code groups strided examples (b mod B/G); for a
    shuffled batch that is the same statistic, and consecutive groups make a
    multi-replica run (each replica holding consecutive examples) form exactly the
    groups of a single-device run.
    """

    def __init__(self, group_size: int = 4, epsilon: float = 1e-8, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.group_size, self.epsilon = int(group_size), float(epsilon)

    def call(self, x: tf.Tensor) -> tf.Tensor:
        shape = tf.shape(x)
        batch = shape[0]
        group = batch if self.group_size <= 0 else tf.minimum(self.group_size, batch)
        y = tf.reshape(tf.cast(x, tf.float32), tf.concat([[-1, group], shape[1:]], axis=0))  # [B/G, G, H, W, C]
        y = tf.reduce_mean(tf.square(y - tf.reduce_mean(y, axis=1, keepdims=True)), axis=1)  # biased variance
        y = tf.reduce_mean(tf.sqrt(y + self.epsilon), axis=[1, 2, 3])  # [B/G]
        y = tf.reshape(tf.repeat(y, group), [batch, 1, 1, 1])  # example b → group b // G
        y = tf.broadcast_to(tf.cast(y, x.dtype), tf.concat([shape[:3], [1]], axis=0))
        return tf.concat([x, y], axis=-1)

    def compute_output_shape(self, input_shape: Sequence[int]) -> tuple[Any, ...]:
        return (*input_shape[:-1], input_shape[-1] + 1)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "group_size": self.group_size, "epsilon": self.epsilon}


def progressive_resolutions(final: int, resolutions: Sequence[int] | None) -> tuple[int, ...]:
    """The stage resolutions: given ones (checked: 4, 8, ... doubling up to ``final``) or 4 … final."""
    if resolutions is None:
        resolutions, r = [], 4
        while r <= final:
            resolutions.append(r)
            r *= 2
    resolutions = tuple(int(r) for r in resolutions)
    expected = tuple(4 * 2**i for i in range(len(resolutions)))
    if not resolutions or resolutions != expected or resolutions[-1] != final:
        raise ConfigError(
            f"progressive resolutions must be 4, 8, 16, ... doubling up to the data size {final}, got {resolutions}"
        )
    return resolutions


def stage_filters(resolutions: Sequence[int], width: int, max_width: int) -> list[int]:
    """Channels per stage: min(max_width, width · final / resolution)."""
    return [min(int(max_width), int(width) * (resolutions[-1] // r)) for r in resolutions]


def _conv_act(filters: int, kernel: int = 3) -> list[keras.layers.Layer]:
    return [EqualizedConv2D(filters, kernel), keras.layers.LeakyReLU(0.2)]


@keras.saving.register_keras_serializable(package="tfgan_apps")
class ProgressiveGenerator(keras.Model):
    """PGGAN generator (Table 2): z → PixelNorm → 4×4 block, then one 2× block per stage, a to-RGB per stage.

    The 4×4 block is Dense(16·f) (the paper's 4×4 convolution of a 1×1 input) → LeakyReLU → PixelNorm →
    conv 3×3 → LeakyReLU → PixelNorm; each later block is nearest 2× upsampling and two such 3×3 convs.
    to-RGB is a linear 1×1 conv (gain 1, float32); the output is not squashed (the paper's G is linear).
    """

    def __init__(self, latent_dim: int, resolutions: Sequence[int], filters: Sequence[int], channels: int,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.latent_dim, self.resolutions = int(latent_dim), tuple(int(r) for r in resolutions)
        self.filters, self.channels = tuple(int(f) for f in filters), int(channels)
        f0 = filters[0]
        self.blocks = [keras.Sequential([
            keras.Input((self.latent_dim,)), PixelNorm(), EqualizedDense(16 * f0), keras.layers.Reshape((4, 4, f0)),
            keras.layers.LeakyReLU(0.2), PixelNorm(), *_conv_act(f0), PixelNorm(),
        ], name="block_4")]
        for k in range(1, len(resolutions)):
            r, f = resolutions[k], filters[k]
            self.blocks.append(keras.Sequential([
                keras.Input((r // 2, r // 2, filters[k - 1])), keras.layers.UpSampling2D(2),
                *_conv_act(f), PixelNorm(), *_conv_act(f), PixelNorm(),
            ], name=f"block_{r}"))
        self.to_rgb = []
        for r, f in zip(resolutions, filters):
            layer = EqualizedConv2D(channels, 1, gain=1.0, dtype="float32", name=f"to_rgb_{r}")
            layer.build((None, r, r, f))
            self.to_rgb.append(layer)
        self.built = True

    @property
    def output_shape(self) -> tuple[Any, ...]:
        """(None, S, S, C) of the full-resolution output."""
        return (None, self.resolutions[-1], self.resolutions[-1], self.channels)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, so ``keras.models.clone_model`` (the generator EMA) can rebuild it."""
        return {"latent_dim": self.latent_dim, "resolutions": self.resolutions, "filters": self.filters,
                "channels": self.channels, "name": self.name}

    def call(self, z: tf.Tensor, stage: int | None = None, alpha: Any = 1.0, training: bool = False) -> tf.Tensor:
        """Images at ``resolutions[stage]`` (default: the last) with the newest block faded in by ``alpha``."""
        stage = len(self.resolutions) - 1 if stage is None else int(stage)
        h = self.blocks[0](z, training=training)
        for k in range(1, stage):
            h = self.blocks[k](h, training=training)
        if stage == 0:
            return self.to_rgb[0](h)
        previous = upscale(self.to_rgb[stage - 1](h), 2)
        current = self.to_rgb[stage](self.blocks[stage](h, training=training))
        return lerp(previous, current, alpha)


@keras.saving.register_keras_serializable(package="tfgan_apps")
class ProgressiveDiscriminator(keras.Model):
    """PGGAN discriminator (Table 2), the generator's mirror: fromRGB per stage, 2× blocks down to 4×4.

    fromRGB is a 1×1 conv + LeakyReLU; each block is two 3×3 convs (f_r then f_{r/2}) + LeakyReLU and
    2×2 average pooling; the 4×4 block is minibatch stddev → conv 3×3 → Dense(f) → Dense(1) (gain 1, float32).
    """

    def __init__(self, input_shape: Sequence[int], resolutions: Sequence[int], filters: Sequence[int],
                 group_size: int = 4, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.resolutions = tuple(int(r) for r in resolutions)
        self.image_shape, self.filters = tuple(int(d) for d in input_shape), tuple(int(f) for f in filters)
        self.group_size = int(group_size)
        channels = int(input_shape[-1])
        self.from_rgb = [keras.Sequential([keras.Input((r, r, channels)), *_conv_act(f, 1)], name=f"from_rgb_{r}")
                         for r, f in zip(resolutions, filters)]
        f0 = filters[0]
        self.blocks = [keras.Sequential([
            keras.Input((4, 4, f0)), MinibatchStddev(group_size), *_conv_act(f0), keras.layers.Flatten(),
            EqualizedDense(f0), keras.layers.LeakyReLU(0.2), EqualizedDense(1, gain=1.0, dtype="float32"),
        ], name="block_4")]
        for k in range(1, len(resolutions)):
            r = resolutions[k]
            self.blocks.append(keras.Sequential([
                keras.Input((r, r, filters[k])), *_conv_act(filters[k]), *_conv_act(filters[k - 1]),
                keras.layers.AveragePooling2D(2),
            ], name=f"block_{r}"))
        self.built = True

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments (``.keras`` files of the PGGAN model)."""
        return {"input_shape": self.image_shape, "resolutions": self.resolutions, "filters": self.filters,
                "group_size": self.group_size, "name": self.name}

    def call(self, x: tf.Tensor, alpha: Any = 1.0, training: bool = False, return_features: bool = False) -> Any:
        """One logit per image; the stage is the one whose resolution equals x's height.

        ``return_features``: (logits, f) with f [B, f_0] the 4×4 block's features before its last Dense (the same
        layers; feature matching's f, Salimans et al. 2016 §3.1), of equal shape at every stage.
        """
        size = int(x.shape[1])
        if size not in self.resolutions:
            raise ConfigError(f"discriminator input of {size} px is not one of the stages {self.resolutions}")
        stage = self.resolutions.index(size)
        h = self.from_rgb[stage](x, training=training)
        if stage > 0:
            h = self.blocks[stage](h, training=training)
            previous = self.from_rgb[stage - 1](downscale(x, 2), training=training)
            h = lerp(previous, h, alpha)
            for k in range(stage - 1, 0, -1):
                h = self.blocks[k](h, training=training)
        if not return_features:
            return self.blocks[0](h, training=training)
        *body, last = self.blocks[0].layers
        for layer in body:
            h = layer(h, training=training)
        return last(h), tf.cast(h, tf.float32)


@GENERATORS.register("pggan")
def pggan_generator(latent_dim: int, output_shape: tuple[int, int, int], resolutions: Sequence[int] | None = None,
                    width: int = 16, max_width: int = 64, name: str = "generator") -> keras.Model:
    """Builds the progressive G for square images of 4·2^k px (every stage's layers built up front)."""
    resolutions = progressive_resolutions(int(output_shape[0]), resolutions)
    return ProgressiveGenerator(latent_dim, resolutions, stage_filters(resolutions, width, max_width),
                                int(output_shape[-1]), name=name)


@DISCRIMINATORS.register("pggan")
def pggan_discriminator(input_shape: tuple[int, int, int], resolutions: Sequence[int] | None = None,
                        width: int = 16, max_width: int = 64, group_size: int = 4,
                        name: str = "discriminator") -> keras.Model:
    """Builds the progressive D mirroring ``pggan_generator``; ``group_size`` is the minibatch-stddev group."""
    resolutions = progressive_resolutions(int(input_shape[0]), resolutions)
    return ProgressiveDiscriminator(input_shape, resolutions, stage_filters(resolutions, width, max_width),
                                    group_size, name=name)
