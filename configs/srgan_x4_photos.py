"""×4 SRGAN/ESRGAN-style super-resolution on bundled photos: L1 pretraining, then relativistic GAN fine-tuning.

    tfgan-train --config=configs/srgan_x4_photos.py [--config.model.pretrain_steps=4000 --config.train.steps=6000]

Steps < ``model.pretrain_steps`` train the SRResNet G with L1 only (the
PSNR-oriented model, exported as ``export/restorer_psnr``); afterwards G and
the SRGAN discriminator (on HR images only, as in SRGAN/ESRGAN) are trained with
ESRGAN's relativistic average loss (``relativistic_average``):
L_G = 1·L1 + 1·feature-matching + 0.01·L_Ra (ESRGAN uses VGG conv5_4 with
5e-3·L_Ra + 1e-2·L1; pass ``--config.model.vgg_weights=/path/vgg19_notop.h5``
to use the VGG term; without local VGG weights D feature matching replaces it).
The GAN G is ``export/restorer``.
"""

import ml_collections

from tfgan_apps.config import base_config


def get_config():
    """SRResNet ×4 (width 32, 6 blocks) + SRGAN D (width 16), 64 px HR crops, batch 16."""
    config = base_config()
    config.name = "srgan_x4_photos"
    config.model.name = "pix2pix"
    config.model.generator = ml_collections.ConfigDict(
        {"type": "srresnet", "scale": 4, "width": 32, "n_blocks": 6, "skip": "bilinear"}
    )
    config.model.discriminator = ml_collections.ConfigDict(
        {"type": "srgan", "width": 16, "depth": 4, "norm": "batch"}
    )
    config.model.loss = "relativistic_average"
    config.model.content_weight = 1.0
    config.model.adversarial_weight = 0.01
    config.model.ssim_weight = 0.0
    config.model.ssim_type = "ssim"
    config.model.perceptual_weight = 1.0
    config.model.vgg_weights = ""
    config.model.adaptive_adversarial = False
    config.model.pretrain_steps = 4000

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
    config.train.g_lr = 1e-4
    config.train.d_lr = 1e-4
    config.train.beta_1 = 0.9
    config.train.log_every = 100
    config.train.image_every = 500
    config.train.eval_every = 500
    config.train.checkpoint_every = 500
    return config
