"""tfgan-generate and tfgan_apps.generate: latents, interpolations, grids, sweeps and files from exports."""

import os

import numpy as np
import pytest

from tests.conftest import run_cli, tiny_config
from tfgan_apps import generate
from tfgan_apps.config import to_json
from tfgan_apps.errors import ConfigError


def export_run(workdir: str, **overrides: object) -> str:
    """A run directory with config.json and export/generator of an untrained tiny model (no fit: fast)."""
    from tfgan_apps.trainer import CONFIG_FILE, Trainer, write_text_atomic

    config = tiny_config(**overrides)
    Trainer(config, workdir).export()
    write_text_atomic(os.path.join(workdir, CONFIG_FILE), to_json(config))
    return workdir


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    return export_run(str(tmp_path_factory.mktemp("plain")))


def test_truncation_bounds_every_entry_and_keeps_the_seed():
    z = generate.sample_latents(500, 16, seed=3, truncation=0.5)
    assert z.shape == (500, 16) and z.dtype == np.float32 and np.abs(z).max() <= 0.5
    np.testing.assert_array_equal(z, generate.sample_latents(500, 16, seed=3, truncation=0.5))
    free = generate.sample_latents(500, 16, seed=3)
    assert np.abs(free).max() > 2.0 and abs(free.std() - 1.0) < 0.05
    with pytest.raises(ConfigError, match="truncation"):
        generate.sample_latents(2, 2, truncation=-1.0)


def test_linear_and_spherical_interpolation():
    rng = np.random.default_rng(0)
    z0, z1 = rng.standard_normal(64), rng.standard_normal(64)
    z1 *= np.linalg.norm(z0) / np.linalg.norm(z1)
    for method in generate.INTERPOLATIONS:
        path = generate.interpolate(z0, z1, 5, method)
        assert path.shape == (5, 64)
        np.testing.assert_allclose(path[0], z0, atol=1e-5)
        np.testing.assert_allclose(path[-1], z1, atol=1e-5)
    linear, slerp = generate.interpolate(z0, z1, 5, "linear"), generate.interpolate(z0, z1, 5, "slerp")
    np.testing.assert_allclose(linear[2], (z0 + z1) / 2, atol=1e-5)
    # Between two latents of equal norm, slerp stays on the sphere; the linear midpoint falls inside it.
    np.testing.assert_allclose(np.linalg.norm(slerp, axis=1), np.linalg.norm(z0), rtol=1e-4)
    assert np.linalg.norm(linear[2]) < 0.9 * np.linalg.norm(z0)
    np.testing.assert_allclose(generate.interpolate(z0, 2 * z0, 3, "slerp")[1], 1.5 * z0, rtol=1e-5)  # parallel


def test_latent_arithmetic_is_a_minus_b_plus_c_of_group_means():
    a, b, c = np.ones((3, 4)), np.full((2, 4), 2.0), np.arange(12.0).reshape(3, 4)
    np.testing.assert_allclose(generate.latent_arithmetic(a, b, c), 1 - 2 + np.array([4, 5, 6, 7.0]))
    with pytest.raises(ConfigError, match="equal width"):
        generate.latent_arithmetic(a, b, np.ones((3, 5)))


def test_grid_files_and_interpolation_from_a_plain_export(plain, tmp_path):
    gen = generate.load(os.path.join(plain, "export", "generator"))
    assert (gen.kind, gen.latent_dim, gen.output, gen.run_dir) == ("plain", 8, "image", plain)
    picture = generate.grid(gen, num=6, seed=1, cols=3)
    assert picture.shape == (2 * 17 + 1, 3 * 17 + 1, 1) and picture.dtype == np.uint8
    np.testing.assert_array_equal(picture, generate.grid(gen, num=6, seed=1, cols=3))
    strip, frames = generate.interpolation(gen, steps=4, rows=2, method="slerp")
    assert strip.shape == (2 * 17 + 1, 4 * 17 + 1, 1) and len(frames) == 4 and frames[0].shape == (35, 18, 1)
    gif = generate.save_gif(frames, str(tmp_path / "walk.gif"), scale=2)
    from PIL import Image

    with Image.open(gif) as image:
        assert image.n_frames == 6 and image.size == (36, 70)  # 4 frames forward, 2 back (ping-pong)
    paths = generate.write_numbered(gen, 5, str(tmp_path / "files"), seed=2, progress=False)
    assert [os.path.basename(p) for p in paths] == [f"{i:06d}.png" for i in range(5)]
    with Image.open(paths[3]) as image:
        first = np.asarray(image)
    assert first.shape == (16, 16)  # one channel, as the digits
    z = generate.sample_latents(5, 8, seed=2)
    np.testing.assert_array_equal(first, gen(z)[3][..., 0])
    with pytest.raises(ConfigError, match="conditional"):
        generate.class_sweep(gen)
    with pytest.raises(ConfigError, match="InfoGAN"):
        generate.code_sweeps(gen)


def test_class_sweep_has_one_row_per_label(tmp_path):
    run = export_run(str(tmp_path / "cgan"), model__name="cgan", model__label_encoding="onehot",
                     model__embedding_dim=0)
    gen = generate.load(run)
    assert gen.kind == "conditional" and gen.num_classes == 10
    sheet = generate.class_sweep(gen, per_class=3, seed=5)
    assert sheet.shape == (10 * 17 + 1, 3 * 17 + 1, 1)
    z = generate.sample_latents(3, 8, seed=5)
    row7 = gen(z, labels=np.full(3, 7))
    np.testing.assert_array_equal(sheet[1 + 7 * 17: 1 + 7 * 17 + 16, 1 + 17: 1 + 17 + 16], row7[1])
    outside = generate.load(os.path.join(run, "export", "generator"), num_classes=4)
    assert generate.class_sweep(outside, per_class=2).shape[0] == 4 * 17 + 1


def test_infogan_code_sweeps(tmp_path):
    run = export_run(str(tmp_path / "info"), model__name="infogan", model__categories=3, model__continuous=2,
                     model__q_width=8)
    gen = generate.load(run)
    assert (gen.kind, gen.latent_dim, gen.categories, gen.continuous) == ("infogan", 8, 3, 2)
    sheets = generate.code_sweeps(gen, steps=4)
    assert sorted(sheets) == ["categorical", "continuous_0", "continuous_1"]
    assert all(s.shape == (3 * 17 + 1, 4 * 17 + 1, 1) for s in sheets.values())
    assert not np.array_equal(sheets["continuous_0"], sheets["continuous_1"])


def test_tfgan_generate_command(plain, tmp_path):
    out = tmp_path / "g.png"
    result = run_cli("-m", "tfgan_apps.cli.generate", f"--model={plain}", "--num=4", "--truncation=0.5",
                     f"--output={out}")
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"wrote {out}" in result.stdout and out.stat().st_size > 0
    bad = run_cli("-m", "tfgan_apps.cli.generate", f"--model={tmp_path / 'nothing'}")
    assert bad.returncode == 2 and "tfgan-generate: error: no generator at" in bad.stderr
