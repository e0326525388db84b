"""R1-regularised GAN (Mescheder et al. 2018, "Which Training Methods for GANs do actually Converge?").

    tfgan-train --config=r1_gan_digits
"""

from tfgan_apps.config import dcgan_digits_config


def get_config():
    """Non-saturating loss + R1 (γ = 10) on real data; D without BatchNorm, as in the paper."""
    config = dcgan_digits_config()
    config.name = "r1_gan_digits"
    config.model.penalties.r1 = 10.0
    config.model.discriminator.norm = "none"
    return config
