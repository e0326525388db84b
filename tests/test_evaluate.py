"""Evaluation of a trained run: the library path, the callback and the tfgan-eval command."""

import json

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


def test_tfgan_eval_command_names_features_and_counts_and_appends_records(digits_run):
    args = ("-m", "tfgan_apps.cli.eval", f"--workdir={digits_run}", "--features=raw")
    result = run_cli(*args, "--metrics=fd,prdc", "--num_samples=1900")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "| fd |" in result.stdout and "| fid |" not in result.stdout
    assert "features: raw" in result.stdout and "1900 generated (seed 0) vs 1797 real" in result.stdout
    assert "note: only 1797 real examples exist, fewer than the 1900 generated" in result.stdout
    again = run_cli(*args, "--metrics=kid", "--num_samples=100", "--seed=4")
    assert again.returncode == 0, again.stderr[-2000:]
    assert "kid: unbiased MMD² with the cubic polynomial kernel, raw scale" in again.stdout
    assert "note:" not in again.stdout
    records = evaluation.read_results(digits_run)
    assert len(records) == 2, records
    first, second = records
    assert first["step"] == 4 and {"fd", "precision", "coverage"} <= set(first["metrics"])
    assert (first["features"], first["num_real"], first["num_fake"], first["seed"]) == ("raw", 1797, 1900, 0)
    assert set(second["metrics"]) == {"kid", "kid_std"} and second["seed"] == 4 and second["num_real"] == 100
    assert "weights_sha256" in first and first["feature_network"]


def test_incompatible_metric_and_features_are_refused_by_tfgan_eval(digits_run):
    before = evaluation.read_results(digits_run)
    bad = run_cli("-m", "tfgan_apps.cli.eval", f"--workdir={digits_run}", "--metrics=fd,is", "--features=raw")
    message = "tfgan-eval: error: metric 'is' needs class probabilities, which --features=raw does not give"
    assert bad.returncode == 2 and message in bad.stderr, bad.stderr[-2000:]
    assert evaluation.read_results(digits_run) == before


@pytest.mark.parametrize(
    "names, features, message",
    [
        (["nope"], "raw", "unknown metric 'nope'; valid choices: auto, fid, fcd, fd, is, cs, mode_score, "),
        (["is"], "raw", "metric 'is' needs class probabilities, which --features=raw does not give"),
        (["mode_score"], "raw", "metric 'mode_score' needs class probabilities"),
        (["fid"], "classifier", "metric 'fid' is defined on inception features, not classifier; ask for 'fcd' "
                                "instead, or pass --features=inception"),
        (["cs"], "inception", "ask for 'is' instead"),
        (["fd"], "inception", "ask for 'fid' instead"),
    ],
)
def test_incompatible_metric_and_features(names, features, message):
    with pytest.raises(ConfigError) as err:
        evaluation.check_metrics(names, features)
    assert message in str(err.value), str(err.value)


def test_evaluate_run_refuses_before_generating_or_loading_features():
    from tfgan_apps.data.pipeline import load_source

    class NeverGenerates:
        def generate(self, *args, **kwargs):
            raise AssertionError("generated before checking the metrics")

    source = load_source(tiny_config().data)
    for names, features in ((["is"], "raw"), (["fid"], "classifier"), (["modes"], "raw")):
        with pytest.raises(ConfigError):
            evaluation.evaluate_run(names, NeverGenerates(), source, 10, features=features, progress=False)


def test_feature_space_names_and_defaults():
    assert [n for n, _ in evaluation.check_metrics(["auto"], "classifier")] == ["fcd", "kid", "cs", "prdc"]
    assert [m for _, m in evaluation.check_metrics(["auto"], "inception")] == ["fid", "kid", "is", "prdc"]
    assert evaluation.check_metrics(["auto", "fd"], "raw") == [("fd", "fid"), ("kid", "kid"), ("prdc", "prdc")]
    with pytest.raises(ConfigError, match="'fcd' is defined on classifier features, not inception; ask for 'fid'"):
        evaluation.check_metrics(["fcd"], "inception")
    assert "kid" in evaluation.KID_SCALE and "10³" in evaluation.KID_SCALE


def test_missing_inception_weights_name_the_command_line_flag(monkeypatch, tmp_path):
    monkeypatch.delenv("TFGAN_INCEPTION_WEIGHTS", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    source = Source(name="photos", kind="image", shape=(16, 16, 3))
    with pytest.raises(ConfigError, match=r"--inception_weights=PATH for tfgan-eval") as err:
        evaluation.feature_fn("inception", source)
    assert "\n" not in str(err.value)


def test_eval_json_of_an_older_version_is_kept_as_the_first_record(tmp_path):
    (tmp_path / "eval.json").write_text(json.dumps({"step": 3, "fid": 1.5}))
    evaluation.write_results(str(tmp_path), 5, {"fd": 2.0})
    records = evaluation.read_results(str(tmp_path))
    assert records == [{"step": 3, "fid": 1.5}, {"metrics": {"fd": 2.0}, "step": 5}]


def test_eval_callback_logs_metrics_during_training(tmp_path):
    from tensorboard.backend.event_processing import event_accumulator

    config = tiny_config(eval__metrics="fd,prdc", eval__every=2, eval__features="raw", eval__num_samples=64)
    trainer.train(config, str(tmp_path))
    acc = event_accumulator.EventAccumulator(str(tmp_path), size_guidance={"tensors": 0})
    acc.Reload()
    assert [e.step for e in acc.Tensors("Eval/fd")] == [2, 4]
    assert "Eval/coverage" in acc.Tags()["tensors"]


def test_auto_features_see_through_a_wrapped_digits_source():
    # The SGAN's source is "indexed:digits": still digits, so "auto" picks the digits classifier.
    from tfgan_apps.data.pipeline import load_source

    config = tiny_config(data__source="indexed:digits", data__heldout=100)
    source = load_source(config.data)
    assert source.name == "indexed:digits"
    assert evaluation.is_digits(source) and evaluation.resolve_features("auto", source) == "classifier"
    assert evaluation.resolve_features("auto", load_source(tiny_config(data__source="lfw").data)) == "inception"
