"""The ResNet image-to-image generator of CycleGAN (Zhu et al. 2017, appendix 7.2; after Johnson et al. 2016).

``c7s1-w, d2w, d4w, R4w × blocks, u2w, uw, c7s1-C``: a 7×7 stride-1 convolution, two 3×3 stride-2
down-sampling convolutions, ``blocks`` residual blocks (two 3×3 convolutions each, reflection padded),
two 3×3 fractionally strided (transposed, stride 2) convolutions and a 7×7 convolution to the output
channels with tanh. Every convolution but the last is followed by instance normalisation and ReLU;
the 7×7 and residual convolutions use reflection padding. CycleGAN uses w = 64 and 6 blocks for
128×128 training images, 9 blocks for 256×256 and larger.

Fully convolutional: any H, W that are multiples of 4 (``SIZE_MULTIPLE``; pad other sizes, as the
restorer export does). ``residual=True`` (not in the paper) adds the input to the output before a
final clip, so an untrained generator starts as the identity: useful when the two domains are
close (de-raining, night → day) and training time is short.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from tfgan_apps.errors import ConfigError
from tfgan_apps.nets.layers import normalization
from tfgan_apps.registry import GENERATORS

SIZE_MULTIPLE = 4
"""Input sides must be multiples of this (two stride-2 down-samplings)."""


@keras.saving.register_keras_serializable(package="tfgan_apps")
class ReflectionPad2D(keras.layers.Layer):
    """Pads H and W by ``padding`` pixels on each side by reflection (no edge repetition), as PyTorch's
    ``ReflectionPad2d``."""

    def __init__(self, padding: int, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.padding = int(padding)

    def call(self, inputs: tf.Tensor) -> tf.Tensor:
        p = self.padding
        return tf.pad(inputs, [[0, 0], [p, p], [p, p], [0, 0]], mode="REFLECT")

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        grow = [None if d is None else d + 2 * self.padding for d in input_shape[1:3]]
        return (input_shape[0], *grow, input_shape[3])

    def get_config(self) -> dict:
        return {**super().get_config(), "padding": self.padding}


@keras.saving.register_keras_serializable(package="tfgan_apps")
class ClipToUnit(keras.layers.Layer):
    """Clips to [-1, 1] (the image range)."""

    def call(self, inputs: tf.Tensor) -> tf.Tensor:
        return tf.clip_by_value(inputs, -1.0, 1.0)


def _conv_norm_relu(x: keras.KerasTensor, filters: int, kernel: int, stride: int, norm: str, name: str,
                    reflect: bool) -> keras.KerasTensor:
    if reflect:
        x = ReflectionPad2D(kernel // 2, name=f"{name}_pad")(x)
    x = keras.layers.Conv2D(filters, kernel, strides=stride, padding="valid" if reflect else "same",
                            use_bias=norm == "none", name=f"{name}_conv")(x)
    x = normalization(norm, name=f"{name}_norm")(x)
    return keras.layers.ReLU(name=f"{name}_relu")(x)


@GENERATORS.register("resnet_translator")
def resnet_translator(
    input_shape: tuple[int | None, int | None, int],
    output_channels: int | None = None,
    width: int = 64,
    blocks: int = 6,
    norm: str = "instance",
    residual: bool = False,
    name: str = "generator",
) -> keras.Model:
    """Builds the CycleGAN ResNet generator ``[B, H, W, C] → [B, H, W, output_channels]`` in [-1, 1].

    Args:
      input_shape: ``(H, W, C)``; H, W may be None (multiples of 4 at run time).
      output_channels: default C.
      width: filters of the first convolution (CycleGAN's ngf = 64); 2× and 4× after the down-samplings.
      blocks: residual blocks (6 at ≤ 128 px, 9 at 256 px in the paper).
      norm: ``instance`` (the paper's), ``batch``, ``layer`` or ``none``.
      residual: output = clip(input + tanh(·), −1, 1) instead of tanh(·) (module docstring).
    """
    if blocks < 0 or width < 1:
        raise ConfigError(f"resnet_translator needs blocks >= 0 and width >= 1, got {blocks}, {width}")
    h, w, c = input_shape
    for side in (h, w):
        if side is not None and side % SIZE_MULTIPLE:
            raise ConfigError(f"resnet_translator needs image sides that are multiples of {SIZE_MULTIPLE}, "
                              f"got {h}×{w}")
    out_channels = output_channels or c
    if residual and out_channels != c:
        raise ConfigError(f"residual=True needs as many output as input channels, got {c} → {out_channels}")
    inputs = keras.Input((h, w, c), name="images")
    x = _conv_norm_relu(inputs, width, 7, 1, norm, "c7s1", reflect=True)
    x = _conv_norm_relu(x, 2 * width, 3, 2, norm, "down1", reflect=False)
    x = _conv_norm_relu(x, 4 * width, 3, 2, norm, "down2", reflect=False)
    for i in range(blocks):
        y = _conv_norm_relu(x, 4 * width, 3, 1, norm, f"res{i}_a", reflect=True)
        y = ReflectionPad2D(1, name=f"res{i}_b_pad")(y)
        y = keras.layers.Conv2D(4 * width, 3, use_bias=norm == "none", name=f"res{i}_b_conv")(y)
        y = normalization(norm, name=f"res{i}_b_norm")(y)
        x = keras.layers.Add(name=f"res{i}_add")([x, y])
    for i, filters in enumerate((2 * width, width)):
        x = keras.layers.Conv2DTranspose(filters, 3, strides=2, padding="same", use_bias=norm == "none",
                                         name=f"up{i + 1}_conv")(x)
        x = normalization(norm, name=f"up{i + 1}_norm")(x)
        x = keras.layers.ReLU(name=f"up{i + 1}_relu")(x)
    x = ReflectionPad2D(3, name="out_pad")(x)
    x = keras.layers.Conv2D(out_channels, 7, name="out_conv", dtype="float32",
                            kernel_initializer="zeros" if residual else "glorot_uniform")(x)
    out = keras.layers.Activation("tanh", dtype="float32", name="tanh")(x)
    if residual:
        out = keras.layers.Add(dtype="float32", name="plus_input")([inputs, out])
        out = ClipToUnit(dtype="float32", name="clip")(out)
    return keras.Model(inputs, out, name=name)
