"""BEGAN (Berthelot et al. 2017) on digits: auto-encoder discriminator balanced by the k_t controller.

    tfgan-train --config=began_digits

In TensorBoard: Train/convergence (M, should fall), Train/k_t, D/real_score and D/fake_score
(the reconstruction losses L(x) and L(G(z)), whose ratio approaches γ). config.model.loss is unused.
"""

import ml_collections

from tfgan_apps.config import dcgan_digits_config


def get_config():
    """γ = 1, λ_k = 0.001, k_0 = 0, 16 px, 64-d bottleneck, ELU auto-encoder without normalisation, Adam 1e-4.

    γ departs from the paper's 0.5 (the model's default): on digits the generator first settles on
    low-contrast grey images that the auto-encoder reconstructs at ~0.6 × L(x); with γ = 0.5 that already
    satisfies the equilibrium, k_t stays at 0 and the grey images persist (seen for 1500 steps). With γ = 1
    k_t grows and digit shapes appear after ~1500 steps (few modes at 3000 steps). The paper's generator
    (the decoder architecture) is ``--config.model.generator.type=decoder --config.model.generator.norm=none``.
    """
    config = dcgan_digits_config()
    config.name = "began_digits"
    config.model.name = "began"
    config.model.gamma = 1.0
    config.model.lambda_k = 0.001
    config.model.k_init = 0.0
    # 16 px (the digits are 8×8): the auto-encoder's full-resolution decoder costs ~10× a DCGAN D at 32 px.
    config.data.image_size = 16
    config.model.discriminator = ml_collections.ConfigDict(
        {"type": "autoencoder", "width": 16, "bottleneck": 64, "norm": "none"}
    )
    config.train.g_lr = 1e-4
    config.train.d_lr = 1e-4
    config.train.steps = 3000
    return config
