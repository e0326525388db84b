"""Photo colorization with the pix2pix cGAN: grey (BT.601 luma) photo crops in, colour crops out.

    tfgan-train --config=colorize_photos [--config.train.steps=4000]

A recipe of the existing image-to-image model (``model.name='pix2pix'``, config only): the degradation
``grayscale`` replaces each crop by its luma repeated over the three channels, and the residual U-Net
predicts the full-RGB correction added to that grey input (zero-initialised, so training starts from the
grey photo). Loss: pix2pix's λ·L1 (λ = 100) + a conditional PatchGAN term after ``model.pretrain_steps``
of L1 alone — L1 alone averages plausible colours into greyish ones; the adversarial term restores
colourfulness (Hasler & Süsstrunk 2003, ``metrics/translation.py``). Trained on the colour photos of
the bundled set; held out: ``chelsea`` and ``coffee``. Measured (``benchmarks/translation.py
--tasks=colorize --minutes=15``, 2 shared cores): 21.0 dB after the L1 phase vs 15.9 dB for the grey input,
colourfulness 62 vs the truth's 62 (20.3 dB and 73 after the GAN phase; ``benchmarks/results/translation.md``).
Full RGB is kept rather than chroma only: the grey input is the residual U-Net's starting point, so the
output starts with the right luma and the network learns the colour as a correction.
"""

from tfgan_apps.config import restoration_config


def get_config():
    """Colorization: 64 px crops of colour photos, batch 8, width-32 depth-4 residual U-Net, Adam 1e-3 β1 0.9;
    L1 pretraining for 2000 of the 4000 steps, then L1 + PatchGAN."""
    config = restoration_config(
        "colorize_photos",
        degradation={"type": "grayscale"},
        generator={"type": "unet", "width": 32, "depth": 4, "norm": "batch", "dropout": 0.0, "residual": True},
        discriminator={"type": "patchgan", "width": 32, "n_layers": 2, "norm": "instance"},
    )
    config.data.photos = ("astronaut", "rocket", "immunohistochemistry", "motorcycle", "china", "flower", "grass",
                          "brick", "retina")
    config.model.pretrain_steps = 2000
    config.train.g_lr = 1e-3
    return config
