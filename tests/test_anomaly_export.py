"""The exported ``scorer``: calibrated threshold, loadable with TensorFlow alone, served by ``tfgan-anomaly``."""

import csv
import json
import os
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.conftest import run_cli
from tfgan_apps.anomaly.latent_search import LatentSearch
from tfgan_apps.anomaly.scorer import export_scorer
from tfgan_apps.nets import build_network
from tfgan_apps.registry import DISCRIMINATORS, GENERATORS

SHAPE = (8, 8, 1)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A latent-search scorer of tiny random networks, exported with a threshold at 10 % of 40 normals."""
    keras.utils.set_random_seed(0)
    g = build_network(GENERATORS, {"type": "dcgan", "width": 4, "norm": "none"}, latent_dim=4, output_shape=SHAPE)
    d = build_network(DISCRIMINATORS, {"type": "dcgan", "width": 4, "norm": "none"}, input_shape=SHAPE)
    scorer = LatentSearch(g, d, 4, steps=3, seed=1)
    rng = np.random.default_rng(0)
    normal = rng.integers(0, 40, size=(40, *SHAPE)).astype(np.uint8)  # dark images
    path, module = export_scorer(scorer, normal.astype(np.float32) / 127.5 - 1.0, "image",
                                 str(tmp_path_factory.mktemp("run") / "export" / "scorer"), fpr=0.1)
    return path, module, scorer, normal


def test_threshold_flags_the_chosen_share_of_calibration_normals(exported):
    _, module, _, _ = exported
    normal_scores = module.normal_scores.numpy()
    assert np.mean(normal_scores > module.threshold.numpy()) <= 0.1
    assert np.mean(normal_scores >= module.threshold.numpy()) > 0.05


def test_scorer_loads_and_scores_in_a_fresh_process_with_tensorflow_only(exported, tmp_path):
    path, module, scorer, normal = exported
    images = np.concatenate([normal[:3], np.full((2, *SHAPE), 255, np.uint8)])
    np.save(tmp_path / "images.npy", images)
    script = textwrap.dedent(f"""
        import json, sys
        import numpy as np
        import tensorflow as tf
        loaded = tf.saved_model.load({path!r})
        out = loaded.signatures["score"](images=tf.constant(np.load({str(tmp_path / 'images.npy')!r})))
        cal = loaded.signatures["calibration"]()
        assert not any(m.startswith("tfgan_apps") for m in sys.modules)
        print(json.dumps({{"scores": out["scores"].numpy().tolist(), "flags": out["flags"].numpy().tolist(),
                          "dtype": out["scores"].dtype.name, "threshold": float(cal["threshold"]),
                          "fpr": float(cal["fpr"])}}))
    """)
    result = run_cli("-c", script)
    assert result.returncode == 0, result.stderr[-2000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    expected = scorer.score(tf.constant(images, tf.float32) / 127.5 - 1.0).numpy()
    np.testing.assert_allclose(out["scores"], expected, rtol=1e-4)
    assert out["dtype"] == "float32" and out["fpr"] == pytest.approx(0.1)
    assert out["flags"] == [s > out["threshold"] for s in out["scores"]]


def write_png(path, value):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tf.io.write_file(path, tf.io.encode_png(np.full((16, 16, 1), value, np.uint8)))


def test_cli_writes_scores_flags_and_a_summary(exported, tmp_path):
    path, module, scorer, _ = exported
    for i in range(3):
        write_png(str(tmp_path / "data" / "normal" / f"n{i}.png"), 10 * i)
        write_png(str(tmp_path / "data" / "anomalous" / f"a{i}.png"), 255 - 10 * i)
    out_csv = tmp_path / "scores.csv"
    result = run_cli("-m", "tfgan_apps.cli.anomaly", f"--model={path}", f"--input={tmp_path / 'data'}",
                     f"--output={out_csv}", "--fpr=0.25")
    assert result.returncode == 0, result.stderr[-2000:]
    rows = list(csv.DictReader(open(out_csv)))
    assert len(rows) == 6 and [int(r["label"]) for r in rows] == [0, 0, 0, 1, 1, 1]
    threshold = float(np.quantile(module.normal_scores.numpy(), 0.75, method="higher"))
    assert all(int(r["flag"]) == (float(r["score"]) > threshold) for r in rows)
    assert "scored 6 inputs" in result.stdout and "AUROC" in result.stdout


def test_cli_refuses_a_directory_that_is_not_a_scorer(tmp_path):
    result = run_cli("-m", "tfgan_apps.cli.anomaly", f"--model={tmp_path}", f"--input={tmp_path}")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("tfgan-anomaly: error: no SavedModel at --model=")
