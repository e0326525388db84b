"""Conditional GAN (Mirza & Osindero 2014) with a projection discriminator (Miyato & Koyama 2018) on digits.

    tfgan-train --config=cgan_digits

TensorBoard: ``Samples`` (in reading order, sample i has label i mod 10: 0123456789 0123...),
``Loss/D/adv``, ``Loss/G/adv``, ``D/real_score`` vs ``D/fake_score``.
"""

from tfgan_apps.config import dcgan_digits_config


def get_config():
    """DCGAN G with one-hot labels concatenated to z; DCGAN D + class projection; non-saturating loss."""
    config = dcgan_digits_config()
    config.name = "cgan_digits"
    config.model.name = "cgan"
    config.model.label_encoding = "onehot"  # or "embedding" (with model.embedding_dim)
    config.model.embedding_dim = 0
    return config
