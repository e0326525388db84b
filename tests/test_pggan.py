"""PGGAN: the step → (stage, α) schedule, the paper's layers, growth through all stages, exact resume across a boundary.

The multi-stage runs execute ``train_step`` eagerly (``tf.switch_case`` then runs only the
current stage's branch): tracing all stages' branches costs more than the few steps do.
The graph path, every branch traced, is run by ``test_model.py::test_every_recipe_trains_two_steps``.
"""

import math

import numpy as np
import pytest
import tensorflow as tf

from tests.conftest import tiny_config
from tfgan_apps import trainer
from tfgan_apps.data import make_dataset
from tfgan_apps.errors import ConfigError
from tfgan_apps.models.pggan import StageGenerator, stage_and_alpha, stages_for
from tfgan_apps.nets.pggan import EqualizedConv2D, EqualizedDense, MinibatchStddev, PixelNorm


@pytest.mark.parametrize(
    "step, stage, alpha",
    [(0, 0, 1.0), (199, 0, 1.0), (200, 1, 0.0), (250, 1, 0.25), (399, 1, 0.995), (400, 1, 1.0), (599, 1, 1.0),
     (600, 2, 0.0), (700, 2, 0.5), (1000, 3, 0.0), (1100, 3, 0.5), (1599, 3, 1.0), (10_000, 3, 1.0)],
)
def test_schedule_is_a_pure_function_of_the_step(step, stage, alpha):
    s, a = stage_and_alpha(tf.constant(step, tf.int64), (200, 400, 400, 600), fade_steps=200)
    assert int(s) == stage and float(a) == pytest.approx(alpha, abs=1e-7)
    s, a = stage_and_alpha(step, (200, 400, 400, 600), fade_steps=0)
    assert int(s) == stage and float(a) == 1.0


def test_stages_above_the_data_size_are_dropped_and_the_data_size_must_be_reached():
    cfg = {"stages": ((4, 10), (8, 20), (16, 30), (32, 40))}
    assert stages_for(cfg, 16) == ((4, 8, 16), (10, 20, 30))
    assert stages_for(cfg, 32) == ((4, 8, 16, 32), (10, 20, 30, 40))
    with pytest.raises(ConfigError, match="must include the data size 64"):
        stages_for(cfg, 64)


def test_minibatch_stddev_on_a_hand_made_batch():
    # Groups of 2 consecutive examples: {x0, x1} and {x2, x3}.
    x = np.array([[0.0, 0.0], [2.0, 4.0], [1.0, 1.0], [1.0, 1.0]], np.float32).reshape(4, 1, 1, 2)
    out = MinibatchStddev(group_size=2)(tf.constant(x)).numpy()
    assert out.shape == (4, 1, 1, 3)
    np.testing.assert_array_equal(out[..., :2], x)
    # {x0, x1}: biased std per feature (1, 2) → mean 1.5; {x2, x3}: std 0 → √1e-8 = 1e-4.
    np.testing.assert_allclose(out[:, 0, 0, 2], [1.5, 1.5, 1e-4, 1e-4], rtol=1e-5)
    # One group over the whole batch, std averaged over pixels too.
    y = np.random.default_rng(0).normal(size=(4, 3, 3, 5)).astype(np.float32)
    out = MinibatchStddev(group_size=0)(tf.constant(y)).numpy()
    assert out.shape == (4, 3, 3, 6)
    np.testing.assert_allclose(out[..., 5], np.sqrt(y.var(axis=0) + 1e-8).mean(), rtol=1e-5)


def test_equalized_layers_scale_n01_weights_by_he_constant_at_runtime():
    conv = EqualizedConv2D(64, 3)
    x = tf.random.stateless_normal([2, 8, 8, 32], seed=[0, 1])
    y = conv(x)
    fan_in = 3 * 3 * 32
    assert conv.scale == pytest.approx(math.sqrt(2.0 / fan_in), rel=1e-15)
    kernel = conv.kernel.numpy()
    assert abs(kernel.std() - 1.0) < 0.05 and abs(kernel.mean()) < 0.05  # N(0, 1) initialisation
    expected = tf.nn.conv2d(x, kernel * math.sqrt(2.0 / fan_in), 1, "SAME") + conv.bias
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)
    dense = EqualizedDense(3, gain=1.0)
    v = tf.random.stateless_normal([4, 50], seed=[0, 2])
    assert dense(v).shape == (4, 3) and dense.scale == pytest.approx(1.0 / math.sqrt(50), rel=1e-15)
    np.testing.assert_allclose(dense(v), v.numpy() @ (dense.kernel.numpy() / math.sqrt(50)), rtol=1e-5, atol=1e-6)


def test_pixel_norm_gives_unit_rms_per_pixel():
    x = tf.random.stateless_normal([2, 3, 3, 7], seed=[4, 5]) * 5.0 + 1.0
    y = PixelNorm()(x).numpy()
    np.testing.assert_allclose(np.sqrt(np.mean(y**2, axis=-1)), 1.0, rtol=1e-5)
    np.testing.assert_allclose(PixelNorm()(3.0 * x), y, rtol=1e-5)  # scale invariant


STAGES = ((4, 2), (8, 3), (16, 3), (32, 4))  # 32 px is dropped at image_size 16
CHUNKS = (2, 3, 5, 8)  # fit boundaries: stage 0 is steps 0–1, stage 1 2–4 (α 0, ½, 1), stage 2 5–7 (α 0, ½, 1)


def pggan_config():
    config = tiny_config(model__name="pggan", model__loss="wasserstein", data__batch_size=8,
                         train__beta_1=0.0, train__beta_2=0.99, train__g_lr=1e-3, train__d_lr=1e-3)
    with config.unlocked():
        config.model.penalties.gradient_penalty = 10.0
        config.model.drift = 0.001
        config.model.stages = STAGES
        config.model.fade_steps = 2
        config.model.generator = {"type": "pggan", "width": 4, "max_width": 8}
        config.model.discriminator = {"type": "pggan", "width": 4, "max_width": 8, "group_size": 4}
    return config


def stage_variables(model, k):
    g, d = model.generator, model.discriminator
    return [*g.blocks[k].trainable_variables, *g.to_rgb[k].trainable_variables,
            *d.blocks[k].trainable_variables, *d.from_rgb[k].trainable_variables]


def snapshot(model):
    return [[np.array(v.numpy()) for v in stage_variables(model, k)] for k in range(3)]


def build(workdir):
    run = trainer.build_run(pggan_config(), str(workdir))
    run.model.run_eagerly = True
    return run


def fit_chunk(run, start, stop):
    return run.model.fit(make_dataset(run.source, 8, seed=0, start_step=start), epochs=1,
                         steps_per_epoch=stop - start, verbose=0).history


@pytest.fixture(scope="module")
def grown(tmp_path_factory):
    """A tiny PGGAN trained through 4 → 8 → 16 px (8 steps), with snapshots, logs and a step-3 checkpoint."""
    run = build(tmp_path_factory.mktemp("pggan"))
    snapshots, histories, start = [snapshot(run.model)], [], 0
    checkpoint = None
    for stop in CHUNKS:
        histories.append(fit_chunk(run, start, stop))
        snapshots.append(snapshot(run.model))
        if stop == 3:
            checkpoint = tf.train.Checkpoint(**run.model.checkpoint_items()).save(
                str(tmp_path_factory.mktemp("ckpt") / "ckpt"))
        start = stop
    return run, snapshots, histories, checkpoint


def moved(old, new):
    return [not np.array_equal(a, b) for a, b in zip(old, new)]


def test_every_stage_trains_finite_and_moves_only_the_layers_in_use(grown):
    run, snaps, histories, _ = grown
    assert run.model.resolutions == (4, 8, 16) and int(run.model.step.numpy()) == 8
    for h in histories:
        assert all(np.isfinite(v).all() for v in h.values()), h
    # Chunk 0 (stage 0): only the 4-px layers move.
    assert all(moved(snaps[0][0], snaps[1][0])) and not any(moved(snaps[0][1] + snaps[0][2], snaps[1][1] + snaps[1][2]))
    # Chunks 1–2 (stage 1; at α = 0 the new block gets no gradient): the 8-px layers move, the 16-px ones not yet.
    assert all(moved(snaps[1][1], snaps[3][1])) and not any(moved(snaps[1][2], snaps[3][2]))
    # Chunk 3 (stage 2): the 16-px layers move.
    assert all(moved(snaps[3][2], snaps[4][2]))
    # Logged schedule: means over each chunk's steps.
    expected = [(0.0, 1.0), (1.0, 0.0), (1.0, (0.5 + 1) / 2), (2.0, (0 + 0.5 + 1) / 3)]
    for h, (stage, alpha) in zip(histories, expected):
        assert h["stage"][-1] == pytest.approx(stage, abs=1e-6) and h["alpha"][-1] == pytest.approx(alpha, abs=1e-6)
    assert histories[-1]["gradient_penalty"][-1] > 0 and histories[-1]["drift"][-1] > 0


def test_samples_and_export_keep_the_final_resolution_at_every_stage(grown):
    run, _, _, _ = grown
    model = run.model
    assert model.generate(3).shape == (3, 16, 16, 1) and np.abs(model.generate(3).numpy()).max() <= 1.0
    z = tf.random.stateless_normal([2, 8], seed=[1, 1])
    low = StageGenerator(model.generator, 0, 1.0, 16)(z).numpy()
    assert low.shape == (2, 16, 16, 1)
    np.testing.assert_array_equal(low, np.repeat(np.repeat(low[:, ::4, ::4], 4, axis=1), 4, axis=2))  # nearest 4×
    module = model.exportables(run.source)["generator"]
    assert module.generator.stage == 2 and module.generator.alpha == 1.0


def test_resume_across_a_stage_boundary_repeats_the_uninterrupted_run(grown, tmp_path):
    reference, _, _, checkpoint = grown
    run = build(tmp_path)
    tf.train.Checkpoint(**run.model.checkpoint_items()).restore(checkpoint).assert_existing_objects_matched()
    stage, alpha = run.model.schedule()
    assert int(run.model.step.numpy()) == 3 and int(stage) == 1 and float(alpha) == 0.5
    fit_chunk(run, 3, 8)  # crosses the 8 → 16 px boundary at step 5
    def state(model):  # every variable a checkpoint holds, in creation order (layer names differ per model)
        return [v.numpy() for v in model.generator.weights + model.discriminator.weights
                + model.g_optimizer.variables + model.d_optimizer.variables]

    ref, new = state(reference.model), state(run.model)
    assert len(ref) == len(new)
    for i, (a, b) in enumerate(zip(ref, new)):
        np.testing.assert_array_equal(b, a, err_msg=f"variable {i}")


def test_replay_and_reused_fakes_are_refused(tmp_path):
    # Stored fakes would have past stages' resolutions; G's recorded pass would run outside the stage switch.
    config = pggan_config()
    with config.unlocked():
        config.model.stabilizers.replay = 0.5
    with pytest.raises(ConfigError, match=r"pggan does not support stabilizer 'replay': .*resolution.*; "
                                          r"valid for pggan: diffaugment, ema, (.+, )?instance_noise, (.+, )?packing"):
        trainer.build_run(config, str(tmp_path / "replay"))
    config = pggan_config()
    with config.unlocked():
        config.model.reuse_fakes = True
    with pytest.raises(ConfigError, match="reuse_fakes is not supported by pggan"):
        trainer.build_run(config, str(tmp_path / "reuse"))


def test_growing_strip_draws_one_titled_column_per_finished_stage(grown, tmp_path):
    from tfgan_apps.model_callbacks import GrowingStrip

    run, _, _, _ = grown
    writer = tf.summary.create_file_writer(str(tmp_path))
    strip = GrowingStrip(writer, count=3, final_step=8)
    strip.set_model(run.model)
    strip._last = 0
    strip.on_period(2, {})  # stage 0 (steps 0–1) ended: its column only
    assert sorted(strip.columns) == [0]
    strip._last = 2
    strip.on_period(5, {})  # stage 1 ended at step 5
    strip._last = 5
    strip.on_period(8, {})  # final step: the current (last) stage
    assert sorted(strip.columns) == [0, 1, 2]
    z = tf.random.stateless_normal([3, run.model.latent_dim], seed=[1234, 0])
    for k in range(3):  # each column is that stage's generator at α = 1, at the final resolution
        expected = StageGenerator(run.model.inference_generator, k, 1.0, 16)(z).numpy()
        np.testing.assert_allclose(strip.columns[k], expected, atol=1e-6)
    picture = strip.picture()
    column = 16 + 2  # image_grid: 1-px padding around a one-column grid
    assert picture.dtype == np.uint8 and picture.shape[1] == 3 * column + 2 * 4
    assert picture.shape[0] > 3 * (16 + 1)  # a title band above the samples
    writer.flush()
    events = [e for f in sorted(tmp_path.glob("events.*")) for e in tf.compat.v1.train.summary_iterator(str(f))]
    tags = {(v.tag, e.step) for e in events for v in e.summary.value}
    assert {("Growing/stages", 2), ("Growing/stages", 5), ("Growing/stages", 8)} <= tags
