"""DCGAN on the bundled sklearn digits, 32×32 (the README's main command).

    tfgan-train --config=dcgan_digits

The DCGAN of Radford et al. 2016 (non-saturating loss, BatchNorm G and D, Adam 2e-4 / β1 0.5), sampled from an
exponential moving average of G's weights (β 0.999; Karras et al. 2018, Yazıcı et al. 2019), 8,000 steps with a
cosine learning-rate decay over the second half. The digits are 8×8 pictures enlarged to 32 px, so G draws at
their own 8 px (``model.generator.render_size``: a 4×4×128 projection and one transposed convolution) and a
fixed bilinear upsampling gives the 32-px image, as the data source does; D reads 32 px.

Measured on held-out digits (benchmarks/results/recipes.md; seed 0, shared 2-core AMD EPYC, 2026-12-07): the
32-px G at 4,000 steps reached FCD 43.0 and 79 % of real digits' classifier score; drawing at 8 px, FCD 35.2
and 79 % at 4,000 steps and FCD 31.1 and 81 % at 8,000 (531 CPU s, about the CPU of the 32-px G's 4,000
steps). Neither DiffAugment (translation; 80–81 %), a wider D (79 %) nor a 16-px render (68 %, a class at
1.5 %) did better.
"""

from tfgan_apps.config import dcgan_digits_config


def get_config():
    """DCGAN + generator EMA, G drawn at 8 px, 8,000 steps, cosine decay of both learning rates from half-way."""
    config = dcgan_digits_config()
    config.model.generator.render_size = 8
    config.model.generator.width = 128
    config.model.stabilizers.ema = True
    config.train.steps = 8000
    config.train.lr_decay = "cosine"
    config.train.lr_decay_start = 0.5
    return config
