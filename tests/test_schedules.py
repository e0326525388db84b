"""Learning-rate decay (train.lr_decay): closed forms, the optimizers' rates during training, exact resume."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.conftest import tiny_config
from tfgan_apps import models, schedules, trainer
from tfgan_apps.errors import ConfigError
from tfgan_apps.validation import validate


def closed_form(kind, step, begin, end, final):
    p = min(max((step - begin) / (end - begin), 0.0), 1.0)
    if kind == "cosine":
        return final + (1 - final) * 0.5 * (1 + math.cos(math.pi * p))
    if kind == "linear":
        return 1 - (1 - final) * p
    return final if step >= begin else 1.0


@pytest.mark.parametrize("kind", ["cosine", "linear", "step"])
def test_factor_matches_the_closed_form(kind):
    decay = schedules.LearningRateDecay(kind, total_steps=100, start=0.2, final=0.05)
    assert int(decay.begin.numpy()) == 20 and int(decay.end.numpy()) == 100
    for step in (0, 10, 19, 20, 21, 50, 99, 100, 150):
        want = closed_form(kind, step, 20, 100, 0.05)
        assert float(decay.factor_at(step)) == pytest.approx(want, rel=1e-6, abs=1e-7), (kind, step)
    decay.set_window(100, 200)  # a driver may move the window (benchmarks/restoration.py)
    assert float(decay.factor_at(150)) == pytest.approx(closed_form(kind, 150, 100, 200, 0.05), rel=1e-6)


def test_bad_settings_are_config_errors():
    with pytest.raises(ConfigError, match="lr_decay_final"):
        schedules.LearningRateDecay("cosine", 10, final=0.0)
    with pytest.raises(ConfigError, match="valid choices"):
        schedules.LearningRateDecay("exp", 10)
    for field, value, message in (("lr_decay", "exp", "valid choices"), ("lr_decay_start", 1.0, "lr_decay_start"),
                                  ("lr_decay_final", 2.0, "lr_decay_final")):
        with pytest.raises(ConfigError, match=message):
            validate(tiny_config(**{f"train__{field}": value}))


def test_training_follows_the_schedule_for_both_networks(tmp_path):
    config = tiny_config(train__lr_decay="linear", train__lr_decay_final=0.1, train__steps=4,
                         train__d_steps=2, train__g_lr=1e-3, train__d_lr=4e-4)
    model = trainer.train(config, str(tmp_path))["model"]
    assert int(model.step.numpy()) == 4
    # The clock is the step (G updates), not each optimizer's own counter: D made 8 updates.
    assert int(model.d_optimizer.iterations.numpy()) == 8
    np.testing.assert_allclose(float(model.g_optimizer.learning_rate), 1e-3 * 0.1, rtol=1e-5)
    np.testing.assert_allclose(float(model.d_optimizer.learning_rate), 4e-4 * 0.1, rtol=1e-5)


def test_resume_with_decay_matches_uninterrupted_run(tmp_path):
    def config(steps):
        c = tiny_config(train__lr_decay="cosine", train__lr_decay_steps=8, train__steps=steps,
                        train__deterministic=True)
        c.export.enabled = False
        return c

    reference = trainer.train(config(8), str(tmp_path / "ref"))
    half = str(tmp_path / "half")
    assert trainer.train(config(4), half)["step"] == 4
    resumed = trainer.train(config(8), half)
    assert resumed["step"] == 8
    assert resumed["fingerprint"] == reference["fingerprint"]
    np.testing.assert_allclose(float(resumed["model"].g_optimizer.learning_rate), 2e-4 * 0.01, rtol=1e-5)


def test_copied_optimizers_share_the_decay():
    decay = schedules.LearningRateDecay("step", 10, start=0.5, final=0.1)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.step = tf.Variable(7, dtype=tf.int64)
    decay.bind(model)
    for optimizer in (keras.optimizers.Adam(decay.rate(1e-3)),
                      keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam(decay.rate(1e-3)))):
        copy = schedules.copy_optimizer(optimizer)
        assert type(copy) is type(optimizer)
        np.testing.assert_allclose(float(copy.learning_rate), 1e-4, rtol=1e-6)
    plain = schedules.copy_optimizer(keras.optimizers.Adam(3e-4))
    np.testing.assert_allclose(float(plain.learning_rate), 3e-4, rtol=1e-6)


def test_rollback_scales_the_decay_not_the_schedule(tmp_path):
    config = tiny_config(train__lr_decay="cosine")
    run = trainer.build_run(config, str(tmp_path))
    before = float(run.model.g_optimizer.learning_rate)
    schedules.scale_learning_rates(run.model, [run.model.g_optimizer, run.model.d_optimizer], 0.5)
    assert float(run.model.lr_decay.scale.numpy()) == 0.5
    np.testing.assert_allclose(float(run.model.g_optimizer.learning_rate), before * 0.5, rtol=1e-6)
    plain = trainer.build_run(tiny_config(), str(tmp_path / "plain")).model
    assert plain.lr_decay is None
    schedules.scale_learning_rates(plain, [plain.g_optimizer], 0.5)
    np.testing.assert_allclose(float(plain.g_optimizer.learning_rate), 1e-4, rtol=1e-6)


def test_compile_without_decay_keeps_a_plain_rate():
    config = tiny_config()
    assert schedules.from_config(config.train) is None
    assert isinstance(models.make_optimizer(1e-3, 0.5, 0.9).learning_rate, keras.Variable)
