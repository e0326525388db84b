"""WGAN-GP (Gulrajani et al. 2017) on digits.

    tfgan-train --config=wgan_gp_digits
"""

from tfgan_apps.config import dcgan_digits_config


def get_config():
    """Wasserstein loss, gradient penalty λ = 10, n_critic = 5, Adam 1e-4 (β1 0, β2 0.9), no BatchNorm in D."""
    config = dcgan_digits_config()
    config.name = "wgan_gp_digits"
    config.model.loss = "wasserstein"
    config.model.penalties.gradient_penalty = 10.0
    config.model.discriminator.norm = "layer"
    config.train.d_steps = 5
    config.train.g_lr = 1e-4
    config.train.d_lr = 1e-4
    config.train.beta_1 = 0.0
    config.train.beta_2 = 0.9
    config.train.steps = 1000
    return config
