"""ResNet generator and discriminator of SNGAN (Miyato et al. 2018, Appendix B.4, Table 4: CIFAR-10 ResNet).

Generator: z → dense to 4×4×width → one up-block per doubling of the size
(BN-ReLU-upsample-conv3×3-BN-ReLU-conv3×3, with an upsample-conv1×1 shortcut)
→ BN-ReLU-conv3×3 → tanh.

Discriminator: an "optimized" first block (conv3×3-ReLU-conv3×3-avgpool,
shortcut avgpool-conv1×1) and down-blocks (ReLU-conv3×3-ReLU-conv3×3-avgpool,
shortcut conv1×1-avgpool) down to 8×8, then two blocks without resampling
(identity shortcut), ReLU, global *sum* pooling and a dense logit. No
normalisation in D; ``spectral_norm=True`` wraps every D conv and dense layer
in ``keras.layers.SpectralNormalization`` (SNGAN). For 32×32 this is exactly
the paper's CIFAR-10 network (with width 256 for G and 128 for D).
"""

from __future__ import annotations

import keras
import tensorflow as tf

from tfgan_apps.errors import ConfigError
from tfgan_apps.nets.layers import check_power_of_two, maybe_spectral, normalization
from tfgan_apps.registry import DISCRIMINATORS, GENERATORS


@keras.saving.register_keras_serializable(package="tfgan_apps")
class GlobalSumPooling2D(keras.layers.Layer):
    """Sum over the spatial axes, [B, H, W, C] → [B, C] (SNGAN's D head)."""

    def call(self, inputs: tf.Tensor) -> tf.Tensor:
        return keras.ops.sum(inputs, axis=[1, 2])

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        return (input_shape[0], input_shape[-1])


def generator_block(x: keras.KerasTensor, filters: int, norm: str, sync_batchnorm: bool) -> keras.KerasTensor:
    """Residual up-block: BN-ReLU-up-conv3×3-BN-ReLU-conv3×3 plus an up-conv1×1 shortcut (2× resolution)."""
    shortcut = keras.layers.UpSampling2D(2)(x)
    shortcut = keras.layers.Conv2D(filters, 1)(shortcut)
    h = normalization(norm, sync_batchnorm)(x)
    h = keras.layers.ReLU()(h)
    h = keras.layers.UpSampling2D(2)(h)
    h = keras.layers.Conv2D(filters, 3, padding="same")(h)
    h = normalization(norm, sync_batchnorm)(h)
    h = keras.layers.ReLU()(h)
    h = keras.layers.Conv2D(filters, 3, padding="same")(h)
    return keras.layers.Add()([h, shortcut])


def discriminator_block(x: keras.KerasTensor, filters: int, downsample: bool, spectral_norm: bool,
                        first: bool = False) -> keras.KerasTensor:
    """Residual D block; ``first`` is SNGAN's "optimized block" (no leading ReLU, pool before the shortcut conv)."""

    def conv(k: int) -> keras.layers.Layer:
        return maybe_spectral(keras.layers.Conv2D(filters, k, padding="same"), spectral_norm)

    h = x if first else keras.layers.ReLU()(x)
    h = conv(3)(h)
    h = keras.layers.ReLU()(h)
    h = conv(3)(h)
    if downsample:
        h = keras.layers.AveragePooling2D(2)(h)
    if first:
        shortcut = conv(1)(keras.layers.AveragePooling2D(2)(x))
    elif downsample or x.shape[-1] != filters:
        shortcut = conv(1)(x)
        if downsample:
            shortcut = keras.layers.AveragePooling2D(2)(shortcut)
    else:
        shortcut = x
    return keras.layers.Add()([h, shortcut])


@GENERATORS.register("resnet")
def resnet_generator(
    latent_dim: int,
    output_shape: tuple[int, int, int],
    width: int = 256,
    norm: str = "batch",
    sync_batchnorm: bool = False,
    name: str = "generator",
) -> keras.Model:
    """Builds z [B, latent_dim] → image [B, S, S, C] in [-1, 1], S = 4·2^k, with ``width`` channels per block."""
    size, _, channels = output_shape
    n_up = check_power_of_two(size, 4, "ResNet image size")
    if n_up < 1:
        raise ConfigError(f"ResNet generator needs an image size ≥ 8, got {size}")
    z = keras.Input((latent_dim,), name="z")
    x = keras.layers.Dense(4 * 4 * width)(z)
    x = keras.layers.Reshape((4, 4, width))(x)
    for _ in range(n_up):
        x = generator_block(x, width, norm, sync_batchnorm)
    x = normalization(norm, sync_batchnorm)(x)
    x = keras.layers.ReLU()(x)
    x = keras.layers.Conv2D(channels, 3, padding="same")(x)
    out = keras.layers.Activation("tanh", dtype="float32", name="image")(x)
    return keras.Model(z, out, name=name)


@DISCRIMINATORS.register("resnet")
def resnet_discriminator(
    input_shape: tuple[int, int, int],
    width: int = 128,
    spectral_norm: bool = False,
    name: str = "discriminator",
) -> keras.Model:
    """Builds image [B, S, S, C] → one logit [B, 1], S = 8·2^k ≥ 16 (down to 8×8, then two plain blocks)."""
    n_down = check_power_of_two(input_shape[0], 8, "ResNet discriminator image size")
    if n_down < 1:
        raise ConfigError(f"ResNet discriminator needs an image size ≥ 16, got {input_shape[0]}")
    x_in = keras.Input(tuple(input_shape), name="image")
    x = discriminator_block(x_in, width, downsample=True, spectral_norm=spectral_norm, first=True)
    for _ in range(n_down - 1):
        x = discriminator_block(x, width, downsample=True, spectral_norm=spectral_norm)
    for _ in range(2):
        x = discriminator_block(x, width, downsample=False, spectral_norm=spectral_norm)
    x = keras.layers.ReLU()(x)
    x = GlobalSumPooling2D()(x)
    out = maybe_spectral(keras.layers.Dense(1, dtype="float32", name="logit"), spectral_norm)(x)
    return keras.Model(x_in, out, name=name)
