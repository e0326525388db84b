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
Rain: ``rain_heavy`` (Rain100H-like, two streak layers). U-Net depth 4 needs crop
sides divisible by 16. Held-out: ``data.eval_photos``.
"""

from tfgan_apps.config import restoration_config


def get_config():
    """rain_heavy de-raining, 64 px crops, batch 8, width-32 depth-4 residual U-Net, Adam 1e-3; L1 pretraining
    for 3000 of the 4000 steps, then L1 + PatchGAN."""
    config = restoration_config(
        "derain_photos",
        degradation={"type": "rain_heavy"},
        generator={"type": "unet", "width": 32, "depth": 4, "norm": "batch", "dropout": 0.0, "residual": True},
        discriminator={"type": "patchgan", "width": 32, "n_layers": 2, "norm": "instance"},
    )
    config.model.pretrain_steps = 3000
    config.train.g_lr = 1e-3
    return config
