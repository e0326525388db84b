"""DCGAN on the bundled sklearn digits, 32×32 (the README's main command).

    tfgan-train --config=dcgan_digits

The DCGAN of Radford et al. 2016 (non-saturating loss, BatchNorm G and D, Adam 2e-4 / β1 0.5), sampled from an
exponential moving average of G's weights (β 0.999; Karras et al. 2018, Yazıcı et al. 2019) and trained for 4,000
steps with a cosine learning-rate decay over the second half, which fits in about 10 minutes on 2 idle CPU cores.
"""

from tfgan_apps.config import dcgan_digits_config


def get_config():
    """DCGAN + generator EMA, 4,000 steps, cosine decay of both learning rates from half-way."""
    config = dcgan_digits_config()
    config.model.stabilizers.ema = True
    config.train.steps = 4000
    config.train.lr_decay = "cosine"
    config.train.lr_decay_start = 0.5
    return config
