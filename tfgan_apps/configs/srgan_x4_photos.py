"""×4 SRGAN/ESRGAN-style super-resolution on bundled photos: L1 pretraining, then relativistic GAN fine-tuning.

    tfgan-train --config=srgan_x4_photos [--config.model.pretrain_steps=4000 --config.train.steps=6000]

G as in ``sr_x4_photos.py`` (residual blocks at LR, sub-pixel output conv,
bicubic skip). Steps < ``model.pretrain_steps`` train G with L1 only (the
PSNR-oriented model, exported as ``export/restorer_psnr``); afterwards G and
the SRGAN discriminator (on HR images only, as in SRGAN/ESRGAN) are trained with
ESRGAN's relativistic average loss (``relativistic_average``):
L_G = 1·L1 + 1·feature-matching + 0.01·L_Ra (ESRGAN uses VGG conv5_4 with
5e-3·L_Ra + 1e-2·L1; pass ``--config.model.vgg_weights=/path/vgg19_notop.h5``
to use the VGG term; without local VGG weights D feature matching replaces it).
The GAN G is ``export/restorer``.
"""

from tfgan_apps.config import NATURAL_PHOTOS, restoration_config


def get_config():
    """×4 G as in sr_x4_photos (width 64, 8 blocks, EMA; natural photos) + SRGAN D (width 16); Adam 5e-4 / 1e-4."""
    config = restoration_config(
        "srgan_x4_photos",
        degradation={"type": "downsample", "scale": 4},
        generator={"type": "srresnet", "scale": 4, "width": 64, "n_blocks": 8, "skip": "bicubic",
                   "upsampler": "direct"},
        discriminator={"type": "srgan", "width": 16, "depth": 4, "norm": "batch"},
    )
    config.model.loss = "relativistic_average"
    config.model.content_weight = 1.0
    config.model.adversarial_weight = 0.01
    config.model.perceptual_weight = 1.0
    config.model.pretrain_steps = 4000
    config.data.scale = 4
    config.data.photos = NATURAL_PHOTOS
    config.model.stabilizers.ema = True  # samples, evaluation and export use the EMA of G (β 0.999)
    config.train.steps = 6000
    config.train.g_lr = 5e-4
    config.train.d_lr = 1e-4
    return config
