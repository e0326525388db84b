"""Semi-supervised GAN (Salimans et al. 2016 §5) on digits with 100 labels, 297 digits held out.

    tfgan-train --config=sgan_digits

TensorBoard: ``Eval/heldout_accuracy`` (classifier accuracy on the held-out digits),
``Train/d_sup`` (cross-entropy on the labelled examples), ``Loss/D/adv`` (real/fake loss).
Compare with the classifier trained on the 100 labels alone: ``python benchmarks/sgan_digits.py``.
"""

from tfgan_apps.config import dcgan_digits_config


def get_config():
    """K+1-class D (logsumexp real logit), 100 class-balanced labels, feature-matching G, LayerNorm D."""
    config = dcgan_digits_config()
    config.name = "sgan_digits"
    config.model.name = "sgan"
    config.data.source = "indexed:digits"
    config.data.heldout = 297  # class-balanced digits never trained on: held-out accuracy
    config.model.labelled = 100  # class-balanced labelled subset of the 1500 training digits
    config.model.generator_loss = "feature_matching"  # or "non_saturating"
    config.model.supervised_weight = 1.0
    # The classifier is evaluated in inference mode: LayerNorm behaves the same in both modes,
    # whereas BatchNorm's moving statistics would mix real and generated batches.
    config.model.discriminator.norm = "layer"
    config.train.steps = 2000
    return config
