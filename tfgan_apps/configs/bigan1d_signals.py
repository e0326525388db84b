"""BiGAN / ALI (Donahue et al. 2017; Dumoulin et al. 2017) on synthetic 1-D signals (sines and chirps, length 64).

    tfgan-train --config=bigan1d_signals

Exports ``export/generator`` (z → signals) and ``export/encoder`` (float32 signals → z).
"""

import ml_collections

from tfgan_apps.config import base_config


def get_config():
    """conv1d G, conv1d-body encoder, joint D(x, z) with a conv1d x-branch; ``data.image_size`` is the length."""
    config = base_config()
    config.name = "bigan1d_signals"
    config.model.name = "bigan"
    config.data.source = "signals_1d"
    config.data.image_size = 64
    config.model.latent_dim = 32
    config.model.generator = ml_collections.ConfigDict({"type": "conv1d", "width": 32, "norm": "batch"})
    config.model.discriminator = ml_collections.ConfigDict(
        {"type": "bigan1d", "width": 32, "norm": "none", "z_width": 128, "joint_width": 256, "spectral_norm": False}
    )
    config.model.encoder = ml_collections.ConfigDict({"type": "bigan1d", "width": 32, "norm": "batch"})
    config.train.steps = 2000
    return config
