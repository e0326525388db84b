"""Encoders x → code, built from a discriminator body with a linear code head.

An encoder is a discriminator whose one-logit head is replaced by a
``Dense(latent_dim)`` head: the DCGAN encoder is the DCGAN discriminator's
stride-2 convolution stack (Radford et al. 2016) and the MLP encoder is the MLP
discriminator's hidden stack, so the convolution code exists once. Used by the
adversarial autoencoder (Makhzani et al. 2016) and any model that maps data to
a latent code.

``discriminator_features`` (the penultimate tensor of a functional
discriminator) is also what the class-conditional discriminators in
``nets/conditional.py`` put their heads on.
"""

from __future__ import annotations

import keras

from tfgan_apps.errors import ConfigError
from tfgan_apps.nets.dcgan import dcgan_discriminator
from tfgan_apps.nets.heads import body_features
from tfgan_apps.nets.mlp import mlp_discriminator
from tfgan_apps.registry import ENCODERS


def discriminator_features(discriminator: keras.Model) -> keras.KerasTensor:
    """The flat feature tensor [B, F] that a functional discriminator's final logit layer reads.

    The discriminators in ``nets/`` end with one ``Dense(1)`` (possibly wrapped in
    spectral normalisation) applied to flat features; a model built on this tensor
    shares every weight below the head with ``discriminator``.
    """
    if len(discriminator.outputs) != 1 or discriminator.layers[-1].output is not discriminator.outputs[0]:
        raise ConfigError(f"network {discriminator.name!r} does not end with a single logit layer")
    features = body_features(discriminator)
    if len(features.shape) != 2:
        raise ConfigError(
            f"network {discriminator.name!r} has features of shape {features.shape} before its logit; "
            "a flat [B, F] feature vector is needed (dcgan or mlp discriminators)"
        )
    return features


def encoder_from_body(body: keras.Model, latent_dim: int, name: str) -> keras.Model:
    """Replaces a discriminator's logit head by a linear float32 code head of ``latent_dim`` units."""
    code = keras.layers.Dense(latent_dim, dtype="float32", name="code")(discriminator_features(body))
    return keras.Model(body.input, code, name=name)


@ENCODERS.register("dcgan")
def dcgan_encoder(
    input_shape: tuple[int, int, int],
    latent_dim: int,
    width: int = 64,
    norm: str = "batch",
    sync_batchnorm: bool = False,
    name: str = "encoder",
) -> keras.Model:
    """Builds image [B, S, S, C] → code [B, latent_dim] from the DCGAN discriminator's convolution stack."""
    body = dcgan_discriminator(input_shape, width=width, norm=norm, sync_batchnorm=sync_batchnorm,
                               name=f"{name}_body")
    return encoder_from_body(body, latent_dim, name)


@ENCODERS.register("mlp")
def mlp_encoder(
    input_shape: tuple[int, ...],
    latent_dim: int,
    width: int = 128,
    depth: int = 3,
    name: str = "encoder",
) -> keras.Model:
    """Builds x → code [B, latent_dim] from the MLP discriminator's LeakyReLU hidden stack."""
    body = mlp_discriminator(input_shape, width=width, depth=depth, name=f"{name}_body")
    return encoder_from_body(body, latent_dim, name)
