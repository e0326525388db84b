"""Restoration training callback: input / output / target pictures and held-out PSNR/SSIM in TensorBoard.

``RestorationMonitor`` (returned by ``ImageToImage.training_callbacks``) writes

* ``Restoration/input_output_target`` every ``train.image_every`` steps and at the
  final step: rows of
  fixed validation crops (from the held-out photos when ``data.eval_photos`` is
  set), each row the degraded input (nearest-upsampled for SR), the model's
  output and the clean target;
* ``Eval/psnr``, ``Eval/ssim``, ``Eval/psnr_y``, ``Eval/ssim_y`` (and for inpainting
  ``Eval/hole_psnr``, ``Eval/hole_ssim`` inside the held-out holes) every
  ``train.eval_every`` steps (0 or unset: only at the final step) and at the
  final step of the run, on the held-out images of
  ``data.paired.held_out_pairs`` (fixed centre crops degraded with a fixed seed),
  and once at the start the same metrics of the degraded inputs
  (``Eval/input_*``, bicubic-upsampled for SR) as the reference to beat.

Metrics are computed as served: outputs and targets quantised to uint8, RGB
and BT.601 luma (Y, MATLAB convention), ``crop_border = scale`` for SR.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import tensorflow as tf
from absl import logging

from tfgan_apps.callbacks import PeriodicCallback, write_scalars
from tfgan_apps.data.paired import Pair, held_out_pairs, validation_crops
from tfgan_apps.metrics.image_quality import psnr, ssim
from tfgan_apps.visualize import to_uint8

RestoreFn = Callable[[np.ndarray], Any]
"""Maps float32 ``[1, h, w, C]`` in [-1, 1] to ``[1, s·h, s·w, C]`` in [-1, 1]."""


def quality(output: np.ndarray, target: np.ndarray, scale: int = 1, mask: np.ndarray | None = None
            ) -> dict[str, float]:
    """PSNR/SSIM of one [-1, 1] HWC image against its target on uint8 values, RGB and Y (3 channels only);
    with an inpainting ``mask`` ([H, W], 1 = hole) also ``hole_psnr`` / ``hole_ssim`` inside the holes."""
    out, ref = to_uint8(output), to_uint8(target)
    border = scale if scale > 1 else 0
    values = {"psnr": psnr(out, ref, 255, crop_border=border), "ssim": ssim(out, ref, 255, crop_border=border)}
    if out.shape[-1] == 3:
        values["psnr_y"] = psnr(out, ref, 255, y_channel=True, crop_border=border)
        values["ssim_y"] = ssim(out, ref, 255, y_channel=True, crop_border=border)
    if mask is not None and np.any(mask > 0.5):
        from tfgan_apps.metrics.translation import hole_psnr, hole_ssim

        values["hole_psnr"] = hole_psnr(out, ref, mask, data_range=255.0)
        values["hole_ssim"] = hole_ssim(out, ref, mask, data_range=255.0)
    return values


def evaluate_pairs(restore: RestoreFn, pairs: Sequence[Pair], scale: int = 1) -> dict[str, float]:
    """Mean ``quality`` of ``restore(input)`` over the held-out pairs (one image at a time); an input with one
    channel more than its target is an inpainting input whose last channel is the hole mask."""
    per_image = [quality(np.asarray(restore(x_in[None]))[0], x_tg, scale,
                         x_in[..., -1] if x_in.shape[-1] == x_tg.shape[-1] + 1 else None)
                 for _, x_in, x_tg in pairs]
    return {k: float(np.mean([v[k] for v in per_image])) for k in per_image[0]}


def bicubic(images: np.ndarray, scale: int) -> np.ndarray:
    """Bicubic ×scale upsampling of [-1, 1] NHWC images (the SR baseline), clipped to [-1, 1]."""
    if scale == 1:
        return np.asarray(images)
    size = (images.shape[1] * scale, images.shape[2] * scale)
    return np.clip(tf.image.resize(images, size, method="bicubic").numpy(), -1.0, 1.0)


def triptych(inputs: np.ndarray, outputs: np.ndarray, targets: np.ndarray, pad: int = 2) -> np.ndarray:
    """uint8 picture: one row per example of [input (nearest-upsampled to the target size; its image channels
    only) | output | target]."""
    scale = targets.shape[1] // inputs.shape[1]
    inputs = np.asarray(inputs)[..., : targets.shape[-1]]  # an inpainting input's mask channel is not shown
    inputs = np.repeat(np.repeat(np.asarray(inputs), scale, axis=1), scale, axis=2)
    rows = []
    for x_in, out, x_tg in zip(inputs, outputs, targets):
        gap = np.full((x_tg.shape[0], pad, x_tg.shape[2]), 255, np.uint8)
        rows.append(np.concatenate([to_uint8(x_in), gap, to_uint8(out), gap, to_uint8(x_tg)], axis=1))
        rows.append(np.full((pad, rows[-1].shape[1], x_tg.shape[2]), 255, np.uint8))
    return np.concatenate(rows[:-1], axis=0)


class RestorationMonitor(PeriodicCallback):
    """Writes validation triptychs every ``image_every`` steps and held-out metrics every ``eval_every`` steps,
    both also at the final step of the run (``PeriodicCallback``)."""

    def __init__(self, writer: tf.summary.SummaryWriter, image_every: int, eval_every: int,
                 validation: tuple[np.ndarray, np.ndarray], held_out: Sequence[Pair], scale: int = 1,
                 final_step: int | None = None) -> None:
        super().__init__(image_every, final_step)
        self.writer, self.image_every, self.eval_every = writer, int(image_every), int(eval_every)
        self.validation, self.held_out, self.scale = validation, list(held_out), scale
        self.last_metrics: dict[str, float] = {}

    @classmethod
    def from_config(cls, writer: tf.summary.SummaryWriter, model: Any, source: Any, config: Any,
                    count: int = 6) -> RestorationMonitor:
        """Builds the monitor of a run: fixed validation crops, the held-out pairs and intervals from ``config``."""
        validation = validation_crops(config.data, source, model.degradation, count)
        eval_every = int(config.train.get("eval_every", 0) or 0)
        held_out = held_out_pairs(config.data, model.degradation, model.scale)
        return cls(writer, config.train.image_every, eval_every, validation, held_out, model.scale,
                   final_step=config.train.steps)

    def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        super().on_train_begin(logs)
        if self.held_out and self._last == 0:
            channels = self.held_out[0][2].shape[-1]  # without an inpainting input's mask channel
            reference = evaluate_pairs(lambda x: bicubic(x[..., :channels], self.scale), self.held_out, self.scale)
            write_scalars(self.writer, 0, {f"Eval/input_{k}": v for k, v in reference.items()})

    def on_period(self, step: int, logs: Mapping[str, Any]) -> None:
        if self.due(step, self.image_every):
            inputs, targets = self.validation
            outputs = self.model.restore(inputs).numpy()
            with self.writer.as_default(step=step):
                tf.summary.image("Restoration/input_output_target", triptych(inputs, outputs, targets)[None])
            self.writer.flush()
        if self.held_out and self.due(step, self.eval_every):
            self.last_metrics = evaluate_pairs(lambda x: self.model.restore(x), self.held_out, self.scale)
            write_scalars(self.writer, step, {f"Eval/{k}": v for k, v in self.last_metrics.items()})
            logging.info("step %d held-out: %s", step,
                         ", ".join(f"{k}={v:.4f}" for k, v in self.last_metrics.items()))
