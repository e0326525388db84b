"""Restoration: paired image-to-image models and everything around them.

* ``model``       the ``pix2pix`` model (pix2pix, SRGAN/ESRGAN-style SR, colorization, inpainting with a mask
                  channel and the masked L1): its template hooks and loss terms
* ``inference``   any-size restore (padding), hole masks (push-pull fill, composite), tiled inference of large
                  images, the ×8 self-ensemble
* ``perceptual``  VGG19 features for the perceptual loss (local weights only)
* ``export``      ``RestorerExport``, the restorer SavedModel (uint8 images of any size; + a mask for inpainting)
* ``callbacks``   TensorBoard pictures and held-out PSNR/SSIM during training

The package imports none of its modules eagerly, so ``tfgan-restore`` (which needs
only ``inference``) does not load the model code.
"""
