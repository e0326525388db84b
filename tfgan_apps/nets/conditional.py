"""Class-conditional wrappers around the unconditional network builders.

Nothing here copies a network: each function takes a network built by the
registered builders (``dcgan``, ``mlp``, ...) and adds the label path.

* ``conditional_generator`` — (z, y) → x: the label is one-hot encoded (cGAN,
  Mirza & Osindero 2014, §3.2; ACGAN, Odena et al. 2017) or embedded, concatenated
  to z, and the result fed to an unconditional generator built for the longer
  latent vector.
* ``projection_discriminator`` — (x, y) → logit: the projection discriminator of
  Miyato & Koyama (2018), eq. (3): D(x, y) = ψ(φ(x)) + embed(y)ᵀ φ(x), with φ the
  discriminator's penultimate features and ψ its own logit layer.
* ``auxiliary_classifier_discriminator`` — x → (logit, class logits [K]): ACGAN's
  discriminator with an auxiliary classifier head on shared features.
* ``classifier_discriminator`` — x → (class logits [K], features): the
  semi-supervised GAN's multi-class discriminator (Salimans et al. 2016 §5), whose
  real/fake logit is logsumexp of the class logits; the features are returned for
  feature matching.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import keras

from tfgan_apps.errors import ConfigError
from tfgan_apps.nets import build_network
from tfgan_apps.nets.encoder import discriminator_features
from tfgan_apps.nets.layers import maybe_spectral
from tfgan_apps.nets.minibatch_discrimination import trunk_features
from tfgan_apps.registry import GENERATORS

LABEL_ENCODINGS = ("onehot", "embedding")


def conditional_generator(
    spec: Mapping[str, Any],
    latent_dim: int,
    num_classes: int,
    output_shape: tuple[int, ...],
    label_encoding: str = "onehot",
    embedding_dim: int = 0,
    sync_batchnorm: bool = False,
    name: str = "generator",
) -> keras.Model:
    """Builds [z [B, latent_dim], label [B] int32] → sample, around the generator described by ``spec``.

    The inner generator (e.g. ``{"type": "dcgan", "width": 32}``) is built for a
    latent of ``latent_dim + code`` units and sees concat(z, code(y)), where
    code is one-hot (``K`` units) or a learnt embedding (``embedding_dim`` units).
    """
    if num_classes < 2:
        raise ConfigError(f"a conditional generator needs a labelled data source (num_classes ≥ 2), got {num_classes}")
    z = keras.Input((latent_dim,), name="z")
    label = keras.Input((), dtype="int32", name="label")
    if label_encoding == "onehot":
        code = keras.layers.CategoryEncoding(num_classes, output_mode="one_hot", name="label_onehot")(label)
        code_dim = num_classes
    elif label_encoding == "embedding":
        if embedding_dim < 1:
            raise ConfigError(f"label_encoding='embedding' needs embedding_dim ≥ 1, got {embedding_dim}")
        code = keras.layers.Embedding(num_classes, embedding_dim, name="label_embedding")(label)
        code_dim = embedding_dim
    else:
        raise ConfigError(f"unknown label_encoding {label_encoding!r}; valid choices: {', '.join(LABEL_ENCODINGS)}")
    inner = build_network(
        GENERATORS, spec, latent_dim=latent_dim + code_dim, output_shape=output_shape,
        sync_batchnorm=sync_batchnorm, name=f"{name}_body",
    )
    z_and_code = keras.layers.Concatenate(name="z_and_label")([z, code])
    return keras.Model([z, label], inner(z_and_code), name=name)


def projection_discriminator(base: keras.Model, num_classes: int, spectral_norm: bool = False) -> keras.Model:
    """Builds [x, label [B] int32] → logit [B, 1] = ψ(φ(x)) + embed(y)ᵀφ(x) (Miyato & Koyama 2018, eq. 3).

    ``base`` is an unconditional discriminator (its layers and weights are
    shared, not copied); the class embedding is spectrally normalised when the
    base is (as in the paper's SN-ResNet setting). With a minibatch-discrimination layer in ``base``, ψ reads
    φ ‖ o(φ) and the projection the per-example φ (``trunk_features``).
    """
    features = trunk_features(base)
    label = keras.Input((), dtype="int32", name="label")
    embed = maybe_spectral(keras.layers.Embedding(num_classes, features.shape[-1], name="class_embedding"),
                           spectral_norm)(label)
    features32 = keras.ops.cast(features, "float32")
    projection = keras.layers.Dot(axes=1, dtype="float32", name="projection")([features32, embed])
    unconditional = keras.ops.cast(base.outputs[0], "float32")
    logit = keras.layers.Add(dtype="float32", name="conditional_logit")([unconditional, projection])
    return keras.Model([base.input, label], logit, name=base.name)


def auxiliary_classifier_discriminator(base: keras.Model, num_classes: int) -> keras.Model:
    """Builds x → [logit [B, 1], class logits [B, K]]: ACGAN's D with an auxiliary classifier (Odena et al. 2017).

    The classifier reads the per-example trunk (``trunk_features``: below a minibatch-discrimination layer).
    """
    class_logits = keras.layers.Dense(num_classes, dtype="float32", name="class_logits")(trunk_features(base))
    return keras.Model(base.input, [base.outputs[0], class_logits], name=base.name)


def classifier_discriminator(base: keras.Model, num_classes: int) -> keras.Model:
    """Builds x → [class logits [B, K], features [B, F]]: the semi-supervised GAN's K+1-class discriminator.

    The (K+1)-th, "fake", logit is fixed at 0 (Salimans et al. 2016 §5: the K+1
    softmax is over-parametrised), so p(real | x) = σ(logsumexp_k l_k). ``base``'s
    own logit layer is dropped; its features are shared.
    """
    features = discriminator_features(base)
    class_logits = keras.layers.Dense(num_classes, dtype="float32", name="class_logits")(features)
    return keras.Model(base.input, [class_logits, keras.ops.cast(features, "float32")], name=base.name)
