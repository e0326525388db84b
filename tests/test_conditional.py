"""cGAN (projection D) and ACGAN: training, label conditioning, the projection formula, aux losses, export."""

import textwrap

import keras
import numpy as np
import pytest

from tests.conftest import run_cli, tiny_config
from tfgan_apps import export, trainer
from tfgan_apps.data import make_dataset
from tfgan_apps.errors import ConfigError


def snapshot(model):
    return [w.numpy().copy() for w in model.generator.trainable_weights + model.discriminator.trainable_weights]


def train(name, tmp_path_factory, epochs, steps, **overrides):
    config = tiny_config(model__name=name, **overrides)
    run = trainer.build_run(config, str(tmp_path_factory.mktemp(name)))
    before = snapshot(run.model)
    history = run.model.fit(make_dataset(run.source, 16, seed=1), epochs=epochs, steps_per_epoch=steps, verbose=0)
    return run, before, history.history


@pytest.fixture(scope="module")
def cgan(tmp_path_factory):
    """A tiny projection cGAN, 3 steps, with R1 on (exercises D conditioned inside the penalty closure)."""
    config_overrides = {"model__penalties__r1": 0.1}
    return train("cgan", tmp_path_factory, 1, 3, **config_overrides)


@pytest.fixture(scope="module")
def acgan(tmp_path_factory):
    """A tiny ACGAN, 4 × 8 steps at a higher D learning rate so the auxiliary head learns within the test."""
    return train("acgan", tmp_path_factory, 4, 8, train__d_lr=2e-3)


@pytest.mark.parametrize("name", ["cgan", "acgan"])
def test_trains_with_finite_losses_moving_weights_and_shapes(name, request):
    run, before, history = request.getfixturevalue(name)
    model = run.model
    assert all(np.isfinite(v).all() for v in history.values()), history
    after = snapshot(model)
    assert all(not np.allclose(a, b) for a, b in zip(before, after))
    assert model.generate(5).shape == (5, 16, 16, 1)
    assert model.generate(3, labels=[2, 2, 2]).shape == (3, 16, 16, 1)
    assert np.abs(model.generate(5).numpy()).max() <= 1.0


def test_label_input_changes_samples_and_defaults_cycle_classes(cgan):
    model = cgan[0].model
    z = np.random.default_rng(0).normal(size=(10, 8)).astype("float32")
    zeros = model.generate(z, labels=np.zeros(10, np.int32)).numpy()
    threes = model.generate(z, labels=np.full(10, 3, np.int32)).numpy()
    assert np.abs(zeros - threes).max() > 1e-4  # the label path reaches the output
    np.testing.assert_array_equal(zeros, model.generate(z, labels=np.zeros(10, np.int32)).numpy())
    np.testing.assert_array_equal(model.generate(z).numpy(), model.generate(z, labels=np.arange(10)).numpy())


def test_projection_discriminator_is_psi_plus_embedding_dot_features(cgan):
    """Miyato & Koyama eq. 3: D(x, y) − D(x, y') = (e_y − e_y')ᵀ φ(x) for every pair of classes."""
    d = cgan[0].model.discriminator
    features = keras.Model(d.inputs[0], d.get_layer("projection").input[0])
    embeddings = d.get_layer("class_embedding").embeddings.numpy()
    x = cgan[0].source.examples(4)
    phi = features(x, training=False).numpy()
    logits = np.stack([d([x, np.full(4, k, np.int32)], training=False).numpy()[:, 0] for k in range(10)], axis=1)
    expected = phi @ embeddings.T  # [4, K]
    np.testing.assert_allclose(logits - logits[:, :1], expected - expected[:, :1], rtol=1e-4, atol=1e-4)


def test_cgan_penalty_is_added_to_the_d_loss(cgan):
    history = cgan[2]
    assert history["r1"][-1] > 0
    np.testing.assert_allclose(history["d_loss"][-1], history["d_adv"][-1] + history["r1"][-1], rtol=1e-4)


def test_acgan_losses_decompose_and_aux_loss_decreases(acgan):
    history = acgan[2]
    np.testing.assert_allclose(
        history["d_loss"], np.add(history["d_adv"], np.add(history["d_aux_real"], history["d_aux_fake"])), rtol=1e-4)
    np.testing.assert_allclose(history["g_loss"], np.add(history["g_adv"], history["g_aux"]), rtol=1e-4)
    assert history["d_aux_real"][-1] < 0.8 * history["d_aux_real"][0], history["d_aux_real"]
    assert history["real_accuracy"][-1] > history["real_accuracy"][0]
    assert 0.0 <= min(history["real_accuracy"]) and max(history["real_accuracy"]) <= 1.0


def test_unlabelled_source_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="needs a labelled data source"):
        trainer.build_run(tiny_config(model__name="acgan", data__source="photos"), str(tmp_path))


LOAD_EXPORT = textwrap.dedent(
    """
    import sys, numpy as np, tensorflow as tf
    m = tf.saved_model.load(sys.argv[1])
    z = tf.random.stateless_normal([4, 8], seed=[1, 2])
    serve = m.signatures["serving_default"]
    a = serve(z=z, labels=tf.constant([0, 0, 0, 0]))["samples"]
    b = serve(z=z, labels=tf.constant([7, 7, 7, 7]))["samples"]
    sample = m.signatures["sample"]
    s = sample(labels=tf.constant([1, 2, 3]), seed=tf.constant(5, tf.int64))["samples"]
    s2 = sample(labels=tf.constant([1, 2, 3]), seed=tf.constant(5, tf.int64))["samples"]
    assert not any(k.startswith("tfgan_apps") for k in sys.modules), "tfgan_apps was imported"
    print(a.shape, a.dtype.name, s.shape, bool(np.array_equal(s, s2)), bool(np.any(a.numpy() != b.numpy())))
    """
)


@pytest.mark.slow  # a fresh TensorFlow process; tests/test_train_cli.py keeps one such test in the default suite
def test_export_takes_z_and_labels_in_a_fresh_process(acgan, tmp_path):
    run = acgan[0]
    path = export.save(run.model, run.source, str(tmp_path / "export"))["generator"]
    script = tmp_path / "load.py"
    script.write_text(LOAD_EXPORT)
    result = run_cli(str(script), path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "(4, 16, 16, 1) uint8 (3, 16, 16, 1) True True"
