"""Tests of the CycleGAN model (tfgan_apps/models/cyclegan.py): its loss terms in closed form, a training step on
the template (all four networks and both replay pools move), the picture rows and the exports in a fresh process."""

from __future__ import annotations

import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.conftest import run_cli, tiny_config
from tfgan_apps import export, trainer
from tfgan_apps.data import make_dataset
from tfgan_apps.errors import ConfigError
from tfgan_apps.model_callbacks import TranslationRows
from tfgan_apps.models.base import G_SALT, Update
from tfgan_apps.models.cyclegan import CycleGAN
from tfgan_apps.nets.patchgan import patchgan


def shift_generator(shift: float, name: str) -> keras.Model:
    """x ↦ x + shift as a trainable 1×1 convolution (identity kernel, constant bias)."""
    inputs = keras.Input((None, None, 3))
    conv = keras.layers.Conv2D(3, 1, kernel_initializer=keras.initializers.Constant(np.eye(3).reshape(1, 1, 3, 3)),
                               bias_initializer=keras.initializers.Constant(shift))
    return keras.Model(inputs, conv(inputs), name=name)


def shift_model(shift_ab: float, shift_ba: float, **kwargs: object) -> CycleGAN:
    def d(name: str) -> keras.Model:
        return patchgan((None, None, 3), width=4, n_layers=1, conditional=False, name=name)

    return CycleGAN(shift_generator(shift_ab, "g"), d("d_b"), 1, shift_generator(shift_ba, "f"), d("d_a"),
                    loss="least_squares", sample_shape=(8, 8, 3), **kwargs)


def g_terms(model: CycleGAN) -> dict[str, float]:
    rng = np.random.default_rng(0)
    batch = {k: tf.constant(rng.uniform(-0.5, 0.5, (2, 8, 8, 3)), tf.float32) for k in ("a", "b")}
    batch["x"] = batch["a"]
    ctx = Update(model, batch, G_SALT, discriminator=False)
    ctx.g_inputs = model.generator_inputs(ctx)
    ctx.fake = model.run_generator(ctx.g_inputs)
    return {k: float(v) for k, v in model.extra_g_terms(ctx).items()}


def test_cycle_and_identity_losses_in_closed_form():
    # Identity generators: F(G(a)) = a, G(F(b)) = b, G(b) = b, F(a) = a → both terms vanish.
    assert g_terms(shift_model(0.0, 0.0)) == pytest.approx({"cycle": 0.0, "identity": 0.0}, abs=1e-6)
    # G = x + 0.1, F = x + 0.3: |F(G(a)) − a| = |G(F(b)) − b| = 0.4 per pixel; |G(b) − b| + |F(a) − a| = 0.1 + 0.3.
    assert g_terms(shift_model(0.1, 0.3)) == pytest.approx({"cycle": 0.8, "identity": 0.4}, abs=1e-5)
    # The identity term is optional: weight 0 drops it (and its tracker).
    model = shift_model(0.1, 0.3, identity_weight=0.0)
    assert g_terms(model) == pytest.approx({"cycle": 0.8}, abs=1e-5)
    assert "identity" not in model.tracker_names() and "cycle" in model.tracker_names()


def test_generator_weights_and_refusals():
    model = shift_model(0.0, 0.0)
    assert model.generator_term_weights(None, None, {}) == {"g_adv": 2.0, "cycle": 10.0, "identity": 5.0}
    with pytest.raises(ConfigError, match="cyclegan does not support stabilizer 'ema'"):
        shift_model(0.0, 0.0, stabilizers={"ema": True})
    with pytest.raises(ConfigError, match="no discriminator penalties"):
        shift_model(0.0, 0.0, penalties={"r1": 1.0})
    with pytest.raises(ConfigError, match="judge each domain"):
        CycleGAN(shift_generator(0, "g"), patchgan((None, None, 3), width=4, n_layers=1, conditional=False), 1,
                 shift_generator(0, "f"), patchgan((None, None, 3), width=4, n_layers=1, conditional=False,
                                                   name="d_a"), loss="relativistic_average")


def tiny_cyclegan_config() -> object:
    config = tiny_config(data__source="unpaired:photos:astronaut|photos:coins", data__channels=3,
                         data__image_size=16, data__batch_size=2, model__name="cyclegan", model__loss="least_squares",
                         train__steps=2)
    config.model.generator = {"type": "resnet_translator", "width": 4, "blocks": 1}
    config.model.discriminator = {"type": "patchgan", "width": 4, "n_layers": 1}
    config.model.stabilizers.replay = 0.5
    config.model.stabilizers.replay_size = 3
    config.data.degradation_b = {"type": "night"}
    return config


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny CycleGAN on the template: its initial weights and the run after two training steps."""
    config = tiny_cyclegan_config()
    run = trainer.build_run(config, str(tmp_path_factory.mktemp("cyclegan")))
    model = run.model
    before = {name: [w.numpy().copy() for w in getattr(model, name).trainable_weights]
              for name in (*model.G_NETWORKS, *model.D_NETWORKS)}
    model.fit(make_dataset(run.source, 2, seed=0), epochs=1, steps_per_epoch=2, verbose=0)
    return run, before


def test_two_steps_update_all_four_networks_and_both_pools(trained):
    run, before = trained
    model = run.model
    assert int(model.g_optimizer.iterations.numpy()) == 2 and int(model.d_optimizer.iterations.numpy()) == 2
    for name, weights in before.items():
        after = getattr(model, name).trainable_weights
        assert any(not np.allclose(b, a.numpy()) for b, a in zip(weights, after)), f"{name} did not move"
    for key in ("a", "b"):
        assert int(model.pools[key].inserted.numpy()) == 4  # 2 steps × batch 2, one pool per domain
    assert set(model.extra_state()) == {"replay_pool_a", "replay_pool_b"}
    assert model.stabilizers.replay is None  # no shared pool besides the two


def test_translation_rows(trained):
    run, _ = trained
    callback = TranslationRows(tf.summary.create_noop_writer(), 1, run.source, count=2)
    callback.set_model(run.model)
    rows = callback.rows()
    assert set(rows) == {"A", "B"} and rows["A"].shape == rows["B"].shape == (6, 16, 16, 3)
    np.testing.assert_array_equal(rows["A"][:2], run.source.domain_examples("a", 2))


LOAD = textwrap.dedent(
    """
    import sys, numpy as np, tensorflow as tf
    images = np.random.default_rng(0).integers(0, 256, (1, 10, 14, 3)).astype(np.uint8)
    for path, out in zip(sys.argv[1::2], sys.argv[2::2]):
        np.save(out, tf.saved_model.load(path).signatures["serving_default"](images=tf.constant(images))["restored"])
    assert not any(k.startswith("tfgan_apps") for k in sys.modules)
    """
)


@pytest.mark.slow  # a SavedModel export and a fresh TensorFlow process (~15 s on an idle 2-core machine)
def test_exports_reload_in_a_fresh_process_and_match(trained, tmp_path):
    run, _ = trained
    paths = export.save(run.model, run.source, str(tmp_path / "export"))
    assert set(paths) == {"translator_ab", "translator_ba"}
    script = tmp_path / "load.py"
    script.write_text(LOAD)
    outs = [str(tmp_path / "ab.npy"), str(tmp_path / "ba.npy")]
    done = run_cli(str(script), paths["translator_ab"], outs[0], paths["translator_ba"], outs[1])
    assert done.returncode == 0, done.stderr[-2000:]
    images = np.random.default_rng(0).integers(0, 256, (1, 10, 14, 3)).astype(np.float32) / 127.5 - 1.0
    for out, direction in zip(outs, ("ab", "ba")):
        served = np.load(out)
        assert served.shape == (1, 10, 14, 3) and served.dtype == np.uint8
        expected = np.round((run.model.translate(images, direction).numpy() + 1.0) * 127.5)
        assert np.abs(served.astype(np.float32) - expected).max() <= 1


def test_cyclegan_needs_an_unpaired_source(tmp_path):
    config = tiny_cyclegan_config()
    config.data.source = "photos:astronaut"
    config.data.degradation_b = None
    with pytest.raises(ConfigError, match="cyclegan needs an unpaired source"):
        trainer.build_run(config, str(tmp_path))
