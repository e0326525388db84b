"""BEGAN: the auto-encoder discriminator, the k_t equilibrium update (Eq. 4), the convergence measure, checkpoints."""

import ml_collections
import numpy as np
import pytest
import tensorflow as tf

from tests.conftest import tiny_config
from tfgan_apps import trainer
from tfgan_apps.data import make_dataset
from tfgan_apps.errors import ConfigError
from tfgan_apps.models.began import BEGAN, convergence_measure, equilibrium_update
from tfgan_apps.nets.autoencoder import autoencoder_discriminator, decoder_generator
from tfgan_apps.nets.dcgan import dcgan_discriminator, dcgan_generator


def began_config():
    config = tiny_config(model__name="began")
    config.model.gamma = 0.5
    config.model.lambda_k = 0.001
    config.model.discriminator = ml_collections.ConfigDict({"type": "autoencoder", "width": 8, "bottleneck": 8})
    return config


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny BEGAN after 3 fit steps, its weights before training, and one real batch."""
    run = trainer.build_run(began_config(), str(tmp_path_factory.mktemp("began")))
    model = run.model
    before = {name: [w.numpy().copy() for w in net.trainable_weights]
              for name, net in (("g", model.generator), ("d", model.discriminator))}
    dataset = make_dataset(run.source, 16)
    history = model.fit(dataset, epochs=1, steps_per_epoch=3, verbose=0).history
    batch = next(iter(dataset))
    return run, before, history, batch


def one_step(model, batch):
    """Runs one eager train step with fresh trackers and returns its logged values as floats."""
    for tracker in model.metrics:
        tracker.reset_state()
    return {k: float(v) for k, v in model.train_step(batch).items()}


def test_trains_finite_moves_both_networks_and_generates(trained):
    run, before, history, _ = trained
    model = run.model
    assert int(model.step.numpy()) == 3
    assert {"k_t", "convergence", "d_real", "d_fake"} <= set(history)
    assert all(np.isfinite(v).all() for v in history.values()), history
    for name, net in (("g", model.generator), ("d", model.discriminator)):
        assert all(not np.allclose(a, b.numpy()) for a, b in zip(before[name], net.trainable_weights)), name
    assert model.generate(5).shape == (5, 16, 16, 1)
    assert model.generate(np.zeros((2, 8), np.float32)).shape == (2, 16, 16, 1)


def test_one_step_k_change_equals_closed_form_and_convergence_measure(trained):
    run, _, _, batch = trained
    model = run.model
    model.k.assign(0.5)
    old_lambda, model.lambda_k = model.lambda_k, 0.01
    try:
        logs = one_step(model, batch)
    finally:
        model.lambda_k = old_lambda
    expected = 0.5 + 0.01 * (0.5 * logs["d_real"] - logs["d_fake"])
    assert abs(expected - 0.5) > 1e-5  # the step really moved k (no clipping involved)
    np.testing.assert_allclose(float(model.k.numpy()), expected, rtol=0, atol=1e-7)
    np.testing.assert_allclose(logs["k_t"], expected, rtol=0, atol=1e-7)
    np.testing.assert_allclose(logs["convergence"], logs["d_real"] + abs(0.5 * logs["d_real"] - logs["d_fake"]),
                               rtol=1e-6)
    # L_D = L(x) − k_t L(G(z)) with the k_t from before the update.
    np.testing.assert_allclose(logs["d_loss"], logs["d_real"] - 0.5 * logs["d_fake"], rtol=1e-6)


@pytest.mark.parametrize("gamma, bound", [(1e6, 1.0), (1e-9, 0.0)])
def test_k_is_clipped_to_unit_interval_under_extreme_drive(trained, gamma, bound):
    run, _, _, batch = trained
    model = run.model
    model.k.assign(0.5)
    old, model.gamma, model.lambda_k = (model.gamma, model.lambda_k), gamma, 1e3
    try:
        logs = one_step(model, batch)
    finally:
        model.gamma, model.lambda_k = old
    assert float(model.k.numpy()) == bound and logs["k_t"] == bound


def test_equilibrium_update_and_convergence_measure_closed_forms():
    # k + λ(γ L(x) − L(G)) = 0.3 + 0.1 (0.5·0.2 − 0.05) = 0.305
    np.testing.assert_allclose(equilibrium_update(tf.constant(0.3), 0.2, 0.05, 0.5, 0.1), 0.305, rtol=1e-6)
    assert float(equilibrium_update(tf.constant(0.99), 1.0, 0.0, 1.0, 0.5)) == 1.0
    assert float(equilibrium_update(tf.constant(0.01), 0.0, 1.0, 1.0, 0.5)) == 0.0
    np.testing.assert_allclose(convergence_measure(tf.constant(0.2), 0.05, 0.5), 0.25, rtol=1e-6)
    np.testing.assert_allclose(convergence_measure(tf.constant(0.2), 0.3, 0.5), 0.4, rtol=1e-6)


def test_k_is_saved_in_checkpoints(trained):
    run, _, _, _ = trained
    run.model.k.assign(0.375)
    path = run.manager.save()
    reader = tf.train.load_checkpoint(path)
    keys = [k for k in reader.get_variable_to_shape_map() if k.startswith("began_k/")]
    assert len(keys) == 1 and float(reader.get_tensor(keys[0])) == 0.375
    run.model.k.assign(0.0)
    tf.train.Checkpoint(**run.model.checkpoint_items()).restore(path).expect_partial()
    assert float(run.model.k.numpy()) == 0.375


@pytest.mark.parametrize("size", [16, 32])
def test_autoencoder_and_decoder_generator_work_at_16_and_32_px(size):
    net = autoencoder_discriminator((size, size, 3), width=4, bottleneck=5)
    out = net(tf.zeros((2, size, size, 3)))
    assert out["reconstruction"].shape == (2, size, size, 3) and out["embedding"].shape == (2, 5)
    assert out["reconstruction"].dtype == tf.float32
    generator = decoder_generator(6, (size, size, 3), width=4)  # BEGAN's G: the decoder architecture
    assert generator(tf.zeros((2, 6))).shape == (2, size, size, 3)


def test_bad_settings_are_config_errors():
    generator = dcgan_generator(8, (16, 16, 1), width=4)
    with pytest.raises(ConfigError, match="autoencoder"):
        BEGAN(generator, dcgan_discriminator((16, 16, 1), width=4), latent_dim=8)
    auto = autoencoder_discriminator((16, 16, 1), width=4, bottleneck=4)
    with pytest.raises(ConfigError, match="penalties"):
        BEGAN(generator, auto, latent_dim=8, penalties={"r1": 1.0})
    with pytest.raises(ConfigError, match="gamma"):
        BEGAN(generator, auto, latent_dim=8, gamma=0.0)
