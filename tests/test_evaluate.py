"""Evaluation of a trained run: the library path, the callback and the tfgan-eval command."""

import json
import os

import numpy as np
import pytest

from tests.conftest import run_cli, tiny_config
from tfgan_apps import evaluation, trainer
from tfgan_apps.config import mog_config
from tfgan_apps.data import Source
from tfgan_apps.errors import ConfigError


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    workdir = str(tmp_path_factory.mktemp("evalrun"))
    trainer.train(tiny_config(), workdir)
    return workdir


def test_compute_on_a_run_with_raw_features(digits_run):
    run = trainer.load_run(digits_run)
    results = evaluation.compute(["fid", "kid", "prdc", "one_nn"], run.model, run.source, 200, features="raw",
                                 progress=False)
    assert set(results) == {"fid", "kid", "kid_std", "precision", "recall", "density", "coverage", "one_nn"}
    assert all(np.isfinite(v) for v in results.values())
    assert results["fid"] > 0 and 0.5 <= results["one_nn"] <= 1.0
    with pytest.raises(ConfigError, match="needs fake 'probs'"):
        evaluation.compute(["is"], run.model, run.source, 50, features="raw", progress=False)


def test_modes_metric_on_a_mixture_run(tmp_path):
    config = mog_config()
    config.data.batch_size = 64
    config.model.generator.width = config.model.discriminator.width = 16
    config.train.update(steps=4, log_every=2, image_every=2, checkpoint_every=2, jit_compile=False)
    trainer.train(config, str(tmp_path))
    run = trainer.load_run(str(tmp_path))
    results = evaluation.compute(["modes", "mmd"], run.model, run.source, 500, progress=False)
    assert 0 <= results["modes"] <= 8 and 0 <= results["high_quality"] <= 1 and np.isfinite(results["mmd"])
    with pytest.raises(ConfigError, match="mixture-of-Gaussians"):
        evaluation.metric_options(["modes"], Source(name="x", kind="image", shape=(1,)))


def test_tfgan_eval_command_writes_json_and_tensorboard(digits_run):
    result = run_cli("-m", "tfgan_apps.evaluate", f"--workdir={digits_run}", "--metrics=fid,prdc",
                     "--num_samples=120", "--features=raw")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "| fid |" in result.stdout
    with open(os.path.join(digits_run, "eval.json")) as f:
        saved = json.load(f)
    assert saved["step"] == 4 and {"fid", "precision", "coverage"} <= set(saved)
    bad = run_cli("-m", "tfgan_apps.evaluate", f"--workdir={digits_run}", "--metrics=nope", "--features=raw")
    assert bad.returncode == 2 and "unknown metric 'nope'" in bad.stderr


def test_eval_callback_logs_metrics_during_training(tmp_path):
    from tensorboard.backend.event_processing import event_accumulator

    config = tiny_config(eval__metrics="fid,prdc", eval__every=2, eval__features="raw", eval__num_samples=64)
    trainer.train(config, str(tmp_path))
    acc = event_accumulator.EventAccumulator(str(tmp_path), size_guidance={"tensors": 0})
    acc.Reload()
    assert [e.step for e in acc.Tensors("Eval/fid")] == [2, 4]
    assert "Eval/coverage" in acc.Tags()["tensors"]


def test_auto_features_see_through_a_wrapped_digits_source():
    # The SGAN's source is "indexed:digits": still digits, so "auto" picks the digits classifier.
    from tfgan_apps.data.pipeline import load_source

    config = tiny_config(data__source="indexed:digits", data__heldout=100)
    source = load_source(config.data)
    assert source.name == "indexed:digits"
    assert evaluation.is_digits(source) and evaluation.resolve_features("auto", source) == "classifier"
    assert evaluation.resolve_features("auto", load_source(tiny_config(data__source="lfw").data)) == "inception"
