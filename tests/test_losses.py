"""Contract tests run against every adversarial loss family, plus closed-form values."""

import math

import numpy as np
import pytest
import tensorflow as tf

from tfgan_apps import losses
from tfgan_apps.errors import ConfigError

FAMILIES = ["minimax", "non_saturating", "least_squares", "wasserstein", "hinge"]


@pytest.mark.parametrize("name", FAMILIES)
class TestLossContract:
    def test_per_example_shapes_and_finite(self, name):
        loss = losses.get(name)
        real = tf.random.normal([5, 1])
        fake = tf.random.normal([5, 1])
        d = loss.discriminator(real, fake)
        g = loss.generator(fake)
        assert d.shape == (5,) and g.shape == (5,)
        assert np.isfinite(d.numpy()).all() and np.isfinite(g.numpy()).all()

    def test_patch_outputs_are_averaged_per_example(self, name):
        loss = losses.get(name)
        fake = tf.random.stateless_normal([3, 4, 4, 1], seed=[1, 2])
        per_patch = tf.stack([loss.generator(tf.reshape(fake[:, i, j], [3, 1])) for i in range(4) for j in range(4)])
        np.testing.assert_allclose(
            loss.generator(fake).numpy(), tf.reduce_mean(per_patch, 0).numpy(), rtol=1e-5, atol=1e-6
        )

    def test_generator_prefers_higher_fake_scores(self, name):
        loss = losses.get(name)
        fake = tf.Variable([[0.0]])
        with tf.GradientTape() as tape:
            value = tf.reduce_sum(loss.generator(fake))
        assert tape.gradient(value, fake).numpy()[0, 0] < 0

    def test_discriminator_prefers_separating_real_and_fake(self, name):
        loss = losses.get(name)
        real, fake = tf.Variable([[0.5]]), tf.Variable([[0.5]])
        with tf.GradientTape() as tape:
            value = tf.reduce_sum(loss.discriminator(real, fake))
        g_real, g_fake = tape.gradient(value, [real, fake])
        assert g_real.numpy()[0, 0] < 0 < g_fake.numpy()[0, 0]


def test_closed_form_values():
    zero = tf.zeros([1, 1])
    np.testing.assert_allclose(losses.get("minimax").discriminator(zero, zero), [2 * math.log(2)], rtol=1e-6)
    np.testing.assert_allclose(losses.get("minimax").generator(zero), [-math.log(2)], rtol=1e-6)
    np.testing.assert_allclose(losses.get("non_saturating").generator(zero), [math.log(2)], rtol=1e-6)
    np.testing.assert_allclose(losses.get("least_squares").discriminator(tf.ones([1, 1]), zero), [0.0])
    np.testing.assert_allclose(losses.get("least_squares").generator(zero), [0.5])
    wasserstein = losses.get("wasserstein")
    np.testing.assert_allclose(wasserstein.discriminator(tf.constant([[3.0]]), tf.constant([[1.0]])), [-2.0])
    np.testing.assert_allclose(losses.get("hinge").discriminator(tf.constant([[0.5]]), tf.constant([[-2.0]])), [0.5])
    np.testing.assert_allclose(losses.get("hinge").generator(tf.constant([[2.0]])), [-2.0])


def test_unknown_loss_names_choices():
    with pytest.raises(ConfigError, match="valid choices: hinge, least_squares"):
        losses.get("bogus")
