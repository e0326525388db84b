"""Adversarial autoencoder: prior samplers, reconstruction learning, phases, checkpoints, export."""

import textwrap

import ml_collections
import numpy as np
import pytest
import tensorflow as tf

from tests.conftest import run_cli, tiny_config
from tfgan_apps import export, trainer
from tfgan_apps.data import make_dataset
from tfgan_apps.data.toy import ring_centers
from tfgan_apps.errors import ConfigError
from tfgan_apps.models.aae import sample_prior


def aae_config(**overrides):
    config = tiny_config(**{"model__name": "aae", "train__g_lr": 1e-3, **overrides})
    with config.unlocked():
        config.model.encoder = ml_collections.ConfigDict({"type": "dcgan", "width": 8})
        config.model.discriminator = ml_collections.ConfigDict({"type": "mlp", "width": 32, "depth": 2})
    return config


def networks(model):
    return model.encoder.trainable_weights + model.generator.trainable_weights + model.discriminator.trainable_weights


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny AAE (8-D Gaussian prior) trained 4 × 8 steps."""
    run = trainer.build_run(aae_config(), str(tmp_path_factory.mktemp("aae")))
    before = [w.numpy().copy() for w in networks(run.model)]
    history = run.model.fit(make_dataset(run.source, 16), epochs=4, steps_per_epoch=8, verbose=0).history
    return run, before, history


def test_gaussian_prior_moments():
    z = sample_prior("gaussian", 200_000, 3, tf.constant([1, 2], tf.int64)).numpy()
    np.testing.assert_allclose(z.mean(axis=0), 0.0, atol=0.01)
    np.testing.assert_allclose(z.var(axis=0), 1.0, atol=0.015)
    np.testing.assert_allclose(np.corrcoef(z.T)[np.triu_indices(3, 1)], 0.0, atol=0.01)


def test_mixture_prior_centres_weights_and_spread():
    z = sample_prior("mixture", 200_000, 2, tf.constant([3, 4], tf.int64), radius=4.0, std=0.5).numpy()
    centres = ring_centers(10, 4.0)
    nearest = np.argmin(((z[:, None, :] - centres[None]) ** 2).sum(-1), axis=1)  # components overlap < 1e-4
    np.testing.assert_allclose(np.bincount(nearest, minlength=10) / len(z), 0.1, atol=0.005)
    for k in range(10):
        members = z[nearest == k]
        np.testing.assert_allclose(members.mean(axis=0), centres[k], atol=0.02)
        np.testing.assert_allclose(members.std(axis=0), 0.5, atol=0.02)
    np.testing.assert_array_equal(z[:5], sample_prior("mixture", 5, 2, tf.constant([3, 4], tf.int64)).numpy())


def test_trains_with_finite_losses_moving_weights_and_shapes(trained):
    run, before, history = trained
    assert all(np.isfinite(v).all() for v in history.values()), history
    assert all(not np.allclose(a, b.numpy()) for a, b in zip(before, networks(run.model)))
    np.testing.assert_allclose(history["g_loss"], np.add(history["recon"], history["g_adv"]), rtol=1e-5)
    assert run.model.generate(5).shape == (5, 16, 16, 1)
    assert run.model.reconstruct(run.source.examples(3)).shape == (3, 16, 16, 1)
    # Per step: one reconstruction update of E and G, one D update, one adversarial update of E
    # (g_optimizer, the step counter).
    assert int(run.model.step.numpy()) == 32
    for name in ("d_optimizer", "reconstruction_optimizer", "g_optimizer"):
        assert int(getattr(run.model, name).iterations.numpy()) == 32, name
    assert run.model.group_variables(run.model.G_NETWORKS) == run.model.encoder.trainable_variables


def test_reconstruction_loss_decreases(trained):
    recon = trained[2]["recon"]
    assert recon[-1] < 0.8 * recon[0], recon


def test_checkpoint_restores_the_encoder(trained, tmp_path):
    run = trained[0]
    path = tf.train.Checkpoint(**run.model.checkpoint_items()).save(str(tmp_path / "ckpt"))
    fresh = trainer.build_run(aae_config(), str(tmp_path / "fresh")).model
    assert not np.allclose(fresh.encoder.weights[0].numpy(), run.model.encoder.weights[0].numpy())
    tf.train.Checkpoint(**fresh.checkpoint_items()).restore(path).assert_existing_objects_matched()
    x = run.source.examples(4)
    np.testing.assert_allclose(fresh.encode(x).numpy(), run.model.encode(x).numpy(), rtol=1e-6)
    assert int(fresh.reconstruction_optimizer.iterations.numpy()) == 32
    assert int(fresh.g_optimizer.iterations.numpy()) == 32


def test_mixture_prior_needs_a_2d_code(tmp_path):
    with pytest.raises(ConfigError, match="latent_dim = 2"):
        trainer.build_run(aae_config(model__prior="mixture"), str(tmp_path))


LOAD_EXPORT = textwrap.dedent(
    """
    import sys, numpy as np, tensorflow as tf
    encoder = tf.saved_model.load(sys.argv[1] + "/encoder").signatures["serving_default"]
    decoder = tf.saved_model.load(sys.argv[1] + "/generator").signatures
    images = decoder["sample"](count=tf.constant(3), seed=tf.constant(7, tf.int64))["samples"]
    again = decoder["sample"](count=tf.constant(3), seed=tf.constant(7, tf.int64))["samples"]
    code = encoder(images=images)["z"]
    decoded = decoder["serving_default"](z=code)["samples"]
    assert not any(k.startswith("tfgan_apps") for k in sys.modules), "tfgan_apps was imported"
    print(images.dtype.name, images.shape, bool(np.array_equal(images, again)), code.shape, decoded.shape)
    """
)


@pytest.mark.slow  # a fresh TensorFlow process; tests/test_train_cli.py keeps one such test in the default suite
def test_encoder_and_decoder_export_load_in_a_fresh_process(trained, tmp_path):
    run = trained[0]
    paths = export.save(run.model, run.source, str(tmp_path / "export"))
    assert sorted(paths) == ["encoder", "generator"]
    script = tmp_path / "load.py"
    script.write_text(LOAD_EXPORT)
    result = run_cli(str(script), str(tmp_path / "export"))
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "uint8 (3, 16, 16, 1) True (3, 8) (3, 16, 16, 1)"


@pytest.mark.parametrize("name, settings", [("diffaugment", {"diffaugment": "color"}), ("packing", {"packing": 2}),
                                            ("replay", {"replay": 0.5})])
def test_stabilizers_that_need_samples_on_d_are_refused(name, settings):
    from tfgan_apps.models.aae import AdversarialAutoencoder

    with pytest.raises(ConfigError, match=rf"aae does not support stabilizer '{name}': .*; "
                                          r"valid for aae: ema, (.+, )?instance_noise"):
        AdversarialAutoencoder.check_stabilizers(settings)
    AdversarialAutoencoder.check_stabilizers({"ema": True, "instance_noise": 0.1})


def summary_tags(logdir):
    tags = []
    for path in sorted(logdir.glob("events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            tags += [(v.tag, event.step) for v in event.summary.value]
    return tags


def test_autoencoder_pictures_at_the_final_step(trained, tmp_path):
    from tfgan_apps.model_callbacks import AutoencoderPictures

    run = trained[0]
    writer = tf.summary.create_file_writer(str(tmp_path / "tb"))
    callback = AutoencoderPictures(writer, every=1000, examples=run.source.examples(40), final_step=32)
    callback.set_model(run.model)
    callback.on_train_begin()
    callback.on_epoch_end(0)
    # 8-D codes: reconstruction pairs only, at the final step (32) though 1000 was never crossed.
    assert summary_tags(tmp_path / "tb") == [("Reconstructions", 32)]
