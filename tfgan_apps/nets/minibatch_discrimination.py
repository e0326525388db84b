"""Minibatch discrimination and a features output for a built discriminator (Salimans et al. 2016, §3.2, §3.1).

``MinibatchDiscrimination`` is the paper's layer: with features f(x_i) ∈ R^A of the
examples of a batch and a tensor T ∈ R^{A×B×C},

    M_i = f(x_i)·T ∈ R^{B×C},   c_b(x_i, x_j) = exp(−‖M_{i,b} − M_{j,b}‖_L1),   o(x_i)_b = Σ_j c_b(x_i, x_j),

j running over every example of the batch the layer is called on, x_i itself included
(so o ≥ 1). ``with_minibatch_discrimination`` inserts it into a built functional
discriminator: o(x) is concatenated to the features that D's final (logit) layer reads
and a fresh final layer of the same kind reads the longer vector, so D can tell a batch
of near-identical samples (mode collapse) from a varied one.

``with_features`` gives a one-output discriminator a second output, the features its
final layer reads, for the generator's feature-matching term (§3.1); ``with_features_of``
appends a given tensor of a multi-output D's graph instead (the trunk that InfoGAN's Q,
ACGAN's classifier or cGAN's projection read). With a minibatch layer the matched features
are its input, the trunk (``trunk_features``), as in the paper's code, where feature
matching reads the layer below the minibatch layer.
"""

from __future__ import annotations

from typing import Any

import keras

from tfgan_apps.errors import ConfigError
from tfgan_apps.nets.encoder import discriminator_features

FEATURES_LAYER = "matched_features"


@keras.saving.register_keras_serializable(package="tfgan_apps")
class MinibatchDiscrimination(keras.layers.Layer):
    """o(x_i)_b = Σ_j exp(−‖M_{i,b} − M_{j,b}‖_L1), M_i = f(x_i)·T (Salimans et al. 2016, §3.2).

    Input: features [n, A]; output: [n, B] (``kernels`` = B, ``dims`` = C). The sum
    over j runs over the batch of the call. D's real and fake batches are separate calls
    in this project's template (the joint D pass is off for a D with this layer, see
    ``couples_examples``), so reals are compared with reals and fakes with fakes, as in
    the paper's code. Under a mirrored strategy the sum runs over the *replica's* batch
    (each replica sees its slice of the global batch), so o depends on the replica count.
    """

    couples_examples = True  # an example's output depends on the others (no joint real+fake D pass)

    def __init__(self, kernels: int = 100, dims: int = 5, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if int(kernels) < 1 or int(dims) < 1:
            raise ConfigError(f"minibatch discrimination needs B ≥ 1 kernels and C ≥ 1 dims, got {kernels}, {dims}")
        self.kernels, self.dims = int(kernels), int(dims)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        if len(input_shape) != 2 or input_shape[-1] is None:
            raise ConfigError(f"minibatch discrimination needs flat features [B, A], got shape {input_shape}")
        self.T = self.add_weight(shape=(int(input_shape[-1]), self.kernels * self.dims), name="T",
                                 initializer=keras.initializers.RandomNormal(stddev=0.05))

    def call(self, features: Any) -> Any:
        m = keras.ops.reshape(keras.ops.matmul(features, self.T), (-1, self.kernels, self.dims))  # [n, B, C]
        l1 = keras.ops.sum(keras.ops.abs(m[:, None] - m[None, :]), axis=-1)  # [n, n, B]
        return keras.ops.sum(keras.ops.exp(-l1), axis=1)  # [n, B]: Σ_j c_b(x_i, x_j)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return (input_shape[0], self.kernels)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "kernels": self.kernels, "dims": self.dims}


def with_minibatch_discrimination(discriminator: keras.Model, kernels: int, dims: int) -> keras.Model:
    """``discriminator`` with a minibatch-discrimination layer before its final layer (Salimans et al. §3.2).

    The body (every layer up to the features) is shared, not copied; the final layer is
    re-created from its config (same kind: Dense, or Dense under spectral normalisation) for
    the features ‖ o(features) vector, so its weights are fresh.
    """
    features = discriminator_features(discriminator)
    final = discriminator.layers[-1]
    o = MinibatchDiscrimination(kernels, dims, name="minibatch_discrimination")(features)
    joined = keras.layers.Concatenate(name="minibatch_features")([features, keras.ops.cast(o, features.dtype)])
    head = type(final).from_config(final.get_config())
    return keras.Model(discriminator.input, head(joined), name=discriminator.name)


def trunk_features(discriminator: keras.Model) -> keras.KerasTensor:
    """D's per-example features [B, F]: the input of its minibatch-discrimination layer when it has one, else
    the flat features its final logit layer reads (``encoder.discriminator_features``).

    Heads that must judge single examples (a class head, a projection, Q, feature matching) read these, so
    their outputs do not depend on the rest of the batch.
    """
    for layer in discriminator.layers:
        if isinstance(layer, MinibatchDiscrimination):
            return layer.input
    return discriminator_features(discriminator)


def layer_input(discriminator: keras.Model, layer_name: str, index: int = 0) -> keras.KerasTensor:
    """The symbolic input (its ``index``-th one when it has several) of a named layer of a functional D."""
    try:
        layer = discriminator.get_layer(layer_name)
    except ValueError:
        raise ConfigError(f"network {discriminator.name!r} has no layer {layer_name!r} to read features "
                          "from") from None
    inputs = layer.input
    return inputs[index] if isinstance(inputs, (list, tuple)) else inputs


def has_features_output(discriminator: keras.Model) -> bool:
    """Whether ``discriminator`` was made by ``with_features`` (its last output is the matched features)."""
    return any(layer.name == FEATURES_LAYER for layer in discriminator.layers)


def with_features(discriminator: keras.Model) -> keras.Model:
    """``x → [D(x), f(x)]``: a one-output D plus the flat features f [B, F] its final layer reads (float32).

    One forward pass gives both; the layers and weights are D's own. Used by feature
    matching (Salimans et al. 2016, §3.1) for models whose D has no features output.
    """
    if has_features_output(discriminator):
        return discriminator
    if len(discriminator.outputs) != 1:
        raise ConfigError(f"network {discriminator.name!r} has {len(discriminator.outputs)} outputs; its model "
                          "must say which features to match (with_features_of)")
    return with_features_of(discriminator, trunk_features(discriminator))


def with_features_of(discriminator: keras.Model, features: keras.KerasTensor) -> keras.Model:
    """``x → [*D's outputs, f]``: D with one more output, a tensor ``features`` of its own graph, flattened to
    [B, F] and cast to float32 (the same layers and weights; one forward pass gives all outputs)."""
    if has_features_output(discriminator):
        return discriminator
    if len(features.shape) != 2:
        features = keras.layers.Flatten()(features)
    matched = keras.layers.Identity(name=FEATURES_LAYER, dtype="float32")(keras.ops.cast(features, "float32"))
    return keras.Model(discriminator.input, [*discriminator.outputs, matched], name=discriminator.name)
