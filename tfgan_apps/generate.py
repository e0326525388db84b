"""Pictures from a trained generator: grids, latent interpolations, class and code sweeps, numbered files.

Works on the SavedModel ``tfgan-train`` exports (``RUN/export/generator``) or on the run directory
itself, so it needs neither the training code's model classes nor a checkpoint::

    from tfgan_apps import generate
    gen = generate.load("tensorboard_logs/dcgan_digits")          # a run directory or an export
    generate.save_png(generate.grid(gen, num=64, seed=0), "grid.png")
    strip, frames = generate.interpolation(gen, steps=10, rows=4, method="slerp")
    generate.save_png(strip, "interp.png"); generate.save_gif(frames, "interp.gif")

The export's signatures tell what it needs (``export.py`` and the models' export classes):

* plain generators: ``serving_default(z)``;
* conditional ones (cGAN, ACGAN, ...): ``serving_default(z, labels)``; the number of classes comes
  from the run's ``config.json`` (or ``num_classes=``);
* InfoGAN: ``serving_default(z, categorical, continuous)``; ``latent`` takes the full input, whose
  width gives the number of categories.

Latents are z ~ N(0, I) from ``numpy.random.default_rng(seed)``; ``truncation=t`` redraws every entry
with |z| > t (the truncation trick of Brock et al. 2019: less variety, typical samples).
``latent_arithmetic`` is the vector arithmetic of Radford et al. 2016 (mean z of three groups,
a − b + c).
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from tfgan_apps.errors import ConfigError
from tfgan_apps.progress import progress_bar

INTERPOLATIONS = ("linear", "slerp")


@dataclasses.dataclass
class LoadedGenerator:
    """A generator export and what its signatures take.

    ``kind`` is "plain", "conditional" or "infogan"; ``output`` is "image" (uint8 NHWC samples) or "float"
    (points / signals); ``num_classes`` is the label count of a conditional export (0 when unknown) and
    ``categories`` / ``continuous`` the code sizes of an InfoGAN export.
    """

    path: str
    run_dir: str | None
    serve: Any
    kind: str
    latent_dim: int
    output: str
    num_classes: int = 0
    categories: int = 0
    continuous: int = 0
    batch_size: int = 256
    loaded: Any = None  # the loaded SavedModel: its signatures' variables live as long as it does

    def __call__(self, z: np.ndarray, labels: np.ndarray | None = None, categorical: np.ndarray | None = None,
                 continuous: np.ndarray | None = None) -> np.ndarray:
        """Samples for latents ``z`` [N, latent_dim] (and labels / codes for the kinds that take them), in batches."""
        import tensorflow as tf

        z = np.asarray(z, np.float32)
        out = []
        for i in range(0, len(z), self.batch_size):
            part = slice(i, i + self.batch_size)
            inputs = {"z": tf.constant(z[part])}
            if self.kind == "conditional":
                if labels is None:
                    raise ConfigError("this generator is conditional: pass labels")
                inputs["labels"] = tf.constant(np.asarray(labels, np.int32)[part])
            elif self.kind == "infogan":
                if categorical is None or continuous is None:
                    raise ConfigError("this generator is an InfoGAN: pass categorical and continuous codes")
                inputs["categorical"] = tf.constant(np.asarray(categorical, np.int32)[part])
                inputs["continuous"] = tf.constant(np.asarray(continuous, np.float32)[part])
            out.append(self.serve(**inputs)["samples"].numpy())
        return np.concatenate(out) if out else np.zeros((0,), np.uint8)

    def random_conditions(self, n: int, seed: int) -> dict[str, np.ndarray]:
        """Labels (uniform over the classes) or InfoGAN codes (uniform categories, U(−1, 1) continuous) for
        ``n`` samples; empty for a plain generator."""
        rng = np.random.default_rng([seed, 1])
        if self.kind == "conditional":
            return {"labels": rng.integers(0, self.classes(), n)}
        if self.kind == "infogan":
            return {"categorical": rng.integers(0, max(self.categories, 1), n),
                    "continuous": rng.uniform(-1.0, 1.0, (n, self.continuous)).astype(np.float32)}
        return {}

    def classes(self) -> int:
        """The number of classes of a conditional export; ConfigError when it is unknown."""
        if self.num_classes < 1:
            raise ConfigError(f"the number of classes of {self.path!r} is unknown (no run directory with a "
                              "config.json around it); pass --num_classes")
        return self.num_classes


def find_export(path: str) -> tuple[str, str | None]:
    """(generator SavedModel directory, run directory or None) for a run directory or an export path."""
    if os.path.isfile(os.path.join(path, "config.json")):
        export_dir = os.path.join(path, "export", "generator")
        if not os.path.isfile(os.path.join(export_dir, "saved_model.pb")):
            raise ConfigError(f"run {path!r} has no generator export (export/generator); write it with "
                              f"tfgan-export --workdir={path}")
        return export_dir, path
    if os.path.isfile(os.path.join(path, "saved_model.pb")):
        run_dir = os.path.dirname(os.path.dirname(os.path.abspath(path)))
        return path, run_dir if os.path.isfile(os.path.join(run_dir, "config.json")) else None
    raise ConfigError(f"no generator at {path!r}; pass a run directory written by tfgan-train or its "
                      "export/generator SavedModel")


def _num_classes(run_dir: str | None) -> int:
    """The label count of the run's data source (0 without a run directory)."""
    if run_dir is None:
        return 0
    from tfgan_apps.config import from_json
    from tfgan_apps.data import load_source

    with open(os.path.join(run_dir, "config.json")) as f:
        config = from_json(f.read())
    return int(load_source(config.data).num_classes)


def load(path: str, num_classes: int = 0, batch_size: int = 256) -> LoadedGenerator:
    """Loads the generator export of a run directory or an export path (see ``find_export``)."""
    export_dir, run_dir = find_export(path)
    import tensorflow as tf

    loaded = tf.saved_model.load(export_dir)
    serve = loaded.signatures.get("serving_default")
    inputs = serve.structured_input_signature[1] if serve is not None else {}
    if "z" not in inputs:
        raise ConfigError(f"{export_dir!r} is not a generator export (its serving_default takes "
                          f"{sorted(inputs) or 'nothing'}, not z)")
    latent_dim = int(inputs["z"].shape[-1])
    output = "image" if serve.structured_outputs["samples"].dtype == tf.uint8 else "float"
    gen = LoadedGenerator(export_dir, run_dir, serve, "plain", latent_dim, output, batch_size=batch_size,
                          loaded=loaded)
    if "labels" in inputs:
        gen.kind = "conditional"
        gen.num_classes = int(num_classes) or _num_classes(run_dir)
    elif "categorical" in inputs:
        gen.kind = "infogan"
        gen.continuous = int(inputs["continuous"].shape[-1])
        full = loaded.signatures["latent"].structured_input_signature[1]["z"].shape[-1]
        gen.categories = int(full) - latent_dim - gen.continuous
    return gen


def sample_latents(n: int, latent_dim: int, seed: int = 0, truncation: float = 0.0) -> np.ndarray:
    """z ~ N(0, I) [n, latent_dim] from ``seed``; ``truncation`` t > 0 redraws entries with |z| > t until none is."""
    if truncation < 0:
        raise ConfigError(f"--truncation must be ≥ 0 (0 = off), got {truncation}")
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, latent_dim))
    if truncation > 0:
        if truncation < 0.05:
            raise ConfigError(f"--truncation {truncation} is too small to sample from; use ≥ 0.05 (0 = off)")
        outside = np.abs(z) > truncation
        while outside.any():
            z[outside] = rng.standard_normal(int(outside.sum()))
            outside = np.abs(z) > truncation
    return z.astype(np.float32)


def interpolate(z0: np.ndarray, z1: np.ndarray, steps: int, method: str = "slerp") -> np.ndarray:
    """``steps`` latents from ``z0`` to ``z1`` (both ends included) [steps, d].

    ``linear``: (1 − t)·z0 + t·z1. ``slerp`` (spherical, White 2016): along the great circle,
    sin((1 − t)Ω)/sin Ω · z0 + sin(tΩ)/sin Ω · z1 with cos Ω = z0·z1 / (|z0| |z1|), which keeps the norm
    typical of a Gaussian latent in the middle (linear midpoints are shorter); linear when z0 ∥ z1.
    """
    if method not in INTERPOLATIONS:
        raise ConfigError(f"unknown interpolation {method!r}; valid choices: {', '.join(INTERPOLATIONS)}")
    if steps < 2:
        raise ConfigError(f"an interpolation needs ≥ 2 steps, got {steps}")
    z0, z1 = np.asarray(z0, np.float64), np.asarray(z1, np.float64)
    t = np.linspace(0.0, 1.0, steps)[:, None]
    cos = float(z0 @ z1 / max(np.linalg.norm(z0) * np.linalg.norm(z1), 1e-12))
    omega = math.acos(min(max(cos, -1.0), 1.0))
    if method == "linear" or math.sin(omega) < 1e-6:
        return ((1 - t) * z0 + t * z1).astype(np.float32)
    return ((np.sin((1 - t) * omega) * z0 + np.sin(t * omega) * z1) / math.sin(omega)).astype(np.float32)


def latent_arithmetic(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """The vector arithmetic of DCGAN (Radford et al. 2016, Sec. 6.3): mean(a) − mean(b) + mean(c).

    Each group is the latents [n, d] of a few samples that share a visual concept (the paper averages
    three, e.g. "smiling woman", "neutral woman", "neutral man"); single vectors are unstable, their means
    are not. Feed the result (and small perturbations of it) to the generator::

        z = sample_latents(64, gen.latent_dim, seed=3)          # look at gen(z), pick indices per group
        target = latent_arithmetic(z[[1, 7, 9]], z[[4, 5, 20]], z[[2, 8, 11]])
        images = gen(target[None] + 0.25 * sample_latents(8, gen.latent_dim, seed=4))   # "smiling man"

    Returns float32 [d].
    """
    groups = [np.atleast_2d(np.asarray(g, np.float32)) for g in (a, b, c)]
    if len({g.shape[1] for g in groups}) != 1 or any(len(g) == 0 for g in groups):
        raise ConfigError(f"latent_arithmetic needs three non-empty groups of equal width, got shapes "
                          f"{[g.shape for g in groups]}")
    return (groups[0].mean(0) - groups[1].mean(0) + groups[2].mean(0)).astype(np.float32)


# ---------------------------------------------------------------------------------------------------- pictures
def tile(images: np.ndarray, cols: int, pad: int = 1) -> np.ndarray:
    """uint8 images [N, H, W, C] in a grid of ``cols`` columns (row-major) on white; uint8 [H', W', C]."""
    from tfgan_apps.visualize import image_grid

    return image_grid(np.asarray(images, np.float32) / 127.5 - 1.0, cols=cols, pad=pad)


def _need_images(gen: LoadedGenerator, what: str) -> None:
    if gen.output != "image":
        raise ConfigError(f"{what} needs an image generator; {gen.path!r} generates points or signals "
                          "(use the grid, which plots them)")


def grid(gen: LoadedGenerator, num: int = 64, seed: int = 0, truncation: float = 0.0,
         cols: int | None = None) -> np.ndarray:
    """A picture of ``num`` samples: an image grid, or a scatter / line plot for points / signals."""
    from tfgan_apps import visualize

    if num < 1:
        raise ConfigError(f"--num must be ≥ 1, got {num}")
    samples = gen(sample_latents(num, gen.latent_dim, seed, truncation), **gen.random_conditions(num, seed))
    if gen.output == "image":
        return tile(samples, cols or int(math.ceil(math.sqrt(num))))
    return visualize.scatter_image(samples) if samples.ndim == 2 and samples.shape[1] == 2 else \
        visualize.signal_plot(samples[:16])


def interpolation(gen: LoadedGenerator, steps: int = 10, rows: int = 4, method: str = "slerp", seed: int = 0,
                  truncation: float = 0.0) -> tuple[np.ndarray, list[np.ndarray]]:
    """``rows`` walks between random latent pairs, ``steps`` frames each.

    Returns (a strip picture: one walk per row, uint8; the animation frames: frame k shows step k of
    every walk in one column). Labels / codes stay fixed along a walk.
    """
    _need_images(gen, "an interpolation")
    ends = sample_latents(2 * rows, gen.latent_dim, seed, truncation)
    z = np.concatenate([interpolate(ends[2 * r], ends[2 * r + 1], steps, method) for r in range(rows)])
    conditions = {k: np.repeat(v, steps, axis=0) for k, v in gen.random_conditions(rows, seed).items()}
    samples = gen(z, **conditions)
    samples = samples.reshape(rows, steps, *samples.shape[1:])
    strip = tile(samples.reshape(rows * steps, *samples.shape[2:]), cols=steps)
    frames = [tile(samples[:, k], cols=1) for k in range(steps)]
    return strip, frames


def class_sweep(gen: LoadedGenerator, per_class: int = 8, seed: int = 0, truncation: float = 0.0) -> np.ndarray:
    """A conditional generator's grid: one row per label, the same ``per_class`` latents in every row."""
    _need_images(gen, "a class sweep")
    if gen.kind != "conditional":
        raise ConfigError(f"a class sweep needs a conditional generator (its signature takes labels); "
                          f"{gen.path!r} is {gen.kind}" + (" (try --mode=codes)" if gen.kind == "infogan" else ""))
    classes = gen.classes()
    z = np.tile(sample_latents(per_class, gen.latent_dim, seed, truncation), (classes, 1))
    labels = np.repeat(np.arange(classes), per_class)
    return tile(gen(z, labels=labels), cols=per_class)


def code_sweeps(gen: LoadedGenerator, steps: int = 8, seed: int = 0, truncation: float = 0.0,
                limit: float = 1.0) -> dict[str, np.ndarray]:
    """InfoGAN sheets (Chen et al. 2016, Fig. 2), one row per categorical value in each:

    * ``categorical``: columns are ``steps`` latents z, continuous codes 0;
    * ``continuous_<i>``: one fixed z; code i swept from −limit to limit across the columns, the others 0.
    """
    _need_images(gen, "a code sweep")
    if gen.kind != "infogan":
        raise ConfigError(f"code sweeps need an InfoGAN generator (its signature takes categorical and "
                          f"continuous codes); {gen.path!r} is {gen.kind}"
                          + (" (try --mode=classes)" if gen.kind == "conditional" else ""))
    rows = max(gen.categories, 1)
    categorical = np.repeat(np.arange(rows), steps)
    z = np.tile(sample_latents(steps, gen.latent_dim, seed, truncation), (rows, 1))
    sheets = {"categorical": tile(gen(z, categorical=categorical,
                                      continuous=np.zeros((rows * steps, gen.continuous), np.float32)), cols=steps)}
    fixed = np.repeat(sample_latents(1, gen.latent_dim, seed, truncation), rows * steps, axis=0)
    sweep = np.linspace(-limit, limit, steps, dtype=np.float32)
    for i in range(gen.continuous):
        codes = np.zeros((rows * steps, gen.continuous), np.float32)
        codes[:, i] = np.tile(sweep, rows)
        sheets[f"continuous_{i}"] = tile(gen(fixed, categorical=categorical, continuous=codes), cols=steps)
    return sheets


def write_numbered(gen: LoadedGenerator, num: int, output_dir: str, seed: int = 0, truncation: float = 0.0,
                   progress: bool = True) -> list[str]:
    """Writes ``num`` samples as ``output_dir/000000.png`` ... (a layout clean-fid / pytorch-fid read), batch by
    batch with a progress bar; labels / codes are drawn at random. Returns the paths."""
    _need_images(gen, "numbered PNG files")
    if num < 1:
        raise ConfigError(f"--num must be ≥ 1, got {num}")
    os.makedirs(output_dir, exist_ok=True)
    width = max(6, len(str(num - 1)))
    z = sample_latents(num, gen.latent_dim, seed, truncation)
    conditions = gen.random_conditions(num, seed)
    paths = []
    bar = progress_bar(total=num, desc="generate", unit="img", **({} if progress else {"disable": True}))
    try:
        for start in range(0, num, gen.batch_size):
            part = slice(start, start + gen.batch_size)
            for offset, image in enumerate(gen(z[part], **{k: v[part] for k, v in conditions.items()})):
                path = os.path.join(output_dir, f"{start + offset:0{width}d}.png")
                save_png(image, path)
                paths.append(path)
            bar.update(len(z[part]))
    finally:
        bar.close()
    return paths


# ---------------------------------------------------------------------------------------------------- files
def _pil(image: np.ndarray) -> Any:
    from PIL import Image

    image = np.asarray(image, np.uint8)
    return Image.fromarray(image[..., 0] if image.ndim == 3 and image.shape[-1] == 1 else image)


def save_png(image: np.ndarray, path: str) -> str:
    """Writes a uint8 image [H, W, C] (C = 1 or 3) as PNG; returns the path."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    _pil(image).save(path, format="PNG")
    return path


def save_gif(frames: Sequence[np.ndarray], path: str, fps: float = 8.0, pingpong: bool = True,
             scale: int = 1) -> str:
    """Writes uint8 frames [H, W, C] as a looping animated GIF (forward then back when ``pingpong``), each
    frame enlarged ``scale``× (nearest); returns the path."""
    order = list(frames) + (list(frames)[-2:0:-1] if pingpong else [])
    pictures = [_pil(np.kron(f, np.ones((scale, scale, 1), np.uint8)) if scale > 1 else f) for f in order]
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    pictures[0].save(path, format="GIF", save_all=True, append_images=pictures[1:], loop=0,
                     duration=int(1000 / fps), optimize=False)
    return path


def describe(gen: LoadedGenerator) -> str:
    """One line about a loaded generator (for logs)."""
    extra = {"conditional": f", {gen.num_classes or '?'} classes",
             "infogan": f", {gen.categories} categories, {gen.continuous} continuous codes"}.get(gen.kind, "")
    return json.dumps(gen.path) + f": {gen.kind} generator, latent {gen.latent_dim}, {gen.output} output{extra}"
