"""Auto-encoder discriminator of the energy-based GANs (EBGAN, Zhao et al. 2017; BEGAN, Berthelot et al. 2017).

The discriminator is an encoder → bottleneck → decoder network whose
reconstruction error is the energy of an input: low on real data, high on fakes.
The layout follows BEGAN (§3.4, Fig. 1): 3×3 convolutions with ELU, stride-2
convolutions down to a 4×4 map with filters growing linearly (n, 2n, 3n, ...), a
linear fully connected bottleneck h, and a decoder of 3×3 convolutions with
nearest-neighbour 2× upsampling back to the input size; BEGAN's generator has
the decoder's architecture (registered as the ``decoder`` generator). EBGAN's (§2.3) energy is
the same kind of auto-encoder's reconstruction error; its pull-away term uses h.

The model returns a dict ``{"reconstruction": [B, S, S, C], "embedding": [B, bottleneck]}``
so it only fits models that read those two outputs (``began``, ``ebgan``), not the
single-logit losses of the base ``GAN``.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from tfgan_apps.errors import ConfigError
from tfgan_apps.losses import per_example_mean
from tfgan_apps.nets.layers import check_power_of_two, normalization
from tfgan_apps.registry import DISCRIMINATORS, GENERATORS

OUTPUTS = ("reconstruction", "embedding")


# The stabilizers a GAN with an auto-encoder discriminator (BEGAN, EBGAN) can use, and why it refuses the others.
AUTOENCODER_D_STABILIZERS: tuple[str, ...] = ("diffaugment", "ema", "feature_matching", "historical_averaging",
                                              "instance_noise", "replay", "virtual_batch")
AUTOENCODER_D_REASONS: dict[str, str] = {
    "packing": "the auto-encoder discriminator reconstructs single samples",
    "minibatch_discrimination": "the auto-encoder discriminator's output is a reconstruction (an energy), with no "
                                "real/fake logit layer for o(x) to feed",
    "label_smoothing": "the energy (reconstruction) loss has no real/fake targets",
    "label_noise": "the energy (reconstruction) loss has no real/fake targets",
}


def _conv(filters: int, norm: str, sync_batchnorm: bool, strides: int = 1) -> keras.Sequential:
    """3×3 convolution → normalisation → ELU."""
    return keras.Sequential([
        keras.layers.Conv2D(filters, 3, strides=strides, padding="same", use_bias=norm == "none"),
        normalization(norm, sync_batchnorm),
        keras.layers.ELU(),
    ])


def decoder(h: keras.KerasTensor, width: int, n_up: int, channels: int, norm: str, sync_batchnorm: bool,
            name: str) -> keras.KerasTensor:
    """BEGAN's decoder: dense to 4×4×n, then [2 × (3×3 conv, ELU), nearest 2× upsampling] × n_up, 3×3 conv out.

    The output is linear (no tanh), as in BEGAN; it is float32 for mixed precision.
    """
    y = keras.layers.Dense(4 * 4 * width)(h)
    y = keras.layers.Reshape((4, 4, width))(y)
    for _ in range(n_up):
        y = _conv(width, norm, sync_batchnorm)(y)
        y = _conv(width, norm, sync_batchnorm)(y)
        y = keras.layers.UpSampling2D(2, interpolation="nearest")(y)
    y = _conv(width, norm, sync_batchnorm)(y)
    y = _conv(width, norm, sync_batchnorm)(y)
    return keras.layers.Conv2D(channels, 3, padding="same", dtype="float32", name=name)(y)


@GENERATORS.register("decoder")
def decoder_generator(
    latent_dim: int,
    output_shape: tuple[int, int, int],
    width: int = 64,
    norm: str = "none",
    sync_batchnorm: bool = False,
    name: str = "generator",
) -> keras.Model:
    """BEGAN's generator (§3.4): z [B, latent_dim] → image [B, S, S, C], the auto-encoder's decoder
    architecture with its own weights and a linear output (no tanh)."""
    size, _, channels = output_shape
    n_up = check_power_of_two(size, 4, "decoder image size")
    z = keras.Input((latent_dim,), name="z")
    return keras.Model(z, decoder(z, width, n_up, channels, norm, sync_batchnorm, name="image"), name=name)


@DISCRIMINATORS.register("autoencoder")
def autoencoder_discriminator(
    input_shape: tuple[int, int, int],
    width: int = 64,
    bottleneck: int = 64,
    norm: str = "none",
    sync_batchnorm: bool = False,
    name: str = "discriminator",
) -> keras.Model:
    """Builds image [B, S, S, C] → {"reconstruction": [B, S, S, C], "embedding": [B, bottleneck]}.

    Args:
      input_shape: (S, S, C) with S = 4·2^k (16, 32, 64, ...).
      width: filters n of the first stage; encoder stage i has (i + 1)·n, the decoder n throughout (BEGAN).
      bottleneck: size of the embedding h (BEGAN's N_h).
      norm: normalisation after each convolution (BEGAN uses none; EBGAN used batch norm).
    """
    size, _, channels = input_shape
    n_down = check_power_of_two(size, 4, "auto-encoder image size")
    if bottleneck < 1:
        raise ConfigError(f"auto-encoder bottleneck must be ≥ 1, got {bottleneck}")
    x_in = keras.Input(tuple(input_shape), name="image")
    x = _conv(width, norm, sync_batchnorm)(x_in)
    for i in range(n_down):
        x = _conv(width * (i + 1), norm, sync_batchnorm)(x)
        x = _conv(width * (i + 2), norm, sync_batchnorm, strides=2)(x)
    x = _conv(width * (n_down + 1), norm, sync_batchnorm)(x)
    h = keras.layers.Dense(bottleneck, dtype="float32", name="embedding")(keras.layers.Flatten()(x))

    out = decoder(h, width, n_down, channels, norm, sync_batchnorm, name="reconstruction")
    return keras.Model(x_in, {"reconstruction": out, "embedding": h}, name=name)


def check_autoencoder(discriminator: keras.Model, model_name: str) -> None:
    """Raises ConfigError unless ``discriminator`` returns the auto-encoder's dict of outputs."""
    outputs = discriminator.output
    if not isinstance(outputs, dict) or set(outputs) != set(OUTPUTS):
        raise ConfigError(
            f"{model_name} needs an auto-encoder discriminator; set config.model.discriminator.type='autoencoder'"
        )


def reconstruction_energy(x: tf.Tensor, reconstruction: tf.Tensor, power: int) -> tf.Tensor:
    """Per-example mean of |x − D(x)|^power over pixels: BEGAN's L(v) (power 1, Eq. 1) or EBGAN's MSE (power 2)."""
    diff = tf.abs(tf.cast(x, tf.float32) - tf.cast(reconstruction, tf.float32))
    return per_example_mean(diff if power == 1 else diff**power)
