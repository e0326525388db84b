"""tfgan-restore: tiled restoration equals whole-image restoration, any size, directories, one-line errors."""

from __future__ import annotations

import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.conftest import run_cli
from tfgan_apps.export import save_module
from tfgan_apps.nets.srresnet import srresnet
from tfgan_apps.restoration.export import RestorerExport

SCALE = 2


@pytest.fixture(scope="module")
def sr_export(tmp_path_factory):
    """A random ×2 SRResNet (receptive-field radius ≈ 5 LR px) exported as a restorer."""
    keras.utils.set_random_seed(0)
    generator = srresnet((None, None, 3), scale=SCALE, width=8, n_blocks=1, identity_init=False)
    path = str(tmp_path_factory.mktemp("export") / "restorer")
    module = RestorerExport(generator, channels=3, multiple=1, scale=SCALE)
    return save_module(module, module.signatures(), path)


def _photo(height: int, width: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    coarse = rng.uniform(0, 255, (height // 6 + 2, width // 6 + 2, 3))
    smooth = tf.image.resize(coarse[None], (height, width), method="bicubic")[0].numpy()
    return np.clip(smooth + rng.normal(0, 12, (height, width, 3)), 0, 255).astype(np.uint8)


def test_tiled_restoration_equals_whole_image_away_from_borders(sr_export, tmp_path):
    sizes = {"big.png": (70, 53), os.path.join("sub", "small.png"): (19, 23)}  # larger / smaller than a tile
    for name, (h, w) in sizes.items():
        os.makedirs(os.path.dirname(tmp_path / "in" / name), exist_ok=True)
        tf.io.write_file(str(tmp_path / "in" / name), tf.io.encode_png(_photo(h, w, len(name))))
    result = run_cli("-m", "tfgan_apps.cli.restore", f"--model={sr_export}", f"--input={tmp_path / 'in'}",
                     f"--output={tmp_path / 'out'}", "--tile=56", "--overlap=24", "--batch=3")
    assert result.returncode == 0, result.stderr[-3000:]
    serve = tf.saved_model.load(sr_export).signatures["serving_default"]
    for name, (h, w) in sizes.items():
        tiled = tf.io.decode_png(tf.io.read_file(str(tmp_path / "out" / name))).numpy().astype(int)
        whole = serve(images=tf.constant(_photo(h, w, len(name))[None]))["restored"][0].numpy().astype(int)
        assert tiled.shape == whole.shape == (h * SCALE, w * SCALE, 3)
        border = 8 * SCALE  # tiles see reflected context at the image border, the whole image zeros
        inner = np.abs(tiled - whole)[border:-border, border:-border]
        assert inner.size and inner.max() <= 1, (name, inner.max())


@pytest.mark.parametrize(
    "args, message",
    [
        (["--model=/no/such/model", "--input=README.md", "--output=/tmp/x.png"], "no SavedModel at --model="),
        (["--model=.", "--input=/no/such/a.png", "--output=/tmp/x.png"], "input '/no/such/a.png' does not exist"),
        (["--model=.", "--input=README.md", "--output=/tmp/x.png", "--tile=32", "--overlap=16"], "overlap < tile/2"),
    ],
)
def test_bad_paths_exit_2_with_one_line(args, message):
    result = run_cli("-m", "tfgan_apps.cli.restore", *args)
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("tfgan-restore: error:")]
    assert len(errors) == 1 and message in errors[0], result.stderr[-2000:]


def test_self_ensemble_flag_averages_the_8_transforms(sr_export, tmp_path):
    from tfgan_apps.restoration.inference import N_TRANSFORMS, dihedral, undo

    photo = _photo(40, 46, 3)  # smaller than the tile: one tile
    tf.io.write_file(str(tmp_path / "in.png"), tf.io.encode_png(photo))
    result = run_cli("-m", "tfgan_apps.cli.restore", f"--model={sr_export}", f"--input={tmp_path / 'in.png'}",
                     f"--output={tmp_path / 'out.png'}", "--self_ensemble")
    assert result.returncode == 0, result.stderr[-3000:]
    got = tf.io.decode_png(tf.io.read_file(str(tmp_path / "out.png"))).numpy().astype(float)
    restore = tf.saved_model.load(sr_export).signatures["restore_float"]
    x = tf.constant(photo[None] / 127.5 - 1.0, tf.float32)
    mean = np.mean([undo(restore(images=dihedral(x, k))["restored"], k).numpy() for k in range(N_TRANSFORMS)],
                   axis=0)[0]
    expected = np.clip(np.round((mean + 1.0) * 127.5), 0, 255)
    plain = restore(images=x)["restored"][0].numpy()
    assert got.shape == expected.shape == (80, 92, 3)
    inner = (slice(8 * SCALE, -8 * SCALE), slice(8 * SCALE, -8 * SCALE))  # tiles see reflected context at borders
    assert np.abs(got - expected)[inner].max() <= 1
    assert np.abs(got - np.clip(np.round((plain + 1.0) * 127.5), 0, 255))[inner].max() > 1  # not the plain model
