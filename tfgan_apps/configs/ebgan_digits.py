"""EBGAN-PT (Zhao et al. 2017) on digits: auto-encoder energy discriminator with a margin, pull-away term on G.

    tfgan-train --config=ebgan_digits

In TensorBoard: D/real_score and D/fake_score (the MSE energies D(x) and D(G(z)); fakes sit near the
margin m while D wins), Train/pull_away (falls as samples diversify). config.model.loss is unused.
"""

import ml_collections

from tfgan_apps.config import dcgan_digits_config


def get_config():
    """Margin m = 1 on the per-pixel MSE energy (images in [-1, 1]), λ_PT = 0.1, 16 px, 64-d bottleneck, Adam 2e-4."""
    config = dcgan_digits_config()
    config.name = "ebgan_digits"
    config.model.name = "ebgan"
    config.model.margin = 1.0
    config.model.pt_weight = 0.1
    # 16 px (the digits are 8×8): the auto-encoder's full-resolution decoder costs ~10× a DCGAN D at 32 px.
    config.data.image_size = 16
    config.model.discriminator = ml_collections.ConfigDict(
        {"type": "autoencoder", "width": 16, "bottleneck": 64, "norm": "none"}
    )
    return config
