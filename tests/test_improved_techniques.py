"""The Improved-Techniques (Salimans et al. 2016) and ganhacks stabilizers against their formulas.

Feature matching (§3.1), minibatch discrimination (§3.2), historical averaging (§3.3), one-sided
label smoothing (§3.4), virtual batch normalisation (§3.5), noisy and flipped labels (ganhacks
#6, #13): each mechanism on tiny tensors against numpy, then 2-step runs that move the weights,
resume exactness with historical averaging, and mirrored = default with them on.
"""

from __future__ import annotations

import tempfile
import textwrap
from typing import Any

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.conftest import run_cli, tiny_config
from tfgan_apps import losses, stabilizers, trainer
from tfgan_apps.data import make_dataset
from tfgan_apps.errors import ConfigError
from tfgan_apps.models.base import GAN, Streams, Update
from tfgan_apps.nets.minibatch_discrimination import (
    MinibatchDiscrimination,
    layer_input,
    with_minibatch_discrimination,
)
from tfgan_apps.nets.mlp import mlp_discriminator
from tfgan_apps.nets.virtual_batchnorm import VirtualBatchNormalization
from tfgan_apps.validation import validate

RNG = np.random.default_rng(0)


def _mlp(inputs: int, outputs: int) -> keras.Model:
    x = keras.Input((inputs,))
    h = keras.layers.Dense(8, activation="relu")(x)
    return keras.Model(x, keras.layers.Dense(outputs)(h))


def _mlp_gan(weights: GAN | None = None, **stabilizer_fields: Any) -> GAN:
    """A 2-D GAN of 8-unit MLPs, compiled, run eagerly (fast for tiny nets); ``weights``: start from its weights."""
    model = GAN(generator=_mlp(4, 2), discriminator=_mlp(2, 1), latent_dim=4, stabilizers=stabilizer_fields)
    if weights is not None:
        model.generator.set_weights(weights.generator.get_weights())
        model.discriminator.set_weights(weights.discriminator.get_weights())
    model.compile(d_optimizer=keras.optimizers.Adam(1e-2), g_optimizer=keras.optimizers.Adam(1e-2))
    model.run_eagerly = True
    return model


POINTS = RNG.normal(size=(48, 2)).astype("float32")


def _points() -> tf.data.Dataset:
    return tf.data.Dataset.from_tensor_slices(POINTS).batch(16)


# ------------------------------------------------------------------------------------------- §3.2
def test_minibatch_discrimination_equals_the_papers_sum_over_the_batch():
    layer = MinibatchDiscrimination(kernels=3, dims=2)
    f = RNG.normal(size=(5, 4)).astype("float32")
    layer.build((None, 4))
    t = RNG.normal(size=(4, 6)).astype("float32")
    layer.T.assign(t)
    m = (f.astype(np.float64) @ t).reshape(5, 3, 2)  # M_i = f(x_i)·T, [n, B, C]
    c = np.exp(-np.abs(m[:, None] - m[None, :]).sum(-1))  # c_b(x_i, x_j) [n, n, B]
    np.testing.assert_allclose(layer(f).numpy(), c.sum(axis=1), rtol=1e-5)
    # identical examples: every c_b = 1, so o = n
    np.testing.assert_allclose(layer(np.repeat(f[:1], 4, 0)).numpy(), np.full((4, 3), 4.0), rtol=1e-6)


def test_minibatch_layer_sits_before_a_fresh_final_layer():
    d = mlp_discriminator(input_shape=(2,), width=8, depth=2)
    wrapped = with_minibatch_discrimination(d, kernels=3, dims=2)
    features = wrapped.get_layer("minibatch_features").output
    assert features.shape[-1] == d.layers[-1].input.shape[-1] + 3 and wrapped.layers[-1].input is features
    assert wrapped(np.zeros((4, 2), "float32")).shape == (4, 1)
    assert set(map(id, d.layers[:-1])) <= set(map(id, wrapped.layers))  # body shared, not copied


# ------------------------------------------------------------------------------------------- §3.3
class _Weights(keras.callbacks.Callback):
    def __init__(self, model: GAN) -> None:
        super().__init__()
        self.g = [[w.numpy().copy() for w in model.generator.trainable_weights]]
        self.d = [[w.numpy().copy() for w in model.discriminator.trainable_weights]]

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        self.g.append([w.numpy().copy() for w in self.model.generator.trainable_weights])
        self.d.append([w.numpy().copy() for w in self.model.discriminator.trainable_weights])


def test_historical_average_and_term_after_three_steps():
    weight = 0.5
    model = _mlp_gan(historical_averaging=weight)
    record = _Weights(model)
    history = model.fit(_points(), epochs=1, verbose=0, callbacks=[record]).history
    assert len(record.g) == 4
    for group, thetas in (("g", record.g), ("d", record.d)):
        average = model.stabilizers.historical_averages[group]
        assert int(average.count.numpy()) == 4
        for i, mean in enumerate(average.means):  # (1/t)·Σ θ_i over the initial value and 3 updates
            np.testing.assert_allclose(mean.numpy(), np.mean([t[i] for t in thetas], axis=0), rtol=1e-5, atol=1e-7)
        # the term of update k: λ‖θ_k − mean(θ_0..θ_k)‖²; the logged value is its mean over the 3 steps
        terms = [weight * sum(np.sum((thetas[k][i] - np.mean([t[i] for t in thetas[:k + 1]], 0)) ** 2)
                              for i in range(len(thetas[0]))) for k in range(3)]
        np.testing.assert_allclose(history[f"{group}_hist"][-1], np.mean(terms), rtol=1e-4, atol=1e-9)
        assert terms[2] > 0


# ------------------------------------------------------------------------------------------- §3.4
def test_one_sided_label_smoothing_loss_is_the_closed_form():
    real, fake = RNG.normal(size=(6, 1)).astype("float32"), RNG.normal(size=(6, 1)).astype("float32")
    sig = lambda v: 1 / (1 + np.exp(-v.astype(np.float64)))  # noqa: E731
    expected = -(0.9 * np.log(sig(real)) + 0.1 * np.log(1 - sig(real))) - np.log(1 - sig(fake))
    got = losses.sigmoid_cross_entropy_discriminator_loss(real, fake, 0.9, 0.0)
    np.testing.assert_allclose(got.numpy(), expected[:, 0], rtol=1e-5)
    for name in ("non_saturating", "minimax", "least_squares"):  # targets 1 / 0 = the family's own D loss
        family = losses.get(name)
        np.testing.assert_allclose(family.targeted(real, fake, 1.0, 0.0), family.discriminator(real, fake),
                                   rtol=1e-6)
    np.testing.assert_allclose(losses.get("least_squares").targeted(real, fake, 0.9, 0.0).numpy(),
                               0.5 * (real[:, 0] - 0.9) ** 2 + 0.5 * fake[:, 0] ** 2, rtol=1e-5)
    # in the model: D's term is the smoothed loss averaged over the batch
    model = _mlp_gan(label_smoothing=0.1)
    ctx = Update(model, {"x": tf.zeros([6, 2])}, 0, discriminator=True)
    ctx.real_logits, ctx.fake_logits = tf.constant(real), tf.constant(fake)
    np.testing.assert_allclose(model.d_adversarial_term(ctx).numpy(), expected.mean(), rtol=1e-5)


def test_label_stabilizers_refuse_losses_without_targets():
    for loss in ("hinge", "wasserstein", "relativistic_average"):
        for fields in ({"label_smoothing": 0.1}, {"label_noise": True}):
            with pytest.raises(ConfigError, match=r"^stabilizer 'label_\w+' changes D's real/fake targets, which "
                                                  rf"loss '{loss}' does not have"):
                GAN(generator=_mlp(4, 2), discriminator=_mlp(2, 1), latent_dim=4, loss=loss, stabilizers=fields)
    with pytest.raises(ConfigError, match=r"label_smoothing \(s, real target 1 − s\) must be in \[0, 1\)"):
        validate(tiny_config(model__stabilizers__label_smoothing=1.0))


# ------------------------------------------------------------------------------------------- §3.5
def test_virtual_batch_norm_is_the_papers_formula():
    n, eps = 3, 1e-5
    layer = VirtualBatchNormalization(reference_size=n, epsilon=eps)
    x = RNG.normal(size=(n + 2, 4, 4, 3)).astype("float32")
    layer.build(x.shape)
    gamma, beta = RNG.normal(size=3).astype("float32"), RNG.normal(size=3).astype("float32")
    layer.gamma.assign(gamma)
    layer.beta.assign(beta)
    out = layer(x, training=True).numpy()
    ref, live = x[:n].astype(np.float64), x[n:].astype(np.float64)
    ref_mean, ref_sq = ref.mean((0, 1, 2)), (ref**2).mean((0, 1, 2))
    w = 1 / (n + 1)
    mean = w * live.mean((1, 2), keepdims=True) + (1 - w) * ref_mean
    sq = w * (live**2).mean((1, 2), keepdims=True) + (1 - w) * ref_sq
    expected = (live - mean) / np.sqrt(sq - mean**2 + eps) * gamma + beta
    np.testing.assert_allclose(out[n:], expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(out[:n], (ref - ref_mean) / np.sqrt(ref_sq - ref_mean**2 + eps) * gamma + beta,
                               rtol=1e-4, atol=1e-5)
    # inference uses the stored reference statistics: the live examples alone give the same outputs
    np.testing.assert_allclose(layer(x[n:], training=False).numpy(), out[n:], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer(x[n:n + 1], training=False).numpy(), out[n:n + 1], rtol=1e-5, atol=1e-6)


def test_virtual_batch_needs_its_switch_and_a_vbn_network():
    config = _tiny(16, virtual_batch=4)
    model = trainer.build_run(config, tempfile.mkdtemp()).model
    assert {n.name for n in model.vbn_networks} == {"generator", "discriminator"}  # norm="batch" specs replaced
    z_ref = model.generator_reference()
    np.testing.assert_array_equal(z_ref.numpy(), model.generator_reference().numpy())  # fixed, from the seed
    assert z_ref.shape == (4, config.model.latent_dim)
    config = _tiny()
    config.model.generator.norm = "virtual_batch"
    with pytest.raises(ConfigError, match="norm='virtual_batch' layers: set config.model.stabilizers.virtual_batch"):
        trainer.build_run(config, tempfile.mkdtemp())
    config = _tiny(virtual_batch=4)
    config.model.generator.norm = config.model.discriminator.norm = "layer"
    with pytest.raises(ConfigError, match="virtual_batch is on but no network"):
        trainer.build_run(config, tempfile.mkdtemp())


# ------------------------------------------------------------------------------------------- §3.1
def test_feature_matching_value_and_gradient_are_numpys():
    real = tf.constant(RNG.normal(size=(6, 4)), tf.float32)
    fake = tf.Variable(RNG.normal(size=(6, 4)).astype("float32"))
    with tf.GradientTape() as tape:
        value = stabilizers.feature_matching(real, fake)
    diff = fake.numpy().mean(axis=0) - real.numpy().mean(axis=0)
    np.testing.assert_allclose(value.numpy(), np.sum(diff**2), rtol=1e-5)
    np.testing.assert_allclose(tape.gradient(value, fake).numpy(), np.tile(2 * diff / 6, (6, 1)), rtol=1e-5)
    # the model's term: λ·FM of D's features of x and G(z), which the wrapped D outputs
    model = _mlp_gan(feature_matching=2.0)
    assert len(model.discriminator.outputs) == 2
    x = tf.constant(RNG.normal(size=(6, 2)), tf.float32)
    z = tf.constant(RNG.normal(size=(6, 4)), tf.float32)
    ctx = Update(model, {"x": x}, 0, discriminator=False)
    ctx.real_out, ctx.fake_out = model.discriminator(x), model.discriminator(model.generator(z))
    f_real, f_fake = ctx.real_out[1].numpy(), ctx.fake_out[1].numpy()
    np.testing.assert_allclose(model.feature_matching_terms(ctx)["g_fm"].numpy(),
                               2.0 * np.sum((f_real.mean(0) - f_fake.mean(0)) ** 2), rtol=1e-5)


# The layer whose input is each variant's feature-matching f (its trunk: what its heads read; BiGAN: the joint
# (x, z) features its logit reads).
TRUNKS = {"infogan": ("q_head_hidden", 0), "acgan": ("class_logits", 0), "cgan": ("projection", 0),
          "bigan": ("logit", 0)}


def _variant(name: str, **fields: Any) -> Any:
    """A compiled model of the matrix test's tiny recipe for ``name`` with the given stabilizer fields, and its
    source."""
    from tests.test_template import tiny
    from tfgan_apps import models
    from tfgan_apps.data import load_source

    config = tiny(name, **fields)
    source = load_source(config.data)
    model = models.build(config, source)
    models.compile_model(model, config.train)
    return model, source


@pytest.mark.parametrize("name", sorted(TRUNKS))
def test_variant_feature_matching_is_the_distance_of_its_trunk_means(name):
    """λ·‖mean f(x) − mean f(G(z))‖² with f the variant's own trunk, read from D's graph by a separate sub-model."""
    model, source = _variant(name, feature_matching=2.0)
    d = model.discriminator
    trunk = keras.Model(d.inputs, layer_input(d, *TRUNKS[name]))
    x = tf.constant(source.examples(8), tf.float32)
    ctx = Update(model, {"x": x, "label": tf.range(8) % 10}, 0, discriminator=False)
    ctx.g_inputs = model.generator_inputs(ctx)
    fake = model.run_generator(ctx.g_inputs, training=False)
    real_in, fake_in = (model.discriminator_inputs(v, ctx, real=r) for v, r in ((x, True), (fake, False)))
    if isinstance(real_in, tuple):  # two-input D: (x, label) for cGAN, (x, z) pairs for BiGAN
        real_in, fake_in = list(real_in), list(fake_in)
    ctx.real_out, ctx.fake_out = d(real_in, training=False), d(fake_in, training=False)
    f_real = np.asarray(trunk(real_in, training=False), np.float64).reshape(8, -1)
    f_fake = np.asarray(trunk(fake_in, training=False), np.float64).reshape(8, -1)
    expected = 2.0 * np.sum((f_real.mean(0) - f_fake.mean(0)) ** 2)
    assert expected > 0
    np.testing.assert_allclose(model.feature_matching_terms(ctx)["g_fm"].numpy(), expected, rtol=1e-4)
    # the adversarial logit is still D's first output (the features were appended last)
    np.testing.assert_allclose(model.adversarial_logits(ctx.real_out).numpy(), ctx.real_out[0].numpy())


def test_pggan_features_are_what_its_last_dense_reads_at_every_stage():
    model, source = _variant("pggan", feature_matching=1.0)
    d = model.discriminator
    x = tf.constant(source.examples(8), tf.float32)
    for size in d.resolutions:
        image = x if size == x.shape[1] else tf.image.resize(x, (size, size), method="area")
        logits, features = d(image, alpha=0.5, return_features=True)
        assert features.shape == (8, d.filters[0])
        np.testing.assert_allclose(logits.numpy(), d(image, alpha=0.5).numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(d.blocks[0].layers[-1](features).numpy(), logits.numpy(), rtol=1e-5, atol=1e-6)
    ctx = Update(model, {"x": x}, 0, discriminator=False)
    ctx.real_out = d(x, return_features=True)
    ctx.fake_out = d(tf.reverse(x, [1]), return_features=True)
    f_real, f_fake = ctx.real_out[1].numpy(), ctx.fake_out[1].numpy()
    np.testing.assert_allclose(model.feature_matching_terms(ctx)["g_fm"].numpy(),
                               np.sum((f_real.mean(0) - f_fake.mean(0)) ** 2), rtol=1e-4)


@pytest.mark.parametrize("name, head", [("infogan", 1), ("acgan", 1)])
def test_heads_of_single_examples_read_the_trunk_below_the_minibatch_layer(name, head):
    """With minibatch discrimination the D logit sees the batch (o(x)), Q / the classifier still judge each example
    alone, and feature matching's f is the trunk (the paper's code matches the layer below the minibatch layer)."""
    model, source = _variant(name, minibatch_discrimination=4, minibatch_discrimination_dims=3,
                             feature_matching=1.0)
    d = model.discriminator
    x = tf.constant(source.examples(8), tf.float32)
    full, part = d(x, training=False), d(x[:3], training=False)
    np.testing.assert_allclose(part[head].numpy(), full[head][:3].numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(part[-1].numpy(), full[-1][:3].numpy(), rtol=1e-5, atol=1e-6)  # f: per example
    assert not np.allclose(part[0].numpy(), full[0][:3].numpy())  # the logit reads o(x) of its batch


# ---------------------------------------------------------------------------------------- ganhacks
def test_flipped_label_rate_is_p_and_draws_are_stateless():
    n, p = 20000, 0.2
    noise = stabilizers.LabelNoise(noisy=False, flip=p)
    real, fake = noise.targets(tf.constant(n), tf.constant([3, 7], tf.int64))
    for flipped in (np.mean(real.numpy() == 0.0), np.mean(fake.numpy() == 1.0)):
        assert abs(flipped - p) < 4 * np.sqrt(p * (1 - p) / n), flipped  # within 4 standard errors
    again = noise.targets(tf.constant(n), tf.constant([3, 7], tf.int64))
    np.testing.assert_array_equal(again[0].numpy(), real.numpy())
    other = noise.targets(tf.constant(n), tf.constant([3, 8], tf.int64))
    assert not np.array_equal(other[0].numpy(), real.numpy())
    noisy_real, noisy_fake = stabilizers.LabelNoise(noisy=True, flip=0.0).targets(tf.constant(n), tf.constant([1, 2]))
    assert 0.7 <= noisy_real.numpy().min() and noisy_real.numpy().max() <= 1.2 and noisy_real.numpy().std() > 0.1
    assert 0.0 <= noisy_fake.numpy().min() and noisy_fake.numpy().max() <= 0.3
    # in the model: the LABEL_NOISE stream of an update at a step; equal (seed, step) → equal targets
    model = _mlp_gan(label_noise=True, label_noise_flip=p, label_smoothing=0.1)
    ctx = Update(model, {"x": tf.zeros([8, 2])}, 0, discriminator=True)
    first = model.stabilizers.d_targets(8, ctx.seed(Streams.LABEL_NOISE))
    second = model.stabilizers.d_targets(8, ctx.seed(Streams.LABEL_NOISE))
    np.testing.assert_array_equal(first[0].numpy(), second[0].numpy())
    assert np.all((first[0].numpy() <= 1.1) & (first[1].numpy() <= 1.1))  # α = 0.9: real range [0.6, 1.1]
    model.g_optimizer.iterations.assign(1)
    assert not np.array_equal(model.stabilizers.d_targets(8, ctx.seed(Streams.LABEL_NOISE))[0].numpy(),
                              first[0].numpy())


# ------------------------------------------------------------------------------------- training
SWITCHES = {
    "feature_matching": {"feature_matching": 1.0},
    "minibatch_discrimination": {"minibatch_discrimination": 4, "minibatch_discrimination_dims": 3},
    "historical_averaging": {"historical_averaging": 0.5},
    "label_smoothing": {"label_smoothing": 0.1},
    "label_noise": {"label_noise": True, "label_noise_flip": 0.1},
    "virtual_batch": {"virtual_batch": 4},
}


def _tiny(size: int = 8, **fields: Any) -> Any:
    """The tiny DCGAN at ``size`` px (8: G and D have one stage, D no normalisation; 16: D has a BN layer)."""
    config = tiny_config()
    config.data.image_size, config.data.batch_size = size, 8
    for key, value in fields.items():
        config.model.stabilizers[key] = value
    return config


@pytest.mark.parametrize("name", sorted(SWITCHES))
def test_two_steps_with_each_stabilizer_move_the_weights(name):
    run = trainer.build_run(_tiny(16 if name == "virtual_batch" else 8, **SWITCHES[name]), tempfile.mkdtemp())
    run.model.run_eagerly = True  # 2 tiny steps: cheaper than tracing
    networks = (run.model.generator, run.model.discriminator)
    before = [[w.numpy() for w in net.trainable_weights] for net in networks]
    history = run.model.fit(make_dataset(run.source, 8), epochs=1, steps_per_epoch=2, verbose=0).history
    assert all(np.isfinite(v).all() for v in history.values()), history
    for net, old in zip(networks, before):
        assert all(not np.allclose(a, b.numpy()) for a, b in zip(old, net.trainable_weights)), (name, net.name)


def test_resume_with_historical_averaging_is_exact(tmp_path):
    """3 steps straight = 2 steps, checkpoint, restore into a fresh model, 1 step: weights, optimizer slots and
    the historical averages (saved in ``checkpoint_items``) all equal."""
    straight = _mlp_gan(historical_averaging=0.5)
    first = _mlp_gan(weights=straight, historical_averaging=0.5)
    straight.fit(_points(), epochs=1, verbose=0)
    first.fit(_points().take(2), epochs=1, verbose=0)
    items = first.checkpoint_items()
    assert {"historical_average_g", "historical_average_d"} <= set(items)
    path = tf.train.Checkpoint(**items).save(str(tmp_path / "ckpt"))
    resumed = _mlp_gan(historical_averaging=0.5)
    tf.train.Checkpoint(**resumed.checkpoint_items()).restore(path).assert_existing_objects_matched()
    assert int(resumed.stabilizers.historical_averages["g"].count.numpy()) == 3
    resumed.fit(_points().skip(2), epochs=1, verbose=0)

    def state(model: GAN) -> list[np.ndarray]:
        averages = model.stabilizers.historical_averages
        return [np.asarray(v) for v in (*model.generator.weights, *model.discriminator.weights,
                                        *model.g_optimizer.variables, *model.d_optimizer.variables,
                                        *(m for a in averages.values() for m in (*a.means, a.count)))]

    assert int(straight.stabilizers.historical_averages["d"].count.numpy()) == 4
    for a, b in zip(state(straight), state(resumed), strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-7)


MIRROR = textwrap.dedent(
    """
    import sys, tempfile
    import numpy as np
    sys.path.insert(0, ".")
    from tests.conftest import tiny_config
    from tfgan_apps import trainer
    from tfgan_apps.data import make_dataset

    results = {}
    for strategy in ("default", "mirrored"):
        config = tiny_config(train__logical_cpus=2, train__strategy=strategy, train__deterministic=True,
                             model__stabilizers__feature_matching=1.0, model__stabilizers__historical_averaging=0.5,
                             model__stabilizers__label_noise=True, model__stabilizers__label_noise_flip=0.2,
                             model__stabilizers__label_smoothing=0.1, model__stabilizers__virtual_batch=4,
                             model__generator__norm="virtual_batch", model__discriminator__norm="virtual_batch")
        run = trainer.build_run(config, tempfile.mkdtemp())
        dataset = make_dataset(run.source, 16, replicas=run.strategy.num_replicas_in_sync)
        run.model.fit(dataset, epochs=1, steps_per_epoch=3, verbose=0)
        results[strategy] = [np.array(w.numpy()) for w in run.model.generator.weights + run.model.discriminator.weights]
        results[strategy] += [m.numpy() for a in run.model.stabilizers.historical_averages.values() for m in a.means]
    worst = max(float(np.max(np.abs(a - b))) for a, b in zip(results["default"], results["mirrored"]))
    print("MAXDIFF", worst)
    """
)


@pytest.mark.slow
def test_mirrored_matches_default_with_the_stabilizers_on(tmp_path):
    """Feature matching (global means), historical averaging, label noise (global draws) and VBN (a shared
    reference batch) keep the mirrored-equals-default property (minibatch discrimination does not: its sums
    run over each replica's batch)."""
    script = tmp_path / "mirror.py"
    script.write_text(MIRROR)
    result = run_cli(str(script))
    assert result.returncode == 0, result.stderr[-3000:]
    line = [x for x in result.stdout.splitlines() if x.startswith("MAXDIFF")][-1]
    assert float(line.split()[1]) < 1e-5, line
