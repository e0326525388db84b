"""tfgan_apps: GAN variants, metrics and restoration applications on Keras 3 / TensorFlow.

Importing the package turns TensorFlow's oneDNN CPU kernels on (``TF_ENABLE_ONEDNN_OPTS=1``) unless the
environment already sets that variable. TensorFlow enables them by itself only on CPUs with AVX-512 VNNI /
BF16 / AMX; on the 2-core AVX2 machine of ``benchmarks/results/train_speed.md`` they made the 64² DCGAN
training step without XLA 1.7× faster (XLA steps are unchanged) and they speed up every convolution that
runs outside XLA (sampling, feature extraction, tiled restoration). Results differ from the default kernels
by floating-point round-off only. It takes effect only when tfgan_apps is imported before TensorFlow (the
console scripts do); set ``TF_ENABLE_ONEDNN_OPTS=0`` to keep TensorFlow's own choice.
"""

import os

os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")

# ------------------------------------------------------------------------------------------- public API
# The model classes are imported here, so ``import tfgan_apps`` registers them (and the custom network layers)
# with ``keras.saving``: ``keras.saving.load_model("gan.keras")`` then works in a fresh process.
import importlib as _importlib
import pkgutil as _pkgutil

from tfgan_apps import losses, penalties, stabilizers  # noqa: E402
from tfgan_apps.losses import AdversarialLoss  # noqa: E402
from tfgan_apps.models.aae import AdversarialAutoencoder  # noqa: E402
from tfgan_apps.models.base import GAN  # noqa: E402
from tfgan_apps.models.began import BEGAN  # noqa: E402
from tfgan_apps.models.bigan import BiGAN  # noqa: E402
from tfgan_apps.models.conditional import ACGAN, ConditionalGAN  # noqa: E402
from tfgan_apps.models.ebgan import EBGAN  # noqa: E402
from tfgan_apps.models.infogan import InfoGAN  # noqa: E402
from tfgan_apps.models.pggan import PGGAN  # noqa: E402
from tfgan_apps.models.sgan import SemiSupervisedGAN  # noqa: E402

for _package in ("tfgan_apps.models", "tfgan_apps.nets"):  # every variant (new ones too) and custom layer
    for _info in _pkgutil.iter_modules(_importlib.import_module(_package).__path__):
        _importlib.import_module(f"{_package}.{_info.name}")

# Heavier modules on first use (PEP 562): ``tfgan_apps.callbacks``, ``.export``, ``.Trainer``, ...
_LAZY = {"Trainer": "tfgan_apps.trainer", "ImageToImage": "tfgan_apps.restoration.model",
         "CycleGAN": "tfgan_apps.models.cyclegan", "GANomaly": "tfgan_apps.models.ganomaly",
         "base_config": "tfgan_apps.config"}
_MODULES = ("callbacks", "export", "metrics", "nets", "data", "trainer", "config", "evaluation", "generate",
            "registry", "models", "restoration", "anomaly")
__all__ = [
    "ACGAN", "BEGAN", "EBGAN", "GAN", "PGGAN", "AdversarialAutoencoder", "AdversarialLoss", "BiGAN",
    "ConditionalGAN", "CycleGAN", "GANomaly", "ImageToImage", "InfoGAN", "SemiSupervisedGAN", "Trainer",
    "anomaly", "base_config", "callbacks", "config", "data", "evaluation", "export", "generate", "losses",
    "metrics", "models", "nets", "penalties", "registry", "restoration", "stabilizers", "trainer",
]


def __getattr__(name: str):  # noqa: ANN202 - module-level lazy attribute
    if name in _LAZY:
        return getattr(_importlib.import_module(_LAZY[name]), name)
    if name in _MODULES:
        return _importlib.import_module(f"tfgan_apps.{name}")
    raise AttributeError(f"module 'tfgan_apps' has no attribute {name!r}")
