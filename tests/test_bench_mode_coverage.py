"""benchmarks/mode_coverage.py: aggregation, run configs, the protocol check and a tiny end-to-end run."""

from __future__ import annotations

import math
import os
from types import ModuleType, SimpleNamespace

import numpy as np
import pytest

from tests.conftest import ROOT, import_path

PATH = os.path.join(ROOT, "benchmarks", "mode_coverage.py")


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    """The benchmark script imported from its path."""
    return import_path(PATH, "bench_mode_coverage")


def test_mean_se_matches_numpy(bench: ModuleType) -> None:
    values = [17.0, 25.0, 21.5, 24.0]
    mean, se, n = bench.mean_se(values)
    assert n == 4
    assert mean == pytest.approx(np.mean(values))
    assert se == pytest.approx(np.std(values, ddof=1) / np.sqrt(len(values)))
    # NaNs (reverse KL without any HQ sample) are left out and counted.
    mean, se, n = bench.mean_se([0.1, float("nan"), 0.3])
    assert (mean, n) == (pytest.approx(0.2), 2) and se == pytest.approx(np.std([0.1, 0.3], ddof=1) / np.sqrt(2))
    mean, se, n = bench.mean_se([0.5])
    assert (mean, n) == (0.5, 1) and math.isnan(se)
    assert bench.format_mean_se([1.0, 3.0], 1) == "2.0 ± 1.0"
    assert bench.format_mean_se([0.25, float("nan")], 2) == "0.25 (1/2 seeds)"
    assert bench.format_mean_se([float("nan")], 2) == "n/a"


def test_run_configs_follow_the_protocol(bench: ModuleType) -> None:
    args = bench.parse_args(["--steps=1000", "--batch_size=64", "--r1=0.5"])
    methods = bench.variants(args.r1)
    notes: set[str] = set()
    wgan = bench.run_config("grid", methods["wgan_gp"], args, 3, notes)
    assert wgan.train.steps == 200 and wgan.train.d_steps == 5  # same number of D updates as the others
    assert wgan.model.loss == "wasserstein" and wgan.model.penalties.gradient_penalty == 10.0
    pac = bench.run_config("grid", methods["pacgan4"], args, 0, notes)
    assert pac.name == "pacgan_mog_grid" and pac.model.stabilizers.packing == 4 and pac.data.source == "mog_grid"
    ring = bench.run_config("ring", methods["r1"], args, 1, notes)
    assert ring.data.source == "mog_ring" and ring.model.penalties.r1 == 0.5 and ring.train.seed == 1
    for config in (wgan, pac, ring):
        assert config.model.latent_dim == 2 and config.data.batch_size == 64 and config.model.stabilizers.ema
    assert not notes  # the recipes already use a 2-D latent
    with pytest.raises(KeyError, match="no_such_field"):
        bench.overrides_lib.set_fields(ring, {"train.no_such_field": 1})


def test_set_overrides_every_run(bench: ModuleType) -> None:
    args = bench.parse_args(["--set", "train.lr_decay=step", "--set", "train.lr_decay_start=0.8"])
    assert args.set == [("train.lr_decay", "step"), ("train.lr_decay_start", "0.8")]
    config = bench.run_config("grid", bench.variants(args.r1)["r1"], args, 0, set())
    assert config.train.lr_decay == "step" and config.train.lr_decay_start == 0.8  # typed like the field
    values = bench.overrides_lib
    assert values.parse_value("0", True) is False and values.parse_value("7", 1.5) == 7.0
    assert values.parse_value("(1, 2)", None) == (1, 2) and values.parse_value("cosine", None) == "cosine"
    with pytest.raises(ValueError):
        values.parse_value("maybe", False)
    with pytest.raises(SystemExit):
        bench.parse_args(["--set", "no_equals_sign"])
    with pytest.raises(KeyError, match="no_such"):
        bench.run_config("grid", bench.variants(0.1)["r1"], bench.parse_args(["--set", "train.no_such=1"]), 0, set())


def test_protocol_check_rejects_a_different_mixture(bench: ModuleType) -> None:
    from tfgan_apps.data.toy import mog_grid, mog_ring

    bench.check_protocol("grid", mog_grid(None))
    bench.check_protocol("ring", mog_ring(None))
    wider = SimpleNamespace(name="mog_ring", info={"centers": bench.DATASETS["ring"].centers, "std": 0.02})
    with pytest.raises(RuntimeError, match="not PacGAN's ring"):
        bench.check_protocol("ring", wider)
    with pytest.raises(RuntimeError):
        bench.check_protocol("grid", mog_ring(None))


def test_tiny_run_prints_a_table_of_finite_scores(bench: ModuleType, tmp_path: object,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    out = os.path.join(str(tmp_path), "mode_coverage.md")
    results = bench.main(["--datasets=grid", "--variants=gan,r1", "--seeds=1", "--steps=20", "--samples=200",
                          "--jobs=1", f"--results={out}"])
    assert [(r.dataset, r.variant, r.steps) for r in results] == [("grid", "gan", 20), ("grid", "r1", 20)]
    for r in results:
        assert len(r.modes) == len(r.hq) == len(r.reverse_kl) == 1
        assert all(float(m).is_integer() and 0 <= m <= 25 for m in r.modes)
        assert all(0.0 <= h <= 100.0 for h in r.hq)
        # reverse KL is finite in [0, log 25] whenever some sample is high quality, NaN otherwise
        assert all((0.0 <= k <= math.log(25) + 1e-9) if h > 0 else math.isnan(k) for k, h in zip(r.reverse_kl, r.hq))
        assert all(np.isfinite(r.seconds)) and all(s > 0 for s in r.seconds)
    with open(out) as f:
        text = f.read()
    assert text in capsys.readouterr().out
    rows = [line for line in text.splitlines() if line.startswith("| grid |")]
    assert len(rows) == 2 + 3  # ours (gan, r1) + PacGAN GAN, PacGAN4, VEEGAN
    assert "| grid | R1-GAN (γ 0.1) | ours, 1 seed | 20 |" in text and "| PacGAN4 | PacGAN Table 1 |" in text
    assert "latent_dim 2" in text and "command: `" in text and "2 cores" in text and "partial" not in text


def test_collect_groups_seeds_and_skips_unfinished_runs(bench: ModuleType) -> None:
    args = bench.parse_args(["--steps=100", "--seeds=2"])
    methods = bench.variants(args.r1)
    tasks = [bench.Task("ring", "gan", seed, bench.run_config("ring", methods["gan"], args, seed, set()))
             for seed in range(2)]
    done = ({"modes": 7, "high_quality": 0.5, "reverse_kl": 0.1}, 3.0, 2.0)
    (result,) = bench.collect(tasks, [None, done], methods)
    assert (result.modes, result.hq, result.reverse_kl, result.seconds, result.cpu_seconds) == (
        [7.0], [50.0], [0.1], [3.0], [2.0])
    assert bench.collect(tasks, [None, None], methods) == []
