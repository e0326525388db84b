"""Each anomaly score against its own rule (closed forms on tiny networks), the metrics, baselines and pictures."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgan_apps.anomaly import metrics, plots
from tfgan_apps.anomaly.baselines import ConvAutoencoder, IsolationForest, OneClassSVM, PCAReconstruction
from tfgan_apps.anomaly.bigan_score import BiGANScore
from tfgan_apps.anomaly.fanogan import IzifScore, train_izif
from tfgan_apps.anomaly.latent_search import LatentSearch
from tfgan_apps.anomaly.signals import ANOMALY_KINDS, inject
from tfgan_apps.errors import ConfigError
from tfgan_apps.nets import build_network
from tfgan_apps.registry import DISCRIMINATORS, ENCODERS, GENERATORS

SHAPE, LATENT = (8, 8, 1), 4


@pytest.fixture(scope="module")
def nets():
    keras.utils.set_random_seed(0)
    g = build_network(GENERATORS, {"type": "dcgan", "width": 4, "norm": "none"}, latent_dim=LATENT,
                      output_shape=SHAPE)
    d = build_network(DISCRIMINATORS, {"type": "dcgan", "width": 4, "norm": "none"}, input_shape=SHAPE)
    e = build_network(ENCODERS, {"type": "dcgan", "width": 4, "norm": "none"}, input_shape=SHAPE, latent_dim=LATENT)
    joint = build_network(DISCRIMINATORS, {"type": "bigan", "width": 4, "z_width": 8, "joint_width": 8},
                          input_shape=SHAPE, latent_dim=LATENT)
    x = tf.random.stateless_uniform([5, *SHAPE], seed=[1, 2], minval=-1, maxval=1)
    return g, d, e, joint, x


def features(d, x):
    return keras.Model(d.input, d.layers[-1].input)(x).numpy().reshape(len(x), -1)


def test_metrics_closed_forms():
    labels = np.array([0, 0, 1, 1])
    assert metrics.auroc([0.1, 0.2, 0.8, 0.9], labels) == 1.0
    assert metrics.auroc([0.9, 0.8, 0.2, 0.1], labels) == 0.0
    assert metrics.auroc([0.1, 0.8, 0.2, 0.9], labels) == 0.75
    assert metrics.auprc([0.1, 0.2, 0.8, 0.9], labels) == 1.0
    fpr, tpr = metrics.roc_curve([0.1, 0.2, 0.8, 0.9], labels)
    assert fpr[0] == 0 and tpr[-1] == 1


def test_threshold_flags_at_most_the_chosen_share_of_normals():
    normal = np.random.default_rng(0).normal(size=1000)
    t = metrics.threshold_at_fpr(normal, 0.05)
    assert 0.045 <= np.mean(normal > t) <= 0.05
    with pytest.raises(ConfigError, match="false-positive rate"):
        metrics.threshold_at_fpr(normal, 0.0)


def test_latent_search_without_steps_is_the_anogan_loss_at_the_initial_z(nets):
    g, d, _, _, x = nets
    search = LatentSearch(g, d, LATENT, steps=0, lam=0.1, seed=3)
    out = search.search(x)
    z0 = tf.random.stateless_normal([5, LATENT], seed=[3, 0])
    gz = g(z0).numpy()
    residual = np.abs(x.numpy() - gz).reshape(5, -1).sum(1)
    distance = np.abs(features(d, x) - features(d, gz)).sum(1)
    np.testing.assert_allclose(out["residual"], residual, rtol=1e-5)
    np.testing.assert_allclose(out["feature_distance"], distance, rtol=1e-5)
    np.testing.assert_allclose(out["score"], 0.9 * residual + 0.1 * distance, rtol=1e-5)


def test_latent_search_lowers_the_loss_and_finds_samples_of_g(nets):
    g, d, _, _, _ = nets
    target = g(tf.random.stateless_normal([5, LATENT], seed=[9, 9]))  # x on G's manifold
    before = LatentSearch(g, d, LATENT, steps=0, seed=3).score(target).numpy()
    after = LatentSearch(g, d, LATENT, steps=60, lr=0.1, seed=3).score(target).numpy()
    assert np.all(after < 0.5 * before)


def test_bigan_score_feature_matching_and_cross_entropy(nets):
    g, _, e, joint, x = nets
    z = e(x)
    recon = g(z)
    l_g = np.abs(x.numpy() - recon.numpy()).reshape(5, -1).sum(1)
    f = keras.Model(joint.inputs, joint.layers[-1].input)
    l_fm = np.abs(f([x, z]).numpy() - f([recon, z]).numpy()).sum(1)
    np.testing.assert_allclose(BiGANScore(e, g, joint).score(x), 0.9 * l_g + 0.1 * l_fm, rtol=1e-5)
    l_ce = np.log1p(np.exp(-joint([x, z]).numpy()[:, 0]))
    np.testing.assert_allclose(BiGANScore(e, g, joint, alpha=0.5, kind="cross_entropy").score(x),
                               0.5 * l_g + 0.5 * l_ce, rtol=1e-5)
    with pytest.raises(ConfigError, match="valid choices"):
        BiGANScore(e, g, joint, kind="nope")


def test_izif_score_and_training_moves_only_the_encoder(nets):
    g, d, e, _, x = nets
    f = keras.Model(d.input, d.layers[-1].input)
    recon = g(e(x)).numpy()
    expected = (np.square(x.numpy() - recon).reshape(5, -1).mean(1)
                + 2.0 * np.square(f(x).numpy() - f(recon).numpy()).mean(1))
    np.testing.assert_allclose(IzifScore(e, g, f, kappa=2.0).score(x), expected, rtol=1e-5)
    g_before = [w.numpy().copy() for w in g.weights + d.weights]
    scorer = train_izif(g, d, np.asarray(x), LATENT, encoder_spec={"type": "dcgan", "width": 4, "norm": "none"},
                        steps=3, batch_size=5, seed=0)
    assert all(np.array_equal(a, w.numpy()) for a, w in zip(g_before, g.weights + d.weights))
    fresh = build_network(ENCODERS, {"type": "dcgan", "width": 4, "norm": "none"}, input_shape=SHAPE,
                          latent_dim=LATENT)
    keras.utils.set_random_seed(0)
    assert scorer.score(x).shape == (5,) and fresh is not scorer.encoder


def test_classical_detectors_score_outliers_higher():
    rng = np.random.default_rng(0)
    basis = rng.normal(size=(3, 64))
    train = (rng.normal(size=(200, 3)) @ basis / 10).reshape(200, 8, 8, 1).astype(np.float32)
    outlier = rng.normal(size=(1, 8, 8, 1)).astype(np.float32)
    test = np.concatenate([train[:5], outlier])
    pca = PCAReconstruction(variance=0.99).fit(train).score(test)
    assert pca[:5].max() < 1e-6 < pca[5]
    for detector in (OneClassSVM(), IsolationForest()):
        scores = detector.fit(train).score(test)
        assert scores[5] > scores[:5].max()


def test_conv_autoencoder_trains_and_scores():
    x = np.random.default_rng(0).uniform(-1, 1, size=(32, 8, 8, 1)).astype(np.float32)
    scores = ConvAutoencoder(latent_dim=4, width=4, steps=3, batch_size=8).fit(x).score(x)
    assert scores.shape == (32,) and np.isfinite(scores).all() and scores.min() > 0


def test_injected_signal_anomalies_touch_only_labelled_signals():
    t = np.linspace(0, 1, 64, endpoint=False)
    normal = (0.7 * np.sin(2 * np.pi * 3 * t))[None, :, None].repeat(20, 0).astype(np.float32)
    for kind in ANOMALY_KINDS:
        x, y = inject(normal, kind, fraction=0.5, seed=1)
        changed = np.abs(x - normal).reshape(20, -1).max(1) > 1e-6
        assert y.sum() == 10 and np.array_equal(changed, y == 1), kind
    with pytest.raises(ConfigError, match="valid choices"):
        inject(normal, "nope")


def test_pictures():
    roc = plots.roc_picture([metrics.roc_curve([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])], size=64)
    hist = plots.histogram_picture(np.zeros(10), np.ones(10), size=64, threshold=0.5)
    assert roc.shape == hist.shape == (64, 64, 3) and roc.dtype == np.uint8
    assert (roc == plots.PALETTE[0]).all(-1).any() and (hist == plots.RED).all(-1).any()
