"""Virtual batch normalisation (Salimans et al. 2016, §3.5): normalise by a fixed reference batch's statistics.

Batch normalisation makes an example's output depend on the other examples of its
batch. VBN normalises each example x by statistics of a *reference batch* R of N examples
chosen once at the start of training, combined with x itself, as in the paper's code
(``improved-gan/imagenet``, class ``VBN``): per channel,

    μ = w·mean(x) + (1 − w)·mean(R),   ν = w·mean(x²) + (1 − w)·mean(R²),   w = 1/(N + 1),
    VBN(x) = γ·(x − μ)/√(ν − μ² + ε) + β,

the means of x taken over its spatial positions (x itself for flat features) and those of
R over its examples and positions. The reference batch itself is normalised by its own
statistics (plain batch norm), so its activations, which give the statistics of the next
VBN layer, do not depend on the live examples.

Calling convention: in a training call the network's input batch starts with the N
reference examples (``GAN`` prepends them and drops their outputs; ``reference_size`` =
N is set by the model), so the reference passes through the *current* weights at every
step, as in the paper. The layer stores the reference statistics of its last training call
(non-trainable, checkpointed, copied by the generator EMA); an inference call (``training``
false) uses them, so sampling and export need no reference batch.
"""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="tfgan_apps")
class VirtualBatchNormalization(keras.layers.Layer):
    """VBN over the last axis (channels / features); ``reference_size`` = N, the first N rows of a training batch."""

    def __init__(self, reference_size: int = 0, epsilon: float = 1e-5, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.reference_size = int(reference_size)
        self.epsilon = float(epsilon)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        channels = int(input_shape[-1])
        self.gamma = self.add_weight(shape=(channels,), initializer="ones", name="gamma")
        self.beta = self.add_weight(shape=(channels,), initializer="zeros", name="beta")
        self.reference_mean = self.add_weight(shape=(channels,), initializer="zeros", trainable=False,
                                              name="reference_mean", aggregation="only_first_replica")
        self.reference_mean_sq = self.add_weight(shape=(channels,), initializer="ones", trainable=False,
                                                 name="reference_mean_sq", aggregation="only_first_replica")

    def _normalize(self, x: tf.Tensor, mean: tf.Tensor, mean_sq: tf.Tensor) -> tf.Tensor:
        variance = tf.maximum(mean_sq - tf.square(mean), 0.0)
        gamma = tf.cast(self.gamma, tf.float32)
        beta = tf.cast(self.beta, tf.float32)
        return (x - mean) * tf.math.rsqrt(variance + self.epsilon) * gamma + beta

    def call(self, inputs: tf.Tensor, training: bool | None = None) -> tf.Tensor:
        x = tf.cast(inputs, tf.float32)
        rank = len(inputs.shape)
        spatial = list(range(1, rank - 1))
        n = self.reference_size
        outputs = []
        if training and n > 0:
            reference = x[:n]
            ref_mean = tf.reduce_mean(reference, axis=[0, *spatial])
            ref_mean_sq = tf.reduce_mean(tf.square(reference), axis=[0, *spatial])
            self.reference_mean.assign(tf.stop_gradient(ref_mean))
            self.reference_mean_sq.assign(tf.stop_gradient(ref_mean_sq))
            outputs.append(self._normalize(reference, ref_mean, ref_mean_sq))
            live = x[n:]
        else:
            ref_mean = tf.convert_to_tensor(self.reference_mean)
            ref_mean_sq = tf.convert_to_tensor(self.reference_mean_sq)
            live = x
        own_mean = tf.reduce_mean(live, axis=spatial, keepdims=True) if spatial else live
        own_mean_sq = tf.reduce_mean(tf.square(live), axis=spatial, keepdims=True) if spatial else tf.square(live)
        w = 1.0 / (n + 1.0)
        mean = w * own_mean + (1.0 - w) * ref_mean
        mean_sq = w * own_mean_sq + (1.0 - w) * ref_mean_sq
        outputs.append(self._normalize(live, mean, mean_sq))
        out = outputs[0] if len(outputs) == 1 else tf.concat(outputs, axis=0)
        return tf.cast(out, self.compute_dtype)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "reference_size": self.reference_size, "epsilon": self.epsilon}


def vbn_layers(network: keras.Model) -> list[VirtualBatchNormalization]:
    """The VBN layers of a network (nested models included)."""
    return [layer for layer in network._flatten_layers(include_self=False)
            if isinstance(layer, VirtualBatchNormalization)]
