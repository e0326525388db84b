"""Unpaired de-raining with CycleGAN on the bundled photos: nothing pairs a rainy photo with its clean version.

    tfgan-train --config=cyclegan_derain_photos [--config.train.steps=...]

Domain A = clean 64 px crops of one half of the training photos (``CLEAN_PHOTOS``), domain B = crops of
the *other* half (``RAINY_PHOTOS``) with synthetic heavy rain (``data.degradation_b``: ``rain_heavy``,
Rain100H-like; ``tfgan_apps/data/unpaired.py``). The two domains are drawn independently. F: B → A
(``export/translator_ba``) is the de-rainer; the held-out photos ``data.eval_photos`` (in neither half)
keep their clean truth, so its PSNR/SSIM can be measured (``benchmarks/translation.py``).

The paper's settings (Zhu et al. 2017): ResNet generators (6 residual blocks at ≤ 128 px) with instance
norm, 70×70 PatchGAN discriminators, least-squares GAN, cycle λ = 10, identity 0.5·λ, a pool of 50 past
fakes per discriminator (``stabilizers.replay`` 0.5, ``replay_size`` 50), Adam 2e-4 β1 0.5 with a linear
decay over the second half (to 1 % of the rate; the paper: to 0). Departures for a shared 2-core CPU and
≤ 30 minutes of training: generator width 16 and discriminator width 32 instead of 64 (a width-32
generator took 4 s per step on the shared machine, width 16 1.6 s), 64 px crops, batch 4 (the paper: 1).
The generators are the paper's plain ones: residual generators (``model.generator.residual=True``, output =
input + correction) start at the identity, where the L1 cycle and identity terms pin them (L1's gradient
does not shrink near 0): in 22-minute runs F stayed the identity to 49 dB (rain) and 95 dB (night)
(``benchmarks/results/translation.md``).

4,000 steps (about 16 minutes on 2 idle cores: 4.1 steps/s measured on an AMD EPYC, 2026-12-08). Measured at
these defaults (``python benchmarks/translation.py --tasks=derain --steps=4000``, held-out ``chelsea`` /
``coffee``): F(B) 12.90 dB against 13.90 for the rainy input (the issue's target, 16.90, is not met; the paired
pix2pix model of the same task: 24.05). F removes the streaks but draws grey images: three of the five
``CLEAN_PHOTOS`` (``camera``, ``coins``, ``grass``) are greyscale photos, so to D_A a clean photo is mostly a grey
one. The night recipe (same settings) meets its target on luminance (13.59 dB vs 9.14).
"""

import ml_collections

from tfgan_apps.config import base_config

CLEAN_PHOTOS = ("astronaut", "camera", "china", "coins", "grass")
RAINY_PHOTOS = ("rocket", "clock", "flower", "motorcycle", "gravel")


def unpaired_photos_config(name: str, degradation_b: dict) -> ml_collections.ConfigDict:
    """The shared CycleGAN-on-photos recipe: A = clean ``CLEAN_PHOTOS`` crops, B = ``RAINY_PHOTOS`` crops
    degraded by ``degradation_b``; held-out ``chelsea`` and ``coffee`` (192 px centre crops, seed 2024)."""
    config = base_config()
    config.name = name
    config.model.name = "cyclegan"
    config.model.loss = "least_squares"
    config.model.generator = ml_collections.ConfigDict(
        {"type": "resnet_translator", "width": 16, "blocks": 6, "norm": "instance", "residual": False})
    config.model.discriminator = ml_collections.ConfigDict(
        {"type": "patchgan", "width": 32, "n_layers": 3, "norm": "instance"})
    config.model.cycle_weight = 10.0
    config.model.identity_weight = 5.0
    config.model.adversarial_weight = 2.0
    config.model.size_multiple = 4
    config.model.reuse_fakes = True  # one G/F forward pass per step, as the reference code
    config.model.stabilizers.replay = 0.5
    config.model.stabilizers.replay_size = 50

    config.data.source = f"unpaired:photos:{','.join(CLEAN_PHOTOS)}|photos:{','.join(RAINY_PHOTOS)}"
    config.data.channels = 3
    config.data.image_size = 64
    config.data.batch_size = 4
    config.data.degradation_b = ml_collections.ConfigDict(degradation_b)
    config.data.eval_photos = ("chelsea", "coffee")
    config.data.eval_crop = 192
    config.data.eval_seed = 2024

    config.train.steps = 4000
    config.train.g_lr = 2e-4
    config.train.d_lr = 2e-4
    config.train.beta_1 = 0.5
    config.train.lr_decay = "linear"
    config.train.lr_decay_start = 0.5
    config.train.lr_decay_final = 0.01  # the schedule needs > 0; the paper decays to 0
    config.train.log_every = 100
    config.train.image_every = 500
    config.train.checkpoint_every = 500
    config.train.jit_compile = False
    return config


def get_config():
    """CycleGAN de-raining: A = clean photos, B = other photos with ``rain_heavy``; 4000 steps of batch 4."""
    return unpaired_photos_config("cyclegan_derain_photos", {"type": "rain_heavy"})
