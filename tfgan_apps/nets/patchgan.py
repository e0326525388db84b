"""Conditional PatchGAN discriminator (pix2pix, Isola et al. 2017).

It classifies every overlapping ``N×N`` patch of ``concat(condition, image)`` as
real or fake and returns the map of logits. With ``n_layers`` stride-2 4×4
convolutions followed by two stride-1 4×4 convolutions, the receptive field is
``patchgan_receptive_field(n_layers) = 9·2^n_layers − 2`` px: 16, 34, **70**
(the default, n_layers=3), 142 for n_layers 1, 2, 3, 4. Derivation: walking back
from one output pixel, r = 1 → 4 → 7 through the stride-1 layers, then each
stride-2 layer maps r to 2r + 2.
"""

from __future__ import annotations

import keras

from tfgan_apps.errors import ConfigError
from tfgan_apps.nets.layers import maybe_spectral, normalization
from tfgan_apps.registry import DISCRIMINATORS


def patchgan_receptive_field(n_layers: int = 3) -> int:
    """Receptive field (px) of one PatchGAN output logit: ``9·2^n_layers − 2`` (70 for n_layers=3)."""
    r = 1
    for kernel, stride in reversed([(4, 2)] * n_layers + [(4, 1), (4, 1)]):
        r = (r - 1) * stride + kernel
    return r


@DISCRIMINATORS.register("patchgan")
def patchgan(
    input_shape: tuple[int | None, int | None, int],
    image_channels: int | None = None,
    width: int = 64,
    n_layers: int = 3,
    norm: str = "instance",
    spectral_norm: bool = False,
    conditional: bool = True,
    sync_batchnorm: bool = False,
    name: str = "discriminator",
) -> keras.Model:
    """Builds ``[condition, image]`` → patch logits ``[B, ceil(H/2^n_layers), ceil(W/2^n_layers), 1]``.

    Args:
      input_shape: ``(H, W, C)`` of the condition (the degraded input); H, W may be None.
      image_channels: channels of the judged image (default: C).
      width: filters of the first layer (pix2pix's ndf = 64), doubled per layer up to 8·width.
      n_layers: stride-2 layers; sets the receptive field (see module docstring).
      norm: normalisation after every conv except the first and last
        (``instance``, ``batch``, ``layer``, ``none``); use ``none``/``layer`` with gradient penalties.
      spectral_norm: wrap every convolution in ``keras.layers.SpectralNormalization``.
      conditional: if False the model takes the image alone (an unconditional patch discriminator).

    "same" padding keeps the stride-1 layers' size, so every side shrinks by
    ``2^n_layers`` (rounded up); each logit sees a ``patchgan_receptive_field(n_layers)`` px patch.
    """
    if n_layers < 1:
        raise ConfigError(f"patchgan n_layers must be >= 1, got {n_layers}")
    h, w, c = input_shape
    image = keras.Input((h, w, image_channels or c), name="image")
    if conditional:
        condition = keras.Input(tuple(input_shape), name="condition")
        inputs = [condition, image]
        x = keras.layers.Concatenate(name="pair")(inputs)
    else:
        inputs = image
        x = image
    for i in range(n_layers + 1):
        stride = 2 if i < n_layers else 1
        filters = width * min(2**i, 8)
        conv = keras.layers.Conv2D(
            filters,
            4,
            strides=stride,
            padding="same",
            use_bias=i == 0 or norm == "none",
            name=f"conv{i}",
        )
        x = maybe_spectral(conv, spectral_norm)(x)
        if i > 0:
            x = normalization(norm, sync_batchnorm, name=f"norm{i}")(x)
        x = keras.layers.LeakyReLU(0.2, name=f"act{i}")(x)
    last = keras.layers.Conv2D(1, 4, padding="same", dtype="float32", name="logits")
    if spectral_norm:  # the wrapper, not only the wrapped conv, must compute in float32
        last = keras.layers.SpectralNormalization(
            last, dtype="float32", name="logits_sn"
        )
    out = last(x)
    return keras.Model(inputs, out, name=name)
