"""Denoising cGAN (σ = 25 AWGN) on crops of the bundled scikit-image photos: DnCNN-style residual G + PatchGAN D.

    tfgan-train --config=configs/denoise_photos.py [--config.train.steps=4000]

The generator is the residual (DnCNN) denoiser, trained with λ·L1 (λ = 100) plus a
small conditional PatchGAN term (pix2pix, Isola et al. 2017); set
``--config.model.adversarial_weight=0`` for a pure L1 (PSNR-oriented) model.
Held-out images: ``data.eval_photos`` (never used for training), 192 px centre
crops degraded with a fixed seed; PSNR/SSIM every ``train.eval_every`` steps.
Serve with ``tfgan-restore --model=RUN/export/restorer --input=noisy.png --output=out.png``.
"""

import ml_collections

from tfgan_apps.config import base_config


def get_config():
    """σ = 25 Gaussian denoising, 48 px crops, batch 16, small nets (trains on 2 CPU cores)."""
    config = base_config()
    config.name = "denoise_photos"
    config.model.name = "pix2pix"
    config.model.generator = ml_collections.ConfigDict(
        {"type": "residual_denoiser", "width": 32, "depth": 8, "norm": "batch"}
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
    config.data.image_size = 48
    config.data.batch_size = 16
    config.data.photos = ("astronaut", "rocket", "immunohistochemistry", "camera", "brick", "grass", "gravel",
                          "coins", "clock", "moon")
    config.data.eval_photos = ("chelsea", "coffee")
    config.data.eval_crop = 192
    config.data.eval_seed = 2024
    config.data.degradation = ml_collections.ConfigDict({"type": "gaussian_noise", "sigma": 25.0})

    config.train.steps = 4000
    config.train.g_lr = 1e-3
    config.train.d_lr = 2e-4
    config.train.log_every = 100
    config.train.image_every = 500
    config.train.eval_every = 500
    config.train.checkpoint_every = 500
    return config
