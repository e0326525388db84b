"""Network builders: shapes, options and errors."""

import pytest

from tfgan_apps.errors import ConfigError
from tfgan_apps.nets import build_network
from tfgan_apps.registry import DISCRIMINATORS, GENERATORS


@pytest.mark.parametrize("size", [8, 16, 32, 64])
def test_dcgan_shapes(size):
    g = build_network(GENERATORS, {"type": "dcgan", "width": 4}, latent_dim=5, output_shape=(size, size, 3))
    d = build_network(DISCRIMINATORS, {"type": "dcgan", "width": 4, "spectral_norm": True},
                      input_shape=(size, size, 3))
    assert g.output_shape == (None, size, size, 3)
    assert d(g.predict_on_batch(__import__("numpy").zeros((2, 5)))).shape == (2, 1)


def test_mlp_and_conv1d_shapes():
    g = build_network(GENERATORS, {"type": "mlp", "width": 16}, latent_dim=2, output_shape=(2,))
    d = build_network(DISCRIMINATORS, {"type": "mlp"}, input_shape=(2,))
    assert g.output_shape == (None, 2) and d.output_shape == (None, 1)
    g = build_network(GENERATORS, {"type": "conv1d", "width": 4}, latent_dim=3, output_shape=(64, 1))
    d = build_network(DISCRIMINATORS, {"type": "conv1d", "width": 4}, input_shape=(64, 1))
    assert g.output_shape == (None, 64, 1) and d.output_shape == (None, 1)


def test_spec_is_not_mutated_and_errors_are_clear():
    spec = {"type": "dcgan", "width": 4}
    build_network(GENERATORS, spec, latent_dim=2, output_shape=(8, 8, 1))
    assert spec == {"type": "dcgan", "width": 4}
    with pytest.raises(ConfigError, match="unknown generator network 'nope'; valid choices: .*dcgan"):
        build_network(GENERATORS, {"type": "nope"}, latent_dim=2, output_shape=(8, 8, 1))
    with pytest.raises(ConfigError, match="has no option.*depthh"):
        build_network(GENERATORS, {"type": "mlp", "depthh": 3}, latent_dim=2, output_shape=(2,))
    with pytest.raises(ConfigError, match="image size must be"):
        build_network(GENERATORS, {"type": "dcgan"}, latent_dim=2, output_shape=(28, 28, 1))
    with pytest.raises(ConfigError, match="unknown normalization"):
        build_network(DISCRIMINATORS, {"type": "dcgan", "norm": "weird"}, input_shape=(16, 16, 1))


def test_dcgan_generator_render_size_draws_small_and_upsamples_bilinearly():
    import keras
    import numpy as np
    import tensorflow as tf

    from tfgan_apps.nets.dcgan import dcgan_generator

    g = dcgan_generator(8, (32, 32, 1), width=8, render_size=8)
    z = np.random.default_rng(0).normal(size=(3, 8)).astype(np.float32)
    out = g(z).numpy()
    small = keras.Model(g.input, g.get_layer("render").output)(z).numpy()
    assert out.shape == (3, 32, 32, 1) and small.shape == (3, 8, 8, 1)
    # The digits source's own resize of an 8-px picture (antialiased bilinear) is what G's output is.
    expected = tf.image.resize(small, (32, 32), method="bilinear", antialias=True).numpy()
    np.testing.assert_allclose(out, expected, atol=1e-5)
    assert dcgan_generator(8, (32, 32, 1), width=8).output_shape == (None, 32, 32, 1)  # 0 = off
    with pytest.raises(ConfigError, match="render_size"):
        dcgan_generator(8, (16, 16, 1), width=8, render_size=32)
