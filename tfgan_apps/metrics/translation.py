"""Metrics and classical baselines of the image-translation applications (colorization, inpainting, unpaired).

Images here are numpy HWC / NHWC arrays in ``[0, data_range]`` (``data_range`` 1 for [0, 1] floats,
255 for uint8-range values); map [-1, 1] model outputs with ``to_unit`` first.

Metrics
  ``colourfulness`` — Hasler & Süsstrunk (2003), eq. 3 (the "M^(3)" metric), on RGB in 0–255 units:
  with rg = R − G and yb = (R + G)/2 − B, ``M = sqrt(σ_rg² + σ_yb²) + 0.3 · sqrt(μ_rg² + μ_yb²)``
  (0 for a grey image; about 15 "slightly", 33 "moderately", 59 "quite", 82 "highly" colourful in
  their study). ``hole_psnr`` / ``hole_ssim`` score inpainting inside the hole only: the MSE over
  hole pixels (all channels), and the mean of the SSIM map (``image_quality.ssim``'s Gaussian-window
  SSIM, as ``skimage.metrics.structural_similarity`` computes it) over hole pixels. ``masked_l1`` is
  the per-example mean absolute error over hole pixels, a training loss that ignores the known pixels.
  ``raw_kid`` is KID (``kernel.kernel_inception_distance``) on 16×16 pixel features, the offline
  stand-in when no Inception weights are at hand.

Baselines (each maps degraded [0, 1] images to a restored estimate)
  ``median_filter`` (de-raining), ``equalize`` (per-channel histogram equalization) and ``auto_gamma``
  (the gamma that brings the mean to 0.5, then a grey-world white balance) for the synthetic night,
  ``inpaint_biharmonic`` (``skimage.restoration.inpaint_biharmonic``) and ``mean_fill`` (the known
  pixels' per-channel mean) for inpainting. The grayscale input is the colorization baseline itself.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as tf

from tfgan_apps.errors import DataError
from tfgan_apps.metrics import image_quality, kernel


def to_unit(images: Any) -> np.ndarray:
    """[-1, 1] images → float64 [0, 1] (clipped)."""
    return np.clip((np.asarray(images, np.float64) + 1.0) / 2.0, 0.0, 1.0)


def _nhwc(images: Any) -> np.ndarray:
    x = np.asarray(images, np.float64)
    if x.ndim == 3:
        x = x[None]
    if x.ndim != 4:
        raise DataError(f"images must be HWC or NHWC, got shape {x.shape}")
    return x


def _mask_nhw1(mask: Any, like: np.ndarray) -> np.ndarray:
    """A boolean hole mask [N, H, W, 1] from [H, W], [H, W, 1] (one image), [N, H, W] or [N, H, W, 1]."""
    m = np.asarray(mask, np.float64)
    if m.ndim == 2:
        m = m[None, ..., None]
    elif m.ndim == 3:
        m = m[..., None] if m.shape == like.shape[:3] else m[None]
    if m.shape[:3] != like.shape[:3] or m.shape[-1] != 1:
        raise DataError(f"mask shape {np.asarray(mask).shape} does not match images {like.shape}")
    return m > 0.5


# ----------------------------------------------------------------------------- colourfulness


def colourfulness(images: Any, data_range: float = 1.0) -> float:
    """Hasler & Süsstrunk (2003) colourfulness of RGB images (module docstring), mean over a batch."""
    x = _nhwc(images) * (255.0 / data_range)
    if x.shape[-1] != 3:
        raise DataError(f"colourfulness needs RGB images, got {x.shape[-1]} channel(s)")
    rg = x[..., 0] - x[..., 1]
    yb = 0.5 * (x[..., 0] + x[..., 1]) - x[..., 2]
    std = np.sqrt(rg.var(axis=(1, 2)) + yb.var(axis=(1, 2)))
    mean = np.sqrt(rg.mean(axis=(1, 2)) ** 2 + yb.mean(axis=(1, 2)) ** 2)
    return float(np.mean(std + 0.3 * mean))


# ----------------------------------------------------------------------------- hole metrics


def hole_psnr(a: Any, b: Any, mask: Any, data_range: float = 1.0) -> float:
    """PSNR (dB) over the hole pixels (``mask`` > 0.5, [N, H, W(, 1)]) of every image, mean over a batch."""
    x, y = _nhwc(a), _nhwc(b)
    if x.shape != y.shape:
        raise DataError(f"images differ in shape: {x.shape} vs {y.shape}")
    m = _mask_nhw1(mask, x)
    values = []
    for i in range(x.shape[0]):
        hole = m[i, ..., 0]
        if not hole.any():
            raise DataError(f"image {i} has no hole pixels (an empty mask)")
        mse = np.mean((x[i][hole] - y[i][hole]) ** 2)
        values.append(np.inf if mse == 0 else 10.0 * np.log10(data_range**2 / mse))
    return float(np.mean(values))


def hole_ssim(a: Any, b: Any, mask: Any, data_range: float = 1.0) -> float:
    """Mean SSIM-map value over the hole pixels (Gaussian window σ 1.5, K1 0.01, K2 0.03), mean over a batch."""
    from skimage.metrics import structural_similarity

    x, y = _nhwc(a), _nhwc(b)
    if x.shape != y.shape:
        raise DataError(f"images differ in shape: {x.shape} vs {y.shape}")
    m = _mask_nhw1(mask, x)
    values = []
    for i in range(x.shape[0]):
        _, smap = structural_similarity(x[i], y[i], data_range=data_range, channel_axis=-1, gaussian_weights=True,
                                        sigma=1.5, use_sample_covariance=False, full=True)
        values.append(float(smap.mean(axis=-1)[m[i, ..., 0]].mean()))
    return float(np.mean(values))


def masked_l1(fake: tf.Tensor, target: tf.Tensor, mask: tf.Tensor) -> tf.Tensor:
    """Per-example L1 over hole pixels ``[B]``: Σ mask·|fake − target| / (C · Σ mask); known pixels get no gradient."""
    fake, target, mask = (tf.cast(t, tf.float32) for t in (fake, target, mask))
    channels = tf.cast(tf.shape(fake)[-1], tf.float32)
    total = tf.reduce_sum(mask * tf.abs(fake - target), axis=[1, 2, 3])
    return total / tf.maximum(channels * tf.reduce_sum(mask, axis=[1, 2, 3]), 1.0)


# ----------------------------------------------------------------------------- distribution distance


def raw_features(images: Any, size: int = 16) -> np.ndarray:
    """[-1, 1] or [0, 1] images → flattened ``size``² area-resized pixels [N, size²·C] (KID features offline)."""
    x = tf.image.resize(tf.constant(_nhwc(images), tf.float32), (size, size), method="area")
    return x.numpy().reshape(x.shape[0], -1)


def raw_kid(real: Any, fake: Any, subsets: int = 50, subset_size: int = 100, seed: int = 0) -> float:
    """KID (mean over subsets, ×1 — multiply by 10³ to report) on ``raw_features`` of two image sets."""
    mean, _ = kernel.kernel_inception_distance(raw_features(real), raw_features(fake), subsets=subsets,
                                               subset_size=subset_size, seed=seed)
    return mean


# ----------------------------------------------------------------------------- baselines


def median_filter(images: Any, size: int = 3) -> np.ndarray:
    """Per-channel ``size``×``size`` median filter (the de-raining baseline) of [0, 1] images (HWC or NHWC)."""
    from scipy.ndimage import median_filter as scipy_median

    x = _nhwc(images)
    return np.stack([scipy_median(img, size=(size, size, 1), mode="reflect") for img in x])


def equalize(images: Any) -> np.ndarray:
    """Per-channel histogram equalization (``skimage.exposure.equalize_hist``) of [0, 1] images."""
    from skimage.exposure import equalize_hist

    x = _nhwc(images)
    return np.stack([np.stack([equalize_hist(img[..., c]) for c in range(img.shape[-1])], -1) for img in x])


def auto_gamma(images: Any, target_mean: float = 0.5) -> np.ndarray:
    """Brightens each [0, 1] image by the gamma that maps its mean to ``target_mean``, then balances grey-world.

    ``γ = log(target_mean) / log(mean)``, ``y = x^γ``; then every channel is scaled to the image's mean
    over channels (grey-world white balance, undoing a colour cast such as the synthetic night's blue).
    """
    x = np.clip(_nhwc(images), 1e-6, 1.0)
    out = []
    for img in x:
        gamma = np.log(target_mean) / np.log(np.clip(img.mean(), 1e-3, 0.999))
        y = img**gamma
        means = y.mean(axis=(0, 1), keepdims=True)
        out.append(np.clip(y * means.mean() / np.maximum(means, 1e-6), 0.0, 1.0))
    return np.stack(out)


def inpaint_biharmonic(images: Any, mask: Any) -> np.ndarray:
    """``skimage.restoration.inpaint_biharmonic`` of [0, 1] images inside ``mask`` (> 0.5 = hole), per image."""
    from skimage.restoration import inpaint_biharmonic as biharmonic

    x = _nhwc(images)
    m = _mask_nhw1(mask, x)
    return np.stack([np.clip(biharmonic(img, hole[..., 0], channel_axis=-1), 0.0, 1.0) for img, hole in zip(x, m)])


def mean_fill(images: Any, mask: Any) -> np.ndarray:
    """Fills each image's holes with the per-channel mean of its known pixels."""
    x = _nhwc(images).copy()
    m = _mask_nhw1(mask, x)
    for img, hole in zip(x, m):
        known = ~hole[..., 0]
        img[hole[..., 0]] = img[known].mean(axis=0) if known.any() else 0.5
    return x


def psnr_ssim(a: Any, b: Any) -> tuple[float, float]:
    """(PSNR dB, SSIM) of [0, 1] image batches (``image_quality`` definitions)."""
    return image_quality.psnr(a, b, data_range=1.0), image_quality.ssim(a, b, data_range=1.0)
