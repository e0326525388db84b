"""Data sources and the shared pipeline: shapes, ranges, determinism, exact resume, bad inputs."""

import logging as pylogging
import os

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from tests.conftest import tiny_config
from tfgan_apps.data import load_source, make_dataset
from tfgan_apps.errors import ConfigError, DataError


def first_batches(source, n, **kwargs):
    return [b["x"].numpy() for b in make_dataset(source, 8, **kwargs).take(n)]


@pytest.mark.parametrize(
    "source, shape",
    [("digits", (16, 16, 1)), ("lfw", (16, 16, 1)), ("photos", (16, 16, 1)), ("mog_ring", (2,)),
     ("mog_grid", (2,)), ("signals_1d", (16, 1))],
)
def test_sources_shapes_and_range(source, shape):
    cfg = tiny_config(data__source=source).data
    src = load_source(cfg)
    assert src.shape == shape
    batch = next(iter(make_dataset(src, 8)))
    x = batch["x"].numpy()
    assert x.shape == (8, *shape) and x.dtype == np.float32
    if src.kind in ("image", "signal"):
        assert x.min() >= -1 and x.max() <= 1
    if src.kind == "image":
        assert x.std() > 0.05


def test_rgb_photos_and_labels():
    src = load_source(tiny_config(data__source="photos:astronaut,coffee", data__channels=3).data)
    assert src.shape == (16, 16, 3)
    digits = load_source(tiny_config().data)
    batch = next(iter(make_dataset(digits, 8)))
    assert batch["label"].shape == (8,) and digits.num_classes == 10


def test_lfw_is_the_faces_and_lfw_all_the_labelled_mixture():
    from skimage.data import lfw_subset

    faces = load_source(tiny_config(data__source="lfw").data)
    everything = load_source(tiny_config(data__source="lfw:all").data)
    assert faces.size == 100 and faces.num_classes == 0
    assert everything.size == 200 and everything.num_classes == 2
    np.testing.assert_array_equal(everything.labels, [1] * 100 + [0] * 100)
    np.testing.assert_array_equal(faces.examples(), everything.examples()[:100])
    # The subset's two halves differ (faces first, then non-face patches): their mean images are apart.
    raw = lfw_subset()
    assert np.abs(raw[:100].mean(0) - raw[100:].mean(0)).mean() > 0.05
    batch = next(iter(make_dataset(faces, 8)))
    assert "label" not in batch
    with pytest.raises(ConfigError, match="unknown LFW part 'faces'"):
        load_source(tiny_config(data__source="lfw:faces").data)


def test_every_bundled_photo_loads_offline_as_rgb_in_unit_range():
    from tfgan_apps.data.bundled import BUNDLED_PHOTOS, load_photo

    for name in BUNDLED_PHOTOS:
        photo = load_photo(name)
        assert photo.ndim == 3 and photo.shape[2] == 3 and min(photo.shape[:2]) >= 172, name
        assert photo.dtype == np.float32 and 0.0 <= photo.min() < photo.max() <= 1.0, name
    # scikit-learn's sample JPEGs are distinct photos, not copies of scikit-image's.
    assert load_photo("china").shape == load_photo("flower").shape == (427, 640, 3)
    assert not np.allclose(load_photo("china"), load_photo("flower"))
    with pytest.raises(ConfigError, match="unknown bundled photo 'lena'"):
        load_photo("lena")


def test_mixture_matches_centres_and_std():
    src = load_source(tiny_config(data__source="mog_grid").data)
    x = next(iter(make_dataset(src, 5000)))["x"].numpy()
    d = np.linalg.norm(x[:, None] - src.info["centers"][None], axis=-1)
    assert len(src.info["centers"]) == 25 and set(np.unique(src.info["centers"])) == {-4, -2, 0, 2, 4}
    np.testing.assert_allclose(d.min(1).mean(), 0.05 * np.sqrt(np.pi / 2), rtol=0.05)  # Rayleigh mean
    assert len(np.unique(d.argmin(1))) == 25


@pytest.mark.parametrize("source", ["digits", "photos", "mog_ring", "signals_1d"])
def test_same_seed_same_batches_and_exact_resume(source):
    src = load_source(tiny_config(data__source=source).data)
    run = first_batches(src, 6, seed=3)
    again = first_batches(src, 6, seed=3)
    other = first_batches(src, 1, seed=4)
    resumed = first_batches(src, 2, seed=3, start_step=4)
    for a, b in zip(run, again):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(run[0], other[0])
    np.testing.assert_array_equal(resumed[0], run[4])
    np.testing.assert_array_equal(resumed[1], run[5])


def test_epochs_visit_every_example_once():
    src = load_source(tiny_config().data)
    ds = make_dataset(src, 599, seed=0)  # 1797 = 3 × 599
    seen = np.concatenate([b["x"].numpy().reshape(599, -1) for b in ds.take(3)])
    full = src.examples().reshape(1797, -1)
    assert len(np.unique(seen, axis=0)) == len(np.unique(full, axis=0))


def write_images(root):
    os.makedirs(os.path.join(root, "sub", "deeper"))
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (40, 30, 3), np.uint8)).save(os.path.join(root, "a.png"))
    Image.fromarray(rng.integers(0, 255, (20, 20), np.uint8)).save(os.path.join(root, "sub", "b.jpg"))
    Image.fromarray(rng.integers(0, 255, (64, 64, 3), np.uint8)).save(os.path.join(root, "sub", "deeper", "c.bmp"))
    Image.fromarray(rng.integers(0, 255, (10, 12), np.uint8)).convert("P").save(os.path.join(root, "d.gif"))
    with open(os.path.join(root, "notes.txt"), "w") as f:
        f.write("not an image")


def test_folder_recursive_mixed_sizes_and_channels(tmp_path):
    write_images(str(tmp_path))
    for channels in (1, 3):
        src = load_source(tiny_config(data__source=f"folder:{tmp_path}", data__channels=channels).data)
        assert src.size == 4 and src.shape == (16, 16, channels)


def test_folder_corrupt_file_named_or_skipped(tmp_path, caplog):
    write_images(str(tmp_path))
    bad = tmp_path / "sub" / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n this is not really a png")
    with pytest.raises(DataError, match="broken.png.*skip_corrupt"):
        load_source(tiny_config(data__source=f"folder:{tmp_path}").data)
    with caplog.at_level(pylogging.WARNING):
        src = load_source(tiny_config(data__source=f"folder:{tmp_path}", data__skip_corrupt=True).data)
    assert src.size == 4
    assert "skipped 1 corrupt" in caplog.text


def test_folder_errors(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_source(tiny_config(data__source=f"folder:{tmp_path}/missing").data)
    with pytest.raises(DataError, match="holds no png"):
        load_source(tiny_config(data__source=f"folder:{tmp_path}").data)


def test_unknown_source_lists_choices():
    with pytest.raises(ConfigError, match="unknown data source 'nope'; valid choices: .*digits.*folder"):
        load_source(tiny_config(data__source="nope").data)
    with pytest.raises(ConfigError, match="unknown bundled photo"):
        load_source(tiny_config(data__source="photos:nope").data)


def test_tfds_source_with_mock_data():
    import tensorflow_datasets as tfds

    with tfds.testing.mock_data(num_examples=20):
        src = load_source(tiny_config(data__source="tfds:mnist:train").data)
    assert src.size == 20 and src.shape == (16, 16, 1) and src.num_classes == 10
    batch = next(iter(make_dataset(src, 8)))
    assert batch["x"].shape == (8, 16, 16, 1) and batch["label"].dtype == tf.int32


def test_replica_major_gives_each_replica_its_part_of_every_slice():
    from tfgan_apps.data.pipeline import replica_major

    d_steps, replicas, rows = 3, 2, 4  # 3 slices of a global 4-row batch, 2 replicas of 2 rows
    batch = {"x": tf.reshape(tf.range(d_steps * rows * 2, dtype=tf.float32), [d_steps * rows, 2]),
             "label": tf.range(d_steps * rows)}
    out = replica_major(batch, d_steps, replicas)
    labels = out["label"].numpy()
    for r, block in enumerate(np.split(labels, replicas)):  # what tf.distribute hands replica r
        for i, part in enumerate(np.split(block, d_steps)):  # what the model's tf.split gives D update i
            np.testing.assert_array_equal(part, np.arange(i * rows + r * 2, i * rows + r * 2 + 2))
    np.testing.assert_array_equal(out["x"].numpy()[:, 0], labels * 2)  # rows move whole
    assert replica_major(batch, 1, 4) is batch and replica_major(batch, 3, 1) is batch


def test_batch_must_divide_among_replicas_and_d_steps():
    with pytest.raises(ConfigError, match="not divisible by d_steps × replicas"):
        make_dataset(load_source(tiny_config().data), 10, d_steps=2, replicas=3)


def test_dihedral_flips_apply_one_of_eight_transforms_to_both_tensors():
    from tfgan_apps.data.augment import random_flips

    x = tf.reshape(tf.range(2 * 3 * 3, dtype=tf.float32), [2, 3, 3, 1])
    batch = tf.tile(x[:1], [64, 1, 1, 1])
    base = x[0, :, :, 0].numpy()
    dihedral = [np.rot90(base, k) for k in range(4)] + [np.rot90(base.T, k) for k in range(4)]
    seed = tf.constant([3, 4], tf.int64)
    a, b = random_flips([batch, batch * 2], seed, dihedral=True)
    seen = set()
    for i in range(64):
        got = a[i, :, :, 0].numpy()
        match = [k for k, d in enumerate(dihedral) if np.array_equal(got, d)]
        assert len(match) == 1
        seen.add(match[0])
        np.testing.assert_array_equal(b[i, :, :, 0].numpy(), 2 * got)  # the pair gets the same transform
    assert len(seen) == 8
    # Without dihedral only horizontal flips, and the same flips as the dihedral run's first coin.
    (plain,) = random_flips([batch], seed)
    for i in range(64):
        got = plain[i, :, :, 0].numpy()
        assert np.array_equal(got, base) or np.array_equal(got, base[:, ::-1])


def test_photos_source_with_dihedral_keeps_shape_and_range():
    config = tiny_config(data__source="photos", data__channels=3, data__dihedral=True)
    config.data.photos = ("astronaut", "motorcycle")
    source = load_source(config.data)
    out = source.load(tf.range(8, dtype=tf.int64), tf.zeros([8], tf.int64), tf.constant([1, 2], tf.int64))["x"]
    assert out.shape == (8, 16, 16, 3)
    assert -1.0 <= float(tf.reduce_min(out)) and float(tf.reduce_max(out)) <= 1.0
