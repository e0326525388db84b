"""Pictures of samples for TensorBoard: image grids, 2-D scatter plots, 1-D signal plots (numpy only)."""

from __future__ import annotations

import math

import numpy as np


def to_uint8(images: np.ndarray) -> np.ndarray:
    """Maps float images in [-1, 1] to uint8 in [0, 255]."""
    return np.clip(np.round((np.asarray(images, np.float32) + 1.0) * 127.5), 0, 255).astype(np.uint8)


def image_grid(images: np.ndarray, cols: int | None = None, pad: int = 1) -> np.ndarray:
    """Tiles float images [N, H, W, C] in [-1, 1] into one uint8 image [H', W', C]."""
    images = to_uint8(images)
    n, h, w, c = images.shape
    cols = cols or int(math.ceil(math.sqrt(n)))
    rows = int(math.ceil(n / cols))
    grid = np.full((rows * (h + pad) + pad, cols * (w + pad) + pad, c), 255, np.uint8)
    for i, image in enumerate(images):
        r, col = divmod(i, cols)
        grid[pad + r * (h + pad) : pad + r * (h + pad) + h, pad + col * (w + pad) : pad + col * (w + pad) + w] = image
    return grid


def scatter_image(points: np.ndarray, reference: np.ndarray | None = None, size: int = 256,
                  extent: float | None = None) -> np.ndarray:
    """Draws 2-D points (red) over reference points (grey) on a white square; returns uint8 [size, size, 3]."""
    canvas = np.full((size, size, 3), 255, np.uint8)
    both = points if reference is None else np.concatenate([points, reference])
    extent = extent or float(np.nanmax(np.abs(both[np.isfinite(both).all(axis=1)]), initial=1.0) * 1.15)

    def draw(p: np.ndarray, colour: tuple[int, int, int], radius: int) -> None:
        p = p[np.isfinite(p).all(axis=1)]
        pix = np.round((p / extent * 0.5 + 0.5) * (size - 1)).astype(int)
        pix = pix[((pix >= 0) & (pix < size)).all(axis=1)]
        for dy in range(-radius, radius + 1):
            for dx in range(-radius, radius + 1):
                y = np.clip(size - 1 - pix[:, 1] + dy, 0, size - 1)
                x = np.clip(pix[:, 0] + dx, 0, size - 1)
                canvas[y, x] = colour

    if reference is not None:
        draw(reference, (170, 170, 170), 1)
    draw(points, (220, 30, 30), 0)
    return canvas


def signal_plot(signals: np.ndarray, height: int = 48, cols: int = 4) -> np.ndarray:
    """Draws signals [N, L, C] (first channel, values in [-1, 1]) as line plots in a grid; uint8 RGB."""
    signals = np.asarray(signals, np.float32)[..., 0]
    n, length = signals.shape
    rows = int(math.ceil(n / cols))
    panel_w = length
    canvas = np.full((rows * (height + 2), cols * (panel_w + 2), 3), 255, np.uint8)
    for i, signal in enumerate(signals):
        r, c = divmod(i, cols)
        top, left = r * (height + 2), c * (panel_w + 2)
        canvas[top + height // 2, left : left + panel_w] = (210, 210, 210)
        ys = np.round((1 - (np.clip(np.nan_to_num(signal), -1, 1) + 1) / 2) * (height - 1)).astype(int)
        for x in range(length):
            lo, hi = sorted((ys[x], ys[x - 1] if x else ys[x]))
            canvas[top + lo : top + hi + 1, left + x] = (30, 60, 200)
    return canvas


def with_title(picture: np.ndarray, title: str, height: int = 18) -> np.ndarray:
    """``picture`` (uint8 [H, W] or [H, W, C]) under a white band with ``title`` in black (PIL's default font)."""
    from PIL import Image, ImageDraw

    picture = np.asarray(picture, np.uint8)
    if picture.ndim == 2:
        picture = picture[..., None]
    channels = picture.shape[-1]
    band = Image.new("L" if channels == 1 else "RGB", (picture.shape[1], height), "white")
    ImageDraw.Draw(band).text((4, 3), title, fill="black")
    band = np.asarray(band, np.uint8).reshape(height, picture.shape[1], channels)
    return np.concatenate([band, picture], axis=0)


def render(kind: str, samples: np.ndarray, reference: np.ndarray | None = None) -> np.ndarray:
    """The picture for a batch of samples of a source ``kind`` (image, points or signal)."""
    if kind == "image":
        return image_grid(samples)
    if kind == "points":
        return scatter_image(samples, reference)
    return signal_plot(samples[:16])
