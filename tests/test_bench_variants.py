"""benchmarks/variants.py: recipe discovery, schedule scaling and a tiny end-to-end run on two recipes."""

from __future__ import annotations

import math
import os
from types import ModuleType

import pytest

from tests.conftest import ROOT, import_path

PATH = os.path.join(ROOT, "benchmarks", "variants.py")
GAN_RECIPES = {
    "dcgan_digits", "lsgan_digits", "wgan_digits", "wgan_gp_digits", "dragan_digits", "sngan_digits",
    "r1_gan_digits", "began_digits", "ebgan_digits", "infogan_digits", "cgan_digits", "acgan_digits",
    "sgan_digits", "aae_digits", "bigan_digits", "pggan_digits", "dcgan_lfw", "dcgan_diffaugment_lfw",
    "gan_mog_ring", "gan_mog_grid", "gan_minimax_mog_ring", "pacgan_mog_grid", "dcgan1d_signals",
    "bigan1d_signals",
}


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    """The benchmark script imported from its path."""
    return import_path(PATH, "bench_variants")


def test_lists_every_gan_recipe_and_no_restoration_one(bench: ModuleType) -> None:
    variants = bench.list_variants()
    assert GAN_RECIPES <= set(variants)
    assert not {"denoise_photos", "derain_photos", "sr_x4_photos", "srgan_x4_photos"} & set(variants)
    assert not any(name.endswith("_bench") for name in variants)  # other benchmarks' fixtures


def test_steady_rate_leaves_out_the_first_interval(bench: ModuleType) -> None:
    # 10 steps at 0.5 steps/s (compilation), then 2 × 10 steps at 5 and 10 steps/s: 20 steps in 3 s.
    rate, with_compile = bench.steady_rate([(10, 0.5), (20, 5.0), (30, 10.0)], 30, 25.0)
    assert rate == pytest.approx(20 / 3) and not with_compile
    assert bench.steady_rate([(30, 1.2)], 30, 15.0) == (2.0, True)
    assert bench.log_interval(200) == 40 and bench.log_interval(7) == 1 and bench.log_interval(3) == 1


def test_schedule_is_scaled_to_the_budget(bench: ModuleType) -> None:
    from tfgan_apps.validation import validate

    config = bench.budget_config(os.path.join(ROOT, "tfgan_apps", "configs", "pggan_digits.py"), 200, 5, 0, [])
    resolutions = [r for r, _ in config.model.stages]
    steps = [n for _, n in config.model.stages]
    assert resolutions == [4, 8, 16, 32] and abs(sum(steps) - 200) <= 2
    assert 0 < config.model.fade_steps <= min(steps[1:])
    assert config.train.steps == 5 and not config.export.enabled
    validate(config)


def test_two_recipes_end_to_end(bench: ModuleType, tmp_path) -> None:
    results = tmp_path / "variants.md"
    rows = bench.main([
        "--only=gan_mog_ring,dcgan_digits", "--steps_image=5", "--steps_toy=20", "--num_samples=200",
        "--baseline_steps=0", f"--workdir_root={tmp_path / 'runs'}", f"--results={results}",
        "--set=data.batch_size=16", "--set=data.image_size=16", "--set=model.generator.width=8",
        "--set=model.discriminator.width=8", "--set=train.jit_compile=False",
    ])
    by_name = {row.name: row for row in rows}
    assert set(by_name) >= {"gan_mog_ring", "dcgan_digits"} and len(rows) == 4  # + one reference per data set
    for name, steps in (("gan_mog_ring", 20), ("dcgan_digits", 5)):
        row = by_name[name]
        assert not row.error and row.steps == steps
        assert math.isfinite(row.d_loss) and math.isfinite(row.g_loss)
        assert row.steps_per_sec > 0 and not row.compile_included  # measured after the first interval
        assert row.train_seconds > 0
    ref_digits = next(r for r in rows if r.reference and r.kind == "digits")
    ref_points = next(r for r in rows if r.reference and r.kind == "points")
    digits = by_name["dcgan_digits"]
    assert all(math.isfinite(v) for v in (*digits.metrics.values(), *ref_digits.metrics.values()))
    # Real digits against other real digits are far closer (FCD) and more recognisable (CS) than 5-step samples.
    assert ref_digits.metrics["fid"] < 0.5 * digits.metrics["fid"]
    assert ref_digits.metrics["is"] > digits.metrics["is"] + 1.0
    # Real ring samples cover all 8 modes, almost all within 3σ, nearly uniformly.
    assert ref_points.metrics["modes"] == 8 and ref_points.metrics["high_quality"] > 0.95
    assert ref_points.metrics["reverse_kl"] < 0.05
    ring = by_name["gan_mog_ring"]
    assert 0 <= ring.metrics["modes"] <= 8 and 0.0 <= ring.metrics["high_quality"] <= 1.0
    assert math.isfinite(ring.metrics["reverse_kl"]) == (ring.metrics["high_quality"] > 0)
    text = results.read_text()
    assert "| dcgan_digits | gan | 5 |" in text and "| gan_mog_ring | gan | 20 |" in text
    assert "--only=gan_mog_ring,dcgan_digits" in text and bench.cpu_model() in text and "- date: " in text
