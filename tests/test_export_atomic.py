"""An interrupted SavedModel export never leaves the previous export unreadable."""

from __future__ import annotations

import os

import keras
import pytest
import tensorflow as tf

from tfgan_apps import export


class Constant(tf.Module):
    """A one-signature module returning a constant, to tell exports apart."""

    def __init__(self, value: float) -> None:
        super().__init__()
        self.value = tf.Variable(value)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
    def serve(self, x: tf.Tensor) -> dict[str, tf.Tensor]:
        return {"y": x * 0 + self.value}


def served(path: str) -> float:
    return float(tf.saved_model.load(path).signatures["serving_default"](x=tf.zeros([1]))["y"][0])


def save(value: float, path: str) -> None:
    module = Constant(value)
    export.save_module(module, {"serving_default": module.serve}, path)


def test_crash_while_writing_keeps_previous_export_and_next_save_cleans_up(tmp_path, monkeypatch):
    path = str(tmp_path / "export" / "generator")
    save(1.0, path)
    real_save = tf.saved_model.save

    def crash(module, directory, signatures=None):
        real_save(module, directory, signatures=signatures)  # fully written temp dir, then the process "dies"
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(tf.saved_model, "save", crash)
    with pytest.raises(KeyboardInterrupt):
        save(2.0, path)
    assert served(path) == 1.0
    assert any(".tmp-" in name for name in os.listdir(tmp_path / "export"))
    monkeypatch.setattr(tf.saved_model, "save", real_save)
    save(3.0, path)
    assert served(path) == 3.0 and os.listdir(tmp_path / "export") == ["generator"]


def test_kill_between_the_two_renames_is_recovered(tmp_path):
    path = str(tmp_path / "generator")
    save(1.0, path)
    os.replace(path, f"{path}.old-4242")  # the state after the first rename of a killed save
    export.recover_export(path)
    assert served(path) == 1.0 and sorted(os.listdir(tmp_path)) == ["generator"]


def test_signature_called_with_wrong_dtype_fails_clearly(tmp_path):
    path = str(tmp_path / "generator")
    save(1.0, path)
    serve = tf.saved_model.load(path).signatures["serving_default"]
    with pytest.raises((TypeError, ValueError, tf.errors.InvalidArgumentError), match="(?i)float|int32|dtype"):
        serve(x=tf.zeros([1], tf.int32))


def test_a_plain_signature_does_not_check_shapes_so_ours_do(tmp_path):
    # Why export.signature_function exists: a loaded tf.function signature checks dtypes only.
    path = str(tmp_path / "generator")
    save(1.0, path)
    assert tf.saved_model.load(path).signatures["serving_default"](x=tf.zeros([2, 3]))["y"].shape == [2, 3]


def test_generator_signatures_reject_a_wrong_shape_naming_the_input(tmp_path):
    generator = keras.Sequential([keras.Input((4,)), keras.layers.Dense(6)])
    module = export.SamplerExport.unconditional(generator, latent_dim=4, kind="points")
    path = export.save_module(module, module.signatures(), str(tmp_path / "generator"))
    loaded = tf.saved_model.load(path)
    serve, sample = loaded.signatures["serving_default"], loaded.signatures["sample"]
    assert serve(z=tf.zeros([2, 4]))["samples"].shape == [2, 6]
    assert sample(count=tf.constant(3), seed=tf.constant(0, tf.int64))["samples"].shape == [3, 6]
    for bad in (tf.zeros([2, 3]), tf.zeros([4]), tf.zeros([1, 2, 4])):
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"Shape of tensor z .* expected shape \[\?,4\]"):
            serve(z=bad)
    with pytest.raises(tf.errors.InvalidArgumentError, match="Shape of tensor count"):
        sample(count=tf.constant([3]), seed=tf.constant(0, tf.int64))
    with pytest.raises((TypeError, ValueError, tf.errors.InvalidArgumentError), match="(?i)float|int32|dtype"):
        serve(z=tf.zeros([2, 4], tf.int32))


def test_signature_function_checks_unknown_spatial_dims_only_where_known():
    fn = export.signature_function(lambda images: {"n": tf.shape(images)[0]},
                                   tf.TensorSpec([None, None, None, 3], tf.float32, "images"))
    assert int(fn(tf.zeros([2, 5, 7, 3]))["n"]) == 2
    concrete = fn.get_concrete_function()
    with pytest.raises(tf.errors.InvalidArgumentError, match="Shape of tensor images"):
        concrete(tf.zeros([2, 5, 7, 1]))
