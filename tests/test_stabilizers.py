"""Stabilizers: EMA closed form, DiffAugment, instance noise, PacGAN packing, replay pool, config wiring.

One tiny DCGAN with every stabilizer on is trained for a few steps (module fixture);
the rest checks the pure functions against exact expectations.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.conftest import tiny_config
from tfgan_apps import penalties, stabilizers, trainer
from tfgan_apps.config import base_config, mog_config
from tfgan_apps.data import make_dataset
from tfgan_apps.errors import ConfigError
from tfgan_apps.registry import STABILIZERS
from tfgan_apps.validation import validate

BETA, STEPS, BATCH, NOISE_STEPS = 0.5, 3, 16, 10


class RecordGenerator(keras.callbacks.Callback):
    """Records the raw generator weights after every training step."""

    def __init__(self):
        super().__init__()
        self.weights = []

    def on_train_batch_end(self, batch, logs=None):
        self.weights.append([w.numpy().copy() for w in self.model.generator.weights])


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    config = tiny_config()
    s = config.model.stabilizers
    s.ema, s.ema_decay = True, BETA
    s.diffaugment = "color,translation,cutout"
    s.instance_noise, s.instance_noise_steps = 0.2, NOISE_STEPS
    s.packing = 2
    s.replay, s.replay_size = 0.5, 64
    config.model.penalties.r1 = 1.0
    run = trainer.build_run(config, str(tmp_path_factory.mktemp("stab")))
    initial = [w.numpy().copy() for w in run.model.generator.weights]
    recorder = RecordGenerator()
    run.model.fit(make_dataset(run.source, BATCH), epochs=1, steps_per_epoch=STEPS, verbose=0, callbacks=[recorder])
    return run, [initial, *recorder.weights]


SWITCHES = [("ema", True), ("diffaugment", "color,translation,cutout"), ("packing", 4), ("instance_noise", 0.1),
            ("replay", 0.3), ("feature_matching", 1.0), ("minibatch_discrimination", 4),
            ("historical_averaging", 0.1), ("label_smoothing", 0.1), ("label_noise", True), ("virtual_batch", 8)]


def test_every_stabilizer_is_registered_listed_in_the_config_and_off_by_default():
    assert STABILIZERS.names() == sorted(name for name, _ in SWITCHES)
    cfg = base_config().model.stabilizers.to_dict()
    assert stabilizers.settings(base_config().model) == {}
    generator = keras.Sequential([keras.Input((2,)), keras.layers.Dense(64), keras.layers.Reshape((8, 8, 1))])
    built = stabilizers.Stabilizers(cfg, generator)
    assert all(getattr(built, name) is None for name in STABILIZERS.names())
    for field, value in SWITCHES:  # each one switches on from its own field alone
        on = stabilizers.Stabilizers({**cfg, field: value}, generator)
        assert [n for n in STABILIZERS.names() if getattr(on, n) is not None] == [field]


def test_ema_equals_the_closed_form_average_of_the_recorded_weights(trained):
    run, history = trained
    model = run.model
    assert len(history) == STEPS + 1 and int(model.step.numpy()) == STEPS
    ema = model.stabilizers.ema.model
    k = STEPS
    for i, (ema_w, raw_w) in enumerate(zip(ema.weights, model.generator.weights)):
        values = [np.float64(h[i]) for h in history]
        if raw_w.trainable:
            # w_ema_k = β^k w_0 + Σ_j (1 − β) β^(k−j) w_j
            expected = BETA**k * values[0] + sum((1 - BETA) * BETA ** (k - j) * values[j] for j in range(1, k + 1))
            np.testing.assert_allclose(ema_w.numpy(), expected, rtol=1e-5, atol=1e-6, err_msg=raw_w.path)
        else:  # BatchNorm moving statistics are copied
            np.testing.assert_array_equal(ema_w.numpy(), raw_w.numpy())
    raw = model.generator.trainable_weights
    assert all(not np.allclose(e.numpy(), r.numpy()) for e, r in zip(ema.trainable_weights, raw))


def test_ema_is_used_for_samples_export_and_checkpoints(trained):
    run, _ = trained
    model = run.model
    ema = model.stabilizers.ema.model
    z = tf.random.stateless_normal([3, model.latent_dim], seed=[1, 2])
    np.testing.assert_allclose(model.generate(z).numpy(), ema(z).numpy(), atol=1e-6)
    assert not np.allclose(model.generate(z).numpy(), model.generator(z).numpy())
    assert model.exportables(run.source)["generator"].generator is ema
    items = model.checkpoint_items()
    assert items["ema_generator"] is ema and items["replay_pool"] is model.stabilizers.replay
    # Round trip through a checkpoint.
    path = tf.train.Checkpoint(**items).write(str(run.workdir) + "/roundtrip")
    saved = [w.numpy().copy() for w in ema.weights] + [model.stabilizers.replay.pool.numpy().copy()]
    for w in ema.weights:
        w.assign(tf.zeros_like(w))
    model.stabilizers.replay.pool.assign(tf.zeros_like(model.stabilizers.replay.pool))
    tf.train.Checkpoint(**items).read(path).assert_existing_objects_matched()
    restored = [w.numpy() for w in ema.weights] + [model.stabilizers.replay.pool.numpy()]
    assert all(np.array_equal(a, b) for a, b in zip(saved, restored))


def test_packed_discriminator_input_and_replay_pool_in_training(trained):
    run, _ = trained
    model = run.model
    assert model.discriminator.input_shape == (None, 16, 16, 2)  # m = 2 grey images
    # One D step per training step, each pushing BATCH fresh fakes.
    assert int(model.stabilizers.replay.inserted.numpy()) == STEPS * BATCH
    assert np.abs(model.stabilizers.replay.pool.numpy()[: STEPS * BATCH]).sum() > 0


def test_penalty_sees_the_same_augmented_input_as_the_adversarial_real_term(trained):
    # R1 is taken w.r.t. the un-augmented real batch, through D(pack(noise(augment(x)))) with the draws of the
    # real term (salt + 32), as the DiffAugment StyleGAN2 code does.
    run, _ = trained
    model = run.model
    real = tf.random.stateless_uniform([BATCH, 16, 16, 1], seed=[4, 5], minval=-1, maxval=1)
    fake = tf.random.stateless_uniform([BATCH, 16, 16, 1], seed=[6, 7], minval=-1, maxval=1)
    r1 = model.penalty_terms(real, fake, salt=0)["r1"]

    def augmented_d(x):
        return model.discriminator(model.stabilizers.d_input(x, model.step, model.replica_seed(32)), training=True)

    expected = model.global_mean(penalties.r1(augmented_d, real, fake, None))
    np.testing.assert_allclose(r1.numpy(), expected.numpy(), rtol=1e-5)

    def plain_d(x):
        return model.discriminator(stabilizers.pack(x, 2), training=True)

    assert not np.isclose(r1.numpy(), model.global_mean(penalties.r1(plain_d, real, fake, None)).numpy())
    # Equal salts give equal D inputs, different salts different ones.
    a, b, c = (model.d_input(real, salt) for salt in (32, 32, 33))
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.allclose(a.numpy(), c.numpy())


# ---------------------------------------------------------------------------- DiffAugment
IMAGES = tf.random.stateless_uniform([4, 16, 16, 3], seed=[1, 1], minval=-1, maxval=1)


@pytest.mark.parametrize("policy", ["color", "translation", "cutout", "color,translation,cutout"])
def test_diffaugment_is_differentiable_seeded_and_random(policy):
    augment = stabilizers.DiffAugment(policy)
    seed = tf.constant([3, 9], tf.int64)
    with tf.GradientTape() as tape:
        tape.watch(IMAGES)
        out = augment(IMAGES, seed)
        total = tf.reduce_sum(tf.square(out))
    grad = tape.gradient(total, IMAGES).numpy()
    assert out.shape == IMAGES.shape
    assert np.isfinite(grad).all() and np.abs(grad).sum() > 0
    np.testing.assert_array_equal(out.numpy(), augment(IMAGES, seed).numpy())
    assert not np.allclose(out.numpy(), augment(IMAGES, tf.constant([3, 10], tf.int64)).numpy())
    assert not np.allclose(out.numpy(), IMAGES.numpy())


def test_translation_shifts_by_the_drawn_offsets_with_zero_padding():
    seed = tf.constant([2, 8], tf.int64)
    offsets = stabilizers.translation_offsets(IMAGES, seed).numpy()
    assert np.abs(offsets).max() <= 2  # 16 px / 8
    out = stabilizers.random_translation(IMAGES, seed).numpy()
    x = IMAGES.numpy()
    for b, (dy, dx) in enumerate(offsets):
        expected = np.zeros_like(x[b])
        src = x[b, max(0, -dy): 16 - max(0, dy), max(0, -dx): 16 - max(0, dx)]
        expected[max(0, dy): max(0, dy) + src.shape[0], max(0, dx): max(0, dx) + src.shape[1]] = src
        np.testing.assert_array_equal(out[b], expected)
    # Offsets cover {−2, …, 2} uniformly.
    many = stabilizers.translation_offsets(tf.zeros([5000, 16, 16, 1]), seed).numpy()
    assert set(np.unique(many)) == {-2, -1, 0, 1, 2}
    assert np.allclose(np.bincount(many.ravel() + 2) / many.size, 0.2, atol=0.02)


def test_cutout_zeroes_one_half_size_box():
    out = stabilizers.cutout(tf.ones([1, 16, 16, 2]), tf.constant([[6, 10]]), tf.constant([8, 8])).numpy()
    expected = np.ones([16, 16, 2], np.float32)
    expected[2:10, 6:14] = 0
    np.testing.assert_array_equal(out[0], expected)
    masked = stabilizers.random_cutout(tf.ones([200, 16, 16, 1]), tf.constant([1, 2], tf.int64)).numpy()
    zeros = (masked == 0).sum(axis=(1, 2, 3))
    assert zeros.max() == 64 and zeros.min() >= 16  # 8×8 box clipped at the border: a corner keeps 4×4


def test_diffaugment_rejects_unknown_policies_and_non_images():
    with pytest.raises(ConfigError, match="color, translation, cutout"):
        stabilizers.DiffAugment("color,zoom")
    with pytest.raises(ConfigError, match="images"):
        stabilizers.DiffAugment.from_config({"diffaugment": "color"}, sample_shape=(2,))


# ---------------------------------------------------------------------------- instance noise
def test_instance_noise_sigma_schedule_is_linear_to_zero():
    sigma = [float(stabilizers.annealed_sigma(t, 0.4, 100)) for t in (0, 25, 50, 100, 250)]
    np.testing.assert_allclose(sigma, [0.4, 0.3, 0.2, 0.0, 0.0], atol=1e-7)


def test_instance_noise_adds_the_scheduled_gaussian(trained):
    noise = stabilizers.InstanceNoise(0.4, 100)
    x = tf.zeros([2000, 3])
    seed = tf.constant([5, 6], tf.int64)
    out = noise(x, tf.constant(25, tf.int64), seed).numpy()
    np.testing.assert_allclose(out, 0.3 * tf.random.stateless_normal([2000, 3], seed=seed).numpy(), rtol=1e-6)
    assert abs(out.std() - 0.3) < 0.02
    # In the trained model: D's input at step t is packed(augment(x) + σ(t)·ε) with σ(3) = 0.2·(1 − 3/10).
    model = trained[0].model
    assert np.isclose(float(model.stabilizers.instance_noise.sigma(model.step)), 0.2 * (1 - STEPS / NOISE_STEPS))


# ---------------------------------------------------------------------------- packing
def test_packing_groups_consecutive_samples():
    points = tf.reshape(tf.range(12, dtype=tf.float32), [6, 2])  # sample i = (2i, 2i + 1)
    np.testing.assert_array_equal(stabilizers.pack(points, 3).numpy(), [[0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11]])
    images = tf.random.stateless_uniform([8, 4, 4, 3], seed=[0, 1])
    packed = stabilizers.pack(images, 4).numpy()
    assert packed.shape == (2, 4, 4, 12)
    for k in range(2):
        for j in range(4):
            np.testing.assert_array_equal(packed[k, :, :, 3 * j: 3 * j + 3], images.numpy()[4 * k + j])
    assert stabilizers.packed_shape((16, 16, 3), 4) == (16, 16, 12) and stabilizers.packed_shape((2,), 4) == (8,)


def test_pacgan_discriminator_input_and_batch_check():
    from tfgan_apps import models
    from tfgan_apps.data import load_source

    config = mog_config()
    config.data.source = "mog_grid"
    config.model.stabilizers.packing = 4
    model = models.build(config, load_source(config.data))
    assert model.discriminator.input_shape == (None, 8) and model.generator.output_shape == (None, 2)
    assert model.discriminate(tf.zeros([12, 2]), salt=0).shape == (3, 1)
    config.data.batch_size = 254
    with pytest.raises(ConfigError, match="divisible by m"):
        validate(config)
    with pytest.raises(ConfigError, match="divisible by m"):
        stabilizers.pack(tf.zeros([6, 2]), 4)


# ---------------------------------------------------------------------------- replay pool
def test_replay_pool_fills_as_a_ring_and_replaces_a_fraction_p():
    pool = stabilizers.ReplayPool(0.3, 10, (2,))
    seed = tf.constant([0, 1], tf.int64)
    first = tf.fill([4, 2], 1.0)
    np.testing.assert_array_equal(pool(first, seed).numpy(), first.numpy())  # empty pool: nothing to replay
    assert int(pool.filled()) == 4
    for value in (2.0, 3.0, 4.0):
        pool(tf.fill([4, 2], value), seed)
    assert int(pool.inserted.numpy()) == 16 and int(pool.filled()) == 10
    # Ring buffer of the 10 most recent fakes: 3s wrapped to slots 8, 9, 0, 1, then 4s in 2–5.
    np.testing.assert_array_equal(pool.pool.numpy()[:, 0], [3, 3, 4, 4, 4, 4, 2, 2, 3, 3])

    big = stabilizers.ReplayPool(0.3, 5000, (1,))
    big(tf.ones([5000, 1]), seed)  # fill with ones
    mixed = big(tf.zeros([5000, 1]), tf.constant([7, 7], tf.int64)).numpy()
    assert abs(mixed.mean() - 0.3) < 0.02  # fraction replayed ≈ p (σ ≈ 0.0065)
    assert int(big.filled()) == 5000 and big.pool.numpy().sum() == 0  # fresh zeros overwrote every slot
