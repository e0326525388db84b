"""The restorer SavedModel: uint8 images of any size in, restored uint8 images out.

``ImageToImage.exportables`` returns one ``RestorerExport`` per restorer
(``restorer``: the trained G, its EMA copy when on; ``restorer_psnr``: the
L1-pretrained snapshot when a GAN phase followed). The SavedModel needs no
``tfgan_apps`` to load; ``tfgan-restore`` tiles large images through its
``restore_float`` signature.

An inpainting restorer (``masked``: trained with the hole mask as an input channel) takes the mask as a
second input of every signature, ``[N, H, W, 1]`` of the images' size: uint8 in ``serving_default``
(≥ 128 = hole, so 255 / white marks a hole), float32 in ``restore_float`` (> 0.5 = hole). The hole
pixels of ``images`` are ignored (set to the training fill), the known pixels are returned unchanged.
"""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf

from tfgan_apps.export import images_to_uint8, signature_function, uint8_to_images
from tfgan_apps.restoration.inference import restore_images


class RestorerExport(tf.Module):
    """A restoration generator with its serving signatures.

    * ``serving_default(images: uint8 [N, H, W, C])`` → ``{"restored": uint8 [N, s·H, s·W, C]}``
    * ``restore_float(images: float32 [N, H, W, C] in [-1, 1])`` → ``{"restored": float32 in [-1, 1]}``
      (unquantised, for tiled inference)
    * ``info()`` → ``{"scale": int32, "multiple": int32, "masked": int32}``
    Any H, W: the image is padded to ``multiple`` inside and the output cropped back. With ``masked``
    both image signatures also take ``mask`` (uint8 resp. float32 ``[N, H, W, 1]``, see the module
    docstring) and return the composite: G inside the holes, the input elsewhere.
    """

    def __init__(self, generator: keras.Model, channels: int, multiple: int, scale: int, masked: bool = False,
                 fill: float = 0.0) -> None:
        super().__init__(name="restorer_export")
        self.generator = generator
        self.multiple, self.scale = int(multiple), int(scale)
        self.masked, self.fill = bool(masked), float(fill)
        spec = [None, None, None, channels]
        if self.masked:
            mask = [None, None, None, 1]
            self.serve = signature_function(self._serve_masked, tf.TensorSpec(spec, tf.uint8, "images"),
                                            tf.TensorSpec(mask, tf.uint8, "mask"))
            self.restore_float = signature_function(self._float_masked, tf.TensorSpec(spec, tf.float32, "images"),
                                                    tf.TensorSpec(mask, tf.float32, "mask"))
        else:
            self.serve = signature_function(self._serve, tf.TensorSpec(spec, tf.uint8, "images"))
            self.restore_float = signature_function(self._float, tf.TensorSpec(spec, tf.float32, "images"))
        self.info = tf.function(self._info, input_signature=[])

    def _float(self, images: tf.Tensor) -> dict[str, tf.Tensor]:
        return {"restored": restore_images(self.generator, images, self.multiple, self.scale)}

    def _serve(self, images: tf.Tensor) -> dict[str, tf.Tensor]:
        x = uint8_to_images(images)
        return {"restored": images_to_uint8(self._float(x)["restored"])}

    def _float_masked(self, images: tf.Tensor, mask: tf.Tensor) -> dict[str, tf.Tensor]:
        check = tf.debugging.assert_equal(
            tf.shape(mask)[:3], tf.shape(images)[:3],
            message="mask must be [N, H, W, 1] with the images' N, H and W")
        with tf.control_dependencies([check]):
            condition = tf.concat([images, tf.cast(mask > 0.5, tf.float32)], axis=-1)
        return {"restored": restore_images(self.generator, condition, self.multiple, self.scale, masked=True,
                                           fill=self.fill)}

    def _serve_masked(self, images: tf.Tensor, mask: tf.Tensor) -> dict[str, tf.Tensor]:
        restored = self._float_masked(uint8_to_images(images), tf.cast(mask, tf.float32) / 255.0)["restored"]
        return {"restored": images_to_uint8(restored)}

    def _info(self) -> dict[str, tf.Tensor]:
        return {"scale": tf.constant(self.scale, tf.int32), "multiple": tf.constant(self.multiple, tf.int32),
                "masked": tf.constant(int(self.masked), tf.int32)}

    def signatures(self) -> dict[str, Any]:
        """The concrete functions to save as signatures."""
        return {
            "serving_default": self.serve.get_concrete_function(),
            "restore_float": self.restore_float.get_concrete_function(),
            "info": self.info.get_concrete_function(),
        }
