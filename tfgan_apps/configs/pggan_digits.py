"""PGGAN (Karras et al. 2018): progressive growing 4→8→16→32 px on the bundled digits.

    tfgan-train --config=pggan_digits

The schedule is ``model.stages`` ((resolution, steps incl. fade-in), ...) and ``model.fade_steps``;
stages above ``data.image_size`` are dropped. Watch ``Train/stage`` and ``Train/alpha`` in TensorBoard.
"""

import ml_collections

from tfgan_apps.config import base_config


def get_config():
    """WGAN-GP (λ = 10) + ε_drift = 0.001, equalized LR, pixel norm, minibatch stddev; Adam 1e-3, β = (0, 0.99)."""
    config = base_config()
    config.name = "pggan_digits"
    config.model.name = "pggan"
    config.model.latent_dim = 64
    config.model.loss = "wasserstein"
    config.model.penalties.gradient_penalty = 10.0
    config.model.drift = 0.001
    config.model.stages = ((4, 400), (8, 800), (16, 800), (32, 1000))
    config.model.fade_steps = 400
    # Channels per stage: min(max_width, width · 32 / resolution) → 64, 64, 32, 16 at 4, 8, 16, 32 px.
    config.model.generator = ml_collections.ConfigDict({"type": "pggan", "width": 16, "max_width": 64})
    config.model.discriminator = ml_collections.ConfigDict(
        {"type": "pggan", "width": 16, "max_width": 64, "group_size": 4}
    )
    config.data.batch_size = 32
    config.train.steps = 3000
    config.train.g_lr = 1e-3
    config.train.d_lr = 1e-3
    config.train.beta_1 = 0.0
    config.train.beta_2 = 0.99
    # XLA turns the per-stage tf.switch_case into an XLA conditional, which on CPU ran ~25× slower than the
    # same step without the switch (32 px: 28 s vs 1.1 s CPU per step, TF 2.21); without XLA a step takes ~1.3 s.
    config.train.jit_compile = False
    return config
