"""InfoGAN: the mutual-information terms, the Q head sharing D's body, code-conditioned sampling and its export."""

import math
import os
import textwrap

import numpy as np
import pytest
import tensorflow as tf

from tests.conftest import run_cli, tiny_config
from tfgan_apps import export, trainer
from tfgan_apps.data import make_dataset
from tfgan_apps.models.infogan import categorical_code_loss, categorical_mi_bound, continuous_code_loss


def infogan_config():
    config = tiny_config(model__name="infogan")
    config.model.categories = 10
    config.model.continuous = 2
    config.model.info_weight = 1.0
    config.model.continuous_weight = 0.5
    config.model.q_width = 16
    return config


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny InfoGAN after 3 fit steps, its weights before training, a real batch and a scratch directory."""
    workdir = tmp_path_factory.mktemp("infogan")
    run = trainer.build_run(infogan_config(), str(workdir))
    model = run.model
    before = {name: [w.numpy().copy() for w in net.trainable_weights]
              for name, net in (("g", model.generator), ("d", model.discriminator))}
    dataset = make_dataset(run.source, 16)
    history = model.fit(dataset, epochs=1, steps_per_epoch=3, verbose=0).history
    return run, before, history, next(iter(dataset)), workdir


def test_trains_finite_moves_both_networks_and_generates(trained):
    run, before, history, _, _ = trained
    model = run.model
    assert int(model.step.numpy()) == 3
    assert {"mi_loss", "mi_categorical", "mi_continuous", "mi_bound", "d_mi"} <= set(history)
    assert all(np.isfinite(v).all() for v in history.values()), history
    # D's trainable weights include the Q head: all of them moved.
    for name, net in (("g", model.generator), ("d", model.discriminator)):
        assert all(not np.allclose(a, b.numpy()) for a, b in zip(before[name], net.trainable_weights)), name
    assert model.generator.input_shape == (None, 8 + 10 + 2)
    assert model.generate(5).shape == (5, 16, 16, 1)


def test_logged_losses_add_up(trained):
    run, _, _, batch, _ = trained
    model = run.model
    for tracker in model.metrics:
        tracker.reset_state()
    logs = {k: float(v) for k, v in model.train_step(batch).items()}
    np.testing.assert_allclose(logs["d_loss"], logs["d_adv"] + logs["d_mi"], rtol=1e-6)
    np.testing.assert_allclose(logs["g_loss"], logs["g_adv"] + logs["mi_loss"], rtol=1e-6)  # λ = 1
    np.testing.assert_allclose(logs["mi_loss"], logs["mi_categorical"] + 0.5 * logs["mi_continuous"], rtol=1e-6)
    np.testing.assert_allclose(logs["mi_bound"], math.log(10) - logs["mi_categorical"], rtol=1e-5)


@pytest.mark.parametrize("k", [4, 10])
def test_categorical_mi_bound_is_log_k_minus_conditional_entropy(k):
    codes = tf.one_hot(np.arange(2 * k) % k, k)
    # Uniform Q: −log Q(c|x) = log K, so the bound H(c) − H = log K − log K = 0.
    uniform = tf.zeros_like(codes)
    np.testing.assert_allclose(categorical_code_loss(codes, uniform), np.full(2 * k, math.log(k)), rtol=1e-6)
    np.testing.assert_allclose(categorical_mi_bound(codes, uniform), np.zeros(2 * k), atol=1e-6)
    # Perfect Q: −log Q(c|x) = 0, so the bound reaches log K = H(c).
    perfect = 100.0 * codes
    np.testing.assert_allclose(categorical_mi_bound(codes, perfect), np.full(2 * k, math.log(k)), rtol=1e-6)
    # Q = p on the right class, (1 − p)/(K − 1) elsewhere: bound = log K + log p.
    p = 0.7
    probs = codes * p + (1 - codes) * (1 - p) / (k - 1)
    np.testing.assert_allclose(categorical_mi_bound(codes, tf.math.log(probs)), math.log(k) + math.log(p), rtol=1e-5)


def test_continuous_code_loss_is_unit_gaussian_nll_without_constant():
    codes = tf.constant([[1.0, -1.0], [0.5, 0.0]])
    mean = tf.constant([[0.0, 0.0], [0.5, 2.0]])
    np.testing.assert_allclose(continuous_code_loss(codes, mean), [1.0, 2.0], rtol=1e-6)


def test_q_head_shares_the_discriminator_body(trained):
    run, _, _, batch, _ = trained
    d = run.model.discriminator
    with tf.GradientTape(persistent=True) as tape:
        logits, q = d(batch["x"][:4], training=False)
    variables = d.trainable_variables
    from_logits = tape.gradient(logits, variables)
    from_q = tape.gradient(q, variables)
    shared = [v.path for v, a, b in zip(variables, from_logits, from_q) if a is not None and b is not None]
    only_d = [v.path for v, a, b in zip(variables, from_logits, from_q) if a is not None and b is None]
    only_q = [v.path for v, a, b in zip(variables, from_logits, from_q) if a is None and b is not None]
    # The body (every conv layer) feeds both outputs; D's logit layer and Q's two dense layers are the heads.
    assert len(only_d) == 2 and len(only_q) == 4, (only_d, only_q)
    assert len(shared) == len(variables) - 6 and any("conv2d" in p for p in shared), shared
    assert q.shape == (4, 12) and logits.shape == (4, 1)


def test_generate_honours_codes(trained):
    model = trained[0].model
    z = np.random.default_rng(1).normal(size=(4, 8)).astype(np.float32)
    continuous = np.zeros((4, 2), np.float32)
    a = model.generate(z, codes={"categorical": [0, 1, 2, 3], "continuous": continuous}).numpy()
    b = model.generate(z, codes={"categorical": [0, 1, 2, 3], "continuous": continuous}).numpy()
    c = model.generate(z, codes={"categorical": [4, 5, 6, 7], "continuous": continuous}).numpy()
    assert a.shape == (4, 16, 16, 1)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    full = np.concatenate([z, np.eye(10, dtype=np.float32)[[0, 1, 2, 3]], continuous], axis=1)
    np.testing.assert_allclose(model.generate(full).numpy(), a, atol=1e-6)
    assert model.generate(6, codes={"categorical": np.arange(6)}).shape == (6, 16, 16, 1)
    with pytest.raises(ValueError, match="categorical"):
        model.generate(z, codes={"categorical": [0, 1]})
    with pytest.raises(ValueError, match="continuous"):
        model.generate(z, codes={"continuous": np.zeros((4, 3), np.float32)})
    with pytest.raises(ValueError, match=r"\[0, 10\)"):
        model.generate(z, codes={"categorical": [0, 1, 2, 10]})


LOAD_EXPORT = textwrap.dedent(
    """
    import sys, numpy as np, tensorflow as tf
    m = tf.saved_model.load(sys.argv[1])
    z = np.load(sys.argv[2])
    out = m.signatures["serving_default"](z=tf.constant(z), categorical=tf.constant([0, 3, 9], tf.int32),
                                          continuous=tf.constant([[0.0, 0.0], [1.0, -1.0], [-0.5, 0.5]]))
    s = m.signatures["sample"](count=tf.constant(5), seed=tf.constant(7, tf.int64))["samples"]
    assert not any(k.startswith("tfgan_apps") for k in sys.modules), "tfgan_apps was imported"
    np.save(sys.argv[3], out["samples"].numpy())
    print(s.shape, s.dtype.name, sorted(m.signatures))
    """
)


@pytest.mark.slow  # a fresh TensorFlow process; tests/test_train_cli.py keeps one such test in the default suite
def test_export_takes_z_and_codes_and_loads_without_tfgan_apps(trained, tmp_path):
    run, _, _, _, _ = trained
    model = run.model
    path = export.save(model, run.source, str(tmp_path / "export"))["generator"]
    z = np.random.default_rng(2).normal(size=(3, 8)).astype(np.float32)
    np.save(tmp_path / "z.npy", z)
    script = tmp_path / "load.py"
    script.write_text(LOAD_EXPORT)
    result = run_cli(str(script), path, str(tmp_path / "z.npy"), str(tmp_path / "out.npy"))
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "(5, 16, 16, 1) uint8 ['latent', 'sample', 'serving_default']"
    expected = export.images_to_uint8(model.generate(
        z, codes={"categorical": [0, 3, 9], "continuous": [[0.0, 0.0], [1.0, -1.0], [-0.5, 0.5]]}))
    got = np.load(tmp_path / "out.npy")
    assert got.dtype == np.uint8 and got.shape == (3, 16, 16, 1)
    # Float differences between graphs may flip a rounding; allow one grey level.
    assert np.abs(got.astype(int) - expected.numpy().astype(int)).max() <= 1
    assert os.path.exists(os.path.join(path, "saved_model.pb"))
