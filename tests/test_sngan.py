"""SNGAN's ResNet builders and spectral norm, and the base-class variant recipes (WGAN's RMSProp, PacGAN)."""


import keras
import numpy as np
import pytest

from tests.conftest import load_recipe
from tfgan_apps import trainer
from tfgan_apps.data import make_dataset
from tfgan_apps.errors import ConfigError
from tfgan_apps.nets import build_network
from tfgan_apps.registry import DISCRIMINATORS, GENERATORS
from tfgan_apps.validation import validate


def top_singular_value(kernel):
    """Largest singular value of a kernel reshaped to [-1, out] (how SpectralNormalization sees it)."""
    kernel = np.asarray(kernel)
    return np.linalg.svd(np.reshape(kernel, [-1, kernel.shape[-1]]), compute_uv=False)[0]


def sn_layers(model):
    return [layer for layer in model._flatten_layers() if isinstance(layer, keras.layers.SpectralNormalization)]


@pytest.mark.parametrize("size", [16, 32])
def test_resnet_shapes_and_spectral_norm_on_every_discriminator_layer(size):
    g = build_network(GENERATORS, {"type": "resnet", "width": 8}, latent_dim=5, output_shape=(size, size, 3))
    d = build_network(DISCRIMINATORS, {"type": "resnet", "width": 8, "spectral_norm": True},
                      input_shape=(size, size, 3))
    images = g(np.zeros((2, 5), np.float32))
    assert images.shape == (2, size, size, 3) and np.abs(images.numpy()).max() <= 1
    assert d(images).shape == (2, 1)
    weighted = [layer for layer in d._flatten_layers()
                if isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense))]
    wrapped = {id(layer.layer) for layer in sn_layers(d)}
    assert weighted and {id(layer) for layer in weighted} == wrapped  # every conv/dense of D, nothing else
    n_blocks = (size // 8).bit_length() - 1 + 2  # down to 8×8, then two plain blocks
    assert sum(isinstance(layer, keras.layers.Add) for layer in d.layers) == n_blocks
    assert not sn_layers(g)
    with pytest.raises(ConfigError, match="≥ 16"):
        build_network(DISCRIMINATORS, {"type": "resnet"}, input_shape=(8, 8, 1))


@pytest.fixture(scope="module")
def sngan(tmp_path_factory):
    config = load_recipe("sngan_digits")
    with config.unlocked():
        config.data.image_size = 16
        config.data.batch_size = 8
        config.model.latent_dim = 8
        config.model.generator.width = 8
        config.model.discriminator.width = 8
        config.train.jit_compile = False
        config.train.d_steps = 1  # 3 D calls (= power-iteration steps) per training step; 5 would only trace longer
    run = trainer.build_run(config, str(tmp_path_factory.mktemp("sngan")))
    initial = [top_singular_value(layer.kernel) for layer in sn_layers(run.model.discriminator)]
    history = run.model.fit(make_dataset(run.source, 8), epochs=1, steps_per_epoch=6, verbose=0).history
    return run, history, initial


def test_sngan_effective_kernels_have_unit_spectral_norm(sngan):
    run, history, initial = sngan
    assert max(abs(s - 1.0) for s in initial) > 0.2  # the initial kernels are not normalised
    assert run.model.adversarial.name == "hinge" and all(np.isfinite(v).all() for v in history.values())
    layers = sn_layers(run.model.discriminator)
    assert layers
    for layer in layers:
        # Keras' SpectralNormalization (training mode) uses W / σ̂ with σ̂ = vᵀ W u from one power-iteration
        # step on the stored u, W reshaped to [-1, out]: exactly ``normalized_weights()``.
        _, kernel = layer.normalized_weights()
        sigma = top_singular_value(kernel)
        assert abs(sigma - 1.0) < 0.05, (layer.name, sigma)
        # Keras assigns W / σ̂ to the kernel in each training call, so the stored kernel is the normalised
        # one plus the last optimizer step.
        assert abs(top_singular_value(layer.kernel) - 1.0) < 0.05


def test_wgan_recipe_uses_rmsprop_and_clipping(tmp_path):
    config = load_recipe("wgan_digits")
    with config.unlocked():
        config.data.image_size = 16
        config.model.generator.width = 4
        config.model.discriminator.width = 4
        config.train.jit_compile = False
    run = trainer.build_run(config, str(tmp_path))
    for optimizer in (run.model.d_optimizer, run.model.g_optimizer):
        assert isinstance(optimizer, keras.optimizers.RMSprop) and np.isclose(float(optimizer.learning_rate), 5e-5)
        assert optimizer.rho == 0.99
    assert run.model.penalty_weights == {"weight_clip": 0.01} and run.model.d_steps == 5
    config.train.optimizer = "sgd"
    with pytest.raises(ConfigError, match="unknown optimizer 'sgd'"):
        validate(config)
