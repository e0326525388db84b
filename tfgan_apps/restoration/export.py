"""The restorer SavedModel: uint8 images of any size in, restored uint8 images out.

``ImageToImage.exportables`` returns one ``RestorerExport`` per restorer
(``restorer``: the trained G, its EMA copy when on; ``restorer_psnr``: the
L1-pretrained snapshot when a GAN phase followed). The SavedModel needs no
``tfgan_apps`` to load; ``tfgan-restore`` tiles large images through its
``restore_float`` signature.

An inpainting restorer (``masked``: trained with the hole mask as an input channel) takes the mask as a
second input of every signature, ``[N, H, W, 1]`` of the images' size: uint8 in ``serving_default``
(≥ 128 = hole, so 255 / white marks a hole), float32 in ``restore_float`` (> 0.5 = hole). The hole
pixels of ``images`` are ignored (filled as in training: a constant or the push-pull ``pyramid_fill``),
the known pixels are returned unchanged. Two more float signatures serve tiled inference, which must
fill the holes of the whole image before tiling (the pyramid fill is global): ``fill_holes(images,
mask)`` → ``{"filled"}`` and ``restore_filled(images, mask)`` (holes already filled).
"""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf

from tfgan_apps.export import images_to_uint8, signature_function, uint8_to_images
from tfgan_apps.restoration.inference import HoleFill, fill_holes, restore_images


class RestorerExport(tf.Module):
    """A restoration generator with its serving signatures.

    * ``serving_default(images: uint8 [N, H, W, C])`` → ``{"restored": uint8 [N, s·H, s·W, C]}``
    * ``restore_float(images: float32 [N, H, W, C] in [-1, 1])`` → ``{"restored": float32 in [-1, 1]}``
      (unquantised, for tiled inference)
    * ``info()`` → ``{"scale": int32, "multiple": int32, "masked": int32}``
    Any H, W: the image is padded to ``multiple`` inside and the output cropped back. With ``masked``
    both image signatures also take ``mask`` (uint8 resp. float32 ``[N, H, W, 1]``, see the module
    docstring) and return the composite: G inside the holes, the input elsewhere; ``fill_holes`` and
    ``restore_filled`` split ``restore_float`` in two for tiled inference.
    """

    def __init__(self, generator: keras.Model, channels: int, multiple: int, scale: int, masked: bool = False,
                 fill: HoleFill = 0.0) -> None:
        super().__init__(name="restorer_export")
        self.generator = generator
        self.multiple, self.scale = int(multiple), int(scale)
        self.masked, self.fill = bool(masked), fill
        spec = [None, None, None, channels]
        if self.masked:
            images, mask = tf.TensorSpec(spec, tf.float32, "images"), tf.TensorSpec([None, None, None, 1], tf.float32,
                                                                                    "mask")
            self.serve = signature_function(self._serve_masked, tf.TensorSpec(spec, tf.uint8, "images"),
                                            tf.TensorSpec(mask.shape, tf.uint8, "mask"))
            self.restore_float = signature_function(self._float_masked, images, mask)
            self.fill_holes = signature_function(self._fill_holes, images, mask)
            self.restore_filled = signature_function(self._restore_filled, images, mask)
        else:
            self.serve = signature_function(self._serve, tf.TensorSpec(spec, tf.uint8, "images"))
            self.restore_float = signature_function(self._float, tf.TensorSpec(spec, tf.float32, "images"))
        self.info = tf.function(self._info, input_signature=[])

    def _float(self, images: tf.Tensor) -> dict[str, tf.Tensor]:
        return {"restored": restore_images(self.generator, images, self.multiple, self.scale)}

    def _serve(self, images: tf.Tensor) -> dict[str, tf.Tensor]:
        x = uint8_to_images(images)
        return {"restored": images_to_uint8(self._float(x)["restored"])}

    @staticmethod
    def _with_mask(images: tf.Tensor, mask: tf.Tensor) -> tf.Tensor:
        """``[N, H, W, C + 1]``: the images and the binarised mask; an error if their N, H, W differ."""
        check = tf.debugging.assert_equal(
            tf.shape(mask)[:3], tf.shape(images)[:3],
            message="mask must be [N, H, W, 1] with the images' N, H and W")
        with tf.control_dependencies([check]):
            return tf.concat([images, tf.cast(mask > 0.5, tf.float32)], axis=-1)

    def _inpaint(self, images: tf.Tensor, mask: tf.Tensor, fill: HoleFill) -> dict[str, tf.Tensor]:
        return {"restored": restore_images(self.generator, self._with_mask(images, mask), self.multiple, self.scale,
                                           masked=True, fill=fill)}

    def _float_masked(self, images: tf.Tensor, mask: tf.Tensor) -> dict[str, tf.Tensor]:
        return self._inpaint(images, mask, self.fill)

    def _restore_filled(self, images: tf.Tensor, mask: tf.Tensor) -> dict[str, tf.Tensor]:
        return self._inpaint(images, mask, None)

    def _fill_holes(self, images: tf.Tensor, mask: tf.Tensor) -> dict[str, tf.Tensor]:
        condition = self._with_mask(images, mask)
        return {"filled": fill_holes(condition[..., :-1], condition[..., -1:], self.fill)}

    def _serve_masked(self, images: tf.Tensor, mask: tf.Tensor) -> dict[str, tf.Tensor]:
        restored = self._float_masked(uint8_to_images(images), tf.cast(mask, tf.float32) / 255.0)["restored"]
        return {"restored": images_to_uint8(restored)}

    def _info(self) -> dict[str, tf.Tensor]:
        return {"scale": tf.constant(self.scale, tf.int32), "multiple": tf.constant(self.multiple, tf.int32),
                "masked": tf.constant(int(self.masked), tf.int32)}

    def signatures(self) -> dict[str, Any]:
        """The concrete functions to save as signatures."""
        out = {
            "serving_default": self.serve.get_concrete_function(),
            "restore_float": self.restore_float.get_concrete_function(),
            "info": self.info.get_concrete_function(),
        }
        if self.masked:
            out["fill_holes"] = self.fill_holes.get_concrete_function()
            out["restore_filled"] = self.restore_filled.get_concrete_function()
        return out
