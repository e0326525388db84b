"""DCGAN on the 100 faces of scikit-image's bundled LFW subset (grey 25×25, resized to 32×32; source `lfw`).

    tfgan-train --config=dcgan_lfw

Its 2,000 steps (≈ 200 CPU s) draw recognisable faces: samples in docs/faces_dcgan_lfw.png, numbers
(KID, face rate of a face-vs-non-face rater, nearest-training-face distance, over seeds) in
benchmarks/results/faces.md (``python benchmarks/faces.py``).
"""

from tfgan_apps.config import base_config


def get_config():
    """The digits DCGAN (widths 32, BatchNorm, Adam 2e-4 / β1 0.5, batch 64) on the 100 LFW faces, 2,000 steps."""
    config = base_config()
    config.name = "dcgan_lfw"
    config.data.source = "lfw"
    config.model.generator.width = 32
    config.model.discriminator.width = 32
    config.train.steps = 2000
    return config
