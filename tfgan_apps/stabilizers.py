"""GAN stabilizers usable by every model from ``config.model.stabilizers`` (all off by default).

One concept per class, each registered by name in ``registry.STABILIZERS``:

* ``ema`` — :class:`GeneratorEMA`: an exponential moving average of the
  generator's weights, w_ema ← β·w_ema + (1 − β)·w after every generator update
  (Karras et al. 2018, PGGAN Sec. A.1; Yazıcı et al. 2019). Used for samples and export.
* ``diffaugment`` — :class:`DiffAugment`: differentiable colour / translation /
  cutout augmentation of every discriminator input, real and fake
  (Zhao et al. 2020, "Differentiable Augmentation for Data-Efficient GAN Training").
* ``instance_noise`` — :class:`InstanceNoise`: Gaussian noise on every
  discriminator input with σ annealed linearly to 0 (Sønderby et al. 2017, Sec. 5).
* ``packing`` — :class:`Packing`: PacGAN's discriminator that sees m samples at
  once, concatenated along channels / features (Lin et al. 2018, Sec. 3).
* ``replay`` — :class:`ReplayPool`: a pool of past fakes that replaces a
  fraction p of each discriminator fake batch (Shrivastava et al. 2017, Sec. 2.3).

The "Improved Techniques for Training GANs" ones (Salimans et al. 2016) and ganhacks':

* ``feature_matching`` — :class:`FeatureMatching`: λ·‖E f(x) − E f(G(z))‖² on D's
  penultimate features added to G's loss (§3.1), global-batch means.
* ``minibatch_discrimination`` — :class:`MinibatchDiscriminationSpec`: D's final layer also
  reads o(x) = Σ_j exp(−‖M_i − M_j‖_L1) per kernel (§3.2; ``nets/minibatch_discrimination.py``).
* ``historical_averaging`` — :class:`HistoricalAveraging`: λ·‖θ − (1/t)Σ_i θ_i‖² added to
  G's and D's losses, the running averages checkpointed (§3.3).
* ``label_smoothing`` — :class:`LabelSmoothing`: D's real targets α = 1 − s, fakes 0 (§3.4).
* ``virtual_batch`` — :class:`VirtualBatch`: virtual batch normalisation of G and D by a
  fixed reference batch (§3.5; ``nets/virtual_batchnorm.py``).
* ``label_noise`` — :class:`LabelNoise`: D's targets drawn from U[α − 0.3, α + 0.2] / U[0, 0.3]
  and each flipped with probability p (ganhacks #6 and #13).

``GAN`` (models/base.py) wires them in: ``GAN.d_input`` applies the input-side
ones (augment → noise → pack) inside ``GAN.discriminate``, so the adversarial
terms of both networks *and* the penalties see them; ``discriminator_step``
mixes replayed fakes into the fake batch; ``apply_update`` advances the EMA
after each generator-optimizer update. Every random draw is stateless, from
``GAN.replica_seed(salt)`` folded with a per-stabilizer tag, so resume is exact.
Real and fake batches draw independently (as the DiffAugment code augments
them in separate calls); penalties reuse the real batch's draws.
The Improved-Techniques ones act where ``models/base.py``'s docstring lists; label noise
draws for the global batch from the model's ``LABEL_NOISE`` stream (so it keeps the
mirrored-equals-default property, as do feature matching, historical averaging and VBN, whose
reference batches are shared by the replicas); minibatch discrimination sums over each
replica's batch. Stateful ones (historical averages, D's VBN reference) are checkpointed.
Because the draws are per replica, a multi-replica run with DiffAugment,
instance noise or replay draws different (equally distributed) randomness
than a single-device run; EMA and packing are deterministic and keep the
mirrored-equals-default property (packing needs a per-replica batch divisible by m).
R1/R2/GP/DRAGAN and spectral norm live in ``penalties.py`` and the D builders.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import keras
import tensorflow as tf
from absl import logging

from tfgan_apps.distribute import cross_replica_sum, replica_draw, replica_info
from tfgan_apps.errors import ConfigError
from tfgan_apps.nets.minibatch_discrimination import with_minibatch_discrimination
from tfgan_apps.registry import STABILIZERS

# Per-stabilizer tags folded into the call site's seed, so each draws from its own stream.
_TAGS = {"diffaugment": 1, "instance_noise": 2, "replay": 3}


def fold_seed(seed: tf.Tensor, tag: int) -> tf.Tensor:
    """A new stateless seed derived from ``seed`` and an integer ``tag`` (independent streams per tag)."""
    return tf.random.experimental.stateless_fold_in(seed, tf.constant(tag, tf.int32))


# ---------------------------------------------------------------------------------------------- EMA
@STABILIZERS.register("ema")
class GeneratorEMA:
    """An exponential-moving-average copy of the generator (Karras et al. 2018; Yazıcı et al. 2019).

    ``model`` is a ``keras.Model`` clone of the generator that starts from its
    weights. After every generator update ``update(generator)`` sets, for each
    trainable weight, w_ema ← β·w_ema + (1 − β)·w, so after k updates
    w_ema = β^k·w_0 + Σ_j (1 − β)·β^(k−j)·w_j. Non-trainable weights (BatchNorm
    moving mean/variance) are *copied*, not averaged, as StyleGAN2-ADA copies
    buffers: they are statistics of the raw generator's activations, so the
    averaged network runs in inference mode with the latest statistics.

    Under MirroredStrategy the copy is updated on each replica from identical
    (mirrored) generator weights, so the replicas stay equal.
    """

    def __init__(self, generator: keras.Model, decay: float = 0.999) -> None:
        if not 0.0 <= decay < 1.0:
            raise ConfigError(f"config.model.stabilizers.ema_decay must be in [0, 1), got {decay}")
        self.decay = float(decay)
        self.model = keras.models.clone_model(generator)
        self.model.name = f"{generator.name}_ema"
        pairs = list(zip(self.model.weights, generator.weights, strict=True))
        for ema, raw in pairs:
            if tuple(ema.shape) != tuple(raw.shape):
                raise ConfigError(f"EMA clone weight {ema.path} {ema.shape} does not match {raw.path} {raw.shape}")
        self.model.set_weights(generator.get_weights())

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any], generator: keras.Model, **_: Any) -> GeneratorEMA | None:
        """Built when ``stabilizers.ema`` is true, with β = ``stabilizers.ema_decay``."""
        if not cfg.get("ema", False):
            return None
        return cls(generator, cfg.get("ema_decay", 0.999))

    def update(self, generator: keras.Model) -> None:
        """One EMA step from the generator's current weights (call after each generator update)."""
        beta = self.decay
        for ema, raw in zip(self.model.weights, generator.weights):
            value = tf.cast(raw, ema.dtype)
            if raw.trainable:
                ema.assign(beta * ema + (1.0 - beta) * value)
            else:
                ema.assign(value)


# -------------------------------------------------------------------------------------- DiffAugment
def _per_sample_uniform(x: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """U(0, 1) of shape [B, 1, 1, 1] (one draw per image)."""
    return tf.random.stateless_uniform([tf.shape(x)[0], 1, 1, 1], seed=seed, dtype=x.dtype)


def random_brightness(x: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """x + b, b ~ U(−0.5, 0.5) per image (DiffAugment ``rand_brightness``)."""
    return x + (_per_sample_uniform(x, seed) - 0.5)


def random_saturation(x: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """(x − mean_c(x))·s + mean_c(x), s ~ U(0, 2) per image, mean over channels (``rand_saturation``)."""
    mean = tf.reduce_mean(x, axis=3, keepdims=True)
    return (x - mean) * (_per_sample_uniform(x, seed) * 2.0) + mean


def random_contrast(x: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """(x − mean(x))·c + mean(x), c ~ U(0.5, 1.5) per image, mean over H, W, C (``rand_contrast``)."""
    mean = tf.reduce_mean(x, axis=[1, 2, 3], keepdims=True)
    return (x - mean) * (_per_sample_uniform(x, seed) + 0.5) + mean


def _fraction(size: tf.Tensor, ratio: float) -> tf.Tensor:
    """int(size·ratio + 0.5), as the DiffAugment reference code rounds."""
    return tf.cast(tf.cast(size, tf.float32) * ratio + 0.5, tf.int32)


def translate(x: tf.Tensor, shift: tf.Tensor) -> tf.Tensor:
    """Shifts each image by whole pixels with zero padding: out[b, i, j] = x[b, i − dy_b, j − dx_b] (else 0).

    Args:
      x: images [B, H, W, C].
      shift: int32 [B, 2] offsets (dy, dx); positive values move the content down / right.
    """
    height, width = tf.shape(x)[1], tf.shape(x)[2]
    rows = tf.range(height)[None, :] - shift[:, :1]  # [B, H] source row of each output row
    cols = tf.range(width)[None, :] - shift[:, 1:]  # [B, W]
    x = tf.gather(x, tf.clip_by_value(rows, 0, height - 1), axis=1, batch_dims=1)
    x = tf.gather(x, tf.clip_by_value(cols, 0, width - 1), axis=2, batch_dims=1)
    inside = ((rows >= 0) & (rows < height))[:, :, None] & ((cols >= 0) & (cols < width))[:, None, :]
    return x * tf.cast(inside, x.dtype)[..., None]


def translation_offsets(x: tf.Tensor, seed: tf.Tensor, ratio: float = 0.125) -> tf.Tensor:
    """The (dy, dx) drawn by ``random_translation``: integers uniform in [−s, s], s = int(size·ratio + 0.5)."""
    shape = tf.shape(x)
    max_shift = _fraction(shape[1:3], ratio)  # [2]
    u = tf.random.stateless_uniform([shape[0], 2], seed=seed)
    # floor(u·(2s + 1)) − s is uniform on {−s, …, s}; the minimum guards u → 1.
    span = tf.cast(2 * max_shift + 1, tf.float32)
    return tf.minimum(tf.cast(tf.floor(u * span), tf.int32), 2 * max_shift) - max_shift


def random_translation(x: tf.Tensor, seed: tf.Tensor, ratio: float = 0.125) -> tf.Tensor:
    """Random shift by up to 1/8 of the image size with zero padding (DiffAugment ``rand_translation``)."""
    return translate(x, translation_offsets(x, seed, ratio))


def cutout(x: tf.Tensor, center: tf.Tensor, size: tf.Tensor) -> tf.Tensor:
    """Zeroes a ``size`` = (h, w) box whose rows are [cy − h//2, cy − h//2 + h) (clipped to the image)."""
    height, width = tf.shape(x)[1], tf.shape(x)[2]
    top = center[:, :1] - size[0] // 2
    left = center[:, 1:] - size[1] // 2
    rows = tf.range(height)[None, :]
    cols = tf.range(width)[None, :]
    in_rows = (rows >= top) & (rows < top + size[0])  # [B, H]
    in_cols = (cols >= left) & (cols < left + size[1])  # [B, W]
    box = in_rows[:, :, None] & in_cols[:, None, :]
    return x * tf.cast(~box, x.dtype)[..., None]


def random_cutout(x: tf.Tensor, seed: tf.Tensor, ratio: float = 0.5) -> tf.Tensor:
    """Zeroes one random box of half the image size per image (DiffAugment ``rand_cutout``).

    As in the reference code the box centre is uniform on {0, …, S − 1 + (1 − h mod 2)}
    and the box is clipped at the border.
    """
    shape = tf.shape(x)
    size = _fraction(shape[1:3], ratio)
    limit = shape[1:3] + (1 - size % 2)
    u = tf.random.stateless_uniform([shape[0], 2], seed=seed)
    center = tf.minimum(tf.cast(tf.floor(u * tf.cast(limit, tf.float32)), tf.int32), limit - 1)
    return cutout(x, center, size)


AUGMENTATIONS = {
    "color": (random_brightness, random_saturation, random_contrast),
    "translation": (random_translation,),
    "cutout": (random_cutout,),
}


@STABILIZERS.register("diffaugment")
class DiffAugment:
    """Differentiable Augmentation (Zhao et al. 2020) of every discriminator input.

    The same policy — a comma-separated subset of ``color`` (brightness,
    saturation, contrast), ``translation`` (up to 1/8 of the size, zero padding)
    and ``cutout`` (a box of half the size) — is applied to real and fake images
    before D, in D's and G's steps, with fresh stateless draws per call. Every
    operation is differentiable w.r.t. the image, so G's gradient flows through
    it. Zero padding / cutout fill 0, which is mid-grey in [−1, 1] (as in the
    reference code, whose images are also in [−1, 1]).
    """

    def __init__(self, policy: str | Sequence[str]) -> None:
        names = [p.strip() for p in policy.split(",")] if isinstance(policy, str) else list(policy)
        names = [n for n in names if n]
        unknown = [n for n in names if n not in AUGMENTATIONS]
        if unknown or not names:
            raise ConfigError(
                f"unknown DiffAugment policy {policy!r}; use a comma-separated subset of {', '.join(AUGMENTATIONS)}"
            )
        self.policy = tuple(names)
        self.functions = [f for name in self.policy for f in AUGMENTATIONS[name]]

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any], sample_shape: tuple[int, ...], **_: Any) -> DiffAugment | None:
        """Built when ``stabilizers.diffaugment`` is a non-empty policy; images only."""
        policy = cfg.get("diffaugment", "")
        if not policy:
            return None
        if len(_require_shape(sample_shape, "DiffAugment")) != 3:
            raise ConfigError(f"DiffAugment needs images [H, W, C]; this model's samples have shape {sample_shape}")
        return cls(policy)

    def __call__(self, x: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        """Augments a batch [B, H, W, C]; equal seeds give equal augmentations."""
        for i, function in enumerate(self.functions):
            x = function(x, fold_seed(seed, i))
        return x


# ---------------------------------------------------------------------------------- instance noise
def annealed_sigma(step: tf.Tensor, sigma0: float, steps: int) -> tf.Tensor:
    """σ(t) = σ0·max(0, 1 − t/N): linear annealing from σ0 at t = 0 to 0 at t = N and after."""
    t = tf.cast(step, tf.float32)
    return sigma0 * tf.maximum(0.0, 1.0 - t / float(steps))


@STABILIZERS.register("instance_noise")
class InstanceNoise:
    """Instance noise (Sønderby et al. 2017, Sec. 5; Arjovsky & Bottou 2017): x + σ(t)·ε, ε ~ N(0, I).

    Added to every discriminator input, real and fake, in both networks' steps,
    so D compares the two distributions convolved with the same Gaussian; σ is
    annealed linearly from σ0 to 0 over N generator steps (``annealed_sigma``).
    """

    def __init__(self, sigma: float, steps: int) -> None:
        if sigma < 0 or steps < 1:
            raise ConfigError(f"instance noise needs σ0 ≥ 0 and steps ≥ 1, got σ0={sigma}, steps={steps}")
        self.sigma0, self.steps = float(sigma), int(steps)

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any], **_: Any) -> InstanceNoise | None:
        """Built when ``stabilizers.instance_noise`` (σ0) > 0; N = ``instance_noise_steps``."""
        sigma = cfg.get("instance_noise", 0.0)
        if not sigma:
            return None
        return cls(sigma, cfg.get("instance_noise_steps", 1000))

    def sigma(self, step: tf.Tensor) -> tf.Tensor:
        """σ at training step ``step``."""
        return annealed_sigma(step, self.sigma0, self.steps)

    def __call__(self, x: tf.Tensor, step: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        """x + σ(step)·ε with ε drawn from ``seed``."""
        noise = tf.random.stateless_normal(tf.shape(x), seed=seed, dtype=x.dtype)
        return x + tf.cast(self.sigma(step), x.dtype) * noise


# ------------------------------------------------------------------------------------------ packing
def packed_shape(shape: Sequence[int], m: int) -> tuple[int, ...]:
    """Shape of one packed D input: the last axis (channels / features) times m."""
    shape = tuple(shape)
    return (*shape[:-1], shape[-1] * m)


def pack(x: tf.Tensor, m: int) -> tf.Tensor:
    """Concatenates groups of m consecutive samples along the last axis: [B, ..., C] → [B/m, ..., m·C].

    Packed sample k holds samples k·m, …, k·m + m − 1 in that order (sample k·m
    in channels [0, C), the next in [C, 2C), …).
    """
    if m == 1:
        return x
    batch = x.shape[0]
    if batch is not None and batch % m:
        raise ConfigError(f"PacGAN packing m={m} needs a batch divisible by m, got {batch}")
    rank = x.shape.rank
    shape = tf.shape(x)
    grouped = tf.reshape(x, tf.concat([[-1, m], shape[1:]], axis=0))  # [B/m, m, ..., C]
    # Move the group axis next to the channels: [B/m, ..., m, C], then merge the two.
    perm = [0, *range(2, rank), 1, rank]
    grouped = tf.transpose(grouped, perm)
    return tf.reshape(grouped, tf.concat([[-1], shape[1:-1], [m * shape[-1]]], axis=0))


@STABILIZERS.register("packing")
class Packing:
    """PacGAN (Lin et al. 2018): the discriminator judges m samples jointly (all real or all fake).

    ``GAN.build_networks`` builds D for ``packed_shape(sample_shape, m)``; every D
    call packs consecutive samples, so the adversarial losses are averaged over
    the B/m packed samples. Penalties take the gradient w.r.t. each unpacked
    sample (per-sample norms, averaged over the B samples).
    """

    def __init__(self, m: int) -> None:
        if int(m) != m or m < 1:
            raise ConfigError(f"config.model.stabilizers.packing must be a positive integer, got {m}")
        self.m = int(m)

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any], **_: Any) -> Packing | None:
        """Built when ``stabilizers.packing`` (m) > 1."""
        m = cfg.get("packing", 1)
        return cls(m) if m and m > 1 else None

    def __call__(self, x: tf.Tensor) -> tf.Tensor:
        return pack(x, self.m)


# ------------------------------------------------------------------------------------- replay pool
@STABILIZERS.register("replay")
class ReplayPool(tf.Module):
    """A pool of recent fakes shown to D again (Shrivastava et al. 2017, Sec. 2.3; CycleGAN's image pool).

    ``__call__(fake, seed)`` replaces each fake of D's batch, with probability p,
    by a uniformly drawn pool entry (once the pool holds any), then writes the
    fresh fakes into the pool as a ring buffer (the ``size`` most recent fakes).
    The buffer and its insertion counter are non-trainable variables saved in
    checkpoints. Under MirroredStrategy each replica keeps its own pool (a
    checkpoint stores the first replica's).
    """

    def __init__(self, probability: float, size: int, sample_shape: Sequence[int]) -> None:
        super().__init__(name="replay_pool")
        if not 0.0 <= probability <= 1.0 or size < 1:
            raise ConfigError(f"replay needs 0 ≤ p ≤ 1 and a pool size ≥ 1, got p={probability}, size={size}")
        self.probability, self.size = float(probability), int(size)
        self.pool = tf.Variable(tf.zeros([self.size, *sample_shape]), trainable=False, name="pool")
        self.inserted = tf.Variable(tf.constant(0, tf.int64), trainable=False, name="inserted")

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any], sample_shape: tuple[int, ...], **_: Any) -> ReplayPool | None:
        """Built when ``stabilizers.replay`` (p) > 0; pool of ``replay_size`` samples."""
        probability = cfg.get("replay", 0.0)
        if not probability:
            return None
        return cls(probability, cfg.get("replay_size", 512), _require_shape(sample_shape, "replay", static=True))

    def filled(self) -> tf.Tensor:
        """Number of valid pool entries (int32)."""
        return tf.cast(tf.minimum(self.inserted, self.size), tf.int32)

    def __call__(self, fake: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        """Returns D's fake batch with replayed entries, and pushes the fresh ``fake`` into the pool."""
        fake = tf.stop_gradient(tf.cast(fake, self.pool.dtype))
        batch = tf.shape(fake)[0]
        seeds = tf.random.experimental.stateless_split(seed, 2)
        filled = self.filled()
        replace = (tf.random.stateless_uniform([batch], seed=seeds[0]) < self.probability) & (filled > 0)
        u = tf.random.stateless_uniform([batch], seed=seeds[1])
        index = tf.minimum(tf.cast(tf.floor(u * tf.cast(filled, tf.float32)), tf.int32), tf.maximum(filled - 1, 0))
        past = tf.gather(self.pool, index)
        mask = tf.reshape(replace, tf.concat([[batch], tf.ones([tf.rank(fake) - 1], tf.int32)], axis=0))
        mixed = tf.where(mask, past, fake)
        # Ring-buffer insertion of the fresh fakes (a batch larger than the pool keeps its last `size` fakes).
        keep = tf.minimum(batch, self.size)
        positions = (self.inserted + tf.range(tf.cast(batch - keep, tf.int64), tf.cast(batch, tf.int64))) % self.size
        self.pool.assign(tf.tensor_scatter_nd_update(self.pool, positions[:, None], fake[batch - keep:]))
        self.inserted.assign_add(tf.cast(batch, tf.int64))
        return mixed


# -------------------------------------------------------------------------------- feature matching
def global_feature_mean(features: tf.Tensor) -> tf.Tensor:
    """Mean feature vector [F] over the global batch (all-reduced across replicas), without gradient."""
    _, replicas = replica_info()
    features = tf.reshape(tf.cast(features, tf.float32), [tf.shape(features)[0], -1])
    total = cross_replica_sum(tf.reduce_sum(tf.stop_gradient(features), axis=0))
    return total / tf.cast(tf.shape(features)[0] * replicas, tf.float32)


def feature_matching(real_features: tf.Tensor, fake_features: tf.Tensor) -> tf.Tensor:
    """‖m_real − m_fake‖² over global-batch means of D's features (Salimans et al. 2016, §3.1).

    The value is not a sum over examples, so it is written as a per-example surrogate
    Σ_i 2(m_fake − m_real)·f(G(z_i)) / B_global, whose gradient w.r.t. G is exactly the
    value's (m_real is a constant for G; the surrogate's gradient through m_fake is the
    chain rule's 2(m_fake − m_real)·∂m_fake), plus a stop-gradient correction that makes
    the returned number the value divided by the replica count: a per-replica partial,
    like every loss term (the template sums them over replicas for the logs). Features of
    any shape [B, ...] are flattened.
    """
    _, replicas = replica_info()
    fake = tf.reshape(tf.cast(fake_features, tf.float32), [tf.shape(fake_features)[0], -1])
    diff = global_feature_mean(fake) - global_feature_mean(real_features)
    value = tf.reduce_sum(tf.square(diff))
    per_example = 2.0 * tf.reduce_sum(diff * fake, axis=1)
    surrogate = tf.nn.compute_average_loss(per_example, global_batch_size=tf.shape(per_example)[0] * replicas)
    return surrogate + tf.stop_gradient(value / replicas - surrogate)


@STABILIZERS.register("feature_matching")
class FeatureMatching:
    """Feature matching as a generator loss term (Salimans et al. 2016, §3.1): λ·‖E_x f(x) − E_z f(G(z))‖².

    f is D's per-example feature vector, the trunk its final layer reads (below a
    minibatch-discrimination layer, as in the paper's code): the model gives D a features output
    (``nets.minibatch_discrimination.with_features`` / ``with_features_of``) or reads its own in
    ``GAN.discriminator_features`` — the trunk under InfoGAN's D/Q heads, ACGAN's two heads and
    cGAN's projection, BiGAN's joint (x, z) features, the auto-encoder code h of BEGAN / EBGAN,
    PGGAN's 4×4-block features, the SGAN's. The expectations are global-batch means (all-reduced
    across replicas, ``feature_matching``). The term is *added* to G's loss (weight λ); the paper's
    pure feature-matching generator is the SGAN's ``model.generator_loss=feature_matching``,
    which uses the same function.
    """

    def __init__(self, weight: float) -> None:
        if weight < 0:
            raise ConfigError(f"config.model.stabilizers.feature_matching (λ) must be ≥ 0, got {weight}")
        self.weight = float(weight)

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any], **_: Any) -> FeatureMatching | None:
        """Built when ``stabilizers.feature_matching`` (λ) > 0."""
        weight = cfg.get("feature_matching", 0.0)
        return cls(weight) if weight else None

    def __call__(self, real_features: tf.Tensor, fake_features: tf.Tensor) -> tf.Tensor:
        """λ times the feature-matching distance (a per-replica partial)."""
        return self.weight * feature_matching(real_features, fake_features)


# ------------------------------------------------------------------------ minibatch discrimination
@STABILIZERS.register("minibatch_discrimination")
class MinibatchDiscriminationSpec:
    """Minibatch discrimination (Salimans et al. 2016, §3.2): B kernels of C dimensions before D's last layer.

    ``GAN.build_networks`` (or a variant's: cGAN / ACGAN on the base D under their heads,
    BiGAN's joint D, the AAE's code D) inserts the layer (``nets.minibatch_discrimination``)
    before D's logit layer; heads that judge single examples (InfoGAN's Q, ACGAN's classifier,
    cGAN's projection) and feature matching read the layer's input. The model then never runs D
    on real and fake jointly (the layer couples the examples of a call). Under a mirrored strategy the sum over j runs
    over each replica's slice of the batch.
    """

    def __init__(self, kernels: int, dims: int) -> None:
        if int(kernels) != kernels or kernels < 1 or int(dims) != dims or dims < 1:
            raise ConfigError(f"config.model.stabilizers.minibatch_discrimination (B) and "
                              f"minibatch_discrimination_dims (C) must be positive integers, got {kernels}, {dims}")
        self.kernels, self.dims = int(kernels), int(dims)

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any], **_: Any) -> MinibatchDiscriminationSpec | None:
        """Built when ``stabilizers.minibatch_discrimination`` (B) > 0; C = ``minibatch_discrimination_dims``."""
        kernels = cfg.get("minibatch_discrimination", 0)
        return cls(kernels, cfg.get("minibatch_discrimination_dims", 5)) if kernels else None

    def apply(self, discriminator: keras.Model) -> keras.Model:
        """The discriminator with the minibatch layer before its final layer."""
        return with_minibatch_discrimination(discriminator, self.kernels, self.dims)


# ---------------------------------------------------------------------------- historical averaging
class HistoricalAverage(tf.Module):
    """The running average (1/t)·Σ_{i=1..t} θ_i of a network group's parameters, as non-trainable variables.

    θ_1 is the value when the average is created (the initial weights) and θ_{i+1} the value
    after the i-th optimizer update of the group, so at an update the average includes the
    current parameters. ``count`` = t. The variables are checkpointed (``checkpoint_items``),
    so a resumed run continues the same average; under MirroredStrategy every replica holds
    the same average (updated from identical weights).
    """

    def __init__(self, variables: Sequence[Any], name: str) -> None:
        super().__init__(name=name)
        first = tf.VariableAggregation.ONLY_FIRST_REPLICA
        self.means = [tf.Variable(tf.identity(tf.cast(v, tf.float32)), trainable=False, aggregation=first,
                                  name=f"mean_{i}") for i, v in enumerate(variables)]
        self.count = tf.Variable(tf.constant(1, tf.int64), trainable=False, aggregation=first, name="count")

    def distance(self, variables: Sequence[Any]) -> tf.Tensor:
        """‖θ − θ̄‖² summed over every parameter of the group (θ̄ held constant)."""
        squares = [tf.reduce_sum(tf.square(tf.cast(v, tf.float32) - tf.stop_gradient(m)))
                   for v, m in zip(variables, self.means, strict=True)]
        return tf.add_n(squares) if squares else tf.constant(0.0)

    def update(self, variables: Sequence[Any]) -> None:
        """Adds the current parameters to the average: θ̄ ← θ̄ + (θ − θ̄)/(t + 1), t ← t + 1."""
        t = tf.cast(self.count + 1, tf.float32)
        for v, m in zip(variables, self.means, strict=True):
            m.assign(m + (tf.cast(v, tf.float32) - m) / t)
        self.count.assign_add(1)


@STABILIZERS.register("historical_averaging")
class HistoricalAveraging:
    """Historical averaging (Salimans et al. 2016, §3.3): λ·‖θ − (1/t)Σ_{i=1..t} θ_i‖² in each player's loss.

    One ``HistoricalAverage`` per network group (G's and D's, made by ``track`` when the
    model builds its optimizers); the term of an update is λ times the squared distance of
    the group's trainable parameters to their average so far, and the average advances
    after every optimizer update of the group. The paper motivates it by fictitious play;
    it stops the parameters from orbiting an equilibrium.
    """

    def __init__(self, weight: float) -> None:
        if weight < 0:
            raise ConfigError(f"config.model.stabilizers.historical_averaging (λ) must be ≥ 0, got {weight}")
        self.weight = float(weight)

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any], **_: Any) -> HistoricalAveraging | None:
        """Built when ``stabilizers.historical_averaging`` (λ) > 0."""
        weight = cfg.get("historical_averaging", 0.0)
        return cls(weight) if weight else None

    def track(self, variables: Sequence[Any], name: str) -> HistoricalAverage:
        """A running average of ``variables`` starting at their current values."""
        return HistoricalAverage(variables, name)

    def term(self, average: HistoricalAverage, variables: Sequence[Any]) -> tf.Tensor:
        """λ·‖θ − θ̄‖² as a per-replica partial (the value divided by the replica count: gradients are summed)."""
        _, replicas = replica_info()
        return self.weight * average.distance(variables) / tf.cast(replicas, tf.float32)


# -------------------------------------------------------------------------------- label targets
@STABILIZERS.register("label_smoothing")
class LabelSmoothing:
    """One-sided label smoothing (Salimans et al. 2016, §3.4): D's real targets α = 1 − s, fake targets stay 0.

    Smoothing only the real side keeps D's optimum α·p_data/(p_data + p_model) from rewarding
    G where p_data is 0 (the paper's reason not to smooth the fakes). Only for losses with
    targets (``losses.AdversarialLoss.targeted``: minimax, non_saturating, least_squares —
    LSGAN's real target b becomes α); other families are refused when the model is built.
    """

    def __init__(self, smoothing: float) -> None:
        if not 0.0 <= smoothing < 1.0:
            raise ConfigError(f"config.model.stabilizers.label_smoothing (s, real target 1 − s) must be in [0, 1), "
                              f"got {smoothing}")
        self.alpha = 1.0 - float(smoothing)

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any], **_: Any) -> LabelSmoothing | None:
        """Built when ``stabilizers.label_smoothing`` (s) > 0."""
        smoothing = cfg.get("label_smoothing", 0.0)
        return cls(smoothing) if smoothing else None


NOISY_REAL = (-0.3, 0.2)  # real targets U[α − 0.3, α + 0.2]: ganhacks' U[0.7, 1.2] when α = 1
NOISY_FAKE = (0.0, 0.3)  # fake targets U[0, 0.3]


@STABILIZERS.register("label_noise")
class LabelNoise:
    """Noisy and occasionally flipped labels for D (ganhacks #6 "soft and noisy labels", #13 "flip labels").

    With ``noisy`` each real target is drawn from U[α − 0.3, α + 0.2] (U[0.7, 1.2] without
    label smoothing, whose α = 1 − s it composes with) and each fake target from U[0, 0.3];
    then each target is flipped with probability p: a flipped real example gets a fake
    target (0, or a U[0, 0.3] draw) and a flipped fake a real one (α, or a draw from the real
    range). The draws are stateless, for the global batch from a seed shared by the
    replicas (``GAN`` passes its ``LABEL_NOISE`` stream of the D update), so equal (seed,
    step) give equal targets and a mirrored run uses the targets of a single-device run.
    """

    def __init__(self, noisy: bool, flip: float) -> None:
        if not 0.0 <= flip <= 1.0:
            raise ConfigError(f"config.model.stabilizers.label_noise_flip (p) must be in [0, 1], got {flip}")
        self.noisy, self.flip = bool(noisy), float(flip)

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any], **_: Any) -> LabelNoise | None:
        """Built when ``stabilizers.label_noise`` is true or ``label_noise_flip`` (p) > 0."""
        noisy, flip = bool(cfg.get("label_noise", False)), cfg.get("label_noise_flip", 0.0)
        return cls(noisy, flip) if noisy or flip else None

    def targets(self, n: tf.Tensor, seed: tf.Tensor, alpha: float = 1.0) -> tuple[tf.Tensor, tf.Tensor]:
        """(real targets [n], fake targets [n]) for this replica's n real and n fake outputs."""
        u = replica_draw(lambda count: tf.random.stateless_uniform([count, 4], seed=seed), n)
        low, high = (alpha + NOISY_REAL[0], alpha + NOISY_REAL[1]) if self.noisy else (alpha, alpha)
        fake_low, fake_high = NOISY_FAKE if self.noisy else (0.0, 0.0)

        def real_style(v: tf.Tensor) -> tf.Tensor:
            return low + (high - low) * v

        def fake_style(v: tf.Tensor) -> tf.Tensor:
            return fake_low + (fake_high - fake_low) * v

        real = tf.where(u[:, 2] < self.flip, fake_style(u[:, 0]), real_style(u[:, 0]))
        fake = tf.where(u[:, 3] < self.flip, real_style(u[:, 1]), fake_style(u[:, 1]))
        return real, fake


# ------------------------------------------------------------------------ virtual batch normalisation
@STABILIZERS.register("virtual_batch")
class VirtualBatch:
    """Virtual batch normalisation (Salimans et al. 2016, §3.5) with a reference batch of N examples.

    ``GAN.build_networks`` builds G and D with ``norm="virtual_batch"`` wherever their spec
    says ``"batch"`` (or set the specs' ``norm`` yourself). The reference batches, chosen once:

    * G's: N latent vectors drawn statelessly from the model seed alone
      (``GAN.fixed_seed(Streams.VIRTUAL_BATCH)``), identical on every replica and after resume;
    * D's: the first N real examples of the first discriminator update (the global batch's,
      gathered across replicas), kept in a non-trainable checkpointed variable
      (``VirtualBatchReference``). D's input stabilizers other than packing do not act on it.

    Every training call of a VBN network gets its reference prepended (and its outputs
    dropped), so the statistics follow the current weights; inference calls use the
    statistics stored by the last training call. Since the reference is shared and fixed,
    an example's output does not depend on the rest of its batch.
    """

    def __init__(self, size: int) -> None:
        if int(size) != size or size < 1:
            raise ConfigError(f"config.model.stabilizers.virtual_batch (N) must be a positive integer, got {size}")
        self.size = int(size)

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any], **_: Any) -> VirtualBatch | None:
        """Built when ``stabilizers.virtual_batch`` (N) > 0."""
        size = cfg.get("virtual_batch", 0)
        return cls(size) if size else None

    def generator_reference(self, latent_dim: int, seed: tf.Tensor) -> tf.Tensor:
        """G's reference batch: N latent vectors z ~ N(0, I) from a step-independent seed."""
        return tf.random.stateless_normal([self.size, latent_dim], seed=seed)


class VirtualBatchReference(tf.Module):
    """D's reference batch for VBN: the first N real examples seen, set once (non-trainable, checkpointed)."""

    def __init__(self, size: int, sample_shape: Sequence[int]) -> None:
        super().__init__(name="virtual_batch_reference")
        first = tf.VariableAggregation.ONLY_FIRST_REPLICA
        self.size = int(size)
        self.batch = tf.Variable(tf.zeros([self.size, *sample_shape]), trainable=False, aggregation=first,
                                 name="batch")
        self.filled = tf.Variable(tf.constant(False), trainable=False, aggregation=first, name="filled")

    def fill(self, real: tf.Tensor) -> None:
        """Stores the first N examples of the global real batch unless a reference is already stored."""
        from tfgan_apps.distribute import gather_replicas

        first = tf.cast(gather_replicas(tf.stop_gradient(real))[: self.size], self.batch.dtype)
        tf.debugging.assert_equal(tf.shape(first)[0], self.size,
                                  message="virtual_batch N exceeds the real batch of a discriminator update")
        self.batch.assign(tf.where(self.filled, tf.convert_to_tensor(self.batch), first))
        self.filled.assign(True)


# ---------------------------------------------------------------------------------------- settings
STABILIZER_NAMES = ("diffaugment", "ema", "feature_matching", "historical_averaging", "instance_noise",
                    "label_noise", "label_smoothing", "minibatch_discrimination", "packing", "replay",
                    "virtual_batch")
# Stabilizers that change D's targets (need a loss family with ``targeted``).
TARGET_STABILIZERS = ("label_noise", "label_smoothing")


def enabled_names(values: Mapping[str, Any]) -> list[str]:
    """The stabilizers switched on in a ``stabilizers`` field dict (sorted names)."""
    active = {
        "ema": bool(values.get("ema")),
        "diffaugment": bool(values.get("diffaugment")),
        "packing": values.get("packing", 1) not in (0, 1, None),
        "instance_noise": bool(values.get("instance_noise")),
        "replay": bool(values.get("replay")),
        "feature_matching": bool(values.get("feature_matching")),
        "minibatch_discrimination": bool(values.get("minibatch_discrimination")),
        "historical_averaging": bool(values.get("historical_averaging")),
        "label_smoothing": bool(values.get("label_smoothing")),
        "label_noise": bool(values.get("label_noise")) or bool(values.get("label_noise_flip")),
        "virtual_batch": bool(values.get("virtual_batch")),
    }
    return sorted(name for name, on in active.items() if on)


def settings(model_cfg: Any, enabled_only: bool = False) -> Any:
    """The ``config.model.stabilizers`` fields as a dict, or {} when every stabilizer is off.

    ``enabled_only``: the sorted names of the stabilizers that are on instead.
    """
    cfg = model_cfg.get("stabilizers", None) if model_cfg is not None else None
    values = (cfg.to_dict() if hasattr(cfg, "to_dict") else dict(cfg)) if cfg else {}
    names = enabled_names(values)
    if enabled_only:
        return names
    return values if names else {}


def packing_factor(model_cfg: Any) -> int:
    """PacGAN's m from a model config (1 = off)."""
    m = settings(model_cfg).get("packing", 1)
    return int(m) if m and m > 1 else 1


def validate(cfg: Mapping[str, Any], batch_size: int) -> None:
    """Checks ``config.model.stabilizers`` values that cannot work (called by ``validation.validate``)."""
    if not cfg:
        return
    if cfg.get("diffaugment"):
        DiffAugment(cfg["diffaugment"])
    m = cfg.get("packing", 1)
    Packing(m if m else 1)
    if m and m > 1 and batch_size % m:
        raise ConfigError(
            f"PacGAN packing m={m} needs config.data.batch_size divisible by m, got {batch_size}"
        )
    if cfg.get("instance_noise", 0.0) < 0 or cfg.get("instance_noise_steps", 1) < 1:
        raise ConfigError("config.model.stabilizers.instance_noise must be ≥ 0 and instance_noise_steps ≥ 1")
    if not 0.0 <= cfg.get("replay", 0.0) <= 1.0 or cfg.get("replay_size", 1) < 1:
        raise ConfigError("config.model.stabilizers.replay must be in [0, 1] and replay_size ≥ 1")
    if not 0.0 <= cfg.get("ema_decay", 0.999) < 1.0:
        raise ConfigError(f"config.model.stabilizers.ema_decay must be in [0, 1), got {cfg.get('ema_decay')}")
    for name in ("feature_matching", "minibatch_discrimination", "historical_averaging", "label_smoothing",
                 "label_noise", "virtual_batch"):
        STABILIZERS.get(name).from_config(cfg)  # their constructors check the values
    size = cfg.get("virtual_batch", 0)
    if size and size > batch_size:
        raise ConfigError(f"config.model.stabilizers.virtual_batch (N = {size}) must be ≤ config.data.batch_size "
                          f"({batch_size}): D's reference batch is the first N real examples")


def _sample_shape(generator: keras.Model) -> tuple[int, ...] | None:
    """Shape of one generated sample (None for sizes that vary, e.g. a fully convolutional G), or None when
    the generator has no single output."""
    try:
        shape = generator.output_shape
    except (AttributeError, ValueError):
        return None
    if not isinstance(shape, tuple) or (shape and isinstance(shape[0], (tuple, list))):
        return None
    return tuple(shape[1:])


def _require_shape(sample_shape: tuple[int, ...] | None, what: str, static: bool = False) -> tuple[int, ...]:
    if sample_shape is None or (static and any(d is None for d in sample_shape)):
        raise ConfigError(f"{what} needs a generator with one static output shape")
    return sample_shape


class Stabilizers:
    """The enabled stabilizers of one model (each attribute None when off)."""

    def __init__(self, cfg: Mapping[str, Any] | None, generator: keras.Model) -> None:
        cfg = dict(cfg or {})
        sample_shape = _sample_shape(generator)
        context = {"generator": generator, "sample_shape": sample_shape}
        built = {name: STABILIZERS.get(name).from_config(cfg, **context) for name in STABILIZERS.names()}
        self.ema: GeneratorEMA | None = built.get("ema")
        self.diffaugment: DiffAugment | None = built.get("diffaugment")
        self.instance_noise: InstanceNoise | None = built.get("instance_noise")
        self.packing: Packing | None = built.get("packing")
        self.replay: ReplayPool | None = built.get("replay")
        self.feature_matching: FeatureMatching | None = built.get("feature_matching")
        self.minibatch_discrimination: MinibatchDiscriminationSpec | None = built.get("minibatch_discrimination")
        self.historical_averaging: HistoricalAveraging | None = built.get("historical_averaging")
        self.label_smoothing: LabelSmoothing | None = built.get("label_smoothing")
        self.label_noise: LabelNoise | None = built.get("label_noise")
        self.virtual_batch: VirtualBatch | None = built.get("virtual_batch")
        # State the model creates once its networks and optimizers exist (``GAN.build_stabilizer_state``).
        self.historical_averages: dict[str, HistoricalAverage] = {}
        self.d_reference: VirtualBatchReference | None = None
        enabled = [name for name, s in built.items() if s is not None]
        if enabled:
            logging.info("stabilizers on: %s", ", ".join(enabled))

    @property
    def random_input(self) -> bool:
        """Whether ``d_input`` draws random numbers (and so needs a step and a seed)."""
        return self.diffaugment is not None or self.instance_noise is not None

    def d_input(self, x: tf.Tensor, step: tf.Tensor | None, seed: tf.Tensor | None) -> tf.Tensor:
        """D's input for a batch: DiffAugment → instance noise → packing (each only when on).

        ``step`` and ``seed`` may be None when ``random_input`` is false.
        """
        if self.diffaugment is not None:
            x = self.diffaugment(x, fold_seed(seed, _TAGS["diffaugment"]))
        if self.instance_noise is not None:
            x = self.instance_noise(x, step, fold_seed(seed, _TAGS["instance_noise"]))
        if self.packing is not None:
            x = self.packing(x)
        return x

    @property
    def targets_changed(self) -> bool:
        """Whether D's adversarial targets differ from 1 / 0 (label smoothing or noisy / flipped labels)."""
        return self.label_smoothing is not None or self.label_noise is not None

    def d_targets(self, n: tf.Tensor, seed: tf.Tensor | None) -> tuple[Any, Any]:
        """D's (real, fake) targets for n outputs each: scalars α and 0 with smoothing only, else per-example
        draws of ``label_noise`` from ``seed`` (the model's ``LABEL_NOISE`` stream of the update)."""
        alpha = self.label_smoothing.alpha if self.label_smoothing is not None else 1.0
        if self.label_noise is None:
            return alpha, 0.0
        return self.label_noise.targets(n, seed, alpha)

    def replay_fakes(self, fake: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        """D's fake batch with replayed past fakes (identity when the pool is off)."""
        if self.replay is None:
            return fake
        return tf.cast(self.replay(fake, fold_seed(seed, _TAGS["replay"])), fake.dtype)

    def checkpoint_items(self) -> dict[str, Any]:
        """Stateful stabilizers to save: the EMA generator, the replay pool, the historical averages and D's
        VBN reference batch."""
        items: dict[str, Any] = {}
        if self.ema is not None:
            items["ema_generator"] = self.ema.model
        if self.replay is not None:
            items["replay_pool"] = self.replay
        for group, average in self.historical_averages.items():
            items[f"historical_average_{group}"] = average
        if self.d_reference is not None:
            items["virtual_batch_reference"] = self.d_reference
        return items
