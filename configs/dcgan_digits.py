"""DCGAN on the bundled sklearn digits, 32×32 (the README's main command).

    tfgan-train --config=configs/dcgan_digits.py
"""

from tfgan_apps.config import base_config


def get_config():
    """DCGAN (Radford et al. 2016), non-saturating loss, BatchNorm G and D, Adam 2e-4 / β1 0.5."""
    config = base_config()
    config.name = "dcgan_digits"
    config.model.generator.width = 32
    config.model.discriminator.width = 32
    config.train.steps = 2000
    return config
