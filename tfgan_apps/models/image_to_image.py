"""Paired image-to-image cGAN for restoration: pix2pix, and SRGAN/ESRGAN-style super-resolution.

One model (``pix2pix``, Isola et al. 2017), generic over the generator
(``unet``, ``residual_denoiser``, ``srresnet``, ...): the batch's ``"input"`` (the
degraded image) is the condition, ``G(input)`` the restored image, ``"x"`` the
clean target. The generator minimises (pix2pix eq. 4, plus optional terms)::

    L_G = λ_L1·L1(G(y), x) + λ_SSIM·(1 − SSIM) + λ_p·L_perceptual + w·L_adv

* L1 is averaged over pixels; ``content_weight`` λ_L1 = 100 as in pix2pix.
* SSIM: ``ssim_type="ms_ssim"`` uses ``tf.image.ssim_multiscale`` (Wang et al.
  2003), which needs crops ≥ 176 px (11-px window after four 2× reductions);
  smaller crops fall back to single-scale SSIM (Wang et al. 2004) with a
  min(11, side) px window, logged once.
* L_perceptual: VGG19 conv5_4 features *before* the ReLU (ESRGAN, Wang et al.
  2018, §3.3), L1 distance, only when ``vgg_weights`` names a local VGG19
  (``include_top=False``) weights file: a missing file is a ConfigError, never a
  random VGG. Without it the term is discriminator feature matching (pix2pixHD,
  Wang et al. 2018, eq. 4): the mean over D's LeakyReLU activations of
  L1(D_i(y, x), D_i(y, G(y))), real features held constant.
* L_adv: the configured adversarial loss on D(y, G(y)). With
  ``adaptive_adversarial`` its weight is ``w = adversarial_weight · λ`` with
  (VQGAN, Esser et al. 2021, eq. 7)::

      λ = stop_gradient(clip(‖∇_{G_L} L_rec‖ / (‖∇_{G_L} L_adv‖ + 1e-6), 0, 1e4))

  where ``G_L`` is G's last convolution kernel and ``L_rec`` all other terms
  (gradients summed over replicas, so λ is the global-batch value).
* ``adversarial_weight = 0`` skips the discriminator: a pure L1 (PSNR-oriented) model.

The discriminator is the conditional PatchGAN D([y, image]) (the condition is
upsampled bilinearly to the image size when G upsamples), or any
unconditional D (one input, e.g. SRGAN's ``srgan`` on the HR image only, as in
SRGAN/ESRGAN). Each step updates D on (y, x) vs (y, G(y)) and then G against
the updated D, with one G forward pass (as pix2pix's reference code).

Super-resolution (SRGAN, Ledig et al. 2017; ESRGAN): for ``pretrain_steps``
steps G is trained on the reconstruction terms only (D untouched); the phase is
chosen from the step counter before every compiled step (``make_train_function``),
so a resumed run is exact. At step ``pretrain_steps``, before its update, G's
weights (its EMA copy's with ``model.stabilizers.ema``) are copied into ``psnr_snapshot`` (checkpointed): the
PSNR-oriented model, exported as ``restorer_psnr`` beside the GAN ``restorer``.
``loss="relativistic_average"`` gives ESRGAN's relativistic average GAN
(registered here, see ``relativistic_average_discriminator_loss``).

Exports (``export/restorer``): ``serving_default`` maps uint8 ``[N, H, W, C]`` of
any H, W to uint8 ``[N, s·H, s·W, C]``; inside, the image is padded
(symmetric) to the network's size multiple and the output cropped back.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import keras
import tensorflow as tf
from absl import logging

from tfgan_apps import losses
from tfgan_apps.errors import ConfigError
from tfgan_apps.export import images_to_uint8, signature_function, uint8_to_images
from tfgan_apps.models.base import GAN, replica_info
from tfgan_apps.nets import build_network
from tfgan_apps.registry import DISCRIMINATORS, GENERATORS, LOSSES, MODELS
from tfgan_apps.self_ensemble import self_ensemble as ensemble_mean

MS_SSIM_MIN_SIDE = 176  # 11-px window after four 2× reductions (5 scales)
VGG_MEAN_BGR = (103.939, 116.779, 123.68)


# ----------------------------------------------------------------------------- relativistic average GAN


relativistic_average_discriminator_loss = losses.relativistic_average_discriminator_loss
relativistic_average_generator_loss = losses.relativistic_average_generator_loss


def generator_needs_real(loss: losses.AdversarialLoss) -> bool:
    """True when a loss family's generator term takes the real outputs too (relativistic losses)."""
    return len(inspect.signature(loss.generator).parameters) >= 2


def takes_batch_means(fn: Callable[..., tf.Tensor]) -> bool:
    """True when a loss function accepts precomputed ``real_mean`` / ``fake_mean`` (relativistic average)."""
    return {"real_mean", "fake_mean"} <= set(inspect.signature(fn).parameters)


# ----------------------------------------------------------------------------- image helpers


def _symmetric_indices(size: tf.Tensor, length: tf.Tensor) -> tf.Tensor:
    """Indices 0..length−1 into an axis of ``size`` extended by whole-sample symmetric reflection (any length)."""
    j = tf.range(length) % (2 * size)
    return tf.where(j < size, j, 2 * size - 1 - j)


def pad_to_multiple(images: tf.Tensor, multiple: int) -> tf.Tensor:
    """Pads ``[N, H, W, C]`` at the bottom/right by symmetric reflection so H and W are multiples of ``multiple``."""
    if multiple <= 1:
        return images
    shape = tf.shape(images)
    padded = [(shape[i] + multiple - 1) // multiple * multiple for i in (1, 2)]
    images = tf.gather(images, _symmetric_indices(shape[1], padded[0]), axis=1)
    return tf.gather(images, _symmetric_indices(shape[2], padded[1]), axis=2)


def restore_images(generator: keras.Model, images: tf.Tensor, multiple: int = 1, scale: int = 1,
                   self_ensemble: bool = False) -> tf.Tensor:
    """G on images of any size: pad to ``multiple``, run in inference mode, crop to ``scale``× the input, clip.

    ``self_ensemble`` averages G over the 8 rotations / reflections of the input
    (``tfgan_apps.self_ensemble``, EDSR+): 8× the compute, usually a little more PSNR.
    """
    images = tf.convert_to_tensor(images, tf.float32)

    def run(x: tf.Tensor) -> tf.Tensor:
        shape = tf.shape(x)
        out = generator(pad_to_multiple(x, multiple), training=False)
        return tf.cast(out, tf.float32)[:, : shape[1] * scale, : shape[2] * scale]

    out = ensemble_mean(run, images) if self_ensemble else run(images)
    return tf.clip_by_value(out, -1.0, 1.0)


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


def vgg_feature_fn(weights_path: str) -> Callable[[tf.Tensor], tf.Tensor]:
    """VGG19 conv5_4 pre-activation features of [-1, 1] RGB images, from a LOCAL weights file (ESRGAN §3.3).

    Raises ConfigError if the file does not exist or does not fit VGG19 (``include_top=False``).
    """
    path = os.path.expanduser(weights_path)
    if not os.path.isfile(path):
        raise ConfigError(
            f"model.vgg_weights={weights_path!r} does not exist; give a local VGG19 weights file "
            "(e.g. vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5 from ~/.keras/models on a machine with "
            "internet), or set model.vgg_weights='' to use discriminator feature matching instead"
        )
    try:
        vgg = keras.applications.VGG19(include_top=False, weights=path, input_shape=(None, None, 3))
    except (ValueError, OSError) as err:
        raise ConfigError(f"cannot load VGG19 weights from {path!r}: {str(err)[:200]}") from None
    vgg.trainable = False
    body = keras.Model(vgg.input, vgg.get_layer("block5_conv3").output, name="vgg19_to_conv5_3")
    conv54 = vgg.get_layer("block5_conv4")

    def features(images: tf.Tensor) -> tf.Tensor:
        x = tf.cast(images, tf.float32)
        if x.shape[-1] == 1:
            x = tf.repeat(x, 3, axis=-1)
        x = (x + 1.0) * 127.5  # caffe preprocessing: 0–255 BGR minus the ImageNet mean
        x = tf.reverse(x, axis=[-1]) - tf.constant(VGG_MEAN_BGR)
        h = body(x, training=False)
        return tf.nn.bias_add(tf.nn.conv2d(h, conv54.kernel, 1, "SAME"), conv54.bias)

    features.model = body  # keeps the network alive / inspectable
    return features


# ----------------------------------------------------------------------------- export


class RestorerExport(tf.Module):
    """A restoration generator with its serving signatures.

    * ``serving_default(images: uint8 [N, H, W, C])`` → ``{"restored": uint8 [N, s·H, s·W, C]}``
    * ``restore_float(images: float32 [N, H, W, C] in [-1, 1])`` → ``{"restored": float32 in [-1, 1]}``
      (unquantised, for tiled inference)
    * ``info()`` → ``{"scale": int32, "multiple": int32}``
    Any H, W: the image is padded to ``multiple`` inside and the output cropped back.
    """

    def __init__(self, generator: keras.Model, channels: int, multiple: int, scale: int) -> None:
        super().__init__(name="restorer_export")
        self.generator = generator
        self.multiple, self.scale = int(multiple), int(scale)
        spec = [None, None, None, channels]
        self.serve = signature_function(self._serve, tf.TensorSpec(spec, tf.uint8, "images"))
        self.restore_float = signature_function(self._float, tf.TensorSpec(spec, tf.float32, "images"))
        self.info = tf.function(self._info, input_signature=[])

    def _float(self, images: tf.Tensor) -> dict[str, tf.Tensor]:
        return {"restored": restore_images(self.generator, images, self.multiple, self.scale)}

    def _serve(self, images: tf.Tensor) -> dict[str, tf.Tensor]:
        x = uint8_to_images(images)
        return {"restored": images_to_uint8(self._float(x)["restored"])}

    def _info(self) -> dict[str, tf.Tensor]:
        return {"scale": tf.constant(self.scale, tf.int32), "multiple": tf.constant(self.multiple, tf.int32)}

    def signatures(self) -> dict[str, Any]:
        """The concrete functions to save as signatures."""
        return {
            "serving_default": self.serve.get_concrete_function(),
            "restore_float": self.restore_float.get_concrete_function(),
            "info": self.info.get_concrete_function(),
        }


# ----------------------------------------------------------------------------- model


@MODELS.register("pix2pix")
class ImageToImage(GAN):
    """Conditional GAN on (degraded input, clean target) pairs; see the module docstring for the losses.

    Args (beyond ``GAN``'s; config ``model.<name>``):
      content_weight: λ of the L1 term (pix2pix: 100).
      adversarial_weight: weight of G's adversarial term; 0 = pure L1 model, no D updates.
      ssim_weight: weight of (1 − SSIM); ``ssim_type`` ``ssim`` or ``ms_ssim``.
      perceptual_weight: weight of the VGG perceptual term (``vgg``) or, without VGG,
        of D feature matching; part of the adversarial phase only.
      vgg: features function from ``vgg_feature_fn`` (config ``model.vgg_weights``), or None.
      adaptive_adversarial: scale the adversarial term by the gradient-norm ratio λ.
      pretrain_steps: reconstruction-only steps before the adversarial phase.
      size_multiple: sides G accepts are multiples of this (U-Net: 2^depth).
    """

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
        **kwargs: Any,
    ) -> None:
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
        super().__init__(generator, discriminator, latent_dim, **kwargs)
        if self.stabilizers.packing is not None or self.stabilizers.replay is not None:
            raise ConfigError("pix2pix supports the ema, diffaugment and instance_noise stabilizers, "
                              "not packing or replay")
        self.vgg = vgg
        self._condition: tf.Tensor | None = None
        self.size_multiple = int(size_multiple)
        self.scale = 1
        self.conditional = len(discriminator.inputs) == 2
        self.needs_real = generator_needs_real(self.adversarial)
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
        self.phase = "adversarial" if self.adversarial_weight else "reconstruction"

    # ------------------------------------------------------------------ building
    @classmethod
    def from_settings(cls, config: Any, source: Any, sync_batchnorm: bool = False) -> ImageToImage:
        """Builds the model, then attaches the data settings it needs (degradation, held-out images, scale)."""
        model = super().from_settings(config, source, sync_batchnorm)
        model.attach_data(config.data, source)
        return model

    @classmethod
    def build_networks(cls, model_cfg: Any, source: Any, sync_batchnorm: bool) -> tuple[keras.Model, keras.Model]:
        """G and D as fully convolutional networks over any H, W (``(None, None, C)`` inputs)."""
        channels = source.shape[-1]
        any_size = (None, None, channels)
        generator = build_network(GENERATORS, model_cfg.generator, input_shape=any_size,
                                  sync_batchnorm=sync_batchnorm)
        discriminator = build_network(DISCRIMINATORS, model_cfg.discriminator, input_shape=any_size,
                                      sync_batchnorm=sync_batchnorm)
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
        }

    def attach_data(self, data_cfg: Any, source: Any) -> None:
        """Reads the degradation, checks that G maps training inputs to target-sized images and sets ``scale``."""
        from tfgan_apps.data.degradations import build_degradation

        spec = data_cfg.get("degradation", None)
        self.degradation = build_degradation(spec) if spec else None
        self.data_config, self.data_source = data_cfg, source
        target = tuple(source.shape)
        if "input_shape" in source.info:
            input_shape = tuple(source.info["input_shape"])
        elif self.degradation is not None:
            input_shape = tuple(self.degradation(tf.zeros((1, *target)), tf.constant([0, 0])).shape[1:])
        else:
            raise ConfigError("pix2pix needs paired data (source='paired_folder:IN,TARGET') or "
                              "config.data.degradation (e.g. {'type': 'gaussian_noise', 'sigma': 25})")
        for side in input_shape[:2]:
            if side % self.size_multiple:
                raise ConfigError(f"training inputs are {input_shape[0]}×{input_shape[1]} px but the generator "
                                  f"needs multiples of {self.size_multiple}: change data.image_size or the depth")
        out = self.generator(tf.zeros((1, *input_shape)), training=False).shape
        if tuple(out[1:]) != target:
            raise ConfigError(f"the generator maps {input_shape} inputs to {tuple(out[1:])}, but targets are "
                              f"{target}: make its scale match the degradation / data.scale")
        self.scale = target[0] // input_shape[0]

    def checkpoint_items(self) -> dict[str, Any]:
        """Adds the PSNR-oriented generator snapshot when there is a pretraining phase."""
        items = super().checkpoint_items()
        if self.psnr_snapshot is not None:
            items["psnr_generator"] = self.psnr_snapshot
        return items

    def psnr_generator(self) -> keras.Model:
        """The PSNR-oriented generator: its end-of-pretraining snapshot, or while pretraining has not ended the
        current G (its EMA copy when ``model.stabilizers.ema`` is on)."""
        if self.psnr_snapshot is None or int(self.step.numpy()) <= self.pretrain_steps:
            return self.inference_generator
        return self.psnr_snapshot

    def exportables(self, source: Any) -> dict[str, tf.Module]:
        """``restorer`` (the trained G; its EMA copy when on) and, with pretraining, ``restorer_psnr`` (L1-only G)."""
        channels = source.shape[-1]
        out = {"restorer": RestorerExport(self.inference_generator, channels, self.size_multiple, self.scale)}
        if self.psnr_snapshot is not None:
            out["restorer_psnr"] = RestorerExport(self.psnr_generator(), channels, self.size_multiple, self.scale)
        return out

    def training_callbacks(self, writer: tf.summary.SummaryWriter, source: Any, config: Any) -> list[Any]:
        """Input/output/target pictures and held-out PSNR/SSIM (``tfgan_apps.restoration_callbacks``)."""
        from tfgan_apps.restoration_callbacks import RestorationMonitor

        return [RestorationMonitor.from_config(writer, self, source, config)]

    # ------------------------------------------------------------------ inference
    def restore(self, inputs: tf.Tensor, generator: keras.Model | None = None,
                self_ensemble: bool = False) -> tf.Tensor:
        """Restores degraded [-1, 1] images of any size (padding to the size multiple), clipped to [-1, 1].

        ``self_ensemble``: the mean over the 8 rotations / reflections of the input (``restore_images``).
        """
        return restore_images(generator or self.inference_generator, inputs, self.size_multiple, self.scale,
                              self_ensemble)

    def generate(self, n_or_inputs: int | tf.Tensor, seed: int = 0, training: bool = False) -> tf.Tensor:
        """Restores ``n`` fixed validation crops (seeded; held-out photos when configured) or given inputs."""
        if isinstance(n_or_inputs, int):
            from tfgan_apps.data.paired import validation_crops

            n_or_inputs, _ = validation_crops(self.data_config, self.data_source, self.degradation, n_or_inputs,
                                              seed)
        return self.restore(n_or_inputs)

    # ------------------------------------------------------------------ metrics
    def tracker_names(self) -> list[str]:
        """The base names plus l1, ssim, psnr (on the batch) and the active perceptual / adaptive terms
        (only g_loss, l1, ssim, psnr for a pure reconstruction model)."""
        names = [*super().tracker_names(), "l1", "ssim", "psnr"]
        if not self.adversarial_weight:  # no discriminator terms in a pure reconstruction model
            names = [n for n in names if n in ("g_loss", "l1", "ssim", "psnr")]
        if self.perceptual_weight:
            names.append("perceptual" if self.uses_vgg else "feature_matching")
        if self.adaptive_adversarial:
            names.append("adv_weight")
        return names

    # ------------------------------------------------------------------ training
    def pair_input(self, condition: tf.Tensor, image: tf.Tensor, salt: int) -> tf.Tensor | list[tf.Tensor]:
        """D's input: ``[condition, image]`` (condition resized bilinearly if G upsamples) or the image alone.

        Input-side stabilizers (``GAN.d_input``: DiffAugment, instance noise) are applied to the
        channel-stacked pair, so geometric augmentations keep condition and image aligned.
        """
        if not self.conditional:
            return self.d_input(image, salt)
        if self.scale > 1:
            condition = tf.image.resize(condition, tf.shape(image)[1:3], method="bilinear")  # XLA has no bicubic
        channels = condition.shape[-1]
        both = self.d_input(tf.concat([tf.cast(condition, image.dtype), image], axis=-1), salt)
        return [both[..., :channels], both[..., channels:]]

    @contextmanager
    def conditioned_on(self, condition: tf.Tensor) -> Iterator[None]:
        """Within the block, ``discriminate(x, salt)`` (used by the base penalties) conditions D on ``condition``."""
        previous, self._condition = self._condition, condition
        try:
            yield
        finally:
            self._condition = previous

    def discriminate(self, x: tf.Tensor, salt: int, training: bool = True,
                     condition: tf.Tensor | None = None) -> tf.Tensor:
        """D's logits for images ``x`` given the degraded inputs (``condition`` or the ``conditioned_on`` one)."""
        return self.discriminate_features(x, salt, training, condition)[0]

    def discriminate_features(self, x: tf.Tensor, salt: int, training: bool = True,
                              condition: tf.Tensor | None = None) -> list[tf.Tensor]:
        """[logits, *LeakyReLU activations] of D for images ``x`` (one D pass; see ``discriminate``)."""
        condition = self._condition if condition is None else condition
        if condition is None and self.conditional:
            raise ValueError("the conditional discriminator needs the degraded input: pass condition=...")
        return self.d_features(self.pair_input(condition, x, salt), training=training)

    def global_batch_mean(self, logits: tf.Tensor) -> tf.Tensor:
        """Mean over the GLOBAL batch of D's outputs ``[1, ...]`` (summed across replicas, differentiable)."""
        _, replicas = replica_info()
        logits = tf.cast(logits, tf.float32)
        total = tf.reduce_sum(logits, axis=0, keepdims=True)
        if replicas > 1:
            total = tf.distribute.get_replica_context().all_reduce(tf.distribute.ReduceOp.SUM, total)
        return total / tf.cast(tf.shape(logits)[0] * replicas, tf.float32)

    def adversarial_d_loss(self, real_out: tf.Tensor, fake_out: tf.Tensor) -> tf.Tensor:
        """Per-example D loss; relativistic losses get global-batch means so every replica count agrees."""
        if takes_batch_means(self.adversarial.discriminator):
            return self.adversarial.discriminator(real_out, fake_out, real_mean=self.global_batch_mean(real_out),
                                                  fake_mean=self.global_batch_mean(fake_out))
        return self.adversarial.discriminator(real_out, fake_out)

    def adversarial_g_loss(self, fake_out: tf.Tensor, real_out: tf.Tensor | None) -> tf.Tensor:
        """Per-example G loss (with D's real outputs for relativistic losses)."""
        if not self.needs_real:
            return self.adversarial.generator(fake_out)
        if takes_batch_means(self.adversarial.generator):
            return self.adversarial.generator(fake_out, real_out, fake_mean=self.global_batch_mean(fake_out),
                                              real_mean=self.global_batch_mean(real_out))
        return self.adversarial.generator(fake_out, real_out)

    def discriminator_update(self, inputs: tf.Tensor, target: tf.Tensor, fake: tf.Tensor) -> dict[str, tf.Tensor]:
        """One D update: real pairs (y, x) against fake pairs (y, G(y)) (``fake`` carries no gradient).

        Salts follow ``GAN.discriminator_step``: real +32, fake +33, penalties on the real stream.
        """
        with tf.GradientTape() as tape:
            real_out = self.discriminate(target, salt=32, condition=inputs)
            fake_out = self.discriminate(fake, salt=33, condition=inputs)
            terms = {"d_adv": self.global_mean(self.adversarial_d_loss(real_out, fake_out))}
            with self.conditioned_on(inputs):
                terms.update(self.penalty_terms(target, fake, salt=0))
            total = tf.add_n(list(terms.values()))
        self.apply_update(self.d_optimizer, tape, total, self.discriminator.trainable_variables)
        self.apply_constraints()
        return {
            "d_loss": total,
            **terms,
            "d_real": self.global_mean(losses.per_example_mean(real_out)),
            "d_fake": self.global_mean(losses.per_example_mean(fake_out)),
        }

    def reconstruction_terms(self, fake: tf.Tensor, target: tf.Tensor) -> dict[str, tf.Tensor]:
        """``rec`` = λ_L1·L1 + λ_SSIM·(1 − SSIM), and the raw l1 / ssim / psnr values (global-batch means)."""
        fake = tf.cast(fake, tf.float32)
        l1 = self.global_mean(losses.per_example_mean(tf.abs(fake - target)))
        ssim = ssim_per_example(fake, target, self.multiscale_ssim)
        psnr = self.global_mean(psnr_per_example(tf.clip_by_value(fake, -1.0, 1.0), target))
        rec = self.content_weight * l1
        if self.ssim_weight:
            rec += self.ssim_weight * self.global_mean(1.0 - ssim)
        return {"rec": rec, "l1": l1, "ssim": self.global_mean(ssim), "psnr": psnr}

    def adversarial_terms(self, inputs: tf.Tensor, target: tf.Tensor, fake: tf.Tensor) -> dict[str, tf.Tensor]:
        """G's adversarial term and the perceptual / feature-matching term against the current D."""
        fake_all = self.discriminate_features(fake, salt=34, condition=inputs)
        terms = {}
        real_all = None
        if self.needs_real or (self.perceptual_weight and not self.uses_vgg):
            # Same salt as the fake pass: equal stabilizer draws, so features are compared like for like.
            real_all = [tf.stop_gradient(t) for t in self.discriminate_features(target, salt=34, condition=inputs)]
        terms["g_adv"] = self.global_mean(self.adversarial_g_loss(fake_all[0], real_all[0] if real_all else None))
        if self.perceptual_weight and self.uses_vgg:
            per_example = losses.per_example_mean(tf.abs(self.vgg(fake) - tf.stop_gradient(self.vgg(target))))
            terms["perceptual"] = self.global_mean(per_example)
        elif self.perceptual_weight:
            per_layer = [losses.per_example_mean(tf.abs(f - r)) for f, r in zip(fake_all[1:], real_all[1:])]
            terms["feature_matching"] = self.global_mean(tf.add_n(per_layer) / len(per_layer))
        return terms

    def adaptive_weight(self, tape: tf.GradientTape, rec: tf.Tensor, adv: tf.Tensor) -> tf.Tensor:
        """VQGAN's λ = ‖∇_{G_L} L_rec‖ / (‖∇_{G_L} L_adv‖ + 1e-6), clipped to [0, 1e4], no gradient.

        The last-layer gradients are summed across replicas first, so λ is the global-batch value.
        """
        with tape.stop_recording():
            grads = [tape.gradient(rec, self.last_kernel), tape.gradient(adv, self.last_kernel)]
            _, replicas = replica_info()
            if replicas > 1:
                grads = tf.distribute.get_replica_context().all_reduce(tf.distribute.ReduceOp.SUM, grads)
            ratio = tf.norm(grads[0]) / (tf.norm(grads[1]) + 1e-6)
        return tf.stop_gradient(tf.clip_by_value(ratio, 0.0, 1e4))

    def reconstruction_step(self, inputs: tf.Tensor, target: tf.Tensor) -> dict[str, tf.Tensor]:
        """A G update on the reconstruction terms only (pretraining / pure L1 model); D untouched."""
        with tf.GradientTape() as tape:
            terms = self.reconstruction_terms(self.generator(inputs, training=True), target)
        self.apply_update(self.g_optimizer, tape, terms["rec"], self.generator.trainable_variables)
        return {**terms, "g_loss": terms["rec"]}

    def adversarial_step(self, inputs: tf.Tensor, target: tf.Tensor) -> dict[str, tf.Tensor]:
        """D update on (y, G(y)), then a G update against the updated D, sharing one G forward pass."""
        with tf.GradientTape(persistent=self.adaptive_adversarial) as tape:
            fake = self.generator(inputs, training=True)
            with tape.stop_recording():
                logs = self.discriminator_update(inputs, target, tf.stop_gradient(fake))
            terms = self.reconstruction_terms(fake, target)
            terms.update(self.adversarial_terms(inputs, target, fake))
            rec = terms.pop("rec") + self.perceptual_weight * terms.get(
                "perceptual", terms.get("feature_matching", 0.0))
            weight = tf.constant(self.adversarial_weight)
            if self.adaptive_adversarial:
                weight *= self.adaptive_weight(tape, rec, terms["g_adv"])
                terms["adv_weight"] = weight
            total = rec + weight * terms["g_adv"]
        self.apply_update(self.g_optimizer, tape, total, self.generator.trainable_variables)
        del tape
        return {**logs, **terms, "g_loss": total}

    def snapshot_psnr_generator(self) -> None:
        """Copies G's weights (BatchNorm statistics included; the EMA copy's when on) into ``psnr_snapshot``."""
        self.psnr_snapshot.set_weights(self.inference_generator.get_weights())

    def degrade(self, target: tf.Tensor) -> tf.Tensor:
        """Degraded inputs for batches without ``"input"`` (seeded by step and replica)."""
        if self.degradation is None:
            raise ConfigError("the batch has no 'input' and config.data.degradation is not set")
        return self.degradation(target, self.replica_seed(7))

    def train_step(self, data: Mapping[str, tf.Tensor]) -> dict[str, tf.Tensor]:
        """A reconstruction-only step or an adversarial step, as ``self.phase`` says (see ``make_train_function``)."""
        target = tf.cast(data["x"], tf.float32)
        inputs = tf.cast(data["input"], tf.float32) if "input" in data else self.degrade(target)
        if self.phase == "reconstruction":
            return self.update_trackers(self.reconstruction_step(inputs, target))
        return self.update_trackers(self.adversarial_step(inputs, target))

    def make_train_function(self, force: bool = False) -> Any:
        """With pretraining: one compiled step per phase, chosen before every call from the step counter.

        ``step < pretrain_steps`` runs the reconstruction step, later steps the
        adversarial one, so the phase is a pure function of the step (exact resume).
        The choice is made in Python rather than with ``tf.cond`` because optimizer
        updates inside a ``tf.cond`` cannot synchronise replicas under MirroredStrategy.
        On entering the adversarial phase (step == pretrain_steps) G is copied to ``psnr_snapshot``.
        """
        if not self.pretrain_steps:
            return super().make_train_function(force)
        if self.train_function is not None and not force:
            return self.train_function
        compiled = {}
        for phase in ("reconstruction", "adversarial"):  # each is traced on its first call, in its phase
            super().make_train_function(force=True)
            compiled[phase] = self.train_function
        per_call = int(getattr(self, "steps_per_execution", 1) or 1)
        if self.pretrain_steps % per_call:
            raise ConfigError(f"model.pretrain_steps ({self.pretrain_steps}) must be a multiple of "
                              f"train.steps_per_execution ({per_call})")

        def train_function(iterator: Any) -> Any:
            step = int(self.step.numpy())
            self.phase = "reconstruction" if step < self.pretrain_steps else "adversarial"
            if step == self.pretrain_steps:
                self.snapshot_psnr_generator()
            return compiled[self.phase](iterator)

        self.train_function = train_function
        return train_function
