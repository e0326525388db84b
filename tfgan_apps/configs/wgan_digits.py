"""WGAN with weight clipping (Arjovsky et al. 2017, Algorithm 1) on digits.

    tfgan-train --config=wgan_digits
"""

from tfgan_apps.config import dcgan_digits_config


def get_config():
    """Wasserstein loss, critic weights clipped to [−0.01, 0.01], n_critic = 5, RMSProp lr 5e-5 (the paper's values).

    The critic keeps the DCGAN BatchNorm, as in the authors' DCGAN critic.
    ``--config.train.optimizer=adam --config.train.beta_1=0`` gives the Adam
    variant (the paper reports Adam with momentum as unstable for WGAN, β1 = 0 avoids it).
    """
    config = dcgan_digits_config()
    config.name = "wgan_digits"
    config.model.loss = "wasserstein"
    config.model.penalties.weight_clip = 0.01
    config.train.d_steps = 5
    config.train.optimizer = "rmsprop"
    config.train.g_lr = 5e-5
    config.train.d_lr = 5e-5
    config.train.steps = 2000
    return config
