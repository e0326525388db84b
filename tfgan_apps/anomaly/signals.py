"""Anomalies injected into held-out synthetic 1-D signals (``signals_1d``), for the signal experiment.

The normal data are ``data/toy.py``'s sines and chirps with noise. A chosen
fraction of held-out signals gets one anomaly of a kind:

* ``spike``: one sample set to ±(0.9–1.0) at a random position (a sensor glitch);
* ``level_shift``: from a random point on, the signal is offset by ±(0.4–0.6)
  (clipped to [-1, 1]);
* ``frequency_change``: from a random point on, the signal is replaced by a
  sine of 2.5–4× the local frequency with the same amplitude (phase continuous
  at the change point is not enforced).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tfgan_apps.errors import ConfigError

ANOMALY_KINDS = ("spike", "level_shift", "frequency_change")


def heldout_signals(data_cfg: Any, count: int, seed: int) -> np.ndarray:
    """``count`` normal signals [N, L, 1] drawn with a seed no training batch uses (training seeds are ≥ 0)."""
    import tensorflow as tf

    from tfgan_apps.data.toy import Signals1D

    source = Signals1D(int(data_cfg.image_size), float(data_cfg.get("noise", 0.05)))
    out = source.load(tf.range(count, dtype=tf.int64), tf.zeros([count], tf.int64),
                      tf.constant([-1 - seed, 77], tf.int64))
    return out["x"].numpy()


def inject(signals: np.ndarray, kind: str, fraction: float = 0.5, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(signals with anomalies in a random ``fraction`` of them, labels: 1 = anomaly)."""
    if kind not in ANOMALY_KINDS:
        raise ConfigError(f"unknown anomaly kind {kind!r}; valid choices: {', '.join(ANOMALY_KINDS)}")
    rng = np.random.default_rng(seed)
    x = np.array(signals, np.float32, copy=True)
    n, length = x.shape[0], x.shape[1]
    labels = np.zeros(n, np.int32)
    chosen = rng.permutation(n)[: int(round(fraction * n))]
    labels[chosen] = 1
    t = np.arange(length, dtype=np.float32) / length
    for i in chosen:
        start = int(rng.integers(length // 8, length - length // 8))
        sign = rng.choice([-1.0, 1.0])
        if kind == "spike":
            x[i, start, 0] = sign * rng.uniform(0.9, 1.0)
        elif kind == "level_shift":
            x[i, start:, 0] = np.clip(x[i, start:, 0] + sign * rng.uniform(0.4, 0.6), -1.0, 1.0)
        else:
            amplitude = max(float(np.abs(x[i, :, 0]).max()), 0.3)
            crossings = np.count_nonzero(np.diff(np.sign(x[i, :, 0])))  # ≈ 2 × cycles over the signal
            freq = max(crossings / 2.0, 1.0) * rng.uniform(2.5, 4.0)
            x[i, start:, 0] = amplitude * np.sin(2 * np.pi * freq * t[start:] + rng.uniform(0, 2 * np.pi))
    return x, labels
