"""Peak memory and time of ``tfgan-restore`` on large photos: memory follows the tile, not the image.

    python benchmarks/restore_memory.py [--config=denoise_photos] [--model=RUN/export/restorer]
        [--runs=2000x1500:256,4000x3000:256,4000x3000:512,4000x3000:whole] [--overlap=32] [--batch=4]
        [--workdir=/tmp/tfgan_restore_memory] [--results=benchmarks/results/restore_memory.md]

The restorer is ``--model`` when given, else the generator of ``configs/<--config>.py``
exported with its initial weights (memory and speed do not depend on the weights), its
zero-initialised convs given small random values so that it is not the identity.
The input is the bundled ``coffee`` photo resized (bicubic) to each run's W×H and
degraded by the config's degradation, written as a PNG. Each run is a fresh
``python -m tfgan_apps.cli.restore`` process; its peak resident memory is read from
``os.wait4`` (the child's own ``ru_maxrss``), so runs do not mask each other.
``whole`` is one tile of the full image (the untiled baseline). Every tiled output is
compared with the whole-image output of the same size, away from the image border
(tiles see reflected context there, the whole image zero padding): the column is the
largest difference in grey levels.

Outputs: the table on stdout and, with date, machine and command, in ``--results``.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402
from provenance import load_average, load_note, machine, utc_now  # noqa: E402

from tfgan_apps.cli.restore import maxrss_mib  # noqa: E402

BORDER = 16  # input px from the image border left out of the tiled-vs-whole comparison


def parse_runs(text: str) -> list[tuple[int, int, int | None]]:
    """``WxH:TILE`` items (``TILE`` an integer or ``whole``) as (width, height, tile or None)."""
    runs = []
    for item in text.split(","):
        size, _, tile = item.partition(":")
        try:
            width, height = (int(v) for v in size.lower().split("x"))
            runs.append((width, height, None if tile == "whole" else int(tile)))
        except ValueError:
            raise SystemExit(f"restore_memory: error: bad --runs item {item!r}; expected WxH:TILE or WxH:whole, "
                             "e.g. 4000x3000:256") from None
    return runs


def export_recipe(name: str, workdir: str) -> tuple[str, object]:
    """Exports the recipe's (untrained) restorer under ``workdir``; returns its path and the config."""
    from restoration import load_config

    from tfgan_apps import trainer

    config = load_config(name)
    run = trainer.Trainer(config, os.path.join(workdir, "run"))
    # Restorers start as the identity (zero-initialised last conv); small random values there make the output
    # depend on every layer, so the tiled-vs-whole comparison is not trivially exact.
    rng = np.random.default_rng(0)
    for weight in run.model.inference_generator.weights:
        if len(weight.shape) == 4 and not np.any(weight.numpy()):
            weight.assign(rng.normal(0.0, 0.02, weight.shape).astype(np.float32))
    return run.export(os.path.join(workdir, "export"))["restorer"], config


def make_input(config: object, width: int, height: int, path: str) -> None:
    """The ``coffee`` photo at ``width``×``height``, degraded as the recipe degrades its inputs, as a PNG."""
    from tfgan_apps.data.bundled import load_photo
    from tfgan_apps.trainer import degradation_from

    scale = int(config.data.get("scale", 1)) if config is not None else 1
    clean = tf.image.resize(load_photo("coffee")[None], (height * scale, width * scale), method="bicubic")
    clean = tf.clip_by_value(clean * 2.0 - 1.0, -1.0, 1.0)
    degrade = degradation_from(config.data) if config is not None else None
    degraded = degrade(clean, tf.constant([7, 11], tf.int64)) if degrade is not None else clean
    pixels = tf.cast(tf.round((tf.clip_by_value(degraded[0], -1.0, 1.0) + 1.0) * 127.5), tf.uint8)
    tf.io.write_file(path, tf.io.encode_png(pixels))


def restore(model: str, source: str, target: str, tile: int, overlap: int, batch: int) -> tuple[float, float]:
    """Runs ``tfgan-restore`` in a fresh process; returns (wall seconds, peak RSS MiB) of that process."""
    command = [sys.executable, "-m", "tfgan_apps.cli.restore", f"--model={model}", f"--input={source}",
               f"--output={target}", f"--tile={tile}", f"--overlap={overlap}", f"--batch={batch}"]
    log = target + ".log"
    env = dict(os.environ, TFGAN_PROGRESS="0")
    t0 = time.monotonic()
    with open(log, "w") as stderr:
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr, env=env, cwd=ROOT)
        _, status, usage = os.wait4(child.pid, 0)  # the child's own rusage (reaped here, not by Popen)
    seconds = time.monotonic() - t0
    code = child.returncode = os.waitstatus_to_exitcode(status)  # so Popen does not think it still runs
    if code != 0:
        with open(log) as f:
            raise SystemExit(f"restore_memory: error: tfgan-restore failed ({code}):\n{f.read()[-3000:]}")
    return seconds, maxrss_mib(usage.ru_maxrss)


def inner_difference(a_path: str, b_path: str, border: int) -> int:
    """Largest grey-level difference of two PNGs, ``border`` px from every edge left out."""
    a = tf.io.decode_png(tf.io.read_file(a_path)).numpy().astype(np.int16)
    b = tf.io.decode_png(tf.io.read_file(b_path)).numpy().astype(np.int16)
    if a.shape != b.shape:
        raise SystemExit(f"restore_memory: error: outputs differ in shape {a.shape} vs {b.shape}")
    return int(np.abs(a - b)[border:-border, border:-border].max())


def main() -> None:
    """Exports (or loads) a restorer, restores each run's photo in a fresh process and prints the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default="denoise_photos", help="recipe in configs/ whose G is exported")
    parser.add_argument("--model", default="", help="an exported restorer instead of the recipe's fresh G")
    parser.add_argument("--runs", default="2000x1500:256,4000x3000:256,4000x3000:512,4000x3000:whole",
                        help="comma-separated WIDTHxHEIGHT:TILE (TILE a side in input px, or 'whole')")
    parser.add_argument("--overlap", type=int, default=32, help="tfgan-restore --overlap")
    parser.add_argument("--batch", type=int, default=4, help="tfgan-restore --batch (tiles per call)")
    parser.add_argument("--workdir", default="/tmp/tfgan_restore_memory", help="scratch folder (emptied)")
    parser.add_argument("--results", default=os.path.join(ROOT, "benchmarks", "results", "restore_memory.md"),
                        help="markdown results file")
    args = parser.parse_args()
    runs = parse_runs(args.runs)
    shutil.rmtree(args.workdir, ignore_errors=True)
    os.makedirs(args.workdir)
    start, load_start = utc_now(), load_average()

    if args.model:
        from tfgan_apps.cli.restore import load_restorer

        load_restorer(args.model)  # a clear error for a path that is not a restorer export
        model, config, what = args.model, None, args.model
    else:
        model, config = export_recipe(args.config, args.workdir)
        what = f"`configs/{args.config}.py` G, initial weights (zero-initialised convs randomised)"
    rows, whole = [], {}
    print(f"restorer: {what}; {machine()}")
    print(f"{'input W×H':>10}  {'tile':>5}  {'seconds':>8}  {'peak RSS MiB':>12}  {'max |Δ| vs whole':>16}")
    for width, height, tile in sorted(runs, key=lambda r: r[2] is not None):  # whole-image runs first
        source = os.path.join(args.workdir, f"in_{width}x{height}.png")
        if not os.path.exists(source):
            make_input(config, width, height, source)
        target = os.path.join(args.workdir, f"out_{width}x{height}_{tile or 'whole'}.png")
        side = tile or max(width, height)
        overlap = min(args.overlap, (side - 1) // 2)
        seconds, peak = restore(model, source, target, side, overlap, args.batch)
        if tile is None:
            whole[(width, height)] = target
        diff = inner_difference(target, whole[(width, height)], BORDER) if (width, height) in whole and tile \
            else None
        row = (f"{width}×{height}", "whole" if tile is None else str(tile), seconds, peak, diff)
        rows.append(row)
        print(f"{row[0]:>10}  {row[1]:>5}  {seconds:8.1f}  {peak:12.0f}  {'' if diff is None else diff:>16}")

    lines = [
        "# tfgan-restore: peak memory and time on large photos",
        "",
        f"- date (UTC): {start}",
        f"- machine: {machine()}; {load_note(load_start, load_average())}",
        "- command: `python benchmarks/" + " ".join(shlex.quote(a) for a in [os.path.basename(__file__),
                                                                           *sys.argv[1:]]) + "`",
        f"- restorer: {what}; overlap {args.overlap} px, {args.batch} tiles per call; input: `coffee` resized to "
        "W×H and degraded like the recipe's inputs; each run a fresh `python -m tfgan_apps.cli.restore` process "
        "(peak RSS from `os.wait4`)",
        f"- max |Δ|: largest grey-level difference from the whole-image output, {BORDER} px from the border left out",
        "",
        "| input W×H | tile | seconds | peak RSS (MiB) | max \\|Δ\\| vs whole |",
        "|---|---|---|---|---|",
    ]
    for size, tile, seconds, peak, diff in rows:
        lines.append(f"| {size} | {tile} | {seconds:.1f} | {peak:.0f} | {'—' if diff is None else diff} |")
    os.makedirs(os.path.dirname(os.path.abspath(args.results)), exist_ok=True)
    with open(args.results, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {args.results}")


if __name__ == "__main__":
    main()
