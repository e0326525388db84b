"""Vanilla GAN (MLPs) on PacGAN's 2-D ring: 8 modes on the unit circle, σ = 0.01.

    tfgan-train --config=gan_mog_ring
"""

from tfgan_apps.config import mog_config


def get_config():
    """MLP G/D (3 × 128), 2-D N(0, I) latent, non-saturating loss, batch 256."""
    config = mog_config()
    config.name = "gan_mog_ring"
    return config
