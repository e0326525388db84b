"""Tests of tiled inference: seamless blending, scale, odd sizes, divisibility, progress."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from tfgan_apps.restoration.inference import tiled_apply


def _image(h: int = 70, w: int = 45, c: int = 3) -> np.ndarray:
    rng = np.random.default_rng(0)
    smooth = rng.uniform(-1, 1, (h // 5 + 2, w // 5 + 2, c))
    base = np.kron(smooth, np.ones((5, 5, 1)))[:h, :w]  # blocky structure + fine noise
    return np.clip(base * 0.8 + rng.normal(0, 0.1, (h, w, c)), -1, 1).astype(np.float32)


def _whole(fn, image: np.ndarray) -> np.ndarray:
    return np.asarray(fn(image[None]))[0]


def test_identity_is_exact_for_odd_sizes():
    image = _image(70, 45)
    out = tiled_apply(lambda x: x, image, tile=32, overlap=8, batch_size=3)
    assert out.shape == image.shape and out.dtype == np.float32
    np.testing.assert_allclose(out, image, atol=1e-6)


def test_bilinear_x2_upscaler_matches_whole_image():
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((None, None, 3)),
            keras.layers.UpSampling2D(2, interpolation="bilinear"),
            keras.layers.Conv2D(
                3,
                3,
                padding="same",
                kernel_initializer=keras.initializers.Constant(1 / 27),
            ),
        ]
    )
    image = _image(70, 45)
    out = tiled_apply(model, image, tile=32, overlap=8, scale=2)
    assert out.shape == (140, 90, 3)
    border = 4
    diff = np.abs(out - _whole(model, image))[border:-border, border:-border]
    assert diff.max() <= 2 / 255  # 1/255 on the [0, 1] scale


def test_equivariant_conv_net_is_exact_in_interior():
    keras.utils.set_random_seed(1)
    model = keras.Sequential(
        [keras.Input((None, None, 3))]
        + [
            keras.layers.Conv2D(8, 3, padding="same", activation="relu")
            for _ in range(2)
        ]
        + [keras.layers.Conv2D(2, 3, padding="same")]
    )  # receptive field 7 px (radius 3 <= overlap // 4)
    image = _image(70, 45)
    out = tiled_apply(model, image, tile=40, overlap=16, batch_size=2)
    assert out.shape == (70, 45, 2)
    np.testing.assert_allclose(
        out[3:-3, 3:-3], _whole(model, image)[3:-3, 3:-3], atol=1e-5
    )


def test_progress_reports_tiles_and_totals():
    calls = []
    tiled_apply(
        lambda x: x,
        _image(70, 45),
        tile=32,
        overlap=8,
        batch_size=4,
        progress=lambda d, t: calls.append((d, t)),
    )
    # rows: 70 + 2·4 padded = 78 px → 3 tiles of 32 at stride 24; columns: 53 px → 2 tiles
    assert calls == [(4, 6), (6, 6)]


def test_small_image_and_multiple():
    shapes = []

    def fn(x: np.ndarray) -> np.ndarray:
        shapes.append(x.shape)
        return x[..., :1]

    image = _image(20, 13)
    out = tiled_apply(
        fn, image, tile=50, overlap=8, multiple=16
    )  # tile rounded up to 64
    assert out.shape == (20, 13, 1)
    np.testing.assert_allclose(out, image[..., :1], atol=1e-6)
    assert all(h % 16 == 0 and w % 16 == 0 for _, h, w, _ in shapes)
    shapes.clear()
    tiled_apply(fn, _image(70, 45), tile=40, overlap=8, multiple=16)
    assert shapes and all(h == 48 and w == 48 for _, h, w, _ in shapes)


def test_invalid_arguments():
    image = _image(20, 20)
    with pytest.raises(ValueError, match="overlap"):
        tiled_apply(lambda x: x, image, tile=32, overlap=16)
    with pytest.raises(ValueError, match="scale"):
        tiled_apply(
            lambda x: x, image, tile=16, overlap=4, scale=2
        )  # fn does not upscale
    with pytest.raises(ValueError, match=r"\[H, W, C\]"):
        tiled_apply(lambda x: x, image[..., 0])
    with pytest.raises(ValueError, match="tile"):
        tiled_apply(lambda x: x, image, tile=0)
