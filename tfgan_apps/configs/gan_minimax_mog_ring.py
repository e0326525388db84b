"""The original minimax GAN (Goodfellow et al. 2014, Eq. 1) with MLPs on the 8-mode ring.

    tfgan-train --config=gan_minimax_mog_ring
"""

from tfgan_apps.config import mog_config


def get_config():
    """The ring recipe with G minimising log(1 − D(G(z))) (saturating), to compare with gan_mog_ring."""
    config = mog_config()
    config.name = "gan_minimax_mog_ring"
    config.model.loss = "minimax"
    return config
