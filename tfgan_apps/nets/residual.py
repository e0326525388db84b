"""DnCNN-style residual denoiser (Zhang et al. 2017).

``conv3×3-ReLU → (depth − 2) × [conv3×3-norm-ReLU] → conv3×3`` predicts the
noise; the model returns ``input − predicted noise`` (residual learning: the
body only has to model the noise, and a zero last layer is the identity).
Fully convolutional with "same" padding: any H, W.
"""

from __future__ import annotations

import keras

from tfgan_apps.errors import ConfigError
from tfgan_apps.nets.layers import normalization
from tfgan_apps.registry import GENERATORS


@GENERATORS.register("residual_denoiser")
def residual_denoiser(
    input_shape: tuple[int | None, int | None, int],
    width: int = 64,
    depth: int = 17,
    norm: str = "batch",
    identity_init: bool = True,
    sync_batchnorm: bool = False,
    name: str = "generator",
) -> keras.Model:
    """Builds noisy image ``[B, H, W, C]`` → denoised image ``[B, H, W, C]`` (unbounded; clip for display).

    Args:
      input_shape: ``(H, W, C)``; H, W may be None.
      width: feature channels (64 in DnCNN).
      depth: total conv layers (17 for DnCNN-S, 20 for blind DnCNN-B); at least 2.
      norm: normalisation in the middle layers: ``batch`` (DnCNN), ``instance``, ``layer`` or ``none``.
      identity_init: zero-initialise the last conv, so the untrained network is the identity and
        training starts from the noisy input's quality instead of a random perturbation of it
        (with Glorot init the first steps make the output worse than the input).

    The last conv is named ``noise``; its output is the predicted noise map.
    """
    if depth < 2:
        raise ConfigError(f"residual_denoiser depth must be >= 2, got {depth}")
    inputs = keras.Input(tuple(input_shape), name="image")
    x = keras.layers.Conv2D(width, 3, padding="same", name="conv0")(inputs)
    x = keras.layers.ReLU(name="act0")(x)
    for i in range(1, depth - 1):
        x = keras.layers.Conv2D(
            width, 3, padding="same", use_bias=norm == "none", name=f"conv{i}"
        )(x)
        x = normalization(norm, sync_batchnorm, name=f"norm{i}")(x)
        x = keras.layers.ReLU(name=f"act{i}")(x)
    noise = keras.layers.Conv2D(
        input_shape[-1], 3, padding="same", dtype="float32", name="noise",
        kernel_initializer="zeros" if identity_init else "glorot_uniform",
    )(x)
    out = keras.layers.Subtract(dtype="float32", name="denoised")([inputs, noise])
    return keras.Model(inputs, out, name=name)
