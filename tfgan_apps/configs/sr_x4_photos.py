"""×4 super-resolution, PSNR-oriented: an SRResNet-style G (no BN) trained with pure L1 on bundled photos.

    tfgan-train --config=sr_x4_photos [--config.train.steps=6000]

LR inputs are bicubic (anti-aliased) ×4 downsamplings of 64 px HR crops
(``data.image_size`` is the HR crop here; 16 px LR). ``adversarial_weight = 0``:
the discriminator is never updated, so this is SRResNet/EDSR-style L1 training.
G: residual blocks at LR, ESPCN's sub-pixel output conv (``upsampler="direct"``:
every conv at LR, ~4× cheaper than SRResNet's HR convs on a CPU) and a global
bicubic skip with a zero-initialised last conv, so training starts from the
bicubic baseline and the blocks learn only the missing detail.
Held-out: ``data.eval_photos`` 192 px HR centre crops (48 px LR); metrics use
``crop_border = 4``. The ``srgan_x4_photos`` recipe adds the GAN phase.
"""

from tfgan_apps.config import NATURAL_PHOTOS, restoration_config


def get_config():
    """×4 G (width 64, 8 blocks at LR, 620k params, EMA of its weights), L1 only, Adam 1e-3 (β1 = 0.9), batch 8.

    Trains on the natural bundled photos (``NATURAL_PHOTOS``), not the texture photos of the other recipes.
    """
    config = restoration_config(
        "sr_x4_photos",
        degradation={"type": "downsample", "scale": 4},
        generator={"type": "srresnet", "scale": 4, "width": 64, "n_blocks": 8, "skip": "bicubic",
                   "upsampler": "direct"},
        # Built (kept in checkpoints) but not trained while adversarial_weight = 0.
        discriminator={"type": "srgan", "width": 16, "depth": 4},
    )
    config.model.content_weight = 1.0
    config.model.adversarial_weight = 0.0
    config.data.scale = 4
    config.data.photos = NATURAL_PHOTOS
    config.model.stabilizers.ema = True  # samples, evaluation and export use the EMA of G (β 0.999)
    config.train.steps = 6000
    config.train.g_lr = 1e-3
    config.train.d_lr = 1e-4
    return config
