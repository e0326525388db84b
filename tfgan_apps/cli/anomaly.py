"""``tfgan-anomaly``: score images (or signals) with an exported anomaly ``scorer`` and flag the anomalous ones.

    tfgan-anomaly --model=RUN/export/scorer --input=image.png
    tfgan-anomaly --model=RUN/export/scorer --input=DIR [--fpr=0.01] [--output=scores.csv]

Every image under ``--input`` (recursively; PNG/JPEG/BMP/GIF) is centre-cropped,
resized and converted to the model's size and channels, scored in batches with a
progress bar, and flagged when its score exceeds the threshold: the one stored
in the scorer (calibrated on held-out normal data at its false-positive rate),
or, with ``--fpr``, the threshold that flags that fraction of the stored
calibration scores. A 1-D signal scorer reads a ``.npy`` array [N, L, C] instead.
Writes a CSV (``path,score,flag``; one row per input) and prints a summary. If
``--input`` holds ``normal/`` and ``anomalous/`` sub-folders, the CSV also has a
``label`` column and the summary the AUROC and the detection rates.
"""

from __future__ import annotations

import csv
import os
import sys
from typing import Any

import numpy as np
from absl import flags

from tfgan_apps import cli
from tfgan_apps.errors import ConfigError, DataError
from tfgan_apps.progress import progress_bar

_MODEL = flags.DEFINE_string("model", None, "Exported scorer SavedModel (RUN/export/scorer).")
_INPUT = flags.DEFINE_string("input", None, "An image file, a directory of images, or a .npy array of signals.")
_OUTPUT = flags.DEFINE_string("output", "anomaly_scores.csv", "CSV file to write (path,score,flag[,label]).")
_FPR = flags.DEFINE_float("fpr", None, "False-positive rate on the calibration normals (default: the scorer's).")
_BATCH = flags.DEFINE_integer("batch", 64, "Examples per model call.")


def load_scorer(path: str) -> tuple[Any, Any, dict[str, np.ndarray]]:
    """(score signature, its input spec, calibration values) of an exported scorer; ConfigError if it is not one."""
    if not os.path.isfile(os.path.join(path, "saved_model.pb")):
        raise ConfigError(f"no SavedModel at --model={path!r}; pass RUN/export/scorer")
    import tensorflow as tf

    loaded = tf.saved_model.load(path)
    if "score" not in loaded.signatures or "calibration" not in loaded.signatures:
        raise ConfigError(f"{path!r} is not an anomaly scorer export (no 'score' / 'calibration' signature)")
    fn = loaded.signatures["score"]
    spec = next(iter(fn.structured_input_signature[1].values()))
    calibration = {k: v.numpy() for k, v in loaded.signatures["calibration"]().items()}
    return (loaded, fn), spec, calibration


def threshold_for(calibration: dict[str, np.ndarray], fpr: float | None) -> tuple[float, float]:
    """(threshold, false-positive rate): the stored pair, or the quantile of the calibration scores at ``fpr``."""
    if fpr is None:
        return float(calibration["threshold"]), float(calibration["fpr"])
    from tfgan_apps.anomaly.metrics import threshold_at_fpr

    return threshold_at_fpr(calibration["normal_scores"], fpr), fpr


def list_inputs(path: str) -> tuple[list[str], list[int] | None]:
    """Image files under ``path`` (or ``[path]``) and, for a normal/ + anomalous/ tree, their labels."""
    from tfgan_apps.data.anomaly import ANOMALOUS_DIR, NORMAL_DIR
    from tfgan_apps.data.folder import list_images

    if os.path.isfile(path):
        return [path], None
    if not os.path.isdir(path):
        raise DataError(f"input {path!r} does not exist")
    normal, anomalous = os.path.join(path, NORMAL_DIR), os.path.join(path, ANOMALOUS_DIR)
    if os.path.isdir(normal) and os.path.isdir(anomalous):
        files_n, files_a = list_images(normal), list_images(anomalous)
        return files_n + files_a, [0] * len(files_n) + [1] * len(files_a)
    return list_images(path), None


def read_images(files: list[str], shape: tuple[int, ...]) -> np.ndarray:
    """uint8 [N, S, S, C] images of the scorer's size (centre square crop, resize, channel conversion)."""
    from tfgan_apps.data.folder import decode_file
    from tfgan_apps.data.source import to_uint8_images

    size, channels = int(shape[0]), int(shape[-1])
    return np.stack([to_uint8_images(decode_file(f)[None], size, channels)[0] for f in files])


def main(argv: list[str]) -> None:
    """Loads the scorer, scores every input, writes the CSV and prints a summary."""
    if len(argv) > 1:
        raise ConfigError(f"unexpected arguments: {' '.join(argv[1:])}")
    for name, value in (("model", _MODEL.value), ("input", _INPUT.value), ("output", _OUTPUT.value)):
        if not value:
            raise ConfigError(f"--{name} is required")
    if _BATCH.value < 1:
        raise ConfigError(f"--batch must be ≥ 1, got {_BATCH.value}")
    if not os.path.exists(_INPUT.value):
        raise DataError(f"input {_INPUT.value!r} does not exist")
    (_, fn), spec, calibration = load_scorer(_MODEL.value)
    threshold, fpr = threshold_for(calibration, _FPR.value)
    import tensorflow as tf

    shape = tuple(spec.shape[1:])
    if spec.dtype == tf.uint8:
        files, labels = list_inputs(_INPUT.value)
        names = files
    else:
        if not _INPUT.value.endswith(".npy"):
            raise ConfigError(f"this scorer takes 1-D signals: pass a .npy array [N, {', '.join(map(str, shape))}]")
        signals = np.load(_INPUT.value).astype(np.float32)
        if tuple(signals.shape[1:]) != shape:
            raise DataError(f"{_INPUT.value!r} holds signals of shape {signals.shape[1:]}, the scorer takes {shape}")
        names, labels = [f"{_INPUT.value}[{i}]" for i in range(len(signals))], None
    scores = []
    batches = range(0, len(names), _BATCH.value)
    for start in progress_bar(batches, desc="scoring", unit="batch", **({"disable": True} if len(batches) < 2 else {})):
        chunk = names[start:start + _BATCH.value]
        x = read_images(chunk, shape) if spec.dtype == tf.uint8 else signals[start:start + _BATCH.value]
        scores.append(fn(**{spec.name: tf.constant(x)})["scores"].numpy())
    scores = np.concatenate(scores)
    flagged = scores > threshold
    os.makedirs(os.path.dirname(os.path.abspath(_OUTPUT.value)), exist_ok=True)
    with open(_OUTPUT.value, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["path", "score", "flag", *(["label"] if labels else [])])
        for i, name in enumerate(names):
            writer.writerow([name, f"{scores[i]:.6g}", int(flagged[i]), *([labels[i]] if labels else [])])
    lines = [f"scored {len(names)} inputs: {int(flagged.sum())} flagged as anomalous ({flagged.mean():.1%}) at "
             f"threshold {threshold:.6g} (false-positive rate {fpr:.3g} on the calibration normals)",
             f"wrote {_OUTPUT.value}"]
    if labels:
        from tfgan_apps.anomaly.metrics import auroc

        y = np.asarray(labels)
        lines.insert(1, f"labelled input: AUROC {auroc(scores, y):.4f}; flagged {flagged[y == 1].mean():.1%} of "
                        f"{int(y.sum())} anomalous and {flagged[y == 0].mean():.1%} of {int((y == 0).sum())} normal")
    sys.stdout.write("\n".join(lines) + "\n")


def run() -> None:
    """Console-script entry point."""
    cli.run_main(main, "tfgan-anomaly")


if __name__ == "__main__":
    run()
