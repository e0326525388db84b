"""Speed features: profiler traces, jit_compile=auto, the joint D pass, mixed bfloat16 across variants."""

from __future__ import annotations

import glob
import json
import math
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.conftest import load_recipe, run_cli, tiny_config
from tfgan_apps import callbacks, models, trainer
from tfgan_apps.config import base_config
from tfgan_apps.data import make_dataset
from tfgan_apps.errors import ConfigError, TrainingError
from tfgan_apps.models.base import GAN, examples_independent
from tfgan_apps.validation import validate


def test_profile_steps_write_a_trace(tmp_path):
    config = tiny_config(train__steps=2, train__log_every=1, export__enabled=False)
    trainer.train(config, str(tmp_path), profile_steps="2,2")
    traces = glob.glob(os.path.join(tmp_path, "plugins", "profile", "*", "*.xplane.pb"))
    assert len(traces) == 1 and os.path.getsize(traces[0]) > 0


def test_profile_steps_parsing():
    assert callbacks.parse_profile_steps("3,7") == (3, 7)
    assert callbacks.parse_profile_steps(None) is None and callbacks.parse_profile_steps("") is None
    for bad in ("3", "7,3", "0,2", "a,b"):
        with pytest.raises(TrainingError):
            callbacks.parse_profile_steps(bad)


def test_profiler_covers_whole_executions():
    profiler = callbacks.Profiler("unused", 5, 6, steps_per_execution=4)
    profiler._step = 0
    started = []
    tf_start = tf.profiler.experimental.start
    try:
        tf.profiler.experimental.start = lambda logdir: started.append(profiler._step)
        profiler.on_train_batch_begin(0)  # steps 1..4: outside
        profiler.on_train_batch_end(0)
        profiler.on_train_batch_begin(1)  # steps 5..8: inside
    finally:
        tf.profiler.experimental.start = tf_start
    assert started == [4] and profiler._active


@pytest.fixture(autouse=True)
def _private_jit_cache(tmp_path, monkeypatch):
    """Every test here keeps jit_compile=auto decisions in its own cache directory, never ~/.cache."""
    monkeypatch.setenv(models.CACHE_DIR_ENV, str(tmp_path / "cache"))


def test_jit_auto_resolves_to_a_bool_and_keeps_the_state(tmp_path):
    config = tiny_config(train__jit_compile="auto", export__enabled=False)
    run = trainer.build_run(config, str(tmp_path))
    model = run.model
    assert model.jit_auto
    before = [w.numpy().copy() for w in model.generator.weights + model.discriminator.weights]
    dataset = make_dataset(run.source, 16)
    chosen = models.probe_jit_compile(model, dataset, steps=1)
    assert isinstance(chosen, bool) and model.jit_compile is chosen and not model.jit_auto
    assert int(model.step.numpy()) == 0 and int(model.d_optimizer.iterations.numpy()) == 0
    for a, b in zip(before, model.generator.weights + model.discriminator.weights):
        np.testing.assert_array_equal(a, b.numpy())
    history = model.fit(dataset, epochs=1, steps_per_epoch=2, verbose=0).history
    assert int(model.step.numpy()) == 2 and all(np.isfinite(v).all() for v in history.values())


def test_jit_auto_decision_is_cached_per_key(tmp_path, monkeypatch):
    timed = []

    def fake_timer(model, dataset, steps):  # XLA "wins": 1 s without, 0.5 s with
        timed.append(model.jit_compile)
        return 0.5 if model.jit_compile else 1.0

    monkeypatch.setattr(models, "_timed_steps", fake_timer)

    def probe(batch: int, **overrides) -> tuple[bool, trainer.Run]:
        run = trainer.build_run(tiny_config(train__jit_compile="auto", export__enabled=False, **overrides),
                                str(tmp_path / f"run{len(timed)}"))
        return models.probe_jit_compile(run.model, make_dataset(run.source, batch)), run

    first, run = probe(16)
    assert first is True and run.model.jit_compile is True and timed == [False, True]
    cache = models.jit_cache_path()
    assert cache.startswith(str(tmp_path / "cache")) and os.path.exists(cache)
    second, run = probe(16)  # same model, shapes, batch, precision, CPU: no timing at all
    assert second is True and run.model.jit_compile is True and timed == [False, True]
    _, parts = models.jit_cache_key(run.model, make_dataset(run.source, 16))
    assert parts["nets"]["generator"]["params"] == run.model.generator.count_params() and parts["cpu"]
    probe(8)  # another batch: probed again
    assert timed == [False, True] * 2
    probe(16, model__generator__width=16)  # another G: probed again
    assert timed == [False, True] * 3
    probe(16)
    assert timed == [False, True] * 3  # the first key is still cached beside the others
    with open(cache, "w") as f:
        f.write("{not json")  # a corrupt cache is ignored (probe again) and rewritten
    probe(16)
    assert timed == [False, True] * 4 and models._read_jit_cache(cache)


def test_jit_setting_accepts_bools_strings_and_auto():
    assert models.jit_setting(True) is True and models.jit_setting(False) is False
    assert models.jit_setting("auto") == "auto" and models.jit_setting("False") is False
    with pytest.raises(Exception, match="auto"):
        models.jit_setting("sometimes")


def _pair(stabilizers: dict | None = None) -> tuple[GAN, GAN]:
    """Two GANs with one D without BatchNorm and equal weights: joint and separate D passes."""
    config = tiny_config(model__discriminator__norm="none")
    from tfgan_apps.data import load_source

    source = load_source(config.data)
    pair = []
    for d_pass in ("joint", "separate"):
        keras.utils.set_random_seed(0)
        g, d = GAN.build_networks(config.model, source, False)
        model = GAN(g, d, latent_dim=config.model.latent_dim, d_pass=d_pass, stabilizers=stabilizers)
        model.compile(d_optimizer=models.make_optimizer(2e-4, 0.5, 0.999),
                      g_optimizer=models.make_optimizer(2e-4, 0.5, 0.999))
        pair.append(model)
    for a, b in zip(pair[0].weights, pair[1].weights):
        b.assign(a)
    return pair[0], pair[1]


@pytest.mark.parametrize("stabilizers", [None, {"diffaugment": "color,translation,cutout", "instance_noise": 0.1}])
def test_joint_and_separate_d_pass_agree_without_batchnorm(stabilizers):
    joint, separate = _pair(stabilizers)
    assert joint.joint_d_pass and not separate.joint_d_pass
    rng = np.random.default_rng(0)
    real = tf.constant(rng.uniform(-1, 1, (16, 16, 16, 1)), tf.float32)
    fake = tf.constant(rng.uniform(-1, 1, (16, 16, 16, 1)), tf.float32)
    results = []
    for model in (joint, separate):
        with tf.GradientTape() as tape:
            real_out, fake_out = model.discriminate_real_fake(real, fake, salt=0)
            loss = model.global_mean(model.adversarial.discriminator(real_out, fake_out))
        grads = tape.gradient(loss, model.discriminator.trainable_variables)
        results.append((real_out.numpy(), fake_out.numpy(), float(loss), [g.numpy() for g in grads]))
    (jr, jf, jl, jg), (sr, sf, sl, sg) = results
    np.testing.assert_allclose(jr, sr, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(jf, sf, rtol=1e-5, atol=1e-6)
    assert jl == pytest.approx(sl, rel=1e-6, abs=1e-6)
    for a, b in zip(jg, sg):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    # Whole training steps agree too (same draws, same updates).
    data = {"x": real}
    logs = [{k: float(v) for k, v in m.train_step(data).items()} for m in (joint, separate)]
    for key in logs[0]:
        assert logs[0][key] == pytest.approx(logs[1][key], rel=1e-5, abs=1e-6), key


def test_auto_d_pass_is_joint_only_for_batch_independent_discriminators():
    from tfgan_apps.data import load_source

    def model(**overrides: object) -> GAN:
        config = tiny_config(**overrides)
        g, d = GAN.build_networks(config.model, load_source(config.data), False)
        return GAN(g, d, latent_dim=config.model.latent_dim)

    bn, plain = model(), model(model__discriminator__norm="layer")
    sn = model(model__discriminator__norm="none", model__discriminator__spectral_norm=True)
    assert not examples_independent(bn.discriminator) and not bn.joint_d_pass
    assert examples_independent(plain.discriminator) and plain.joint_d_pass
    assert not sn.joint_d_pass  # spectral norm's power iteration advances once per call


def _recipe(name: str, **overrides: object):
    c = load_recipe(name)
    c.data.image_size, c.data.batch_size = 16, 8
    c.model.generator.width = c.model.discriminator.width = 8
    c.train.steps, c.train.jit_compile, c.export.enabled = 2, False, False
    c.train.mixed_precision = "mixed_bfloat16"
    c.train.d_steps = 1  # n_critic does not change the dtypes; one D update keeps the trace small
    c.train.log_every = c.train.image_every = c.train.checkpoint_every = 2
    if "eval_every" in c.train:
        c.train.eval_every = 2
    if name.endswith("_photos"):
        c.data.photos, c.data.eval_photos, c.data.eval_crop = ("coins", "gravel"), ("chelsea",), 32
    for key, value in overrides.items():
        section, field = key.split("__")
        c[section][field] = value
    return c


@pytest.mark.parametrize("name", ["dcgan_digits", "wgan_gp_digits", "infogan_digits", "denoise_photos"])
def test_mixed_bfloat16_two_steps_finite(tmp_path, name):
    try:
        result = trainer.train(_recipe(name), str(tmp_path))
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert result["step"] == 2
    assert result["logs"] and all(math.isfinite(v) for v in result["logs"].values()), result["logs"]


def test_jit_compile_and_d_pass_are_config_fields_with_checked_values(tmp_path):
    assert base_config().model.d_pass == "auto" and base_config().train.jit_compile == "auto"
    config = tiny_config()
    config.train.jit_compile = "auto"  # an object-typed field: a bool or "auto"
    validate(config)
    for field, value, message in (("train.jit_compile", "maybe", "True, False or 'auto'"),
                                  ("train.jit_compile", 2, "True, False or 'auto'"),
                                  ("model.d_pass", "twice", "auto, joint, separate")):
        bad = tiny_config()
        section, key = field.split(".")
        bad[section][key] = value
        with pytest.raises(ConfigError, match=message):
            validate(bad)
    result = run_cli("-m", "tfgan_apps.cli.train", "--config=dcgan_digits", f"--workdir={tmp_path}",
                     "--config.train.jit_compile=sometimes")
    assert result.returncode != 0 and "jit_compile must be True, False or 'auto'" in result.stderr


def test_reuse_fakes_updates_g_through_the_d_steps_fakes_against_the_updated_d():
    """reuse_fakes: D's update is unchanged; G's update is plain SGD on -log σ(D_new(G(z_d))) with the z of
    D's update, computed here by hand from a copy of the networks."""
    from tfgan_apps.data import load_source
    from tfgan_apps.models.base import d_salt

    config = tiny_config(model__discriminator__norm="none", model__generator__norm="none")
    source = load_source(config.data)
    built = []
    for reuse in (True, False):
        keras.utils.set_random_seed(0)
        g, d = GAN.build_networks(config.model, source, False)
        model = GAN(g, d, latent_dim=config.model.latent_dim, reuse_fakes=reuse)
        model.compile(d_optimizer=keras.optimizers.SGD(0.05), g_optimizer=keras.optimizers.SGD(0.05))
        built.append(model)
    reuse, fresh = built
    for a, b in zip(reuse.weights, fresh.weights):
        b.assign(a)
    g_before = [w.numpy() for w in reuse.generator.trainable_variables]
    z_d = reuse.sample_latent(16, d_salt(0))  # the D update's z at step 0
    real = tf.constant(np.random.default_rng(0).uniform(-1, 1, (16, 16, 16, 1)), tf.float32)
    logs = {k: float(v) for k, v in reuse.train_step({"x": real}).items()}
    fresh_logs = {k: float(v) for k, v in fresh.train_step({"x": real}).items()}
    for key in ("d_loss", "d_real", "d_fake"):  # the D update does not depend on reuse_fakes
        assert logs[key] == pytest.approx(fresh_logs[key], rel=1e-6), key
    for a, b in zip(reuse.discriminator.weights, fresh.discriminator.weights):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-7)
    # By hand: G (weights from before the step) on z_d, through the updated D.
    for w, value in zip(fresh.generator.trainable_variables, g_before):
        w.assign(value)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.nn.softplus(-tf.reshape(fresh.discriminator(fresh.generator(z_d, training=True),
                                                                             training=True), [16, -1])))
    grads = tape.gradient(loss, fresh.generator.trainable_variables)
    assert logs["g_loss"] == pytest.approx(float(loss), rel=1e-5)
    for w, before, grad in zip(reuse.generator.trainable_variables, g_before, grads):
        np.testing.assert_allclose(w.numpy(), before - 0.05 * grad.numpy(), rtol=1e-4, atol=1e-6)
    assert not np.allclose(reuse.generator.trainable_variables[0].numpy(), g_before[0])


def test_reuse_fakes_reaches_variants_through_the_template_or_is_refused():
    from tfgan_apps.data import load_source
    from tfgan_apps.models.base import GAN

    config = load_recipe("began_digits")
    config.model.reuse_fakes = True
    source = load_source(config.data)
    assert models.build(config, source).reuse_fakes  # the template records G's pass for any variant

    class NoReuse(GAN):
        SUPPORTS_REUSE_FAKES = False

    g, d = GAN.build_networks(load_recipe("dcgan_digits").model, load_source(load_recipe("dcgan_digits").data), False)
    with pytest.raises(ConfigError, match="reuse_fakes is not supported"):
        NoReuse(g, d, latent_dim=64, reuse_fakes=True)


def test_jit_auto_falls_back_when_xla_cannot_compile_an_op(tmp_path):
    # An antialiased downsampling resize runs ScaleAndTranslate, which has no XLA CPU kernel.
    import tfgan_apps as tg

    z = keras.Input((4,))
    x = keras.layers.Reshape((4, 4, 1))(keras.layers.Dense(16)(z))
    x = keras.layers.Resizing(8, 8, interpolation="bilinear")(x)
    x = keras.layers.Resizing(4, 4, interpolation="bilinear", antialias=True)(x)
    generator = keras.Model(z, keras.layers.Activation("tanh")(x))
    image = keras.Input((4, 4, 1))
    discriminator = keras.Model(image, keras.layers.Dense(1)(keras.layers.Flatten()(image)))
    gan = tg.GAN(generator=generator, discriminator=discriminator, latent_dim=4)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3))
    images = np.random.default_rng(0).uniform(-1, 1, (16, 4, 4, 1)).astype(np.float32)
    dataset = tf.data.Dataset.from_tensor_slices(images).batch(8, drop_remainder=True).repeat()
    gan.build_from_batch(images[:8])
    assert models.probe_jit_compile(gan, dataset, steps=1) is False and gan.jit_compile is False
    with open(models.jit_cache_path()) as f:
        (entry,) = json.load(f).values()
    assert entry["seconds_per_step"]["xla_on"] is None  # XLA failed to compile, not merely lost the race
    assert int(gan.step.numpy()) == 0
    history = gan.fit(dataset, epochs=1, steps_per_epoch=2, verbose=0).history
    assert int(gan.step.numpy()) == 2 and all(np.isfinite(v).all() for v in history.values())
