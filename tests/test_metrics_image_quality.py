"""PSNR/SSIM agree with scikit-image on RGB and BT.601 Y channel."""

import numpy as np
import pytest
from skimage.color import rgb2ycbcr
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from tfgan_apps.metrics import image_quality


@pytest.fixture(scope="module")
def pair():
    rng = np.random.default_rng(0)
    clean = rng.integers(0, 256, size=(3, 40, 36, 3)).astype(np.uint8)
    noisy = np.clip(clean + rng.normal(0, 12, clean.shape), 0, 255).astype(np.uint8)
    return clean, noisy


def _sk_ssim(a, b, data_range, channel_axis=-1):
    return structural_similarity(
        a.astype(np.float64),
        b.astype(np.float64),
        gaussian_weights=True,
        sigma=1.5,
        use_sample_covariance=False,
        data_range=data_range,
        channel_axis=channel_axis,
    )


def _sk_y(img):
    return rgb2ycbcr(img.astype(np.float64) / 255.0)[..., 0]  # MATLAB-style Y in [16, 235]


def test_psnr_rgb_matches_skimage(pair):
    clean, noisy = pair
    expected = [peak_signal_noise_ratio(c, n, data_range=255) for c, n in zip(clean, noisy)]
    assert image_quality.psnr(clean[0], noisy[0]) == pytest.approx(expected[0], rel=1e-10)
    assert image_quality.psnr(clean, noisy) == pytest.approx(np.mean(expected), rel=1e-10)


def test_psnr_y_channel_and_crop_match_skimage(pair):
    clean, noisy = pair
    expected = np.mean(
        [
            peak_signal_noise_ratio(_sk_y(c)[4:-4, 4:-4], _sk_y(n)[4:-4, 4:-4], data_range=255)
            for c, n in zip(clean, noisy)
        ]
    )
    got = image_quality.psnr(clean, noisy, y_channel=True, crop_border=4)
    assert got == pytest.approx(expected, rel=1e-10)


def test_ssim_rgb_matches_skimage(pair):
    clean, noisy = pair
    expected = np.mean([_sk_ssim(c, n, 255) for c, n in zip(clean, noisy)])
    assert image_quality.ssim(clean, noisy) == pytest.approx(expected, abs=1e-4)
    assert image_quality.ssim(clean, noisy) == pytest.approx(expected, abs=1e-10)


def test_ssim_y_channel_matches_skimage(pair):
    clean, noisy = pair
    expected = np.mean([_sk_ssim(_sk_y(c)[2:-2, 2:-2], _sk_y(n)[2:-2, 2:-2], 255, None) for c, n in zip(clean, noisy)])
    got = image_quality.ssim(clean, noisy, y_channel=True, crop_border=2)
    assert got == pytest.approx(expected, abs=1e-10)


def test_float_images_in_unit_range(pair):
    clean, noisy = pair
    a, b = clean[0] / 255.0, noisy[0] / 255.0
    assert image_quality.psnr(a, b, data_range=1.0) == pytest.approx(image_quality.psnr(clean[0], noisy[0]), rel=1e-10)
    assert image_quality.ssim(a, b, data_range=1.0) == pytest.approx(_sk_ssim(a, b, 1.0), abs=1e-10)
    assert image_quality.ssim(a, b, data_range=1.0, y_channel=True) == pytest.approx(
        image_quality.ssim(clean[0], noisy[0], y_channel=True), abs=1e-10
    )


def test_identical_images(pair):
    clean, _ = pair
    assert image_quality.psnr(clean, clean) == np.inf
    assert image_quality.ssim(clean, clean) == pytest.approx(1.0, abs=1e-12)


def test_grayscale_hw_images(pair):
    clean, noisy = pair
    a, b = clean[0, ..., 0], noisy[0, ..., 0]
    assert image_quality.ssim(a, b) == pytest.approx(_sk_ssim(a, b, 255, None), abs=1e-10)
