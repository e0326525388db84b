"""BiGAN / ALI networks: an encoder E: x → z and a joint discriminator D(x, z).

BiGAN (Donahue, Krähenbühl & Darrell 2017, arXiv:1605.09782) and ALI (Dumoulin
et al. 2017, arXiv:1606.00704) train D on pairs: (x, E(x)) for real data and
(G(z), z) for generated data (the BiGAN objective V(D, E, G), §3). The x-branch of D
and the body of E reuse the DCGAN (2-D images) or conv1d (1-D signals) discriminator
bodies; D adds a z-branch MLP and a joint MLP on the concatenated features,
D(x, z) = D_xz([D_x(x), D_z(z)]), the layout of ALI's discriminators (x-, z- and
joint networks). E is deterministic, as in BiGAN (ALI's stochastic encoder is not used).

Registered as:

* ``ENCODERS["bigan"]`` / ``["bigan1d"]``: image [B, S, S, C] / signal [B, L, C] → z [B, latent_dim].
* ``DISCRIMINATORS["bigan"]`` / ``["bigan1d"]``: [x, z] → one logit [B, 1].
"""

from __future__ import annotations

from collections.abc import Callable

import keras

from tfgan_apps.nets.conv1d import conv1d_discriminator
from tfgan_apps.nets.dcgan import dcgan_discriminator
from tfgan_apps.nets.heads import body_features
from tfgan_apps.nets.layers import maybe_spectral
from tfgan_apps.registry import DISCRIMINATORS, ENCODERS

BodyBuilder = Callable[..., keras.Model]


def feature_body(builder: BodyBuilder, input_shape: tuple[int, ...], width: int, norm: str, spectral_norm: bool,
                 sync_batchnorm: bool, name: str) -> keras.Model:
    """x → flattened features: a one-logit discriminator builder's network without its final logit layer."""
    full = builder(input_shape=input_shape, width=width, norm=norm, spectral_norm=spectral_norm,
                   sync_batchnorm=sync_batchnorm, name=f"{name}_full")
    return keras.Model(full.input, body_features(full), name=name)


def encoder(builder: BodyBuilder, input_shape: tuple[int, ...], latent_dim: int, width: int, norm: str,
            sync_batchnorm: bool, name: str) -> keras.Model:
    """E: x → z, the convolutional body of ``builder`` followed by a linear Dense(latent_dim) (float32)."""
    body = feature_body(builder, input_shape, width, norm, False, sync_batchnorm, f"{name}_body")
    z = keras.layers.Dense(latent_dim, dtype="float32", name="z")(body.output)
    return keras.Model(body.input, z, name=name)


def joint_discriminator(builder: BodyBuilder, input_shape: tuple[int, ...], latent_dim: int, width: int, norm: str,
                        z_width: int, joint_width: int, spectral_norm: bool, sync_batchnorm: bool,
                        name: str) -> keras.Model:
    """D: [x, z] → logit = D_xz(concat(D_x(x), D_z(z))).

    D_x is the body of ``builder`` (conv layers, flattened); D_z and D_xz are two
    LeakyReLU(0.2) dense layers each (ALI's 1×1-convolution z and joint branches,
    without their dropout: dropout draws would not come from the model's
    stateless seeds).
    """
    x_body = feature_body(builder, input_shape, width, norm, spectral_norm, sync_batchnorm, "x_branch")
    x_in = keras.Input(tuple(input_shape), name="x")
    z_in = keras.Input((latent_dim,), name="z")
    hz = z_in
    for _ in range(2):
        hz = maybe_spectral(keras.layers.Dense(z_width), spectral_norm)(hz)
        hz = keras.layers.LeakyReLU(0.2)(hz)
    h = keras.layers.Concatenate()([x_body(x_in), hz])
    for _ in range(2):
        h = maybe_spectral(keras.layers.Dense(joint_width), spectral_norm)(h)
        h = keras.layers.LeakyReLU(0.2)(h)
    out = maybe_spectral(keras.layers.Dense(1, dtype="float32", name="logit"), spectral_norm)(h)
    return keras.Model([x_in, z_in], out, name=name)


@ENCODERS.register("bigan")
def bigan_encoder(input_shape: tuple[int, int, int], latent_dim: int, width: int = 32, norm: str = "batch",
                  sync_batchnorm: bool = False, name: str = "encoder") -> keras.Model:
    """Image encoder: DCGAN discriminator convolutions (stride 2, 4×4, LeakyReLU 0.2) → Dense(latent_dim)."""
    return encoder(dcgan_discriminator, input_shape, latent_dim, width, norm, sync_batchnorm, name)


@ENCODERS.register("bigan1d")
def bigan1d_encoder(input_shape: tuple[int, int], latent_dim: int, width: int = 32, norm: str = "batch",
                    sync_batchnorm: bool = False, name: str = "encoder") -> keras.Model:
    """Signal encoder: conv1d discriminator convolutions (stride 2, kernel 8) → Dense(latent_dim)."""
    return encoder(conv1d_discriminator, input_shape, latent_dim, width, norm, sync_batchnorm, name)


@DISCRIMINATORS.register("bigan")
def bigan_discriminator(input_shape: tuple[int, int, int], latent_dim: int, width: int = 32, norm: str = "none",
                        z_width: int = 256, joint_width: int = 512, spectral_norm: bool = False,
                        sync_batchnorm: bool = False, name: str = "discriminator") -> keras.Model:
    """Joint D(x, z) for images: DCGAN x-branch, dense z-branch and joint MLP.

    ``norm`` applies to the x-branch; keep ``"none"``/``"layer"`` with gradient penalties.
    """
    return joint_discriminator(dcgan_discriminator, input_shape, latent_dim, width, norm, z_width, joint_width,
                               spectral_norm, sync_batchnorm, name)


@DISCRIMINATORS.register("bigan1d")
def bigan1d_discriminator(input_shape: tuple[int, int], latent_dim: int, width: int = 32, norm: str = "none",
                          z_width: int = 256, joint_width: int = 512, spectral_norm: bool = False,
                          sync_batchnorm: bool = False, name: str = "discriminator") -> keras.Model:
    """Joint D(x, z) for 1-D signals: conv1d x-branch, dense z-branch and joint MLP."""
    return joint_discriminator(conv1d_discriminator, input_shape, latent_dim, width, norm, z_width, joint_width,
                               spectral_norm, sync_batchnorm, name)
