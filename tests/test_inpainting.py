"""Inpainting with pix2pix (issue 18): the mask as G's extra channel, the masked L1, the composite, the export
with a mask input, ``tfgan-restore --mask`` / alpha channel, and tiled == whole-image inference with a mask."""

from __future__ import annotations

import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.conftest import load_recipe, run_cli
from tfgan_apps import trainer
from tfgan_apps.errors import ConfigError, DataError
from tfgan_apps.models.base import G_SALT, Update
from tfgan_apps.restoration.inference import fill_holes, masked_condition, pyramid_fill, restore_images, tiled_apply


def tiny_inpaint(**model):
    """``inpaint_photos`` on 16 px crops: width-8 depth-2 U-Net, 2 steps of masked L1 + PatchGAN."""
    c = load_recipe("inpaint_photos")
    c.data.image_size, c.data.batch_size = 16, 4
    c.data.photos, c.data.eval_photos, c.data.eval_crop = ("coins", "gravel"), ("chelsea",), 32
    c.model.generator.width, c.model.generator.depth, c.model.discriminator.width = 8, 2, 8
    c.model.pretrain_steps = 0
    c.train.steps, c.train.jit_compile = 2, False
    c.train.log_every = c.train.checkpoint_every = c.train.image_every = c.train.eval_every = 2
    for key, value in model.items():
        c.model[key] = value
    return c


@pytest.fixture(scope="module")
def inpaint_run(tmp_path_factory):
    """A 2-step inpainting run through ``trainer.train`` (callbacks, export), holes pre-filled by push-pull."""
    workdir = str(tmp_path_factory.mktemp("inpaint"))
    return trainer.train(tiny_inpaint(hole_fill="pyramid"), workdir)


def _holes(height: int, width: int, seed: int) -> np.ndarray:
    """A [H, W] 0/1 mask: two rectangles and a diagonal stroke."""
    rng = np.random.default_rng(seed)
    mask = np.zeros((height, width), np.float32)
    for _ in range(2):
        top, left = rng.integers(0, height - 6), rng.integers(0, width - 6)
        mask[top : top + rng.integers(3, 12), left : left + rng.integers(3, 12)] = 1.0
    for k in range(min(height, width)):
        mask[k, k : k + 2] = 1.0
    return mask


def test_the_mask_reaches_g_as_its_extra_channel(inpaint_run):
    model = inpaint_run["model"]
    assert model.masked and model.content_loss == "masked_l1" and model.mask_fill == "pyramid"
    assert model.generator.input_shape[-1] == 4 and model.generator.output_shape[-1] == 3
    assert [s[-1] for s in model.discriminator.input_shape] == [4, 3]  # condition (image + mask), image
    assert inpaint_run["step"] == 2 and int(model.d_optimizer.iterations.numpy()) == 2
    assert set(inpaint_run["exports"]) == {"restorer"}
    rng = np.random.default_rng(0)
    image = tf.constant(rng.uniform(-1, 1, (2, 16, 16, 3)), tf.float32)
    mask = tf.constant(_holes(16, 16, 1)[None, ..., None].repeat(2, 0))
    condition = masked_condition(image, mask, "pyramid")
    np.testing.assert_array_equal(condition[..., 3:], mask)  # the mask is the last channel ...
    batch = model.prepare_batch({"x": image, "input": masked_condition(image, mask, 0.0)})
    np.testing.assert_allclose(batch["input"], condition, atol=1e-6)  # training batches get the pyramid fill
    with tf.GradientTape() as tape:
        tape.watch(condition)
        raw = model.generator(condition, training=False)
    grad = tape.gradient(raw, condition).numpy()
    assert np.abs(grad[..., 3]).max() > 0  # ... and G's output depends on it
    out = model.run_generator({"input": condition}, training=False).numpy()
    known = mask.numpy()[..., 0] == 0
    np.testing.assert_array_equal(out[known], image.numpy()[known])  # the composite keeps the known pixels
    np.testing.assert_allclose(out[~known], raw.numpy()[~known], atol=1e-6)


def test_held_out_evaluation_scores_the_holes(inpaint_run):
    from tensorboard.backend.event_processing import event_accumulator

    acc = event_accumulator.EventAccumulator(inpaint_run["workdir"], size_guidance={"tensors": 0})
    acc.Reload()
    values = {tag: float(tf.make_ndarray(acc.Tensors(tag)[-1].tensor_proto))
              for tag in ("Eval/hole_psnr", "Eval/input_hole_psnr", "Eval/psnr")}
    assert 5 < values["Eval/input_hole_psnr"] < values["Eval/hole_psnr"] < values["Eval/psnr"] < 60, values


def test_masked_l1_ignores_the_known_pixels(inpaint_run):
    model = inpaint_run["model"]
    rng = np.random.default_rng(2)
    target = tf.constant(rng.uniform(-1, 1, (3, 16, 16, 3)), tf.float32)
    mask = np.stack([_holes(16, 16, s) for s in range(3)])[..., None]
    mask[2] = 0.0  # an image without holes contributes 0
    condition = masked_condition(target, mask)
    ctx = Update(model, model.prepare_batch({"x": target, "input": condition}), G_SALT, discriminator=False)
    raw = tf.constant(rng.uniform(-1, 1, (3, 16, 16, 3)), tf.float32)
    known_noise = tf.constant(rng.normal(0, 1, (3, 16, 16, 3)) * (1 - mask), tf.float32)

    def rec(g_output):
        ctx.fake = model.output_from(g_output, condition)
        return model.extra_g_terms(ctx)["rec"]

    with tf.GradientTape() as tape:
        tape.watch(raw)
        loss = rec(raw)
    grad = tape.gradient(loss, raw).numpy()
    assert np.abs(grad * (1 - mask)).max() == 0 and np.abs(grad * mask).max() > 0
    assert float(rec(raw + known_noise)) == float(loss)  # G's output at known pixels changes nothing
    assert float(rec(raw + tf.constant(mask, tf.float32))) != float(loss)  # the holes count
    # Closed form: per example Σ mask·|G − x| / (C · Σ mask), averaged over the batch, times λ = 100.
    per_example = [np.sum(m * np.abs(r - t)) / (3 * m.sum()) if m.sum() else 0.0
                   for r, t, m in zip(raw.numpy(), target.numpy(), mask)]
    np.testing.assert_allclose(float(loss), 100.0 * np.mean(per_example), rtol=1e-5)


def test_masked_l1_needs_the_mask_channel_and_color_augmentation_is_refused(tmp_path):
    config = tiny_inpaint()
    config.data.degradation.with_mask = False
    with pytest.raises(ConfigError, match="content_loss='masked_l1' needs the hole mask as an input channel"):
        trainer.build_run(config, str(tmp_path))
    config = tiny_inpaint()
    config.model.stabilizers.diffaugment = "color,translation"
    with pytest.raises(ConfigError, match="DiffAugment 'color' would change the hole mask channel"):
        trainer.build_run(config, str(tmp_path))


LOAD_EXPORT = textwrap.dedent(
    """
    import sys, numpy as np, tensorflow as tf
    m = tf.saved_model.load(sys.argv[1])
    data = np.load(sys.argv[2])
    out = m.signatures["serving_default"](images=tf.constant(data["images"]), mask=tf.constant(data["mask"]))
    np.save(sys.argv[3], out["restored"].numpy())
    print(int(m.signatures["info"]()["masked"]), sorted(m.signatures["restore_float"].structured_input_signature[1]))
    assert not any(k.startswith("tfgan_apps") for k in sys.modules), "tfgan_apps was imported"
    """
)


def test_export_takes_the_mask_in_a_fresh_process(inpaint_run, tmp_path):
    model = inpaint_run["model"]
    rng = np.random.default_rng(3)
    images = rng.integers(0, 256, (2, 13, 21, 3)).astype(np.uint8)  # any size: padded to the U-Net's multiple
    mask = (np.stack([_holes(13, 21, s) for s in (4, 5)])[..., None] * 255).astype(np.uint8)
    np.savez(tmp_path / "in.npz", images=images, mask=mask)
    (tmp_path / "load.py").write_text(LOAD_EXPORT)
    done = run_cli(str(tmp_path / "load.py"), inpaint_run["exports"]["restorer"], str(tmp_path / "in.npz"),
                   str(tmp_path / "out.npy"))
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split("\n")[0] == "1 ['images', 'mask']"
    served = np.load(tmp_path / "out.npy")
    known = mask[..., 0] < 128
    np.testing.assert_array_equal(served[known], images[known])  # known pixels come back unchanged
    x = images.astype(np.float32) / 127.5 - 1.0
    expected = np.round((model.restore(np.concatenate([x, mask / 255.0], -1)).numpy() + 1) * 127.5)
    assert np.abs(served.astype(np.float32) - expected).max() <= 1
    other = np.where(mask > 0, 255 - images, images)  # different pixels under the holes: ignored
    np.testing.assert_allclose(model.restore(np.concatenate([other / 127.5 - 1.0, mask / 255.0], -1)),
                               model.restore(np.concatenate([x, mask / 255.0], -1)), atol=1e-6)


def test_pyramid_fill_interpolates_from_the_known_pixels():
    ramp = np.tile(np.linspace(-1, 1, 40, dtype=np.float32), (24, 1))[None, ..., None].repeat(3, -1)
    mask = np.zeros((1, 24, 40, 1), np.float32)
    mask[:, 6:18, 12:30] = 1.0
    filled = pyramid_fill(ramp * (1 - mask) + 0.7 * mask, mask).numpy()
    np.testing.assert_array_equal(filled[mask[..., 0] == 0], ramp[mask[..., 0] == 0])  # known pixels unchanged
    hole = mask[..., 0] == 1
    assert np.abs(filled - ramp)[hole].mean() < 0.25 * np.abs(0.7 - ramp)[hole].mean()  # a guess from the borders
    flat = np.full((1, 9, 11, 3), 0.3, np.float32)
    one_known = np.ones((1, 9, 11, 1), np.float32)
    one_known[0, 4, 5] = 0.0
    np.testing.assert_allclose(pyramid_fill(flat, one_known), flat, atol=1e-6)  # one known pixel fills everything
    np.testing.assert_allclose(fill_holes(flat, one_known, -0.5)[0, 0, 0], [-0.5] * 3)


def _photo(height: int, width: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    coarse = rng.uniform(0, 255, (height // 6 + 2, width // 6 + 2, 3))
    smooth = tf.image.resize(coarse[None], (height, width), method="bicubic")[0].numpy()
    return np.clip(smooth, 0, 255).astype(np.uint8)


def test_restore_cli_takes_a_mask_image_or_the_alpha_channel(inpaint_run, tmp_path):
    from tfgan_apps.cli.restore import inpainting_functions, load_restorer, restore_file

    photo, holes = _photo(30, 37, 6), _holes(30, 37, 7)
    tf.io.write_file(str(tmp_path / "in.png"), tf.io.encode_png(photo))
    white = np.repeat((holes[..., None] * 255).astype(np.uint8), 3, -1)  # an RGB mask, white = hole
    tf.io.write_file(str(tmp_path / "mask.png"), tf.io.encode_png(white))
    alpha = (255 - holes[..., None] * 255).astype(np.uint8)  # transparent = hole
    tf.io.write_file(str(tmp_path / "alpha.png"), tf.io.encode_png(np.concatenate([photo, alpha], -1)))
    export = inpaint_run["exports"]["restorer"]
    done = run_cli("-m", "tfgan_apps.cli.restore", f"--model={export}", f"--input={tmp_path / 'in.png'}",
                   f"--mask={tmp_path / 'mask.png'}", f"--output={tmp_path / 'out.png'}")
    assert done.returncode == 0, done.stderr[-3000:]
    with_mask = tf.io.decode_png(tf.io.read_file(str(tmp_path / "out.png"))).numpy()
    loaded, _, scale, channels = load_restorer(export)
    fn, fill_fn = inpainting_functions(loaded)
    restore_file(fn, scale, channels, str(tmp_path / "alpha.png"), str(tmp_path / "from_alpha.png"), 256, 32, 4,
                 fill_fn=fill_fn)
    from_alpha = tf.io.decode_png(tf.io.read_file(str(tmp_path / "from_alpha.png"))).numpy()
    assert with_mask.shape == from_alpha.shape == (30, 37, 3)
    np.testing.assert_array_equal(with_mask, from_alpha)
    np.testing.assert_array_equal(with_mask[holes == 0], photo[holes == 0])
    assert np.abs(with_mask[holes == 1].astype(int) - photo[holes == 1]).max() > 0  # the holes are filled
    for bad, message in ((str(tmp_path / "in.png"), "has no alpha channel and no --mask was given"),):
        with pytest.raises(DataError, match=message):
            restore_file(fn, scale, channels, bad, str(tmp_path / "x.png"), 256, 32, 4)
    tf.io.write_file(str(tmp_path / "small.png"), tf.io.encode_png(np.zeros((20, 37, 1), np.uint8)))
    with pytest.raises(DataError, match="is 20×37 but the input .* is 30×37: give a mask of the input's size"):
        restore_file(fn, scale, channels, str(tmp_path / "in.png"), str(tmp_path / "x.png"), 256, 32, 4,
                     mask_path=str(tmp_path / "small.png"))
    (tmp_path / "corrupt.png").write_bytes(b"not a png")
    with pytest.raises(DataError, match="cannot decode mask file .*corrupt.png"):
        restore_file(fn, scale, channels, str(tmp_path / "in.png"), str(tmp_path / "x.png"), 256, 32, 4,
                     mask_path=str(tmp_path / "corrupt.png"))


@pytest.mark.slow  # a subprocess; the message itself is checked in-process below
def test_a_wrong_size_mask_is_one_error_line(inpaint_run, tmp_path):
    tf.io.write_file(str(tmp_path / "in.png"), tf.io.encode_png(_photo(30, 37, 8)))
    tf.io.write_file(str(tmp_path / "mask.png"), tf.io.encode_png(np.zeros((20, 37, 1), np.uint8)))
    done = run_cli("-m", "tfgan_apps.cli.restore", f"--model={inpaint_run['exports']['restorer']}",
                   f"--input={tmp_path / 'in.png'}", f"--mask={tmp_path / 'mask.png'}",
                   f"--output={tmp_path / 'out.png'}")
    assert done.returncode == 2
    errors = [line for line in done.stderr.splitlines() if line.startswith("tfgan-restore: error:")]
    assert len(errors) == 1 and "is 20×37 but the input" in errors[0] and "give a mask of the input's size" in \
        errors[0], done.stderr[-2000:]


def test_tiled_inpainting_equals_whole_image_inference(inpaint_run):
    """The mask is tiled with the image (one more channel): away from the image borders tiles give the
    whole-image output, holes crossing tile seams included."""
    model = inpaint_run["model"]
    generator = keras.models.clone_model(model.generator)
    generator.set_weights(model.generator.get_weights())
    kernel = generator.get_layer("out_conv").kernel
    kernel.assign(tf.random.stateless_normal(kernel.shape, [0, 1]) * 0.2)  # not the zero-initialised identity
    photo = _photo(150, 130, 9).astype(np.float32) / 127.5 - 1.0
    mask = _holes(150, 130, 10)[..., None]
    image = np.concatenate([photo, mask], -1)  # [H, W, C + 1]

    def restore(tiles, fill=None):
        return restore_images(generator, tiles, model.size_multiple, masked=True, fill=fill)

    whole = restore(image[None], model.mask_fill)[0].numpy()
    # As tfgan-restore does: fill the holes of the whole image (the pyramid fill is global), then tile.
    image[..., :3] = fill_holes(photo[None], mask[None], model.mask_fill)[0]
    tiled = tiled_apply(restore, image, tile=112, overlap=48, batch_size=2, multiple=model.size_multiple)
    assert tiled.shape == whole.shape == (150, 130, 3)
    inner = (slice(16, -16), slice(16, -16))  # tiles see reflected context at the image border, whole zeros
    np.testing.assert_allclose(tiled[inner], whole[inner], atol=1e-4)
    np.testing.assert_allclose(tiled[mask[..., 0] == 0], photo[mask[..., 0] == 0], atol=1e-6)
    assert np.abs(whole - image[..., :3])[inner].max() > 0.05  # G acts in the holes
