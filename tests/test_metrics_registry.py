"""The METRICS registry contract: every metric is a uniform ``Metric`` record."""

import numpy as np
import pytest

from tfgan_apps.errors import ConfigError
from tfgan_apps.metrics import spec
from tfgan_apps.metrics.modes import ring_centers
from tfgan_apps.registry import METRICS

NAMES = (
    "fid",
    "kid",
    "is",
    "mode_score",
    "mmd",
    "wasserstein",
    "one_nn",
    "prdc",
    "modes",
    "psnr",
    "ssim",
)


def test_every_metric_is_registered_with_a_valid_record():
    keys = []
    for name in NAMES:
        metric = METRICS.get(name)
        assert isinstance(metric, spec.Metric)
        assert metric.name == name and metric.needs in spec.INPUT_KINDS
        assert metric.description
        keys.extend(metric.keys)
    assert len(keys) == len(set(keys)), "result keys must be unique across metrics"


def _inputs(rng, n=60):
    probs = rng.dirichlet(np.ones(10), size=n)
    images = rng.integers(0, 256, size=(2, 16, 16, 3)).astype(np.uint8)
    return {
        "features": rng.standard_normal((n, 6)),
        "probs": probs,
        "samples": rng.standard_normal((n, 2)),
        "images": images,
    }


def test_evaluate_runs_every_metric_and_returns_all_keys():
    rng = np.random.default_rng(0)
    real, fake = _inputs(rng), _inputs(rng)
    options = {
        "kid": {"subsets": 2, "subset_size": 30},
        "is": {"splits": 2},
        "mode_score": {"splits": 2},
        "modes": {"centers": ring_centers(), "std": 0.5},
    }
    results = spec.evaluate(NAMES, real, fake, options)
    expected = [key for name in NAMES for key in METRICS.get(name).keys]
    assert sorted(results) == sorted(expected)
    assert all(isinstance(v, float) for v in results.values())
    assert results["fid"] == pytest.approx(METRICS.get("fid")(real["features"], fake["features"])["fid"])


def test_fake_only_metrics_need_no_real_input():
    rng = np.random.default_rng(1)
    fake = _inputs(rng)
    results = spec.evaluate(["is"], {}, fake, {"is": {"splits": 1}})
    assert set(results) == {"is", "is_std"}


def test_contract_errors_are_config_errors():
    rng = np.random.default_rng(2)
    real, fake = _inputs(rng), _inputs(rng)
    with pytest.raises(ConfigError, match="unknown metric"):
        spec.evaluate(["nope"], real, fake)
    with pytest.raises(ConfigError, match="does not take"):
        METRICS.get("fid")(real["features"], fake["features"], splits=3)
    with pytest.raises(ConfigError, match="centers"):
        METRICS.get("modes")(None, fake["samples"])
    with pytest.raises(ConfigError, match="needs fake 'probs'"):
        spec.evaluate(["is"], real, {"features": fake["features"]})
    with pytest.raises(ConfigError, match="needs real"):
        spec.evaluate(["fid"], {}, fake)
