"""Perceptual features for the restoration loss: VGG19 conv5_4 before the ReLU, from a local weights file.

ESRGAN (Wang et al. 2018, §3.3) compares features *before* the activation (denser,
brightness-consistent gradients). The weights are never downloaded: ``vgg_feature_fn``
reads a local ``include_top=False`` VGG19 file (``config.model.vgg_weights``) and a
missing file is a ConfigError; without it the model uses discriminator feature
matching instead (``restoration.model``).
"""

from __future__ import annotations

import os
from collections.abc import Callable

import keras
import tensorflow as tf

from tfgan_apps.errors import ConfigError

VGG_MEAN_BGR = (103.939, 116.779, 123.68)


def vgg_feature_fn(weights_path: str) -> Callable[[tf.Tensor], tf.Tensor]:
    """VGG19 conv5_4 pre-activation features of [-1, 1] RGB (or grey, repeated) images, from a LOCAL weights file.

    Raises ConfigError if the file does not exist or does not fit VGG19 (``include_top=False``).
    """
    path = os.path.expanduser(weights_path)
    if not os.path.isfile(path):
        raise ConfigError(
            f"model.vgg_weights={weights_path!r} does not exist; give a local VGG19 weights file "
            "(e.g. vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5 from ~/.keras/models on a machine with "
            "internet), or set model.vgg_weights='' to use discriminator feature matching instead"
        )
    try:
        vgg = keras.applications.VGG19(include_top=False, weights=path, input_shape=(None, None, 3))
    except (ValueError, OSError) as err:
        raise ConfigError(f"cannot load VGG19 weights from {path!r}: {str(err)[:200]}") from None
    vgg.trainable = False
    body = keras.Model(vgg.input, vgg.get_layer("block5_conv3").output, name="vgg19_to_conv5_3")
    conv54 = vgg.get_layer("block5_conv4")

    def features(images: tf.Tensor) -> tf.Tensor:
        x = tf.cast(images, tf.float32)
        if x.shape[-1] == 1:
            x = tf.repeat(x, 3, axis=-1)
        x = (x + 1.0) * 127.5  # caffe preprocessing: 0–255 BGR minus the ImageNet mean
        x = tf.reverse(x, axis=[-1]) - tf.constant(VGG_MEAN_BGR)
        h = body(x, training=False)
        return tf.nn.bias_add(tf.nn.conv2d(h, conv54.kernel, 1, "SAME"), conv54.bias)

    features.model = body  # keeps the network alive / inspectable
    return features
