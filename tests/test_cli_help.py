"""The command-line plumbing: each command's --help lists its own flags, recipes resolve by name or path, and
every bad flag or config override is one line on stderr with exit status 2."""

import os

import pytest

from tests.conftest import run_cli
from tfgan_apps import cli
from tfgan_apps.configs import recipe_names, recipe_path
from tfgan_apps.errors import ConfigError

OWN_FLAGS = {
    "train": ["--config", "--workdir", "--strategy", "--seed", "--mixed_precision", "--profile_steps"],
    "export": ["--workdir", "--export_dir"],
    "eval": ["--workdir", "--metrics", "--features", "--num_samples", "--inception_weights", "--seed"],
    "generate": ["--model", "--mode", "--num", "--seed", "--truncation", "--interpolate", "--output_dir"],
    "restore": ["--model", "--input", "--output", "--tile", "--overlap", "--self_ensemble"],
    "launch": ["--workers", "--log_dir"],
}


# Each case is a fresh process that imports TensorFlow (through tfgan_apps): the less central commands are slow-marked.
SLOW = pytest.mark.slow


@pytest.mark.parametrize("command", [c if c in ("train", "generate") else pytest.param(c, marks=SLOW)
                                     for c in sorted(OWN_FLAGS)])
def test_help_lists_the_commands_own_flags(command):
    result = run_cli("-m", f"tfgan_apps.cli.{command}", "--help", timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    missing = [flag for flag in OWN_FLAGS[command] if flag not in result.stdout]
    assert not missing, f"{command} --help lacks {missing}:\n{result.stdout}"
    assert "--helpfull" in result.stdout or command == "launch"
    assert "--xla_" not in result.stdout and "--test_srcdir" not in result.stdout  # not everyone's flags


def test_recipes_resolve_by_name_path_and_old_path(tmp_path, monkeypatch):
    assert "dcgan_digits" in recipe_names() and "folder_rgb" in recipe_names() and "__init__" not in recipe_names()
    assert cli.resolve_recipe("dcgan_digits") == recipe_path("dcgan_digits")
    assert cli.resolve_recipe("dcgan_digits:arg") == recipe_path("dcgan_digits") + ":arg"
    monkeypatch.chdir(tmp_path)  # an installed wheel: no configs/ directory around
    assert cli.resolve_recipe("configs/dcgan_digits.py") == recipe_path("dcgan_digits")
    own = tmp_path / "mine.py"
    own.write_text("def get_config():\n    return None\n")
    assert cli.resolve_recipe(str(own)) == str(own) and cli.resolve_recipe("mine.py") == "mine.py"
    with pytest.raises(ConfigError, match=r"^unknown recipe 'nope'; pass a recipe name \(aae_digits, .*dcgan_digits"):
        cli.resolve_recipe("nope")
    with pytest.raises(ConfigError, match="config file 'other/missing.py' not found"):
        cli.resolve_recipe("other/missing.py")
    argv = cli.resolve_config_argv(["prog", "--config", "dcgan_digits", "--config.train.steps=3"])
    assert argv == ["prog", "--config", recipe_path("dcgan_digits"), "--config.train.steps=3"]


def test_misspelled_override_names_the_closest_field():
    config = f"--config={recipe_path('dcgan_digits')}"
    with pytest.raises(ConfigError, match=r"^unknown config field train\.stpes; did you mean train\.steps\?$"):
        cli.check_overrides(["prog", config, "--config.train.stpes=3"])
    with pytest.raises(ConfigError, match=r"did you mean model\.penalties\.r1\?$"):
        cli.check_overrides(["prog", config, "--config.modle.penalties.r1=3"])
    cli.check_overrides(["prog", config, "--config.train.steps=3", "--noconfig.train.deterministic"])


@pytest.mark.parametrize(
    "args, message",
    [
        (["--config=dcgan_digits", "--config.train.stpes=5"],
         "tfgan-train: error: unknown config field train.stpes; did you mean train.steps?"),
        (["--config=dcgan_digits", "--config.train.steps=abc"],
         "tfgan-train: error: flag --config.train.steps=abc: invalid literal for int() with base 10: 'abc'"),
        pytest.param(["--config=dcgan_digits", "--workdirr=x"],
                     "tfgan-train: error: Unknown command line flag 'workdirr'", marks=SLOW),
        pytest.param(["--config=no_such_recipe"],
                     "tfgan-train: error: unknown recipe 'no_such_recipe'; pass a recipe name", marks=SLOW),
    ],
)
def test_flag_and_override_errors_are_one_line_with_status_2(args, message):
    result = run_cli("-m", "tfgan_apps.cli.train", *args, timeout=600)
    assert result.returncode == 2, result.stderr[-2000:]
    lines = [line for line in result.stderr.splitlines() if line.strip() and not line.startswith(("I0000", "W0000",
                                                                                                 "WARNING: All"))]
    assert len(lines) == 1 and lines[0].startswith(message), result.stderr[-2000:]
    assert "\\n" not in lines[0] and "Traceback" not in result.stderr


def test_folder_recipe_without_a_folder_says_which_flag_to_pass(tmp_path):
    from tests.conftest import load_recipe
    from tfgan_apps.trainer import Trainer

    config = load_recipe("folder_rgb")
    assert (config.data.image_size, config.data.channels, config.model.penalties.r1) == (64, 3, 10.0)
    with pytest.raises(ConfigError, match=r"^this recipe trains on your own images: pass "
                                          r"--config.data.source=folder:/path/to/photos"):
        Trainer(config, str(tmp_path)).fit()
    assert not os.listdir(tmp_path)
