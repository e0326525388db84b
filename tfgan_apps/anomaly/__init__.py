"""Anomaly detection with GANs: train on normal data only, score what does not fit.

One concept per module:

* ``metrics``: AUROC, AUPRC, ROC curves, thresholds at a false-positive rate;
* ``features``: discriminator features for the feature-distance terms;
* ``latent_search``: AnoGAN's batched latent search (Schlegl et al. 2017);
* ``bigan_score``: the BiGAN / EGBAD score (Zenati et al. 2018);
* ``fanogan``: f-AnoGAN's izi_f encoder and score (Schlegl et al. 2019);
* GANomaly (Akçay et al. 2018) is a model: ``tfgan_apps/models/ganomaly.py``;
* ``baselines``: PCA, one-class SVM, Isolation Forest, convolutional autoencoder;
* ``signals``: anomalies injected into synthetic 1-D signals;
* ``plots`` / ``callbacks``: ROC and histogram pictures, TensorBoard summaries;
* ``scorer``: the exported ``scorer`` SavedModel with a calibrated threshold;
* ``detector``: train → score → calibrate → export in one call;
* ``cli``: ``tfgan-anomaly``, scoring files with an exported scorer.

The data split (normal classes for training, held-out normals + anomalies for
testing) lives in ``tfgan_apps/data/anomaly.py``.
"""
