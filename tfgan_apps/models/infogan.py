"""InfoGAN (Chen et al. 2016, arXiv:1606.03657): latent codes made recoverable by an auxiliary Q head.

The generator's input is noise z ‖ one-hot categorical code c_cat (K classes,
uniform) ‖ continuous codes c_cont ~ U(−1, 1). Q shares D's whole body (one
two-output network, ``nets/heads.py``) and predicts the codes of a fake. The
variational lower bound of the mutual information I(c; G(z, c)) (Eq. 4–5),
L_I = H(c) − E[−log Q(c | G(z, c))], is maximised by minimising

    L_MI = CE(c_cat, Q_cat(G(z, c))) + λ_cont · ½ ‖c_cont − Q_μ(G(z, c))‖²

where the continuous term is the Gaussian negative log-likelihood with unit σ
(the official MNIST recipe's ``fix_std=True``), up to its constant ½ log 2π per
code. λ · L_MI (``config.model.info_weight`` λ, Eq. 6) is added to both the
discriminator/Q update and the generator update.

Logged: ``Train/mi_loss`` (L_MI), ``Train/mi_categorical`` (CE),
``Train/mi_continuous`` (the Gaussian NLL), ``Train/mi_bound`` (log K − CE: the
categorical lower bound on I(c_cat; G), at most log K nats), ``Train/d_mi``
(λ·L_MI in the D update); ``Codes/continuous_<i>`` image grids show one row per
category with continuous code i swept over [−1, 1].

Improved-Techniques stabilizers (Salimans et al. 2016): feature matching (§3.1) matches
D's shared trunk, the features both the D logit and Q read (a third output of D);
minibatch discrimination (§3.2) feeds o(x) to the D logit only, Q still reads the
per-example trunk; virtual batch norm (§3.5) gives G reference inputs z_ref ‖ codes
drawn once from the model seed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import keras
import tensorflow as tf

from tfgan_apps.distribute import replica_draw
from tfgan_apps.errors import ConfigError
from tfgan_apps.export import SamplerExport, seed_pair
from tfgan_apps.models.base import GAN, Streams, Update
from tfgan_apps.nets.heads import with_head
from tfgan_apps.nets.minibatch_discrimination import layer_input, trunk_features, with_features_of
from tfgan_apps.registry import MODELS

Codes = Mapping[str, Any]
Q_HEAD = "q_head"  # name prefix of Q's layers (``with_head``); feature matching reads the input of q_head_hidden


def categorical_code_loss(onehot: tf.Tensor, logits: tf.Tensor) -> tf.Tensor:
    """Per-example cross-entropy −log Q(c_cat | x) of the one-hot code under Q's softmax."""
    return tf.nn.softmax_cross_entropy_with_logits(labels=tf.cast(onehot, tf.float32),
                                                   logits=tf.cast(logits, tf.float32))


def categorical_mi_bound(onehot: tf.Tensor, logits: tf.Tensor) -> tf.Tensor:
    """Per-example H(c) − (−log Q(c | x)) = log K − CE: InfoGAN's bound L_I for a uniform K-way code (Eq. 5)."""
    k = tf.cast(tf.shape(onehot)[-1], tf.float32)
    return tf.math.log(k) - categorical_code_loss(onehot, logits)


def continuous_code_loss(codes: tf.Tensor, mean: tf.Tensor) -> tf.Tensor:
    """Per-example Gaussian NLL of the continuous codes with unit σ, without the constant: ½ Σ_i (c_i − μ_i)²."""
    return 0.5 * tf.reduce_sum(tf.square(tf.cast(codes, tf.float32) - tf.cast(mean, tf.float32)), axis=-1)


@keras.saving.register_keras_serializable(package="tfgan_apps")
@MODELS.register("infogan")
class InfoGAN(GAN):
    """A GAN whose generator also takes codes that a Q head on D's body must recover.

    Args:
      latent_dim: size of the noise part z (the generator's input adds the codes).
      categories: K of the uniform categorical code (0 = none, else ≥ 2).
      continuous: number of U(−1, 1) continuous codes.
      info_weight: λ on L_MI in both updates.
      continuous_weight: λ_cont on the continuous codes' NLL inside L_MI.
      (other arguments: see ``GAN``)
    """

    SUPPORTED_STABILIZERS = ("diffaugment", "ema", "feature_matching", "historical_averaging", "instance_noise",
                             "label_noise", "label_smoothing", "minibatch_discrimination", "replay", "virtual_batch")
    STABILIZER_REASONS = {"packing": "Q recovers the codes of single samples"}

    def __init__(self, generator: keras.Model, discriminator: keras.Model, latent_dim: int,
                 categories: int = 10, continuous: int = 2, info_weight: float = 1.0,
                 continuous_weight: float = 1.0, **kwargs: Any) -> None:
        if (kwargs.get("stabilizers") or {}).get("feature_matching"):
            # f = the shared trunk Q and the D logit read (below a minibatch layer): a third output of D.
            discriminator = with_features_of(discriminator, layer_input(discriminator, Q_HEAD + "_hidden"))
        super().__init__(generator, discriminator, latent_dim, **kwargs)
        check_codes(categories, continuous)
        if info_weight < 0 or continuous_weight < 0:
            raise ConfigError(f"info_weight and continuous_weight must be ≥ 0, got {info_weight}, {continuous_weight}")
        self.categories = int(categories)
        self.continuous = int(continuous)
        self.info_weight = float(info_weight)
        self.continuous_weight = float(continuous_weight)
        expected = self.latent_dim + self.categories + self.continuous
        if generator.input_shape[-1] != expected:
            raise ConfigError(f"infogan generator takes {generator.input_shape[-1]} inputs, expected {expected}")

    # ------------------------------------------------------------------ building
    @classmethod
    def build_networks(cls, model_cfg: Any, source: Any, sync_batchnorm: bool) -> tuple[keras.Model, keras.Model]:
        """G takes z ‖ codes; D is the configured discriminator with a Q head on its trunk (the features D's logit
        reads; with minibatch discrimination on, the minibatch layer's input, so Q judges single samples)."""
        categories, continuous = model_cfg.get("categories", 10), model_cfg.get("continuous", 2)
        check_codes(categories, continuous)
        cfg = model_cfg.copy_and_resolve_references()
        cfg.latent_dim = model_cfg.latent_dim + categories + continuous
        generator, discriminator = super().build_networks(cfg, source, sync_batchnorm)
        return generator, with_head(discriminator, categories + continuous, width=model_cfg.get("q_width", 128),
                                    name=Q_HEAD, features=trunk_features(discriminator))

    @classmethod
    def extra_settings(cls, model_cfg: Any, source: Any) -> dict[str, Any]:
        """Code sizes and weights from ``config.model.categories`` / ``continuous`` / ``info_weight`` /
        ``continuous_weight``."""
        return {
            "categories": model_cfg.get("categories", 10),
            "continuous": model_cfg.get("continuous", 2),
            "info_weight": model_cfg.get("info_weight", 1.0),
            "continuous_weight": model_cfg.get("continuous_weight", 1.0),
        }

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "categories": self.categories, "continuous": self.continuous,
                "info_weight": self.info_weight, "continuous_weight": self.continuous_weight}

    def tracker_names(self) -> list[str]:
        return [*super().tracker_names(), "d_mi", "g_mi", "mi_loss", "mi_categorical", "mi_continuous", "mi_bound"]

    def training_callbacks(self, writer: tf.summary.SummaryWriter, source: Any, config: Any) -> list[Any]:
        """A grid per continuous code (rows: categories, columns: the code swept over [−1, 1])."""
        if source.kind != "image":
            return []
        from tfgan_apps.model_callbacks import CodeGrid

        return [CodeGrid(writer, config.train.image_every, final_step=config.train.steps)]

    def exportables(self, source: Any) -> dict[str, tf.Module]:
        """The generator with a serving signature that takes z and the codes."""
        return {"generator": infogan_sampler(self.inference_generator, self.latent_dim, self.categories,
                                             self.continuous, source.kind)}

    # ------------------------------------------------------------------ codes
    def sample_codes(self, batch_size: tf.Tensor, salt: int) -> tuple[tf.Tensor, tf.Tensor]:
        """(c_cat int32 [B], c_cont [B, continuous]) for this replica, sliced from one global draw.

        Seeds are folded from ``step_seed(salt)`` so they are independent of the z drawn with the same salt.
        """
        seed = self.step_seed(salt)
        return replica_draw(lambda n: draw_codes(n, self.categories, self.continuous, seed), batch_size)

    def generator_input(self, z: tf.Tensor, categorical: tf.Tensor, continuous: tf.Tensor) -> tf.Tensor:
        """z ‖ one_hot(c_cat, K) ‖ c_cont."""
        onehot = tf.one_hot(tf.cast(categorical, tf.int32), self.categories, dtype=tf.float32)
        return tf.concat([tf.cast(z, tf.float32), onehot, tf.cast(continuous, tf.float32)], axis=-1)

    def mutual_information_terms(self, q: tf.Tensor, categorical: tf.Tensor,
                                 continuous: tf.Tensor) -> dict[str, tf.Tensor]:
        """Global-batch means of L_MI and its parts from Q's outputs [B, K + continuous] on fakes."""
        onehot = tf.one_hot(tf.cast(categorical, tf.int32), self.categories, dtype=tf.float32)
        logits, mean = q[:, : self.categories], q[:, self.categories :]
        zeros = tf.zeros(tf.shape(q)[:1])
        cat = categorical_code_loss(onehot, logits) if self.categories else zeros
        cont = continuous_code_loss(continuous, mean) if self.continuous else zeros
        bound = categorical_mi_bound(onehot, logits) if self.categories else zeros
        return {
            "mi_loss": self.global_mean(cat + self.continuous_weight * cont),
            "mi_categorical": self.global_mean(cat),
            "mi_continuous": self.global_mean(cont),
            "mi_bound": self.global_mean(bound),
        }

    # ------------------------------------------------------------------ template hooks
    def generator_inputs(self, ctx: Update) -> dict[str, tf.Tensor]:
        """z and the codes (c_cat, c_cont), drawn for the global batch on the LATENT stream."""
        categorical, continuous = self.sample_codes(ctx.batch_size, ctx.stream(Streams.LATENT))
        return {**super().generator_inputs(ctx), "categorical": categorical, "continuous": continuous}

    def run_generator(self, inputs: Mapping[str, tf.Tensor], training: bool = True) -> tf.Tensor:
        """G(z ‖ codes); with VBN, its reference inputs (``generator_reference``) prepended in training calls."""
        return self.with_reference(
            self.generator, self.generator_input(inputs["z"], inputs["categorical"], inputs["continuous"]),
            self.generator_reference(), training)

    def generator_reference(self) -> tf.Tensor | None:
        """G's VBN reference inputs: the base's fixed reference latents z_ref ‖ codes drawn once from the model
        seed (a fold of the same ``VIRTUAL_BATCH`` stream), or None when G has no VBN layer."""
        z = super().generator_reference()
        if z is None:
            return None
        seed = tf.random.experimental.stateless_fold_in(self.fixed_seed(Streams.VIRTUAL_BATCH), 1)
        categorical, continuous = draw_codes(tf.shape(z)[0], self.categories, self.continuous, seed)
        return self.generator_input(z, categorical, continuous)

    def adversarial_logits(self, outputs: Any) -> tf.Tensor:
        """D's logits (the first of its outputs; the second is Q, a third the matched features when on)."""
        return outputs[0]

    def fake_q(self, ctx: Update) -> tf.Tensor:
        """Q's outputs on the fakes G made from ``ctx.g_inputs`` (with replay on, D's fake batch mixes in past
        fakes whose codes are unknown, so Q then reads the fresh fakes in a pass of its own)."""
        if ctx.discriminator and self.stabilizers.replay is not None:
            inputs = self.discriminator_inputs(ctx.fresh_fake, ctx, real=False)
            return self.discriminate(inputs, salt=ctx.stream(Streams.FAKE))[1]
        return ctx.fake_out[1]

    def extra_d_terms(self, ctx: Update) -> dict[str, tf.Tensor]:
        """λ·L_MI on the fakes' codes: trains the Q head and the shared body."""
        mi = self.mutual_information_terms(self.fake_q(ctx), ctx.g_inputs["categorical"],
                                           ctx.g_inputs["continuous"])
        return {"d_mi": self.info_weight * mi["mi_loss"]}

    def extra_g_terms(self, ctx: Update) -> dict[str, tf.Tensor]:
        """λ·L_MI: G makes its codes recoverable by Q (L_MI and its parts are logged)."""
        mi = self.mutual_information_terms(self.fake_q(ctx), ctx.g_inputs["categorical"],
                                           ctx.g_inputs["continuous"])
        ctx.stats.update(mi)
        return {"g_mi": self.info_weight * mi["mi_loss"]}

    # ------------------------------------------------------------------ sampling
    def generate(self, n_or_z: int | tf.Tensor, seed: int = 0, training: bool = False,
                 codes: Codes | None = None) -> tf.Tensor:
        """Samples of ``inference_generator`` (the EMA copy when on) with chosen or random codes.

        Args:
          n_or_z: a count n (noise drawn from ``seed``), noise z [n, latent_dim], or a full
            generator input [n, latent_dim + K + continuous] (then ``codes`` must be None).
          codes: optional ``{"categorical": int [n] in [0, K), "continuous": float [n, continuous]}``;
            a missing entry is drawn from its prior with ``seed``.
        """
        if isinstance(n_or_z, int):
            n = n_or_z
            z = tf.random.stateless_normal([n, self.latent_dim], seed=[seed, 0])
        else:
            z = tf.convert_to_tensor(n_or_z, tf.float32)
            n = int(z.shape[0])
            if z.shape[-1] == self.generator.input_shape[-1] and codes is None:
                return self.inference_generator(z, training=training)
            if z.shape[-1] != self.latent_dim:
                raise ValueError(f"z must have {self.latent_dim} (noise) or {self.generator.input_shape[-1]} "
                                 f"(noise ‖ codes) columns, got shape {tuple(z.shape)}")
        categorical, continuous = draw_codes(n, self.categories, self.continuous,
                                             tf.constant([seed, 1], tf.int64))
        codes = dict(codes or {})
        unknown = set(codes) - {"categorical", "continuous"}
        if unknown:
            raise ValueError(f"unknown code name(s) {sorted(unknown)}; use 'categorical' and/or 'continuous'")
        if codes.get("categorical") is not None:
            categorical = tf.convert_to_tensor(codes["categorical"], tf.int32)
            if tuple(categorical.shape) != (n,):
                raise ValueError(f"codes['categorical'] must have shape ({n},), got {tuple(categorical.shape)}")
            if self.categories and not bool(tf.reduce_all((categorical >= 0) & (categorical < self.categories))):
                raise ValueError(f"codes['categorical'] must be in [0, {self.categories})")
        if codes.get("continuous") is not None:
            continuous = tf.convert_to_tensor(codes["continuous"], tf.float32)
            if tuple(continuous.shape) != (n, self.continuous):
                raise ValueError(f"codes['continuous'] must have shape ({n}, {self.continuous}), "
                                 f"got {tuple(continuous.shape)}")
        return self.inference_generator(self.generator_input(z, categorical, continuous), training=training)


def check_codes(categories: int, continuous: int) -> None:
    """Raises ConfigError for code sizes InfoGAN cannot use."""
    if categories == 1 or categories < 0 or continuous < 0 or categories + continuous == 0:
        raise ConfigError(
            f"infogan needs config.model.categories = 0 or ≥ 2 and continuous ≥ 0, not both 0; "
            f"got {categories}, {continuous}"
        )


def draw_codes(n: Any, categories: int, continuous: int, seed: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """Stateless c_cat ~ U{0..K−1} [n] and c_cont ~ U(−1, 1) [n, continuous] from folds of ``seed``."""
    fold = tf.random.experimental.stateless_fold_in
    if categories:
        categorical = tf.random.stateless_uniform([n], seed=fold(seed, 1), minval=0, maxval=categories,
                                                  dtype=tf.int32)
    else:
        categorical = tf.zeros([n], tf.int32)
    continuous_codes = tf.random.stateless_uniform([n, continuous], seed=fold(seed, 2), minval=-1.0, maxval=1.0)
    return categorical, continuous_codes


def infogan_sampler(generator: keras.Model, latent_dim: int, categories: int, continuous: int,
                    kind: str) -> SamplerExport:
    """The InfoGAN generator's export, with code-aware signatures, all returning ``{"samples": ...}``:

    * ``serving_default(z: float32 [N, latent_dim], categorical: int32 [N], continuous: float32 [N, C])``
    * ``sample(count: int32 [], seed: int64 [])``: random noise and codes
    * ``latent(z: float32 [N, latent_dim + K + C])``: a full generator input
    """
    def assemble(z: tf.Tensor, categorical: tf.Tensor, codes: tf.Tensor) -> tf.Tensor:
        return tf.concat([z, tf.one_hot(categorical, categories, dtype=tf.float32), codes], axis=-1)

    def draw(count: tf.Tensor, seed: tf.Tensor) -> list[tf.Tensor]:
        z = tf.random.stateless_normal(tf.stack([count, latent_dim]), seed=seed_pair(seed))
        return [z, *draw_codes(count, categories, continuous, seed_pair(seed, 1))]

    module: SamplerExport | None = None

    def latent(z: tf.Tensor) -> dict[str, tf.Tensor]:
        return module.generate(z)

    module = SamplerExport(
        generator, kind,
        inputs=[tf.TensorSpec([None, latent_dim], tf.float32, "z"), tf.TensorSpec([None], tf.int32, "categorical"),
                tf.TensorSpec([None, continuous], tf.float32, "continuous")],
        sample_inputs=[tf.TensorSpec([], tf.int32, "count")], draw=draw, assemble=assemble,
        extra={"latent": (latent, [tf.TensorSpec([None, latent_dim + categories + continuous], tf.float32, "z")])})
    return module
