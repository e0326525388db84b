"""Extra output heads on a built discriminator's body (InfoGAN's Q network, Chen et al. 2016, §5).

``with_head`` turns a one-output discriminator into a two-output functional
model ``x → [logits, head]`` whose head reads the same features as D's final
layer, so the head shares every body layer (and its variables) with D and both
outputs come from one forward pass.
"""

from __future__ import annotations

import keras

from tfgan_apps.errors import ConfigError


def body_features(discriminator: keras.Model) -> keras.KerasTensor:
    """The symbolic input of D's final layer (e.g. the flattened features before DCGAN's logit)."""
    final = discriminator.layers[-1]
    features = final.input
    if isinstance(features, (list, tuple, dict)):
        raise ConfigError(f"cannot attach a head to {discriminator.name!r}: its final layer has several inputs")
    return features


def with_head(discriminator: keras.Model, outputs: int, width: int = 128, name: str = "q_head",
              features: keras.KerasTensor | None = None) -> keras.Model:
    """Returns ``x → [D logits, head outputs]`` sharing D's body; the head is Dense(width) → LeakyReLU → Dense(outputs).

    ``features``: the tensor of D's graph the head reads (default: the input of D's final layer; a D with a
    minibatch-discrimination layer passes the layer's input, so the head judges single examples).

    InfoGAN's Q for MNIST (Table 1): the D body, then FC 128 → lReLU → FC output
    (the paper also batch-normalises the FC 128 layer; this head does not).
    """
    if isinstance(discriminator.output, (list, tuple, dict)):
        raise ConfigError(f"{discriminator.name!r} already has several outputs; a head needs a one-output D")
    features = body_features(discriminator) if features is None else features
    h = keras.layers.Dense(width, name=f"{name}_hidden")(features)
    h = keras.layers.LeakyReLU(0.2)(h)
    out = keras.layers.Dense(outputs, dtype="float32", name=f"{name}_out")(h)
    return keras.Model(discriminator.input, [discriminator.output, out], name=discriminator.name)
