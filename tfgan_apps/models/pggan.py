"""PGGAN: progressive growing of GANs (Karras, Aila, Laine & Lehtinen 2018, arXiv:1710.10196).

Training starts at 4×4 and adds a 2× block to G and D per stage (§3, Fig. 1).
The schedule is explicit data in the config::

    config.model.stages = ((4, 200), (8, 400), (16, 400), (32, 600))  # (resolution, steps incl. fade-in)
    config.model.fade_steps = 200

Stage k starts at step s_k = Σ_{j<k} steps_j. During its first ``fade_steps`` steps
the new block is faded in with α = (step − s_k) / fade_steps (α = 1 at stage 0 and
after the fade), as in Fig. 2. Stage and α are *pure functions of the global step*
(``stage_and_alpha(self.step)``), so nothing but the step counter is checkpointed
and a run resumed anywhere, across a boundary included, repeats an uninterrupted
one exactly. After the last stage's steps training stays at the last stage.
Stages above ``data.image_size`` are dropped (``config.model.stages`` up to 32 px
trains 4→8→16 px on 16-px data); the last kept stage must equal the data size.

Every stage's layers are built up front. The training step is the base template's;
PGGAN overrides ``in_stage``, which runs each update's computation once per stage
inside a ``tf.switch_case`` on the current stage (the stage a Python int while that
branch is traced). In a branch, G renders at the stage resolution (to-RGB fade
between the upsampled previous output and the new block, ``run_generator``), D
mirrors it (from-RGB fade, ``discriminate``), and real images are average-pooled
to the stage resolution and, during the fade, blended the same way
(``real_samples``): x_s = (1 − α)·upsample(pool(x_s)) + α·x_s (the official
``process_reals``). Each branch returns the loss terms and the gradients of all
variables of the update's group (zero for layers the stage does not use); one
``apply_gradients`` follows the switch. Under XLA the switch becomes an XLA
conditional, measured ~25× slower on CPU than the same step without it, so
``configs/pggan_digits.py`` turns ``jit_compile`` off.

Loss (§A.1): WGAN-GP (``loss = "wasserstein"``, ``penalties.gradient_penalty = 10``
from ``losses.py`` / ``penalties.py``, taken at the stage resolution) plus
ε_drift · E[D(x)²] on real logits (``config.model.drift``, 0.001) to keep D's
output from drifting. Any other loss/penalty from the config works the same way.

Feature matching (Salimans et al. 2016 §3.1, ``stabilizers.feature_matching``) matches the
4×4 block's features before its last Dense: the same layers and shape at every stage, so
each branch of the switch compares that stage's real and fake batches (during a fade the
features of the blended inputs). Minibatch discrimination is refused (D already ends with
minibatch stddev, the paper's §3 replacement of it), VBN too (pixel norm, no batch norm).

``generate`` and the export render the *current* stage (the export: the stage at
export time), nearest-upsampled to the final resolution so shapes never change,
clipped to [−1, 1] (G's to-RGB is linear, as in the paper). ``Train/alpha`` and
``Train/stage`` log the schedule (means over the logging interval; ``after_d_update``),
``Train/drift`` the drift term (``extra_d_terms``).

Stabilizers (``config.model.stabilizers``): the generator EMA (the paper's §A.1
uses one, β = 0.999) is what ``generate`` and the export render; DiffAugment,
instance noise and packing act on D's input at the stage resolution (``d_input``);
``replay`` is refused (stored fakes would have the resolution of past stages), and so
is ``model.reuse_fakes`` (the template would record G's pass outside the stage switch).

Departures from the paper, on purpose: Adam state is not reset when a stage
starts (the official code resets it). Layers joining at a stage start with zero
moments while the bias correction has long decayed, so their first updates are
up to 1/√(1 − β2) ≈ 10× the learning rate (β2 = 0.99); α ≈ 0 at that time keeps
them harmless. Adam ε is Keras's 10⁻⁷ (paper 10⁻⁸).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import keras
import tensorflow as tf

from tfgan_apps import losses
from tfgan_apps.errors import ConfigError
from tfgan_apps.models.base import GAN, Update
from tfgan_apps.nets import build_network
from tfgan_apps.nets.pggan import downscale, lerp, upscale
from tfgan_apps.registry import DISCRIMINATORS, GENERATORS, MODELS
from tfgan_apps.stabilizers import packed_shape, packing_factor

DEFAULT_STAGES = ((4, 200), (8, 400), (16, 400), (32, 600))


def stage_and_alpha(step: Any, stage_steps: Sequence[int], fade_steps: int) -> tuple[tf.Tensor, tf.Tensor]:
    """(stage int32, α float32) at a global step: the schedule as a pure function.

    Stage k covers steps [s_k, s_k + stage_steps[k]) with s_k = Σ_{j<k} stage_steps[j]
    (the last stage also every later step); α = min(1, (step − s_k) / fade_steps) for
    k > 0 and 1 for k = 0 or ``fade_steps`` = 0.
    """
    starts = [0]
    for steps in stage_steps[:-1]:
        starts.append(starts[-1] + int(steps))
    step = tf.cast(step, tf.int64)
    stage = tf.reduce_sum(tf.cast(step >= tf.constant(starts[1:], tf.int64, shape=[len(starts) - 1]), tf.int32))
    if fade_steps <= 0:
        return stage, tf.constant(1.0, tf.float32)
    into = tf.cast(step - tf.gather(tf.constant(starts, tf.int64), stage), tf.float32)
    alpha = tf.where(stage > 0, tf.minimum(into / float(fade_steps), 1.0), 1.0)
    return stage, alpha


def stages_for(model_cfg: Any, size: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(resolutions, steps) from ``config.model.stages``, dropping stages above the data size ``size``."""
    stages = [(int(r), int(n)) for r, n in model_cfg.get("stages", DEFAULT_STAGES)]
    kept = [(r, n) for r, n in stages if r <= size]
    if not kept or kept[-1][0] != size:
        raise ConfigError(
            f"config.model.stages {tuple(stages)} must include the data size {size} px "
            "(stages above it are dropped; e.g. ((4, 200), (8, 400), ..., (size, n)))"
        )
    if any(n < 1 for _, n in kept):
        raise ConfigError(f"every stage needs ≥ 1 step, got {tuple(kept)}")
    return tuple(r for r, _ in kept), tuple(n for _, n in kept)


class StageGenerator(tf.Module):
    """G frozen at one (stage, α), nearest-upsampled to the final resolution and clipped: what the export serves."""

    def __init__(self, generator: keras.Model, stage: int, alpha: float, final: int) -> None:
        super().__init__(name="stage_generator")
        self.generator = generator
        self.stage, self.alpha = int(stage), float(alpha)
        self.factor = final // generator.resolutions[self.stage]

    def __call__(self, z: tf.Tensor, training: bool = False) -> tf.Tensor:
        images = self.generator(z, stage=self.stage, alpha=self.alpha, training=training)
        return tf.clip_by_value(upscale(images, self.factor), -1.0, 1.0)


@keras.saving.register_keras_serializable(package="tfgan_apps")
@MODELS.register("pggan")
class PGGAN(GAN):
    """Progressive GAN: G and D grow by stage, following a step-indexed schedule.

    Args:
      stage_steps: steps of each stage (fade-in included), one per resolution of G and D.
      fade_steps: fade-in length at the start of every stage after the first (≤ that stage's steps).
      drift: ε_drift of the ε·D(x)² term (PGGAN §A.1; 0 switches it off).
      (other arguments: see ``GAN``; G and D are the ``pggan`` progressive networks)
    """

    SUPPORTED_STABILIZERS: ClassVar[tuple[str, ...]] = ("diffaugment", "ema", "feature_matching",
                                                        "historical_averaging", "instance_noise", "label_noise",
                                                        "label_smoothing", "packing")
    STABILIZER_REASONS: ClassVar[dict[str, str]] = {
        "replay": "pggan's fakes change resolution by stage, so stored fakes would not fit D's current stage",
        "minibatch_discrimination": "pggan's D already ends with minibatch stddev, the paper's (§3) replacement "
                                    "of minibatch discrimination",
        "virtual_batch": "pggan's networks use pixelwise feature normalisation, no batch normalisation to replace"}
    SUPPORTS_REUSE_FAKES: ClassVar[bool] = False  # G's pass must run inside the stage switch

    def __init__(self, generator: keras.Model, discriminator: keras.Model, latent_dim: int,
                 stage_steps: Sequence[int] = (1,), fade_steps: int = 0, drift: float = 0.001,
                 saved_step: int | None = None, **kwargs: Any) -> None:
        super().__init__(generator, discriminator, latent_dim, **kwargs)
        resolutions = getattr(generator, "resolutions", None)
        if resolutions is None or tuple(getattr(discriminator, "resolutions", ())) != tuple(resolutions):
            raise ConfigError("pggan needs the progressive networks: model.generator/discriminator type 'pggan'")
        if len(stage_steps) != len(resolutions):
            raise ConfigError(f"{len(stage_steps)} stage lengths for {len(resolutions)} resolutions {resolutions}")
        if fade_steps < 0 or any(fade_steps > n for n in stage_steps[1:]):
            raise ConfigError(f"config.model.fade_steps must be in [0, steps of every stage after the first], "
                              f"got {fade_steps} for stages {tuple(stage_steps)}")
        if drift < 0:
            raise ConfigError(f"config.model.drift must be ≥ 0, got {drift}")
        self.resolutions = tuple(resolutions)
        self.stage_steps = tuple(int(n) for n in stage_steps)
        self.fade_steps = int(fade_steps)
        self.drift = float(drift)
        self._stage: int | None = None  # the stage whose switch branch is being traced (``in_stage``)
        # The schedule position of a model loaded from a ``.keras`` file (optimizers, and so the step counter, are
        # not in the file); None: the end of the schedule. Training after ``compile`` follows the optimizer's step.
        self.saved_step = None if saved_step is None else int(saved_step)

    def get_config(self) -> dict[str, Any]:
        """The base GAN's arguments plus the stage schedule and the drift weight (``.keras`` files)."""
        return {**super().get_config(), "stage_steps": list(self.stage_steps), "fade_steps": self.fade_steps,
                "drift": self.drift, "saved_step": int(self.step.numpy()) if self.compiled else self.saved_step}

    @classmethod
    def build_networks(cls, model_cfg: Any, source: Any, sync_batchnorm: bool) -> tuple[keras.Model, keras.Model]:
        """G and D with one stage per kept resolution of ``config.model.stages``."""
        if source.kind != "image":
            raise ConfigError(f"pggan grows square images; data source {source.name!r} gives {source.kind}s")
        resolutions, _ = stages_for(model_cfg, int(source.shape[0]))
        generator = build_network(GENERATORS, model_cfg.generator, latent_dim=model_cfg.latent_dim,
                                  output_shape=source.shape, resolutions=resolutions, sync_batchnorm=sync_batchnorm)
        discriminator = build_network(DISCRIMINATORS, model_cfg.discriminator,
                                      input_shape=packed_shape(source.shape, packing_factor(model_cfg)),
                                      resolutions=resolutions, sync_batchnorm=sync_batchnorm)
        return generator, discriminator

    @classmethod
    def extra_settings(cls, model_cfg: Any, source: Any) -> dict[str, Any]:
        """The schedule (``stages``, ``fade_steps``) and ``drift`` from ``config.model``."""
        _, steps = stages_for(model_cfg, int(source.shape[0]))
        return {"stage_steps": steps, "fade_steps": model_cfg.get("fade_steps", 0),
                "drift": model_cfg.get("drift", 0.001)}

    def tracker_names(self) -> list[str]:
        return [*super().tracker_names(), "drift", "alpha", "stage"]

    # ------------------------------------------------------------------ schedule
    def schedule(self) -> tuple[tf.Tensor, tf.Tensor]:
        """(stage, α) at the current global step (a loaded, uncompiled model: at the step it was saved at)."""
        if not self.compiled:
            step = sum(self.stage_steps) if self.saved_step is None else self.saved_step
            return stage_and_alpha(tf.constant(step, tf.int64), self.stage_steps, self.fade_steps)
        return stage_and_alpha(self.step, self.stage_steps, self.fade_steps)

    @property
    def final_resolution(self) -> int:
        return self.resolutions[-1]

    def real_at_stage(self, real: tf.Tensor, stage: int, alpha: tf.Tensor) -> tf.Tensor:
        """Real images average-pooled to ``resolutions[stage]``, blended during the fade like G's output."""
        x = downscale(real, self.final_resolution // self.resolutions[stage])
        if stage == 0:
            return x
        return lerp(upscale(downscale(x, 2), 2), x, alpha)

    def _switch(self, stage: tf.Tensor, branch: Any) -> Any:
        """``tf.switch_case`` over ``branch(s)`` for every stage s (a plain call with one stage)."""
        if len(self.resolutions) == 1:
            return branch(0)()
        return tf.switch_case(stage, [branch(s) for s in range(len(self.resolutions))])

    def generate(self, n_or_z: int | tf.Tensor, seed: int = 0, training: bool = False) -> tf.Tensor:
        """Samples of ``inference_generator`` (the EMA copy when on) at the current stage, nearest-upsampled
        to the final resolution, clipped to [−1, 1]."""
        if isinstance(n_or_z, int):
            z = tf.random.stateless_normal([n_or_z, self.latent_dim], seed=[seed, 0])
        else:
            z = tf.convert_to_tensor(n_or_z, tf.float32)
        stage, alpha = self.schedule()

        def branch(s: int) -> Any:
            factor = self.final_resolution // self.resolutions[s]
            return lambda: upscale(self.inference_generator(z, stage=s, alpha=alpha, training=training), factor)

        return tf.clip_by_value(self._switch(stage, branch), -1.0, 1.0)

    def training_callbacks(self, writer: tf.summary.SummaryWriter, source: Any, config: Any) -> list[Any]:
        """The growing-resolution strip (``Growing/stages``): fixed latents at the end of every stage."""
        from tfgan_apps.model_callbacks import GrowingStrip

        return [GrowingStrip(writer, final_step=config.train.steps)]

    def exportables(self, source: Any) -> dict[str, tf.Module]:
        """The generator frozen at the current (stage, α), at the final resolution."""
        from tfgan_apps.export import SamplerExport

        stage, alpha = self.schedule()
        frozen = StageGenerator(self.inference_generator, int(stage.numpy()), float(alpha.numpy()),
                                self.final_resolution)
        return {"generator": SamplerExport.unconditional(frozen, self.latent_dim, source.kind)}

    # ------------------------------------------------------------------ template hooks
    def current_stage(self) -> int:
        """The stage of the switch branch being traced (only valid inside ``in_stage``)."""
        if self._stage is None:
            raise RuntimeError("pggan renders at a stage only inside in_stage (its tf.switch_case branches); "
                               "use generate() outside training")
        return self._stage

    def run_generator(self, inputs: Mapping[str, tf.Tensor], training: bool = True) -> tf.Tensor:
        """G at the current branch's stage with the current α."""
        return self.generator(inputs["z"], stage=self.current_stage(), alpha=self.schedule()[1], training=training)

    def real_samples(self, ctx: Update) -> tf.Tensor:
        """The real batch pooled to the branch's stage resolution (and blended during the fade)."""
        return self.real_at_stage(ctx.batch["x"], self.current_stage(), self.schedule()[1])

    def discriminate(self, x: tf.Tensor, salt: int, training: bool = True) -> Any:
        """D's logits at the stage of x's resolution, with the current α (after ``d_input``'s stabilizers); with
        feature matching on, (logits, the 4×4 block's features before its last Dense)."""
        return self.discriminator(self.d_input(x, salt), alpha=self.schedule()[1], training=training,
                                  return_features=self.matches_features)

    @property
    def matches_features(self) -> bool:
        """Whether D also returns its features (``stabilizers.feature_matching`` on)."""
        return bool(self.stabilizer_settings.get("feature_matching"))

    def adversarial_logits(self, outputs: Any) -> tf.Tensor:
        """D's logits (the first of (logits, features) when feature matching is on)."""
        return outputs[0] if self.matches_features else outputs

    def discriminator_features(self, outputs: Any) -> tf.Tensor:
        """Feature matching's f [B, f_0]: the 4×4 block's features, the same layers at every stage, so the term
        has one shape in every branch of the stage switch (each branch compares the stage's real and fake)."""
        return outputs[1]

    def extra_d_terms(self, ctx: Update) -> dict[str, tf.Tensor]:
        """The drift term ε_drift · E[D(x)²] on the real logits (§A.1); none when ``drift`` = 0."""
        if not self.drift:
            return {}
        return {"drift": self.drift * self.global_mean(losses.per_example_mean(tf.square(ctx.real_logits)))}

    def after_d_update(self, ctx: Update) -> dict[str, tf.Tensor]:
        """Logs the schedule (global values: every replica computes the same from the step)."""
        stage, alpha = self.schedule()
        return {"alpha": alpha, "stage": tf.cast(stage, tf.float32)}

    def in_stage(self, compute: Callable[[], Any], variables: list[tf.Variable]) -> Any:
        """Runs ``compute`` once per stage in a ``tf.switch_case`` on the current stage.

        Each branch is traced with ``self._stage`` set to its stage, so ``run_generator`` and
        ``real_samples`` pick that stage's layers; gradients of variables the stage does not reach are
        zeros (the branches must return one structure). The stats come back through the switch.
        """
        def branch(s: int) -> Callable[[], Any]:
            def run() -> Any:
                self._stage = s
                try:
                    total, terms, stats, grads = compute()
                finally:
                    self._stage = None
                grads = [tf.zeros_like(v) if g is None else g for g, v in zip(grads, variables, strict=True)]
                return total, terms, stats, grads

            return run

        return self._switch(self.schedule()[0], branch)
