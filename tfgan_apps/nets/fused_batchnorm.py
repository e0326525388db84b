"""BatchNormalization on TensorFlow's fused kernel: the same layer, variables and arithmetic, fewer ops.

Keras 3's ``BatchNormalization`` computes a training step's statistics and
normalisation as separate ops (``moments``: mean, squared difference, mean; then
subtract, multiply, add; and as many again in the gradient). TensorFlow has one
fused kernel for all of it (``FusedBatchNormV3`` and its gradient; oneDNN's
``_MklFusedBatchNormV3`` on CPU). ``benchmarks/speed_suspects.py`` (batchnorm part)
times one BatchNorm forward + backward at the 64² DCGAN's shapes; see
``benchmarks/results/train_speed.md`` for the numbers.

``FusedBatchNormalization`` is a drop-in subclass: same constructor, same weights
(``gamma``, ``beta``, ``moving_mean``, ``moving_variance``: checkpoints load either
way), same moving-average update with the *biased* batch variance (as Keras does;
the fused kernel returns the unbiased one, which is rescaled by (n − 1)/n). It
takes the fused path only where that is exactly the Keras computation: TensorFlow
backend, training mode, trainable, a 4-D input normalised over its last axis,
``center`` and ``scale`` on, no mask, no renorm, not synchronised across replicas;
everything else (inference included) is Keras' own ``call``.
"""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="tfgan_apps")
class FusedBatchNormalization(keras.layers.BatchNormalization):
    """``keras.layers.BatchNormalization`` whose training step runs TensorFlow's fused kernel where exact."""

    def fusable(self, inputs: Any, mask: Any = None) -> bool:
        """Whether the fused kernel computes exactly what Keras' ``call`` would for this input."""
        return (keras.backend.backend() == "tensorflow" and mask is None and not self.renorm
                and not self.synchronized and self.center and self.scale and len(inputs.shape) == 4
                and self.axis in (-1, 3) and inputs.dtype in (tf.float32, tf.bfloat16, tf.float16))

    def call(self, inputs: Any, training: Any = None, mask: Any = None) -> Any:
        if not (training and self.trainable and self.fusable(inputs, mask)):
            return super().call(inputs, training=training, mask=mask)
        outputs, mean, unbiased = tf.compat.v1.nn.fused_batch_norm(
            inputs, tf.cast(self.gamma, tf.float32), tf.cast(self.beta, tf.float32), epsilon=self.epsilon,
            data_format="NHWC", is_training=True)
        count = tf.cast(tf.reduce_prod(tf.shape(inputs)[:3]), tf.float32)
        variance = unbiased * (count - 1.0) / tf.maximum(count, 1.0)
        self.moving_mean.assign(self.moving_mean * self.momentum + mean * (1.0 - self.momentum))
        self.moving_variance.assign(self.moving_variance * self.momentum + variance * (1.0 - self.momentum))
        return tf.cast(outputs, self.compute_dtype)
