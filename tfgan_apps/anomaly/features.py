"""Discriminator features f(x) for the feature-distance terms of the anomaly scores.

AnoGAN (Schlegl et al. 2017, §2.2), EGBAD (Zenati et al. 2018, §3) and f-AnoGAN
(Schlegl et al. 2019, §2.3) compare x and its reconstruction in the feature space
of an intermediate discriminator layer. Here that layer is the input of D's
final logit layer (``nets.heads.body_features``), read from the trained D
itself, so the feature model shares D's weights.
"""

from __future__ import annotations

import keras

from tfgan_apps.errors import ConfigError
from tfgan_apps.nets.heads import body_features


def is_joint(discriminator: keras.Model) -> bool:
    """True for a BiGAN-style joint discriminator D(x, z) (two inputs)."""
    return len(discriminator.inputs) == 2


def sample_features(discriminator: keras.Model) -> keras.Model:
    """x → flat features of a discriminator on samples.

    A one-input D gives the input of its logit layer; a joint D(x, z)
    (``nets/bigan.py``) gives its x-branch (the conv body on x alone), so any
    trained GAN's D can serve the latent search's feature term.
    """
    if is_joint(discriminator):
        try:
            return discriminator.get_layer("x_branch")
        except ValueError:
            raise ConfigError(f"joint discriminator {discriminator.name!r} has no 'x_branch' sub-network") from None
    if len(discriminator.inputs) != 1:
        raise ConfigError(f"discriminator {discriminator.name!r} takes {len(discriminator.inputs)} inputs; "
                          "sample features need D(x) or a joint D(x, z)")
    features = keras.layers.Flatten()(body_features(discriminator))
    return keras.Model(discriminator.input, features, name=f"{discriminator.name}_features")


def joint_features(discriminator: keras.Model) -> keras.Model:
    """[x, z] → the joint features D(x, z)'s logit layer reads (EGBAD's f_D)."""
    if not is_joint(discriminator):
        raise ConfigError(f"discriminator {discriminator.name!r} is not a joint D(x, z); EGBAD needs a BiGAN")
    return keras.Model(discriminator.inputs, body_features(discriminator), name=f"{discriminator.name}_features")
