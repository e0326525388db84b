"""Callbacks that belong to one model family (returned by a model's ``training_callbacks``).

All act every N steps and at the final step of the run (``callbacks.PeriodicCallback``):

* ``AutoencoderPictures`` (adversarial autoencoder): reconstruction pairs and, for 2-D codes, a scatter of the
  codes over prior samples;
* ``CodeGrid`` (InfoGAN): one grid per continuous code, rows = categories, columns = the code swept over [−1, 1];
* ``HeldoutAccuracy`` (semi-supervised GAN, or any model with ``classify``): ``Eval/heldout_accuracy``;
* ``TranslationRows`` (CycleGAN): rows A, G(A), F(G(A)) and B, F(B), G(F(B));
* ``GrowingStrip`` (PGGAN): the same latent batch at the end of every stage, one titled column per resolution.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import tensorflow as tf
from absl import logging

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


class CodeGrid(PeriodicCallback):
    """Writes ``Codes/continuous_<i>``: rows = categories, columns = continuous code i swept from −1 to 1.

    Noise is fixed (seed 1234) and the other continuous codes are 0, as in InfoGAN's Fig. 2; without
    continuous codes one ``Codes/categorical`` grid (a row per category).
    """

    def __init__(self, writer: tf.summary.SummaryWriter, every: int, columns: int = 8,
                 final_step: int | None = None) -> None:
        super().__init__(every, final_step)
        self.writer, self.columns = writer, columns

    def on_period(self, step: int, logs: Mapping[str, Any]) -> None:
        if not self.due(step):
            return
        model = self.model
        rows = max(model.categories, 1)
        n = rows * self.columns
        z = np.repeat(np.asarray(tf.random.stateless_normal([1, model.latent_dim], seed=[1234, 0])), n, axis=0)
        categorical = np.repeat(np.arange(rows, dtype=np.int32), self.columns)
        sweep = np.tile(np.linspace(-1.0, 1.0, self.columns, dtype=np.float32), rows)
        with self.writer.as_default(step=step):
            for i in range(model.continuous):
                continuous = np.zeros((n, model.continuous), np.float32)
                continuous[:, i] = sweep
                samples = model.generate(z, codes={"categorical": categorical, "continuous": continuous})
                tf.summary.image(f"Codes/continuous_{i}", visualize.image_grid(np.asarray(samples),
                                                                               cols=self.columns)[None], step=step)
            if not model.continuous:
                samples = model.generate(z, codes={"categorical": categorical})
                tf.summary.image("Codes/categorical", visualize.image_grid(np.asarray(samples),
                                                                           cols=self.columns)[None], step=step)
        self.writer.flush()


class HeldoutAccuracy(PeriodicCallback):
    """Writes the classifier's held-out accuracy as ``Eval/heldout_accuracy`` (``models.sgan.heldout_accuracy``)."""

    def __init__(self, writer: tf.summary.SummaryWriter, every: int, images: np.ndarray, labels: np.ndarray,
                 final_step: int | None = None) -> None:
        super().__init__(every, final_step)
        self.writer, self.images, self.labels = writer, images, labels
        self.history: list[tuple[int, float]] = []

    def on_period(self, step: int, logs: Mapping[str, Any]) -> None:
        if not self.due(step):
            return
        from tfgan_apps.models.sgan import heldout_accuracy

        accuracy = heldout_accuracy(self.model, self.images, self.labels)
        self.history.append((step, accuracy))
        with self.writer.as_default(step=step):
            tf.summary.scalar("Eval/heldout_accuracy", accuracy)
        self.writer.flush()
        logging.info("step %d: held-out accuracy %.4f on %d examples", step, accuracy, len(self.labels))


class TranslationRows(PeriodicCallback):
    """Every ``every`` steps (and at the end) writes ``Translation/A`` (rows A, G(A), F(G(A))) and
    ``Translation/B`` (rows B, F(B), G(F(B))) for ``count`` fixed training images of each domain."""

    def __init__(self, writer: tf.summary.SummaryWriter, every: int, source: Any, count: int = 6,
                 final_step: int | None = None) -> None:
        super().__init__(every, final_step)
        self.writer = writer
        self.images = {key: source.domain_examples(key, count) for key in ("a", "b")}

    def rows(self) -> dict[str, np.ndarray]:
        """``{"A": [3·n, H, W, C], "B": ...}`` in [-1, 1]: the input row, its translation, its cycle."""
        model = self.model
        out = {}
        for key, there, back in (("a", "ab", "ba"), ("b", "ba", "ab")):
            x = self.images[key]
            fake = model.translate(x, there)
            out[key.upper()] = np.concatenate([x, fake.numpy(), model.translate(fake, back).numpy()])
        return out

    def on_period(self, step: int, logs: Mapping[str, Any]) -> None:
        if not self.due(step):
            return
        from tfgan_apps.visualize import image_grid

        with self.writer.as_default(step=step):
            for name, rows in self.rows().items():
                grid = image_grid(rows, cols=len(rows) // 3)
                tf.summary.image(f"Translation/{name}", grid[None], step=step)
        self.writer.flush()


class GrowingStrip(PeriodicCallback):
    """PGGAN's growing-resolution strip: ``Growing/stages``, one column per stage (4 px, 8 px, ...), one row per
    fixed latent vector, each column rendered when its stage ends.

    A column is drawn at the first epoch end at or after the stage's last step, from ``inference_generator``
    (the EMA copy when on) at that stage with α = 1, nearest-upsampled to the final resolution; at the final
    step the current stage gets its column too (a run shorter than its schedule). The picture grows as stages
    finish. Columns of stages that ended before a resume are not redrawn (a resumed run's strip starts there).
    The model needs ``stage_steps``, ``resolutions``, ``final_resolution`` and ``latent_dim``
    (``models.pggan.PGGAN``).
    """

    def __init__(self, writer: tf.summary.SummaryWriter, count: int = 8, seed: int = 1234,
                 final_step: int | None = None) -> None:
        super().__init__(every=0, final_step=final_step)
        self.writer, self.count, self.seed = writer, int(count), int(seed)
        self.columns: dict[int, np.ndarray] = {}

    def column(self, stage: int) -> np.ndarray:
        """``count`` samples of the fixed latent batch at ``stage`` (α = 1), [count, H, W, C] in [−1, 1]."""
        from tfgan_apps.nets.pggan import upscale

        model = self.model
        z = tf.random.stateless_normal([self.count, model.latent_dim], seed=[self.seed, 0])
        factor = model.final_resolution // model.resolutions[stage]
        images = model.inference_generator(z, stage=stage, alpha=1.0, training=False)
        return np.clip(np.asarray(upscale(images, factor)), -1.0, 1.0)

    def picture(self) -> np.ndarray:
        """The strip so far: a titled column per finished stage, side by side (uint8)."""
        resolutions = self.model.resolutions
        panels = [visualize.with_title(visualize.image_grid(self.columns[k], cols=1), f"{resolutions[k]} px")
                  for k in sorted(self.columns)]
        gap = np.full((panels[0].shape[0], 4, panels[0].shape[2]), 255, np.uint8)
        return np.concatenate([p for panel in panels for p in (panel, gap)][:-1], axis=1)

    def on_period(self, step: int, logs: Mapping[str, Any]) -> None:
        ends = np.cumsum(self.model.stage_steps)
        finished = {k for k, end in enumerate(ends) if self._last < end <= step}
        if self.is_final(step):
            finished.add(int(self.model.schedule()[0]))
        finished -= set(self.columns)
        if not finished:
            return
        for k in sorted(finished):
            self.columns[k] = self.column(k)
        picture = self.picture()
        with self.writer.as_default(step=step):
            tf.summary.image("Growing/stages", picture[None], step=step)
        self.writer.flush()
