"""Restoration: paired image-to-image models and everything around them.

* ``model``       the ``pix2pix`` model (pix2pix, SRGAN/ESRGAN-style SR): its template hooks and loss terms
* ``inference``   any-size restore (padding), tiled inference of large images, the ×8 self-ensemble
* ``perceptual``  VGG19 features for the perceptual loss (local weights only)
* ``export``      ``RestorerExport``, the restorer SavedModel (uint8 images of any size)
* ``callbacks``   TensorBoard pictures and held-out PSNR/SSIM during training

The package imports none of its modules eagerly, so ``tfgan-restore`` (which needs
only ``inference``) does not load the model code.
"""
