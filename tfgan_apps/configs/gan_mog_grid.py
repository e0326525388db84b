"""Vanilla GAN (MLPs) on PacGAN's 2-D grid: 25 modes on {−4, −2, 0, 2, 4}², σ = 0.05.

    tfgan-train --config=gan_mog_grid
"""

from tfgan_apps.config import mog_config


def get_config():
    """The ring recipe on the 25-mode grid."""
    config = mog_config()
    config.name = "gan_mog_grid"
    config.data.source = "mog_grid"
    return config
