"""Translation benchmark: unpaired de-raining / night → day (CycleGAN), colorization and inpainting (pix2pix).

    python benchmarks/translation.py [--minutes=25 | --steps=N] [--tasks=derain,night,colorize,inpaint]
        [--paired_minutes=0 | --paired_steps=N] [--paired_only] [--gan_fraction=-1] [--append]
        [--set FIELD=VALUE ...] [--workdir=/tmp/tfgan_translation]
        [--results=benchmarks/results/translation.md] [--pictures=docs]

Held-out images: each recipe's ``data.eval_photos`` (``chelsea``, ``coffee``; in no training domain),
192 px centre crops degraded with the fixed seed ``data.eval_seed``; metrics on [0, 1] floats
(``metrics/image_quality``, ``metrics/translation``), mean over the held-out photos.

* ``derain`` / ``night`` — recipe ``cyclegan_derain_photos`` / ``cyclegan_night_photos``: A = clean crops
  of some photos, B = other photos degraded; nothing pairs them. Rows: the degraded input; classical
  baselines (median filter, size tuned on a B-domain training photo, for rain; ``auto_gamma`` and
  histogram ``equalize`` for night); ours = F(B) of the CycleGAN; with ``--paired_minutes`` > 0 the
  *paired* model of the same task (the pix2pix recipe ``derain_photos`` with the same degradation,
  trained on both domains' photos with their clean truth) as an upper bound. Extra columns:
  cycle-reconstruction PSNR (G(F(b)) vs b on the held-out inputs, F(G(a)) vs a on their clean truths) and
  KID × 10³ (``metrics/translation.raw_kid``: 16×16 pixel features, no Inception weights offline) between
  F(B) of 100 B-domain training crops and 100 A-domain crops, next to the KID of the untranslated B crops.
* ``colorize`` — recipe ``colorize_photos``: rows grayscale input and ours; colourfulness (Hasler &
  Süsstrunk 2003) of each next to the truth's.
* ``inpaint`` — recipe ``inpaint_photos``: holes drawn with their mask for the held-out crops
  (``mask`` with ``with_mask=True``, the recipe's settings otherwise); ours gets the holed image and the
  mask channel and returns the composite (known pixels kept); PSNR/SSIM inside the holes
  (``hole_psnr`` / ``hole_ssim``) for biharmonic inpainting, mean fill, the push-pull pyramid fill
  (``restoration.inference.pyramid_fill``, what G sees in the holes with ``model.hole_fill=pyramid``) and ours.

Every model trains from scratch with ``tfgan_apps.trainer.Trainer`` (what ``tfgan-train`` runs) for
``--minutes`` of wall-clock time after its first (tracing) step (``restoration.train_for``: the config's
``train.max_minutes``, which also fits a learning-rate decay's window to the budget), tasks one after
another. The pix2pix tasks (colorize, inpaint) spend ``1 − gan_fraction`` of it on the reconstruction
loss (row "L1": the PSNR-oriented model) and the rest on the GAN phase (row "then GAN fine-tuning");
``--gan_fraction`` defaults to the recipe's ``1 − pretrain_steps / steps``. ``--append`` adds the run as a
section of the results file instead of rewriting it. Outputs: the table on stdout and in ``--results``
with date, machine, load and command; a picture
per task in ``--pictures`` (``translation_<task>.png``) with column titles.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shlex
import shutil
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TFGAN_PROGRESS", "0")

import overrides as overrides_lib  # noqa: E402
import tensorflow as tf  # noqa: E402
from provenance import load_average, load_note, machine, timed, utc_now  # noqa: E402
from restoration import load_config, train_for, train_phases  # noqa: E402

from tfgan_apps.data.degradations import build_degradation, split_mask  # noqa: E402
from tfgan_apps.data.paired import held_out_pairs  # noqa: E402
from tfgan_apps.data.unpaired import held_out_translation  # noqa: E402
from tfgan_apps.metrics import translation as tr  # noqa: E402
from tfgan_apps.restoration.inference import pyramid_fill  # noqa: E402
from tfgan_apps.trainer import Trainer  # noqa: E402

TASKS = {"derain": "cyclegan_derain_photos", "night": "cyclegan_night_photos", "colorize": "colorize_photos",
         "inpaint": "inpaint_photos"}
PICTURE_CROP = 128
KID_CROPS = 100


@dataclasses.dataclass
class Row:
    """One method's metrics on the held-out photos, its outputs (for the picture) and a note."""

    task: str
    method: str
    metrics: dict[str, float]
    outputs: list[np.ndarray]  # [0, 1] HWC per held-out photo
    note: str = ""
    kind: str = "baseline"  # "input", "baseline", "ours", "paired"


def scored(task: str, method: str, outputs: list[np.ndarray], truths: list[np.ndarray], note: str = "",
           kind: str = "baseline", masks: list[np.ndarray] | None = None, **extra: float) -> Row:
    """A row of mean PSNR/SSIM (inside the holes when ``masks``) over the held-out photos; printed."""
    if masks is None:
        values = [tr.psnr_ssim(o, t) for o, t in zip(outputs, truths)]
    else:
        values = [(tr.hole_psnr(o, t, m), tr.hole_ssim(o, t, m)) for o, t, m in zip(outputs, truths, masks)]
    metrics = {"psnr": float(np.mean([v[0] for v in values])), "ssim": float(np.mean([v[1] for v in values])),
               **extra}
    row = Row(task, method, metrics, outputs, note, kind)
    shown = "  ".join(f"{k}={v:.4g}" for k, v in metrics.items())
    print(f"{task:8s} {method:42s} {shown}  {note}", flush=True)
    return row


def apply(fn: Callable[[np.ndarray], np.ndarray], inputs: list[np.ndarray]) -> list[np.ndarray]:
    """A [0, 1] NHWC → NHWC function on every held-out input."""
    return [np.asarray(fn(x[None]))[0] for x in inputs]


def model_fn(translate: Callable[[Any], Any]) -> Callable[[np.ndarray], np.ndarray]:
    """A [-1, 1] model function as a [0, 1] one."""
    return lambda x: tr.to_unit(np.asarray(translate(np.asarray(x, np.float32) * 2.0 - 1.0)))


# ----------------------------------------------------------------------------- tasks


def unpaired_task(task: str, args: argparse.Namespace) -> tuple[list[Row], list[np.ndarray]]:
    """De-raining or night → day: input, classical baselines, CycleGAN F(B) (+ cycle PSNR, KID), paired model."""
    config = load_config(TASKS[task])
    overrides_lib.apply_items(config, args.set)
    pairs = held_out_translation(config.data)
    inputs, truths = [tr.to_unit(p[1]) for p in pairs], [tr.to_unit(p[2]) for p in pairs]
    rows = [scored(task, "degraded input", inputs, truths, kind="input")]
    if task == "derain":
        tuning_cfg = config.data.copy_and_resolve_references()
        tuning_cfg.eval_photos = (config.data.source.split("|")[1].split(":")[1].split(",")[0],)
        tuning = [(tr.to_unit(p[1]), tr.to_unit(p[2])) for p in held_out_pairs(
            tuning_cfg, build_degradation(config.data.degradation_b.to_dict()))]
        sizes = (3, 5, 7)
        best = sizes[int(np.argmax([np.mean([tr.psnr_ssim(tr.median_filter(x[None], s)[0], y)[0] for x, y in tuning])
                                    for s in sizes]))]
        rows.append(scored(task, f"median filter (size {best})", apply(lambda x: tr.median_filter(x, best), inputs),
                           truths, note=f"size tuned on {tuning_cfg.eval_photos[0]} (B-domain training photo)"))
    else:
        rows.append(scored(task, "auto gamma + grey world", apply(tr.auto_gamma, inputs), truths))
        rows.append(scored(task, "histogram equalization", apply(tr.equalize, inputs), truths))
    if not args.paired_only:
        workdir = os.path.join(args.workdir, task)
        shutil.rmtree(workdir, ignore_errors=True)
        if args.steps > 0:
            trainer, note = train_steps(config, workdir, args.steps)
        else:
            trainer, note, _ = train_for(config, workdir, args.minutes * 60)
        model, source = trainer.model, trainer.run.source
        ba, ab = model_fn(lambda x: model.translate(x, "ba")), model_fn(lambda x: model.translate(x, "ab"))
        outputs = apply(ba, inputs)
        cycle_b = np.mean([tr.psnr_ssim(ab(o[None])[0], x)[0] for o, x in zip(outputs, inputs)])
        cycle_a = np.mean([tr.psnr_ssim(ba(ab(t[None]))[0], t)[0] for t in truths])
        crops_a = tr.to_unit(source.domain_examples("a", KID_CROPS))
        crops_b = tr.to_unit(source.domain_examples("b", KID_CROPS))
        kid_after = 1e3 * tr.raw_kid(crops_a, ba(crops_b), subset_size=50)
        kid_before = 1e3 * tr.raw_kid(crops_a, crops_b, subset_size=50)
        rows.append(scored(task, "ours: CycleGAN F(B) (unpaired)", outputs, truths, note=note, kind="ours",
                           cycle_psnr_b=float(cycle_b), cycle_psnr_a=float(cycle_a), kid_x1e3=kid_after,
                           kid_untranslated_x1e3=kid_before))
    if args.paired_minutes > 0 or args.paired_steps > 0:
        rows.append(paired_row(task, config, inputs, truths, args))
    return rows, truths


def train_steps(config: Any, workdir: str, steps: int) -> tuple[Trainer, str]:
    """Trains the run in ``workdir`` for exactly ``steps`` steps (``train.steps``, no time budget: the recipe's
    learning-rate schedule over those steps) with ``Trainer``; returns it and a note of its wall and CPU
    seconds. On a shared machine a step budget measures the model, a wall-clock budget the other jobs."""
    with config.unlocked():
        config.train.steps = int(steps)
        config.train.max_minutes = 0.0
    trainer = Trainer(config, workdir)
    _, timing = timed(trainer.fit)
    note = (f"{steps} steps (step budget) in {timing['train_seconds']:.0f} s incl. build "
            f"(CPU {timing['cpu_seconds']:.0f} s; load at the end {timing['load_end']})")
    return trainer, note


def paired_row(task: str, unpaired_config: Any, inputs: list[np.ndarray], truths: list[np.ndarray],
               args: argparse.Namespace) -> Row:
    """The paired upper bound: the pix2pix ``derain_photos`` recipe with this task's degradation, trained on
    both domains' photos with their clean truth for ``--paired_minutes`` (or exactly ``--paired_steps``)."""
    import ml_collections

    config = load_config("derain_photos")
    photos = [name for spec in unpaired_config.data.source.partition(":")[2].split("|")
              for name in spec.partition(":")[2].split(",")]
    config.data.photos = tuple(photos)
    config.data.degradation = ml_collections.ConfigDict(unpaired_config.data.degradation_b.to_dict())
    config.model.pretrain_steps = 10**9  # the PSNR-oriented L1 model throughout
    config.train.eval_every = 0
    workdir = os.path.join(args.workdir, f"{task}_paired")
    shutil.rmtree(workdir, ignore_errors=True)
    if args.paired_steps > 0:
        trainer, note = train_steps(config, workdir, args.paired_steps)
    else:
        trainer, note, _ = train_for(config, workdir, args.paired_minutes * 60)
    outputs = apply(model_fn(trainer.model.restore), inputs)
    return scored(task, "paired pix2pix L1 (upper bound)", outputs, truths, note=note, kind="paired")


def paired_phases(task: str, config: Any, args: argparse.Namespace) -> list[tuple[str, Any, str]]:
    """Trains a pix2pix recipe for ``--minutes`` (``restoration.train_phases``): the reconstruction phase for
    ``1 − gan_fraction`` of the time, then the GAN phase resumed from its checkpoint at the step reached.
    ``gan_fraction`` is ``--gan_fraction``, or the recipe's ``1 − pretrain_steps / steps``.
    Returns (label, restore function on [-1, 1] inputs, note) per phase."""
    fraction = args.gan_fraction
    if fraction < 0:
        fraction = max(0.0, 1.0 - config.model.pretrain_steps / config.train.steps)
    if not config.model.adversarial_weight:
        fraction = 0.0
    phases, _ = train_phases(config, os.path.join(args.workdir, task), args.minutes * 60.0, fraction)
    labels = {"L1": f"L1 ({config.model.get('content_loss', 'l1')})", "GAN": "then GAN fine-tuning"}
    return [(labels[phase], trainer.model.restore, note) for phase, trainer, note in phases]


def colorize_task(args: argparse.Namespace) -> tuple[list[Row], list[np.ndarray]]:
    """Colorization: the grayscale input and ours, with colourfulness next to the truth's."""
    config = load_config(TASKS["colorize"])
    overrides_lib.apply_items(config, args.set)
    pairs = held_out_pairs(config.data, build_degradation(config.data.degradation.to_dict()))
    inputs, truths = [tr.to_unit(p[1]) for p in pairs], [tr.to_unit(p[2]) for p in pairs]
    truth_c = float(np.mean([tr.colourfulness(t) for t in truths]))
    rows = [scored("colorize", "grayscale input", inputs, truths, kind="input",
                   colourfulness=float(np.mean([tr.colourfulness(x) for x in inputs])), truth_colourfulness=truth_c)]
    for label, restore, note in paired_phases("colorize", config, args):
        outputs = apply(model_fn(restore), inputs)
        rows.append(scored("colorize", f"ours: pix2pix, {label}", outputs, truths, note=note,
                           kind="ours", colourfulness=float(np.mean([tr.colourfulness(o) for o in outputs])),
                           truth_colourfulness=truth_c))
    return rows, truths


def inpaint_task(args: argparse.Namespace) -> tuple[list[Row], list[np.ndarray]]:
    """Inpainting: biharmonic, mean fill and ours, scored inside the holes; returns the rows and the truths.

    The held-out holes are drawn with their mask (``with_mask=True``); ours gets the holed image and the mask
    (the recipe's mask channel) and returns the composite (known pixels kept), as its export does."""
    config = load_config(TASKS["inpaint"])
    overrides_lib.apply_items(config, args.set)
    with_mask = {**config.data.degradation.to_dict(), "with_mask": True}
    pairs = held_out_pairs(config.data, build_degradation(with_mask))
    holed, masks = [], []
    for _, degraded, _ in pairs:
        image, mask = split_mask(degraded)
        holed.append(image)
        masks.append(np.asarray(mask)[..., 0])
    inputs, truths = [tr.to_unit(h) for h in holed], [tr.to_unit(p[2]) for p in pairs]
    rows = [scored("inpaint", "holed input (mid-grey fill)", inputs, truths, kind="input", masks=masks),
            scored("inpaint", "biharmonic (skimage)", [tr.inpaint_biharmonic(x, m)[0] for x, m in zip(inputs, masks)],
                   truths, masks=masks),
            scored("inpaint", "mean fill", [tr.mean_fill(x, m)[0] for x, m in zip(inputs, masks)], truths,
                   masks=masks),
            scored("inpaint", "push-pull fill (pyramid)",
                   [tr.to_unit(np.asarray(pyramid_fill(h[None], m[None, ..., None]))[0]) for h, m in zip(holed, masks)],
                   truths, masks=masks)]
    degraded = [p[1] for p in pairs]
    channel = "mask channel" if config.data.degradation.get("with_mask", False) else "no mask channel"
    for label, restore, note in paired_phases("inpaint", config, args):
        if channel == "mask channel":
            outputs = [tr.to_unit(np.asarray(restore(d[None]))[0]) for d in degraded]
        else:  # a model without the mask channel: paste its output into the holes
            raw = apply(model_fn(restore), inputs)
            outputs = [m[..., None] * o + (1 - m[..., None]) * x for o, x, m in zip(raw, inputs, masks)]
        rows.append(scored("inpaint", f"ours: pix2pix ({channel}), {label}", outputs, truths,
                           note=note, kind="ours", masks=masks))
    return rows, truths


# ----------------------------------------------------------------------------- report


def picture(rows: list[Row], truths: list[np.ndarray], path: str, pad: int = 4) -> list[str]:
    """Writes a grid (a row per held-out photo: input, best baseline, ours, paired, truth) with column titles."""
    from PIL import Image, ImageDraw

    best = max((r for r in rows if r.kind == "baseline"), key=lambda r: r.metrics["psnr"], default=None)
    columns = ([r for r in rows if r.kind == "input"] + ([best] if best else [])
               + [r for r in rows if r.kind in ("ours", "paired")])
    titles = [c.method for c in columns] + ["truth"]
    if all(r.kind == "input" for r in rows):  # the degradation picture: every row is a column
        columns, titles = rows, [r.method for r in rows]
    tiles_per_row = []
    for i, truth in enumerate(truths):
        h, w = truth.shape[:2]
        top, left = max((h - PICTURE_CROP) // 2, 0), max((w - PICTURE_CROP) // 2, 0)
        cut = (slice(top, top + PICTURE_CROP), slice(left, left + PICTURE_CROP))
        tiles_per_row.append([np.clip(np.round(t[cut] * 255), 0, 255).astype(np.uint8)
                              for t in [c.outputs[i] for c in columns] + [truth]][:len(titles)])
    side = tiles_per_row[0][0].shape[0]
    title_h, col_w = 40, max(side, 150)
    width = len(titles) * (col_w + pad) + pad
    canvas = Image.new("RGB", (width, title_h + len(tiles_per_row) * (side + pad) + pad), "white")
    draw = ImageDraw.Draw(canvas)
    for j, title in enumerate(titles):
        x0 = pad + j * (col_w + pad)
        words, lines = title.split(), [""]
        for word in words:  # wrap to the column width (~6 px per character of the default font)
            if len(lines[-1]) + len(word) + 1 > col_w // 6:
                lines.append(word)
            else:
                lines[-1] = f"{lines[-1]} {word}".strip()
        draw.multiline_text((x0, 1), "\n".join(lines[:3]), fill="black", spacing=1)
        for i, tiles in enumerate(tiles_per_row):
            canvas.paste(Image.fromarray(tiles[j]), (x0 + (col_w - side) // 2, title_h + pad + i * (side + pad)))
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    canvas.save(path)
    return titles


def degradation_picture(path: str) -> list[str]:
    """The degradations of the translation tasks on the held-out photos (a row each), with column titles."""
    from tfgan_apps.data.bundled import load_photo
    from tfgan_apps.data.paired import centre_crop

    specs = [("clean", None), ("rain_heavy", "rain_heavy"), ("night", "night"), ("grayscale", "grayscale"),
             ("mask: rectangles", {"type": "mask", "shape": "rectangles", "hole_fraction": 0.2}),
             ("mask: strokes", {"type": "mask", "shape": "strokes", "hole_fraction": 0.2})]
    truths = [centre_crop(load_photo(name), 192) for name in ("chelsea", "coffee")]
    rows = []
    for title, spec in specs:
        outputs = []
        for i, truth in enumerate(truths):
            if spec is None:
                outputs.append(truth)
                continue
            out = build_degradation(spec)(tf.constant(truth[None] * 2 - 1, tf.float32), tf.constant([2024, i]))
            outputs.append(tr.to_unit(np.asarray(out)[0, ..., :3]))
        rows.append(Row("degradations", title, {"psnr": 0.0}, outputs, kind="input"))
    return picture(rows, truths, path)


def targets(task: str, rows: list[Row]) -> str:
    """The issue's target of a task and whether our model meets it."""
    by_kind = {r.kind: r for r in rows}
    if "ours" not in by_kind:
        return f"{task}: CycleGAN not run in this section (--paired_only)"
    ours, given = by_kind["ours"].metrics, by_kind["input"].metrics
    if task in ("derain", "night"):
        need = given["psnr"] + 3.0
        what = "PSNR ≥ degraded input + 3 dB"
        if task == "derain":
            median = next(r for r in rows if r.method.startswith("median")).metrics["psnr"]
            need, what = max(need, median + 1e-9), what + " and > median filter"
        ok = ours["psnr"] >= need
        return f"{task}: {what}: need {need:.2f}, ours {ours['psnr']:.2f} → {'**met**' if ok else '**not met**'}"
    lines = []
    for row in (r for r in rows if r.kind == "ours"):
        ours, label = row.metrics, row.method.split(", ", 1)[-1]
        if task == "colorize":
            ratio = ours["colourfulness"] / max(ours["truth_colourfulness"], 1e-9)
            ok = ours["psnr"] >= given["psnr"] + 1.0 and abs(ratio - 1) <= 0.25
            lines.append(f"colorize: PSNR ≥ grayscale + 1 dB ({given['psnr'] + 1:.2f}) and colourfulness within "
                         f"25 % of the truth's: {label}: {ours['psnr']:.2f} dB, colourfulness ratio {ratio:.2f} → "
                         f"{'**met**' if ok else '**not met**'}")
        else:
            biharmonic = next(r for r in rows if r.method.startswith("biharmonic")).metrics["psnr"]
            ok = ours["psnr"] >= biharmonic
            lines.append(f"inpaint: hole PSNR ≥ biharmonic ({biharmonic:.2f}): {label}: {ours['psnr']:.2f} → "
                         f"{'**met**' if ok else '**not met**'}")
    return "\n- ".join(lines)


def markdown(results: list[tuple[str, list[Row], list[str]]], args: argparse.Namespace, started: str,
             command: str, load: str) -> str:
    """The results file: provenance, one table per task, targets, pictures (with ``--append``: one section of
    the existing file, its headings one level down)."""
    title = (f"## Run of {started}: {', '.join(task for task, _, _ in results)}" if args.append
             else "# Translation benchmark: held-out bundled photos")
    lines = [title, "",
             f"- date (UTC): {started}",
             f"- machine: {machine()}; {load}; indicative, machine shared with other sessions",
             f"- command: `{command}`",
             ("- CycleGAN: not run (--paired_only)" if args.paired_only else
              f"- training per CycleGAN: {args.steps} steps (step budget)" if args.steps > 0 else
              f"- training per model: {args.minutes:g} min wall-clock after the first step")
             + " (paired upper bound: "
             + (f"{args.paired_steps} steps)" if args.paired_steps > 0 else
                f"{args.paired_minutes:g} min{'' if args.paired_minutes else ', not run'})")
             + "".join(f"; `{field}={value}`" for field, value in args.set),
             "- held-out: 192 px centre crops of `chelsea` and `coffee` (in no training domain), degraded with "
             "seed 2024; metrics on [0, 1] floats, means over the two photos", ""]
    for task, rows, _ in results:
        extra = sorted({k for r in rows for k in r.metrics} - {"psnr", "ssim"})
        hole = " (holes)" if task == "inpaint" else ""
        heading = "###" if args.append else "##"
        lines += [f"{heading} {task}", "", f"| method | PSNR{hole} | SSIM{hole} | " + "".join(f"{k} | " for k in extra)
                  + "notes |", "|---|---|---|" + "---|" * len(extra) + "---|"]
        for r in rows:
            values = "".join((f"{r.metrics[k]:.3g}" if k in r.metrics else "") + " | " for k in extra)
            lines.append(f"| {r.method} | {r.metrics['psnr']:.2f} | {r.metrics['ssim']:.4f} | {values}{r.note} |")
        lines.append("")
    lines += ["Targets (issue 18):", ""] + [f"- {targets(task, rows)}" for task, rows, _ in results]
    lines += ["", "Pictures (128 px centre crop of each held-out photo per row):", ""]
    for task, _, titles in results:
        rel = os.path.relpath(os.path.join(args.pictures, f"translation_{task}.png"),
                              os.path.dirname(os.path.abspath(args.results)))
        lines.append(f"- {task}: `{' | '.join(titles)}` — ![{task}]({rel})")
    return "\n".join(lines) + "\n"


def run_task(task: str, args: argparse.Namespace) -> tuple[list[Row], list[str]]:
    """One task's rows and picture."""
    if task in ("derain", "night"):
        rows, truths = unpaired_task(task, args)
    elif task == "colorize":
        rows, truths = colorize_task(args)
    else:
        rows, truths = inpaint_task(args)
    titles = picture(rows, truths, os.path.join(args.pictures, f"translation_{task}.png"))
    print(targets(task, rows), flush=True)
    return rows, titles


def main() -> None:
    """Parses the flags, runs the tasks one after another, writes the results and pictures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=25.0, help="training wall-clock minutes per model")
    parser.add_argument("--steps", type=int, default=0,
                        help="derain / night: train the CycleGAN exactly this many steps instead of --minutes "
                             "(for shared machines; the table notes its wall and CPU seconds)")
    parser.add_argument("--paired_minutes", type=float, default=0.0,
                        help="minutes of the paired pix2pix upper bound of derain / night (0 = skip)")
    parser.add_argument("--paired_steps", type=int, default=0,
                        help="train the paired upper bound exactly this many steps instead of --paired_minutes")
    parser.add_argument("--paired_only", action="store_true",
                        help="derain / night: skip the CycleGAN, score only the input, baselines and paired model "
                             "(to add the upper bound next to an earlier CycleGAN run, with --append)")
    parser.add_argument("--gan_fraction", type=float, default=-1.0,
                        help="colorize / inpaint: fraction of --minutes in the GAN phase after the L1 phase "
                             "(-1 = the recipe's 1 - pretrain_steps / steps; 0 = L1 only)")
    parser.add_argument("--set", action="append", default=[], type=overrides_lib.parse_item, metavar="FIELD=VALUE",
                        help="a config override for every task (repeatable)")
    parser.add_argument("--tasks", default="derain,night,colorize,inpaint", help="subset of " + ",".join(TASKS))
    parser.add_argument("--workdir", default="/tmp/tfgan_translation", help="scratch run directories")
    parser.add_argument("--results", default=os.path.join(ROOT, "benchmarks", "results", "translation.md"),
                        help="markdown results file ('' = do not write)")
    parser.add_argument("--append", action="store_true",
                        help="append this run as a section of --results instead of rewriting the file")
    parser.add_argument("--pictures", default=os.path.join(ROOT, "docs"), help="folder of the picture PNGs")
    parser.add_argument("--degradations_only", action="store_true",
                        help="only draw the degradations picture (translation_degradations.png) and exit")
    args = parser.parse_args()
    if args.degradations_only:
        titles = degradation_picture(os.path.join(args.pictures, "translation_degradations.png"))
        print("columns:", " | ".join(titles))
        return
    tasks = [t for t in args.tasks.split(",") if t]
    unknown = sorted(set(tasks) - set(TASKS))
    if unknown:
        parser.error(f"unknown task(s) {', '.join(unknown)}; valid: {', '.join(TASKS)}")
    if args.paired_only and not (args.paired_minutes > 0 or args.paired_steps > 0):
        parser.error("--paired_only needs --paired_minutes or --paired_steps")
    if (args.steps > 0 or args.paired_only) and set(tasks) - {"derain", "night"}:
        parser.error("--steps / --paired_only apply to the unpaired tasks (derain, night) only")
    tf.get_logger().setLevel("ERROR")
    started, load_start, t0 = utc_now(), load_average(), time.monotonic()
    command = "python benchmarks/translation.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    budget = f"{args.steps} steps per CycleGAN" if args.steps > 0 else f"{args.minutes:g} min of training per model"
    print(f"{budget}; {machine()}")
    results = [(task, *run_task(task, args)) for task in tasks]
    if args.results:
        os.makedirs(os.path.dirname(os.path.abspath(args.results)), exist_ok=True)
        with open(args.results, "a" if args.append else "w") as f:
            text = markdown(results, args, started, command, load_note(load_start, load_average()))
            f.write(("\n" if args.append else "") + text)
        print(f"wrote {args.results} after {(time.monotonic() - t0) / 60:.1f} min")


if __name__ == "__main__":
    main()
