"""Photo inpainting with the pix2pix cGAN: crops with holes (rectangles and free-form strokes) + their mask in,
whole crops out.

    tfgan-train --config=inpaint_photos [--config.train.steps=4000]
    tfgan-restore --model=RUN/export/restorer --input=photo.png --mask=holes.png --output=filled.png

A recipe of the image-to-image model (``model.name='pix2pix'``). The degradation ``mask`` cuts holes
covering 10–25 % of each crop (random rectangles or brush strokes, half each), fills them with mid-grey
and appends the mask (1 = hole) as a fourth channel (``with_mask=True``): G sees the holed image and the
mask, the conditional PatchGAN sees both beside the image it judges. Before G, the holes are filled by
push-pull interpolation from the known pixels (``model.hole_fill='pyramid'``, ``restoration.inference.
pyramid_fill``; in training and in the export), so the residual U-Net (4 → 4 channels, the first 3 kept)
starts from a smooth fill and learns the correction; with the mid-grey fill (``hole_fill='constant'``)
15 minutes of training on 2 cores stayed 0.6 dB below biharmonic inpainting inside the holes, with the
pyramid fill it is 1.4 dB above (``benchmarks/results/translation.md``). G's output is always composited
with the known pixels (``mask·G + (1 − mask)·input``, in training too), and the content loss is the masked L1
(``model.content_loss='masked_l1'``: mean |G − x| over the hole pixels of each crop; known pixels do not
count). L1 pretraining for ``model.pretrain_steps``, then L1 + PatchGAN. The export takes the mask as a
second input, ``tfgan-restore`` a second image (``--mask``, white = hole) or the input's alpha channel
(alpha 0 = hole). Evaluation (``benchmarks/translation.py``) scores PSNR/SSIM inside the held-out holes
against biharmonic inpainting, mean fill and the push-pull fill alone.
"""

from tfgan_apps.config import restoration_config


def get_config():
    """Inpainting: 64 px crops, 10–25 % holes + mask channel, holes pre-filled by push-pull, batch 8, width-32
    depth-4 residual U-Net, masked L1, Adam 1e-3 β1 0.9; L1 pretraining for 3000 of the 4000 steps, then
    L1 + PatchGAN."""
    config = restoration_config(
        "inpaint_photos",
        degradation={"type": "mask", "hole_fraction": (0.1, 0.25), "shape": "mixed", "fill": 0.0,
                     "with_mask": True},
        generator={"type": "unet", "width": 32, "depth": 4, "norm": "batch", "dropout": 0.0, "residual": True},
        discriminator={"type": "patchgan", "width": 32, "n_layers": 2, "norm": "instance"},
    )
    config.model.content_loss = "masked_l1"
    config.model.hole_fill = "pyramid"
    config.model.pretrain_steps = 3000
    config.train.g_lr = 1e-3
    return config
