"""Semi-supervised GAN: labelled/held-out splits, the K+1-class losses, feature matching, held-out accuracy."""

import glob

import numpy as np
import pytest
import tensorflow as tf

from tests.conftest import tiny_config
from tfgan_apps import trainer
from tfgan_apps.data import load_source, make_dataset
from tfgan_apps.data.labelled import balanced_subset
from tfgan_apps.errors import ConfigError
from tfgan_apps.models.sgan import heldout_accuracy, logsumexp_logit


def sgan_config(**overrides):
    settings = {"model__name": "sgan", "data__source": "indexed:digits", "data__heldout": 297, "model__labelled": 100,
                "train__log_every": 1}
    return tiny_config(**{**settings, **overrides})


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    run = trainer.build_run(sgan_config(), str(tmp_path_factory.mktemp("sgan")))
    before = [w.numpy().copy() for w in run.model.generator.trainable_weights + run.model.discriminator.weights]
    history = run.model.fit(make_dataset(run.source, 16), epochs=1, steps_per_epoch=3, verbose=0).history
    return run, before, history


def test_balanced_subset_is_deterministic_and_class_balanced():
    labels = np.repeat(np.arange(10), 30)[np.random.default_rng(3).permutation(300)]
    subset = balanced_subset(labels, 23, 10)
    np.testing.assert_array_equal(subset, balanced_subset(labels, 23, 10))
    assert len(set(subset)) == 23
    np.testing.assert_array_equal(np.bincount(labels[subset], minlength=10), [3, 3, 3, 2, 2, 2, 2, 2, 2, 2])
    assert not np.array_equal(subset, balanced_subset(labels, 23, 10, seed=1))
    with pytest.raises(ConfigError, match="fewer than"):
        balanced_subset(labels[labels != 4], 100, 10)


def test_indexed_source_holds_out_examples_and_batches_carry_their_index():
    source = load_source(sgan_config().data)
    assert source.size == 1797 - 297 and len(source.heldout_indices) == 297
    assert not set(source.train_indices) & set(source.heldout_indices)
    images, labels = source.heldout_examples()
    assert images.shape == (297, 16, 16, 1) and np.bincount(labels).min() >= 29
    mask = source.labelled_mask(100)
    assert mask.sum() == 100 and (np.bincount(source.labels[mask], minlength=10) == 10).all()
    batch = next(iter(make_dataset(source, 32, seed=4)))
    index = batch["index"].numpy()
    np.testing.assert_array_equal(batch["x"].numpy(), source.examples()[index])
    np.testing.assert_array_equal(batch["label"].numpy(), source.labels[index])


def test_logsumexp_logit_is_salimans_real_probability():
    """With the fake logit fixed at 0, p(real | x) = Z / (Z + 1), Z = Σ exp l_k, i.e. σ(logsumexp l)."""
    logits = np.random.default_rng(0).normal(size=(5, 10)).astype("float32") * 3
    z = np.exp(logits.astype(np.float64)).sum(axis=1)
    np.testing.assert_allclose(tf.sigmoid(logsumexp_logit(logits)).numpy()[:, 0], z / (z + 1), rtol=1e-5)


def test_feature_matching_value_and_gradient(trained):
    model = trained[0].model
    rng = np.random.default_rng(1)
    real = tf.constant(rng.normal(size=(6, 4)), tf.float32)
    fake = tf.Variable(rng.normal(size=(6, 4)).astype("float32"))
    with tf.GradientTape() as tape:
        value = model.feature_matching(real, fake)
    diff = fake.numpy().mean(axis=0) - real.numpy().mean(axis=0)
    np.testing.assert_allclose(value.numpy(), np.sum(diff**2), rtol=1e-5)
    np.testing.assert_allclose(tape.gradient(value, fake).numpy(), np.tile(2 * diff / 6, (6, 1)), rtol=1e-5)


def test_trains_with_finite_losses_moving_weights_and_shapes(trained):
    run, before, history = trained
    assert all(np.isfinite(v).all() for v in history.values()), history
    after = [w.numpy() for w in run.model.generator.trainable_weights + run.model.discriminator.weights]
    assert all(not np.allclose(a, b) for a, b in zip(before, after))
    np.testing.assert_allclose(history["d_loss"], np.add(history["d_adv"], history["d_sup"]), rtol=1e-5)
    assert run.model.generate(5).shape == (5, 16, 16, 1)
    assert run.model.classify(run.source.examples(3)).shape == (3, 10)


def test_supervised_term_uses_only_labelled_examples(trained):
    model, source = trained[0].model, trained[0].source
    mask = source.labelled_mask(100)
    labelled, unlabelled = np.flatnonzero(mask)[:8], np.flatnonzero(~mask)[:8]
    x = tf.constant(source.examples()[labelled])
    wrong = tf.constant((source.labels[unlabelled] + 1) % 10, tf.int32)
    logs, _ = model.discriminator_update({"x": tf.constant(source.examples()[unlabelled]), "label": wrong,
                                          "index": tf.constant(unlabelled, tf.int32)}, 0)
    assert float(logs["d_sup"]) == 0.0
    labels = tf.constant(source.labels[labelled], tf.int32)
    logits = model.discriminator(x, training=True)[0]
    cross_entropy = tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits).numpy().mean()
    logs, _ = model.discriminator_update({"x": x, "label": labels, "index": tf.constant(labelled, tf.int32)}, 0)
    np.testing.assert_allclose(float(logs["d_sup"]), cross_entropy * 1500 / 100, rtol=1e-4)


def test_heldout_accuracy_and_its_tensorboard_scalar(trained, tmp_path):
    run = trained[0]
    images, labels = run.source.heldout_examples()
    predicted = np.argmax(run.model.classify(images).numpy(), axis=1)
    assert heldout_accuracy(run.model, images, labels, batch_size=50) == pytest.approx(np.mean(predicted == labels))
    writer = tf.summary.create_file_writer(str(tmp_path))
    (callback,) = run.model.training_callbacks(writer=writer, source=run.source, config=run.config)
    callback.set_model(run.model)
    callback.on_epoch_end(0)
    assert callback.history == [(3, pytest.approx(np.mean(predicted == labels)))]
    from tensorboard.backend.event_processing import event_accumulator

    acc = event_accumulator.EventAccumulator(glob.glob(str(tmp_path / "events.*"))[0])
    acc.Reload()
    assert "Eval/heldout_accuracy" in acc.Tags()["tensors"]


def test_plain_source_is_refused_with_a_hint(tmp_path):
    with pytest.raises(ConfigError, match="indexed:digits"):
        trainer.build_run(sgan_config(data__source="digits"), str(tmp_path))
