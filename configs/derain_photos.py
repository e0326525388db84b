"""De-raining cGAN (heavy synthetic rain) on crops of the bundled photos, ID-CGAN style.

    tfgan-train --config=configs/derain_photos.py [--config.train.steps=4000]

ID-CGAN (Zhang, Sindagi & Patel 2017) pairs an encoder–decoder generator with
symmetric skip connections and a conditional patch discriminator, trained with a
per-pixel loss plus an adversarial term. Here the generator is the pix2pix
U-Net (an encoder–decoder with skips, BatchNorm so inference does not depend on
the tile/image statistics) rather than ID-CGAN's densely connected one, and the
discriminator is the conditional 70-px-style PatchGAN (``n_layers=2``: 34 px
patches); ID-CGAN's VGG perceptual term is available through
``--config.model.vgg_weights=/path/to/vgg19_notop.h5 --config.model.perceptual_weight=1``.
Rain: ``rain_heavy`` (Rain100H-like, two streak layers). U-Net depth 4 needs crop
sides divisible by 16. Held-out: ``data.eval_photos``.
"""

import ml_collections

from tfgan_apps.config import base_config


def get_config():
    """rain_heavy de-raining, 64 px crops, batch 16, width-32 depth-4 U-Net."""
    config = base_config()
    config.name = "derain_photos"
    config.model.name = "pix2pix"
    config.model.generator = ml_collections.ConfigDict(
        {"type": "unet", "width": 32, "depth": 4, "norm": "batch", "dropout": 0.0}
    )
    config.model.discriminator = ml_collections.ConfigDict(
        {"type": "patchgan", "width": 32, "n_layers": 2, "norm": "instance"}
    )
    config.model.loss = "non_saturating"
    config.model.content_weight = 100.0
    config.model.adversarial_weight = 1.0
    config.model.ssim_weight = 0.0
    config.model.ssim_type = "ssim"
    config.model.perceptual_weight = 0.0
    config.model.vgg_weights = ""
    config.model.adaptive_adversarial = False
    config.model.pretrain_steps = 0

    config.data.source = "photos"
    config.data.channels = 3
    config.data.image_size = 64
    config.data.batch_size = 16
    config.data.photos = ("astronaut", "rocket", "immunohistochemistry", "camera", "brick", "grass", "gravel",
                          "coins", "clock", "moon")
    config.data.eval_photos = ("chelsea", "coffee")
    config.data.eval_crop = 192
    config.data.eval_seed = 2024
    config.data.degradation = ml_collections.ConfigDict({"type": "rain_heavy"})

    config.train.steps = 4000
    config.train.g_lr = 2e-4
    config.train.d_lr = 2e-4
    config.train.log_every = 100
    config.train.image_every = 500
    config.train.eval_every = 500
    config.train.checkpoint_every = 500
    return config
