"""The restorer SavedModel: uint8 images of any size in, restored uint8 images out.

``ImageToImage.exportables`` returns one ``RestorerExport`` per restorer
(``restorer``: the trained G, its EMA copy when on; ``restorer_psnr``: the
L1-pretrained snapshot when a GAN phase followed). The SavedModel needs no
``tfgan_apps`` to load; ``tfgan-restore`` tiles large images through its
``restore_float`` signature.
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
    * ``info()`` → ``{"scale": int32, "multiple": int32}``
    Any H, W: the image is padded to ``multiple`` inside and the output cropped back.
    """

    def __init__(self, generator: keras.Model, channels: int, multiple: int, scale: int) -> None:
        super().__init__(name="restorer_export")
        self.generator = generator
        self.multiple, self.scale = int(multiple), int(scale)
        spec = [None, None, None, channels]
        self.serve = signature_function(self._serve, tf.TensorSpec(spec, tf.uint8, "images"))
        self.restore_float = signature_function(self._float, tf.TensorSpec(spec, tf.float32, "images"))
        self.info = tf.function(self._info, input_signature=[])

    def _float(self, images: tf.Tensor) -> dict[str, tf.Tensor]:
        return {"restored": restore_images(self.generator, images, self.multiple, self.scale)}

    def _serve(self, images: tf.Tensor) -> dict[str, tf.Tensor]:
        x = uint8_to_images(images)
        return {"restored": images_to_uint8(self._float(x)["restored"])}

    def _info(self) -> dict[str, tf.Tensor]:
        return {"scale": tf.constant(self.scale, tf.int32), "multiple": tf.constant(self.multiple, tf.int32)}

    def signatures(self) -> dict[str, Any]:
        """The concrete functions to save as signatures."""
        return {
            "serving_default": self.serve.get_concrete_function(),
            "restore_float": self.restore_float.get_concrete_function(),
            "info": self.info.get_concrete_function(),
        }
