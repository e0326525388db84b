"""Unpaired night → day with CycleGAN on the bundled photos: A = clean photos, B = *other* photos made "night".

    tfgan-train --config=cyclegan_night_photos [--config.train.steps=...]

The recipe of ``cyclegan_derain_photos`` (the paper's settings, CPU-sized; see there) with the B domain
degraded by the synthetic ``night`` (``data/degradations.py``: darkened ×0.25–0.45, gamma 1.3–1.8,
blue shift, shot + read noise). F: B → A (``export/translator_ba``) turns night into day; the held-out
photos (``chelsea``, ``coffee``) keep their clean truth for PSNR/SSIM (``benchmarks/translation.py``).
"""

from tfgan_apps.configs.cyclegan_derain_photos import unpaired_photos_config


def get_config():
    """CycleGAN night → day: A = clean photos, B = other photos with ``night``."""
    return unpaired_photos_config("cyclegan_night_photos", {"type": "night"})
