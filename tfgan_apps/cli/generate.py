"""``tfgan-generate``: pictures from a trained generator (a run directory or its export/generator SavedModel).

    tfgan-generate --model=RUN [--num=64 --seed=0 --truncation=0.7] [--output=grid.png]       # a grid
    tfgan-generate --model=RUN --interpolate=slerp [--steps=10 --rows=4]  # strip .png + animated .gif
    tfgan-generate --model=RUN --mode=classes [--num=8]       # conditional models: one row per label
    tfgan-generate --model=RUN --mode=codes [--steps=8]       # InfoGAN: one row per categorical value
    tfgan-generate --model=RUN --num=10000 --output_dir=DIR   # numbered PNGs (for clean-fid and the like)

``--mode=auto`` (the default) writes numbered files when --output_dir is given, an interpolation when
--interpolate is, else a grid. Outputs go to --output (default RUN/generated/<mode>.png, or ./<mode>.png
for an export outside a run directory); the paths written are printed.
"""

from __future__ import annotations

import os
import sys

from absl import flags, logging

from tfgan_apps import cli
from tfgan_apps import generate as gen_lib
from tfgan_apps.errors import ConfigError

MODES = ("auto", "grid", "interpolate", "classes", "codes", "files")

_MODEL = flags.DEFINE_string("model", None, "A run directory written by tfgan-train, or its export/generator.")
_MODE = flags.DEFINE_enum("mode", "auto", list(MODES), "What to write (see above).")
_NUM = flags.DEFINE_integer("num", None, "Samples: grid 64, numbered files 10000; per label for --mode=classes (8).")
_SEED = flags.DEFINE_integer("seed", 0, "Seed of the latents (and of labels / codes drawn at random).")
_TRUNCATION = flags.DEFINE_float("truncation", 0.0, "Redraw latent entries with |z| > t (truncation trick); 0 = off.")
_INTERPOLATE = flags.DEFINE_enum("interpolate", None, list(gen_lib.INTERPOLATIONS),
                                 "Latent interpolation: linear or slerp (spherical); implies --mode=interpolate.")
_STEPS = flags.DEFINE_integer("steps", None, "Frames per interpolation (10) / columns of a code sweep (8).")
_ROWS = flags.DEFINE_integer("rows", 4, "Interpolations (rows of the strip).")
_OUTPUT = flags.DEFINE_string("output", None, "Output .png (interpolate: also the .gif beside it; codes: a prefix).")
_OUTPUT_DIR = flags.DEFINE_string("output_dir", None, "Directory for numbered PNGs (implies --mode=files).")
_NUM_CLASSES = flags.DEFINE_integer("num_classes", 0, "Labels of a conditional export outside its run directory.")
_FPS = flags.DEFINE_float("fps", 8.0, "Frames per second of the interpolation GIF.")


def resolve_mode(mode: str, output_dir: str | None, interpolate: str | None) -> str:
    """``auto`` → files with --output_dir, interpolate with --interpolate, else grid."""
    if mode != "auto":
        return mode
    return "files" if output_dir else "interpolate" if interpolate else "grid"


def output_path(gen: gen_lib.LoadedGenerator, mode: str, output: str | None) -> str:
    """--output, else RUN/generated/<mode>.png, else ./<mode>.png."""
    if output:
        return output
    folder = os.path.join(gen.run_dir, "generated") if gen.run_dir else "."
    return os.path.join(folder, f"{mode}.png")


def main(argv: list[str]) -> None:
    """Loads the generator and writes what --mode asks for."""
    if len(argv) > 1:
        raise ConfigError(f"unexpected arguments: {' '.join(argv[1:])}")
    if not _MODEL.value:
        raise ConfigError("--model is required: a run directory written by tfgan-train or its export/generator")
    mode = resolve_mode(_MODE.value, _OUTPUT_DIR.value, _INTERPOLATE.value)
    if mode == "files" and not _OUTPUT_DIR.value:
        raise ConfigError("--mode=files needs --output_dir=DIR")
    for name, value in (("num", _NUM.value), ("steps", _STEPS.value), ("rows", _ROWS.value)):
        if value is not None and value < 1:
            raise ConfigError(f"--{name} must be ≥ 1, got {value}")
    gen = gen_lib.load(_MODEL.value, num_classes=_NUM_CLASSES.value)
    logging.info("%s", gen_lib.describe(gen))
    seed, truncation = _SEED.value, _TRUNCATION.value
    written: list[str] = []
    if mode == "files":
        paths = gen_lib.write_numbered(gen, _NUM.value or 10000, _OUTPUT_DIR.value, seed, truncation)
        written.append(f"{len(paths)} PNGs in {_OUTPUT_DIR.value}")
    elif mode == "grid":
        picture = gen_lib.grid(gen, _NUM.value or 64, seed, truncation)
        written.append(gen_lib.save_png(picture, output_path(gen, mode, _OUTPUT.value)))
    elif mode == "interpolate":
        strip, frames = gen_lib.interpolation(gen, _STEPS.value or 10, _ROWS.value, _INTERPOLATE.value or "slerp",
                                              seed, truncation)
        png = output_path(gen, mode, _OUTPUT.value)
        written.append(gen_lib.save_png(strip, png))
        scale = max(1, 128 // frames[0].shape[0])  # small digits are enlarged so the GIF is watchable
        written.append(gen_lib.save_gif(frames, os.path.splitext(png)[0] + ".gif", fps=_FPS.value, scale=scale))
    elif mode == "classes":
        picture = gen_lib.class_sweep(gen, _NUM.value or 8, seed, truncation)
        written.append(gen_lib.save_png(picture, output_path(gen, mode, _OUTPUT.value)))
    else:  # codes
        prefix = os.path.splitext(output_path(gen, mode, _OUTPUT.value))[0]
        for name, picture in gen_lib.code_sweeps(gen, _STEPS.value or 8, seed, truncation).items():
            written.append(gen_lib.save_png(picture, f"{prefix}_{name}.png"))
    sys.stdout.write("".join(f"wrote {path}\n" for path in written))


def run() -> None:
    """Console-script entry point."""
    cli.run_main(main, "tfgan-generate")


if __name__ == "__main__":
    run()
