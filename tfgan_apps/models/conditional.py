"""Class-conditional GANs: cGAN with a projection discriminator, and ACGAN.

Both condition the generator on a class label y ∈ {0..K−1} (one-hot or embedded,
concatenated to z: ``nets.conditional.conditional_generator``) and differ in how
the discriminator uses labels:

* ``cgan`` — conditional GAN (Mirza & Osindero 2014, eq. 2) with the projection
  discriminator of Miyato & Koyama (2018, eq. 3): D(x, y) = ψ(φ(x)) + embed(y)ᵀφ(x).
  The adversarial loss is the configured family applied to D(x, y).
* ``acgan`` — auxiliary classifier GAN (Odena et al. 2017, eqs. 2–3): D(x) is
  unconditional and has a second head that classifies x. With L_C the
  cross-entropy of that head, D minimises L_adv + w·(L_C(real) + L_C(fake)) and G
  minimises L_adv,G + w·L_C(fake) (w = ``model.aux_weight``, 1 in the paper).

Labels: the discriminator step conditions its fakes on the real batch's labels
(a draw from the empirical p(y); it also lets penalties that mix real and fake
rows, such as WGAN-GP, use one label per row); the generator step draws labels
uniformly from the step seed, like z. Batches must hold ``"label"`` (digits,
lfw, mog sources).

Improved-Techniques stabilizers (Salimans et al. 2016): feature matching (§3.1) matches the
per-example trunk φ(x) — for cGAN the features the projection embed(y)ᵀφ(x) reads, for
ACGAN the features both heads read (``FEATURES_OF``, an extra output of D); minibatch
discrimination (§3.2) adds o(φ) to the unconditional logit ψ only, the projection / the
classifier keep reading φ; virtual batch norm (§3.5) gives G reference latents with
reference labels drawn once from the model seed, and D the first real examples (the
projection D's labels enter after its normalised trunk, so the reference rows' labels
do not change the statistics and are set to 0).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import keras
import tensorflow as tf

from tfgan_apps.distribute import replica_draw
from tfgan_apps.errors import ConfigError
from tfgan_apps.export import SamplerExport, seed_pair
from tfgan_apps.models.base import GAN, Streams, Update, vbn_spec
from tfgan_apps.nets import build_network
from tfgan_apps.nets.conditional import (
    auxiliary_classifier_discriminator,
    conditional_generator,
    projection_discriminator,
)
from tfgan_apps.nets.minibatch_discrimination import layer_input, with_features_of
from tfgan_apps.registry import DISCRIMINATORS, MODELS
from tfgan_apps.stabilizers import MinibatchDiscriminationSpec
from tfgan_apps.stabilizers import settings as stabilizer_settings


def classification_loss(labels: tf.Tensor, logits: tf.Tensor) -> tf.Tensor:
    """Per-example softmax cross-entropy −log p(y | x) in float32."""
    return tf.nn.sparse_softmax_cross_entropy_with_logits(tf.cast(labels, tf.int32), tf.cast(logits, tf.float32))


def correct(labels: tf.Tensor, logits: tf.Tensor) -> tf.Tensor:
    """Per-example 1.0 where argmax(logits) == label, else 0.0."""
    return tf.cast(tf.equal(tf.argmax(logits, axis=-1, output_type=tf.int32), tf.cast(labels, tf.int32)), tf.float32)


def source_classes(model_cfg: Any, source: Any) -> int:
    """K of a labelled source, or a ConfigError naming the model that needs labels."""
    if source.num_classes < 2:
        raise ConfigError(f"model {model_cfg.get('name', '')!r} needs a labelled data source (digits, lfw, mog_*); "
                          f"{source.name!r} has no labels")
    return int(source.num_classes)


def conditional_sampler(generator: keras.Model, latent_dim: int, kind: str) -> SamplerExport:
    """The conditional generator's export: ``serving_default(z, labels)`` and ``sample(labels, seed)`` (z drawn
    from the seed), both ``-> {"samples"}``."""
    def draw(labels: tf.Tensor, seed: tf.Tensor) -> list[tf.Tensor]:
        z = tf.random.stateless_normal(tf.stack([tf.shape(labels)[0], latent_dim]), seed=seed_pair(seed))
        return [z, labels]

    labels = tf.TensorSpec([None], tf.int32, "labels")
    return SamplerExport(generator, kind, inputs=[tf.TensorSpec([None, latent_dim], tf.float32, "z"), labels],
                         sample_inputs=[labels], draw=draw)


@keras.saving.register_keras_serializable(package="tfgan_apps")
@MODELS.register("cgan")
class ConditionalGAN(GAN):
    """cGAN: G(z, y) and a projection discriminator D(x, y).

    Extra config fields (``config.model``): ``label_encoding`` ("onehot" |
    "embedding") and ``embedding_dim`` for the generator's label input.
    Subclasses change how D sees labels through ``build_discriminator`` and the
    template's hooks (ACGAN: ``discriminator_inputs``, ``adversarial_logits``, ``extra_*_terms``).
    """

    SUPPORTED_STABILIZERS = ("diffaugment", "ema", "feature_matching", "historical_averaging", "instance_noise",
                             "label_noise", "label_smoothing", "minibatch_discrimination", "virtual_batch")
    STABILIZER_REASONS = {"packing": "a packed D input would mix samples of different labels",
                          "replay": "past fakes would lose the labels they were drawn for"}
    # The layer whose input (its first, for the projection's Dot) is φ(x), the features feature matching matches.
    FEATURES_OF: ClassVar[tuple[str, int]] = ("projection", 0)

    def __init__(self, generator: keras.Model, discriminator: keras.Model, latent_dim: int,
                 num_classes: int = 0, **kwargs: Any) -> None:
        if num_classes < 2:
            raise ConfigError(f"{type(self).__name__} needs a labelled data source (num_classes ≥ 2), "
                              f"got {num_classes}")
        if (kwargs.get("stabilizers") or {}).get("feature_matching"):
            discriminator = with_features_of(discriminator, layer_input(discriminator, *self.FEATURES_OF))
        super().__init__(generator, discriminator, latent_dim, **kwargs)
        self.num_classes = int(num_classes)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "num_classes": self.num_classes}

    # ------------------------------------------------------------------ building
    @classmethod
    def build_networks(cls, model_cfg: Any, source: Any, sync_batchnorm: bool) -> tuple[keras.Model, keras.Model]:
        """A label-conditioned generator around ``model_cfg.generator`` and ``build_discriminator``'s D (on a base
        D with the minibatch layer when that stabilizer is on; ``norm="batch"`` becomes VBN with ``virtual_batch``)."""
        num_classes = source_classes(model_cfg, source)
        settings = stabilizer_settings(model_cfg)
        generator = conditional_generator(
            vbn_spec(model_cfg.generator, settings), model_cfg.latent_dim, num_classes, source.shape,
            label_encoding=model_cfg.get("label_encoding", "onehot"),
            embedding_dim=model_cfg.get("embedding_dim", 0), sync_batchnorm=sync_batchnorm,
        )
        base = build_network(DISCRIMINATORS, vbn_spec(model_cfg.discriminator, settings), input_shape=source.shape,
                             sync_batchnorm=sync_batchnorm)
        if settings.get("minibatch_discrimination"):
            base = MinibatchDiscriminationSpec.from_config(settings).apply(base)
        return generator, cls.build_discriminator(base, num_classes, model_cfg)

    @classmethod
    def build_discriminator(cls, base: keras.Model, num_classes: int, model_cfg: Any) -> keras.Model:
        """cGAN: the projection discriminator on top of the unconditional ``base``."""
        return projection_discriminator(base, num_classes, bool(model_cfg.discriminator.get("spectral_norm", False)))

    @classmethod
    def extra_settings(cls, model_cfg: Any, source: Any) -> dict[str, Any]:
        return {"num_classes": source_classes(model_cfg, source)}

    def exportables(self, source: Any) -> dict[str, tf.Module]:
        """The generator (its EMA copy when on), with signatures that take z and int32 labels."""
        return {"generator": conditional_sampler(self.inference_generator, self.latent_dim, source.kind)}

    # ------------------------------------------------------------------ sampling
    def sample_labels(self, batch_size: tf.Tensor, salt: int) -> tf.Tensor:
        """Labels uniform over the K classes for this replica's slice of one global draw (like ``sample_latent``)."""
        seed = self.step_seed(salt)
        return replica_draw(lambda n: tf.random.stateless_uniform(
            [n], seed=seed, minval=0, maxval=self.num_classes, dtype=tf.int32), batch_size)

    def call(self, inputs: Any, training: bool = False) -> tf.Tensor:
        """The generator's forward pass on ``[z, labels]``."""
        return self.generator(inputs, training=training)

    def generate(self, n_or_z: int | tf.Tensor, seed: int = 0, training: bool = False,
                 labels: Any = None) -> tf.Tensor:
        """Samples of ``inference_generator`` for the given classes: ``n`` samples (seeded) or the
        images of a latent batch. ``labels`` (int [N]) defaults to 0, 1, …, K−1, 0, 1, … so a grid
        shows every class.
        """
        if isinstance(n_or_z, int):
            z = tf.random.stateless_normal([n_or_z, self.latent_dim], seed=[seed, 0])
        else:
            z = tf.convert_to_tensor(n_or_z, tf.float32)
        n = tf.shape(z)[0]
        labels = tf.range(n) % self.num_classes if labels is None else tf.convert_to_tensor(labels, tf.int32)
        return self.inference_generator([z, labels], training=training)

    # ------------------------------------------------------------------ template hooks
    def prepare_batch(self, batch: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        if "label" not in batch:
            raise ConfigError(f"{type(self).__name__} needs labelled batches ({{'x', 'label'}} or (x, y) tuples)")
        return batch

    def generator_inputs(self, ctx: Update) -> dict[str, tf.Tensor]:
        """z, and labels: the real batch's in a D update (a draw from the empirical p(y), and penalties that
        mix real and fake rows keep one label per row), uniform draws on the LABELS stream in G's update."""
        if ctx.discriminator:
            labels = ctx.batch["label"]
        else:
            labels = self.sample_labels(ctx.batch_size, ctx.stream(Streams.LABELS))
        return {**super().generator_inputs(ctx), "label": tf.cast(labels, tf.int32)}

    def run_generator(self, inputs: Mapping[str, tf.Tensor], training: bool = True) -> tf.Tensor:
        """G(z, y); with VBN, G's reference latents and labels prepended in training calls (outputs dropped)."""
        z_ref = self.generator_reference()
        if z_ref is None or not training:
            return self.generator([inputs["z"], inputs["label"]], training=training)
        n = tf.shape(z_ref)[0]
        seed = tf.random.experimental.stateless_fold_in(self.fixed_seed(Streams.VIRTUAL_BATCH), 1)
        labels_ref = tf.random.stateless_uniform([n], seed=seed, minval=0, maxval=self.num_classes, dtype=tf.int32)
        z = tf.concat([tf.cast(z_ref, inputs["z"].dtype), inputs["z"]], axis=0)
        labels = tf.concat([labels_ref, tf.cast(inputs["label"], tf.int32)], axis=0)
        return self.generator([z, labels], training=training)[n:]

    def discriminator_inputs(self, samples: tf.Tensor, ctx: Update, real: bool) -> Any:
        """(samples, labels): the batch's labels for real samples, G's for fakes."""
        return samples, (ctx.batch["label"] if real else ctx.g_inputs["label"])

    def discriminate(self, x: Any, salt: int, training: bool = True) -> tf.Tensor:
        """D(x, y) logits of a (samples, labels) pair; input stabilizers act on the samples."""
        samples, labels = x
        samples, reference = self.d_input(samples, salt), self.discriminator_reference()
        if reference is None or not training:
            return self.discriminator([samples, labels], training=training)
        # VBN: the first real examples prepended; labels enter after the normalised trunk, so theirs are 0.
        n = tf.shape(reference)[0]
        out = self.discriminator([tf.concat([tf.cast(reference, samples.dtype), samples], axis=0),
                                  tf.concat([tf.zeros([n], tf.int32), tf.cast(labels, tf.int32)], axis=0)],
                                 training=training)
        return tf.nest.map_structure(lambda t: t[n:], out)


@keras.saving.register_keras_serializable(package="tfgan_apps")
@MODELS.register("acgan")
class ACGAN(ConditionalGAN):
    """ACGAN: G(z, y) and an unconditional D(x) with an auxiliary classifier head (Odena et al. 2017).

    Extra config field: ``aux_weight`` (w, default 1.0) on the auxiliary
    classification terms. Logged: ``d_aux_real``, ``d_aux_fake`` (D's
    cross-entropies), ``g_aux`` (G's), and ``real_accuracy`` (the auxiliary
    classifier's accuracy on the real batch).
    """

    FEATURES_OF = ("class_logits", 0)  # the trunk both heads read

    def __init__(self, generator: keras.Model, discriminator: keras.Model, latent_dim: int,
                 aux_weight: float = 1.0, **kwargs: Any) -> None:
        super().__init__(generator, discriminator, latent_dim, **kwargs)
        self.aux_weight = float(aux_weight)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "aux_weight": self.aux_weight}

    @classmethod
    def build_discriminator(cls, base: keras.Model, num_classes: int, model_cfg: Any) -> keras.Model:
        """ACGAN: the unconditional ``base`` with a second, K-way classifier head."""
        return auxiliary_classifier_discriminator(base, num_classes)

    @classmethod
    def extra_settings(cls, model_cfg: Any, source: Any) -> dict[str, Any]:
        return {**super().extra_settings(model_cfg, source), "aux_weight": model_cfg.get("aux_weight", 1.0)}

    def tracker_names(self) -> list[str]:
        return [*super().tracker_names(), "d_aux_real", "d_aux_fake", "g_aux", "real_accuracy"]

    discriminator_inputs = GAN.discriminator_inputs  # D(x) is unconditional: it sees the samples only
    discriminate = GAN.discriminate

    def adversarial_logits(self, outputs: Any) -> tf.Tensor:
        """The adversarial head (the second output is the class logits)."""
        return outputs[0]

    def extra_d_terms(self, ctx: Update) -> dict[str, tf.Tensor]:
        """w·L_C on real and on fake (Odena et al. 2017, eq. 2: D maximises L_S + L_C)."""
        labels, fake_labels = ctx.batch["label"], ctx.g_inputs["label"]
        ctx.stats["real_accuracy"] = self.global_mean(correct(labels, ctx.real_out[1]))
        return {
            "d_aux_real": self.aux_weight * self.global_mean(classification_loss(labels, ctx.real_out[1])),
            "d_aux_fake": self.aux_weight * self.global_mean(classification_loss(fake_labels, ctx.fake_out[1])),
        }

    def extra_g_terms(self, ctx: Update) -> dict[str, tf.Tensor]:
        """w·L_C on fake (eq. 3: G maximises L_C − L_S)."""
        labels = ctx.g_inputs["label"]
        return {"g_aux": self.aux_weight * self.global_mean(classification_loss(labels, ctx.fake_out[1]))}

    def classify(self, x: tf.Tensor) -> tf.Tensor:
        """The auxiliary classifier's logits [B, K] (inference mode)."""
        return self.discriminator(x, training=False)[1]
