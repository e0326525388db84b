"""Discriminator regularizers usable from any model by name and weight.

Loss-type penalties share one signature::

    penalty(d_fn, real, fake, seed) -> per-example penalty [batch]

``d_fn`` maps a batch of inputs to discriminator logits (the model passes a
closure, so joint discriminators such as BiGAN's D(x, z) plug in too), ``seed``
is a ``[2]`` int tensor for stateless sampling, the same on every replica:
random draws are made for the global batch and each replica keeps its slice
(``distribute.replica_draw``), so a multi-replica run draws exactly what a
single-device run draws. The configured weight
multiplies the returned value:

* ``gradient_penalty`` (WGAN-GP, Gulrajani et al. 2017): (‖∇D(x̂)‖ − 1)² at
  x̂ = αx + (1 − α)G(z), α ~ U(0, 1) drawn *per sample*.
* ``dragan`` (Kodali et al. 2017): (‖∇D(x̂)‖ − 1)² at x̂ = x + α·δ with
  δ = 0.5·std(x)·U(0, 1) noise, as in the authors' code (std over the
  replica's batch: under a multi-replica strategy it is a per-replica estimate).
* ``r1`` / ``r2`` (Mescheder et al. 2018): ½‖∇D(x)‖² on real (R1) or fake (R2)
  data, so the config weight is the paper's γ.

Gradient norms are taken over all non-batch axes, with a small epsilon inside
the square root so the penalty and its gradient stay finite when ∇D ≈ 0.

``weight_clip`` is the WGAN constraint: after each discriminator update every
discriminator weight is clipped to [−c, c], c being the configured value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import tensorflow as tf

from tfgan_apps.distribute import replica_draw
from tfgan_apps.registry import PENALTIES

DFn = Callable[[tf.Tensor], tf.Tensor]
_EPS = 1e-12


@dataclass(frozen=True)
class Penalty:
    """A regularizer: either a per-example loss term or a constraint applied after the update."""

    name: str
    loss: Callable[[DFn, tf.Tensor, tf.Tensor, tf.Tensor], tf.Tensor] | None = None
    constraint: Callable[[Iterable[tf.Variable], float], None] | None = None


def input_gradients(d_fn: DFn, x: tf.Tensor) -> tf.Tensor:
    """Per-example gradient of D's output w.r.t. its input, flattened to [batch, features].

    Under the ``mixed_float16`` policy the inner backward pass is loss-scaled by a
    static 2¹⁰ (and unscaled in float32) so small gradients do not underflow.
    """
    import keras

    scale = 1024.0 if keras.mixed_precision.dtype_policy().name == "mixed_float16" else 1.0
    x = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        total = tf.reduce_sum(tf.cast(d_fn(x), tf.float32)) * scale
    grads = tf.cast(tape.gradient(total, x), tf.float32) / scale
    return tf.reshape(grads, [tf.shape(x)[0], -1])


def _norm(grads: tf.Tensor) -> tf.Tensor:
    return tf.sqrt(tf.reduce_sum(tf.square(grads), axis=1) + _EPS)


def _uniform_like(x: tf.Tensor, seed: tf.Tensor, per_sample: bool) -> tf.Tensor:
    """U(0, 1) of x's shape (or [B, 1, ..., 1] when ``per_sample``), this replica's slice of a global draw."""
    rest = tf.shape(x)[1:]
    if per_sample:
        rest = tf.ones_like(rest)
    return replica_draw(
        lambda n: tf.random.stateless_uniform(tf.concat([[n], rest], 0), seed=seed, dtype=x.dtype), tf.shape(x)[0]
    )


def gradient_penalty(d_fn: DFn, real: tf.Tensor, fake: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """WGAN-GP two-sided penalty (‖∇D(x̂)‖ − 1)² on random interpolates, per example."""
    alpha = _uniform_like(real, seed, per_sample=True)
    interpolates = alpha * real + (1.0 - alpha) * tf.cast(fake, real.dtype)
    return tf.square(_norm(input_gradients(d_fn, interpolates)) - 1.0)


def dragan(d_fn: DFn, real: tf.Tensor, fake: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """DRAGAN penalty (‖∇D(x̂)‖ − 1)² around perturbed real data, per example."""
    del fake
    seeds = tf.random.experimental.stateless_split(seed, 2)
    std = tf.math.reduce_std(real)
    delta = 0.5 * std * _uniform_like(real, seeds[0], per_sample=False)
    alpha = _uniform_like(real, seeds[1], per_sample=True)
    return tf.square(_norm(input_gradients(d_fn, real + alpha * delta)) - 1.0)


def r1(d_fn: DFn, real: tf.Tensor, fake: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """R1: ½‖∇D(x)‖² on real data, per example (weight = γ)."""
    del fake, seed
    return 0.5 * tf.reduce_sum(tf.square(input_gradients(d_fn, real)), axis=1)


def r2(d_fn: DFn, real: tf.Tensor, fake: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """R2: ½‖∇D(G(z))‖² on generated data, per example (weight = γ)."""
    del real, seed
    return 0.5 * tf.reduce_sum(tf.square(input_gradients(d_fn, fake)), axis=1)


def clip_weights(variables: Iterable[tf.Variable], clip_value: float) -> None:
    """WGAN weight clipping: assigns clip(w, −c, c) to every variable."""
    for variable in variables:
        variable.assign(tf.clip_by_value(variable, -clip_value, clip_value))


for _penalty in (
    Penalty("gradient_penalty", loss=gradient_penalty),
    Penalty("dragan", loss=dragan),
    Penalty("r1", loss=r1),
    Penalty("r2", loss=r2),
    Penalty("weight_clip", constraint=clip_weights),
):
    PENALTIES.register(_penalty.name)(_penalty)
