"""Photo inpainting with the pix2pix cGAN: crops with holes (rectangles and free-form strokes) in, whole crops out.

    tfgan-train --config=inpaint_photos [--config.train.steps=4000]

A recipe of the existing image-to-image model (``model.name='pix2pix'``, config only). The degradation
``mask`` cuts holes covering 10–25 % of each crop (random rectangles or brush strokes, half each) and
fills them with mid-grey. The pix2pix generator's input has as many channels as its target, so this
recipe runs with ``with_mask=False``: G sees the holed image without the mask channel (the mask channel
and a masked L1 need a pix2pix change, described in ``benchmarks/results/translation.md``). G is the
residual U-Net (known pixels pass through, the holes get a correction); the loss is pix2pix's
λ·L1 over the whole image (zero on well-reproduced known pixels) then + PatchGAN. Evaluation
(``benchmarks/translation.py``) re-draws the held-out holes with their mask, pastes G's output into the
holes only and scores PSNR/SSIM inside the holes against biharmonic inpainting and mean fill.
"""

from tfgan_apps.config import restoration_config


def get_config():
    """Inpainting: 64 px crops, 10–25 % holes, batch 8, width-32 depth-4 residual U-Net, Adam 1e-3 β1 0.9;
    L1 pretraining for 3000 of the 4000 steps, then L1 + PatchGAN."""
    config = restoration_config(
        "inpaint_photos",
        degradation={"type": "mask", "hole_fraction": (0.1, 0.25), "shape": "mixed", "fill": 0.0,
                     "with_mask": False},
        generator={"type": "unet", "width": 32, "depth": 4, "norm": "batch", "dropout": 0.0, "residual": True},
        discriminator={"type": "patchgan", "width": 32, "n_layers": 2, "norm": "instance"},
    )
    config.model.pretrain_steps = 3000
    config.train.g_lr = 1e-3
    return config
