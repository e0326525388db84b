"""Face checks of benchmarks/faces.py and metrics.nearest.nearest_distances (memorisation of the 100 faces)."""

from __future__ import annotations

import os
from types import ModuleType

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from tests.conftest import ROOT, import_path
from tfgan_apps.errors import DataError
from tfgan_apps.metrics import nearest

PATH = os.path.join(ROOT, "benchmarks", "faces.py")


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    """The benchmark script imported from its path."""
    return import_path(PATH, "bench_faces")


@pytest.fixture(scope="module")
def faces(bench: ModuleType) -> tuple[np.ndarray, np.ndarray, object]:
    """(lfw:all images, labels, the fitted FaceRater), built once for the module."""
    images, labels = bench.face_arrays()
    return images, labels, bench.FaceRater(images, labels)


def test_nearest_distances_match_brute_force() -> None:
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(37, 5)), rng.normal(size=(23, 5))
    np.testing.assert_allclose(nearest.nearest_distances(x, y), cdist(y, x).min(axis=1), rtol=1e-6)
    d = cdist(x, x)
    np.fill_diagonal(d, np.inf)
    np.testing.assert_allclose(nearest.nearest_distances(x, x, exclude_self=True), d.min(axis=1), rtol=1e-6)


def test_nearest_distance_of_a_copy_is_zero_and_exclude_self_needs_the_same_set() -> None:
    x = np.random.default_rng(1).normal(size=(10, 4)).astype(np.float32)
    assert np.allclose(nearest.nearest_distances(x, x[3:5]), 0.0, atol=1e-3)
    with pytest.raises(DataError, match="exclude_self"):
        nearest.nearest_distances(x, x[:4], exclude_self=True)


def test_face_arrays_are_lfw_all(faces) -> None:
    images, labels, _ = faces
    assert images.shape == (200, 32, 32) and images.min() >= -1 and images.max() <= 1
    assert labels.tolist() == [1] * 100 + [0] * 100


def test_face_rater_separates_faces_and_rejects_noise_and_blank(faces) -> None:
    images, labels, rater = faces
    assert rater.accuracy >= 0.9 and rater.real_rate >= 0.9
    rng = np.random.default_rng(0)
    assert rater.rate(rng.uniform(-1, 1, (20, 32, 32))) == 0.0  # HOG alone calls noise a face
    assert rater.rate(np.zeros((5, 32, 32))) == 0.0
    assert rater.rate(images[:100]) >= 0.9


def test_memorisation_flags_copies_of_training_faces(bench: ModuleType, faces) -> None:
    images, labels, _ = faces
    faces = images[labels == 1]
    copies = bench.memorisation(faces[:20], faces)
    assert copies["nn_median"] == 0.0 and copies["copies"] == 1.0
    noise = bench.memorisation(np.random.default_rng(0).uniform(-1, 1, (20, 32, 32)), faces)
    assert noise["copies"] == 0.0 and noise["nn_median"] > noise["nn_real_median"] > 0


def test_score_and_picture(bench: ModuleType, faces, tmp_path) -> None:
    images, labels, rater = faces
    faces = images[labels == 1][..., None]
    s = bench.score(faces[:50], faces, rater)
    assert set(s) == {"kid", "kid_real", "face_rate", "nn_median", "nn_real_median", "copies"}
    assert s["kid"] * 1e3 < 20 and s["face_rate"] >= 0.9
    path = bench.save_picture(faces[:16], "sixteen faces", str(tmp_path / "f.png"), scale=2, cols=4)
    from PIL import Image

    width, height = Image.open(path).size
    assert width == 4 * (64 + 2) + 2 and height == 4 * (64 + 2) + 2 + 18


def test_configure_applies_variant_sets_and_seed(bench: ModuleType) -> None:
    config = bench.configure("dcgan_diffaugment_lfw", {"model.stabilizers.ema": False},
                             [("train.steps", "7"), ("model.stabilizers.diffaugment", "translation")], seed=3)
    assert not config.model.stabilizers.ema and config.train.steps == 7 and config.train.seed == 3
    assert config.model.stabilizers.diffaugment == "translation" and config.data.source == "lfw"
    label, (recipe, fields) = bench.parse_extra("wide|dcgan_lfw|model.generator.width=64")
    config = bench.configure(recipe, fields, [], seed=0)
    assert label == "wide" and config.model.generator.width == 64
