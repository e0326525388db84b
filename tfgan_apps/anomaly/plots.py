"""Pictures of anomaly scores (numpy only, no plotting library): ROC curves and normal-vs-anomalous histograms.

Both return uint8 RGB arrays for ``tf.summary.image`` or a PNG file
(``save_png``). Normal examples are drawn in blue, anomalies in red.
"""

from __future__ import annotations

import numpy as np

BLUE, RED, GREY, BLACK = (40, 90, 200), (210, 40, 40), (190, 190, 190), (0, 0, 0)
PALETTE = ((40, 90, 200), (210, 40, 40), (30, 150, 60), (150, 60, 170), (230, 140, 20), (0, 0, 0))


def _canvas(size: int) -> tuple[np.ndarray, int]:
    canvas = np.full((size, size, 3), 255, np.uint8)
    margin = max(size // 16, 4)
    canvas[margin:size - margin, margin] = BLACK  # y axis
    canvas[size - margin, margin:size - margin] = BLACK  # x axis
    return canvas, margin


def _line(canvas: np.ndarray, x0: float, y0: float, x1: float, y1: float, colour: tuple[int, int, int],
          width: int = 1) -> None:
    """Draws a line between pixel coordinates (x right, y down)."""
    steps = int(max(abs(x1 - x0), abs(y1 - y0))) + 1
    xs = np.round(np.linspace(x0, x1, steps)).astype(int)
    ys = np.round(np.linspace(y0, y1, steps)).astype(int)
    h, w = canvas.shape[:2]
    for dy in range(-(width // 2), width - width // 2):
        for dx in range(-(width // 2), width - width // 2):
            canvas[np.clip(ys + dy, 0, h - 1), np.clip(xs + dx, 0, w - 1)] = colour


def roc_picture(curves: list[tuple[np.ndarray, np.ndarray]], size: int = 256) -> np.ndarray:
    """ROC curves [(fpr, tpr), ...] on the unit square (diagonal = chance), one colour each; uint8 [size, size, 3]."""
    canvas, m = _canvas(size)
    span = size - 2 * m

    def px(fpr: float, tpr: float) -> tuple[float, float]:
        return m + fpr * span, size - m - tpr * span

    _line(canvas, *px(0, 0), *px(1, 1), GREY)
    for i, (fpr, tpr) in enumerate(curves):
        colour = PALETTE[i % len(PALETTE)]
        for j in range(1, len(fpr)):
            _line(canvas, *px(fpr[j - 1], tpr[j - 1]), *px(fpr[j], tpr[j]), colour, width=2)
    return canvas


def histogram_picture(normal: np.ndarray, anomalous: np.ndarray, bins: int = 40, size: int = 256,
                      threshold: float | None = None) -> np.ndarray:
    """Overlaid score histograms (each normalised to its own count): normal blue, anomalous red, overlap purple;
    an optional threshold as a black vertical line."""
    canvas, m = _canvas(size)
    both = np.concatenate([np.ravel(normal), np.ravel(anomalous)]).astype(np.float64)
    both = both[np.isfinite(both)]
    lo, hi = (float(np.quantile(both, 0.005)), float(np.quantile(both, 0.995))) if both.size else (0.0, 1.0)
    if threshold is not None:
        lo, hi = min(lo, threshold), max(hi, threshold)
    hi = hi if hi > lo else lo + 1.0
    edges = np.linspace(lo, hi, bins + 1)
    span = size - 2 * m
    heights = []
    for scores in (normal, anomalous):
        counts, _ = np.histogram(np.clip(np.ravel(scores), lo, hi), edges)
        heights.append(counts / max(counts.sum(), 1))
    top = max(float(max(h.max() for h in heights)), 1e-9)
    layer = np.zeros((size, size, 2), bool)
    for k, h in enumerate(heights):
        for b in range(bins):
            x0, x1 = m + 1 + int(b * span / bins), m + int((b + 1) * span / bins)
            y0 = size - m - int(h[b] / top * (span - 2))
            layer[y0:size - m, x0:x1 + 1, k] = True
    canvas[layer[..., 0]] = BLUE
    canvas[layer[..., 1]] = RED
    canvas[layer[..., 0] & layer[..., 1]] = (140, 60, 150)
    if threshold is not None:
        x = m + (threshold - lo) / (hi - lo) * span
        _line(canvas, x, m, x, size - m, BLACK)
    return canvas


def save_png(picture: np.ndarray, path: str) -> str:
    """Writes a uint8 RGB picture as a PNG file; returns the path."""
    import os

    import tensorflow as tf

    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tf.io.write_file(path, tf.io.encode_png(picture))
    return path
