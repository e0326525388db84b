"""EBGAN: the margin hinge (Eq. 1), the pull-away term (Eq. 5), the generator loss (Eq. 2) in a training step."""

import ml_collections
import numpy as np
import pytest
import tensorflow as tf

from tests.conftest import tiny_config
from tfgan_apps import trainer
from tfgan_apps.data import make_dataset
from tfgan_apps.models.ebgan import ebgan_discriminator_loss, pull_away_term


def ebgan_config():
    config = tiny_config(model__name="ebgan")
    config.model.margin = 1.0
    config.model.pt_weight = 0.1
    config.model.discriminator = ml_collections.ConfigDict({"type": "autoencoder", "width": 8, "bottleneck": 8})
    return config


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny EBGAN after 3 fit steps, its weights before training, and one real batch."""
    run = trainer.build_run(ebgan_config(), str(tmp_path_factory.mktemp("ebgan")))
    model = run.model
    before = {name: [w.numpy().copy() for w in net.trainable_weights]
              for name, net in (("g", model.generator), ("d", model.discriminator))}
    dataset = make_dataset(run.source, 16)
    history = model.fit(dataset, epochs=1, steps_per_epoch=3, verbose=0).history
    return run, before, history, next(iter(dataset))


def one_step(model, batch, **attributes):
    """One eager train step with fresh trackers and temporarily changed model attributes; returns float logs."""
    old = {name: getattr(model, name) for name in attributes}
    for name, value in attributes.items():
        setattr(model, name, value)
    try:
        for tracker in model.metrics:
            tracker.reset_state()
        return {k: float(v) for k, v in model.train_step(batch).items()}
    finally:
        for name, value in old.items():
            setattr(model, name, value)


def test_trains_finite_moves_both_networks_and_generates(trained):
    run, before, history, _ = trained
    model = run.model
    assert int(model.step.numpy()) == 3
    assert "pull_away" in history
    assert all(np.isfinite(v).all() for v in history.values()), history
    for name, net in (("g", model.generator), ("d", model.discriminator)):
        assert all(not np.allclose(a, b.numpy()) for a, b in zip(before[name], net.trainable_weights)), name
    assert model.generate(5).shape == (5, 16, 16, 1)
    assert model.generate(np.zeros((2, 8), np.float32)).shape == (2, 16, 16, 1)


def test_margin_hinge_is_exact_on_chosen_energies():
    real = tf.constant([0.2, 0.5, 0.1, 3.0])
    fake = tf.constant([0.3, 1.5, 0.999, 0.0])
    with tf.GradientTape() as tape:
        tape.watch(fake)
        loss = ebgan_discriminator_loss(real, fake, margin=1.0)
    np.testing.assert_allclose(loss, [0.9, 0.5, 0.101, 4.0], rtol=1e-5)
    # Fakes whose energy is above the margin no longer push D.
    np.testing.assert_array_equal(tape.gradient(loss, fake), [-1.0, 0.0, -1.0, -1.0])


def test_logged_losses_follow_the_hinge_and_pull_away_weight(trained):
    run, _, _, batch = trained
    model = run.model
    # A tiny margin: every fake energy is above it, the hinge is 0 and L_D = mean D(x).
    logs = one_step(model, batch, margin=1e-9)
    np.testing.assert_allclose(logs["d_loss"], logs["d_real"], rtol=1e-6)
    # A huge margin: the hinge is active for every fake, L_D = mean D(x) + m − mean D(G(z));
    # and L_G = D(G(z)) + λ_PT · PT with PT ∈ [0, 1].
    logs = one_step(model, batch, margin=1e3, pt_weight=0.7)
    np.testing.assert_allclose(logs["d_loss"], logs["d_real"] + 1e3 - logs["d_fake"], rtol=1e-6)
    assert 0.0 < logs["pull_away"] <= 1.0
    np.testing.assert_allclose(logs["g_loss"], logs["g_adv"] + 0.7 * logs["pull_away"], rtol=1e-6)


def test_pull_away_term_closed_forms():
    orthogonal = tf.eye(4) * tf.constant([[1.0], [2.0], [0.5], [3.0]])
    np.testing.assert_allclose(pull_away_term(orthogonal), np.zeros(4), atol=1e-7)
    identical_directions = tf.constant([[1.0, 2.0, -1.0]]) * tf.constant([[1.0], [3.0], [0.2]])
    np.testing.assert_allclose(pull_away_term(identical_directions), np.ones(3), rtol=1e-6)
    # Any batch: PT = 1/(N(N−1)) Σ_{i≠j} cos²(s_i, s_j).
    s = np.random.default_rng(0).normal(size=(5, 7)).astype(np.float32)
    unit = s / np.linalg.norm(s, axis=1, keepdims=True)
    expected = sum((unit[i] @ unit[j]) ** 2 for i in range(5) for j in range(5) if i != j) / (5 * 4)
    np.testing.assert_allclose(float(tf.reduce_mean(pull_away_term(s))), expected, rtol=1e-5)
    # Two "replicas" scoring their halves against the whole batch give the same PT.
    halves = tf.concat([pull_away_term(s[:2], s), pull_away_term(s[2:], s)], axis=0)
    np.testing.assert_allclose(float(tf.reduce_mean(halves)), expected, rtol=1e-5)
