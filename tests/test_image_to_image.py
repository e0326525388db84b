"""pix2pix / SRGAN restoration model (``tfgan_apps.restoration``): losses in closed form, phases, snapshot,
callbacks, exports."""

from __future__ import annotations

import os
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.conftest import load_recipe, run_cli
from tfgan_apps import trainer
from tfgan_apps.data import make_dataset
from tfgan_apps.errors import ConfigError
from tfgan_apps.losses import relativistic_average_discriminator_loss, relativistic_average_generator_loss
from tfgan_apps.models.base import G_SALT, Streams, Update
from tfgan_apps.registry import LOSSES, MODELS
from tfgan_apps.restoration.export import RestorerExport
from tfgan_apps.restoration.inference import pad_to_multiple
from tfgan_apps.restoration.model import ImageToImage, ssim_per_example


def recipe(name: str, **overrides):
    """A config from configs/ shrunk to 16 px crops, width-8 nets and 4 steps without XLA."""
    c = load_recipe(name)
    c.data.image_size, c.data.batch_size = 16, 8
    c.data.photos, c.data.eval_photos, c.data.eval_crop = ("coins", "gravel"), ("chelsea",), 32
    c.model.generator.width, c.model.discriminator.width = 8, 8
    c.train.steps, c.train.jit_compile, c.export.grid_size = 4, False, 4
    c.train.log_every = c.train.image_every = c.train.eval_every = c.train.checkpoint_every = 2
    for dotted, value in overrides.items():
        node = c
        *parents, leaf = dotted.split("__")
        for p in parents:
            node = node[p]
        node[leaf] = value
    return c


def _sigmoid_ce(logits, label):
    return np.log1p(np.exp(-logits)) if label else np.log1p(np.exp(logits))


def test_relativistic_average_losses_match_the_esrgan_formulas():
    rng = np.random.default_rng(0)
    real, fake = rng.normal(size=(5, 2, 2, 1)), rng.normal(size=(5, 2, 2, 1)) + 0.5
    # D_Ra(a, b) = σ(C(a) − E[C(b)]), E over the batch (per logit position), then a mean per example.
    d_expected = (_sigmoid_ce(real - fake.mean(0), 1) + _sigmoid_ce(fake - real.mean(0), 0)).reshape(5, -1).mean(1)
    g_expected = (_sigmoid_ce(real - fake.mean(0), 0) + _sigmoid_ce(fake - real.mean(0), 1)).reshape(5, -1).mean(1)
    np.testing.assert_allclose(relativistic_average_discriminator_loss(real, fake), d_expected, rtol=1e-5)
    np.testing.assert_allclose(relativistic_average_generator_loss(fake, real), g_expected, rtol=1e-5)
    assert LOSSES.get("relativistic_average").generator is relativistic_average_generator_loss
    # The explicit flag (no signature sniffing) tells the template to show G the real outputs too.
    assert LOSSES.get("relativistic_average").relativistic and not LOSSES.get("hinge").relativistic


@pytest.mark.parametrize("height, width, multiple", [(5, 7, 4), (1, 2, 16), (13, 21, 8), (16, 16, 16)])
def test_pad_to_multiple_is_symmetric_reflection_of_any_size(height, width, multiple):
    x = np.arange(2 * height * width * 3, dtype=np.float32).reshape(2, height, width, 3)
    out = pad_to_multiple(tf.constant(x), multiple).numpy()
    target = (-(-height // multiple) * multiple, -(-width // multiple) * multiple)
    pads = ((0, 0), (0, target[0] - height), (0, target[1] - width), (0, 0))
    np.testing.assert_array_equal(out, np.pad(x, pads, mode="symmetric"))


def test_ms_ssim_falls_back_to_single_scale_ssim_below_176_px():
    rng = np.random.default_rng(2)
    for side in (32, 176):
        a = tf.constant(rng.uniform(-1, 1, (2, side, side, 3)), tf.float32)
        b = tf.clip_by_value(a + tf.constant(rng.normal(0, 0.3, (2, side, side, 3)), tf.float32), -1, 1)
        a01, b01 = (a + 1) / 2, (b + 1) / 2
        expected = tf.image.ssim_multiscale(a01, b01, 1.0) if side >= 176 else tf.image.ssim(a01, b01, 1.0)
        np.testing.assert_allclose(ssim_per_example(a, b, multiscale=True), expected, rtol=1e-5)
    assert not np.allclose(tf.image.ssim(a01, b01, 1.0), expected)  # the two differ, so the check can fail


@pytest.fixture(scope="module")
def srgan_run(tmp_path_factory):
    """SRGAN ×4: 2 L1 pretraining steps, then 2 relativistic GAN steps (adaptive adversarial weight), through
    trainer.train (callbacks, export)."""
    workdir = str(tmp_path_factory.mktemp("srgan"))
    config = recipe("srgan_x4_photos", model__pretrain_steps=2, model__adaptive_adversarial=True)
    config.model.generator.n_blocks = 1
    result = trainer.train(config, workdir)
    return result, trainer.load_run(workdir)


def test_srgan_pretrains_with_l1_only_then_snapshots_the_psnr_generator(srgan_run):
    result, run = srgan_run
    model = run.model
    assert result["step"] == 4 and int(model.g_optimizer.iterations.numpy()) == 4
    assert int(model.d_optimizer.iterations.numpy()) == 2  # D untouched during the 2 pretraining steps
    assert model.scale == 4 and set(result["exports"]) == {"restorer", "restorer_psnr"}
    # The snapshot is G's EMA copy (the recipe turns the EMA on) as it was after the pretraining steps (= the step-2
    # checkpoint), and G moved on since.
    assert model.stabilizers.ema is not None
    at_step_2 = keras.models.clone_model(model.generator)
    checkpoint = os.path.join(run.workdir, "checkpoints", "ckpt-2")
    tf.train.Checkpoint(ema_generator=at_step_2).restore(checkpoint).expect_partial()
    for snap, saved in zip(model.psnr_snapshot.weights, at_step_2.weights):
        np.testing.assert_array_equal(snap.numpy(), saved.numpy())
    assert any(not np.array_equal(s.numpy(), g.numpy()) for s, g in zip(at_step_2.weights, model.generator.weights))
    for name in ("l1", "ssim", "psnr", "feature_matching", "g_adv", "d_adv", "adv_weight"):
        assert np.isfinite(result["logs"][name]), name
    assert result["logs"]["feature_matching"] > 0 and result["logs"]["d_adv"] > 0 and result["logs"]["adv_weight"] > 0


def test_callback_writes_triptychs_and_held_out_metrics(srgan_run):
    from tensorboard.backend.event_processing import event_accumulator

    result, _ = srgan_run
    acc = event_accumulator.EventAccumulator(result["workdir"], size_guidance={"tensors": 0})
    acc.Reload()
    tags = set(acc.Tags()["tensors"])
    expected = {"Restoration/input_output_target", "Eval/psnr", "Eval/ssim", "Eval/psnr_y", "Eval/ssim_y",
                "Eval/input_psnr", "Train/l1", "Train/psnr", "Train/feature_matching", "Loss/G/adv"}
    assert expected <= tags, expected - tags
    assert [e.step for e in acc.Tensors("Eval/psnr")] == [2, 4]
    picture = tf.make_ndarray(acc.Tensors("Restoration/input_output_target")[-1].tensor_proto)
    assert picture.shape[0] == 3  # width, height, encoded PNG
    psnr = float(tf.make_ndarray(acc.Tensors("Eval/psnr")[-1].tensor_proto))
    bicubic = float(tf.make_ndarray(acc.Tensors("Eval/input_psnr")[0].tensor_proto))
    assert 10 < psnr < 60 and 15 < bicubic < 40


LOAD_EXPORTS = textwrap.dedent(
    """
    import sys, numpy as np, tensorflow as tf
    images = np.random.default_rng(0).integers(0, 256, (2, 13, 21, 3)).astype(np.uint8)
    for path, out_path in zip(sys.argv[1::2], sys.argv[2::2]):
        m = tf.saved_model.load(path)
        out = m.signatures["serving_default"](images=tf.constant(images))["restored"]
        scale = int(m.signatures["info"]()["scale"])
        np.save(out_path, out.numpy())
        print(out.shape, out.dtype.name, scale)
    assert not any(k.startswith("tfgan_apps") for k in sys.modules), "tfgan_apps was imported"
    """
)


def test_exports_serve_any_size_uint8_without_tfgan_apps(srgan_run, tmp_path):
    result, run = srgan_run
    script = tmp_path / "load.py"
    script.write_text(LOAD_EXPORTS)
    outputs = [str(tmp_path / "gan.npy"), str(tmp_path / "psnr.npy")]
    args = [result["exports"]["restorer"], outputs[0], result["exports"]["restorer_psnr"], outputs[1]]
    completed = run_cli(str(script), *args)
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert completed.stdout.strip().splitlines() == ["(2, 52, 84, 3) uint8 4"] * 2
    images = np.random.default_rng(0).integers(0, 256, (2, 13, 21, 3)).astype(np.float32) / 127.5 - 1.0
    for path, generator in zip(outputs, (run.model.inference_generator, run.model.psnr_snapshot)):
        expected = np.round((run.model.restore(images, generator).numpy() + 1) * 127.5)
        assert np.abs(np.load(path).astype(np.float32) - expected).max() <= 1


def test_pure_l1_model_never_updates_d_and_degrades_plain_batches_itself(tmp_path):
    config = recipe("derain_photos", model__adversarial_weight=0.0)  # U-Net, depth 4
    run = trainer.build_run(config, str(tmp_path))
    d_before = [w.numpy().copy() for w in run.model.discriminator.weights]
    g_before = [w.numpy().copy() for w in run.model.generator.trainable_weights]
    # No degradation in the pipeline: the model degrades "x" itself with the configured rain.
    history = run.model.fit(make_dataset(run.source, 8), epochs=1, steps_per_epoch=2, verbose=0).history
    assert int(run.model.d_optimizer.iterations.numpy()) == 0
    assert all(np.array_equal(a, b.numpy()) for a, b in zip(d_before, run.model.discriminator.weights))
    assert all(not np.allclose(a, b.numpy()) for a, b in zip(g_before, run.model.generator.trainable_weights))
    assert set(history) == {"g_loss", "l1", "ssim", "psnr"}
    np.testing.assert_allclose(history["g_loss"][-1], 100.0 * history["l1"][-1], rtol=1e-5)
    # Any size: the U-Net needs multiples of 16, the restorer pads symmetrically and crops back.
    assert run.model.restore(np.zeros((1, 13, 21, 3), np.float32)).shape == (1, 13, 21, 3)
    export = RestorerExport(run.model.generator, 3, run.model.size_multiple, 1)
    odd = tf.zeros((2, 9, 30, 3), tf.uint8)
    assert export.serve(odd)["restored"].shape == (2, 9, 30, 3) and export.serve(odd)["restored"].dtype == tf.uint8


def test_adaptive_weight_is_the_gradient_norm_ratio_at_the_last_layer(tmp_path):
    config = recipe("denoise_photos", model__adaptive_adversarial=True, model__ssim_weight=1.0)
    run = trainer.build_run(config, str(tmp_path))
    model = run.model
    assert "adv_weight" in model.trackers and model.last_kernel is model.generator.get_layer("noise").kernel
    assert model.persistent_tape  # the weight takes two extra gradients from the generator update's tape
    rng = np.random.default_rng(1)
    target = tf.constant(rng.uniform(-1, 1, (4, 16, 16, 3)), tf.float32)
    inputs = target + tf.constant(rng.normal(0, 0.2, (4, 16, 16, 3)), tf.float32)
    ctx = Update(model, model.prepare_batch({"x": target, "input": inputs}), G_SALT, discriminator=False)

    def losses_of():  # the generator update's hooks, as the template calls them
        ctx.fake = model.run_generator(model.generator_inputs(ctx))
        fake_in = model.discriminator_inputs(ctx.fake, ctx, real=False)
        ctx.fake_out = model.discriminate(fake_in, salt=ctx.stream(Streams.GENERATOR))
        ctx.fake_logits = model.adversarial_logits(ctx.fake_out)
        return model.extra_g_terms(ctx)["rec"], model.g_adversarial_term(ctx)

    norms = []
    for index in (0, 1):
        with tf.GradientTape() as tape:
            loss = losses_of()[index]
        norms.append(float(tf.norm(tape.gradient(loss, model.last_kernel))))
    with tf.GradientTape(persistent=True) as tape:
        rec, adv = losses_of()
        weights = model.generator_term_weights(ctx, tape, {"rec": rec, "g_adv": adv})
    expected = config.model.adversarial_weight * norms[0] / (norms[1] + 1e-6)
    np.testing.assert_allclose(float(weights["g_adv"]), expected, rtol=1e-4)
    np.testing.assert_allclose(float(ctx.stats["adv_weight"]), expected, rtol=1e-4)
    assert "rec" not in weights  # the reconstruction terms keep weight 1


def test_vgg_perceptual_loss_needs_a_local_weights_file(tmp_path):
    config = recipe("srgan_x4_photos", model__vgg_weights="/no/such/vgg19_notop.h5")
    with pytest.raises(ConfigError, match="does not exist; give a local VGG19 weights file"):
        trainer.build_run(config, str(tmp_path))


def _checkpoint_tensors(workdir: str) -> dict[str, np.ndarray]:
    """Every variable of a run's latest checkpoint (G, D, PSNR snapshot, optimizer slots and counters)."""
    reader = tf.train.load_checkpoint(os.path.join(workdir, "checkpoints"))
    names = [n for n in reader.get_variable_to_shape_map() if "save_counter" not in n and "OBJECT_GRAPH" not in n]
    return {n: reader.get_tensor(n) for n in names}


def _tiny_srgan(steps: int):
    """SRGAN ×4, 2 L1 pretraining steps then the relativistic GAN: 1-block width-8 G, 2-stage D, 16 px HR crops."""
    config = recipe("srgan_x4_photos", model__pretrain_steps=2, train__steps=steps, train__eval_every=0,
                    export__enabled=False)
    config.model.generator.n_blocks, config.model.discriminator.depth = 1, 2
    config.data.batch_size = 4
    config.train.log_every = config.train.checkpoint_every = 1
    config.train.image_every = 1000  # no pictures
    return config


def test_resume_across_the_pretraining_boundary_is_exact(tmp_path):
    """Interrupted during L1 pretraining (checkpoint at step 1 of 2), resumed by a new build_run into the GAN
    phase: G, D, the PSNR snapshot, Adam slots and step counters equal those of an uninterrupted run."""
    reference, resumed = str(tmp_path / "reference"), str(tmp_path / "resumed")
    final = 4
    assert trainer.train(_tiny_srgan(final), reference)["step"] == final
    assert trainer.train(_tiny_srgan(1), resumed)["step"] == 1
    assert trainer.train(_tiny_srgan(final), resumed)["step"] == final  # restores ckpt-1 in a fresh build_run
    ref, got = _checkpoint_tensors(reference), _checkpoint_tensors(resumed)
    assert ref.keys() == got.keys()
    # Keras checkpoints G's variables once, under g_optimizer/_trainable_variables.
    assert {n.split("/")[0] for n in ref} == {"g_optimizer", "d_optimizer", "discriminator", "psnr_generator",
                                              "ema_generator"}
    for name in ref:
        np.testing.assert_allclose(got[name], ref[name], rtol=1e-6, atol=1e-6, err_msg=name)
    iterations = [got[f"{opt}/_iterations/.ATTRIBUTES/VARIABLE_VALUE"] for opt in ("g_optimizer", "d_optimizer")]
    assert iterations == [final, final - 2]  # D is updated only after the 2 pretraining steps


def test_pix2pix_refuses_packing_and_replay_in_the_common_format():
    assert MODELS.get("pix2pix") is ImageToImage
    for name, value in (("replay", 0.5), ("packing", 2)):
        message = (f"pix2pix does not support stabilizer '{name}': .+; "
                   "valid for pix2pix: diffaugment, ema, (.+, )?instance_noise")
        with pytest.raises(ConfigError, match=message):
            ImageToImage.check_stabilizers({name: value})


def test_pretraining_only_run_warns_skips_d_and_exports_one_restorer(tmp_path, caplog):
    """pretrain_steps ≥ steps: one reconstruction phase (a warning), D never updated, no d_* logs, one export."""
    config = _tiny_srgan(2)
    config.export.enabled = True
    run = trainer.build_run(config, str(tmp_path))
    assert run.model.training_phases(6) == [("reconstruction", 2), ("adversarial", 6)]
    with caplog.at_level("WARNING"):
        assert run.model.training_phases(2) == [("reconstruction", 2)]
    assert "no GAN phase" in caplog.text
    result = trainer.train(config, str(tmp_path))
    model = result["model"]
    assert result["step"] == 2 and int(model.d_optimizer.iterations.numpy()) == 0
    assert set(result["logs"]) == {"g_loss", "l1", "ssim", "psnr"}  # no D or adversarial zeros in the logs
    assert set(result["exports"]) == {"restorer"}  # the PSNR restorer would be the same model
    # Entering the adversarial phase: the step is traced again, and the snapshot is G's EMA copy at that step.
    model.make_train_function()
    assert model.train_function is not None and not model.adversarial_active
    model.set_phase("adversarial")
    assert model.adversarial_active and model.train_function is None
    for snap, ema in zip(model.psnr_snapshot.weights, model.inference_generator.weights):
        np.testing.assert_array_equal(snap.numpy(), ema.numpy())
    with pytest.raises(ConfigError, match="unknown pix2pix phase 'gan'"):
        model.set_phase("gan")
