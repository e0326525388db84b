"""Semi-supervised GAN: a K+1-class discriminator trained on a few labels and many unlabelled examples.

Salimans et al. (2016, "Improved techniques for training GANs", §5; also Odena
2016): D outputs class logits l_1..l_K for real classes; the (K+1)-th "fake"
logit is fixed at 0, so

    p(y = k | x) = softmax(l)_k,    D(x) = p(real | x) = Z / (Z + 1),  Z = Σ_k exp l_k,

i.e. the real/fake logit is logsumexp(l) (``discriminate``). D minimises

    L = L_sup + L_unsup,
    L_sup   = −E_{(x, y) labelled} log p(y | x)                       (only the labelled examples)
    L_unsup = −E_x log D(x) − E_z log(1 − D(G(z)))                    (every real example and the fakes)

where L_unsup is the configured adversarial loss family on the logsumexp logits
(``non_saturating``/``minimax`` give exactly the paper's formula). G minimises
feature matching (§3.1), ‖E_x f(x) − E_z f(G(z))‖² on D's penultimate
features f, which the paper found best for semi-supervised learning, or the
non-saturating loss (``model.generator_loss``). Feature matching is the toolkit's
(``stabilizers.feature_matching``, also available to other models as the
``feature_matching`` stabilizer, which *adds* λ·FM to G's loss).

The labelled subset: ``model.labelled`` examples (class-balanced, fixed by a
seeded permutation, see ``data/labelled.balanced_subset``) of the training part
of an ``indexed:`` source; batches carry each example's index, which the model
maps to its labelled flag, so the mask is deterministic under resume and
distribution. Labelled examples are spread through the shuffled stream, so each
batch holds about B·labelled/N of them; L_sup is written as
E_batch[mask · CE] · N/labelled (an unbiased estimate of the mean cross-entropy
over the labelled set, averaged over the global batch like every other term).

Held-out classification accuracy (examples removed from training by
``config.data.heldout``) is logged as ``Eval/heldout_accuracy`` by
``model_callbacks.HeldoutAccuracy`` every ``train.log_every`` steps; ``heldout_accuracy()``
computes it for any model with a ``classify`` method.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf

from tfgan_apps.data.labelled import IndexedSource
from tfgan_apps.errors import ConfigError
from tfgan_apps.models.base import GAN, Update
from tfgan_apps.models.conditional import classification_loss, correct
from tfgan_apps.nets.conditional import classifier_discriminator
from tfgan_apps.registry import MODELS
from tfgan_apps.stabilizers import feature_matching

GENERATOR_LOSSES = ("feature_matching", "non_saturating")


def logsumexp_logit(class_logits: tf.Tensor) -> tf.Tensor:
    """Real/fake logit [B, 1] of a K+1-class D with the fake logit fixed at 0: log Σ_k exp l_k."""
    return tf.reduce_logsumexp(tf.cast(class_logits, tf.float32), axis=-1, keepdims=True)


def heldout_accuracy(model: Any, images: np.ndarray, labels: np.ndarray, batch_size: int = 256) -> float:
    """Fraction of ``images`` whose argmax of ``model.classify(x)`` (class logits [B, K]) equals ``labels``."""
    hits = 0
    for start in range(0, len(images), batch_size):
        logits = model.classify(tf.convert_to_tensor(images[start : start + batch_size], tf.float32))
        hits += int(np.sum(np.argmax(np.asarray(logits), axis=-1) == labels[start : start + batch_size]))
    return hits / max(len(images), 1)


@keras.saving.register_keras_serializable(package="tfgan_apps")
@MODELS.register("sgan")
class SemiSupervisedGAN(GAN):
    """SGAN: a K-logit classifier D (implicit fake logit 0), supervised CE on labelled examples, FM or NS for G.

    Args (besides the base GAN's):
      num_classes: K.
      labelled_mask: bool [N], True at the training indices whose labels may be used.
      generator_loss: ``feature_matching`` (Salimans et al. §3.1) or ``non_saturating``.
      supervised_weight: weight of L_sup (1 in the paper).
    """

    SUPPORTED_STABILIZERS = ("diffaugment", "ema", "feature_matching", "historical_averaging", "instance_noise",
                             "label_noise", "label_smoothing", "minibatch_discrimination", "replay", "virtual_batch")
    STABILIZER_REASONS = {"packing": "the discriminator classifies single examples"}

    def __init__(self, generator: keras.Model, discriminator: keras.Model, latent_dim: int,
                 num_classes: int = 0, labelled_mask: np.ndarray | None = None,
                 generator_loss: str = "feature_matching", supervised_weight: float = 1.0, **kwargs: Any) -> None:
        super().__init__(generator, discriminator, latent_dim, **kwargs)
        if generator_loss not in GENERATOR_LOSSES:
            raise ConfigError(f"unknown model.generator_loss {generator_loss!r}; valid choices: "
                              f"{', '.join(GENERATOR_LOSSES)}")
        if labelled_mask is None or not np.any(labelled_mask):
            raise ConfigError("sgan needs a non-empty labelled subset (config.model.labelled > 0)")
        self.num_classes = int(num_classes)
        self.generator_loss = generator_loss
        self.supervised_weight = float(supervised_weight)
        mask = np.asarray(labelled_mask, bool)
        self.labelled_table = tf.constant(mask.astype(np.float32))
        # N / labelled: makes E_batch[mask · CE] · scale the mean CE over the labelled set.
        self.labelled_scale = float(mask.size / mask.sum())
        self.labelled_mask = mask

    def get_config(self) -> dict[str, Any]:
        """The base GAN's arguments plus K, the labelled subset (as a list of indices) and the G loss (``.keras``)."""
        return {**super().get_config(), "num_classes": self.num_classes,
                "labelled_mask": {"size": int(self.labelled_mask.size),
                                  "indices": np.flatnonzero(self.labelled_mask).tolist()},
                "generator_loss": self.generator_loss, "supervised_weight": self.supervised_weight}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> SemiSupervisedGAN:
        """Rebuilds a model saved with ``model.save("x.keras")`` (the labelled mask from its indices)."""
        config = dict(config)
        saved = config.get("labelled_mask")
        if isinstance(saved, dict):
            mask = np.zeros(int(saved["size"]), bool)
            mask[np.asarray(saved["indices"], int)] = True
            config["labelled_mask"] = mask
        return super().from_config(config)

    @classmethod
    def build_networks(cls, model_cfg: Any, source: Any, sync_batchnorm: bool) -> tuple[keras.Model, keras.Model]:
        """The configured generator, and the configured discriminator with its logit replaced by K class logits."""
        generator, base = super().build_networks(model_cfg, source, sync_batchnorm)
        return generator, classifier_discriminator(base, source.num_classes)

    @classmethod
    def extra_settings(cls, model_cfg: Any, source: Any) -> dict[str, Any]:
        if not isinstance(source, IndexedSource):
            raise ConfigError(
                f"sgan needs example indices to know which examples are labelled: set "
                f"config.data.source='indexed:{source.name}' (and config.data.heldout for held-out accuracy)"
            )
        labelled = int(model_cfg.get("labelled", 100))
        if labelled < source.num_classes:
            raise ConfigError(f"config.model.labelled must be ≥ K = {source.num_classes}, got {labelled}")
        return {
            "num_classes": source.num_classes,
            "labelled_mask": source.labelled_mask(labelled),
            "generator_loss": model_cfg.get("generator_loss", "feature_matching"),
            "supervised_weight": model_cfg.get("supervised_weight", 1.0),
        }

    def tracker_names(self) -> list[str]:
        return [*super().tracker_names(), "d_sup", "real_accuracy"]

    def training_callbacks(self, writer: tf.summary.SummaryWriter, source: Any, config: Any) -> list[Any]:
        """Held-out accuracy every ``train.log_every`` steps (when the source holds examples out)."""
        if not isinstance(source, IndexedSource) or not len(source.heldout_indices):
            return []
        from tfgan_apps.model_callbacks import HeldoutAccuracy

        return [HeldoutAccuracy(writer, config.train.log_every, *source.heldout_examples(),
                                final_step=config.train.steps)]

    # ------------------------------------------------------------------ discriminator
    def classify(self, x: tf.Tensor) -> tf.Tensor:
        """Class logits [B, K] of the discriminator (inference mode)."""
        return self.discriminator(x, training=False)[0]

    def adversarial_logits(self, outputs: Any) -> tf.Tensor:
        """The real/fake logit logsumexp(l) of the class logits (penalties and the adversarial loss see it)."""
        return logsumexp_logit(outputs[0])

    def prepare_batch(self, batch: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        if "index" not in batch or "label" not in batch:
            raise ConfigError("sgan needs batches with 'label' and 'index' (config.data.source='indexed:...')")
        return batch

    @property
    def generator_sees_real(self) -> bool:
        """Feature matching compares the fakes' D features with the real batch's."""
        return self.generator_loss == "feature_matching" or super().generator_sees_real

    # ------------------------------------------------------------------ training
    def discriminator_features(self, outputs: Any) -> tf.Tensor:
        """D's penultimate features: the second output of the K-class discriminator."""
        return outputs[1]

    def feature_matching(self, real_features: tf.Tensor, fake_features: tf.Tensor) -> tf.Tensor:
        """‖m_real − m_fake‖² over global-batch feature means (Salimans et al. 2016 §3.1): the toolkit's
        ``stabilizers.feature_matching`` (a per-replica partial, like every loss term)."""
        return feature_matching(real_features, fake_features)

    def extra_d_terms(self, ctx: Update) -> dict[str, tf.Tensor]:
        """L_sup: the cross-entropy of the labelled examples of the real slice (mask from their indices)."""
        labels, classes = ctx.batch["label"], ctx.real_out[0]
        mask = tf.gather(self.labelled_table, ctx.batch["index"])
        supervised = mask * classification_loss(labels, classes) * self.labelled_scale
        # Labels of unlabelled examples are used for this logged number only, never in a loss.
        ctx.stats["real_accuracy"] = self.global_mean(correct(labels, classes))
        return {"d_sup": self.supervised_weight * self.global_mean(supervised)}

    def g_adversarial_term(self, ctx: Update) -> tf.Tensor:
        """Feature matching against the real slice, or the configured loss on the logsumexp logits."""
        if self.generator_loss == "feature_matching":
            return self.feature_matching(self.discriminator_features(ctx.real_out),
                                         self.discriminator_features(ctx.fake_out))
        return super().g_adversarial_term(ctx)
