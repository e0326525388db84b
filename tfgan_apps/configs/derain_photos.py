"""De-raining cGAN (heavy synthetic rain) on crops of the bundled photos, ID-CGAN style.

    tfgan-train --config=derain_photos [--config.train.steps=4000]

ID-CGAN (Zhang, Sindagi & Patel 2017) pairs an encoder–decoder generator with
symmetric skip connections and a conditional patch discriminator, trained with a
per-pixel loss plus an adversarial term. Here the generator is the pix2pix
U-Net (an encoder–decoder with skips, BatchNorm so inference does not depend on
the tile/image statistics) rather than ID-CGAN's densely connected one, made
residual (``residual=True``: it predicts the correction added to the rainy input,
zero-initialised, so training starts from the input instead of a random image),
and the
discriminator is the conditional 70-px-style PatchGAN (``n_layers=2``: 34 px
patches); ID-CGAN's VGG perceptual term is available through
``--config.model.vgg_weights=/path/to/vgg19_notop.h5 --config.model.perceptual_weight=1``.
Rain: ``RAIN`` below, one ``rain`` spec over wide ranges drawn per training crop, so the model
is not tied to one synthetic look (real rain is slanted by wind and varies in density): streak
angles 45–135° (the second layer's ±10° more), densities 0.2–1.2 % of pixels, lengths 8–35 px,
thickness 1–2.5 px, blur σ 0.3–1.5 px, opacity 0.5–0.9, and a second, wider and blurrier layer in
half of the crops. It contains the former ``rain_heavy`` preset (65–115°, Rain100H-like).
``benchmarks/restoration.py --grid`` scores held-out degradation parameters inside and outside these
ranges (benchmarks/results/restoration_generalization.md). U-Net depth 4 needs crop sides divisible
by 16. Held-out: ``data.eval_photos``.
"""

from tfgan_apps.config import restoration_config

# Training rain: every parameter a (lo, hi) range drawn per crop (tfgan_apps/data/degradations.rain).
RAIN = {"type": "rain", "angle": (45.0, 135.0), "density": (0.002, 0.012), "length": (8.0, 35.0),
        "thickness": (1.0, 2.5), "blur": (0.3, 1.5), "alpha": (0.5, 0.9), "second_layer": 0.5}


def get_config():
    """De-raining over wide rain ranges (``RAIN``), 64 px crops, batch 8, width-32 depth-4 residual U-Net,
    Adam 1e-3; L1 pretraining for 3000 of the 4000 steps, then L1 + PatchGAN."""
    config = restoration_config(
        "derain_photos",
        degradation=dict(RAIN),
        generator={"type": "unet", "width": 32, "depth": 4, "norm": "batch", "dropout": 0.0, "residual": True},
        discriminator={"type": "patchgan", "width": 32, "n_layers": 2, "norm": "instance"},
    )
    config.model.pretrain_steps = 3000
    config.train.g_lr = 1e-3
    return config
