"""The PyTorch DCGAN example's architecture as a config: 64×64 RGB, ngf = ndf = 64, nz = 100, batch 64.

    tfgan-train --config=dcgan64_bench
    python benchmarks/train_speed.py            # times it against an eager loop and PyTorch

The speed benchmark's 64² model (``benchmarks/train_speed.py``, ``benchmarks/torch_dcgan.py``):
G projects z to 512×4×4 and doubles to 64×64×3 with stride-2 4×4 transposed convolutions
(BatchNorm + ReLU, tanh out); D mirrors it (LeakyReLU 0.2, BatchNorm after the first conv).
Adam 2e-4, β1 = 0.5, non-saturating (BCE) loss. Data: random 64 px crops of the bundled photos.
"""

from tfgan_apps.config import base_config


def get_config():
    """DCGAN 64² (Radford et al. 2016) as in PyTorch's examples/dcgan, on bundled photo crops."""
    config = base_config()
    config.name = "dcgan64_bench"
    config.data.source = "photos"
    config.data.channels = 3
    config.data.image_size = 64
    config.data.batch_size = 64
    config.model.latent_dim = 100
    config.model.generator.width = 64
    config.model.discriminator.width = 64
    config.train.steps = 2000
    return config
