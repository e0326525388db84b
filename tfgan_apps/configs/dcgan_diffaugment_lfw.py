"""DCGAN with DiffAugment (Zhao et al. 2020) and a generator EMA on the 100 LFW faces (source `lfw`).

    tfgan-train --config=dcgan_diffaugment_lfw
"""

from tfgan_apps.config import base_config


def get_config():
    """dcgan_lfw + DiffAugment ``color,translation,cutout`` on every D input, EMA β = 0.999 for samples/export.

    With only 100 images D overfits quickly; DiffAugment is the paper's remedy for
    this low-data regime (compare D/real_score with the dcgan_lfw recipe).
    """
    config = base_config()
    config.name = "dcgan_diffaugment_lfw"
    config.data.source = "lfw"
    config.model.generator.width = 32
    config.model.discriminator.width = 32
    config.model.stabilizers.diffaugment = "color,translation,cutout"
    config.model.stabilizers.ema = True
    config.model.stabilizers.ema_decay = 0.999
    config.train.steps = 2000
    return config
