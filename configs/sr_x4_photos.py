"""×4 super-resolution, PSNR-oriented: SRResNet (no BN) trained with pure L1 on bundled photos.

    tfgan-train --config=configs/sr_x4_photos.py [--config.train.steps=6000]

LR inputs are bicubic (anti-aliased) ×4 downsamplings of 64 px HR crops
(``data.image_size`` is the HR crop here; 16 px LR). ``adversarial_weight = 0``:
the discriminator is never updated, so this is SRResNet/EDSR-style L1 training.
Held-out: ``data.eval_photos`` 192 px HR centre crops (48 px LR); metrics use
``crop_border = 4``. ``configs/srgan_x4_photos.py`` adds the GAN phase.
"""

import ml_collections

from tfgan_apps.config import base_config


def get_config():
    """SRResNet ×4 (width 32, 6 blocks), L1 only, Adam 2e-4 with β1 = 0.9."""
    config = base_config()
    config.name = "sr_x4_photos"
    config.model.name = "pix2pix"
    config.model.generator = ml_collections.ConfigDict(
        {"type": "srresnet", "scale": 4, "width": 32, "n_blocks": 6, "skip": "bilinear"}
    )
    # Built (kept in checkpoints) but not trained while adversarial_weight = 0.
    config.model.discriminator = ml_collections.ConfigDict({"type": "srgan", "width": 16, "depth": 4})
    config.model.loss = "non_saturating"
    config.model.content_weight = 1.0
    config.model.adversarial_weight = 0.0
    config.model.ssim_weight = 0.0
    config.model.ssim_type = "ssim"
    config.model.perceptual_weight = 0.0
    config.model.vgg_weights = ""
    config.model.adaptive_adversarial = False
    config.model.pretrain_steps = 0

    config.data.source = "photos"
    config.data.channels = 3
    config.data.image_size = 64
    config.data.scale = 4
    config.data.batch_size = 16
    config.data.photos = ("astronaut", "rocket", "immunohistochemistry", "camera", "brick", "grass", "gravel",
                          "coins", "clock", "moon")
    config.data.eval_photos = ("chelsea", "coffee")
    config.data.eval_crop = 192
    config.data.eval_seed = 2024
    config.data.degradation = ml_collections.ConfigDict({"type": "downsample", "scale": 4})

    config.train.steps = 6000
    config.train.g_lr = 2e-4
    config.train.d_lr = 1e-4
    config.train.beta_1 = 0.9
    config.train.log_every = 100
    config.train.image_every = 500
    config.train.eval_every = 500
    config.train.checkpoint_every = 500
    return config
