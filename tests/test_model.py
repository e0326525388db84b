"""The base GAN: finite losses, moving weights, seeds, penalties in the loop, dtype policies, every config."""

import glob
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.conftest import ROOT, load_recipe, tiny_config
from tfgan_apps import trainer
from tfgan_apps.data import make_dataset
from tfgan_apps.errors import ConfigError


def fit(config, workdir, steps=None):
    run = trainer.build_run(config, str(workdir))
    batch = config.data.batch_size * config.train.d_steps
    history = run.model.fit(make_dataset(run.source, batch, seed=config.train.seed),
                            epochs=1, steps_per_epoch=steps or config.train.steps, verbose=0)
    return run, history.history


def weights(model):
    return [w.numpy().copy() for w in model.generator.weights + model.discriminator.weights]


def test_train_steps_are_finite_and_move_both_networks(tmp_path, config):
    run = trainer.build_run(config, str(tmp_path))
    before_g = [w.numpy().copy() for w in run.model.generator.trainable_weights]
    before_d = [w.numpy().copy() for w in run.model.discriminator.trainable_weights]
    run.model.fit(make_dataset(run.source, 16), epochs=1, steps_per_epoch=3, verbose=0)
    assert int(run.model.step.numpy()) == 3
    for name, tracker in run.model.trackers.items():
        assert np.isfinite(float(tracker.result())), name
    assert all(not np.allclose(a, b.numpy()) for a, b in zip(before_g, run.model.generator.trainable_weights))
    assert all(not np.allclose(a, b.numpy()) for a, b in zip(before_d, run.model.discriminator.trainable_weights))
    samples = run.model.generate(5)
    assert samples.shape == (5, 16, 16, 1) and np.abs(samples.numpy()).max() <= 1
    z = np.random.default_rng(0).normal(size=(2, config.model.latent_dim)).astype("float32")
    assert run.model.generate(z).shape == (2, 16, 16, 1)


def test_same_seed_same_losses_different_seed_differs(tmp_path):
    first = fit(tiny_config(train__seed=5), tmp_path / "a", 3)[1]
    second = fit(tiny_config(train__seed=5), tmp_path / "b", 3)[1]
    third = fit(tiny_config(train__seed=6), tmp_path / "c", 3)[1]
    assert first == second
    assert first["d_loss"] != third["d_loss"]


@pytest.mark.parametrize("penalty", ["gradient_penalty", "r1", "r2", "dragan"])
def test_penalties_are_trained_and_logged(tmp_path, penalty):
    config = tiny_config(model__discriminator__norm="layer")
    config.model.penalties[penalty] = 1.0
    run, history = fit(config, tmp_path, 2)
    assert penalty in history and np.isfinite(history[penalty]).all() and history[penalty][-1] > 0
    np.testing.assert_allclose(history["d_loss"][-1], history["d_adv"][-1] + history[penalty][-1], rtol=1e-4)


def test_wgan_weight_clipping_bounds_every_discriminator_weight(tmp_path):
    config = tiny_config(model__loss="wasserstein", train__d_steps=5, model__discriminator__norm="none")
    config.model.penalties.weight_clip = 0.01
    run, history = fit(config, tmp_path, 2)
    assert int(run.model.d_optimizer.iterations.numpy()) == 10  # n_critic = 5 per generator step
    for w in run.model.discriminator.trainable_weights:
        assert np.abs(w.numpy()).max() <= 0.01 + 1e-7, w.path


def test_scaled_gradients_multiply_by_the_loss_scale_after_the_tape_stopped():
    from tfgan_apps.models.base import scaled_gradients

    w = tf.Variable([1.0, -2.0])
    with tf.GradientTape(persistent=True) as tape:
        loss = tf.reduce_sum(w**2)
    plain = scaled_gradients(keras.optimizers.SGD(0.1), tape, loss, [w])[0]
    scaler = keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(0.1), initial_scale=1024.0)
    scaler.build([w])
    np.testing.assert_allclose(plain.numpy(), [2.0, -4.0])
    np.testing.assert_allclose(scaled_gradients(scaler, tape, loss, [w])[0].numpy(), [2048.0, -4096.0])


def test_mixed_float16_loss_scales_both_optimizers_and_the_penalty(tmp_path):
    # The GPU path, run on the CPU: both optimizers are dynamic loss-scale optimizers and a WGAN-GP step
    # (penalty with its own inner backward pass) stays finite.
    config = tiny_config(train__mixed_precision="mixed_float16", model__loss="wasserstein",
                         model__discriminator__norm="layer")
    config.model.penalties.gradient_penalty = 10.0
    try:
        run, history = fit(config, tmp_path, 2)
        for optimizer in (run.model.d_optimizer, run.model.g_optimizer):
            assert isinstance(optimizer, keras.optimizers.LossScaleOptimizer)
        assert run.model.generator.compute_dtype == "float16"
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert all(np.isfinite(v).all() for v in history.values())
    assert history["gradient_penalty"][-1] > 0


def test_mixed_bfloat16_runs_on_cpu(tmp_path):
    try:
        _, history = fit(tiny_config(train__mixed_precision="mixed_bfloat16"), tmp_path, 2)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert all(np.isfinite(v).all() for v in history.values())


RECIPES = sorted(glob.glob(os.path.join(ROOT, "tfgan_apps", "configs", "[!_]*.py")))


# Recipes of 10–40 s that their own test files already train (marked slow here; `pytest -m slow` runs them).
HEAVY = ("cyclegan_night_photos.py", "cyclegan_derain_photos.py", "pggan_digits.py", "bigan1d_signals.py")


@pytest.mark.parametrize("path", [pytest.param(p, marks=pytest.mark.slow) if os.path.basename(p) in HEAVY else p
                                  for p in RECIPES], ids=[os.path.basename(p) for p in RECIPES])
def test_every_recipe_trains_two_steps(tmp_path, path):
    config = load_recipe(path)
    with config.unlocked():
        config.data.batch_size = 8
        config.train.jit_compile = False
        config.train.d_steps = 1  # n_critic is tested on its own; unrolled D steps only cost tracing time here
        if config.data.source == "folder:PATH":  # folder_rgb: the user's own photos; the bundled ones here
            config.data.source = "photos"
        if config.data.image_size > 16 and config.data.source != "signals_1d":
            config.data.image_size = 16
        for net in (config.model.generator, config.model.discriminator):
            if "width" in net:
                net.width = min(net.width, 8)
    run, history = fit(config, tmp_path, 2)
    assert all(np.isfinite(v).all() for v in history.values()), history
    assert run.model.generate(3).shape[0] == 3


def test_nan_loss_stops_with_step_and_term_and_keeps_last_checkpoint(tmp_path, monkeypatch):
    import tensorflow as tf

    from tfgan_apps import losses
    from tfgan_apps.errors import TrainingError
    from tfgan_apps.registry import LOSSES

    config = tiny_config(train__steps=2)
    trainer.train(config, str(tmp_path))
    good = tf.train.latest_checkpoint(str(tmp_path / "checkpoints"))
    healthy = losses.get("non_saturating")
    poisoned = losses.AdversarialLoss("non_saturating", healthy.discriminator,
                                      lambda fake: healthy.generator(fake) * float("nan"))
    monkeypatch.setitem(LOSSES._items, "non_saturating", poisoned)
    with pytest.raises(TrainingError, match=r"non-finite g_(loss|adv) \(nan\) at step 3"):
        trainer.train(tiny_config(train__steps=4), str(tmp_path))
    assert tf.train.latest_checkpoint(str(tmp_path / "checkpoints")) == good


def test_call_site_salts_of_one_step_never_collide(tmp_path):
    from tfgan_apps.models.base import D_SALT_STRIDE, G_SALT, MAX_D_STEPS, SALT_BITS, d_salt

    # D update i uses its salt, penalties at +1.., stabilizer streams at +32/+33; G uses G_SALT − 1 .. 2**SALT_BITS.
    d_salts = [d_salt(i) + k for i in range(MAX_D_STEPS) for k in range(D_SALT_STRIDE)]
    assert len(set(d_salts)) == len(d_salts) and max(d_salts) < G_SALT - 1 < G_SALT + 63 < 2**SALT_BITS
    with pytest.raises(ConfigError, match="d_steps must be in"):
        trainer.build_run(tiny_config(train__d_steps=MAX_D_STEPS + 1), str(tmp_path))


def _nan_on_call(monkeypatch, bad_call: int) -> None:
    """Makes the generator loss NaN on its ``bad_call``-th evaluation (counted in a variable, so traced too)."""
    import tensorflow as tf

    from tfgan_apps import losses
    from tfgan_apps.registry import LOSSES

    calls = tf.Variable(0)
    healthy = losses.get("non_saturating")

    def generator_loss(fake):
        calls.assign_add(1)
        poison = tf.where(tf.equal(calls, bad_call), float("nan"), 1.0)
        return healthy.generator(fake) * poison

    monkeypatch.setitem(LOSSES._items, "non_saturating",
                        losses.AdversarialLoss("non_saturating", healthy.discriminator, generator_loss))


def test_nan_rollback_restores_last_checkpoint_lowers_lr_and_finishes(tmp_path, monkeypatch):
    import tensorflow as tf

    _nan_on_call(monkeypatch, bad_call=3)  # step 3 of 4 (checkpoints at 2 and 4)
    config = tiny_config(train__on_nan="rollback", train__nan_lr_factor=0.25)
    result = trainer.train(config, str(tmp_path))
    assert result["step"] == 4 and all(np.isfinite(v) for v in result["logs"].values())
    reader = tf.train.load_checkpoint(tf.train.latest_checkpoint(str(tmp_path / "checkpoints")))
    lrs = {k: reader.get_tensor(k) for k in reader.get_variable_to_shape_map()
           if k.endswith("learning_rate/.ATTRIBUTES/VARIABLE_VALUE")}
    assert lrs and all(np.isclose(v, 2e-4 * 0.25) for v in lrs.values()), lrs


def test_nan_rollback_gives_up_after_max_rollbacks(tmp_path, monkeypatch):
    import tensorflow as tf

    from tfgan_apps.errors import TrainingError

    trainer.train(tiny_config(train__steps=2), str(tmp_path))
    good = tf.train.latest_checkpoint(str(tmp_path / "checkpoints"))
    _nan_on_call(monkeypatch, bad_call=1)  # NaN at step 3, and no rollback is allowed
    config = tiny_config(train__on_nan="rollback", train__max_rollbacks=0)
    with pytest.raises(TrainingError, match="after 0 rollbacks"):
        trainer.train(config, str(tmp_path))
    assert tf.train.latest_checkpoint(str(tmp_path / "checkpoints")) == good
