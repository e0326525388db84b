"""The base ``GAN``: d_steps discriminator updates, then one generator update.

DCGAN, LSGAN, WGAN, WGAN-GP, DRAGAN, SNGAN and R1/R2 GANs are configurations of
this class (networks, ``loss``, ``penalties``); variants whose *algorithm*
differs subclass it and override a named step.

Randomness is stateless and derived from (seed, training step, call site), so
a resumed run repeats an uninterrupted one exactly and nothing but the
optimizers' step counters has to be checkpointed for it. Latent noise is drawn
for the *global* batch and each replica takes its slice, so a multi-replica run
uses the same noise as a single-device run. Every loss term is a per-example
value averaged over the global batch (``tf.nn.compute_average_loss``), which is
what ``apply_gradients`` expects when it sums the replicas' gradients.

Stabilizers (``config.model.stabilizers``, see ``tfgan_apps/stabilizers.py``)
reach every subclass through three hooks: ``d_input`` (DiffAugment, instance
noise, PacGAN packing) inside ``discriminate``; ``replay_fakes`` on D's fake
batch; ``after_generator_update`` (the generator EMA), called by
``apply_update`` after each generator-optimizer step. With the EMA on,
``inference_generator`` (samples, TensorBoard grid, export) is the EMA copy.

Speed: the discriminator update can run D once on ``concat([real, fake])``
instead of twice (``d_pass="joint"``). That is the same computation only when D
treats every example independently and its call has no side effect, so
``d_pass="auto"`` (the default) picks it exactly then: no BatchNorm (whose batch
statistics would mix real and fake, and whose moving averages would be updated
once instead of twice), no layer with non-trainable state (spectral norm's
power iteration advances once per call) and no minibatch-statistics layer. The
stabilizers' draws are unchanged (real and fake still go through ``d_input``
with salts + 32 / + 33). Forcing ``"joint"`` on a BatchNorm D changes the
algorithm (one mixed batch, as some DCGAN ports do); ``"separate"`` always makes
two calls. Only the base ``discriminator_step`` uses it; variants that override
``discriminate`` or ``discriminator_step`` keep their own calls.

``reuse_fakes=True`` is the other saving, and the algorithm of PyTorch's DCGAN
example: the generator update reuses the last discriminator update's fake batch
(same z) and backpropagates through the forward pass of G that made it, instead
of drawing a new z and running G again — one G forward pass less per step. G's
loss still sees the *updated* D. Off by default (the generator update then uses
a fresh z, as in the GAN papers); base-class algorithm only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import keras
import tensorflow as tf

from tfgan_apps import losses
from tfgan_apps.distribute import is_multi_worker, replica_draw, replica_info
from tfgan_apps.errors import ConfigError
from tfgan_apps.nets import build_network
from tfgan_apps.registry import DISCRIMINATORS, GENERATORS, MODELS, PENALTIES
from tfgan_apps.stabilizers import Stabilizers, packed_shape, packing_factor
from tfgan_apps.stabilizers import settings as stabilizer_settings


def scaled_gradients(optimizer: keras.optimizers.Optimizer, tape: tf.GradientTape, loss: tf.Tensor,
                     variables: list[tf.Variable]) -> list[tf.Tensor | None]:
    """Gradients of ``loss`` multiplied by the optimizer's loss scale (1 unless it is a ``LossScaleOptimizer``,
    i.e. under ``mixed_float16``), which ``apply_gradients`` divides out again.

    The scale enters as the output gradient of the backward pass, so this works after the tape has stopped
    recording (multiplying the loss by the scale outside the tape would cut it off from the variables).
    """
    scale = optimizer.scale_loss(tf.ones_like(loss))
    return tape.gradient(loss, variables, output_gradients=tf.cast(scale, loss.dtype))


# Call-site salts of the stateless seeds (``step_seed``): discriminator update i owns
# [D_SALT_STRIDE·i, D_SALT_STRIDE·(i + 1)) (its z, penalties at +1.., real/fake streams at +32/+33),
# the generator update owns the top of the field [G_SALT − 1, 2**SALT_BITS).
SALT_BITS = 16
D_SALT_STRIDE = 128
G_SALT = 2**SALT_BITS - 64
MAX_D_STEPS = (G_SALT - 1) // D_SALT_STRIDE


D_PASSES = ("auto", "joint", "separate")
# Layers whose output for one example depends on the others in the batch (besides BatchNorm).
_BATCH_COUPLING_LAYERS = ("MinibatchStddev",)


def d_salt(i: int) -> int:
    """The salt of discriminator update ``i`` within a training step."""
    return D_SALT_STRIDE * i


def examples_independent(network: keras.Model) -> bool:
    """True when ``network``'s training-mode call treats examples independently and has no side effect.

    False if any layer is a BatchNormalization, a minibatch-statistics layer, or
    holds non-trainable weights (BatchNorm moving averages, spectral norm's u),
    which a training call updates once per call.
    """
    for layer in network._flatten_layers(include_self=False):
        if isinstance(layer, keras.layers.BatchNormalization) or type(layer).__name__ in _BATCH_COUPLING_LAYERS:
            return False
        if getattr(layer, "couples_examples", False) or layer.non_trainable_weights:
            return False
    return True


@MODELS.register("gan")
class GAN(keras.Model):
    """A generator/discriminator pair trained with a named adversarial loss and penalties.

    Args:
      generator: maps z [B, latent_dim] to samples.
      discriminator: maps samples to logits [B, ...].
      latent_dim: size of z ~ N(0, I).
      loss: adversarial loss family (see ``registry.LOSSES``).
      penalties: ``{name: weight}`` of regularizers (see ``registry.PENALTIES``);
        ``weight_clip``'s value is the clip bound c.
      d_steps: discriminator updates per generator update; each uses its own
        slice of the real batch, so the pipeline delivers ``d_steps × batch``.
      seed: seed of the model's random streams.
      stabilizers: the ``config.model.stabilizers`` fields (EMA, DiffAugment,
        instance noise, packing, replay); None / {} = all off.
      d_pass: ``"auto"`` | ``"joint"`` | ``"separate"``: one D call on real+fake
        concatenated or two calls in the discriminator update (module docstring).
      reuse_fakes: the generator update reuses the last D update's fakes and G's
        forward pass for them (module docstring).
    """

    def __init__(
        self,
        generator: keras.Model,
        discriminator: keras.Model,
        latent_dim: int,
        loss: str = "non_saturating",
        penalties: Mapping[str, float] | None = None,
        d_steps: int = 1,
        seed: int = 0,
        stabilizers: Mapping[str, Any] | None = None,
        d_pass: str = "auto",
        reuse_fakes: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if d_pass not in D_PASSES:
            raise ConfigError(f"unknown d_pass {d_pass!r}; valid choices: {', '.join(D_PASSES)}")
        if reuse_fakes and any(getattr(type(self), name) is not getattr(GAN, name)
                               for name in ("train_step", "discriminator_step", "generator_step")):
            raise ConfigError(f"model.reuse_fakes is for the base GAN's algorithm; {type(self).__name__} has its "
                              "own training step: set model.reuse_fakes=False")
        if not 1 <= d_steps <= MAX_D_STEPS:
            raise ConfigError(f"train.d_steps must be in [1, {MAX_D_STEPS}], got {d_steps}")
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = int(latent_dim)
        self.adversarial = losses.get(loss)
        # A weight of 0 switches a penalty off (configs list every penalty so flags can enable any).
        self.penalty_weights = {name: float(w) for name, w in (penalties or {}).items() if w}
        self._penalties = {name: PENALTIES.get(name) for name in self.penalty_weights}
        self.d_steps = int(d_steps)
        self.seed = int(seed)
        self.stabilizers = Stabilizers(stabilizers, generator)
        self.joint_d_pass = d_pass == "joint" or (d_pass == "auto" and examples_independent(discriminator))
        self.reuse_fakes = bool(reuse_fakes)
        self.trackers = {name: keras.metrics.Mean(name=name) for name in self.tracker_names()}
        self.built = True  # the networks are built functional models; nothing to infer from data

    # ------------------------------------------------------------------ building
    @classmethod
    def from_settings(cls, config: Any, source: Any, sync_batchnorm: bool = False) -> GAN:
        """Builds the model and its networks from a run config (``model``, ``train``) and the data source."""
        model_cfg = config.model
        generator, discriminator = cls.build_networks(model_cfg, source, sync_batchnorm)
        # Passed only when some stabilizer is on, so subclasses that do not forward **kwargs still build.
        enabled = stabilizer_settings(model_cfg)
        d_pass = model_cfg.get("d_pass", "auto")
        return cls(
            generator,
            discriminator,
            latent_dim=model_cfg.latent_dim,
            loss=model_cfg.loss,
            penalties=dict(model_cfg.get("penalties", {})),
            d_steps=config.train.d_steps,
            seed=config.train.seed,
            **({"stabilizers": enabled} if enabled else {}),
            **({"d_pass": d_pass} if d_pass != "auto" else {}),
            **({"reuse_fakes": True} if model_cfg.get("reuse_fakes", False) else {}),
            **cls.extra_settings(model_cfg, source),
        )

    @classmethod
    def build_networks(cls, model_cfg: Any, source: Any, sync_batchnorm: bool) -> tuple[keras.Model, keras.Model]:
        """Builds (generator, discriminator) from ``model_cfg.generator`` / ``.discriminator`` specs.

        With PacGAN packing m > 1 the discriminator is built for m samples
        concatenated along the last axis (``stabilizers.packed_shape``).
        """
        generator = build_network(
            GENERATORS, model_cfg.generator, latent_dim=model_cfg.latent_dim,
            output_shape=source.shape, sync_batchnorm=sync_batchnorm,
        )
        d_shape = packed_shape(source.shape, packing_factor(model_cfg))
        discriminator = build_network(
            DISCRIMINATORS, model_cfg.discriminator, input_shape=d_shape, sync_batchnorm=sync_batchnorm
        )
        return generator, discriminator

    @classmethod
    def extra_settings(cls, model_cfg: Any, source: Any) -> dict[str, Any]:
        """Variant-specific constructor arguments read from the config (none for the base GAN)."""
        return {}

    def compile(self, d_optimizer: keras.optimizers.Optimizer, g_optimizer: keras.optimizers.Optimizer,
                **kwargs: Any) -> None:
        """Sets the two optimizers and creates their variables (so checkpoints restore eagerly)."""
        super().compile(**kwargs)
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)

    def _maybe_symbolic_build(self, iterator: Any = None, data_batch: Any = None) -> None:
        """Skips Keras' pre-``fit`` symbolic build: the networks are built in ``__init__`` and the
        optimizers in ``compile``, and under ``MultiWorkerMirroredStrategy`` Keras 3 (≤ 3.15) builds by
        all-reducing the first batch, which fails for dict batches."""

    def call(self, z: tf.Tensor, training: bool = False) -> tf.Tensor:
        """The generator's forward pass."""
        return self.generator(z, training=training)

    def checkpoint_items(self) -> dict[str, Any]:
        """Everything a checkpoint must hold to resume exactly (subclasses add their own).

        Includes the stateful stabilizers when on: ``ema_generator``, ``replay_pool``.
        """
        return {
            "generator": self.generator,
            "discriminator": self.discriminator,
            "g_optimizer": self.g_optimizer,
            "d_optimizer": self.d_optimizer,
            **self.stabilizers.checkpoint_items(),
        }

    def training_callbacks(self, writer: tf.summary.SummaryWriter, source: Any, config: Any) -> list[Any]:
        """Extra Keras callbacks a variant needs during ``fit`` (e.g. validation images); none by default."""
        return []

    def exportables(self, source: Any) -> dict[str, tf.Module]:
        """Modules to export as SavedModels, by name (base GAN: the generator, its EMA copy when on)."""
        from tfgan_apps.export import GeneratorExport

        return {"generator": GeneratorExport(self.inference_generator, self.latent_dim, source.kind)}

    @property
    def inference_generator(self) -> keras.Model:
        """The generator used for samples, the TensorBoard grid and export: the EMA copy when on."""
        ema = self.stabilizers.ema
        return ema.model if ema is not None else self.generator

    @property
    def step(self) -> tf.Variable:
        """Completed training steps (= generator updates)."""
        return self.g_optimizer.iterations

    # ------------------------------------------------------------------ metrics
    def tracker_names(self) -> list[str]:
        """Names of the ``keras.metrics.Mean`` trackers, logged as ``Loss/...``/``D/...`` scalars."""
        penalties = [n for n, p in self._penalties.items() if p.loss is not None]
        return ["d_loss", "d_adv", *penalties, "g_loss", "g_adv", "d_real", "d_fake"]

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        return list(self.trackers.values())

    def update_trackers(self, values: Mapping[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        """Updates trackers with global-batch-scaled values and returns all current means.

        Values are per-replica sums divided by the global batch; multiplying by the
        replica count makes the trackers' cross-replica average the global mean.

        Under multi-worker training the results are returned with shape [1]: Keras 3
        (≤ 3.15) averages ``train_step`` outputs across workers with a reduction along
        axis 0, which fails on scalars; the averaged logs are scalars again.
        """
        _, replicas = replica_info()
        for name, value in values.items():
            if name in self.trackers:
                self.trackers[name].update_state(tf.cast(value, tf.float32) * replicas)
        results = {name: tracker.result() for name, tracker in self.trackers.items()}
        if is_multi_worker(self.distribute_strategy):
            results = {name: tf.reshape(value, [1]) for name, value in results.items()}
        return results

    # ------------------------------------------------------------------ randomness
    def step_seed(self, salt: int) -> tf.Tensor:
        """A stateless seed unique to (model seed, training step, call site ``0 ≤ salt < 2**SALT_BITS``)."""
        if not 0 <= salt < 2**SALT_BITS:
            raise ValueError(f"salt {salt} outside [0, {2**SALT_BITS})")
        step = tf.cast(self.step, tf.int64)
        return tf.stack([tf.constant(self.seed, tf.int64), step * 2**SALT_BITS + salt])

    def replica_seed(self, salt: int) -> tf.Tensor:
        """Like ``step_seed`` but different on every replica (for draws that need not match a
        single-device run, e.g. augmentation; use ``replica_draw`` when they must)."""
        replica_id, _ = replica_info()
        return self.step_seed(salt) + tf.stack([tf.constant(0, tf.int64), tf.cast(replica_id, tf.int64) * 2**52])

    def sample_latent(self, batch_size: tf.Tensor, salt: int) -> tf.Tensor:
        """z ~ N(0, I) for this replica's ``batch_size`` examples, sliced from one global draw."""
        seed = self.step_seed(salt)
        return replica_draw(lambda n: tf.random.stateless_normal([n, self.latent_dim], seed=seed), batch_size)

    def generate(self, n_or_z: int | tf.Tensor, seed: int = 0, training: bool = False) -> tf.Tensor:
        """Samples from ``inference_generator`` (the EMA copy when on): ``n`` samples (seeded) or the
        images of a given latent batch."""
        if isinstance(n_or_z, int):
            z = tf.random.stateless_normal([n_or_z, self.latent_dim], seed=[seed, 0])
        else:
            z = tf.convert_to_tensor(n_or_z, tf.float32)
        return self.inference_generator(z, training=training)

    # ------------------------------------------------------------------ training
    def global_mean(self, per_example: tf.Tensor) -> tf.Tensor:
        """Sum over this replica's examples divided by the global batch size."""
        _, replicas = replica_info()
        per_example = tf.cast(per_example, tf.float32)
        return tf.nn.compute_average_loss(
            per_example, global_batch_size=tf.shape(per_example)[0] * replicas
        )

    def apply_update(self, optimizer: keras.optimizers.Optimizer, tape: tf.GradientTape,
                     loss: tf.Tensor, variables: list[tf.Variable]) -> None:
        """Gradient step on ``variables`` (loss scaling handled by the optimizer for float16).

        After a step of ``g_optimizer`` it calls ``after_generator_update`` (the EMA update).
        """
        optimizer.apply_gradients(zip(scaled_gradients(optimizer, tape, loss, variables), variables))
        if optimizer is getattr(self, "g_optimizer", None):
            self.after_generator_update()

    def after_generator_update(self) -> None:
        """Post-update hook run after every generator-optimizer step: advances the generator EMA when on."""
        if self.stabilizers.ema is not None:
            self.stabilizers.ema.update(self.generator)

    def penalty_terms(self, real: tf.Tensor, fake: tf.Tensor, salt: int) -> dict[str, tf.Tensor]:
        """Weighted loss-type penalties on the discriminator, each averaged over the global batch."""
        terms = {}
        for i, (name, penalty) in enumerate(self._penalties.items()):
            if penalty.loss is None:
                continue

            def d_fn(x: tf.Tensor) -> tf.Tensor:
                # The real batch's stream (salt + 32): R1 sees the same DiffAugment/noise draws as D's
                # adversarial real term, and its gradient is w.r.t. the un-augmented input, through the
                # differentiable augmentation, as in the DiffAugment StyleGAN2 code.
                return self.discriminate(x, salt=salt + 32)

            # A seed shared by the replicas: penalties draw for the global batch and keep their slice.
            value = penalty.loss(d_fn, real, fake, self.step_seed(salt + 1 + i))
            terms[name] = self.penalty_weights[name] * self.global_mean(value)
        return terms

    def apply_constraints(self) -> None:
        """Applies constraint-type penalties (WGAN weight clipping) after a D update."""
        for name, penalty in self._penalties.items():
            if penalty.constraint is not None:
                penalty.constraint(self.discriminator.trainable_variables, self.penalty_weights[name])

    def d_input(self, x: tf.Tensor, salt: int) -> tf.Tensor:
        """D's input for a batch of samples: DiffAugment → instance noise → PacGAN packing (each when on).

        Subclasses that override ``discriminate`` (e.g. joint or conditional
        discriminators) call this on the sample part of D's input.
        """
        if not self.stabilizers.random_input:  # no step/seed needed (works before compile)
            return self.stabilizers.d_input(x, None, None)
        return self.stabilizers.d_input(x, self.step, self.replica_seed(salt))

    def replay_fakes(self, fake: tf.Tensor, salt: int) -> tf.Tensor:
        """D's fake batch with past fakes replayed from the pool (identity when ``replay`` is off)."""
        if self.stabilizers.replay is None:
            return fake
        return self.stabilizers.replay_fakes(fake, self.replica_seed(salt))

    def discriminate(self, x: tf.Tensor, salt: int, training: bool = True) -> tf.Tensor:
        """D's logits for a batch. Every D call in a training step goes through here, so
        input-side stabilizers (augmentation, instance noise, packing; ``d_input``) apply to
        real and fake data alike, in D's and G's steps and inside penalties; ``salt`` picks
        the random stream (equal salts → equal draws)."""
        return self.discriminator(self.d_input(x, salt), training=training)

    def discriminate_real_fake(self, real: tf.Tensor, fake: tf.Tensor, salt: int) -> tuple[tf.Tensor, tf.Tensor]:
        """D's logits for the real batch (stream ``salt + 32``) and the fake batch (``salt + 33``).

        One D call on the concatenated inputs when ``joint_d_pass`` (and ``discriminate``
        is the base one), else two calls; the results are the same whenever ``d_pass="auto"``
        chose the joint call (module docstring).
        """
        if not self.joint_d_pass or type(self).discriminate is not GAN.discriminate:
            return self.discriminate(real, salt=salt + 32), self.discriminate(fake, salt=salt + 33)
        d_real, d_fake = self.d_input(real, salt + 32), self.d_input(fake, salt + 33)
        out = self.discriminator(tf.concat([d_real, tf.cast(d_fake, d_real.dtype)], 0), training=True)
        n = tf.shape(d_real)[0]
        return out[:n], out[n:]

    def discriminator_step(self, real: tf.Tensor, salt: int, fake: tf.Tensor | None = None) -> dict[str, tf.Tensor]:
        """One discriminator update on a real batch and a fresh fake batch (real and fake draw
        independent stabilizer randomness: salts + 32 and + 33); ``fake``: G's output made by the
        caller (``reuse_fakes``), else G runs here."""
        if fake is None:
            fake = self.generator(self.sample_latent(tf.shape(real)[0], salt), training=True)
        fake = self.replay_fakes(fake, salt)
        with tf.GradientTape() as tape:
            real_out, fake_out = self.discriminate_real_fake(real, fake, salt)
            terms = {"d_adv": self.global_mean(self.adversarial.discriminator(real_out, fake_out))}
            terms.update(self.penalty_terms(real, fake, salt))
            total = tf.add_n(list(terms.values()))
        self.apply_update(self.d_optimizer, tape, total, self.discriminator.trainable_variables)
        self.apply_constraints()
        return {
            "d_loss": total,
            **terms,
            "d_real": self.global_mean(losses.per_example_mean(real_out)),
            "d_fake": self.global_mean(losses.per_example_mean(fake_out)),
        }

    def generator_step(self, batch_size: tf.Tensor, salt: int,
                       reused: tuple[tf.Tensor, tf.GradientTape] | None = None) -> dict[str, tf.Tensor]:
        """One generator update against the current discriminator.

        ``reused``: (fakes, the tape that recorded G's forward pass for them) from the D update
        (``reuse_fakes``); the tape records on, so G's gradient flows back through that pass.
        """
        if reused is None:
            tape = tf.GradientTape()
            with tape:
                fake = self.generator(self.sample_latent(batch_size, salt), training=True)
        else:
            fake, tape = reused
        with tape:
            fake_out = self.discriminate(fake, salt=salt)
            g_adv = self.global_mean(self.adversarial.generator(fake_out))
        self.apply_update(self.g_optimizer, tape, g_adv, self.generator.trainable_variables)
        return {"g_loss": g_adv, "g_adv": g_adv}

    def train_step(self, data: Mapping[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        """``d_steps`` discriminator updates (one real slice each), then one generator update."""
        real = data["x"]
        logs: dict[str, tf.Tensor] = {}
        chunks = tf.split(real, self.d_steps) if self.d_steps > 1 else [real]
        reused = None
        for i, chunk in enumerate(chunks):
            if self.reuse_fakes and i == len(chunks) - 1:  # record G's pass for the generator update
                tape = tf.GradientTape()
                with tape:
                    fake = self.generator(self.sample_latent(tf.shape(chunk)[0], d_salt(i)), training=True)
                reused = (fake, tape)
                logs.update(self.discriminator_step(chunk, salt=d_salt(i), fake=fake))
            else:  # (subclasses' discriminator_step / generator_step take no fake / reused)
                logs.update(self.discriminator_step(chunk, salt=d_salt(i)))
        batch_size = tf.shape(real)[0] // self.d_steps
        logs.update(self.generator_step(batch_size, salt=G_SALT, **({"reused": reused} if reused else {})))
        return self.update_trackers(logs)
