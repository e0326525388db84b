"""Blind denoising cGAN (AWGN, σ drawn per crop in [0, 55]) on crops of the bundled photos: DnCNN-style G + PatchGAN.

    tfgan-train --config=denoise_photos [--config.train.steps=4000]

The generator is the residual (DnCNN) denoiser: it predicts the noise, with a
zero-initialised last conv, so training starts from the noisy input. It is first
trained with λ·L1 alone (λ = 100) for ``model.pretrain_steps`` = 3000 steps: the
PSNR-oriented model (``export/restorer_psnr``); then a small conditional PatchGAN
term (weight 0.1; pix2pix, Isola et al. 2017) is added for the last 1000 steps
(``export/restorer``). ``--config.model.adversarial_weight=0`` gives a pure L1 model.
The noise level is not given to the model: every training crop draws its own σ in
``[0, 55]`` (0–255 scale; Zhang et al. 2017's blind DnCNN-B), so one model serves clean to
very noisy photos; ``benchmarks/restoration.py --grid`` scores fixed σ inside and outside that
range (benchmarks/results/restoration_generalization.md).
Held-out images: ``data.eval_photos`` (never used for training), 192 px centre
crops degraded with a fixed seed; PSNR/SSIM every ``train.eval_every`` steps.
Serve with ``tfgan-restore --model=RUN/export/restorer --input=noisy.png --output=out.png``.
"""

from tfgan_apps.config import restoration_config


def get_config():
    """Blind Gaussian denoising (σ ∈ [0, 55] per crop), 48 px crops, batch 8, Adam 1e-3; G width 48, depth 12
    (212k params).

    Width 32 / depth 8 (58k params) plateaued 0.1 dB short of NL-means + 1 dB on the held-out photos
    however long it trained; width 48 / depth 12 cleared it in 25 minutes on 2 cores
    (benchmarks/results/restoration.md).
    """
    config = restoration_config(
        "denoise_photos",
        degradation={"type": "gaussian_noise", "sigma_range": (0.0, 55.0)},
        generator={"type": "residual_denoiser", "width": 48, "depth": 12, "norm": "batch"},
        discriminator={"type": "patchgan", "width": 32, "n_layers": 2, "norm": "instance"},
    )
    config.model.adversarial_weight = 0.1
    config.model.pretrain_steps = 3000
    config.data.image_size = 48
    config.train.g_lr = 1e-3
    config.train.d_lr = 2e-4
    return config
