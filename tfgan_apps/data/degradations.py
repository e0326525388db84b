"""Seeded, composable image degradations for the restoration applications.

A *degradation* is a pure TF function ``(images, seed) -> degraded`` where
``images`` is float32 ``[B, H, W, C]`` (or a single ``[H, W, C]`` image) in
[-1, 1] and ``seed`` an int32/int64 tensor of shape ``[2]``. Only stateless
random ops (``tf.random.stateless_*``) are used, so the same seed always gives
the same result: a tf.data pipeline that derives its seeds from the example
index is resumable and reproducible. Degradations are built by *factories*
with keyword parameters, registered by name in ``registry.DEGRADATIONS``::

    noisy = build_degradation({"type": "gaussian_noise", "sigma_range": (0, 55)})
    pair = make_pair(clean, noisy, seed)                 # (degraded, clean)
    sr = build_degradation([{"type": "downsample", "scale": 4},
                            {"type": "gaussian_noise", "sigma": 5}])  # composed

Registered names: ``gaussian_noise``, ``rain``, ``rain_light``, ``rain_heavy``, ``grayscale``, ``night``, ``mask``,
``downsample``, ``compose``.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import tensorflow as tf

from tfgan_apps.errors import ConfigError
from tfgan_apps.registry import DEGRADATIONS

Degradation = Callable[[tf.Tensor, tf.Tensor], tf.Tensor]
"""``(images [B,H,W,C] in [-1, 1], seed [2] int) -> degraded images``."""

Range = float | Sequence[float]
"""A fixed value, or ``(lo, hi)`` drawn uniformly per image."""

DegradationSpec = str | Mapping[str, Any] | Sequence[Any]


# ----------------------------------------------------------------------------- helpers


def _batched(fn: Degradation) -> Degradation:
    """Lets a batch-wise degradation also accept one ``[H, W, C]`` image and a Python seed."""

    def wrapper(images: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        images = tf.convert_to_tensor(images, tf.float32)
        seed = tf.convert_to_tensor(seed)
        if not seed.dtype.is_integer:
            raise ValueError(
                f"seed must be an int32/int64 tensor of shape [2], got {seed.dtype}"
            )
        if seed.dtype not in (tf.int32, tf.int64):
            seed = tf.cast(seed, tf.int64)
        if images.shape.rank == 3:
            return fn(images[tf.newaxis], seed)[0]
        if images.shape.rank != 4:
            raise ValueError(
                f"images must be [B, H, W, C] or [H, W, C], got shape {images.shape}"
            )
        return fn(images, seed)

    wrapper.__doc__ = fn.__doc__
    wrapper.__name__ = getattr(fn, "__name__", "degradation")
    return wrapper


def _split(seed: tf.Tensor, num: int) -> tf.Tensor:
    """Derives ``num`` independent stateless seeds ``[num, 2]`` from one seed."""
    return tf.random.experimental.stateless_split(seed, num=num)


def _check_range(
    value: Range, what: str, lo: float | None = None, hi: float | None = None
) -> tuple[float, float]:
    """Normalises a fixed value or ``(lo, hi)`` pair to a checked ``(lo, hi)`` tuple."""
    if isinstance(value, (int, float)):
        pair = (float(value), float(value))
    else:
        values = tuple(float(v) for v in value)
        if len(values) != 2 or values[0] > values[1]:
            raise ConfigError(
                f"{what} must be a number or a (lo, hi) pair with lo <= hi, got {value!r}"
            )
        pair = values  # type: ignore[assignment]
    if (lo is not None and pair[0] < lo) or (hi is not None and pair[1] > hi):
        raise ConfigError(f"{what} must lie in [{lo}, {hi}], got {value!r}")
    return pair


def _per_image(
    bounds: tuple[float, float], batch: tf.Tensor, seed: tf.Tensor
) -> tf.Tensor:
    """Returns a ``[B]`` float32 vector: the fixed value, or uniform draws in ``[lo, hi)``."""
    lo, hi = bounds
    if lo == hi:
        return tf.fill([batch], tf.constant(lo, tf.float32))
    return tf.random.stateless_uniform([batch], seed, minval=lo, maxval=hi)


def _gaussian_kernel_1d(sigma: float) -> tf.Tensor:
    """A normalised 1-D Gaussian of radius ``ceil(3σ)``."""
    radius = max(1, math.ceil(3.0 * sigma))
    x = tf.range(-radius, radius + 1, dtype=tf.float32)
    k = tf.exp(-0.5 * tf.square(x / sigma))
    return k / tf.reduce_sum(k)


def _gaussian_blur_single_channel(x: tf.Tensor, sigma: float) -> tf.Tensor:
    """Separable Gaussian blur of ``[B, H, W, 1]`` with zero padding."""
    if sigma <= 0:
        return x
    k = _gaussian_kernel_1d(sigma)
    x = tf.nn.conv2d(x, tf.reshape(k, [-1, 1, 1, 1]), strides=1, padding="SAME")
    return tf.nn.conv2d(x, tf.reshape(k, [1, -1, 1, 1]), strides=1, padding="SAME")


# ----------------------------------------------------------------------------- noise


@DEGRADATIONS.register("gaussian_noise")
def gaussian_noise(
    sigma: float = 25.0,
    sigma_range: Sequence[float] | None = None,
    poisson: bool = False,
    poisson_peak: float = 255.0,
    jpeg_quality: int | Sequence[int] | None = None,
    clip: bool = False,
) -> Degradation:
    """Additive white Gaussian noise (AWGN), optionally with Poisson noise and JPEG re-compression.

    Args:
      sigma: noise standard deviation on the 0–255 scale, the denoising papers'
        convention: σ=25 means 25/255 of the [0, 1] range, i.e. 2·25/255 in [-1, 1].
      sigma_range: ``(lo, hi)`` on the 0–255 scale; σ is drawn uniformly per
        image (blind denoising, e.g. DnCNN-B's (0, 55)). Overrides ``sigma``.
      poisson: first applies signal-dependent shot noise:
        ``Poisson(peak · x01) / peak`` on the [0, 1]-scaled image.
      poisson_peak: photon count of a white pixel (lower = noisier).
      jpeg_quality: finally re-encodes each image as JPEG at this quality (int) or
        a quality drawn per image from ``(lo, hi)`` inclusive. Uses
        ``tf.image.adjust_jpeg_quality``, which works on one image at a time
        (mapped over the batch), needs 1 or 3 channels and quantises to uint8,
        so its output is clipped to [-1, 1].
      clip: clip the result to [-1, 1] (sensor saturation). Off by default as in
        the synthetic AWGN benchmarks (DnCNN, BSD68), whose noisy inputs are unclipped.
    """
    bounds = _check_range(
        sigma if sigma_range is None else sigma_range, "sigma", lo=0.0
    )
    if poisson_peak <= 0:
        raise ConfigError(f"poisson_peak must be > 0, got {poisson_peak}")
    quality = (
        None
        if jpeg_quality is None
        else _check_range(jpeg_quality, "jpeg_quality", lo=0, hi=100)
    )

    @_batched
    def apply(images: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        seeds = _split(seed, 4)
        batch = tf.shape(images)[0]
        x = images
        if poisson:
            x01 = tf.clip_by_value((x + 1.0) / 2.0, 0.0, 1.0)
            counts = tf.random.stateless_poisson(
                tf.shape(x), seeds[0], lam=x01 * poisson_peak, dtype=tf.float32
            )
            x = counts / poisson_peak * 2.0 - 1.0
        sigmas = _per_image(bounds, batch, seeds[1]) * (2.0 / 255.0)
        x = (
            x
            + tf.random.stateless_normal(tf.shape(x), seeds[2])
            * sigmas[:, None, None, None]
        )
        if quality is not None:
            x = _jpeg(x, quality, seeds[3])
        if clip:
            x = tf.clip_by_value(x, -1.0, 1.0)
        return x

    return apply


def _jpeg(
    images: tf.Tensor, quality: tuple[float, float], seed: tf.Tensor
) -> tf.Tensor:
    """Re-encodes every image of a [-1, 1] batch as JPEG at a fixed or per-image quality."""
    channels = images.shape[-1]
    if channels not in (None, 1, 3):
        raise ConfigError(f"jpeg_quality needs 1 or 3 channels, got {channels}")
    lo, hi = int(quality[0]), int(quality[1])
    batch = tf.shape(images)[0]
    if lo == hi:
        qualities = tf.fill([batch], lo)
    else:
        qualities = tf.random.stateless_uniform(
            [batch], seed, minval=lo, maxval=hi + 1, dtype=tf.int32
        )
    x01 = tf.clip_by_value((images + 1.0) / 2.0, 0.0, 1.0)
    out = tf.map_fn(
        lambda args: tf.image.adjust_jpeg_quality(args[0], args[1]),
        (x01, qualities),
        fn_output_signature=tf.TensorSpec(x01.shape[1:], tf.float32),
    )
    return out * 2.0 - 1.0


# ----------------------------------------------------------------------------- rain


def line_kernel(
    angle: tf.Tensor, length: tf.Tensor, size: int, width: float | tf.Tensor = 1.0
) -> tf.Tensor:
    """Anti-aliased line kernels ``[size, size, B]`` with peak value 1, for motion blur.

    ``angle`` (degrees, counter-clockwise from the +x axis as seen on screen: 0 is
    horizontal, 90 vertical) and ``length`` (px) are ``[B]`` vectors; ``width`` (px) is
    a number or a ``[B]`` vector. A kernel pixel's weight is
    ``clip(1 + (width - 1)/2 - d, 0, 1)`` with ``d`` its distance to the centred
    segment, so a line is ``width`` px thick with a one-pixel soft edge.
    """
    r = (size - 1) / 2.0
    coords = tf.range(size, dtype=tf.float32) - r
    yy, xx = tf.meshgrid(coords, coords, indexing="ij")  # [size, size]
    theta = tf.cast(angle, tf.float32) * (math.pi / 180.0)
    dx = tf.cos(theta)[None, None, :]
    dy = -tf.sin(theta)[None, None, :]  # image rows grow downwards
    half = tf.cast(length, tf.float32)[None, None, :] / 2.0
    t = tf.clip_by_value(xx[..., None] * dx + yy[..., None] * dy, -half, half)
    dist = tf.sqrt(
        tf.square(xx[..., None] - t * dx) + tf.square(yy[..., None] - t * dy)
    )
    width = tf.cast(width, tf.float32)
    if width.shape.rank == 1:
        width = width[None, None, :]
    return tf.clip_by_value(1.0 + (width - 1.0) / 2.0 - dist, 0.0, 1.0)


def _per_image_blur(x: tf.Tensor, sigmas: tf.Tensor, max_sigma: float) -> tf.Tensor:
    """Separable Gaussian blur of ``[B, H, W, 1]`` with one σ (px) per image (``[B]``; σ = 0 leaves it sharp)."""
    if max_sigma <= 0:
        return x
    radius = max(1, math.ceil(3.0 * max_sigma))
    taps = tf.range(-radius, radius + 1, dtype=tf.float32)[:, None]  # [K, 1]
    sig = tf.maximum(sigmas, 1e-3)[None, :]  # σ → 0 is a delta
    k = tf.exp(-0.5 * tf.square(taps / sig))
    k = k / tf.reduce_sum(k, axis=0, keepdims=True)  # [K, B]
    y = tf.transpose(x, [3, 1, 2, 0])  # the batch on the channel axis: one depthwise conv blurs every image
    y = tf.nn.depthwise_conv2d(y, k[:, None, :, None], strides=[1, 1, 1, 1], padding="SAME")
    y = tf.nn.depthwise_conv2d(y, k[None, :, :, None], strides=[1, 1, 1, 1], padding="SAME")
    return tf.transpose(y, [3, 1, 2, 0])


def _streak_layer(
    batch: tf.Tensor,
    height: tf.Tensor,
    width_px: tf.Tensor,
    seed: tf.Tensor,
    density: tuple[float, float],
    angle: tuple[float, float],
    length: tuple[float, float],
    thickness: tuple[float, float],
    blur: tuple[float, float],
) -> tf.Tensor:
    """One layer of rain streaks ``[B, H, W, 1]`` in [0, 1]; every parameter fixed or drawn per image."""
    seeds = _split(seed, 6)
    # Gaussian noise thresholded so that a fraction `density` of pixels become specks.
    dens = _per_image(density, batch, seeds[0])
    threshold = tf.math.ndtri(1.0 - tf.clip_by_value(dens, 1e-7, 1.0 - 1e-7))
    noise = tf.random.stateless_normal(tf.stack([batch, height, width_px, 1]), seeds[1])
    specks = tf.cast(noise > threshold[:, None, None, None], tf.float32)
    # Motion blur along a line, one kernel per image: the batch is moved to the
    # channel axis so a single depthwise convolution applies every image's kernel.
    size = math.ceil(length[1] + thickness[1]) // 2 * 2 + 1
    kernels = line_kernel(
        _per_image(angle, batch, seeds[2]),
        _per_image(length, batch, seeds[3]),
        size,
        _per_image(thickness, batch, seeds[4]),
    )
    streaks = tf.nn.depthwise_conv2d(
        tf.transpose(specks, [3, 1, 2, 0]),
        kernels[:, :, :, None],
        strides=[1, 1, 1, 1],
        padding="SAME",
    )
    streaks = tf.transpose(streaks, [3, 1, 2, 0])
    # Normalise: the kernels peak at 1, so a lone streak is 1 on its axis; overlaps saturate.
    streaks = tf.clip_by_value(streaks, 0.0, 1.0)
    if blur[0] == blur[1]:
        return tf.clip_by_value(_gaussian_blur_single_channel(streaks, blur[0]), 0.0, 1.0)
    return tf.clip_by_value(_per_image_blur(streaks, _per_image(blur, batch, seeds[5]), blur[1]), 0.0, 1.0)


@DEGRADATIONS.register("rain")
def rain(
    density: Range = 0.01,
    angle: Range = (75.0, 105.0),
    length: Range = (10.0, 20.0),
    alpha: Range = 0.8,
    second_layer: bool | float = False,
    thickness: Range = 1.0,
    blur: Range = 0.5,
) -> Degradation:
    """Synthetic rain streaks, made the way Rain100L/H and Rain800 were (Photoshop-style).

    Per image: Gaussian noise → threshold to sparse specks (``density`` = fraction
    of pixels) → motion blur along a line (``angle`` degrees, 0 = horizontal,
    90 = vertical; ``length`` px; ``thickness`` px; line kernel built in TF, applied
    with a depthwise convolution) → normalise to [0, 1] (kernels peak at 1; overlaps
    saturate) → slight Gaussian ``blur`` (σ px) → screen blend on [0, 1]-scaled images:
    ``out = 1 − (1 − img)(1 − α·streaks)``, computed as ``img + α·streaks·(1 − img)``
    so the output is never darker than the input. Streaks are achromatic (the
    same layer for every channel).

    Every value argument (``density``, ``angle``, ``length``, ``alpha``, ``thickness``,
    ``blur``) is a number or a ``(lo, hi)`` range drawn uniformly per image, so one
    spec can cover light to heavy, near-vertical to wind-slanted rain. ``second_layer``
    adds a sparser (density/2), longer (×1.5), wider (thickness ×2.5) and more
    blurred (blur ×3 + 1) layer at 0.6 α with its angle range widened by ±10°, like
    Rain100H's several streak directions: ``True`` for every image, ``False`` for none,
    or a probability in [0, 1] drawn per image.
    """
    density_b = _check_range(density, "density", lo=0.0, hi=1.0)
    angle_b = _check_range(angle, "angle")
    length_b = _check_range(length, "length", lo=1.0)
    alpha_b = _check_range(alpha, "alpha", lo=0.0, hi=1.0)
    thickness_b = _check_range(thickness, "thickness")
    blur_b = _check_range(blur, "blur")
    if thickness_b[0] <= 0 or blur_b[0] < 0:
        raise ConfigError(
            f"rain thickness must be > 0 and blur >= 0, got {thickness}, {blur}"
        )
    if isinstance(second_layer, bool):
        layer_p = 1.0 if second_layer else 0.0
    elif isinstance(second_layer, (int, float)) and 0.0 <= second_layer <= 1.0:
        layer_p = float(second_layer)
    else:
        raise ConfigError(
            f"rain second_layer must be true, false or a probability in [0, 1], got {second_layer!r}"
        )

    @_batched
    def apply(images: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        seeds = _split(seed, 5)
        shape = tf.shape(images)
        batch, height, width_px = shape[0], shape[1], shape[2]
        streaks = _streak_layer(
            batch,
            height,
            width_px,
            seeds[0],
            density_b,
            angle_b,
            length_b,
            thickness_b,
            blur_b,
        )
        alphas = _per_image(alpha_b, batch, seeds[1])[:, None, None, None]
        layer = alphas * streaks
        if layer_p > 0:
            streaks2 = _streak_layer(
                batch,
                height,
                width_px,
                seeds[3],
                (density_b[0] / 2, density_b[1] / 2),
                (angle_b[0] - 10.0, angle_b[1] + 10.0),
                (length_b[0] * 1.5, length_b[1] * 1.5),
                (thickness_b[0] * 2.5, thickness_b[1] * 2.5),
                (blur_b[0] * 3.0 + 1.0, blur_b[1] * 3.0 + 1.0),
            )
            layer2 = 0.6 * alphas * streaks2
            if layer_p < 1:  # the second layer in a fraction layer_p of the images
                keep = tf.random.stateless_uniform([batch], seeds[4]) < layer_p
                layer2 = layer2 * tf.cast(keep, tf.float32)[:, None, None, None]
            layer = 1.0 - (1.0 - layer) * (
                1.0 - layer2
            )  # screen the two layers together
        return images + layer * (1.0 - images)

    return apply


@DEGRADATIONS.register("rain_light")
def rain_light(
    density: Range = 0.004,
    angle: Range = (80.0, 100.0),
    length: Range = (10.0, 18.0),
    alpha: Range = (0.6, 0.8),
    second_layer: bool | float = False,
    thickness: Range = 1.0,
    blur: Range = 0.5,
) -> Degradation:
    """Light rain in the spirit of Rain100L: sparse (0.4 % specks), thin, one near-vertical layer."""
    return rain(density, angle, length, alpha, second_layer, thickness, blur)


@DEGRADATIONS.register("rain_heavy")
def rain_heavy(
    density: Range = (0.005, 0.01),
    angle: Range = (65.0, 115.0),
    length: Range = (15.0, 30.0),
    alpha: Range = (0.6, 0.85),
    second_layer: bool | float = True,
    thickness: Range = 1.5,
    blur: Range = 0.7,
) -> Degradation:
    """Heavy rain in the spirit of Rain100H: dense, long, wider streaks plus a second blurred layer."""
    return rain(density, angle, length, alpha, second_layer, thickness, blur)


# ----------------------------------------------------------------------------- resolution


@DEGRADATIONS.register("downsample")
def downsample(
    scale: int = 4, method: str = "bicubic", antialias: bool = True
) -> Degradation:
    """Bicubic (anti-aliased) downsampling by an integer ``scale`` (2, 3, 4, …) for super-resolution.

    Output ``[B, H/scale, W/scale, C]`` from ``tf.image.resize(..., method="bicubic",
    antialias=True)``, clipped to [-1, 1] (bicubic overshoots). The HR patch size
    must be divisible by ``scale`` (e.g. 96 for ×2/×3/×4 — crop HR patches to a
    multiple of the scale); a static shape that is not raises ConfigError, a
    dynamic one fails a runtime assertion. The seed is unused (deterministic).
    """
    if not isinstance(scale, int) or scale < 1:
        raise ConfigError(f"downsample scale must be a positive integer, got {scale!r}")

    @_batched
    def apply(images: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        del seed
        for dim, size in zip(("height", "width"), images.shape[1:3]):
            if size is not None and size % scale:
                raise ConfigError(
                    f"image {dim} {size} is not divisible by downsample scale {scale}"
                )
        shape = tf.shape(images)
        with tf.control_dependencies(
            [
                tf.debugging.assert_equal(
                    shape[1:3] % scale,
                    0,
                    message=f"image size must be divisible by scale {scale}",
                )
            ]
        ):
            size = shape[1:3] // scale
        out = tf.image.resize(images, size, method=method, antialias=antialias)
        return tf.clip_by_value(out, -1.0, 1.0)

    return apply


# ----------------------------------------------------------------------------- composition


def compose(*degradations: Degradation) -> Degradation:
    """Applies degradations in sequence; stage ``i`` gets the ``i``-th seed split from the given seed."""
    stages = tuple(degradations)

    @_batched
    def apply(images: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        if not stages:
            return images
        seeds = _split(seed, len(stages))
        for i, stage in enumerate(stages):
            images = stage(images, seeds[i])
        return images

    return apply


@DEGRADATIONS.register("compose")
def compose_specs(stages: Sequence[DegradationSpec] = ()) -> Degradation:
    """Builds every spec in ``stages`` and composes them (config form of ``compose``)."""
    return compose(*(build_degradation(stage) for stage in stages))


def build_degradation(spec: DegradationSpec) -> Degradation:
    """Builds a degradation from a name, a ``{"type": name, **kwargs}`` mapping or a list of those (composed).

    The spec is copied, never mutated. Unknown names and options raise
    ConfigError listing the valid choices.
    """
    if isinstance(spec, str):
        return DEGRADATIONS.get(spec)()
    if hasattr(spec, "to_dict"):  # ml_collections.ConfigDict
        spec = spec.to_dict()
    if isinstance(spec, Mapping):
        options = dict(spec)
        name = options.pop("type", None)
        if not name:
            raise ConfigError(
                f"degradation spec needs a 'type', e.g. {{'type': 'gaussian_noise'}}; got {dict(spec)}"
            )
        factory = DEGRADATIONS.get(name)
        params = inspect.signature(factory).parameters
        unknown = sorted(set(options) - set(params))
        if unknown:
            raise ConfigError(
                f"degradation {name!r} has no option(s) {', '.join(unknown)}; accepted: {', '.join(params)}"
            )
        return factory(**options)
    if isinstance(spec, Sequence):
        return compose(*(build_degradation(s) for s in spec))
    raise ConfigError(
        f"a degradation spec is a name, a mapping or a list of those; got {spec!r}"
    )


def make_pair(
    clean: tf.Tensor, degradation: Degradation | DegradationSpec, seed: tf.Tensor
) -> tuple[tf.Tensor, tf.Tensor]:
    """Returns ``(degraded, clean)``, the (input, target) pair of a restoration model."""
    if not callable(degradation):
        degradation = build_degradation(degradation)
    clean = tf.convert_to_tensor(clean, tf.float32)
    return degradation(clean, seed), clean


# ----------------------------------------------------------------------------- translation tasks
# Degradations of the image-translation applications (issue 18): colorization (``grayscale``), a synthetic
# night (``night``, an unpaired translation domain) and inpainting (``mask``).

BT601_LUMA = (0.299, 0.587, 0.114)
"""ITU-R BT.601 luma weights of R, G, B (Y = 0.299 R + 0.587 G + 0.114 B)."""


@DEGRADATIONS.register("grayscale")
def grayscale(keep_channels: bool = True) -> Degradation:
    """BT.601 luma ``Y = 0.299 R + 0.587 G + 0.114 B`` (colorization input; deterministic, the seed is unused).

    ``keep_channels`` repeats Y over the input's channels (an RGB-shaped grey image, so a 3→3 generator
    and the paired pipeline work unchanged); False gives one channel. Grey inputs pass through unchanged.
    """

    @_batched
    def apply(images: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        del seed
        channels = images.shape[-1]
        if channels == 1:
            return images
        if channels != 3:
            raise ConfigError(f"grayscale needs 1 or 3 channels, got {channels}")
        luma = tf.reduce_sum(images * tf.constant(BT601_LUMA, tf.float32), axis=-1, keepdims=True)
        return tf.repeat(luma, 3, axis=-1) if keep_channels else luma

    return apply


@DEGRADATIONS.register("night")
def night(
    brightness: Range = (0.25, 0.45),
    gamma: Range = (1.3, 1.8),
    blue_shift: Range = (0.15, 0.3),
    noise: Range = (3.0, 8.0),
    shot_noise: bool = True,
) -> Degradation:
    """A synthetic "night" photo: darkened, gamma-compressed, shifted to blue, with sensor noise.

    On [0, 1]-scaled images, per image (each value argument a number or a ``(lo, hi)`` range drawn
    uniformly per image): ``y = brightness · x^gamma`` (gamma > 1 crushes the shadows more than the
    highlights); the channels are multiplied by ``(1 − s, 1 − s/2, 1 + s/2)`` with ``s = blue_shift``
    (the cool cast of low light under sky / street light); then sensor noise: with ``shot_noise`` a
    signal-dependent part of variance ``y · σ/255 · 0.02`` plus a read noise of standard deviation
    ``noise`` (σ on the 0–255 scale); clipped to [0, 1] and mapped back to [-1, 1]. Grey (1-channel)
    images skip the colour shift.
    """
    bright_b = _check_range(brightness, "night brightness", lo=0.0, hi=1.0)
    gamma_b = _check_range(gamma, "night gamma", lo=0.05)
    shift_b = _check_range(blue_shift, "night blue_shift", lo=0.0, hi=0.9)
    noise_b = _check_range(noise, "night noise", lo=0.0)

    @_batched
    def apply(images: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        seeds = _split(seed, 6)
        batch = tf.shape(images)[0]
        x01 = tf.clip_by_value((images + 1.0) / 2.0, 0.0, 1.0)
        g = _per_image(gamma_b, batch, seeds[0])[:, None, None, None]
        b = _per_image(bright_b, batch, seeds[1])[:, None, None, None]
        y = b * tf.pow(x01 + 1e-6, g)
        if images.shape[-1] == 3:
            s = _per_image(shift_b, batch, seeds[2])[:, None, None, None]
            y = y * tf.concat([1.0 - s, 1.0 - s / 2.0, 1.0 + s / 2.0], axis=-1)
        sigma = _per_image(noise_b, batch, seeds[3])[:, None, None, None] / 255.0
        variance = tf.square(sigma)
        if shot_noise:
            variance += tf.maximum(y, 0.0) * sigma * 0.02
        y = y + tf.sqrt(variance) * tf.random.stateless_normal(tf.shape(y), seeds[4])
        return tf.clip_by_value(y, 0.0, 1.0) * 2.0 - 1.0

    return apply


MASK_SHAPES = ("rectangles", "strokes", "mixed")


def _quantile_threshold(field: tf.Tensor, fraction: tf.Tensor) -> tf.Tensor:
    """1.0 where ``field`` [B, H, W] is among the ``fraction`` [B] smallest values of its image, else 0."""
    shape = tf.shape(field)
    flat = tf.reshape(field, [shape[0], -1])
    count = tf.cast(tf.shape(flat)[1], tf.float32)
    k = tf.cast(tf.round(fraction * count), tf.int32)
    ordered = tf.sort(flat, axis=1)
    kth = tf.gather(ordered, tf.maximum(k - 1, 0), axis=1, batch_dims=1)
    holes = tf.cast(flat <= kth[:, None], tf.float32) * tf.cast(k > 0, tf.float32)[:, None]
    return tf.reshape(holes, shape)


def _rectangle_field(batch: tf.Tensor, height: tf.Tensor, width: tf.Tensor, seed: tf.Tensor,
                     count: int) -> tf.Tensor:
    """min over ``count`` random rectangles of the L∞ distance to each centre in units of its half-size [B, H, W].

    Thresholding this field at t gives the union of the rectangles scaled by t about their centres.
    """
    seeds = _split(seed, 2)
    hw = tf.cast(tf.stack([height, width]), tf.float32)
    centres = tf.random.stateless_uniform([batch, count, 2], seeds[0]) * hw
    halves = (0.1 + tf.random.stateless_uniform([batch, count, 2], seeds[1])) * hw / 4.0  # aspect in [1/11, 11]
    ys = tf.range(height, dtype=tf.float32)[None, None, :, None] + 0.5
    xs = tf.range(width, dtype=tf.float32)[None, None, None, :] + 0.5
    dy = tf.abs(ys - centres[..., 0, None, None]) / halves[..., 0, None, None]
    dx = tf.abs(xs - centres[..., 1, None, None]) / halves[..., 1, None, None]
    return tf.reduce_min(tf.maximum(dy, dx), axis=1)


def _stroke_field(batch: tf.Tensor, height: tf.Tensor, width: tf.Tensor, seed: tf.Tensor, strokes: int,
                  vertices: int) -> tf.Tensor:
    """Distance (px) of every pixel to the nearest of ``strokes`` random polylines [B, H, W].

    Each stroke is a random walk of ``vertices`` − 1 segments (free-form masks in the spirit of Yu et al.
    2019's DeepFill v2): a start point uniform in the image, headings turning by up to ±60° per segment,
    segment lengths 10–30 % of the shorter side. Thresholding the field at r gives brush strokes of radius r.
    """
    seeds = _split(seed, 4)
    hw = tf.cast(tf.stack([height, width]), tf.float32)
    side = tf.reduce_min(hw)
    start = tf.random.stateless_uniform([batch, strokes, 1, 2], seeds[0]) * hw
    heading0 = tf.random.stateless_uniform([batch, strokes, 1], seeds[1], maxval=2.0 * math.pi)
    turns = tf.random.stateless_uniform([batch, strokes, vertices - 1], seeds[2], -math.pi / 3, math.pi / 3)
    heading = heading0 + tf.cumsum(turns, axis=-1)
    lengths = tf.random.stateless_uniform([batch, strokes, vertices - 1], seeds[3], 0.1, 0.3) * side
    steps = tf.stack([tf.sin(heading), tf.cos(heading)], axis=-1) * lengths[..., None]
    points = tf.concat([start, start + tf.cumsum(steps, axis=2)], axis=2)  # [B, S, V, 2] (y, x)
    p0 = tf.reshape(points[:, :, :-1], [batch, -1, 2])[:, :, None, None, :]  # [B, K, 1, 1, 2]
    p1 = tf.reshape(points[:, :, 1:], [batch, -1, 2])[:, :, None, None, :]
    ys = tf.range(height, dtype=tf.float32) + 0.5
    xs = tf.range(width, dtype=tf.float32) + 0.5
    grid = tf.stack(tf.meshgrid(ys, xs, indexing="ij"), axis=-1)[None, None]  # [1, 1, H, W, 2]
    seg = p1 - p0
    t = tf.clip_by_value(tf.reduce_sum((grid - p0) * seg, -1) / tf.maximum(tf.reduce_sum(seg * seg, -1), 1e-6),
                         0.0, 1.0)
    nearest = p0 + t[..., None] * seg
    return tf.reduce_min(tf.norm(grid - nearest, axis=-1), axis=1)


@DEGRADATIONS.register("mask")
def mask(
    hole_fraction: Range = (0.1, 0.3),
    shape: str = "mixed",
    rectangles: int = 2,
    strokes: int = 3,
    vertices: int = 5,
    fill: float = 0.0,
    with_mask: bool = True,
) -> Degradation:
    """Holes for inpainting: random rectangles or free-form brush strokes covering ``hole_fraction`` of the image.

    Returns ``[B, H, W, C + 1]``: the image with the holes set to ``fill`` (0 = mid-grey in [-1, 1]),
    and as last channel the mask (1 = hole, to be filled; 0 = known pixel). The mask travels with the
    sample, so G gets it as an extra input channel and evaluation knows where the holes are
    (``split_mask``); the returned function's ``mask_fill`` attribute is ``fill``, which the pix2pix
    model and its export put into the holes of any image they inpaint. ``with_mask=False`` returns only
    the ``C`` image channels (for a generator that takes no mask channel).

    The hole fraction is met per image up to ties of the shape field (within ~1 % of the image): a
    shape field is thresholded at its per-image quantile. ``rectangles``: the union of ``rectangles``
    random rectangles (random centres and aspect ratios) scaled about their centres; ``strokes``:
    ``strokes`` random polylines of ``vertices`` points (``_stroke_field``) drawn with the brush radius
    that covers the fraction;
    ``mixed``: one or the other per image with probability 1/2.
    """
    fraction_b = _check_range(hole_fraction, "mask hole_fraction", lo=0.0, hi=1.0)
    if shape not in MASK_SHAPES:
        raise ConfigError(f"unknown mask shape {shape!r}; valid choices: {', '.join(MASK_SHAPES)}")
    if rectangles < 1 or strokes < 1 or vertices < 2:
        raise ConfigError(f"mask needs rectangles >= 1, strokes >= 1 and vertices >= 2, got "
                          f"{rectangles}, {strokes}, {vertices}")
    if not -1.0 <= fill <= 1.0:
        raise ConfigError(f"mask fill must lie in [-1, 1], got {fill}")

    @_batched
    def apply(images: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        seeds = _split(seed, 4)
        shape_t = tf.shape(images)
        batch, height, width = shape_t[0], shape_t[1], shape_t[2]
        fraction = _per_image(fraction_b, batch, seeds[0])
        fields = []
        if shape in ("rectangles", "mixed"):
            fields.append(_quantile_threshold(_rectangle_field(batch, height, width, seeds[1], rectangles),
                                              fraction))
        if shape in ("strokes", "mixed"):
            fields.append(_quantile_threshold(_stroke_field(batch, height, width, seeds[2], strokes, vertices),
                                              fraction))
        if len(fields) == 2:
            pick = tf.random.stateless_uniform([batch], seeds[3]) < 0.5
            holes = tf.where(pick[:, None, None], fields[0], fields[1])
        else:
            holes = fields[0]
        holes = holes[..., None]
        holed = images * (1.0 - holes) + fill * holes
        return tf.concat([holed, holes], axis=-1) if with_mask else holed

    apply.mask_fill = float(fill)  # type: ignore[attr-defined]  # read by pix2pix for its inputs' holes
    return apply


def split_mask(inputs: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """Splits a ``mask`` degradation's output ``[..., C + 1]`` into (holed image ``[..., C]``, mask ``[..., 1]``)."""
    return inputs[..., :-1], inputs[..., -1:]


def composite(restored: tf.Tensor, inputs: tf.Tensor, mask_channel: tf.Tensor) -> tf.Tensor:
    """Keeps the known pixels of ``inputs`` and takes ``restored`` only inside the holes (mask 1)."""
    return mask_channel * restored + (1.0 - mask_channel) * inputs
