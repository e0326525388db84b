"""SNGAN (Miyato et al. 2018): hinge loss, spectrally normalised ResNet discriminator, on digits (32×32).

    tfgan-train --config=sngan_digits
"""

from tfgan_apps.config import dcgan_digits_config


def get_config():
    """The paper's CIFAR-10 ResNet setting (Table 4, Sec. 4: hinge loss, n_dis = 5, Adam 2e-4, β = (0, 0.9)).

    Widths are 32 (the paper: G 256, D 128) because ResNet blocks keep the full
    width at every resolution, which is costly on a CPU; raise
    ``model.generator.width`` / ``model.discriminator.width`` for the full networks.
    """
    config = dcgan_digits_config()
    config.name = "sngan_digits"
    config.model.loss = "hinge"
    config.model.latent_dim = 128
    config.model.generator = {"type": "resnet", "width": 32, "norm": "batch"}
    config.model.discriminator = {"type": "resnet", "width": 32, "spectral_norm": True}
    config.train.d_steps = 5
    config.train.g_lr = 2e-4
    config.train.d_lr = 2e-4
    config.train.beta_1 = 0.0
    config.train.beta_2 = 0.9
    config.train.steps = 2000
    return config
