"""BiGAN / ALI: joint-pair shapes, G/E/D updates, R1 w.r.t. x on the joint D, checkpoint and export of E and G."""

import json
import textwrap

import numpy as np
import pytest
import tensorflow as tf

from tests.conftest import run_cli, tiny_config
from tfgan_apps import export, trainer
from tfgan_apps.data import make_dataset
from tfgan_apps.errors import ConfigError
from tfgan_apps.models.bigan import BiGAN
from tfgan_apps.nets import build_network
from tfgan_apps.registry import DISCRIMINATORS, ENCODERS


def bigan_config(**overrides):
    config = tiny_config(model__name="bigan", data__batch_size=8, **overrides)
    with config.unlocked():
        config.model.discriminator = {"type": "bigan", "width": 8, "norm": "none", "z_width": 16, "joint_width": 16}
        config.model.encoder = {"type": "bigan", "width": 8, "norm": "batch"}
        config.model.penalties.r1 = 1.0
    return config


def values(variables):
    return [np.array(v.numpy()) for v in variables]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny image BiGAN with R1 = 1 trained 2 steps; weights before and after, and the history."""
    config = bigan_config()
    run = trainer.build_run(config, str(tmp_path_factory.mktemp("bigan")))
    model = run.model
    nets = (model.generator, model.encoder, model.discriminator)
    before = [values(n.trainable_variables) for n in nets]
    history = model.fit(make_dataset(run.source, 8), epochs=1, steps_per_epoch=2, verbose=0).history
    return run, before, history


def test_shapes_of_encoder_generator_and_joint_discriminator(trained):
    run, _, _ = trained
    model = run.model
    x = tf.convert_to_tensor(run.source.examples(5), tf.float32)
    z = model.encode(x)
    assert x.shape == (5, 16, 16, 1) and z.shape == (5, 8)
    assert model.generate(z).shape == (5, 16, 16, 1)
    assert model.discriminator([x, z]).shape == (5, 1)


def test_signal_encoder_and_joint_discriminator_shapes():
    encoder = build_network(ENCODERS, {"type": "bigan1d", "width": 4}, input_shape=(32, 1), latent_dim=6)
    disc = build_network(DISCRIMINATORS, {"type": "bigan1d", "width": 4, "z_width": 8, "joint_width": 8},
                         input_shape=(32, 1), latent_dim=6)
    x = tf.random.stateless_normal([3, 32, 1], seed=[1, 2])
    z = encoder(x)
    assert z.shape == (3, 6) and disc([x, z]).shape == (3, 1)


def test_generator_encoder_and_discriminator_weights_all_move_with_r1_logged(trained):
    run, before, history = trained
    model = run.model
    for net, old in zip((model.generator, model.encoder, model.discriminator), before):
        new = values(net.trainable_variables)
        assert all(not np.allclose(a, b) for a, b in zip(old, new)), net.name
    assert int(model.step.numpy()) == 2  # one optimizer steps the group G ∪ E
    grouped = {id(v) for v in model.group_variables(model.G_NETWORKS)}
    assert {id(v) for v in model.encoder.trainable_variables} <= grouped
    assert "r1" in history and np.isfinite(history["r1"]).all() and history["r1"][-1] > 0
    np.testing.assert_allclose(history["d_loss"][-1], history["d_adv"][-1] + history["r1"][-1], rtol=1e-4)
    assert all(np.isfinite(v).all() for v in history.values()) and "recon_mse" in history


def test_encoder_receives_the_swapped_label_gradient(trained):
    run, _, _ = trained
    model = run.model
    x = tf.convert_to_tensor(run.source.examples(8), tf.float32)
    with tf.GradientTape() as tape:
        real_out = model.discriminate((x, model.encoder(x, training=True)), salt=0)
        loss = tf.reduce_mean(tf.nn.softplus(real_out))  # the encoder's part of L_GE (non-saturating, swapped)
    grads = tape.gradient(loss, model.encoder.trainable_variables)
    assert all(g is not None and np.isfinite(g.numpy()).all() for g in grads)
    assert all(np.abs(g.numpy()).max() > 0 for g in grads)


def test_r1_on_the_joint_discriminator_is_the_x_gradient_with_z_fixed(trained):
    run, _, _ = trained
    model = run.model
    x = tf.convert_to_tensor(run.source.examples(4), tf.float32)
    z = model.encode(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = tf.reduce_sum(model.discriminator([x, z]))
    grad_x = tf.reshape(tape.gradient(out, x), [4, -1])
    packed = model.pack(x, z)
    with tf.GradientTape() as tape:
        tape.watch(packed)
        out = tf.reduce_sum(model.discriminate(packed, salt=0))
    grad = tape.gradient(out, packed)
    np.testing.assert_allclose(grad[:, : 16 * 16], grad_x, rtol=1e-5, atol=1e-7)
    assert np.all(grad[:, 16 * 16 :].numpy() == 0)  # z held constant
    fake = model.pack(model.generate(tf.zeros([4, 8])), tf.zeros([4, 8]))
    r1 = model.penalty_terms(packed, fake, salt=0)["r1"]  # weight γ = 1
    np.testing.assert_allclose(r1, np.mean(0.5 * np.sum(np.square(grad_x), axis=1)), rtol=1e-5)


def test_encoder_is_checkpointed_and_minimax_is_refused(trained, tmp_path):
    run, _, _ = trained
    model = run.model
    items = model.checkpoint_items()
    assert items["encoder"] is model.encoder and items["g_optimizer"] is model.g_optimizer
    path = tf.train.Checkpoint(**items).save(str(tmp_path / "ckpt"))
    saved = values(model.encoder.weights)
    model.encoder.weights[0].assign(tf.zeros_like(model.encoder.weights[0]))
    tf.train.Checkpoint(**items).restore(path).assert_existing_objects_matched()
    assert all(np.array_equal(a, b) for a, b in zip(saved, values(model.encoder.weights)))
    with pytest.raises(ConfigError, match="minimax"):
        BiGAN(model.generator, model.discriminator, 8, encoder=model.encoder, loss="minimax")


LOAD_EXPORT = textwrap.dedent(
    """
    import json, sys, numpy as np, tensorflow as tf
    root, data = sys.argv[1], np.load(sys.argv[2])
    enc = tf.saved_model.load(root + "/encoder")
    gen = tf.saved_model.load(root + "/generator")
    z = enc.signatures["encode"](images=tf.constant(data["images"]))["z"]
    z_default = enc.signatures["serving_default"](images=tf.constant(data["images"]))["z"]
    x = gen.signatures["serving_default"](z=z)["samples"]
    assert not any(k.startswith("tfgan_apps") for k in sys.modules), "tfgan_apps was imported"
    print(json.dumps({"z_err": float(np.abs(z.numpy() - data["z"]).max()), "same": bool(np.array_equal(z, z_default)),
                      "z": [z.shape.as_list(), z.dtype.name], "x": [x.shape.as_list(), x.dtype.name],
                      "x_err": int(np.abs(x.numpy().astype(int) - data["x"].astype(int)).max())}))
    """
)


@pytest.mark.slow  # a fresh TensorFlow process; tests/test_train_cli.py keeps one such test in the default suite
def test_export_of_encoder_and_generator_reloads_in_a_fresh_process(trained, tmp_path):
    run, _, _ = trained
    model = run.model
    paths = export.save(model, run.source, str(tmp_path / "export"))
    assert set(paths) == {"generator", "encoder"}
    images = export.images_to_uint8(run.source.examples(3)).numpy()
    z = model.encode(tf.cast(images, tf.float32) / 127.5 - 1.0).numpy()
    x = export.images_to_uint8(model.generate(z)).numpy()
    np.savez(tmp_path / "data.npz", images=images, z=z, x=x)
    script = tmp_path / "load.py"
    script.write_text(LOAD_EXPORT)
    result = run_cli(str(script), str(tmp_path / "export"), str(tmp_path / "data.npz"))
    assert result.returncode == 0, result.stderr[-2000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["z"] == [[3, 8], "float32"] and out["x"] == [[3, 16, 16, 1], "uint8"] and out["same"]
    assert out["z_err"] < 1e-5 and out["x_err"] <= 1
