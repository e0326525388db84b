"""Callbacks that belong to one model family (returned by a model's ``training_callbacks``).

``AutoencoderPictures`` (adversarial autoencoder): reconstruction pairs and, for 2-D codes, a scatter of the
codes over prior samples, written to TensorBoard every N steps and at the final step of the run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import tensorflow as tf

from tfgan_apps import visualize
from tfgan_apps.callbacks import PeriodicCallback


class AutoencoderPictures(PeriodicCallback):
    """Writes ``Reconstructions`` (rows of real | reconstructed pairs, image data) and, for 2-D codes, ``Codes``
    (E(x) in red over prior samples in grey) every ``every`` steps and at the final step.

    The model needs ``reconstruct(x)``, ``encode(x)``, ``generate_codes(n, seed)`` and ``latent_dim``
    (``models.aae.AdversarialAutoencoder``).
    """

    def __init__(self, writer: tf.summary.SummaryWriter, every: int, examples: np.ndarray,
                 final_step: int | None = None, pairs: int = 32) -> None:
        super().__init__(every, final_step)
        self.writer, self.examples, self.pairs = writer, np.asarray(examples), int(pairs)

    def on_period(self, step: int, logs: Mapping[str, Any]) -> None:
        if not self.due(step):
            return
        with self.writer.as_default(step=step):
            if self.examples.ndim == 4:
                x = self.examples[:self.pairs]
                pairs = np.stack([x, np.asarray(self.model.reconstruct(x))], axis=1).reshape((-1, *x.shape[1:]))
                tf.summary.image("Reconstructions", visualize.image_grid(pairs, cols=8)[None])
            if self.model.latent_dim == 2:
                codes = np.asarray(self.model.encode(self.examples))
                prior = self.model.generate_codes(len(self.examples), seed=0).numpy()
                tf.summary.image("Codes", visualize.scatter_image(codes, prior)[None])
        self.writer.flush()
