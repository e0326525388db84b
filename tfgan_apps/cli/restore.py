"""``tfgan-restore``: denoise / de-rain / super-resolve / colorize / inpaint images of any size with an exported
restorer.

    tfgan-restore --model=RUN/export/restorer --input=photo.png --output=restored.png [--tile=256 --overlap=32]
    tfgan-restore --model=RUN/export/restorer --input=in_dir/ --output=out_dir/ [--self_ensemble]
    tfgan-restore --model=INPAINT_RUN/export/restorer --input=photo.png --mask=holes.png --output=filled.png
    tfgan-restore --model=INPAINT_RUN/export/restorer --input=photo_with_alpha.png --output=filled.png

Inpainting models (recipe ``inpaint_photos``) need the holes: ``--mask`` is an image of the input's size,
white (≥ 128 after conversion to grey) = hole, black = known pixel; for a directory ``--input``,
``--mask`` is a directory holding a mask of the same relative name (any image extension) for every
input. Without ``--mask`` the input's alpha channel is the mask: transparent (alpha < 128) = hole, so a
PNG with the holes erased in an image editor works as it is. Known pixels are returned unchanged, the
holes are filled by the model (their input pixels are ignored).

Each image is cut into overlapping ``tile``×``tile`` tiles that are restored in
batches of ``--batch`` and blended with a smooth window (``restoration.inference.tiled_apply``),
so memory is bounded by the tile batch plus a few copies of the image, and
there are no seams (the peak resident memory is logged at the end;
``benchmarks/restore_memory.py`` measures it against tile and image size).
A directory is processed recursively; outputs keep the relative paths (PNG
unless the output file name says ``.jpg``). The model's float signature
``restore_float`` is used, so only the final image is quantised; for an inpainting
model the holes of the whole image are filled first (``fill_holes``: its fill can
reach far into a large hole) and the tiles, mask included, go through ``restore_filled``.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from absl import flags, logging

from tfgan_apps import cli
from tfgan_apps.errors import ConfigError, DataError
from tfgan_apps.progress import progress_bar

_MODEL = flags.DEFINE_string("model", None, "Exported restorer SavedModel (RUN/export/restorer).")
_INPUT = flags.DEFINE_string("input", None, "An image file or a directory of images.")
_OUTPUT = flags.DEFINE_string("output", None, "Output file (for one input file) or directory.")
_TILE = flags.DEFINE_integer("tile", 256, "Tile side in input pixels (larger: faster, more memory).")
_OVERLAP = flags.DEFINE_integer("overlap", 32, "Overlap of neighbouring tiles in input pixels (< tile/2).")
_BATCH = flags.DEFINE_integer("batch", 4, "Tiles per model call.")
_SELF_ENSEMBLE = flags.DEFINE_bool(
    "self_ensemble", False,
    "Average the model over the 8 rotations / reflections of each tile (EDSR+): 8× slower, usually a little "
    "higher PSNR.")

_MASK = flags.DEFINE_string(
    "mask", None,
    "Inpainting models only: the hole mask, an image of the input's size, white (>= 128) = hole; a directory "
    "of masks with the inputs' relative names for a directory --input. Without it the input's alpha channel "
    "is the mask (alpha < 128 = hole).")

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif")


def maxrss_mib(ru_maxrss: int) -> float:
    """A ``getrusage`` / ``os.wait4`` ``ru_maxrss`` in MiB (it is bytes on macOS, KiB on Linux)."""
    return ru_maxrss / 2**20 if sys.platform == "darwin" else ru_maxrss / 2**10


def peak_rss_mib() -> float:
    """This process's peak resident memory so far in MiB (``getrusage``; NaN where unavailable)."""
    try:
        import resource
    except ImportError:  # not on Unix
        return float("nan")
    return maxrss_mib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def plan(input_path: str, output_path: str) -> list[tuple[str, str]]:
    """(input file, output file) pairs for a file or a directory; DataError for a missing input."""
    if os.path.isfile(input_path):
        if output_path.lower().endswith(IMAGE_EXTENSIONS):
            return [(input_path, output_path)]
        name = os.path.splitext(os.path.basename(input_path))[0] + ".png"
        return [(input_path, os.path.join(output_path, name))]
    if not os.path.isdir(input_path):
        raise DataError(f"input {input_path!r} does not exist")
    from tfgan_apps.data.folder import list_images

    if output_path.lower().endswith(IMAGE_EXTENSIONS):
        raise ConfigError(f"--input is a directory, so --output must be a directory, got {output_path!r}")
    return [(path, os.path.join(output_path, os.path.splitext(os.path.relpath(path, input_path))[0] + ".png"))
            for path in list_images(input_path)]


def load_restorer(path: str) -> tuple[Any, Any, int, int]:
    """Loads an exported restorer: (SavedModel, float signature, scale, channels); ConfigError if it is not one."""
    if not os.path.isfile(os.path.join(path, "saved_model.pb")):
        raise ConfigError(f"no SavedModel at --model={path!r}; pass RUN/export/restorer written by tfgan-train")
    import tensorflow as tf

    loaded = tf.saved_model.load(path)
    if "restore_float" not in loaded.signatures:
        raise ConfigError(f"{path!r} is not a restorer export (no 'restore_float' signature)")
    fn = loaded.signatures["restore_float"]
    scale = int(loaded.signatures["info"]()["scale"].numpy())
    channels = int(fn.structured_input_signature[1]["images"].shape[-1])
    return loaded, fn, scale, channels


def takes_mask(fn: Any) -> bool:
    """Whether a restorer's ``restore_float`` signature takes a hole mask (an inpainting model)."""
    return "mask" in fn.structured_input_signature[1]


def inpainting_functions(loaded: Any) -> tuple[Any, Any]:
    """(tile function, whole-image hole fill) of an inpainting export: ``restore_filled`` and ``fill_holes``,
    so the holes are filled from the whole image before it is tiled; (``restore_float``, None) for an export
    without them."""
    if "restore_filled" in loaded.signatures and "fill_holes" in loaded.signatures:
        return loaded.signatures["restore_filled"], loaded.signatures["fill_holes"]
    return loaded.signatures["restore_float"], None


def mask_files(input_path: str, mask_path: str | None, jobs: list[tuple[str, str]]) -> list[str | None]:
    """The ``--mask`` file of every job (None: the input's alpha channel); DataError naming a missing mask."""
    if not mask_path:
        return [None] * len(jobs)
    if not os.path.exists(mask_path):
        raise DataError(f"mask {mask_path!r} does not exist")
    if os.path.isfile(input_path):
        if not os.path.isfile(mask_path):
            raise ConfigError(f"--input is a file, so --mask must be a mask image, got the directory {mask_path!r}")
        return [mask_path]
    if not os.path.isdir(mask_path):
        raise ConfigError(f"--input is a directory, so --mask must be a directory of masks with the inputs' "
                          f"relative names, got {mask_path!r}")
    from tfgan_apps.data.folder import list_images

    by_stem = {os.path.splitext(os.path.relpath(p, mask_path))[0]: p for p in list_images(mask_path)}
    masks: list[str | None] = []
    for source, _ in jobs:
        stem = os.path.splitext(os.path.relpath(source, input_path))[0]
        if stem not in by_stem:
            raise DataError(f"no mask for {source!r}: expected {os.path.join(mask_path, stem)}.png (or another "
                            f"image extension) in --mask")
        masks.append(by_stem[stem])
    return masks


def _decode(path: str, what: str) -> Any:
    """``decode_file`` without the training-only advice (skip_corrupt) in its error."""
    from tfgan_apps.data.folder import decode_file

    try:
        return decode_file(path)
    except DataError as err:
        raise DataError(str(err).split("; remove it")[0].replace("image file", f"{what} file", 1)) from None


def read_mask(decoded: Any, source: str, mask_path: str | None) -> Any:
    """The hole mask [H, W, 1] float32 (1 = hole) of a decoded [0, 1] input: the ``mask_path`` image (white =
    hole) or the input's alpha channel (transparent = hole); DataError for a mask that does not fit."""
    import numpy as np

    from tfgan_apps.data.paired import match_channels

    if mask_path is None:
        if decoded.shape[-1] not in (2, 4):
            raise DataError(f"{source!r} has no alpha channel and no --mask was given: this model inpaints; pass "
                            "--mask=PATH (white = hole) or a PNG whose holes are transparent (alpha 0)")
        return (decoded[..., -1:] < 0.5).astype(np.float32)
    mask = _decode(mask_path, "mask")
    if mask.shape[:2] != decoded.shape[:2]:
        raise DataError(f"mask {mask_path!r} is {mask.shape[0]}×{mask.shape[1]} but the input {source!r} is "
                        f"{decoded.shape[0]}×{decoded.shape[1]}: give a mask of the input's size (white = hole)")
    return (match_channels(mask, 1) >= 0.5).astype(np.float32)


def restore_file(fn: Any, scale: int, channels: int, source: str, target: str, tile: int, overlap: int,
                 batch: int, self_ensemble: bool = False, mask_path: str | None = None,
                 fill_fn: Any = None) -> tuple[int, int]:
    """Restores one image file tile by tile into ``target``; returns the input (H, W).

    ``self_ensemble`` restores every tile batch as the mean over its 8 rotations / reflections. For an
    inpainting model (``takes_mask(fn)``) the mask (``read_mask``: ``mask_path`` or the input's alpha) is
    tiled with the image as one more channel, after ``fill_fn`` (``inpainting_functions``) filled the
    holes of the whole image.
    """
    import numpy as np
    import tensorflow as tf

    from tfgan_apps.data.paired import match_channels
    from tfgan_apps.restoration.inference import self_ensemble as ensemble_mean
    from tfgan_apps.restoration.inference import tiled_apply

    masked = takes_mask(fn)
    decoded = _decode(source, "image")
    mask = read_mask(decoded, source, mask_path) if masked else None
    image = match_channels(decoded, channels)
    del decoded
    image *= 2.0  # in place: a 4000×3000 RGB float image is 144 MB
    image -= 1.0
    if mask is not None:
        if fill_fn is not None:
            image = fill_fn(images=tf.constant(image[None]), mask=tf.constant(mask[None]))["filled"][0].numpy()
        image = np.concatenate([image, mask], axis=-1)  # the mask is cut into the same tiles
    bar = progress_bar(desc=os.path.basename(source), unit="tile")

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.update(done - bar.n)

    def model(tiles: tf.Tensor) -> tf.Tensor:
        if masked:
            return fn(images=tiles[..., :-1], mask=tiles[..., -1:])["restored"]
        return fn(images=tiles)["restored"]

    def apply(tiles: np.ndarray) -> np.ndarray:
        tiles = tf.constant(tiles, tf.float32)
        return (ensemble_mean(model, tiles) if self_ensemble else model(tiles)).numpy()

    try:
        out = tiled_apply(apply, image, tile=tile, overlap=overlap, scale=scale, batch_size=batch, progress=progress)
    finally:
        bar.close()
    del image
    pixels = np.clip(np.round((out + 1.0) * 127.5), 0, 255).astype(np.uint8)
    del out
    encoded = tf.io.encode_jpeg(pixels, quality=95) if target.lower().endswith((".jpg", ".jpeg")) else \
        tf.io.encode_png(pixels)
    os.makedirs(os.path.dirname(os.path.abspath(target)), exist_ok=True)
    tf.io.write_file(target, encoded)
    return pixels.shape[0] // scale, pixels.shape[1] // scale


def main(argv: list[str]) -> None:
    """Checks the paths, loads the model and restores every input image."""
    if len(argv) > 1:
        raise ConfigError(f"unexpected arguments: {' '.join(argv[1:])}")
    for name, value in (("model", _MODEL.value), ("input", _INPUT.value), ("output", _OUTPUT.value)):
        if not value:
            raise ConfigError(f"--{name} is required")
    if _TILE.value < 1 or _OVERLAP.value < 0 or 2 * _OVERLAP.value >= _TILE.value or _BATCH.value < 1:
        raise ConfigError(f"need --tile ≥ 1, 0 ≤ --overlap < tile/2 and --batch ≥ 1; got tile={_TILE.value}, "
                          f"overlap={_OVERLAP.value}, batch={_BATCH.value}")
    if not os.path.exists(_INPUT.value):
        raise DataError(f"input {_INPUT.value!r} does not exist")
    if not os.path.isfile(os.path.join(_MODEL.value, "saved_model.pb")):
        raise ConfigError(f"no SavedModel at --model={_MODEL.value!r}; pass RUN/export/restorer written by "
                          "tfgan-train")
    jobs = plan(_INPUT.value, _OUTPUT.value)
    masks = mask_files(_INPUT.value, _MASK.value, jobs)
    loaded, fn, scale, channels = load_restorer(_MODEL.value)
    fill_fn = None
    if takes_mask(fn):
        fn, fill_fn = inpainting_functions(loaded)
    elif _MASK.value:
        raise ConfigError(f"--mask is for inpainting models, but {_MODEL.value!r} takes no mask; drop --mask")
    files = progress_bar(list(zip(jobs, masks)), desc="images", unit="img",
                         **({"disable": True} if len(jobs) < 2 else {}))
    for (source, target), mask_path in files:
        height, width = restore_file(fn, scale, channels, source, target, _TILE.value, _OVERLAP.value, _BATCH.value,
                                     _SELF_ENSEMBLE.value, mask_path, fill_fn)
        logging.info("restored %s (%d×%d, ×%d) → %s", source, height, width, scale, target)
    logging.info("peak RSS %.0f MiB (tile %d, batch %d)", peak_rss_mib(), _TILE.value, _BATCH.value)


def run() -> None:
    """Console-script entry point."""
    cli.run_main(main, "tfgan-restore")


if __name__ == "__main__":
    run()
