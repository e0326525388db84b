"""DCGAN on the 100 faces of scikit-image's bundled LFW subset (grey 25×25, resized to 32×32; source `lfw`).

    tfgan-train --config=dcgan_lfw
"""

from tfgan_apps.config import base_config


def get_config():
    """The digits DCGAN recipe on the LFW faces; 100 images, so D overfits quickly: watch D/real_score."""
    config = base_config()
    config.name = "dcgan_lfw"
    config.data.source = "lfw"
    config.model.generator.width = 32
    config.model.discriminator.width = 32
    config.train.steps = 2000
    return config
