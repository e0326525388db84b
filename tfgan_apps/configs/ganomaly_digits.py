"""GANomaly (Akçay et al. 2018) on the bundled digits, leave-one-class-out: trained on every digit but 0.

    tfgan-train --config=ganomaly_digits [--config.data.anomaly_class=7]

Trains on the normal digits only (``data.anomaly_class``; 20 % of them held out)
and writes, every ``train.image_every`` steps, the latent-distance scores of the
held-out normals and of every digit of the anomaly class to TensorBoard
(``Anomaly/*``: histograms, AUROC, AUPRC, ROC curve). To score new images, fit and
export a calibrated ``scorer`` with ``tfgan_apps.anomaly.detector.fit_detector(config,
workdir, "ganomaly")`` and serve it with ``tfgan-anomaly``.
"""

import ml_collections

from tfgan_apps.config import dcgan_digits_config


def get_config():
    """DCGAN decoder and D (BatchNorm), two DCGAN-body encoders, w_adv/w_con/w_enc = 1/50/1, latent 32."""
    config = dcgan_digits_config()
    config.name = "ganomaly_digits"
    config.model.name = "ganomaly"
    config.model.latent_dim = 32
    config.model.encoder = ml_collections.ConfigDict({"type": "dcgan", "width": 32, "norm": "batch"})
    config.model.adversarial_weight = 1.0
    config.model.contextual_weight = 50.0
    config.model.encoder_weight = 1.0
    config.data.anomaly_class = 0
    config.train.steps = 2000
    return config
