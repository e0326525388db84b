"""The anomaly split: normal-only training data, held-out normals + every anomaly in the test set."""

import os

import numpy as np
import pytest
import tensorflow as tf

from tests.conftest import tiny_config
from tfgan_apps.data import load_source
from tfgan_apps.data.anomaly import enabled, labelled_split, load_split
from tfgan_apps.data.source import ArraySource
from tfgan_apps.errors import ConfigError, DataError


def labelled_source(n_per_class=10, classes=4):
    labels = np.repeat(np.arange(classes), n_per_class).astype(np.int32)
    images = (np.arange(len(labels))[:, None, None, None] * np.ones([1, 4, 4, 1])).astype(np.uint8)  # id = pixel
    return ArraySource("toy", "image", images, labels, num_classes=classes)


def ids(x):
    """The example ids encoded in the pixels (uint8 id → float in [-1, 1] → id)."""
    return np.round((np.asarray(x)[:, 0, 0, 0] + 1.0) * 127.5).astype(int)


def test_training_holds_only_normals_and_test_holds_heldout_normals_and_every_anomaly():
    source = labelled_source()
    split = labelled_split(source, anomaly_class=2, normal_classes=(), fraction=0.2, seed=0)
    train_ids, test_ids = ids(split.train.examples()), ids(split.test_x)
    labels = source.labels
    assert set(labels[train_ids]) == {0, 1, 3} and len(train_ids) == 24
    assert not set(train_ids) & set(test_ids)
    assert sorted(test_ids[split.test_y == 1]) == list(np.flatnonzero(labels == 2))  # every anomaly
    normal_test = test_ids[split.test_y == 0]
    assert len(normal_test) == 6 and all(np.sum(labels[normal_test] == k) == 2 for k in (0, 1, 3))
    assert np.array_equal(split.test_class, labels[test_ids])


def test_split_is_a_function_of_the_seed():
    source = labelled_source()
    a, b = (labelled_split(source, 2, (), 0.2, seed=s) for s in (0, 0))
    c = labelled_split(source, 2, (), 0.2, seed=1)
    assert np.array_equal(ids(a.test_x), ids(b.test_x))
    assert not np.array_equal(ids(a.test_x), ids(c.test_x))


def test_classes_neither_normal_nor_anomalous_are_left_out():
    source = labelled_source()
    split = labelled_split(source, anomaly_class=3, normal_classes=(0,), fraction=0.2, seed=0)
    assert set(source.labels[ids(split.train.examples())]) == {0}
    assert set(split.test_class) == {0, 3}


@pytest.mark.parametrize("anomaly, normal, fraction, message", [
    (7, (), 0.2, "anomaly_class must be in"),
    (1, (0, 1), 0.2, "normal_classes must be classes"),
    (1, (), 1.0, "anomaly_heldout must be in"),
])
def test_impossible_choices_are_one_clear_error(anomaly, normal, fraction, message):
    with pytest.raises(ConfigError, match=message):
        labelled_split(labelled_source(), anomaly, normal, fraction)


def test_load_source_trains_on_normal_digits_only():
    config = tiny_config(data__anomaly_class=3)
    source = load_source(config.data)
    assert 3 not in set(source.labels) and source.size == len(source.labels)
    split = load_split(config.data)
    assert split.test_y.sum() == np.sum(split.test_class == 3) > 100


def test_unlabelled_source_with_an_anomaly_class_is_refused():
    config = tiny_config(data__source="mog_ring", data__anomaly_class=0)
    with pytest.raises(ConfigError, match="no labels"):
        load_source(config.data)


def write_pngs(folder, count, value):
    os.makedirs(folder, exist_ok=True)
    for i in range(count):
        image = np.full([8, 8, 1], value + i, np.uint8)
        tf.io.write_file(os.path.join(folder, f"{i}.png"), tf.io.encode_png(image))


def test_folder_with_normal_and_anomalous_subfolders(tmp_path):
    write_pngs(tmp_path / "normal", 10, 0)
    write_pngs(tmp_path / "anomalous", 3, 200)
    config = tiny_config(data__source=f"folder:{tmp_path}", data__image_size=8)
    assert enabled(config.data)
    source = load_source(config.data)
    assert source.size == 8 and source.examples().max() < -0.9  # normal images are dark
    split = load_split(config.data)
    assert list(split.test_y) == [0, 0, 1, 1, 1] and split.test_x[2:].min() > 0.5


def test_folder_without_normal_subfolder_is_a_plain_folder_and_the_split_says_what_is_missing(tmp_path):
    write_pngs(tmp_path / "anomalous", 3, 200)
    config = tiny_config(data__source=f"folder:{tmp_path}", data__image_size=8)
    assert not enabled(config.data)
    with pytest.raises(ConfigError, match="no anomaly split"):
        load_split(config.data)
    config.data.anomaly_class = 0
    with pytest.raises((ConfigError, DataError)):
        load_split(config.data)
