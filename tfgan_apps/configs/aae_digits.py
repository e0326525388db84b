"""Adversarial autoencoder (Makhzani et al. 2016) on digits, Gaussian prior on an 8-D code.

    tfgan-train --config=aae_digits
    # the paper's 2-D mixture of 10 Gaussians (codes form 10 clusters; see the Codes image):
    tfgan-train --config=aae_digits --config.model.prior=mixture --config.model.latent_dim=2

TensorBoard: ``Train/recon`` (reconstruction MSE), ``Reconstructions`` (real | reconstructed pairs),
``Samples`` (decoded prior samples), ``D/real_score`` vs ``D/fake_score`` (prior vs codes), ``Codes`` (2-D codes).
"""

import ml_collections

from tfgan_apps.config import dcgan_digits_config


def get_config():
    """DCGAN encoder/decoder (width 32), MLP code discriminator (2 × 256), MSE reconstruction, Adam 2e-4."""
    config = dcgan_digits_config()
    config.name = "aae_digits"
    config.model.name = "aae"
    config.model.latent_dim = 8
    config.model.prior = "gaussian"  # or "mixture" (10 2-D Gaussians on a circle; needs latent_dim = 2)
    config.model.prior_radius = 4.0
    config.model.prior_std = 0.5
    config.model.reconstruction = "mse"  # or "l1"
    config.model.encoder = ml_collections.ConfigDict({"type": "dcgan", "width": 32, "norm": "batch"})
    config.model.discriminator = ml_collections.ConfigDict(
        {"type": "mlp", "width": 256, "depth": 2, "spectral_norm": False}
    )
    config.train.steps = 2000
    return config
