"""DRAGAN (Kodali et al. 2017, "On Convergence and Stability of GANs") on digits.

    tfgan-train --config=dragan_digits
"""

from tfgan_apps.config import dcgan_digits_config


def get_config():
    """Non-saturating loss + DRAGAN penalty λ = 10 around perturbed real data; Adam 1e-4, β = (0.5, 0.9).

    D uses LayerNorm instead of BatchNorm: the penalty constrains per-example gradients.
    """
    config = dcgan_digits_config()
    config.name = "dragan_digits"
    config.model.penalties.dragan = 10.0
    config.model.discriminator.norm = "layer"
    config.train.g_lr = 1e-4
    config.train.d_lr = 1e-4
    config.train.beta_2 = 0.9
    return config
