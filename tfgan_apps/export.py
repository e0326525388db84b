"""SavedModel export with serving signatures, written atomically.

Each model names what it exports in ``exportables(source)`` (base GAN: the
generator). Every generator is exported by one class, ``SamplerExport``; the
unconditional one has two signatures:

* ``serving_default(z: float32 [N, latent_dim]) -> {"samples": ...}``
* ``sample(count: int32 [], seed: int64 []) -> {"samples": ...}``

(conditional models add ``labels`` to both, InfoGAN its codes; see ``SamplerExport``).
Encoders (BiGAN, AAE) are exported by ``EncoderExport`` (``{"z": ...}``).

Image models return uint8 NHWC in [0, 255]; points and signals return float32.
Every signature checks the dtype *and* the shape of its inputs (``signature_function``).
The export is written next to its destination and renamed into place, so a
crash during export never leaves a half-written SavedModel where a good one was.
"""

from __future__ import annotations

import functools
import glob
import os
import shutil
from collections.abc import Callable, Sequence
from typing import Any

import keras
import tensorflow as tf
from absl import logging


def signature_function(fn: Callable[..., Any], *specs: tf.TensorSpec) -> Any:
    """``tf.function(fn, input_signature=specs)`` that also checks every input's shape when called.

    A loaded SavedModel signature checks only the dtypes of its inputs: a float32 [2, 3] tensor fed to a
    [None, 4] spec runs and can silently return a wrong result. Each input here goes through
    ``tf.ensure_shape`` first, so a wrong shape fails with ``InvalidArgumentError: Shape of tensor NAME
    [got] is not compatible with expected shape [want]`` naming the input.
    """

    @functools.wraps(fn)
    def checked(*args: tf.Tensor) -> Any:
        return fn(*(tf.ensure_shape(x, spec.shape, name=spec.name) for x, spec in zip(args, specs, strict=True)))

    return tf.function(checked, input_signature=list(specs))


def images_to_uint8(x: tf.Tensor) -> tf.Tensor:
    """[-1, 1] float images → uint8 [0, 255]."""
    return tf.cast(tf.clip_by_value(tf.round((tf.cast(x, tf.float32) + 1.0) * 127.5), 0.0, 255.0), tf.uint8)


def uint8_to_images(x: tf.Tensor) -> tf.Tensor:
    """uint8 [0, 255] → float32 [-1, 1] (the inverse of ``images_to_uint8``)."""
    return tf.cast(x, tf.float32) / 127.5 - 1.0


def output_samples(x: tf.Tensor, kind: str) -> dict[str, tf.Tensor]:
    """A generator's output as the exports return it: uint8 for images, float32 for points and signals."""
    return {"samples": images_to_uint8(x) if kind == "image" else tf.cast(x, tf.float32)}


def seed_pair(seed: tf.Tensor, stream: int = 0) -> tf.Tensor:
    """The stateless seed ``[seed, stream]`` a sampler export draws stream ``stream`` from."""
    return tf.stack([tf.cast(seed, tf.int64), tf.constant(stream, tf.int64)])


class SamplerExport(tf.Module):
    """The one export of every generator: ``serving_default`` from given inputs, ``sample`` from a seed.

    * ``serving_default(*inputs)`` — the generator's inputs by name (``z`` for every model, plus
      ``labels`` for the conditional models, ``categorical`` / ``continuous`` for InfoGAN) →
      ``{"samples": ...}``; ``assemble(*inputs)`` turns them into what the generator is called on.
    * ``sample(*sample_inputs, seed: int64 [])`` — ``draw(*sample_inputs, seed)`` returns the inputs
      above from the seed alone (``sample(count, seed)`` for unconditional models, ``sample(labels, seed)``
      for conditional ones: the labels are what the user chooses, z is drawn).
    * ``extra`` signatures by name: ``(fn, specs)`` pairs (InfoGAN's ``latent`` takes the full generator input).

    Images come back as uint8 NHWC; points and signals as float32. Every signature checks its inputs'
    shapes (``signature_function``). Models build theirs with ``exportables`` (``GAN.exportables``: the
    unconditional one, ``SamplerExport.unconditional``).
    """

    def __init__(self, generator: keras.Model, kind: str, inputs: Sequence[tf.TensorSpec],
                 sample_inputs: Sequence[tf.TensorSpec], draw: Callable[..., Sequence[tf.Tensor]],
                 assemble: Callable[..., Any] | None = None,
                 extra: dict[str, tuple[Callable[..., Any], Sequence[tf.TensorSpec]]] | None = None) -> None:
        super().__init__(name="sampler_export")
        self.generator = generator
        self.kind = kind
        self._assemble = assemble or (lambda *xs: xs[0] if len(xs) == 1 else list(xs))
        self._draw = draw
        self.serve = signature_function(self._serve, *inputs)
        self.sample = signature_function(self._sample, *sample_inputs, tf.TensorSpec([], tf.int64, "seed"))
        self._extra = {name: signature_function(fn, *specs) for name, (fn, specs) in (extra or {}).items()}

    @classmethod
    def unconditional(cls, generator: keras.Model, latent_dim: int, kind: str,
                      prior: Callable[[tf.Tensor, tf.Tensor], tf.Tensor] | None = None) -> SamplerExport:
        """``serving_default(z)``, ``sample(count, seed)`` with z ~ ``prior(count, seed_pair)`` (N(0, I) by default)."""
        def draw(count: tf.Tensor, seed: tf.Tensor) -> list[tf.Tensor]:
            if prior is not None:
                return [prior(count, seed_pair(seed))]
            return [tf.random.stateless_normal(tf.stack([count, latent_dim]), seed=seed_pair(seed))]

        return cls(generator, kind, inputs=[tf.TensorSpec([None, latent_dim], tf.float32, "z")],
                   sample_inputs=[tf.TensorSpec([], tf.int32, "count")], draw=draw)

    def generate(self, generator_input: Any) -> dict[str, tf.Tensor]:
        """The generator on an assembled input, as the signatures return it."""
        return output_samples(self.generator(generator_input, training=False), self.kind)

    def _serve(self, *inputs: tf.Tensor) -> dict[str, tf.Tensor]:
        return self.generate(self._assemble(*inputs))

    def _sample(self, *args: tf.Tensor) -> dict[str, tf.Tensor]:
        *given, seed = args
        return self._serve(*self._draw(*given, seed))

    def signatures(self) -> dict[str, Any]:
        """The concrete functions to save as signatures."""
        out = {"serving_default": self.serve.get_concrete_function(), "sample": self.sample.get_concrete_function()}
        out.update({name: fn.get_concrete_function() for name, fn in self._extra.items()})
        return out


class EncoderExport(tf.Module):
    """An encoder (BiGAN's E, the adversarial autoencoder's E) with ``serving_default`` / ``encode``:
    x → ``{"z": float32 [N, latent_dim]}``.

    ``z`` is the generator export's input name, so ``generator(z=encoder(images=x)["z"])`` round-trips.
    Images are taken as uint8 NHWC (``images``, as the generator export returns them), other kinds as
    float32 (``signals`` / ``samples``).
    """

    def __init__(self, encoder: keras.Model, input_shape: tuple[int, ...], kind: str) -> None:
        super().__init__(name="encoder_export")
        self.encoder = encoder
        self.kind = kind
        if kind == "image":
            spec = tf.TensorSpec([None, *input_shape], tf.uint8, "images")
        else:
            spec = tf.TensorSpec([None, *input_shape], tf.float32, "signals" if kind == "signal" else "samples")
        self.encode = signature_function(self._encode, spec)

    def _encode(self, x: tf.Tensor) -> dict[str, tf.Tensor]:
        x = uint8_to_images(x) if self.kind == "image" else x
        return {"z": tf.cast(self.encoder(x, training=False), tf.float32)}

    def signatures(self) -> dict[str, Any]:
        """The concrete functions to save as signatures."""
        fn = self.encode.get_concrete_function()
        return {"serving_default": fn, "encode": fn}


def recover_export(export_dir: str) -> None:
    """Puts back the previous export if a save was killed between its two renames, and removes the
    half-written temporary directories of killed saves."""
    for leftover in sorted(glob.glob(f"{glob.escape(export_dir)}.old-*")):
        if not os.path.exists(export_dir):
            os.replace(leftover, export_dir)
            logging.warning("recovered the previous export %s from an interrupted save", export_dir)
        else:
            shutil.rmtree(leftover, ignore_errors=True)
    for leftover in glob.glob(f"{glob.escape(export_dir)}.tmp-*"):
        shutil.rmtree(leftover, ignore_errors=True)


def save_module(module: tf.Module, signatures: dict[str, Any], export_dir: str) -> str:
    """Saves ``module`` as a SavedModel at ``export_dir`` atomically.

    The new SavedModel is written to a temporary directory and renamed into
    place; a kill at any point leaves the previous export readable (at worst
    under ``<export_dir>.old-<pid>`` for the instant between the two renames,
    from where the next save puts it back, see ``recover_export``).
    """
    parent = os.path.dirname(os.path.abspath(export_dir))
    os.makedirs(parent, exist_ok=True)
    recover_export(export_dir)
    tmp = f"{export_dir}.tmp-{os.getpid()}"
    old = f"{export_dir}.old-{os.getpid()}"
    tf.saved_model.save(module, tmp, signatures=signatures)
    if os.path.exists(export_dir):
        os.replace(export_dir, old)
    os.replace(tmp, export_dir)
    shutil.rmtree(old, ignore_errors=True)
    logging.info("exported SavedModel to %s", export_dir)
    return export_dir


def save_generator(model: keras.Model, export_dir: str, kind: str = "image") -> str:
    """Exports a model's generator (its EMA copy when on) as the SavedModel ``tfgan-train`` writes
    (``serving_default(z)``, ``sample(count, seed)``); ``kind``: ``image`` (uint8 out), ``points``, ``signal``."""
    generator = getattr(model, "inference_generator", model)
    latent_dim = getattr(model, "latent_dim", None) or int(generator.input_shape[-1])
    module = SamplerExport.unconditional(generator, latent_dim, kind)
    return save_module(module, module.signatures(), export_dir)


def save(model: keras.Model, source: Any, export_root: str) -> dict[str, str]:
    """Exports each of ``model.exportables(source)`` to ``export_root/<name>``; returns the paths."""
    paths = {}
    for name, module in model.exportables(source).items():
        paths[name] = save_module(module, module.signatures(), os.path.join(export_root, name))
    return paths
