"""The ``pix2pix`` model moved to ``tfgan_apps.restoration`` (model, inference, export); kept so old imports work.

New code imports ``tfgan_apps.restoration.model`` / ``.inference`` / ``.export`` directly.
"""

from __future__ import annotations

from tfgan_apps.restoration.export import RestorerExport
from tfgan_apps.restoration.inference import pad_to_multiple, restore_images
from tfgan_apps.restoration.model import ImageToImage

__all__ = ["ImageToImage", "RestorerExport", "pad_to_multiple", "restore_images"]
