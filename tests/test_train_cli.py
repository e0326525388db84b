"""End to end through the command line: run directory contents, TensorBoard tags, export, errors."""

import glob
import json
import os
import textwrap

import pytest

from tests.conftest import TINY_FLAGS, run_cli


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    workdir = str(tmp_path_factory.mktemp("run"))
    result = run_cli("-m", "tfgan_apps.cli.train", "--config=dcgan_digits", *TINY_FLAGS,
                     "--config.train.steps=4", f"--workdir={workdir}", "--seed=3")
    assert result.returncode == 0, result.stderr[-3000:]
    return workdir


def test_run_directory_holds_everything(trained):
    assert glob.glob(os.path.join(trained, "events.out.tfevents.*"))
    assert os.path.exists(os.path.join(trained, "checkpoints", "ckpt-4.index"))
    assert os.path.exists(os.path.join(trained, "export", "generator", "saved_model.pb"))
    with open(os.path.join(trained, "config.json")) as f:
        saved = json.load(f)
    assert saved["train"]["seed"] == 3 and saved["data"]["image_size"] == 16


def test_tensorboard_tags(trained):
    from tensorboard.backend.event_processing import event_accumulator

    acc = event_accumulator.EventAccumulator(trained, size_guidance={"tensors": 0})
    acc.Reload()
    tags = set(acc.Tags()["tensors"])
    expected = {"Loss/D/total", "Loss/D/adv", "Loss/G/total", "Loss/G/adv", "D/real_score", "D/fake_score",
                "LearningRate/G", "LearningRate/D", "Speed/steps_per_sec", "Samples", "_hparams_/session_start_info"}
    assert expected <= tags, expected - tags
    assert [e.step for e in acc.Tensors("Loss/D/total")] == [2, 4]


LOAD_EXPORT = textwrap.dedent(
    """
    import sys, numpy as np, tensorflow as tf
    m = tf.saved_model.load(sys.argv[1])
    z = tf.random.normal([3, 8])
    out = m.signatures["serving_default"](z=z)["samples"]
    s = m.signatures["sample"](count=tf.constant(5), seed=tf.constant(7, tf.int64))["samples"]
    s2 = m.signatures["sample"](count=tf.constant(5), seed=tf.constant(7, tf.int64))["samples"]
    assert not any(k.startswith("tfgan_apps") for k in sys.modules), "tfgan_apps was imported"
    print(out.shape, out.dtype.name, s.shape, s.dtype.name, bool(np.array_equal(s, s2)))
    """
)


def test_export_loads_without_tfgan_apps(trained, tmp_path):
    script = tmp_path / "load.py"
    script.write_text(LOAD_EXPORT)
    result = run_cli(str(script), os.path.join(trained, "export", "generator"))
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "(3, 16, 16, 1) uint8 (5, 16, 16, 1) uint8 True"


@pytest.mark.slow  # 16 s: a second export in a subprocess
def test_tfgan_export_rewrites_export(trained, tmp_path):
    out = str(tmp_path / "again")
    result = run_cli("-m", "tfgan_apps.cli.export", f"--workdir={trained}", f"--export_dir={out}")
    assert result.returncode == 0, result.stderr[-2000:]
    assert os.path.exists(os.path.join(out, "generator", "saved_model.pb"))


def test_rerun_of_finished_run_is_a_no_op_and_other_model_is_refused(trained):
    again = run_cli("-m", "tfgan_apps.cli.train", "--config=dcgan_digits", *TINY_FLAGS,
                    "--config.train.steps=4", f"--workdir={trained}", "--seed=3")
    assert again.returncode == 0, again.stderr[-2000:]
    other = run_cli("-m", "tfgan_apps.cli.train", "--config=dcgan_digits", *TINY_FLAGS,
                    "--config.train.steps=4", "--config.model.loss=hinge", f"--workdir={trained}")
    assert other.returncode == 2
    assert "holds checkpoints of a different run" in other.stderr and "loss" in other.stderr
    assert os.path.exists(os.path.join(trained, "checkpoints", "ckpt-4.index"))
    with open(os.path.join(trained, "config_history.jsonl")) as f:
        history = [json.loads(line) for line in f]
    assert [h["step"] for h in history] == [0, 4] and all(h["config"]["train"]["steps"] == 4 for h in history)


def test_recipe_by_name_works_from_any_directory(tmp_path):
    # An installed package has no configs/ beside it: the recipe ships inside tfgan_apps.
    import subprocess
    import sys

    from tests.conftest import ROOT

    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", TFGAN_PROGRESS="0",
               PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run([sys.executable, "-m", "tfgan_apps.cli.train", "--config=dcgan_digits", *TINY_FLAGS,
                             "--config.train.steps=2", "--workdir=run", "--config.export.enabled=False"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-2000:]
    assert os.path.exists(tmp_path / "run" / "checkpoints" / "ckpt-2.index")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--config=missing"], "unknown recipe 'missing'; pass a recipe name (aae_digits, "),
        (["--config=configs/missing.py"], "config file 'configs/missing.py' not found"),
        (["--config=dcgan_digits", "--config.model.name=nope"], "unknown model 'nope'; valid choices: "),
        (["--config=dcgan_digits", "--config.model.loss=nope"], "valid choices: hinge, least_squares"),
        (["--config=dcgan_digits", "--config.data.source=nope"], "unknown data source 'nope'; valid choices: "),
        (["--config=dcgan_digits", "--config.train.steps=-5"], "steps must be a positive integer"),
        (["--config=dcgan_digits", "--config.train.stepz=5"], "unknown config field train.stepz; did you mean"),
        (["--config=dcgan_digits", "--config.data.source=folder:/no/such/dir"], "does not exist"),
    ],
)
def test_bad_values_exit_nonzero_with_one_line(args, message, tmp_path):
    result = run_cli("-m", "tfgan_apps.cli.train", *args, f"--workdir={tmp_path}")
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("tfgan-train: error:")]
    assert len(errors) == 1 and message in errors[0], result.stderr[-2000:]
