"""Full-reference image quality: PSNR and SSIM as reported in the super-resolution literature.

Images are HW, HWC or NHWC arrays (uint8 or float) with values in
``[0, data_range]`` (``data_range=255`` for uint8-range images, 1 for [0, 1]
floats; map [-1, 1] model outputs to one of these first). All arithmetic is in
float64. For a batch the per-image values are averaged, as SR benchmarks do.

``y_channel=True`` compares the luma Y of ITU-R BT.601 as MATLAB's ``rgb2ycbcr``
computes it, Y = 16 + (65.481 R + 128.553 G + 24.966 B) for R, G, B in [0, 1]
(Y in [16, 235] on the 255 scale), rescaled to ``data_range``; ``crop_border``
pixels are removed on every side first (usually the upscaling factor).

SSIM follows Wang et al. (2004): 11×11 Gaussian window of σ = 1.5 (normalised),
K1 = 0.01, K2 = 0.03, population (co)variances, mean of the SSIM map over the
region where the window fits, averaged over channels; identical to
``skimage.metrics.structural_similarity(..., gaussian_weights=True, sigma=1.5,
use_sample_covariance=False, data_range=...)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.ndimage import correlate1d

from tfgan_apps.errors import DataError
from tfgan_apps.metrics import spec

_BT601_Y = np.array([65.481, 128.553, 24.966])


def _as_nhwc(images: Any) -> np.ndarray:
    x = np.asarray(images, dtype=np.float64)
    if x.ndim == 2:
        return x[None, :, :, None]
    if x.ndim == 3:
        return x[None]
    if x.ndim == 4:
        return x
    raise DataError(f"images must be HW, HWC or NHWC, got shape {x.shape}")


def rgb_to_y(images: Any, data_range: float = 255.0) -> np.ndarray:
    """BT.601 luma (MATLAB ``rgb2ycbcr``) of RGB images ``[..., 3]``, in ``data_range`` units."""
    x = np.asarray(images, dtype=np.float64)
    if x.shape[-1] != 3:
        raise DataError(f"Y channel needs RGB images, got {x.shape[-1]} channel(s)")
    return (16.0 + (x / data_range) @ _BT601_Y) / 255.0 * data_range


def _prepare(a: Any, b: Any, data_range: float, y_channel: bool, crop_border: int) -> tuple[np.ndarray, np.ndarray]:
    x, y = _as_nhwc(a), _as_nhwc(b)
    if x.shape != y.shape:
        raise DataError(f"images differ in shape: {x.shape} vs {y.shape}")
    if y_channel:
        x = rgb_to_y(x, data_range)[..., None]
        y = rgb_to_y(y, data_range)[..., None]
    if crop_border:
        c = int(crop_border)
        x, y = x[:, c:-c, c:-c], y[:, c:-c, c:-c]
        if x.shape[1] == 0 or x.shape[2] == 0:
            raise DataError(f"crop_border={c} leaves no pixels of {x.shape[1:3]} images")
    return x, y


def psnr(
    a: Any,
    b: Any,
    data_range: float = 255.0,
    y_channel: bool = False,
    crop_border: int = 0,
) -> float:
    """Peak signal-to-noise ratio 10·log10(data_range² / MSE) in dB (mean over a batch).

    ``inf`` for identical images.
    """
    x, y = _prepare(a, b, data_range, y_channel, crop_border)
    mse = np.mean((x - y) ** 2, axis=(1, 2, 3))
    with np.errstate(divide="ignore"):
        values = 10.0 * np.log10(data_range**2 / mse)
    return float(np.mean(values))


def _gaussian_window(size: int = 11, sigma: float = 1.5) -> np.ndarray:
    offsets = np.arange(size) - (size - 1) / 2.0
    window = np.exp(-0.5 * (offsets / sigma) ** 2)
    return window / window.sum()


def _filter_valid(x: np.ndarray, window: np.ndarray) -> np.ndarray:
    """Separable filtering over the H and W axes of NHWC, keeping the 'valid' region."""
    pad = (window.size - 1) // 2
    out = correlate1d(x, window, axis=1, mode="reflect")
    out = correlate1d(out, window, axis=2, mode="reflect")
    return out[:, pad:-pad, pad:-pad]


def ssim(
    a: Any,
    b: Any,
    data_range: float = 255.0,
    y_channel: bool = False,
    crop_border: int = 0,
    win_size: int = 11,
    sigma: float = 1.5,
    k1: float = 0.01,
    k2: float = 0.03,
) -> float:
    """Structural similarity (Wang et al. 2004) with a Gaussian window; mean over a batch."""
    x, y = _prepare(a, b, data_range, y_channel, crop_border)
    if min(x.shape[1], x.shape[2]) < win_size:
        raise DataError(f"SSIM needs images of at least {win_size}×{win_size}, got {x.shape}")
    window = _gaussian_window(win_size, sigma)
    c1 = (k1 * data_range) ** 2
    c2 = (k2 * data_range) ** 2
    mu_x = _filter_valid(x, window)
    mu_y = _filter_valid(y, window)
    var_x = _filter_valid(x * x, window) - mu_x**2
    var_y = _filter_valid(y * y, window) - mu_y**2
    cov_xy = _filter_valid(x * y, window) - mu_x * mu_y
    ssim_map = ((2 * mu_x * mu_y + c1) * (2 * cov_xy + c2)) / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))
    return float(np.mean(ssim_map.mean(axis=(1, 2, 3))))


_IMAGE_OPTIONS = ("data_range", "y_channel", "crop_border")


@spec.register(
    "psnr",
    needs="images",
    higher_is_better=True,
    options=_IMAGE_OPTIONS,
    description="Peak signal-to-noise ratio (dB) of paired images.",
)
def _psnr(real: Any, fake: Any, **options: Any) -> dict[str, float]:
    return {"psnr": psnr(real, fake, **options)}


@spec.register(
    "ssim",
    needs="images",
    higher_is_better=True,
    options=_IMAGE_OPTIONS,
    description="Structural similarity (Gaussian window, σ=1.5) of paired images.",
)
def _ssim(real: Any, fake: Any, **options: Any) -> dict[str, float]:
    return {"ssim": ssim(real, fake, **options)}
