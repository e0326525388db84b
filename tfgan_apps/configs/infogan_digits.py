"""InfoGAN (Chen et al. 2016) on digits: 62-d noise, a 10-way categorical code and 2 continuous codes.

    tfgan-train --config=infogan_digits

In TensorBoard: Codes/continuous_0 and Codes/continuous_1 (rows: categorical code, columns: a continuous
code swept over [-1, 1]), Train/mi_bound (rises towards log 10 ≈ 2.30), Train/mi_loss.
"""

from tfgan_apps.config import dcgan_digits_config


def get_config():
    """The paper's MNIST recipe: λ = 1, unit-σ Gaussian for continuous codes, Q = FC 128 on D's body,
    Adam G 1e-3 / D 2e-4, β1 0.5; DCGAN nets of the digits recipe."""
    config = dcgan_digits_config()
    config.name = "infogan_digits"
    config.model.name = "infogan"
    config.model.latent_dim = 62
    config.model.categories = 10
    config.model.continuous = 2
    config.model.info_weight = 1.0
    config.model.continuous_weight = 1.0
    config.model.q_width = 128
    config.train.g_lr = 1e-3
    config.train.d_lr = 2e-4
    return config
