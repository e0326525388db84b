"""GANomaly on the training-step template: its updates, its score rule, its TensorBoard pictures."""

import glob

import ml_collections
import numpy as np
import pytest
import tensorflow as tf

from tests.conftest import tiny_config
from tfgan_apps import trainer
from tfgan_apps.data import make_dataset
from tfgan_apps.errors import ConfigError


def ganomaly_config(**overrides):
    config = tiny_config(model__name="ganomaly", data__batch_size=8, data__anomaly_class=3, **overrides)
    with config.unlocked():
        config.model.encoder = ml_collections.ConfigDict({"type": "dcgan", "width": 8, "norm": "batch"})
    return config


def values(network):
    return [np.array(v.numpy()) for v in network.trainable_variables]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    run = trainer.build_run(ganomaly_config(), str(tmp_path_factory.mktemp("ganomaly")))
    model = run.model
    names = ("encoder", "generator", "encoder2", "discriminator")
    before = {n: values(getattr(model, n)) for n in names}
    history = model.fit(make_dataset(run.source, 8), epochs=1, steps_per_epoch=2, verbose=0).history
    return run, before, history


def test_every_network_of_both_groups_moves_and_the_terms_are_logged(trained):
    run, before, history = trained
    for name, old in before.items():
        new = values(getattr(run.model, name))
        assert any(not np.array_equal(a, b) for a, b in zip(old, new)), name
    for key in ("d_loss", "g_adv", "g_con", "g_enc", "g_loss"):
        assert np.isfinite(history[key][-1]), key
    weights = run.model.weights_of_terms
    assert weights == {"g_adv": 1.0, "g_con": 50.0, "g_enc": 1.0}


def test_score_is_the_latent_distance_between_the_two_encoders(trained):
    run, _, _ = trained
    model = run.model
    x = tf.constant(run.source.examples(6), tf.float32)
    z = model.encoder(x, training=False)
    z_hat = model.encoder2(model.generator(z, training=False), training=False)
    expected = np.abs(z.numpy() - z_hat.numpy()).mean(axis=1)
    np.testing.assert_allclose(model.anomaly_score(x).numpy(), expected, rtol=1e-5)


def test_unsupported_stabilizer_is_refused_with_the_reason(tmp_path):
    config = ganomaly_config()
    config.model.stabilizers.ema = True
    with pytest.raises(ConfigError, match="ganomaly does not support stabilizer 'ema'"):
        trainer.build_run(config, str(tmp_path))


def test_training_writes_anomaly_histograms_auroc_and_roc_picture(tmp_path):
    config = ganomaly_config()
    config.train.steps = 2
    config.export.enabled = False
    trainer.train(config, str(tmp_path))
    tags = set()
    for path in glob.glob(str(tmp_path / "events.*")):
        for event in tf.compat.v1.train.summary_iterator(path):
            tags.update(v.tag for v in event.summary.value)
    assert {"Anomaly/scores_normal", "Anomaly/scores_anomalous", "Anomaly/auroc", "Anomaly/roc"} <= tags
