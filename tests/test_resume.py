"""Fault tolerance of the spine: SIGKILL mid-run, resume, identical final weights."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import tensorflow as tf

from tests.conftest import ROOT, TINY_FLAGS, run_cli

FLAGS = [
    "-m", "tfgan_apps.cli.train", "--config=dcgan_digits", *TINY_FLAGS,
    "--config.train.steps=160", "--config.train.checkpoint_every=20", "--config.train.log_every=20",
    "--config.train.image_every=80", "--config.train.deterministic=True",
]


def checkpoint_values(workdir):
    reader = tf.train.load_checkpoint(os.path.join(workdir, "checkpoints"))
    names = [n for n in reader.get_variable_to_shape_map() if "save_counter" not in n and "OBJECT_GRAPH" not in n]
    return {n: reader.get_tensor(n) for n in names}


def test_sigkill_then_resume_matches_uninterrupted_run(tmp_path):
    reference, interrupted = str(tmp_path / "reference"), str(tmp_path / "interrupted")
    result = run_cli(*FLAGS, f"--workdir={reference}")
    assert result.returncode == 0, result.stderr[-2000:]

    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", TFGAN_PROGRESS="0")
    proc = subprocess.Popen([sys.executable, *FLAGS, f"--workdir={interrupted}"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    marker = os.path.join(interrupted, "checkpoints", "ckpt-40.index")
    deadline = time.time() + 240
    while not os.path.exists(marker) and proc.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert os.path.exists(marker), "the run never reached its second checkpoint"
    assert not os.path.exists(os.path.join(interrupted, "checkpoints", "ckpt-160.index")), "killed too late"
    # The latest checkpoint is loadable even though the kill may have hit a save.
    assert tf.train.latest_checkpoint(os.path.join(interrupted, "checkpoints"))

    result = run_cli(*FLAGS, f"--workdir={interrupted}")
    assert result.returncode == 0, result.stderr[-2000:]
    assert tf.train.latest_checkpoint(os.path.join(interrupted, "checkpoints")).endswith("ckpt-160")
    ref, got = checkpoint_values(reference), checkpoint_values(interrupted)
    assert ref.keys() == got.keys()
    for name in ref:
        np.testing.assert_allclose(got[name], ref[name], rtol=1e-6, atol=1e-7, err_msg=name)
