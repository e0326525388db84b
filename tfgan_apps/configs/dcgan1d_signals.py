"""1-D DCGAN on synthetic signals (random sines and chirps plus noise, length 64).

    tfgan-train --config=dcgan1d_signals
"""

from tfgan_apps.config import base_config


def get_config():
    """conv1d G/D; ``data.image_size`` is the signal length."""
    config = base_config()
    config.name = "dcgan1d_signals"
    config.data.source = "signals_1d"
    config.data.image_size = 64
    config.model.generator = {"type": "conv1d", "width": 32, "norm": "batch"}
    config.model.discriminator = {"type": "conv1d", "width": 32, "norm": "none", "spectral_norm": False}
    config.train.steps = 2000
    return config
