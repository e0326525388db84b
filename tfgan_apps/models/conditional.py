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
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import keras
import tensorflow as tf

from tfgan_apps import losses
from tfgan_apps.distribute import replica_draw
from tfgan_apps.errors import ConfigError
from tfgan_apps.export import images_to_uint8, signature_function
from tfgan_apps.models.base import G_SALT, GAN, d_salt
from tfgan_apps.nets import build_network
from tfgan_apps.nets.conditional import (
    auxiliary_classifier_discriminator,
    conditional_generator,
    projection_discriminator,
)
from tfgan_apps.registry import DISCRIMINATORS, MODELS


def classification_loss(labels: tf.Tensor, logits: tf.Tensor) -> tf.Tensor:
    """Per-example softmax cross-entropy −log p(y | x) in float32."""
    return tf.nn.sparse_softmax_cross_entropy_with_logits(tf.cast(labels, tf.int32), tf.cast(logits, tf.float32))


def correct(labels: tf.Tensor, logits: tf.Tensor) -> tf.Tensor:
    """Per-example 1.0 where argmax(logits) == label, else 0.0."""
    return tf.cast(tf.equal(tf.argmax(logits, axis=-1, output_type=tf.int32), tf.cast(labels, tf.int32)), tf.float32)


def refuse_stabilizers(model: GAN, names: tuple[str, ...], why: str) -> None:
    """ConfigError if any of the named stabilizers (``config.model.stabilizers``) is on for ``model``."""
    enabled = [name for name in names if getattr(model.stabilizers, name, None) is not None]
    if enabled:
        raise ConfigError(f"{type(model).__name__} does not support the stabilizer(s) {', '.join(enabled)}: {why}")


def source_classes(model_cfg: Any, source: Any) -> int:
    """K of a labelled source, or a ConfigError naming the model that needs labels."""
    if source.num_classes < 2:
        raise ConfigError(f"model {model_cfg.get('name', '')!r} needs a labelled data source (digits, lfw, mog_*); "
                          f"{source.name!r} has no labels")
    return int(source.num_classes)


class ConditionalGeneratorExport(tf.Module):
    """A conditional generator with serving signatures that take labels.

    * ``serving_default(z: float32 [N, latent_dim], labels: int32 [N]) -> {"samples"}``
    * ``sample(labels: int32 [N], seed: int64 []) -> {"samples"}`` (z drawn from the seed)

    Image samples are uint8 NHWC; other kinds float32.
    """

    def __init__(self, generator: keras.Model, latent_dim: int, kind: str) -> None:
        super().__init__(name="conditional_generator_export")
        self.generator = generator
        self.latent_dim = latent_dim
        self.kind = kind
        self.serve = signature_function(
            self._serve, tf.TensorSpec([None, latent_dim], tf.float32, "z"), tf.TensorSpec([None], tf.int32, "labels"))
        self.sample = signature_function(
            self._sample, tf.TensorSpec([None], tf.int32, "labels"), tf.TensorSpec([], tf.int64, "seed"))

    def _serve(self, z: tf.Tensor, labels: tf.Tensor) -> dict[str, tf.Tensor]:
        x = self.generator([z, labels], training=False)
        return {"samples": images_to_uint8(x) if self.kind == "image" else tf.cast(x, tf.float32)}

    def _sample(self, labels: tf.Tensor, seed: tf.Tensor) -> dict[str, tf.Tensor]:
        seed_pair = tf.stack([seed, tf.constant(0, tf.int64)])
        z = tf.random.stateless_normal(tf.stack([tf.shape(labels)[0], self.latent_dim]), seed=seed_pair)
        return self._serve(z, labels)

    def signatures(self) -> dict[str, Any]:
        """The concrete functions to save as signatures."""
        return {"serving_default": self.serve.get_concrete_function(), "sample": self.sample.get_concrete_function()}


@MODELS.register("cgan")
class ConditionalGAN(GAN):
    """cGAN: G(z, y) and a projection discriminator D(x, y).

    Extra config fields (``config.model``): ``label_encoding`` ("onehot" |
    "embedding") and ``embedding_dim`` for the generator's label input.
    Subclasses change how D sees labels through ``build_discriminator``,
    ``d_outputs`` and the two ``*_class_terms`` hooks.
    """

    def __init__(self, generator: keras.Model, discriminator: keras.Model, latent_dim: int,
                 num_classes: int = 0, **kwargs: Any) -> None:
        if num_classes < 2:
            raise ConfigError(f"{type(self).__name__} needs a labelled data source (num_classes ≥ 2), "
                              f"got {num_classes}")
        super().__init__(generator, discriminator, latent_dim, **kwargs)
        refuse_stabilizers(self, ("packing", "replay"), "they separate samples from their labels")
        self.num_classes = int(num_classes)
        self._penalty_labels: tf.Tensor | None = None

    # ------------------------------------------------------------------ building
    @classmethod
    def build_networks(cls, model_cfg: Any, source: Any, sync_batchnorm: bool) -> tuple[keras.Model, keras.Model]:
        """A label-conditioned generator around ``model_cfg.generator`` and ``build_discriminator``'s D."""
        num_classes = source_classes(model_cfg, source)
        generator = conditional_generator(
            model_cfg.generator, model_cfg.latent_dim, num_classes, source.shape,
            label_encoding=model_cfg.get("label_encoding", "onehot"),
            embedding_dim=model_cfg.get("embedding_dim", 0), sync_batchnorm=sync_batchnorm,
        )
        base = build_network(DISCRIMINATORS, model_cfg.discriminator, input_shape=source.shape,
                             sync_batchnorm=sync_batchnorm)
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
        return {"generator": ConditionalGeneratorExport(self.inference_generator, self.latent_dim, source.kind)}

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

    # ------------------------------------------------------------------ discriminator calls
    @contextmanager
    def conditioned_on(self, labels: tf.Tensor) -> Iterator[None]:
        """Within the block, ``discriminate(x, salt)`` (used by the base penalties) conditions D on ``labels``."""
        previous, self._penalty_labels = self._penalty_labels, labels
        try:
            yield
        finally:
            self._penalty_labels = previous

    def discriminate(self, x: tf.Tensor, salt: int, training: bool = True, labels: tf.Tensor | None = None
                     ) -> tf.Tensor:
        """D(x, y) logits, input stabilizers applied to x; without ``labels`` it uses those set by
        ``conditioned_on`` (penalty closures)."""
        labels = self._penalty_labels if labels is None else labels
        if labels is None:
            raise ValueError("the projection discriminator needs labels: call discriminate(..., labels=y)")
        return self.discriminator([self.d_input(x, salt), labels], training=training)

    def d_outputs(self, x: tf.Tensor, labels: tf.Tensor, salt: int) -> tuple[tf.Tensor, tf.Tensor | None]:
        """(adversarial logits, class logits or None) of D for a labelled batch."""
        return self.discriminate(x, salt=salt, labels=labels), None

    def d_class_terms(self, labels: tf.Tensor, real_classes: Any, fake_classes: Any) -> dict[str, tf.Tensor]:
        """Loss terms added to D's objective from the class outputs (none for the projection cGAN)."""
        return {}

    def g_class_terms(self, labels: tf.Tensor, fake_classes: Any) -> dict[str, tf.Tensor]:
        """Loss terms added to G's objective from the class outputs (none for the projection cGAN)."""
        return {}

    def d_class_logs(self, labels: tf.Tensor, real_classes: Any) -> dict[str, tf.Tensor]:
        """Extra logged values of the D step (not part of the loss)."""
        return {}

    # ------------------------------------------------------------------ training
    def discriminator_step(self, real: tf.Tensor, salt: int, labels: tf.Tensor | None = None
                           ) -> dict[str, tf.Tensor]:
        """One D update on a labelled real batch and fakes generated for the same labels (real and
        fake draw independent stabilizer randomness, salts + 32 and + 33, as in the base GAN)."""
        fake = self.generator([self.sample_latent(tf.shape(real)[0], salt), labels], training=True)
        with tf.GradientTape() as tape:
            real_out, real_classes = self.d_outputs(real, labels, salt + 32)
            fake_out, fake_classes = self.d_outputs(fake, labels, salt + 33)
            terms = {"d_adv": self.global_mean(self.adversarial.discriminator(real_out, fake_out))}
            terms.update(self.d_class_terms(labels, real_classes, fake_classes))
            with self.conditioned_on(labels):
                terms.update(self.penalty_terms(real, fake, salt))
            total = tf.add_n(list(terms.values()))
        self.apply_update(self.d_optimizer, tape, total, self.discriminator.trainable_variables)
        self.apply_constraints()
        return {
            "d_loss": total,
            **terms,
            **self.d_class_logs(labels, real_classes),
            "d_real": self.global_mean(losses.per_example_mean(real_out)),
            "d_fake": self.global_mean(losses.per_example_mean(fake_out)),
        }

    def generator_step(self, batch_size: tf.Tensor, salt: int) -> dict[str, tf.Tensor]:
        """One G update on uniformly drawn labels against the current D."""
        z = self.sample_latent(batch_size, salt)
        labels = self.sample_labels(batch_size, salt + 1)
        with tf.GradientTape() as tape:
            fake_out, fake_classes = self.d_outputs(self.generator([z, labels], training=True), labels, salt)
            terms = {"g_adv": self.global_mean(self.adversarial.generator(fake_out))}
            terms.update(self.g_class_terms(labels, fake_classes))
            total = tf.add_n(list(terms.values()))
        self.apply_update(self.g_optimizer, tape, total, self.generator.trainable_variables)
        return {"g_loss": total, **terms}

    def train_step(self, data: Mapping[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        """``d_steps`` D updates (one labelled real slice each), then one G update."""
        if "label" not in data:
            raise ConfigError(f"{type(self).__name__} needs batches with 'label'")
        real, labels = data["x"], data["label"]
        logs: dict[str, tf.Tensor] = {}
        pairs = zip(tf.split(real, self.d_steps), tf.split(labels, self.d_steps)) if self.d_steps > 1 else [
            (real, labels)]
        for i, (x, y) in enumerate(pairs):
            logs.update(self.discriminator_step(x, salt=d_salt(i), labels=y))
        logs.update(self.generator_step(tf.shape(real)[0] // self.d_steps, salt=G_SALT))
        return self.update_trackers(logs)


@MODELS.register("acgan")
class ACGAN(ConditionalGAN):
    """ACGAN: G(z, y) and an unconditional D(x) with an auxiliary classifier head (Odena et al. 2017).

    Extra config field: ``aux_weight`` (w, default 1.0) on the auxiliary
    classification terms. Logged: ``d_aux_real``, ``d_aux_fake`` (D's
    cross-entropies), ``g_aux`` (G's), and ``real_accuracy`` (the auxiliary
    classifier's accuracy on the real batch).
    """

    def __init__(self, generator: keras.Model, discriminator: keras.Model, latent_dim: int,
                 aux_weight: float = 1.0, **kwargs: Any) -> None:
        super().__init__(generator, discriminator, latent_dim, **kwargs)
        self.aux_weight = float(aux_weight)

    @classmethod
    def build_discriminator(cls, base: keras.Model, num_classes: int, model_cfg: Any) -> keras.Model:
        """ACGAN: the unconditional ``base`` with a second, K-way classifier head."""
        return auxiliary_classifier_discriminator(base, num_classes)

    @classmethod
    def extra_settings(cls, model_cfg: Any, source: Any) -> dict[str, Any]:
        return {**super().extra_settings(model_cfg, source), "aux_weight": model_cfg.get("aux_weight", 1.0)}

    def tracker_names(self) -> list[str]:
        return [*super().tracker_names(), "d_aux_real", "d_aux_fake", "g_aux", "real_accuracy"]

    def discriminate(self, x: tf.Tensor, salt: int, training: bool = True, labels: tf.Tensor | None = None
                     ) -> tf.Tensor:
        """D's adversarial logits (the classifier head is ignored; labels are not an input)."""
        return self.discriminator(self.d_input(x, salt), training=training)[0]

    def d_outputs(self, x: tf.Tensor, labels: tf.Tensor, salt: int) -> tuple[tf.Tensor, tf.Tensor]:
        adversarial, classes = self.discriminator(self.d_input(x, salt), training=True)
        return adversarial, classes

    def d_class_terms(self, labels: tf.Tensor, real_classes: tf.Tensor, fake_classes: tf.Tensor
                      ) -> dict[str, tf.Tensor]:
        """w·L_C on real and on fake (Odena et al. 2017, eq. 2: D maximises L_S + L_C)."""
        return {
            "d_aux_real": self.aux_weight * self.global_mean(classification_loss(labels, real_classes)),
            "d_aux_fake": self.aux_weight * self.global_mean(classification_loss(labels, fake_classes)),
        }

    def g_class_terms(self, labels: tf.Tensor, fake_classes: tf.Tensor) -> dict[str, tf.Tensor]:
        """w·L_C on fake (eq. 3: G maximises L_C − L_S)."""
        return {"g_aux": self.aux_weight * self.global_mean(classification_loss(labels, fake_classes))}

    def d_class_logs(self, labels: tf.Tensor, real_classes: tf.Tensor) -> dict[str, tf.Tensor]:
        return {"real_accuracy": self.global_mean(correct(labels, real_classes))}

    def classify(self, x: tf.Tensor) -> tf.Tensor:
        """The auxiliary classifier's logits [B, K] (inference mode)."""
        return self.discriminator(x, training=False)[1]
