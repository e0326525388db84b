"""BiGAN / ALI (Donahue et al. 2017; Dumoulin et al. 2017) on the bundled digits, 32×32.

    tfgan-train --config=bigan_digits

Exports ``export/generator`` (z → images) and ``export/encoder`` (uint8 images → z).
"""

import ml_collections

from tfgan_apps.config import dcgan_digits_config


def get_config():
    """DCGAN G, DCGAN-body encoder (BatchNorm), joint D(x, z) without normalisation; non-saturating loss."""
    config = dcgan_digits_config()
    config.name = "bigan_digits"
    config.model.name = "bigan"
    config.model.latent_dim = 64
    config.model.discriminator = ml_collections.ConfigDict(
        {"type": "bigan", "width": 32, "norm": "none", "z_width": 256, "joint_width": 512, "spectral_norm": False}
    )
    config.model.encoder = ml_collections.ConfigDict({"type": "bigan", "width": 32, "norm": "batch"})
    config.train.steps = 3000
    return config
