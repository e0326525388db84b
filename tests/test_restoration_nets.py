"""Tests of the restoration networks: U-Net, PatchGAN, SRResNet, SRGAN discriminator, residual denoiser."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgan_apps.errors import ConfigError
from tfgan_apps.nets import build_network
from tfgan_apps.nets.patchgan import patchgan, patchgan_receptive_field
from tfgan_apps.nets.residual import residual_denoiser
from tfgan_apps.nets.srresnet import BicubicUpsample, srgan_discriminator, srresnet
from tfgan_apps.nets.unet import unet
from tfgan_apps.registry import DISCRIMINATORS, GENERATORS

DYNAMIC = (None, None, 3)


def _x(h: int, w: int, c: int = 3, batch: int = 2, seed: int = 0) -> tf.Tensor:
    return tf.random.stateless_uniform([batch, h, w, c], [seed, 1], -1.0, 1.0)


def test_registered_builders():
    for name in ("unet", "srresnet", "residual_denoiser"):
        assert name in GENERATORS
    for name in ("patchgan", "srgan"):
        assert name in DISCRIMINATORS
    g = build_network(
        GENERATORS, {"type": "unet", "width": 4, "depth": 2}, input_shape=(8, 8, 3)
    )
    assert g.output_shape == (None, 8, 8, 3)


def test_unet_dynamic_shapes_and_range():
    model = unet(DYNAMIC, out_channels=1, width=4, depth=3)
    for h, w in ((16, 16), (24, 40)):
        y = model(_x(h, w))
        assert y.shape == (2, h, w, 1)
        assert np.abs(y.numpy()).max() <= 1.0


def test_unet_gradient_reaches_input():
    model = unet((16, 16, 3), width=4, depth=3, dropout=0.5)
    x = _x(16, 16)
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.reduce_sum(model(x, training=True))
    assert np.abs(tape.gradient(loss, x).numpy()).max() > 0


def test_unet_non_divisible_static_size_raises():
    with pytest.raises(ConfigError, match="divisible by 16"):
        unet((40, 32, 3), depth=4)


def test_patchgan_receptive_field_formula():
    assert patchgan_receptive_field(3) == 70
    assert [patchgan_receptive_field(n) for n in (1, 2, 4)] == [16, 34, 142]


def test_patchgan_dynamic_shapes_and_spectral_norm():
    model = patchgan(DYNAMIC, width=4, spectral_norm=True)
    for h, w in ((32, 32), (48, 64)):
        y = model([_x(h, w), _x(h, w, seed=1)])
        assert y.shape == (2, h // 8, w // 8, 1)
    assert patchgan((32, 32, 3), conditional=False, width=4, n_layers=2)(
        _x(32, 32)
    ).shape == (2, 8, 8, 1)


def test_patchgan_receptive_field_empirical():
    size = 160
    model = patchgan((size, size, 3), width=4, n_layers=3, norm="none")
    cond, image = _x(size, size, batch=1), _x(size, size, batch=1, seed=1)
    with tf.GradientTape() as tape:
        tape.watch([cond, image])
        logits = model([cond, image])
        centre = logits[0, 10, 10, 0]
    grads = tape.gradient(centre, [cond, image])
    mask = sum(np.abs(g.numpy()[0]).sum(-1) for g in grads) > 0
    rows, cols = np.nonzero(mask.any(1))[0], np.nonzero(mask.any(0))[0]
    assert rows.max() - rows.min() + 1 == 70
    assert cols.max() - cols.min() + 1 == 70


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_srresnet_upscales_any_size(scale):
    model = srresnet(DYNAMIC, scale=scale, width=8, n_blocks=1, res_scale=0.1)
    for h, w in ((6, 6), (5, 9)):
        assert model(_x(h, w)).shape == (2, h * scale, w * scale, 3)


def test_srresnet_rejects_bad_scale():
    with pytest.raises(ConfigError, match="2, 3 or 4"):
        srresnet(DYNAMIC, scale=8)


def test_srgan_discriminator_any_size():
    model = srgan_discriminator(DYNAMIC, width=4)
    for h, w in ((16, 16), (40, 24)):
        assert model(_x(h, w)).shape == (2, 1)
    with pytest.raises(ConfigError, match=">= 16"):
        srgan_discriminator((8, 32, 3))


def test_residual_denoiser_identity_with_zero_last_kernel():
    model = residual_denoiser(DYNAMIC, width=8, depth=4)
    last = model.get_layer("noise")
    last.kernel.assign(tf.zeros_like(last.kernel))
    for h, w in ((12, 12), (9, 17)):
        x = _x(h, w)
        y = model(x, training=False)
        assert y.shape == x.shape
        np.testing.assert_array_equal(y.numpy(), x.numpy())


def test_outputs_float32_under_mixed_precision():
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        models = [
            unet(DYNAMIC, width=4, depth=2),
            srresnet(DYNAMIC, scale=2, width=4, n_blocks=1),
            residual_denoiser(DYNAMIC, width=4, depth=3),
            srgan_discriminator(DYNAMIC, width=4, depth=1),
            patchgan(DYNAMIC, width=4, n_layers=1, spectral_norm=True),
        ]
    finally:
        keras.mixed_precision.set_global_policy("float32")
    for model in models:
        assert all(out.dtype == "float32" for out in tf.nest.flatten(model.outputs)), (
            model.name
        )


def test_generators_trace_with_unknown_spatial_size():
    """A tf.function with a [None, None, None, C] signature is what a SavedModel for any H, W needs."""
    spec = tf.TensorSpec([None, None, None, 3], tf.float32)
    for model, scale in (
        (srresnet(DYNAMIC, scale=2, width=4, n_blocks=1, skip="bicubic"), 2),
        (unet(DYNAMIC, width=4, depth=2), 1),
        (residual_denoiser(DYNAMIC, width=4, depth=3), 1),
    ):
        fn = tf.function(
            lambda x, m=model: m(x, training=False), input_signature=[spec]
        )
        assert fn(_x(8, 12, batch=1)).shape == (1, 8 * scale, 12 * scale, 3)


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_bicubic_skip_is_tf_bicubic_inside_and_compiles_with_xla(scale):
    """The untrained SRResNet with the bicubic skip (zero last conv) is bicubic upsampling; XLA gives the same."""
    model = srresnet(DYNAMIC, scale=scale, width=4, n_blocks=1, skip="bicubic")
    x = _x(10, 7, seed=3)
    expected = tf.image.resize(x, (10 * scale, 7 * scale), method="bicubic").numpy()
    inside = (slice(None), slice(2 * scale, -2 * scale), slice(2 * scale, -2 * scale))  # TF clamps, we reflect
    tolerance = 1e-5 if scale != 3 else 2e-3  # TF's bicubic quantises its weight table (1024 entries)
    for out in (model(x, training=False), tf.function(lambda t: model(t, training=False), jit_compile=True)(x)):
        np.testing.assert_allclose(out.numpy()[inside], expected[inside], atol=tolerance)
    # At the border it reflects the image: a constant image stays constant, whatever its size.
    for h, w in ((5, 6), (1, 2)):
        np.testing.assert_allclose(BicubicUpsample(scale)(tf.fill([1, h, w, 3], 0.3)).numpy(), 0.3, atol=1e-6)


def test_residual_unet_starts_as_the_identity():
    model = unet(DYNAMIC, width=4, depth=2, residual=True)
    x = _x(8, 12) * 1.5  # unbounded: no tanh
    np.testing.assert_array_equal(model(x, training=False).numpy(), x.numpy())
    with pytest.raises(ConfigError, match="residual unet needs out_channels"):
        unet(DYNAMIC, out_channels=1, residual=True)


def test_direct_upsampler_runs_every_conv_at_low_resolution():
    model = srresnet(DYNAMIC, scale=4, width=4, n_blocks=1, skip="bicubic", upsampler="direct")
    assert model(_x(5, 7)).shape == (2, 20, 28, 3)
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert [c.name for c in convs][-1] == "conv_last" and convs[-1].filters == 3 * 16
    assert all(c.output.shape[1] is None for c in convs)  # any size
    with pytest.raises(ConfigError, match="upsampler"):
        srresnet(DYNAMIC, upsampler="nearest")

