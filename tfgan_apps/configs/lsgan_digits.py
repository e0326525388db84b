"""LSGAN (Mao et al. 2017) on digits: the DCGAN recipe with the least-squares loss.

    tfgan-train --config=lsgan_digits
"""

from tfgan_apps.config import dcgan_digits_config


def get_config():
    """Least-squares loss with a = 0, b = c = 1."""
    config = dcgan_digits_config()
    config.name = "lsgan_digits"
    config.model.loss = "least_squares"
    return config
