"""The base ``GAN`` and the one training step every adversarial model of the project runs.

DCGAN, LSGAN, WGAN, WGAN-GP, DRAGAN, SNGAN and R1/R2 GANs are configurations of
this class (networks, ``loss``, ``penalties``). A variant whose algorithm differs
(InfoGAN, BEGAN, BiGAN, pix2pix, ...) is a subclass that overrides a few named
hooks; it never copies the update. ``train_step`` is the template:

1. ``prepare_batch``: the batch as a dict (a tensor or an ``(x, y)`` tuple becomes
   ``{"x": ..., "label": ...}``), plus what the variant adds once per step (pix2pix's
   degraded input). Every key is then split into ``d_steps`` slices in one place.
2. ``EXTRA_UPDATES`` (data, not code): updates that run before the adversarial ones,
   e.g. the adversarial autoencoder's reconstruction update of E and G.
3. ``d_steps`` discriminator updates, each on its own slice (skipped while
   ``adversarial_active`` is False, e.g. during pix2pix's L1 pretraining).
4. One generator update on the last slice.

An update is a loss computed under a tape by hooks, then one optimizer step on a
*group* of networks (``G_NETWORKS`` / ``D_NETWORKS``: G and E together for BiGAN,
both generators of an unpaired translator). The hooks, all with defaults:

``generator_inputs(ctx)``        what G is fed: ``{"z": z}``; z + codes; z + labels; the degraded image
``run_generator(inputs)``        G's output for those inputs
``real_samples(ctx)``            the "real" side of D: the batch's ``x`` (prior draws for the AAE)
``discriminator_inputs(s, ctx, real)``  what D sees: ``x``; ``(x, label)``; ``(x, E(x))``; ``(input, x)``
``discriminate(inputs, salt)``   D's raw outputs; input-side stabilizers act on the sample part here
``adversarial_logits(outputs)``  the outputs the adversarial loss reads (a head, a logsumexp, an energy)
``d_adversarial_term(ctx)`` / ``g_adversarial_term(ctx)``  the loss family on those logits (BEGAN, EBGAN,
                                  BiGAN's swapped labels and SGAN's feature matching override them)
``penalty_view(ctx)``            (real, fake, d_fn) the penalties differentiate (BiGAN: packed pairs)
``extra_d_terms(ctx)`` / ``extra_g_terms(ctx)``  the variant's own loss terms (MI, class terms, L1, ...)
``generator_term_weights(ctx, tape)``  per-term weights of G's total (pix2pix's adaptive weight)
``after_d_update(ctx)``          state updates after a D step (BEGAN's k_t); returns global logged values
``in_stage(compute, variables)`` runs an update's computation (PGGAN: once per stage in a ``tf.switch_case``)

``ctx`` (:class:`Update`) carries the update's batch slice, its random streams and
what the template computed so far (``g_inputs``, ``fake``, ``real``, ``real_out``,
``fake_out``, ``real_logits``, ``fake_logits``); ``ctx.stats`` collects logged values
that are not loss terms (per-replica partials like the terms; the template sums both over
replicas; a stat named like a logged total, e.g. ``g_loss``, replaces it in the logs).

Randomness is stateless and derived from (seed, training step, update, named
stream: :class:`Streams`), so a resumed run repeats an uninterrupted one exactly.
Latent noise is drawn for the *global* batch and each replica takes its slice, so
a multi-replica run uses the same noise as a single-device run. Every loss term is
a per-example value averaged over the global batch (``global_mean``), which is what
``apply_gradients`` expects when it sums the replicas' gradients; logged values are
made global (summed over replicas) once, by the template, so trackers hold global
means and no variant deals with the replica count.

Stabilizers (``config.model.stabilizers``, ``tfgan_apps/stabilizers.py``): each class
declares ``SUPPORTED_STABILIZERS``; others are refused when the model is built, in
one message format (``check_stabilizers``). Input-side ones (DiffAugment, instance
noise, packing) act in ``d_input`` on every D input, real and fake, in both
networks' updates and inside penalties; the real batch draws on stream ``REAL``,
the fake batch on ``FAKE`` (so their draws differ), penalties reuse ``REAL`` (R1 then
sees the same augmentation as D's real term, as in the DiffAugment code). ``replay``
mixes past fakes into D's fake batch; the EMA advances after every generator update.
The Improved-Techniques ones (Salimans et al. 2016) act in named places: minibatch
discrimination (§3.2) and virtual batch norm (§3.5) in ``build_networks`` (the layer before
D's last one; ``norm="batch"`` → ``"virtual_batch"``), VBN's reference batches in
``run_generator`` / ``discriminate`` (``with_reference``); feature matching (§3.1) as G's
``g_fm`` term on ``discriminator_features``; historical averaging (§3.3) as the ``g_hist`` /
``d_hist`` terms of ``run_update``, whose averages advance after each optimizer step; label
smoothing (§3.4) and noisy / flipped labels (ganhacks, stream ``LABEL_NOISE``) as D's targets in
``d_adversarial_term`` (the loss family's ``targeted`` form; other families are refused).

Speed: the discriminator update runs D once on ``concat([real, fake])`` instead of
twice (``d_pass="joint"``) when D treats examples independently and has no side
effect (``d_pass="auto"``: no BatchNorm, no spectral norm power iteration, no
minibatch statistics); the draws are unchanged. ``reuse_fakes=True`` (PyTorch's DCGAN
example) lets the generator update reuse the last D update's fakes and the tape
that recorded G's forward pass for them — one G pass less per step; pix2pix always
does this (one G pass per step, as its reference code).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import keras
import tensorflow as tf

from tfgan_apps import losses
from tfgan_apps.distribute import cross_replica_sum, global_batch_mean, is_multi_worker, replica_draw, replica_info
from tfgan_apps.errors import ConfigError
from tfgan_apps.nets import build_network
from tfgan_apps.nets.minibatch_discrimination import has_features_output, with_features
from tfgan_apps.nets.virtual_batchnorm import vbn_layers
from tfgan_apps.registry import DISCRIMINATORS, GENERATORS, MODELS, PENALTIES
from tfgan_apps.stabilizers import (
    STABILIZER_NAMES,
    TARGET_STABILIZERS,
    MinibatchDiscriminationSpec,
    Stabilizers,
    VirtualBatchReference,
    packed_shape,
    packing_factor,
)
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


# Salts of the stateless seeds (``step_seed``): discriminator update i owns [D_SALT_STRIDE·i, D_SALT_STRIDE·(i+1)),
# the generator update [G_SALT, G_SALT + SALT_BLOCK), per-step draws [STEP_SALT, G_SALT) and extra updates the blocks
# below that. Every named stream offset (``Streams``) is < SALT_BLOCK. (D updates keep a 128-wide stride and the
# generator its salt of the first layout, so the base GAN draws exactly what it drew before the template.)
SALT_BITS = 16
SALT_BLOCK = 64
D_SALT_STRIDE = 128
G_SALT = 2**SALT_BITS - SALT_BLOCK
STEP_SALT = G_SALT - SALT_BLOCK  # per-step draws (``prepare_batch``)
MAX_EXTRA_UPDATES = 4


def extra_salt(i: int) -> int:
    """The salt of extra update ``i`` (the blocks below STEP_SALT)."""
    return STEP_SALT - SALT_BLOCK * (i + 1)


MAX_D_STEPS = extra_salt(MAX_EXTRA_UPDATES - 1) // D_SALT_STRIDE


class Streams:
    """Named random streams: offsets added to an update's salt (``Update.seed(stream)``).

    Equal draws happen only where the algorithm wants them: the penalties reuse the
    real batch's stream (R1 sees the augmentation D's real term saw). In the
    generator update the fakes' D inputs draw on ``GENERATOR``, which shares the seed
    of ``LATENT`` but not its draws (every stabilizer folds its own tag into the seed).
    """

    LATENT = 0  # z, and what G is fed with it (InfoGAN's codes fold this seed)
    GENERATOR = 0  # D-input draws of G's fakes in the generator update (stabilizers fold their own tags)
    REPLAY = 0  # the replay pool's choice of past fakes (folds its own tag)
    PENALTY = 1  # penalty i draws on PENALTY + i
    MAX_PENALTIES = 15
    LABELS = 16  # labels drawn for the generator update (conditional models)
    PRIOR = 17  # prior draws (adversarial autoencoder)
    DEGRADE = 18  # on-the-fly degradation of a restoration batch (once per step, on STEP_SALT)
    LABEL_NOISE = 19  # D's noisy / flipped targets (``stabilizers.label_noise``) in a discriminator update
    VIRTUAL_BATCH = 20  # G's VBN reference latents: with ``GAN.fixed_seed``, the same at every step
    REAL = 32  # D-input draws of the real batch (DiffAugment, instance noise); penalties reuse it
    FAKE = 33  # D-input draws of the fake batch in the discriminator update


def d_salt(i: int) -> int:
    """The salt of discriminator update ``i`` within a training step."""
    return D_SALT_STRIDE * i


D_PASSES = ("auto", "joint", "separate")
# Layers whose output for one example depends on the others in the batch (besides BatchNorm).
_BATCH_COUPLING_LAYERS = ("MinibatchStddev",)


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


def as_batch(data: Any) -> dict[str, tf.Tensor]:
    """A batch as the dict the template reads: a dict as it is; a tensor → ``{"x"}``; ``(x, y)`` → ``{"x", "label"}``.

    Keras passes ``(x,)`` for a dataset of plain tensors and ``(x, y)`` / ``(x, y, w)`` for tuples.
    """
    if isinstance(data, Mapping):
        if "x" not in data:
            raise ConfigError(f"a batch dict needs an 'x' key (the images / samples); got keys {sorted(data)}")
        return dict(data)
    if isinstance(data, (tuple, list)):
        if not data:
            raise ConfigError("empty batch")
        if len(data) == 1:
            return as_batch(data[0])
        batch = as_batch(data[0])
        if data[1] is not None:
            batch["label"] = tf.cast(tf.reshape(data[1], [-1]), tf.int32)
        return batch
    return {"x": data}


def split_batch(batch: Mapping[str, tf.Tensor], parts: int) -> list[dict[str, tf.Tensor]]:
    """Splits *every* key of ``batch`` into ``parts`` equal slices along the batch axis."""
    if parts == 1:
        return [dict(batch)]
    pieces = {key: tf.split(value, parts) for key, value in batch.items()}
    return [{key: pieces[key][i] for key in batch} for i in range(parts)]


@dataclasses.dataclass
class ExtraUpdate:
    """An update the template runs before the adversarial ones, every step (data of the model class).

    ``loss`` names a method ``(ctx) -> dict of loss terms`` (summed), ``networks`` the attributes whose
    trainable variables it updates, ``optimizer`` the attribute ``compile`` creates for it (a copy of
    the generator optimizer's settings).
    """

    name: str
    loss: str
    networks: tuple[str, ...]
    optimizer: str


@dataclasses.dataclass
class Update:
    """One update inside a training step, handed to every hook: its batch slice, streams and results so far."""

    model: GAN
    batch: dict[str, tf.Tensor]
    salt: int
    discriminator: bool  # True in a discriminator update, False in the generator / an extra update
    g_inputs: dict[str, tf.Tensor] = dataclasses.field(default_factory=dict)
    fake: Any = None
    fresh_fake: Any = None  # the fake batch before past fakes were replayed into it
    real: Any = None
    real_in: Any = None
    fake_in: Any = None
    real_out: Any = None
    fake_out: Any = None
    real_logits: Any = None
    fake_logits: Any = None
    stats: dict[str, tf.Tensor] = dataclasses.field(default_factory=dict)

    def stream(self, stream: int) -> int:
        """The absolute salt of a named stream of this update."""
        return self.salt + stream

    def seed(self, stream: int) -> tf.Tensor:
        """A seed shared by the replicas (draw for the global batch, keep the replica's slice)."""
        return self.model.step_seed(self.salt + stream)

    def replica_seed(self, stream: int) -> tf.Tensor:
        """A seed that differs per replica (augmentation-like draws)."""
        return self.model.replica_seed(self.salt + stream)

    @property
    def batch_size(self) -> tf.Tensor:
        """This replica's number of examples in the slice."""
        return tf.shape(self.batch["x"])[0]


def vbn_spec(spec: Any, settings: Mapping[str, Any]) -> Any:
    """A network spec with ``norm="batch"`` replaced by ``"virtual_batch"`` when ``stabilizers.virtual_batch`` is
    on (a copy; the config is never mutated); the spec itself otherwise."""
    if not settings.get("virtual_batch") or not hasattr(spec, "get") or spec.get("norm") != "batch":
        return spec
    copy = dict(spec.to_dict() if hasattr(spec, "to_dict") else spec)
    copy["norm"] = "virtual_batch"
    return copy


def set_reference_size(networks: tuple[keras.Model, ...], size: int) -> tuple[keras.Model, ...]:
    """Sets N on the VBN layers of ``networks``; returns those that have VBN layers.

    A VBN network needs the model to prepend its reference batch, so VBN layers without
    ``stabilizers.virtual_batch`` and the stabilizer without any VBN layer are ConfigErrors.
    """
    with_vbn = tuple(net for net in networks if vbn_layers(net))
    if with_vbn and not size:
        raise ConfigError(f"{with_vbn[0].name!r} has norm='virtual_batch' layers: set "
                          "config.model.stabilizers.virtual_batch to the reference batch size N (e.g. 64)")
    if size and not with_vbn:
        raise ConfigError("stabilizers.virtual_batch is on but no network has virtual batch normalisation: use "
                          "networks with norm='batch' (replaced) or norm='virtual_batch'")
    for net in with_vbn:
        for layer in vbn_layers(net):
            layer.reference_size = size
    return with_vbn


def model_name(cls: type) -> str:
    """The registry name of a model class (its class name when unregistered)."""
    for name in MODELS.names():
        if MODELS.get(name) is cls:
            return name
    return cls.__name__


@keras.saving.register_keras_serializable(package="tfgan_apps")
@MODELS.register("gan")
class GAN(keras.Model):
    """A generator/discriminator pair trained with a named adversarial loss and penalties.

    Used from Python the keras-io way::

        gan = GAN(generator=g, discriminator=d, latent_dim=128, loss="hinge", penalties={"r1": 10.0})
        gan.compile(d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5), g_optimizer=keras.optimizers.Adam(...))
        gan.fit(images)   # a dataset of image tensors, (x, y) tuples or {"x": ...} dicts

    Args:
      generator: maps z [B, latent_dim] to samples (may be unbuilt: built on the first batch).
      discriminator: maps samples to logits [B, ...] (may be unbuilt).
      latent_dim: size of z ~ N(0, I).
      loss: adversarial loss family: a name (``registry.LOSSES``) or a ``losses.AdversarialLoss``.
      penalties: ``{name: weight}`` of regularizers (see ``registry.PENALTIES``);
        ``weight_clip``'s value is the clip bound c.
      d_steps: discriminator updates per generator update; each uses its own
        slice of the batch, so the pipeline delivers ``d_steps × batch``.
      seed: seed of the model's random streams.
      stabilizers: the ``config.model.stabilizers`` fields (EMA, DiffAugment,
        instance noise, packing, replay); None / {} = all off.
      d_pass: ``"auto"`` | ``"joint"`` | ``"separate"``: one D call on real+fake
        concatenated or two calls in the discriminator update (module docstring).
      reuse_fakes: the generator update reuses the last D update's fakes and G's
        forward pass for them (module docstring).
    """

    G_NETWORKS: ClassVar[tuple[str, ...]] = ("generator",)
    D_NETWORKS: ClassVar[tuple[str, ...]] = ("discriminator",)
    EXTRA_UPDATES: ClassVar[tuple[ExtraUpdate, ...]] = ()
    SUPPORTED_STABILIZERS: ClassVar[tuple[str, ...]] = STABILIZER_NAMES
    # Why a stabilizer is refused, by name (shown in the ConfigError).
    STABILIZER_REASONS: ClassVar[dict[str, str]] = {}
    # The stream of D's real outputs in the generator update (relativistic losses, feature matching).
    G_REAL_STREAM: ClassVar[int] = Streams.REAL
    SUPPORTS_REUSE_FAKES: ClassVar[bool] = True

    def __init__(
        self,
        generator: keras.Model,
        discriminator: keras.Model,
        latent_dim: int,
        loss: str | losses.AdversarialLoss = "non_saturating",
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
        if reuse_fakes and not self.SUPPORTS_REUSE_FAKES:
            raise ConfigError(f"model.reuse_fakes is not supported by {model_name(type(self))}: set "
                              "model.reuse_fakes=False")
        if not 1 <= d_steps <= MAX_D_STEPS:
            raise ConfigError(f"train.d_steps must be in [1, {MAX_D_STEPS}], got {d_steps}")
        self.check_stabilizers(stabilizers or {})
        self.adversarial = losses.get(loss)
        self.check_stabilizer_settings(stabilizers or {}, self.adversarial, d_pass)
        settings = dict(stabilizers or {})
        if settings.get("feature_matching") and type(self).discriminator_features is GAN.discriminator_features:
            discriminator = with_features(discriminator)  # [D's outputs, the features its final layer reads]
        self.d_features_output = has_features_output(discriminator)
        self.vbn_size = int(settings.get("virtual_batch", 0) or 0)
        self.vbn_networks = set_reference_size((generator, discriminator), self.vbn_size)
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = int(latent_dim)
        self.loss_spec = loss if isinstance(loss, str) else self.adversarial.name
        # A weight of 0 switches a penalty off (configs list every penalty so flags can enable any).
        self.penalty_weights = {name: float(w) for name, w in (penalties or {}).items() if w}
        self._penalties = {name: PENALTIES.get(name) for name in self.penalty_weights}
        if len(self._penalties) > Streams.MAX_PENALTIES:
            raise ConfigError(f"at most {Streams.MAX_PENALTIES} penalties, got {len(self._penalties)}")
        self.d_steps = int(d_steps)
        self.seed = int(seed)
        self.stabilizer_settings = dict(stabilizers or {})
        self.d_pass = d_pass
        self.reuse_fakes = bool(reuse_fakes)
        self.adversarial_active = True
        self.trackers = {name: keras.metrics.Mean(name=name) for name in self.tracker_names()}
        self.stabilizers: Stabilizers | None = None
        if generator.built and discriminator.built:
            self._finish_build()

    def _finish_build(self) -> None:
        """What needs built networks: the stabilizers (EMA clone, replay pool shape) and the D-pass choice."""
        self.stabilizers = Stabilizers(self.stabilizer_settings, self.generator)
        if self.stabilizers.ema is not None:
            self.ema_generator = self.stabilizers.ema.model  # tracked, so .keras files keep it
        self.joint_d_pass = self.d_pass == "joint" or (
            self.d_pass == "auto" and examples_independent(self.discriminator))
        self.built = True

    @staticmethod
    def check_stabilizer_settings(settings: Mapping[str, Any], adversarial: losses.AdversarialLoss,
                                  d_pass: str) -> None:
        """Refuses stabilizer settings that cannot work with this loss family or D pass (one line each)."""
        enabled = stabilizer_settings({"stabilizers": dict(settings)}, enabled_only=True)
        for name in enabled:
            if name in TARGET_STABILIZERS and adversarial.targeted is None:
                raise ConfigError(
                    f"stabilizer {name!r} changes D's real/fake targets, which loss {adversarial.name!r} does not "
                    "have: set model.loss to non_saturating, minimax or least_squares, or switch it off")
            if name in ("minibatch_discrimination", "virtual_batch") and d_pass == "joint":
                raise ConfigError(f"stabilizer {name!r} needs separate real and fake D passes: set "
                                  "model.d_pass='auto' or 'separate'")

    @classmethod
    def check_stabilizers(cls, settings: Mapping[str, Any]) -> None:
        """Refuses, in one message format, a stabilizer this model class does not support."""
        enabled = stabilizer_settings({"stabilizers": dict(settings)}, enabled_only=True)
        for name in enabled:
            if name not in cls.SUPPORTED_STABILIZERS:
                reason = cls.STABILIZER_REASONS.get(name, "its algorithm has no place for it")
                valid = ", ".join(sorted(cls.SUPPORTED_STABILIZERS)) or "none"
                raise ConfigError(f"{model_name(cls)} does not support stabilizer {name!r}: {reason}; "
                                  f"valid for {model_name(cls)}: {valid}")

    # ------------------------------------------------------------------ building
    @classmethod
    def from_settings(cls, config: Any, source: Any, sync_batchnorm: bool = False) -> GAN:
        """Builds the model and its networks from a run config (``model``, ``train``) and the data source."""
        model_cfg = config.model
        cls.check_stabilizers(stabilizer_settings(model_cfg))
        generator, discriminator = cls.build_networks(model_cfg, source, sync_batchnorm)
        return cls(
            generator,
            discriminator,
            latent_dim=model_cfg.latent_dim,
            loss=model_cfg.loss,
            penalties=dict(model_cfg.get("penalties", {})),
            d_steps=config.train.d_steps,
            seed=config.train.seed,
            stabilizers=stabilizer_settings(model_cfg),
            d_pass=model_cfg.get("d_pass", "auto"),
            reuse_fakes=bool(model_cfg.get("reuse_fakes", False)),
            **cls.extra_settings(model_cfg, source),
        )

    @classmethod
    def build_networks(cls, model_cfg: Any, source: Any, sync_batchnorm: bool) -> tuple[keras.Model, keras.Model]:
        """Builds (generator, discriminator) from ``model_cfg.generator`` / ``.discriminator`` specs.

        With PacGAN packing m > 1 the discriminator is built for m samples
        concatenated along the last axis (``stabilizers.packed_shape``); with minibatch
        discrimination D's final layer also reads the minibatch features; with virtual batch
        normalisation a spec's ``norm="batch"`` becomes ``"virtual_batch"`` (``vbn_spec``).
        """
        settings = stabilizer_settings(model_cfg)
        generator = build_network(
            GENERATORS, vbn_spec(model_cfg.generator, settings), latent_dim=model_cfg.latent_dim,
            output_shape=source.shape, sync_batchnorm=sync_batchnorm,
        )
        d_shape = packed_shape(source.shape, packing_factor(model_cfg))
        discriminator = build_network(
            DISCRIMINATORS, vbn_spec(model_cfg.discriminator, settings), input_shape=d_shape,
            sync_batchnorm=sync_batchnorm,
        )
        if settings.get("minibatch_discrimination"):
            discriminator = MinibatchDiscriminationSpec.from_config(settings).apply(discriminator)
        return generator, discriminator

    @classmethod
    def extra_settings(cls, model_cfg: Any, source: Any) -> dict[str, Any]:
        """Variant-specific constructor arguments read from the config (none for the base GAN)."""
        return {}

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments for ``.keras`` files (networks serialized; variants add theirs)."""
        return {
            "generator": keras.saving.serialize_keras_object(self.generator),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
            "latent_dim": self.latent_dim,
            "loss": self.loss_spec,
            "penalties": dict(self.penalty_weights),
            "d_steps": self.d_steps,
            "seed": self.seed,
            "stabilizers": dict(self.stabilizer_settings),
            "d_pass": self.d_pass,
            "reuse_fakes": self.reuse_fakes,
            "name": self.name,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> GAN:
        """Rebuilds a model saved with ``model.save("x.keras")`` (networks deserialized)."""
        config = dict(config)
        for key in ("generator", "discriminator", *cls.SERIALIZED_NETWORKS):
            if isinstance(config.get(key), dict):
                config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)

    # Extra network constructor arguments that ``get_config`` serializes (e.g. BiGAN's encoder).
    SERIALIZED_NETWORKS: ClassVar[tuple[str, ...]] = ()

    def get_compile_config(self) -> None:
        """Optimizers are not part of ``.keras`` files: compile again after loading to keep training."""
        return None

    def compile(self, d_optimizer: keras.optimizers.Optimizer, g_optimizer: keras.optimizers.Optimizer,
                **kwargs: Any) -> None:
        """Sets the optimizers of the two network groups (and copies of G's for ``EXTRA_UPDATES``) and
        creates their variables when the networks are built (so checkpoints restore eagerly)."""
        super().compile(**kwargs)
        from tfgan_apps.schedules import copy_optimizer

        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        for update in self.EXTRA_UPDATES:
            setattr(self, update.optimizer, copy_optimizer(g_optimizer))
        if self.built:
            self._build_optimizers()

    def _build_optimizers(self) -> None:
        self.d_optimizer.build(self.group_variables(self.D_NETWORKS))
        self.g_optimizer.build(self.group_variables(self.G_NETWORKS))
        for update in self.EXTRA_UPDATES:
            getattr(self, update.optimizer).build(self.group_variables(update.networks))
        self.build_stabilizer_state()

    def build_stabilizer_state(self) -> None:
        """Creates, once, the stabilizer state that needs every network of the groups: the historical averages
        of G's and D's groups and D's VBN reference batch (all checkpointed via ``checkpoint_items``)."""
        s = self.stabilizers
        if s.historical_averaging is not None and not s.historical_averages:
            s.historical_averages = {
                "g": s.historical_averaging.track(self.group_variables(self.G_NETWORKS), "historical_average_g"),
                "d": s.historical_averaging.track(self.group_variables(self.D_NETWORKS), "historical_average_d"),
            }
        d_vbn = any(net is self.discriminator for net in self.vbn_networks)
        if s.virtual_batch is not None and s.d_reference is None and d_vbn:
            shape = tuple(int(d) for d in self.generator.output_shape[1:])
            s.d_reference = VirtualBatchReference(s.virtual_batch.size, shape)

    def group_variables(self, names: tuple[str, ...]) -> list[tf.Variable]:
        """The trainable variables of a group of networks (attributes ``names``), each once."""
        seen, variables = set(), []
        for name in names:
            for v in getattr(self, name).trainable_variables:
                if id(v) not in seen:
                    seen.add(id(v))
                    variables.append(v)
        return variables

    def _maybe_symbolic_build(self, iterator: Any = None, data_batch: Any = None) -> None:
        """Skips Keras' pre-``fit`` symbolic build: networks are built in ``__init__`` or by ``fit`` from the first
        batch, and under MultiWorkerMirroredStrategy Keras 3 (≤ 3.15) builds by all-reducing the first batch,
        which fails for dict batches."""

    def fit(self, x: Any = None, *args: Any, **kwargs: Any) -> Any:
        """``keras.Model.fit``; unbuilt networks are first built from the shapes of the first batch of ``x``."""
        if not self.built:
            if isinstance(x, tf.data.Dataset):
                first = next(iter(x.take(1)))
            elif x is None:
                raise ConfigError("fit needs data: a dataset of images, (x, y) tuples or {'x': ...} dicts")
            else:
                first = tf.nest.map_structure(lambda t: t[:1], x)
            self.build_from_batch(as_batch(first)["x"])
        return super().fit(x, *args, **kwargs)

    def build_from_batch(self, x: Any) -> None:
        """Builds unbuilt networks for samples shaped like ``x`` [B, ...] and the optimizers' variables."""
        sample_shape = tuple(int(d) for d in x.shape[1:])
        with self.distribute_strategy.scope():
            if not self.generator.built:
                self.generator.build((None, self.latent_dim))
            if not self.discriminator.built:
                m = packing_factor({"stabilizers": self.stabilizer_settings})
                self.discriminator.build((None, *packed_shape(sample_shape, m)))
            self._finish_build()
            if getattr(self, "g_optimizer", None) is not None:
                self._build_optimizers()

    def call(self, z: tf.Tensor, training: bool = False) -> tf.Tensor:
        """The generator's forward pass."""
        return self.generator(z, training=training)

    def checkpoint_items(self) -> dict[str, Any]:
        """Everything a checkpoint must hold to resume exactly: the networks of both groups, every
        optimizer, the stateful stabilizers (``ema_generator``, ``replay_pool``) and ``extra_state()``."""
        items: dict[str, Any] = {}
        for name in (*self.G_NETWORKS, *self.D_NETWORKS, *(n for u in self.EXTRA_UPDATES for n in u.networks)):
            items[name] = getattr(self, name)
        items.update({"g_optimizer": self.g_optimizer, "d_optimizer": self.d_optimizer})
        for update in self.EXTRA_UPDATES:
            items[update.optimizer] = getattr(self, update.optimizer)
        items.update(self.stabilizers.checkpoint_items())
        items.update(self.extra_state())
        return items

    def extra_state(self) -> dict[str, Any]:
        """Variant state to checkpoint besides networks and optimizers (BEGAN's k_t); none by default."""
        return {}

    def training_callbacks(self, writer: tf.summary.SummaryWriter, source: Any, config: Any) -> list[Any]:
        """Extra Keras callbacks a variant needs during ``fit`` (e.g. validation images); none by default."""
        return []

    def exportables(self, source: Any) -> dict[str, tf.Module]:
        """Modules to export as SavedModels, by name (base GAN: the generator, its EMA copy when on)."""
        from tfgan_apps.export import SamplerExport

        return {"generator": SamplerExport.unconditional(self.inference_generator, self.latent_dim, source.kind)}

    @property
    def inference_generator(self) -> keras.Model:
        """The generator used for samples, the TensorBoard grid and export: the EMA copy when on."""
        ema = self.stabilizers.ema if self.stabilizers is not None else None
        return ema.model if ema is not None else self.generator

    @property
    def step(self) -> tf.Variable:
        """Completed training steps (= generator updates)."""
        return self.g_optimizer.iterations

    # ------------------------------------------------------------------ metrics
    def tracker_names(self) -> list[str]:
        """Names of the ``keras.metrics.Mean`` trackers, logged as ``Loss/...``/``D/...`` scalars."""
        penalties = [n for n, p in self._penalties.items() if p.loss is not None]
        names = ["d_loss", "d_adv", *penalties, "g_loss", "g_adv", "d_real", "d_fake"]
        if self.stabilizer_settings.get("feature_matching"):
            names.append("g_fm")
        if self.stabilizer_settings.get("historical_averaging"):
            names += ["d_hist", "g_hist"]
        return names

    @property
    def metrics(self) -> list[keras.metrics.Metric]:
        return list(self.trackers.values())

    def update_trackers(self, values: Mapping[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        """Updates trackers with *global* values (every replica holds the same) and returns all current means.

        Under multi-worker training the results are returned with shape [1]: Keras 3
        (≤ 3.15) averages ``train_step`` outputs across workers with a reduction along
        axis 0, which fails on scalars; the averaged logs are scalars again.
        """
        for name, value in values.items():
            if name in self.trackers:
                self.trackers[name].update_state(tf.cast(value, tf.float32))
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

    def fixed_seed(self, stream: int) -> tf.Tensor:
        """A stateless seed of (model seed, named stream) that does not depend on the step, for draws made once
        (VBN's reference latents). Its second component is negative, so it never equals a ``step_seed``."""
        return tf.constant([self.seed, -1 - stream], tf.int64)

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

    # ------------------------------------------------------------------ loss helpers
    def global_mean(self, per_example: tf.Tensor) -> tf.Tensor:
        """Sum over this replica's examples divided by the global batch size (a partial of the global mean)."""
        _, replicas = replica_info()
        per_example = tf.cast(per_example, tf.float32)
        return tf.nn.compute_average_loss(per_example, global_batch_size=tf.shape(per_example)[0] * replicas)

    def global_value(self, per_example: tf.Tensor) -> tf.Tensor:
        """The mean over the global batch, the same on every replica (for logged values that are not losses)."""
        return cross_replica_sum(self.global_mean(per_example))

    # ------------------------------------------------------------------ hooks (override in variants)
    def prepare_batch(self, batch: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        """The batch before it is split by ``d_steps`` (checks keys, adds per-step inputs); as it is by default."""
        return batch

    def generator_inputs(self, ctx: Update) -> dict[str, tf.Tensor]:
        """What G is fed in this update: ``{"z": z}`` on the LATENT stream."""
        return {"z": self.sample_latent(ctx.batch_size, ctx.stream(Streams.LATENT))}

    def run_generator(self, inputs: Mapping[str, tf.Tensor], training: bool = True) -> Any:
        """G's output for ``generator_inputs`` (its VBN reference latents prepended in training calls)."""
        return self.with_reference(self.generator, inputs["z"], self.generator_reference(), training)

    def real_samples(self, ctx: Update) -> Any:
        """The samples on D's "real" side: the batch's ``x``."""
        return ctx.batch["x"]

    def discriminator_inputs(self, samples: Any, ctx: Update, real: bool) -> Any:
        """What D sees for a batch of real (``real=True``) or generated samples: the samples themselves."""
        return samples

    def discriminate(self, x: Any, salt: int, training: bool = True) -> Any:
        """D's outputs for its inputs. Every D call of a step goes through here, so input-side stabilizers
        (``d_input``) apply to real and fake alike, in both updates and inside penalties; ``salt`` picks the
        random stream (equal salts → equal draws). A VBN discriminator gets its reference batch prepended."""
        return self.with_reference(self.discriminator, self.d_input(x, salt), self.discriminator_reference(),
                                   training)

    def adversarial_logits(self, outputs: Any) -> tf.Tensor:
        """The part of D's outputs the adversarial loss reads (all of them by default; the logits when D was given
        a features output for feature matching)."""
        return outputs[0] if self.d_features_output else outputs

    def discriminator_features(self, outputs: Any) -> tf.Tensor:
        """D's penultimate features [B, F] in its outputs, for feature matching (Salimans et al. 2016, §3.1): the
        output ``with_features`` appended. A variant whose D already outputs features overrides this."""
        return outputs[-1]

    def d_adversarial_term(self, ctx: Update) -> tf.Tensor:
        """D's adversarial loss term (a global-batch mean) on ``ctx.real_logits`` / ``ctx.fake_logits``; with label
        smoothing / noisy labels on, the loss family's ``targeted`` form with the stabilizers' targets."""
        real, fake = ctx.real_logits, ctx.fake_logits
        if self.stabilizers.targets_changed:
            real_targets, fake_targets = self.stabilizers.d_targets(tf.shape(real)[0],
                                                                    ctx.seed(Streams.LABEL_NOISE))
            per_example = self.adversarial.targeted(real, fake, real_targets, fake_targets)
        elif self.adversarial.relativistic:
            per_example = self.adversarial.discriminator(real, fake, real_mean=global_batch_mean(real),
                                                         fake_mean=global_batch_mean(fake))
        else:
            per_example = self.adversarial.discriminator(real, fake)
        return self.global_mean(per_example)

    def g_adversarial_term(self, ctx: Update) -> tf.Tensor:
        """G's adversarial loss term (a global-batch mean) on ``ctx.fake_logits`` (and ``real_logits`` for
        relativistic losses)."""
        if self.adversarial.relativistic:
            per_example = self.adversarial.generator(ctx.fake_logits, ctx.real_logits,
                                                     fake_mean=global_batch_mean(ctx.fake_logits),
                                                     real_mean=global_batch_mean(ctx.real_logits))
        else:
            per_example = self.adversarial.generator(ctx.fake_logits)
        return self.global_mean(per_example)

    @property
    def generator_sees_real(self) -> bool:
        """Whether the generator update also runs D on real samples (``ctx.real_logits``): relativistic losses and
        feature matching."""
        return self.adversarial.relativistic or bool(self.stabilizer_settings.get("feature_matching"))

    def feature_matching_terms(self, ctx: Update) -> dict[str, tf.Tensor]:
        """G's feature-matching term λ·‖E f(x) − E f(G(z))‖² (``stabilizers.feature_matching``), when on."""
        if self.stabilizers.feature_matching is None:
            return {}
        return {"g_fm": self.stabilizers.feature_matching(self.discriminator_features(ctx.real_out),
                                                          self.discriminator_features(ctx.fake_out))}

    def penalty_view(self, ctx: Update) -> tuple[Any, Any, Callable[[tf.Tensor], tf.Tensor]]:
        """(real, fake, d_fn) for the penalties: the samples whose input gradients they take and D's logits as a
        function of a sample batch, with D's other inputs taken from the real side (labels, conditions) and the
        real stream's draws."""
        def d_fn(x: tf.Tensor) -> tf.Tensor:
            inputs = self.discriminator_inputs(x, ctx, real=True)
            return self.adversarial_logits(self.discriminate(inputs, salt=ctx.stream(Streams.REAL)))

        return ctx.real, ctx.fake, d_fn

    def extra_d_terms(self, ctx: Update) -> dict[str, tf.Tensor]:
        """The variant's own discriminator loss terms (global-batch means); none by default."""
        return {}

    def extra_g_terms(self, ctx: Update) -> dict[str, tf.Tensor]:
        """The variant's own generator loss terms (global-batch means); none by default."""
        return {}

    def generator_term_weights(self, ctx: Update, tape: tf.GradientTape, terms: Mapping[str, tf.Tensor]
                               ) -> dict[str, tf.Tensor]:
        """Weights of G's loss terms in its total (missing = 1); logged terms stay unweighted."""
        return {}

    def after_d_update(self, ctx: Update) -> dict[str, tf.Tensor]:
        """State updates after a discriminator update; returns *global* values to log. None by default."""
        return {}

    def in_stage(self, compute: Callable[[], Any], variables: list[tf.Variable]) -> Any:
        """Runs one update's computation ``compute() -> (total, terms, stats, gradients of variables)``: a
        single call; PGGAN runs it per stage in a ``tf.switch_case`` (zero-filling unreached gradients)."""
        return compute()

    # ------------------------------------------------------------------ stabilizer plumbing
    def with_reference(self, network: keras.Model, x: Any, reference: tf.Tensor | None, training: bool) -> Any:
        """``network(x)``; in a training call with a VBN ``reference`` batch, the network runs on
        ``concat([reference, x])`` and the reference's outputs are dropped (``nets/virtual_batchnorm.py``)."""
        if reference is None or not training:
            return network(x, training=training)
        n = tf.shape(reference)[0]
        out = network(tf.concat([tf.cast(reference, x.dtype), x], axis=0), training=training)
        return tf.nest.map_structure(lambda t: t[n:], out)

    def generator_reference(self) -> tf.Tensor | None:
        """G's VBN reference latents (a fixed draw from the model seed), or None when G has no VBN layer."""
        s = self.stabilizers
        if s is None or s.virtual_batch is None or not any(net is self.generator for net in self.vbn_networks):
            return None
        return s.virtual_batch.generator_reference(self.latent_dim, self.fixed_seed(Streams.VIRTUAL_BATCH))

    def discriminator_reference(self) -> tf.Tensor | None:
        """D's VBN reference batch (the first real examples, packed like every D input), or None without VBN in D."""
        s = self.stabilizers
        if s is None or s.d_reference is None:
            return None
        reference = tf.convert_to_tensor(s.d_reference.batch)
        return s.packing(reference) if s.packing is not None else reference

    def historical_terms(self, optimizer: keras.optimizers.Optimizer,
                         variables: list[tf.Variable]) -> dict[str, tf.Tensor]:
        """``{"g_hist" | "d_hist": λ·‖θ − θ̄‖²}`` for the G or D group's update when historical averaging is on."""
        group = self.historical_group(optimizer)
        if group is None:
            return {}
        s = self.stabilizers
        return {f"{group}_hist": s.historical_averaging.term(s.historical_averages[group], variables)}

    def historical_group(self, optimizer: keras.optimizers.Optimizer) -> str | None:
        """"g" / "d" when ``optimizer`` updates a group with a historical average, else None."""
        if not self.stabilizers.historical_averages:
            return None
        if optimizer is self.g_optimizer:
            return "g"
        return "d" if optimizer is self.d_optimizer else None

    def d_input(self, x: tf.Tensor, salt: int) -> tf.Tensor:
        """D's input for a batch of samples: DiffAugment → instance noise → PacGAN packing (each when on)."""
        if not self.stabilizers.random_input:  # no step/seed needed (works before compile)
            return self.stabilizers.d_input(x, None, None)
        return self.stabilizers.d_input(x, self.step, self.replica_seed(salt))

    def replay_fakes(self, fake: Any, ctx: Update) -> Any:
        """D's fake batch with past fakes replayed from the pool (identity when ``replay`` is off)."""
        if self.stabilizers.replay is None:
            return fake
        return self.stabilizers.replay_fakes(fake, ctx.replica_seed(Streams.REPLAY))

    def penalty_terms(self, real: Any, fake: Any, salt: int,
                      d_fn: Callable[[tf.Tensor], tf.Tensor] | None = None) -> dict[str, tf.Tensor]:
        """Weighted loss-type penalties on D, each a global-batch mean. ``d_fn``: D's logits as a function of a
        sample batch (default: ``discriminate`` on the real stream of the update with salt ``salt``)."""
        if d_fn is None:
            def d_fn(x: tf.Tensor) -> tf.Tensor:
                return self.adversarial_logits(self.discriminate(x, salt=salt + Streams.REAL))

        terms = {}
        for i, (name, penalty) in enumerate(self._penalties.items()):
            if penalty.loss is not None:
                # A seed shared by the replicas: penalties draw for the global batch and keep their slice.
                value = penalty.loss(d_fn, real, fake, self.step_seed(salt + Streams.PENALTY + i))
                terms[name] = self.penalty_weights[name] * self.global_mean(value)
        return terms

    def apply_constraints(self) -> None:
        """Applies constraint-type penalties (WGAN weight clipping) to D's group after a D update."""
        for name, penalty in self._penalties.items():
            if penalty.constraint is not None:
                penalty.constraint(self.group_variables(self.D_NETWORKS), self.penalty_weights[name])

    def after_generator_update(self) -> None:
        """Run after every generator-optimizer step: advances the generator EMA when on."""
        if self.stabilizers.ema is not None:
            self.stabilizers.ema.update(self.generator)

    def discriminate_real_fake(self, real: Any, fake: Any, salt: int) -> tuple[Any, Any]:
        """D's outputs for the real inputs (stream REAL) and the fake inputs (stream FAKE).

        One D call on the concatenated inputs when ``joint_d_pass`` (plain tensor inputs and the base
        ``discriminate``), else two calls; the results are the same whenever ``d_pass="auto"`` chose it.
        """
        joint = (self.joint_d_pass and type(self).discriminate is GAN.discriminate
                 and isinstance(real, tf.Tensor) and isinstance(fake, tf.Tensor))
        if not joint:
            return (self.discriminate(real, salt=salt + Streams.REAL),
                    self.discriminate(fake, salt=salt + Streams.FAKE))
        d_real, d_fake = self.d_input(real, salt + Streams.REAL), self.d_input(fake, salt + Streams.FAKE)
        out = self.discriminator(tf.concat([d_real, tf.cast(d_fake, d_real.dtype)], 0), training=True)
        n = tf.shape(d_real)[0]
        return tf.nest.map_structure(lambda t: t[:n], out), tf.nest.map_structure(lambda t: t[n:], out)

    # ------------------------------------------------------------------ the template
    def run_update(self, optimizer: keras.optimizers.Optimizer, variables: list[tf.Variable],
                   body: Callable[[tf.GradientTape], tuple[dict[str, tf.Tensor], Callable[..., Any] | None]],
                   ctx: Update, tape: tf.GradientTape | None = None) -> tuple[tf.Tensor, dict[str, tf.Tensor]]:
        """One optimizer step: ``body(tape)`` returns (loss terms, weights function or None); the weighted
        sum of the terms is differentiated w.r.t. ``variables``. Returns (total, terms) as per-replica partials;
        ``ctx.stats`` holds the stats ``body`` recorded (returned through ``in_stage``, so they are valid after it)."""
        def compute() -> tuple[tf.Tensor, dict[str, tf.Tensor], dict[str, tf.Tensor], list[tf.Tensor | None]]:
            ctx.stats = {}
            active = tape if tape is not None else tf.GradientTape(persistent=self.persistent_tape)
            with active:
                terms, weigh = body(active)
                terms.update(self.historical_terms(optimizer, variables))
                weights = weigh(active, terms) if weigh is not None else {}
                total = tf.add_n([weights.get(k, 1.0) * v for k, v in terms.items()])
            return total, terms, dict(ctx.stats), scaled_gradients(optimizer, active, total, variables)

        total, terms, ctx.stats, grads = self.in_stage(compute, variables)
        optimizer.apply_gradients(zip(grads, variables))
        group = self.historical_group(optimizer)
        if group is not None:
            self.stabilizers.historical_averages[group].update(variables)
        if optimizer is self.g_optimizer:
            self.after_generator_update()
        return total, terms

    @property
    def persistent_tape(self) -> bool:
        """Whether update tapes must be persistent (a weights function takes extra gradients)."""
        return False

    def discriminator_update(self, batch: dict[str, tf.Tensor], index: int
                             ) -> tuple[dict[str, tf.Tensor], tuple[Any, tf.GradientTape, Update] | None]:
        """D update ``index`` on its batch slice; returns (global logs, the recorded G pass for ``reuse_fakes``)."""
        ctx = Update(self, batch, d_salt(index), discriminator=True)
        ctx.g_inputs = self.generator_inputs(ctx)
        recorded = None
        if self.reuse_fakes and index == self.d_steps - 1:  # record G's pass for the generator update
            g_tape = tf.GradientTape(persistent=self.persistent_tape)
            with g_tape:
                recorded = (self.run_generator(ctx.g_inputs, training=True), g_tape, ctx)

        def body(tape: tf.GradientTape) -> tuple[dict[str, tf.Tensor], None]:
            with tape.stop_recording():
                fake = recorded[0] if recorded else self.run_generator(ctx.g_inputs, training=True)
                ctx.fresh_fake = tf.nest.map_structure(tf.stop_gradient, fake)
                ctx.fake = self.replay_fakes(ctx.fresh_fake, ctx)
            ctx.real = self.real_samples(ctx)
            if self.stabilizers.d_reference is not None:  # VBN: D's reference is the first real batch
                self.stabilizers.d_reference.fill(ctx.real)
            ctx.real_in = self.discriminator_inputs(ctx.real, ctx, real=True)
            ctx.fake_in = self.discriminator_inputs(ctx.fake, ctx, real=False)
            ctx.real_out, ctx.fake_out = self.discriminate_real_fake(ctx.real_in, ctx.fake_in, ctx.salt)
            ctx.real_logits = self.adversarial_logits(ctx.real_out)
            ctx.fake_logits = self.adversarial_logits(ctx.fake_out)
            terms = {"d_adv": self.d_adversarial_term(ctx)}
            real, fake, d_fn = self.penalty_view(ctx)
            terms.update(self.penalty_terms(real, fake, ctx.salt, d_fn))
            terms.update(self.extra_d_terms(ctx))
            ctx.stats["d_real"] = self.global_mean(losses.per_example_mean(ctx.real_logits))
            ctx.stats["d_fake"] = self.global_mean(losses.per_example_mean(ctx.fake_logits))
            return terms, None

        total, terms = self.run_update(self.d_optimizer, self.group_variables(self.D_NETWORKS), body, ctx)
        self.apply_constraints()
        logs = cross_replica_sum({"d_loss": total, **terms, **ctx.stats})
        logs.update(self.after_d_update(ctx))
        return logs, recorded

    def generator_update(self, batch: dict[str, tf.Tensor],
                         recorded: tuple[Any, tf.GradientTape, Update] | None = None) -> dict[str, tf.Tensor]:
        """The generator group's update on the last batch slice, against the updated D; global logs."""
        ctx = Update(self, batch, G_SALT, discriminator=False)
        ctx.g_inputs = recorded[2].g_inputs if recorded else self.generator_inputs(ctx)

        def body(tape: tf.GradientTape) -> tuple[dict[str, tf.Tensor], Callable[..., Any]]:
            ctx.fake = recorded[0] if recorded else self.run_generator(ctx.g_inputs, training=True)
            terms = {}
            if self.adversarial_active:
                ctx.fake_in = self.discriminator_inputs(ctx.fake, ctx, real=False)
                ctx.fake_out = self.discriminate(ctx.fake_in, salt=ctx.stream(Streams.GENERATOR))
                ctx.fake_logits = self.adversarial_logits(ctx.fake_out)
                if self.generator_sees_real:
                    ctx.real = self.real_samples(ctx)
                    ctx.real_in = self.discriminator_inputs(ctx.real, ctx, real=True)
                    ctx.real_out = self.discriminate(ctx.real_in, salt=ctx.stream(self.G_REAL_STREAM))
                    ctx.real_logits = self.adversarial_logits(ctx.real_out)
                terms["g_adv"] = self.g_adversarial_term(ctx)
                terms.update(self.feature_matching_terms(ctx))
            terms.update(self.extra_g_terms(ctx))
            return terms, lambda t, terms: self.generator_term_weights(ctx, t, terms)

        total, terms = self.run_update(self.g_optimizer, self.group_variables(self.G_NETWORKS), body, ctx,
                                       tape=recorded[1] if recorded else None)
        return cross_replica_sum({"g_loss": total, **terms, **ctx.stats})

    def extra_update(self, update: ExtraUpdate, batch: dict[str, tf.Tensor], index: int) -> dict[str, tf.Tensor]:
        """One of ``EXTRA_UPDATES`` on the step's batch; global logs of its terms."""
        ctx = Update(self, batch, extra_salt(index), discriminator=False)

        def body(tape: tf.GradientTape) -> tuple[dict[str, tf.Tensor], None]:
            return getattr(self, update.loss)(ctx), None

        optimizer = getattr(self, update.optimizer)
        _, terms = self.run_update(optimizer, self.group_variables(update.networks), body, ctx)
        return cross_replica_sum({**terms, **ctx.stats})

    def train_step(self, data: Any) -> dict[str, tf.Tensor]:
        """The template: extra updates, ``d_steps`` D updates (one slice of every batch key each), one G update."""
        batch = self.prepare_batch(as_batch(data))
        logs: dict[str, tf.Tensor] = {}
        for i, update in enumerate(self.EXTRA_UPDATES):
            logs.update(self.extra_update(update, batch, i))
        parts = split_batch(batch, self.d_steps) if self.adversarial_active else [batch]
        recorded = None
        if self.adversarial_active:
            for i, part in enumerate(parts):
                d_logs, recorded = self.discriminator_update(part, i)
                logs.update(d_logs)
        logs.update(self.generator_update(parts[-1], recorded))
        return self.update_trackers(logs)
