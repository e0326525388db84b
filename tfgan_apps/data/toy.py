"""Synthetic sources: 2-D mixtures of Gaussians (PacGAN protocol) and 1-D signals."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import tensorflow as tf

from tfgan_apps.data.source import Source
from tfgan_apps.registry import SOURCES


def ring_centers(modes: int = 8, radius: float = 1.0) -> np.ndarray:
    """Mode centres (r·cos 2πi/n, r·sin 2πi/n), i = 0..n−1."""
    angles = 2 * np.pi * np.arange(modes) / modes
    return np.stack([radius * np.cos(angles), radius * np.sin(angles)], axis=1).astype(np.float32)


def grid_centers(side: int = 5, spacing: float = 2.0) -> np.ndarray:
    """Mode centres on a side×side grid centred at 0, e.g. {−4,−2,0,2,4}² for side 5, spacing 2."""
    ticks = (np.arange(side) - (side - 1) / 2) * spacing
    return np.array([(x, y) for x in ticks for y in ticks], np.float32)


class MixtureOfGaussians(Source):
    """Isotropic Gaussian mixture with equal weights; ``info`` holds centres and std for mode metrics."""

    def __init__(self, name: str, centers: np.ndarray, std: float) -> None:
        super().__init__(name=name, kind="points", shape=(2,), info={"centers": centers, "std": std})
        self.centers = centers
        self.std = std

    def load(self, positions: tf.Tensor, indices: tf.Tensor, seed: tf.Tensor) -> dict[str, tf.Tensor]:
        batch = tf.shape(positions)[0]
        seeds = tf.random.experimental.stateless_split(seed, 2)
        mode = tf.random.stateless_uniform([batch], seeds[0], 0, len(self.centers), dtype=tf.int32)
        noise = tf.random.stateless_normal([batch, 2], seeds[1], stddev=self.std)
        return {"x": tf.gather(tf.constant(self.centers), mode) + noise, "label": mode}

    def examples(self, limit: int | None = None) -> np.ndarray:
        n = limit or 2500
        out = self.load(tf.range(n, dtype=tf.int64), tf.zeros([n], tf.int64), tf.constant([0, 1], tf.int64))
        return out["x"].numpy()


@SOURCES.register("mog_ring")
def mog_ring(cfg: Any, argument: str | None = None) -> Source:
    """8 modes on the unit circle, σ = 0.01 (PacGAN's 2-D ring)."""
    return MixtureOfGaussians("mog_ring", ring_centers(8, 1.0), 0.01)


@SOURCES.register("mog_grid")
def mog_grid(cfg: Any, argument: str | None = None) -> Source:
    """25 modes on {−4, −2, 0, 2, 4}², σ = 0.05 (PacGAN's 2-D grid)."""
    return MixtureOfGaussians("mog_grid", grid_centers(5, 2.0), 0.05)


class Signals1D(Source):
    """Random sines and linear chirps with additive noise, length L, values in [-1, 1].

    x(t) = A·sin(2π(f₀t + ½kt²) + φ) + ε for t ∈ [0, 1): f₀ ~ U(1, 6) cycles,
    k = 0 (sine, label 0) or k ~ U(2, 10) (chirp, label 1) with equal probability,
    A ~ U(0.5, 0.9), φ ~ U(0, 2π), ε ~ N(0, noise²).
    """

    def __init__(self, length: int, noise: float) -> None:
        super().__init__(name="signals_1d", kind="signal", shape=(length, 1), num_classes=2)
        self.length = length
        self.noise = noise

    def load(self, positions: tf.Tensor, indices: tf.Tensor, seed: tf.Tensor) -> dict[str, tf.Tensor]:
        batch = tf.shape(positions)[0]
        s = tf.random.experimental.stateless_split(seed, 6)

        def u(i: int, lo: float, hi: float) -> tf.Tensor:
            return tf.random.stateless_uniform([batch, 1], s[i], lo, hi)

        chirp = tf.cast(u(0, 0, 1) < 0.5, tf.float32)
        f0, k, amp, phase = u(1, 1, 6), chirp * u(2, 2, 10), u(3, 0.5, 0.9), u(4, 0, 2 * math.pi)
        t = tf.range(self.length, dtype=tf.float32)[None] / self.length
        x = amp * tf.sin(2 * math.pi * (f0 * t + 0.5 * k * t * t) + phase)
        x += tf.random.stateless_normal([batch, self.length], s[5], stddev=self.noise)
        return {"x": tf.clip_by_value(x, -1.0, 1.0)[..., None], "label": tf.cast(chirp[:, 0], tf.int32)}

    def examples(self, limit: int | None = None) -> np.ndarray:
        n = limit or 1024
        out = self.load(tf.range(n, dtype=tf.int64), tf.zeros([n], tf.int64), tf.constant([0, 2], tf.int64))
        return out["x"].numpy()


@SOURCES.register("signals_1d")
def signals_1d(cfg: Any, argument: str | None = None) -> Source:
    """Synthetic 1-D signals of length ``cfg.image_size`` (noise std ``cfg.get('noise', 0.05)``)."""
    return Signals1D(int(cfg.image_size), float(cfg.get("noise", 0.05)))
