"""PacGAN (Lin et al. 2018) on the 25-mode 2-D grid: the discriminator judges 4 samples at once.

    tfgan-train --config=pacgan_mog_grid
"""

from tfgan_apps.config import mog_config


def get_config():
    """The grid recipe (gan_mog_grid) with packing m = 4 (PacGAN4); D's input is 4 × 2 = 8 features.

    The paper's grid networks are larger (G 4 × 400, D 3 × 200 maxout, batch 100);
    this keeps the shared MLPs (3 × 128, batch 256) so the only change from
    gan_mog_grid is the packing.
    """
    config = mog_config()
    config.name = "pacgan_mog_grid"
    config.data.source = "mog_grid"
    config.model.stabilizers.packing = 4
    return config
