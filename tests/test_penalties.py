"""Penalties against their closed forms on a linear critic D(x) = w·x (∇D = w everywhere)."""

import numpy as np
import pytest
import tensorflow as tf

from tfgan_apps import penalties
from tfgan_apps.registry import PENALTIES

W = np.array([0.3, -1.2, 2.0, 0.5], np.float32)


def linear_critic(x):
    return tf.reduce_sum(tf.reshape(x, [tf.shape(x)[0], -1]) * W, axis=1, keepdims=True)


@pytest.fixture
def batch():
    real = tf.random.normal([6, 2, 2, 1], seed=1)
    fake = tf.random.normal([6, 2, 2, 1], seed=2)
    return real, fake


@pytest.mark.parametrize(
    "name, expected",
    [
        ("gradient_penalty", (np.linalg.norm(W) - 1) ** 2),
        ("dragan", (np.linalg.norm(W) - 1) ** 2),
        ("r1", 0.5 * np.sum(W**2)),
        ("r2", 0.5 * np.sum(W**2)),
    ],
)
def test_linear_critic_closed_form(name, expected, batch):
    real, fake = batch
    value = PENALTIES.get(name).loss(linear_critic, real, fake, tf.constant([1, 2], tf.int64))
    assert value.shape == (6,)
    np.testing.assert_allclose(value.numpy(), np.full(6, expected), rtol=1e-5)


def test_gradient_penalty_alpha_is_uniform_per_sample():
    # D(x) = ½‖x‖² has ∇D = x; with real = 1 and fake = 0 the interpolate is α itself.
    def quadratic(x):
        return 0.5 * tf.reduce_sum(tf.square(x), axis=[1], keepdims=True)

    real, fake = tf.ones([4000, 1]), tf.zeros([4000, 1])
    value = penalties.gradient_penalty(quadratic, real, fake, tf.constant([3, 4], tf.int64)).numpy()
    alpha = 1 - np.sqrt(value)  # (α − 1)² with α ∈ (0, 1)
    assert alpha.min() >= 0 and alpha.max() <= 1
    assert len(np.unique(np.round(alpha, 6))) > 3900  # drawn per sample
    assert abs(alpha.mean() - 0.5) < 0.02 and abs(alpha.var() - 1 / 12) < 0.01  # U(0, 1), not a normal


def test_penalty_finite_when_gradient_vanishes():
    variable = tf.Variable(0.0)

    def constant_critic(x):
        return tf.zeros([tf.shape(x)[0], 1]) * variable + 0.0 * tf.reduce_sum(x, axis=[1], keepdims=True)

    with tf.GradientTape() as tape:
        value = tf.reduce_mean(
            penalties.gradient_penalty(
                constant_critic, tf.ones([3, 2]), tf.zeros([3, 2]), tf.constant([0, 0], tf.int64)
            )
        )
    grad = tape.gradient(value, variable)
    np.testing.assert_allclose(value.numpy(), 1.0, rtol=1e-5)
    assert grad is None or np.isfinite(grad.numpy())


def test_weight_clip_bounds_every_variable():
    variables = [tf.Variable(np.linspace(-1, 1, 11, dtype=np.float32)), tf.Variable([[5.0, -5.0]])]
    PENALTIES.get("weight_clip").constraint(variables, 0.01)
    for v in variables:
        assert np.abs(v.numpy()).max() <= 0.01 + 1e-9
