"""nets.fused_batchnorm: the fused-kernel BatchNorm computes what Keras' BatchNormalization computes."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from tfgan_apps.nets.fused_batchnorm import FusedBatchNormalization


def _step(layer: keras.layers.Layer, x: tf.Tensor) -> tuple[np.ndarray, list[np.ndarray]]:
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = layer(x, training=True)
        loss = tf.reduce_sum(y * tf.sin(tf.range(y.shape[-1], dtype=y.dtype)))
    return y.numpy(), [g.numpy() for g in tape.gradient(loss, [x, layer.gamma, layer.beta])]


def test_training_step_matches_keras_batchnorm():
    x = tf.random.stateless_normal([8, 5, 5, 6], [0, 1]) * 3 + 1
    plain, fused = (cls(momentum=0.9, epsilon=1e-5) for cls in (keras.layers.BatchNormalization,
                                                                FusedBatchNormalization))
    for layer in (plain, fused):
        layer.build(x.shape)
        layer.gamma.assign(tf.random.stateless_normal([6], [1, 2]) + 1)
        layer.beta.assign(tf.random.stateless_normal([6], [3, 4]))
    assert fused.fusable(x)
    (y0, g0), (y1, g1) = _step(plain, x), _step(fused, x)
    np.testing.assert_allclose(y1, y0, atol=1e-5)
    for a, b in zip(g1, g0):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=2e-3)  # sums over 200 elements: float32 rounding
    # the moving averages use the biased batch variance, as Keras does (the kernel's is unbiased)
    np.testing.assert_allclose(fused.moving_mean.numpy(), plain.moving_mean.numpy(), atol=1e-6)
    np.testing.assert_allclose(fused.moving_variance.numpy(), plain.moving_variance.numpy(), rtol=1e-5)
    assert not np.allclose(fused.moving_variance.numpy(), 1.0)  # they did move
    np.testing.assert_allclose(fused(x, training=False), plain(x, training=False), atol=1e-5)


def test_falls_back_where_the_kernel_would_differ_and_round_trips_its_config():
    x = tf.ones([2, 3, 4, 4])
    channels_first = FusedBatchNormalization(axis=1)
    channels_first.build(x.shape)
    assert not channels_first.fusable(x)
    assert channels_first(x, training=True).shape == x.shape  # Keras' own call
    assert not FusedBatchNormalization(synchronized=True).fusable(tf.ones([2, 4, 4, 3]))
    assert not FusedBatchNormalization(center=False).fusable(tf.ones([2, 4, 4, 3]))
    clone = keras.layers.deserialize(keras.layers.serialize(FusedBatchNormalization(momentum=0.8)))
    assert isinstance(clone, FusedBatchNormalization) and clone.momentum == 0.8


def test_mixed_bfloat16_inputs_give_bfloat16_outputs():
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        layer = FusedBatchNormalization()
        x = tf.cast(tf.random.stateless_normal([4, 3, 3, 2], [5, 6]), tf.bfloat16)
        y = layer(x, training=True)
        assert y.dtype == tf.bfloat16 and layer.moving_mean.dtype == "float32"
        np.testing.assert_allclose(tf.reduce_mean(tf.cast(y, tf.float32), [0, 1, 2]), 0.0, atol=0.05)
    finally:
        keras.mixed_precision.set_global_policy("float32")
