"""Unpaired night → day with CycleGAN on the bundled photos: A = clean photos, B = *other* photos made "night".

    tfgan-train --config=cyclegan_night_photos [--config.train.steps=...]

The recipe of ``cyclegan_derain_photos`` (the paper's settings, CPU-sized; see there) with the B domain
degraded by the synthetic ``night`` (``data/degradations.py``: darkened ×0.25–0.45, gamma 1.3–1.8,
blue shift, shot + read noise). F: B → A (``export/translator_ba``) turns night into day; the held-out
photos (``chelsea``, ``coffee``) keep their clean truth for PSNR/SSIM (``benchmarks/translation.py``).

Measured at its defaults (4,000 steps, about 16 minutes on 2 idle cores; ``python benchmarks/translation.py
--tasks=night --steps=4000``, AMD EPYC, 2026-12-08): F(B) 13.59 dB on the held-out ``chelsea`` / ``coffee``
against 9.14 for the night input (issue 18's target, input + 3 dB = 12.14: met), auto gamma + grey world 14.08,
the paired pix2pix model 22.06. Its day is grey: three of the five clean A-domain photos are greyscale (see
``cyclegan_derain_photos``).
"""

from tfgan_apps.configs.cyclegan_derain_photos import unpaired_photos_config


def get_config():
    """CycleGAN night → day: A = clean photos, B = other photos with ``night``."""
    return unpaired_photos_config("cyclegan_night_photos", {"type": "night"})
