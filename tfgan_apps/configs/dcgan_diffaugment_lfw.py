"""DCGAN with DiffAugment (Zhao et al. 2020) and a generator EMA on the 100 LFW faces (source `lfw`).

    tfgan-train --config=dcgan_diffaugment_lfw

Measured against ``dcgan_lfw`` (the same DCGAN without the two) by ``benchmarks/faces.py``
(benchmarks/results/faces.md): a 2 × 2 ablation over seeds, samples in docs/faces_diffaugment_lfw.png.
At these 2,000 steps the EMA helps (lower KID, less noisy faces) but DiffAugment does not: its faces
are blurrier and its KID higher than ``dcgan_lfw``'s. The recipe shows the method; for faces at this
budget use ``dcgan_lfw``.
"""

from tfgan_apps.config import base_config


def get_config():
    """dcgan_lfw + DiffAugment ``color,translation,cutout`` on every D input (real and fake, D and G steps)
    and an EMA of G (β = 0.995) for samples and export.

    With only 100 images D overfits quickly; DiffAugment is the paper's remedy for this low-data regime.
    β = 0.995 (a half-life of ≈ 140 steps, StyleGAN's 10k images at batch 64) rather than 0.999: after
    this recipe's 2,000 steps β^2000 of the EMA is still the random initial generator (13 % at 0.999,
    0.004 % at 0.995), which drew washed-out grey faces.
    """
    config = base_config()
    config.name = "dcgan_diffaugment_lfw"
    config.data.source = "lfw"
    config.model.generator.width = 32
    config.model.discriminator.width = 32
    config.model.stabilizers.diffaugment = "color,translation,cutout"
    config.model.stabilizers.ema = True
    config.model.stabilizers.ema_decay = 0.995
    config.train.steps = 2000
    return config
