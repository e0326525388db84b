"""Paired image-to-image cGAN for restoration: pix2pix, and SRGAN/ESRGAN-style super-resolution.

One model (``pix2pix``, Isola et al. 2017), generic over the generator
(``unet``, ``residual_denoiser``, ``srresnet``, ...): the batch's ``"input"`` (the
degraded image) is the condition, ``G(input)`` the restored image, ``"x"`` the
clean target. It runs the base template (``models/base.py``) and supplies only its
hooks and terms. The generator minimises (pix2pix eq. 4, plus optional terms)::

    L_G = λ_L1·L1(G(y), x) + λ_SSIM·(1 − SSIM) + λ_p·L_perceptual + w·L_adv

* L1 is averaged over pixels; ``content_weight`` λ_L1 = 100 as in pix2pix.
* SSIM: ``ssim_type="ms_ssim"`` uses ``tf.image.ssim_multiscale`` (Wang et al.
  2003), which needs crops ≥ 176 px (11-px window after four 2× reductions);
  smaller crops fall back to single-scale SSIM (Wang et al. 2004) with a
  min(11, side) px window, logged once.
* L_perceptual: VGG19 conv5_4 features before the ReLU (``restoration.perceptual``),
  only when ``vgg_weights`` names a local weights file. Without it the term is
  discriminator feature matching (pix2pixHD, Wang et al. 2018, eq. 4): the mean
  over D's LeakyReLU activations of L1(D_i(y, x), D_i(y, G(y))), real features held
  constant. ``discriminate`` returns the logits and those activations from one D
  pass, and the real and fake pairs of the generator update draw their stabilizer
  transforms on one stream (``G_REAL_STREAM``), so features are compared like for like.
* L_adv: the configured adversarial loss on D(y, G(y)) (ESRGAN's relativistic
  average loss: ``loss="relativistic_average"``, ``losses.py``). With
  ``adaptive_adversarial`` its weight is ``w = adversarial_weight · λ`` with
  (VQGAN, Esser et al. 2021, eq. 7)::

      λ = stop_gradient(clip(‖∇_{G_L} L_rec‖ / (‖∇_{G_L} L_adv‖ + 1e-6), 0, 1e4))

  where ``G_L`` is G's last convolution kernel and ``L_rec`` all other terms
  (gradients summed over replicas, so λ is the global-batch value).
* ``adversarial_weight = 0`` skips the discriminator: a pure L1 (PSNR-oriented) model.

The discriminator is the conditional PatchGAN D([y, image]) (the condition is
upsampled bilinearly to the image size when G upsamples), or any unconditional D
(one input, e.g. SRGAN's ``srgan`` on the HR image only, as in SRGAN/ESRGAN).
Each step updates D on (y, x) vs (y, G(y)) and then G against the updated D, with
one G forward pass shared by both updates (``reuse_fakes``, always on, as in
pix2pix's reference code). Input-side stabilizers act on the channel-stacked pair,
so geometric augmentations keep condition and image aligned.

Phases (data, not a branch in the step): ``training_phases(total_steps)`` lists
``("reconstruction", pretrain_steps)`` then ``("adversarial", total_steps)``;
the trainer runs one ``fit`` per phase after ``set_phase(name)``, which sets the
template's ``adversarial_active`` (no D update, no adversarial term while False)
and retraces the step. A ``fit`` called directly puts the model in the phase of its
step counter first (``phase_at``), so a resumed run is exact. On entering the
adversarial phase at step ``pretrain_steps`` G's weights (its EMA copy's with
``model.stabilizers.ema``) are copied into ``psnr_snapshot`` (checkpointed): the
PSNR-oriented model, exported as ``restorer_psnr`` beside the GAN ``restorer``.
A run with ``pretrain_steps ≥ steps`` is reconstruction only: a warning, one export.

Inpainting (a condition with a mask channel). When the degradation returns the mask as an extra last
channel (``mask`` with ``with_mask=True``: 1 = hole, 0 = known pixel), the condition has C + 1 channels
and the target C: G is built for C + 1 input channels and its first C output channels are kept
(``TakeChannels``; so a residual U-Net, whose output must have its input's channels, still works), and
the conditional D sees the C + 1-channel condition beside the C-channel image. G's output is always
the composite ``mask·G(y) + (1 − mask)·y_image``, in training (the L1 / SSIM terms, D's fake
input, the logged PSNR) as in inference and in the export: the known pixels are copied from the input,
so G's output there gets no gradient and the losses ignore it; no weight on known pixels is needed.
``hole_fill`` sets what G sees in the holes: ``"constant"`` (the degradation's ``fill``, mid-grey) or
``"pyramid"`` (push-pull interpolation from the known pixels, ``inference.pyramid_fill``, applied to
every batch and by the export), so a residual G starts from a smooth fill and learns a correction.
``content_loss="masked_l1"`` makes the L1 term the per-example mean of |G(y) − x| over the hole pixels
only (``metrics.translation.masked_l1``: Σ mask·|·| / (C·Σ mask), 0 for an image without holes), so
small and large holes weigh the same; ``"l1"`` (default) is the mean over all pixels (with the
composite: the hole fraction times the masked L1). The logged ``l1`` is the chosen content loss.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable, Mapping
from typing import Any

import keras
import tensorflow as tf
from absl import logging

from tfgan_apps import losses
from tfgan_apps.distribute import cross_replica_sum, replica_info
from tfgan_apps.errors import ConfigError
from tfgan_apps.metrics.translation import masked_l1
from tfgan_apps.models.base import GAN, STEP_SALT, Streams, Update
from tfgan_apps.nets import build_network
from tfgan_apps.registry import DISCRIMINATORS, GENERATORS, MODELS
from tfgan_apps.restoration.export import RestorerExport
from tfgan_apps.restoration.inference import composite, masked_condition, restore_images
from tfgan_apps.restoration.perceptual import vgg_feature_fn

MS_SSIM_MIN_SIDE = 176  # 11-px window after four 2× reductions (5 scales)
PHASES = ("reconstruction", "adversarial")
# What the reconstruction phase logs (no discriminator, no adversarial term).
RECONSTRUCTION_LOGS = ("g_loss", "l1", "ssim", "psnr")
CONTENT_LOSSES = ("l1", "masked_l1")
HOLE_FILLS = ("constant", "pyramid")


def psnr_per_example(a: tf.Tensor, b: tf.Tensor) -> tf.Tensor:
    """PSNR (dB) of [-1, 1] images, per example (peak-to-peak 2, so equal to PSNR on [0, 1] images)."""
    mse = tf.reduce_mean(tf.square(tf.cast(a, tf.float32) - tf.cast(b, tf.float32)), axis=[1, 2, 3])
    return 10.0 * tf.math.log(4.0 / tf.maximum(mse, 1e-10)) / tf.math.log(10.0)


def ssim_per_example(a: tf.Tensor, b: tf.Tensor, multiscale: bool = False) -> tf.Tensor:
    """SSIM (or MS-SSIM when crops are ≥ 176 px) of [-1, 1] images, per example (see module docstring)."""
    a01 = (tf.cast(a, tf.float32) + 1.0) / 2.0
    b01 = (tf.cast(b, tf.float32) + 1.0) / 2.0
    sides = [s for s in a.shape[1:3] if s is not None]
    side = min(sides) if len(sides) == 2 else None
    if multiscale and side is not None and side >= MS_SSIM_MIN_SIDE:
        return tf.image.ssim_multiscale(a01, b01, max_val=1.0)
    if multiscale:
        logging.log_first_n(logging.WARNING, "MS-SSIM needs crops >= %d px, got %s: using single-scale SSIM",
                            1, MS_SSIM_MIN_SIDE, side)
    return tf.image.ssim(a01, b01, max_val=1.0, filter_size=min(11, side or 11))


def network_multiple(spec: Mapping[str, Any]) -> int:
    """Sizes a generator accepts must be multiples of this: 2^depth for a U-Net, else 1
    (``size_multiple`` in the spec's model config overrides it)."""
    if spec.get("type") == "unet":
        depth = spec.get("depth", inspect.signature(GENERATORS.get("unet")).parameters["depth"].default)
        return 2 ** int(depth)
    return 1


@keras.saving.register_keras_serializable(package="tfgan_apps")
class TakeChannels(keras.layers.Layer):
    """Keeps the first ``channels`` channels (float32): a C + 1 → C + 1 generator made C + 1 → C."""

    def __init__(self, channels: int, **kwargs: Any) -> None:
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.channels = int(channels)

    def call(self, inputs: tf.Tensor) -> tf.Tensor:
        """The first ``channels`` channels of ``inputs``."""
        return tf.cast(inputs[..., : self.channels], tf.float32)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        """The input shape with ``channels`` channels."""
        return (*input_shape[:-1], self.channels)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments (``keras.models.clone_model`` rebuilds the EMA copy and the PSNR snapshot)."""
        return {**super().get_config(), "channels": self.channels}


def condition_shape(data_cfg: Any, source: Any, degradation: Callable[..., tf.Tensor] | None) -> tuple[int, ...]:
    """The shape of one training input (G's condition): the paired source's, or the degradation's output on
    a target-sized image (C + 1 channels when it appends a mask); ConfigError when there is neither."""
    if "input_shape" in source.info:
        return tuple(int(s) for s in source.info["input_shape"])
    if degradation is None:
        raise ConfigError("pix2pix needs paired data (source='paired_folder:IN,TARGET') or "
                          "config.data.degradation (e.g. {'type': 'gaussian_noise', 'sigma': 25})")
    return tuple(int(s) for s in degradation(tf.zeros((1, *source.shape)), tf.constant([0, 0])).shape[1:])


@keras.saving.register_keras_serializable(package="tfgan_apps")
@MODELS.register("pix2pix")
class ImageToImage(GAN):
    """Conditional GAN on (degraded input, clean target) pairs; see the module docstring for the losses.

    Args (beyond ``GAN``'s; config ``model.<name>``):
      content_weight: λ of the L1 term (pix2pix: 100).
      adversarial_weight: weight of G's adversarial term; 0 = pure L1 model, no D updates.
      ssim_weight: weight of (1 − SSIM); ``ssim_type`` ``ssim`` or ``ms_ssim``.
      perceptual_weight: weight of the VGG perceptual term (``vgg``) or, without VGG,
        of D feature matching; part of the adversarial phase only.
      vgg: features function from ``perceptual.vgg_feature_fn`` (config ``model.vgg_weights``), or None.
      adaptive_adversarial: scale the adversarial term by the gradient-norm ratio λ.
      pretrain_steps: reconstruction-only steps before the adversarial phase.
      size_multiple: sides G accepts are multiples of this (U-Net: 2^depth).
      content_loss: ``l1`` (mean over all pixels) or ``masked_l1`` (mean over hole pixels; needs a
        degradation with a mask channel); see the module docstring.
      hole_fill: what G sees in the holes of an inpainting input: ``constant`` (the degradation's fill) or
        ``pyramid`` (push-pull interpolation of the known pixels).
    """

    SUPPORTED_STABILIZERS = ("diffaugment", "ema", "historical_averaging", "instance_noise", "label_noise",
                             "label_smoothing")
    STABILIZER_REASONS = {
        "minibatch_discrimination": "the PatchGAN D judges patches, not a flat feature vector of the image",
        "feature_matching": "D returns its activations for the model's own per-example feature loss",
        "virtual_batch": "G is fed degraded images by the model's run_generator, with no VBN reference batch",
        "packing": "D judges each (degraded input, image) pair on its own; packing m pairs would need a D built "
                   "for m conditions",
        "replay": "a replayed past fake has no degraded input to condition D on, and the D and G updates share "
                  "one G pass",
    }
    # Real pairs in the generator update (relativistic loss, feature matching) draw like the fakes: equal
    # stabilizer transforms, so real and fake features are compared like for like.
    G_REAL_STREAM = Streams.GENERATOR

    def __init__(
        self,
        generator: keras.Model,
        discriminator: keras.Model,
        latent_dim: int,
        content_weight: float = 100.0,
        adversarial_weight: float = 1.0,
        ssim_weight: float = 0.0,
        ssim_type: str = "ssim",
        perceptual_weight: float = 0.0,
        vgg: Callable[[tf.Tensor], tf.Tensor] | None = None,
        adaptive_adversarial: bool = False,
        pretrain_steps: int = 0,
        size_multiple: int = 1,
        content_loss: str = "l1",
        hole_fill: str = "constant",
        **kwargs: Any,
    ) -> None:
        if hole_fill not in HOLE_FILLS:
            raise ConfigError(f"unknown model.hole_fill {hole_fill!r}; valid choices: {', '.join(HOLE_FILLS)}")
        if content_loss not in CONTENT_LOSSES:
            raise ConfigError(f"unknown model.content_loss {content_loss!r}; valid choices: "
                              f"{', '.join(CONTENT_LOSSES)}")
        if ssim_type not in ("ssim", "ms_ssim"):
            raise ConfigError(f"unknown model.ssim_type {ssim_type!r}; valid choices: ssim, ms_ssim")
        for name, value in (("content_weight", content_weight), ("adversarial_weight", adversarial_weight),
                            ("ssim_weight", ssim_weight), ("perceptual_weight", perceptual_weight),
                            ("pretrain_steps", pretrain_steps)):
            if value < 0:
                raise ConfigError(f"model.{name} must be >= 0, got {value}")
        if kwargs.get("d_steps", 1) != 1:
            raise ConfigError(f"pix2pix trains D and G once per step: set train.d_steps=1, got {kwargs['d_steps']}")
        # Plain attributes read by tracker_names(), which GAN.__init__ calls.
        self.content_weight = float(content_weight)
        self.adversarial_weight = float(adversarial_weight)
        self.ssim_weight = float(ssim_weight)
        self.multiscale_ssim = ssim_type == "ms_ssim"
        self.perceptual_weight = float(perceptual_weight) if adversarial_weight else 0.0
        self.adaptive_adversarial = bool(adaptive_adversarial) and adversarial_weight > 0
        self.pretrain_steps = int(pretrain_steps) if adversarial_weight > 0 else 0
        self.uses_vgg = vgg is not None
        self.content_loss = content_loss
        self.hole_fill = hole_fill
        kwargs["reuse_fakes"] = True  # one G pass per step, shared by the D and G updates
        super().__init__(generator, discriminator, latent_dim, **kwargs)
        self.vgg = vgg
        self.size_multiple = int(size_multiple)
        self.scale = 1
        self.masked = False  # the condition's last channel is a hole mask (set by attach_data)
        self.mask_fill: float | str = 0.0  # G's input in the holes: the degradation's fill, or "pyramid"
        self.conditional = len(discriminator.inputs) == 2
        activations = [layer.output for layer in discriminator.layers if isinstance(layer, keras.layers.LeakyReLU)]
        if self.perceptual_weight and vgg is None and not activations:
            raise ConfigError("feature matching needs a discriminator with LeakyReLU activations; "
                              "set model.perceptual_weight=0 or model.vgg_weights")
        # One D pass gives the logits and the activations used by feature matching.
        self.d_features = keras.Model(discriminator.inputs, [discriminator.outputs[0], *activations],
                                      name="discriminator_features")
        self.last_kernel = [w for w in generator.trainable_weights if len(w.shape) == 4][-1]
        self.degradation: Callable[[tf.Tensor, tf.Tensor], tf.Tensor] | None = None
        self.data_config: Any = None
        self.data_source: Any = None
        # The PSNR-oriented generator: a copy of G's weights taken at the end of pretraining.
        self.psnr_snapshot = keras.models.clone_model(generator) if self.pretrain_steps else None
        self.phase = self.phase_at(0)
        self.adversarial_active = self.phase == "adversarial"

    # ------------------------------------------------------------------ building
    @classmethod
    def from_settings(cls, config: Any, source: Any, sync_batchnorm: bool = False) -> ImageToImage:
        """Builds the model, then attaches the data settings it needs (degradation, held-out images, scale).

        The networks are built for the training input's shape (``condition_shape``: C + 1 channels with a mask),
        given to ``build_networks`` as ``info["input_shape"]`` of a shallow copy of the source.
        """
        from tfgan_apps.data.degradations import build_degradation

        spec = config.data.get("degradation", None)
        view = copy.copy(source)
        view.info = {**source.info,
                     "input_shape": condition_shape(config.data, source, build_degradation(spec) if spec else None)}
        model = super().from_settings(config, view, sync_batchnorm)
        model.attach_data(config.data, source)
        return model

    @classmethod
    def build_networks(cls, model_cfg: Any, source: Any, sync_batchnorm: bool) -> tuple[keras.Model, keras.Model]:
        """G and D as fully convolutional networks over any H, W.

        G takes the condition's channels (``source.info["input_shape"]``, else the target's C) and returns C:
        with a mask channel it is built C + 1 → C + 1 and ``TakeChannels`` keeps the first C. A D that takes
        ``image_channels`` (the conditional PatchGAN) gets the condition's channels as ``input_shape``; any
        other D judges the C-channel image alone.
        """
        channels = int(source.shape[-1])
        condition = int(source.info.get("input_shape", source.shape)[-1])
        generator = build_network(GENERATORS, model_cfg.generator, input_shape=(None, None, condition),
                                  sync_batchnorm=sync_batchnorm)
        if generator.outputs[0].shape[-1] > channels:
            kept = TakeChannels(channels, name="image_channels")(generator.outputs[0])
            generator = keras.Model(generator.inputs, kept, name=generator.name)
        d_type = dict(model_cfg.discriminator).get("type")
        d_context: dict[str, Any] = {"input_shape": (None, None, channels)}
        if d_type and "image_channels" in inspect.signature(DISCRIMINATORS.get(d_type)).parameters:
            d_context = {"input_shape": (None, None, condition), "image_channels": channels}
        discriminator = build_network(DISCRIMINATORS, model_cfg.discriminator, sync_batchnorm=sync_batchnorm,
                                      **d_context)
        return generator, discriminator

    @classmethod
    def extra_settings(cls, model_cfg: Any, source: Any) -> dict[str, Any]:
        """Loss weights, SR pretraining and the size multiple from ``config.model``."""
        vgg_path = model_cfg.get("vgg_weights", "") or ""
        return {
            "content_weight": model_cfg.get("content_weight", 100.0),
            "adversarial_weight": model_cfg.get("adversarial_weight", 1.0),
            "ssim_weight": model_cfg.get("ssim_weight", 0.0),
            "ssim_type": model_cfg.get("ssim_type", "ssim"),
            "perceptual_weight": model_cfg.get("perceptual_weight", 0.0),
            "vgg": vgg_feature_fn(vgg_path) if vgg_path else None,
            "adaptive_adversarial": model_cfg.get("adaptive_adversarial", False),
            "pretrain_steps": model_cfg.get("pretrain_steps", 0),
            "size_multiple": model_cfg.get("size_multiple", 0) or network_multiple(model_cfg.generator),
            "content_loss": model_cfg.get("content_loss", "l1"),
            "hole_fill": model_cfg.get("hole_fill", "constant"),
        }

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments for ``.keras`` files, plus what ``attach_data`` read from the data (the
        degradation spec, scale, hole mask and fill), so a loaded model restores like the trained one.

        A model with the VGG perceptual term cannot be saved this way (its VGG weights are a file named by
        ``model.vgg_weights``, not part of the model): use the run's checkpoint or the exported restorer.
        """
        if self.uses_vgg:
            raise ConfigError("a pix2pix model with the VGG perceptual term cannot be saved as a .keras file (the VGG "
                              "weights are model.vgg_weights, outside the model); use the checkpoint or "
                              "export/restorer")
        spec = self.data_config.get("degradation", None) if self.data_config is not None else None
        if spec is not None and hasattr(spec, "to_dict"):
            spec = spec.to_dict()
        return {**super().get_config(), "content_weight": self.content_weight,
                "adversarial_weight": self.adversarial_weight, "ssim_weight": self.ssim_weight,
                "ssim_type": "ms_ssim" if self.multiscale_ssim else "ssim",
                "perceptual_weight": self.perceptual_weight, "adaptive_adversarial": self.adaptive_adversarial,
                "pretrain_steps": self.pretrain_steps, "size_multiple": self.size_multiple,
                "content_loss": self.content_loss, "hole_fill": self.hole_fill,
                "attached": {"degradation": spec, "scale": self.scale, "masked": self.masked,
                             "mask_fill": self.mask_fill}}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> ImageToImage:
        """Rebuilds a model saved with ``model.save("x.keras")``, with the data settings it was trained on."""
        from tfgan_apps.data.degradations import build_degradation

        config = dict(config)
        attached = config.pop("attached", None) or {}
        model = super().from_config(config)
        spec = attached.get("degradation")
        model.degradation = build_degradation(spec) if spec else None
        model.scale = int(attached.get("scale", 1))
        model.masked = bool(attached.get("masked", False))
        model.mask_fill = attached.get("mask_fill", 0.0)
        return model

    def attach_data(self, data_cfg: Any, source: Any) -> None:
        """Reads the degradation, checks that G maps training inputs to target-sized images and sets ``scale``,
        ``masked`` (the input's last channel is a hole mask) and ``mask_fill``."""
        from tfgan_apps.data.degradations import build_degradation

        spec = data_cfg.get("degradation", None)
        self.degradation = build_degradation(spec) if spec else None
        self.data_config, self.data_source = data_cfg, source
        target = tuple(source.shape)
        input_shape = condition_shape(data_cfg, source, self.degradation)
        if input_shape[-1] not in (target[-1], target[-1] + 1):
            raise ConfigError(f"training inputs have {input_shape[-1]} channels but targets {target[-1]}: give "
                              f"inputs with the target's channels, or one more for a hole mask")
        self.masked = input_shape[-1] == target[-1] + 1
        self.mask_fill = "pyramid" if self.hole_fill == "pyramid" else float(getattr(self.degradation, "mask_fill",
                                                                                         0.0))
        diffaugment = getattr(getattr(self, "stabilizers", None), "diffaugment", None)
        if self.masked and diffaugment is not None and "color" in diffaugment.policy:
            raise ConfigError("DiffAugment 'color' would change the hole mask channel that D sees beside the image; "
                              "for inpainting use model.stabilizers.diffaugment='translation,cutout'")
        if self.content_loss == "masked_l1" and not self.masked:
            raise ConfigError("model.content_loss='masked_l1' needs the hole mask as an input channel: use the "
                              "'mask' degradation with with_mask=True, or set model.content_loss='l1'")
        for side in input_shape[:2]:
            if side % self.size_multiple:
                raise ConfigError(f"training inputs are {input_shape[0]}×{input_shape[1]} px but the generator "
                                  f"needs multiples of {self.size_multiple}: change data.image_size or the depth")
        out = self.generator(tf.zeros((1, *input_shape)), training=False).shape
        if tuple(out[1:]) != target:
            raise ConfigError(f"the generator maps {input_shape} inputs to {tuple(out[1:])}, but targets are "
                              f"{target}: make its scale match the degradation / data.scale")
        self.scale = target[0] // input_shape[0]
        if self.masked and self.scale != 1:
            raise ConfigError(f"inpainting (a mask channel) needs inputs of the target's size, got scale {self.scale}: "
                              "apply the mask degradation without downsampling")

    def checkpoint_items(self) -> dict[str, Any]:
        """Adds the PSNR-oriented generator snapshot when there is a pretraining phase."""
        items = super().checkpoint_items()
        if self.psnr_snapshot is not None:
            items["psnr_generator"] = self.psnr_snapshot
        return items

    # ------------------------------------------------------------------ phases
    def phase_at(self, step: int) -> str:
        """The phase that trains step ``step``: reconstruction while pretraining (or always for a pure L1
        model), adversarial after."""
        if not self.adversarial_weight or step < self.pretrain_steps:
            return "reconstruction"
        return "adversarial"

    def training_phases(self, total_steps: int) -> list[tuple[str, int]]:
        """(phase, end step) in order, for the trainer's one ``fit`` per phase (see the module docstring)."""
        if not self.pretrain_steps:
            return [(self.phase_at(0), total_steps)]
        if self.pretrain_steps >= total_steps:
            logging.warning("model.pretrain_steps (%d) >= train.steps (%d): the run is L1 pretraining only, "
                            "with no GAN phase; one restorer is exported. Raise train.steps above "
                            "model.pretrain_steps for the GAN phase", self.pretrain_steps, total_steps)
            return [("reconstruction", total_steps)]
        per_call = int(getattr(self, "steps_per_execution", 1) or 1)
        if self.pretrain_steps % per_call:
            raise ConfigError(f"model.pretrain_steps ({self.pretrain_steps}) must be a multiple of "
                              f"train.steps_per_execution ({per_call})")
        return [("reconstruction", self.pretrain_steps), ("adversarial", total_steps)]

    def set_phase(self, name: str) -> None:
        """Enters phase ``name``: sets the template's ``adversarial_active`` (retracing the step when it changes)
        and, entering the adversarial phase at step ``pretrain_steps``, snapshots the PSNR-oriented G."""
        if name not in PHASES:
            raise ConfigError(f"unknown pix2pix phase {name!r}; valid choices: {', '.join(PHASES)}")
        active = name == "adversarial"
        if active and not self.adversarial_weight:
            raise ConfigError("a pix2pix model with model.adversarial_weight=0 has no adversarial phase")
        self.phase = name
        if active != self.adversarial_active:
            self.adversarial_active = active
            self.train_function = None  # the template reads adversarial_active while tracing: trace again
        compiled = getattr(self, "g_optimizer", None) is not None
        if active and self.psnr_snapshot is not None and compiled and int(self.step.numpy()) == self.pretrain_steps:
            self.snapshot_psnr_generator()

    def fit(self, x: Any = None, *args: Any, **kwargs: Any) -> Any:
        """``GAN.fit`` in the phase of the current step (``phase_at``; one check per call, not per step).

        The phase is fixed for the whole call: a call that would cross ``pretrain_steps`` is warned about
        (call ``fit`` up to ``pretrain_steps``, then again, as ``trainer.train`` does).
        """
        if getattr(self, "g_optimizer", None) is not None:
            step = int(self.step.numpy())
            self.set_phase(self.phase_at(step))
            steps = kwargs.get("steps_per_epoch")
            end = step + int(kwargs.get("epochs", 1)) * int(steps) if steps else None
            if self.phase == "reconstruction" and self.adversarial_weight and (end is None
                                                                               or end > self.pretrain_steps):
                logging.warning("this fit starts at step %d in the reconstruction phase, which ends at step %d; "
                                "the phase is chosen once per fit call: stop at model.pretrain_steps and call fit "
                                "again for the GAN phase", step, self.pretrain_steps)
        return super().fit(x, *args, **kwargs)

    def snapshot_psnr_generator(self) -> None:
        """Copies G's weights (BatchNorm statistics included; the EMA copy's when on) into ``psnr_snapshot``."""
        self.psnr_snapshot.set_weights(self.inference_generator.get_weights())

    def psnr_generator(self) -> keras.Model:
        """The PSNR-oriented generator: its end-of-pretraining snapshot, or while pretraining has not ended the
        current G (its EMA copy when ``model.stabilizers.ema`` is on)."""
        if self.psnr_snapshot is None or int(self.step.numpy()) <= self.pretrain_steps:
            return self.inference_generator
        return self.psnr_snapshot

    # ------------------------------------------------------------------ hooks of the template
    def prepare_batch(self, batch: dict[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        """Float32 ``x`` and ``input``; a batch without ``"input"`` is degraded here, once per step. With
        ``hole_fill="pyramid"`` the holes of an inpainting input are filled from its known pixels."""
        batch = dict(batch)
        batch["x"] = tf.cast(batch["x"], tf.float32)
        batch["input"] = tf.cast(batch["input"], tf.float32) if "input" in batch else self.degrade(batch["x"])
        if self.masked and self.mask_fill == "pyramid":
            batch["input"] = masked_condition(batch["input"][..., :-1], batch["input"][..., -1:], "pyramid")
        return batch

    def degrade(self, target: tf.Tensor) -> tf.Tensor:
        """Degraded inputs for batches without ``"input"`` (the per-step DEGRADE stream, different per replica)."""
        if self.degradation is None:
            raise ConfigError("the batch has no 'input' and config.data.degradation is not set")
        return self.degradation(target, self.replica_seed(STEP_SALT + Streams.DEGRADE))

    def generator_inputs(self, ctx: Update) -> dict[str, tf.Tensor]:
        """G is fed the degraded image."""
        return {"input": ctx.batch["input"]}

    def run_generator(self, inputs: Mapping[str, tf.Tensor], training: bool = True) -> tf.Tensor:
        """The restored image; with a mask channel the composite that keeps the input's known pixels."""
        return self.output_from(self.generator(inputs["input"], training=training), inputs["input"])

    def output_from(self, restored: tf.Tensor, condition: tf.Tensor) -> tf.Tensor:
        """The model's output for G's raw output ``restored``: itself, or with a mask channel in ``condition``
        the composite ``mask·restored + (1 − mask)·image`` (what the losses, D and the exports see)."""
        if not self.masked:
            return restored
        condition = tf.cast(condition, restored.dtype)
        return composite(restored, condition[..., :-1], condition[..., -1:])

    def discriminator_inputs(self, samples: tf.Tensor, ctx: Update, real: bool) -> Any:
        """``(degraded input, image)`` for the conditional D, the image alone for an unconditional one."""
        return (ctx.batch["input"], samples) if self.conditional else samples

    def discriminate(self, x: Any, salt: int, training: bool = True) -> list[tf.Tensor]:
        """[logits, *LeakyReLU activations] of D (one pass). Input-side stabilizers act on the channel-stacked
        pair (condition resized bilinearly to the image when G upsamples), so condition and image stay aligned."""
        if not self.conditional:
            return self.d_features(self.d_input(x, salt), training=training)
        condition, image = x
        if self.scale > 1:
            condition = tf.image.resize(condition, tf.shape(image)[1:3], method="bilinear")  # XLA has no bicubic
        channels = condition.shape[-1]
        both = self.d_input(tf.concat([tf.cast(condition, image.dtype), image], axis=-1), salt)
        return self.d_features([both[..., :channels], both[..., channels:]], training=training)

    def adversarial_logits(self, outputs: list[tf.Tensor]) -> tf.Tensor:
        """D's logits (the activations after them serve feature matching)."""
        return outputs[0]

    @property
    def generator_sees_real(self) -> bool:
        """D's real outputs in the generator update: for the relativistic loss and for feature matching."""
        return self.adversarial.relativistic or bool(self.perceptual_weight and not self.uses_vgg)

    @property
    def persistent_tape(self) -> bool:
        """The adaptive weight takes two extra gradients from the generator update's tape."""
        return self.adaptive_adversarial

    def extra_g_terms(self, ctx: Update) -> dict[str, tf.Tensor]:
        """``rec`` = λ_L1·L1 + λ_SSIM·(1 − SSIM), L1 over the holes for ``content_loss="masked_l1"``; in the
        adversarial phase the perceptual or feature-matching term (weighted in ``generator_term_weights``).
        Raw l1 / ssim / psnr go to ``ctx.stats``."""
        target, fake = ctx.batch["x"], tf.cast(ctx.fake, tf.float32)
        ssim = ssim_per_example(fake, target, self.multiscale_ssim)
        ctx.stats["l1"] = self.global_mean(self.content_per_example(fake, target, ctx.batch["input"]))
        ctx.stats["ssim"] = self.global_mean(ssim)
        ctx.stats["psnr"] = self.global_mean(psnr_per_example(tf.clip_by_value(fake, -1.0, 1.0), target))
        rec = self.content_weight * ctx.stats["l1"]
        if self.ssim_weight:
            rec += self.ssim_weight * self.global_mean(1.0 - ssim)
        terms = {"rec": rec}
        if not (self.adversarial_active and self.perceptual_weight):
            return terms
        if self.uses_vgg:
            distance = losses.per_example_mean(tf.abs(self.vgg(fake) - tf.stop_gradient(self.vgg(target))))
            terms["perceptual"] = self.global_mean(distance)
        else:
            per_layer = [losses.per_example_mean(tf.abs(f - tf.stop_gradient(r)))
                         for f, r in zip(ctx.fake_out[1:], ctx.real_out[1:])]
            terms["feature_matching"] = self.global_mean(tf.add_n(per_layer) / len(per_layer))
        return terms

    def content_per_example(self, fake: tf.Tensor, target: tf.Tensor, condition: tf.Tensor) -> tf.Tensor:
        """The content loss ``[B]``: L1 over all pixels, or over the hole pixels (``masked_l1``; the mask is the
        condition's last channel)."""
        if self.content_loss == "masked_l1":
            return masked_l1(fake, target, tf.cast(condition[..., -1:], tf.float32))
        return losses.per_example_mean(tf.abs(fake - target))

    def generator_term_weights(self, ctx: Update, tape: tf.GradientTape, terms: Mapping[str, tf.Tensor]
                               ) -> dict[str, tf.Tensor]:
        """λ_p for the perceptual / feature-matching term; ``adversarial_weight`` (× VQGAN's λ when adaptive,
        logged as ``adv_weight``) for the adversarial term."""
        weights: dict[str, Any] = {name: self.perceptual_weight for name in ("perceptual", "feature_matching")
                                   if name in terms}
        if "g_adv" not in terms:
            return weights
        weight = tf.constant(self.adversarial_weight)
        if self.adaptive_adversarial:
            rec = tf.add_n([weights.get(name, 1.0) * value for name, value in terms.items() if name != "g_adv"])
            weight *= self.adaptive_weight(tape, rec, terms["g_adv"])
            _, replicas = replica_info()
            ctx.stats["adv_weight"] = weight / replicas  # a partial: the template sums logged values over replicas
        weights["g_adv"] = weight
        return weights

    def adaptive_weight(self, tape: tf.GradientTape, rec: tf.Tensor, adv: tf.Tensor) -> tf.Tensor:
        """VQGAN's λ = ‖∇_{G_L} L_rec‖ / (‖∇_{G_L} L_adv‖ + 1e-6), clipped to [0, 1e4], no gradient.

        The last-layer gradients are summed across replicas first, so λ is the global-batch value.
        """
        with tape.stop_recording():
            grads = cross_replica_sum([tape.gradient(rec, self.last_kernel), tape.gradient(adv, self.last_kernel)])
            ratio = tf.norm(grads[0]) / (tf.norm(grads[1]) + 1e-6)
        return tf.stop_gradient(tf.clip_by_value(ratio, 0.0, 1e4))

    # ------------------------------------------------------------------ metrics
    def tracker_names(self) -> list[str]:
        """The base names plus l1, ssim, psnr (on the batch) and the active perceptual / adaptive terms
        (only g_loss, l1, ssim, psnr for a pure reconstruction model)."""
        names = [*super().tracker_names(), "l1", "ssim", "psnr"]
        if not self.adversarial_weight:  # no discriminator terms in a pure reconstruction model
            names = [n for n in names if n in RECONSTRUCTION_LOGS]
        if self.perceptual_weight:
            names.append("perceptual" if self.uses_vgg else "feature_matching")
        if self.adaptive_adversarial:
            names.append("adv_weight")
        return names

    def update_trackers(self, values: Mapping[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        """``GAN.update_trackers``; the reconstruction phase logs only its own values (no D or adversarial 0s)."""
        results = super().update_trackers(values)
        if self.adversarial_active:
            return results
        return {name: value for name, value in results.items() if name in RECONSTRUCTION_LOGS}

    # ------------------------------------------------------------------ exports, callbacks, inference
    def exportables(self, source: Any) -> dict[str, tf.Module]:
        """``restorer`` (the trained G; its EMA copy when on) and, once a GAN phase has run after pretraining,
        ``restorer_psnr`` (the L1-pretrained snapshot; before that it would equal ``restorer``)."""
        channels = source.shape[-1]
        settings = {"channels": channels, "multiple": self.size_multiple, "scale": self.scale,
                    "masked": self.masked, "fill": self.mask_fill}
        out = {"restorer": RestorerExport(self.inference_generator, **settings)}
        if self.psnr_generator() is not self.inference_generator:
            out["restorer_psnr"] = RestorerExport(self.psnr_snapshot, **settings)
        return out

    def training_callbacks(self, writer: tf.summary.SummaryWriter, source: Any, config: Any) -> list[Any]:
        """Input/output/target pictures and held-out PSNR/SSIM (``restoration.callbacks.RestorationMonitor``)."""
        from tfgan_apps.restoration.callbacks import RestorationMonitor

        return [RestorationMonitor.from_config(writer, self, source, config)]

    def restore(self, inputs: tf.Tensor, generator: keras.Model | None = None,
                self_ensemble: bool = False) -> tf.Tensor:
        """Restores degraded [-1, 1] images of any size (padding to the size multiple), clipped to [-1, 1].

        ``self_ensemble``: the mean over the 8 rotations / reflections of the input (``restore_images``).
        An inpainting model takes the mask as the inputs' last channel (1 = hole) and returns the composite.
        """
        return restore_images(generator or self.inference_generator, inputs, self.size_multiple, self.scale,
                              self_ensemble, masked=self.masked, fill=self.mask_fill)

    def generate(self, n_or_inputs: int | tf.Tensor, seed: int = 0, training: bool = False) -> tf.Tensor:
        """Restores ``n`` fixed validation crops (seeded; held-out photos when configured) or given inputs."""
        if isinstance(n_or_inputs, int):
            from tfgan_apps.data.paired import validation_crops

            n_or_inputs, _ = validation_crops(self.data_config, self.data_source, self.degradation, n_or_inputs,
                                              seed)
        return self.restore(n_or_inputs)
