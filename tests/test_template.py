"""The training-step template (models/base.py): every variant × every stabilizer, network groups, streams, batches.

The stabilizer matrix builds each model with every stabilizer its class supports switched on at once and
trains 2 steps eagerly: each supported stabilizer's mechanism must be observably active (the EMA copy
differs from G, the replay pool fills, DiffAugment / instance noise draw different randomness for the real
and the fake batch of a discriminator update, packing halves D's batch, feature matching is a finite positive G
term on the variant's own features (``IMPROVED_SUPPORT`` lists which models take the feature-side stabilizers),
D holds a trained minibatch-discrimination layer, the historical averages counted every update, D's targets
were smoothed / drawn, the VBN layers stored reference statistics); every other stabilizer must be refused
at config time with the one message format. The label stabilizers need a loss family with targets: with a
recipe whose loss has none (pggan's WGAN) building the model is refused in its own one-line message.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from typing import Any

import keras
import ml_collections
import numpy as np
import pytest
import tensorflow as tf

from tests.conftest import ROOT, load_recipe
from tfgan_apps import models
from tfgan_apps.data import load_source, make_dataset
from tfgan_apps.errors import ConfigError
from tfgan_apps.models.base import (
    D_SALT_STRIDE,
    G_SALT,
    GAN,
    MAX_D_STEPS,
    MAX_EXTRA_UPDATES,
    SALT_BITS,
    SALT_BLOCK,
    STEP_SALT,
    Streams,
    as_batch,
    d_salt,
    extra_salt,
    split_batch,
)
from tfgan_apps.nets.minibatch_discrimination import MinibatchDiscrimination
from tfgan_apps.nets.virtual_batchnorm import vbn_layers
from tfgan_apps.registry import MODELS
from tfgan_apps.stabilizers import STABILIZER_NAMES, TARGET_STABILIZERS
from tfgan_apps.validation import validate

# A recipe per model class, shrunk by ``tiny`` (new models must be added here: see the completeness test).
RECIPES = {
    "gan": "dcgan_digits",
    "infogan": "infogan_digits",
    "began": "began_digits",
    "ebgan": "ebgan_digits",
    "cgan": "cgan_digits",
    "acgan": "acgan_digits",
    "sgan": "sgan_digits",
    "aae": "aae_digits",
    "bigan": "bigan_digits",
    "pggan": "pggan_digits",
    "pix2pix": "denoise_photos",
    "cyclegan": "cyclegan_derain_photos",
    "ganomaly": "ganomaly_digits",
}
ALL_ON = {"ema": True, "diffaugment": "color,translation,cutout", "packing": 2, "instance_noise": 0.1,
          "replay": 0.5, "replay_size": 16, "feature_matching": 1.0, "minibatch_discrimination": 4,
          "minibatch_discrimination_dims": 3, "historical_averaging": 0.5, "label_smoothing": 0.1,
          "label_noise": True, "label_noise_flip": 0.2, "virtual_batch": 4}


# Which models take the Improved-Techniques stabilizers that need D's features or D's / G's layers (issue #20);
# every other (model, stabilizer) pair must be refused with a reason. Changing support means changing this table.
FEATURE_STABILIZERS = ("feature_matching", "minibatch_discrimination", "virtual_batch")
IMPROVED_SUPPORT = {
    "gan": {"feature_matching", "minibatch_discrimination", "virtual_batch"},
    "sgan": {"feature_matching", "minibatch_discrimination", "virtual_batch"},
    "infogan": {"feature_matching", "minibatch_discrimination", "virtual_batch"},
    "cgan": {"feature_matching", "minibatch_discrimination", "virtual_batch"},
    "acgan": {"feature_matching", "minibatch_discrimination", "virtual_batch"},
    "began": {"feature_matching", "virtual_batch"},
    "ebgan": {"feature_matching", "virtual_batch"},
    "bigan": {"feature_matching", "minibatch_discrimination"},
    "aae": {"feature_matching", "minibatch_discrimination"},
    "pggan": {"feature_matching"},
    "pix2pix": set(),
    "cyclegan": set(),
    "ganomaly": set(),
}


def owner(field: str) -> str:
    """The stabilizer a ``config.model.stabilizers`` field belongs to (its longest name prefix)."""
    return max((n for n in STABILIZER_NAMES if field.startswith(n)), key=len)


def fields(*names: str) -> dict[str, Any]:
    """The ALL_ON fields of the named stabilizers."""
    return {k: v for k, v in ALL_ON.items() if owner(k) in names}


def _shrink_nets(node: Any) -> None:
    for key in ("generator", "discriminator", "encoder"):
        spec = node.get(key) if hasattr(node, "get") else None
        if spec is not None and hasattr(spec, "get"):
            with spec.ignore_type() if hasattr(spec, "ignore_type") else _null():
                for field, small in (("width", 8), ("max_width", 8), ("depth", 2), ("blocks", 1),
                                     ("bottleneck", 8), ("z_width", 8), ("joint_width", 8)):
                    if field in spec:
                        spec[field] = small


class _null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: Any) -> None:
        return None


def tiny(model_name: str, **stabilizers: Any) -> ml_collections.ConfigDict:
    """The model's recipe at 16 px, batch 8, width-8 nets, 2 steps, no XLA, with the given stabilizers."""
    c = load_recipe(RECIPES[model_name])
    c.data.image_size, c.data.batch_size = 16, 8
    c.model.latent_dim = min(c.model.latent_dim, 8) if model_name != "aae" else c.model.latent_dim
    c.train.steps, c.train.log_every, c.train.image_every, c.train.checkpoint_every = 2, 1, 1, 1
    c.train.jit_compile = False
    c.train.d_steps = 1
    _shrink_nets(c.model)
    if model_name == "pggan":
        c.model.stages = ((4, 1), (8, 1), (16, 1))
        c.model.fade_steps = 0
    if model_name == "pix2pix":
        c.model.pretrain_steps = 0
    if model_name == "infogan":
        c.model.q_width = 8
    for key, value in stabilizers.items():
        c.model.stabilizers[key] = value
    return c


class Recorder:
    """Wraps a stabilizer's ``__call__`` and records the arguments of every call (eager runs only)."""

    def __init__(self, wrapped: Any) -> None:
        self.wrapped, self.calls = wrapped, []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.wrapped, name)

    def __call__(self, x: tf.Tensor, *args: Any) -> tf.Tensor:
        out = self.wrapped(x, *args)
        self.calls.append((tuple(x.shape), tuple(out.shape), [np.asarray(a).tolist() for a in args]))
        return out


def test_every_registered_model_is_in_the_matrix():
    assert set(MODELS.names()) <= set(RECIPES), (
        "add a recipe for the new model to RECIPES in tests/test_template.py")


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_feature_stabilizer_support_is_the_table(name):
    cls = MODELS.get(name)
    assert set(cls.SUPPORTED_STABILIZERS) & set(FEATURE_STABILIZERS) == IMPROVED_SUPPORT[name]
    for stabilizer in set(FEATURE_STABILIZERS) - IMPROVED_SUPPORT[name]:
        assert cls.STABILIZER_REASONS.get(stabilizer), f"{name} refuses {stabilizer} without a reason"


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_every_stabilizer_is_active_or_refused(name):
    cls = MODELS.get(name)
    source = None
    without_targets = set()  # label stabilizers the class supports but the recipe's loss cannot take
    for stabilizer in STABILIZER_NAMES:
        config = tiny(name, **fields(stabilizer))
        if stabilizer in cls.SUPPORTED_STABILIZERS:
            validate(config)
            if stabilizer in TARGET_STABILIZERS and config.model.loss not in ("non_saturating", "minimax",
                                                                              "least_squares"):
                source = source or load_source(config.data)
                with pytest.raises(ConfigError, match=rf"^stabilizer '{stabilizer}' changes D's real/fake targets"):
                    models.build(config, source)
                without_targets.add(stabilizer)
        else:
            with pytest.raises(ConfigError, match=rf"^{name} does not support stabilizer '{stabilizer}': .+; "
                                                  rf"valid for {name}: "):
                validate(config)

    active = set(cls.SUPPORTED_STABILIZERS) - without_targets
    config = tiny(name, **fields(*active))
    validate(config)
    source = load_source(config.data)
    model = models.build(config, source)
    models.compile_model(model, config.train)
    model.run_eagerly = True
    s = model.stabilizers
    recorders = {}
    for key in ("diffaugment", "instance_noise", "packing"):
        if getattr(s, key) is not None:
            recorders[key] = Recorder(getattr(s, key))
            setattr(s, key, recorders[key])
    targets = []
    if s.targets_changed:
        d_targets = s.d_targets
        s.d_targets = lambda n, seed: targets.append(d_targets(n, seed)) or targets[-1]
    generator_before = [w.numpy() for w in model.generator.weights]
    discriminator_before = [w.numpy() for w in model.discriminator.weights]
    dataset = make_dataset(source, config.data.batch_size, seed=0, degradation=_degradation(config))
    history = model.fit(dataset, epochs=1, steps_per_epoch=2, verbose=0, shuffle=False).history

    if "ema" in cls.SUPPORTED_STABILIZERS:
        ema = model.inference_generator
        assert ema is not model.generator
        assert any(not np.allclose(a.numpy(), b.numpy()) for a, b in zip(ema.weights, model.generator.weights))
        assert any(not np.allclose(a, b.numpy()) for a, b in zip(generator_before, model.generator.weights))
    if "replay" in cls.SUPPORTED_STABILIZERS:
        pools = list(getattr(model, "pools", {}).values()) or [s.replay]  # CycleGAN: one pool per domain
        assert all(int(pool.inserted.numpy()) > 0 for pool in pools)
    for key in ("diffaugment", "instance_noise"):
        if key in cls.SUPPORTED_STABILIZERS:
            calls = recorders[key].calls
            assert len(calls) >= 3, f"{name}: {key} saw {len(calls)} calls in 2 steps"
            # The discriminator update draws for its real batch first, then for its fake batch (CycleGAN: real A,
            # real B, then fake A, fake B).
            parts = 2 if name == "cyclegan" else 1
            assert calls[0][2] != calls[parts][2], f"{name}: {key} drew the same randomness for real and fake"
    if "packing" in cls.SUPPORTED_STABILIZERS:
        calls = recorders["packing"].calls
        assert calls and all(out[0] * 2 == shape[0] for shape, out, _ in calls if shape[0] is not None)
    if "feature_matching" in active:
        assert np.isfinite(history["g_fm"]).all() and history["g_fm"][-1] > 0, history
    if "minibatch_discrimination" in active:
        layers = [la for la in model.discriminator._flatten_layers() if isinstance(la, MinibatchDiscrimination)]
        assert len(layers) == 1
        kernel = layers[0].T.numpy()
        assert not any(np.array_equal(kernel, b) for b in discriminator_before), "the minibatch kernel did not train"
    if "historical_averaging" in active:
        averages = s.historical_averages
        assert set(averages) == {"g", "d"} and all(int(a.count.numpy()) == 3 for a in averages.values())
        g_vars = model.group_variables(model.G_NETWORKS)
        assert any(not np.allclose(m.numpy(), v.numpy()) for m, v in zip(averages["g"].means, g_vars))
    if active & set(TARGET_STABILIZERS):
        assert len(targets) >= 2, f"{name}: D's targets were drawn {len(targets)} times in 2 steps"
        real, fake = (np.concatenate([np.ravel(t[i]) for t in targets]) for i in (0, 1))
        assert not np.all(real == 1.0) and not np.all(fake == 0.0)
    if "virtual_batch" in active:
        assert model.vbn_networks, f"{name}: no network has VBN layers"  # norm="batch" specs became VBN
        for net in model.vbn_networks:
            assert all(la.reference_size == 4 for la in vbn_layers(net))
            assert any(np.any(la.reference_mean.numpy() != 0) for la in vbn_layers(net))
        if any(net is model.discriminator for net in model.vbn_networks):
            assert bool(s.d_reference.filled.numpy())


def _degradation(config: ml_collections.ConfigDict) -> Any:
    from tfgan_apps.trainer import degradation_from

    return degradation_from(config.data)


class TwoByTwo(GAN):
    """A model with two generators and two discriminators, updated as two groups (the template's groups)."""

    G_NETWORKS = ("generator", "generator2")
    D_NETWORKS = ("discriminator", "discriminator2")
    SUPPORTED_STABILIZERS = ()

    def __init__(self, generator2: keras.Model, discriminator2: keras.Model, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.generator2, self.discriminator2 = generator2, discriminator2

    def run_generator(self, inputs: Any, training: bool = True) -> tuple[tf.Tensor, tf.Tensor]:
        return self.generator(inputs["z"], training=training), self.generator2(inputs["z"], training=training)

    def real_samples(self, ctx: Any) -> tuple[tf.Tensor, tf.Tensor]:
        return ctx.batch["x"], ctx.batch["x"]

    def discriminate(self, x: Any, salt: int, training: bool = True) -> tf.Tensor:
        first, second = x
        return self.discriminator(first, training=training) + self.discriminator2(second, training=training)

    def penalty_view(self, ctx: Any) -> Any:
        return ctx.real[0], ctx.fake[0], lambda x: self.discriminator(x, training=True)


def _mlp(inputs: int, outputs: int) -> keras.Model:
    return keras.Sequential([keras.Input((inputs,)), keras.layers.Dense(16, activation="relu"),
                             keras.layers.Dense(outputs)])


def test_two_generators_and_two_discriminators_train_as_groups():
    model = TwoByTwo(generator=_mlp(4, 2), discriminator=_mlp(2, 1), generator2=_mlp(4, 2),
                     discriminator2=_mlp(2, 1), latent_dim=4, penalties={"r1": 1.0})
    model.compile(d_optimizer=keras.optimizers.Adam(1e-2), g_optimizer=keras.optimizers.Adam(1e-2))
    nets = (model.generator, model.generator2, model.discriminator, model.discriminator2)
    before = [[w.numpy() for w in net.weights] for net in nets]
    x = np.random.default_rng(0).normal(size=(64, 2)).astype("float32")
    history = model.fit(tf.data.Dataset.from_tensor_slices(x).batch(16), epochs=1, verbose=0)
    for net, old in zip(nets, before):
        assert all(not np.allclose(a, b.numpy()) for a, b in zip(old, net.weights)), net.name
    assert set(model.checkpoint_items()) >= {"generator", "generator2", "discriminator", "discriminator2"}
    assert np.isfinite(history.history["r1"]).all()


def test_salts_of_updates_and_streams_are_disjoint():
    blocks = [range(d_salt(i), d_salt(i) + D_SALT_STRIDE) for i in range(MAX_D_STEPS)]
    blocks += [range(extra_salt(i), extra_salt(i) + SALT_BLOCK) for i in range(MAX_EXTRA_UPDATES)]
    blocks += [range(STEP_SALT, STEP_SALT + SALT_BLOCK), range(G_SALT, G_SALT + SALT_BLOCK)]
    salts = [s for block in blocks for s in block]
    assert len(set(salts)) == len(salts) and max(salts) < 2**SALT_BITS and min(salts) >= 0
    offsets = [Streams.PENALTY + i for i in range(Streams.MAX_PENALTIES)]
    offsets += [Streams.LABELS, Streams.PRIOR, Streams.DEGRADE, Streams.LABEL_NOISE, Streams.VIRTUAL_BATCH,
                Streams.REAL, Streams.FAKE]
    assert len(set(offsets)) == len(offsets) and Streams.LATENT not in offsets and max(offsets) < SALT_BLOCK


def test_batches_of_tensors_tuples_and_dicts_become_one_dict_split_by_key():
    x, y = tf.zeros([4, 2]), tf.constant([1, 2, 3, 4])
    assert set(as_batch(x)) == {"x"} and set(as_batch((x,))) == {"x"}
    assert set(as_batch((x, y))) == {"x", "label"} and as_batch((x, y))["label"].dtype == tf.int32
    assert as_batch({"x": x, "index": y})["index"] is y
    with pytest.raises(ConfigError, match="'x' key"):
        as_batch({"image": x})
    parts = split_batch({"x": x, "label": y}, 2)
    assert [p["label"].numpy().tolist() for p in parts] == [[1, 2], [3, 4]]


def _top_level_imports(path: str, module: str) -> set[str]:
    """tfgan_apps modules imported at module level (function-level imports are deliberate late imports)."""
    tree = ast.parse(open(path, encoding="utf-8").read())
    found = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.startswith("tfgan_apps"):
                # ``from tfgan_apps import losses`` imports the submodule, not the package's own names.
                package_dir = os.path.join(ROOT, *node.module.split("."))
                for alias in node.names:
                    sub = os.path.join(package_dir, alias.name)
                    if os.path.isdir(sub) or os.path.isfile(sub + ".py"):
                        found.add(f"{node.module}.{alias.name}")
                    else:
                        found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("tfgan_apps"))
    return found


def test_no_import_cycles_between_modules():
    package = os.path.join(ROOT, "tfgan_apps")
    graph = {}
    for folder, _, files in os.walk(package):
        for file in files:
            if file.endswith(".py"):
                path = os.path.join(folder, file)
                rel = os.path.relpath(path, ROOT)[:-3].replace(os.sep, ".")
                graph[rel.removesuffix(".__init__")] = _top_level_imports(path, rel)
    # A module importing "a.b" also imports the package "a" (its __init__).
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for dep in graph.get(node, ()):
            if dep not in graph:
                continue
            if state.get(dep) == 1:
                cycle = trail[trail.index(dep):] + [dep] if dep in trail else [node, dep]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if not state.get(dep):
                visit(dep, trail + [dep])
        state[node] = 2

    for module in sorted(graph):
        if not state.get(module):
            visit(module, [module])


def test_config_is_a_leaf():
    imports = _top_level_imports(os.path.join(ROOT, "tfgan_apps", "config.py"), "tfgan_apps.config")
    assert imports <= {"tfgan_apps.errors"}, imports
    code = "import sys, importlib.util as u; u.spec_from_file_location('c', 'tfgan_apps/config.py')"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, timeout=60).returncode == 0
