"""Your own colour photos at 64×64: a DCGAN generator against an R1-regularised discriminator.

    tfgan-train --config=folder_rgb --config.data.source=folder:/path/to/photos [--workdir=runs/mine]
    tfgan-generate --model=runs/mine --num=64              # a grid of samples

Every PNG/JPEG/BMP/GIF below the folder (recursively) is centre-cropped to a square and resized to
64 px, in RGB. Some hundreds of photos of one kind of subject (faces, flowers, rooms) work best;
pass --config.data.skip_corrupt=True to skip unreadable files instead of stopping.
"""

from tfgan_apps.config import base_config
from tfgan_apps.configs import FOLDER_PLACEHOLDER


def get_config():
    """DCGAN G (Radford et al. 2016; width 64: 512×4×4 → 64×64×3, BatchNorm) and a DCGAN D without
    normalisation under R1, γ = 10 (Mescheder et al. 2018: the zero-centred penalty on real data that
    makes the simultaneous-gradient game converge; BatchNorm is off in D because the penalty is
    per-example). Non-saturating loss, Adam 2e-4 / β1 0.5, batch 64, z ∈ R¹²⁸; an EMA copy of G
    (β = 0.999) gives the samples and the export."""
    config = base_config()
    config.name = "folder_rgb"
    config.data.source = FOLDER_PLACEHOLDER  # training refuses it, naming the flag to pass
    config.data.image_size = 64
    config.data.channels = 3
    config.data.batch_size = 64
    config.model.latent_dim = 128
    config.model.generator.width = 64
    config.model.discriminator.width = 64
    config.model.discriminator.norm = "none"
    config.model.penalties.r1 = 10.0
    config.model.stabilizers.ema = True
    config.train.steps = 10000
    config.train.log_every = 100
    config.train.image_every = 500
    config.train.checkpoint_every = 1000
    return config
