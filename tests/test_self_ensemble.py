"""Geometric self-ensemble (EDSR+): the 8 transforms, their inverses, and the mean over them."""

from __future__ import annotations

import itertools

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfgan_apps.nets.srresnet import srresnet
from tfgan_apps.restoration.inference import N_TRANSFORMS, dihedral, restore_images, self_ensemble, undo


def _images(h: int = 5, w: int = 7) -> tf.Tensor:
    return tf.constant(np.random.default_rng(0).normal(size=(2, h, w, 3)), tf.float32)


def _numpy_transforms(x: np.ndarray) -> list[np.ndarray]:
    """The dihedral group of [B, H, W, C] arrays, written independently with np.rot90 / np.flip."""
    out = []
    for base in (x, np.flip(x, axis=2)):
        out += [np.rot90(base, r, axes=(1, 2)) for r in range(4)]
    return out


def test_the_8_transforms_are_the_dihedral_group_and_undo_inverts_each():
    x = _images()
    ours = [dihedral(x, k).numpy() for k in range(N_TRANSFORMS)]
    reference = _numpy_transforms(x.numpy())
    for a, b in itertools.combinations(range(N_TRANSFORMS), 2):
        assert not (ours[a].shape == ours[b].shape and np.array_equal(ours[a], ours[b])), (a, b)
    for t in ours:  # every transform is one of the group's elements, and each element appears once
        assert sum(t.shape == r.shape and np.array_equal(t, r) for r in reference) == 1
    for k in range(N_TRANSFORMS):
        np.testing.assert_array_equal(undo(dihedral(x, k), k).numpy(), x.numpy())
    assert dihedral(x, 4).shape == (2, 7, 5, 3)
    with pytest.raises(ValueError, match="0…7"):
        dihedral(x, 8)


def test_self_ensemble_is_the_mean_of_the_back_transformed_outputs():
    x = _images()
    kernel = tf.constant(np.random.default_rng(1).normal(size=(3, 2, 3, 3)), tf.float32)  # not symmetric

    def restore(images: tf.Tensor) -> tf.Tensor:
        return tf.nn.conv2d(images, kernel, 1, "SAME")

    expected = np.mean([undo(restore(dihedral(x, k)), k).numpy() for k in range(N_TRANSFORMS)], axis=0)
    got = self_ensemble(restore, x).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    assert not np.allclose(got, restore(x).numpy(), atol=1e-3)  # the asymmetric filter is not equivariant
    # An equivariant restorer (pointwise) is returned unchanged.
    np.testing.assert_allclose(self_ensemble(lambda t: 2.0 * t + 1.0, x).numpy(), 2.0 * x.numpy() + 1.0, rtol=1e-6)


def test_restore_images_with_self_ensemble_on_a_super_resolution_net():
    keras.utils.set_random_seed(0)
    generator = srresnet((None, None, 3), scale=2, width=8, n_blocks=1, identity_init=False)
    x = tf.clip_by_value(_images(6, 9), -1.0, 1.0)
    plain = restore_images(generator, x, scale=2).numpy()
    ensembled = restore_images(generator, x, scale=2, self_ensemble=True).numpy()
    assert ensembled.shape == plain.shape == (2, 12, 18, 3)
    manual = np.mean([undo(tf.cast(generator(dihedral(x, k), training=False), tf.float32), k).numpy()
                      for k in range(N_TRANSFORMS)], axis=0)
    np.testing.assert_allclose(ensembled, np.clip(manual, -1.0, 1.0), atol=1e-5)
    assert np.abs(ensembled - plain).max() > 1e-3 and np.abs(ensembled).max() <= 1.0
