"""DCGAN on the bundled sklearn digits, 32×32 (the README's main command).

    tfgan-train --config=dcgan_digits
"""

from tfgan_apps.config import dcgan_digits_config


def get_config():
    """DCGAN (Radford et al. 2016), non-saturating loss, BatchNorm G and D, Adam 2e-4 / β1 0.5."""
    return dcgan_digits_config()
