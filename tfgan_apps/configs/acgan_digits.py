"""Auxiliary classifier GAN (Odena et al. 2017) on digits.

    tfgan-train --config=acgan_digits

TensorBoard: ``Samples`` (in reading order, sample i has label i mod 10), ``Train/real_accuracy``
(auxiliary classifier on real digits), ``Train/d_aux_real`` / ``Train/d_aux_fake`` / ``Train/g_aux``
(class cross-entropies), ``Loss/D/adv``.
"""

from tfgan_apps.config import dcgan_digits_config


def get_config():
    """DCGAN G with one-hot labels concatenated to z; DCGAN D with an auxiliary K-way head; weight 1."""
    config = dcgan_digits_config()
    config.name = "acgan_digits"
    config.model.name = "acgan"
    config.model.label_encoding = "onehot"
    config.model.embedding_dim = 0
    config.model.aux_weight = 1.0
    return config
