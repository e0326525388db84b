"""MirroredStrategy over 2 logical CPUs gives the weights of the default strategy on the same global batch.

Two configs: the tiny DCGAN, and WGAN-GP with 5 critic steps per generator step (the gradient penalty's
interpolation α is drawn for the global batch and sliced per replica, so it must match too).
"""

import textwrap

import pytest

from tests.conftest import run_cli

SCRIPT = textwrap.dedent(
    """
    import sys, tempfile
    import numpy as np
    sys.path.insert(0, ".")
    from tests.conftest import tiny_config
    from tfgan_apps import trainer
    from tfgan_apps.data import make_dataset

    overrides = dict(OVERRIDES)
    results = {}
    for strategy in ("default", "mirrored"):
        config = tiny_config(train__logical_cpus=2, train__strategy=strategy, train__deterministic=True, **overrides)
        run = trainer.build_run(config, tempfile.mkdtemp())
        assert run.strategy.num_replicas_in_sync == (2 if strategy == "mirrored" else 1)
        batch = 16 * config.train.d_steps
        dataset = make_dataset(run.source, batch, d_steps=config.train.d_steps,
                               replicas=run.strategy.num_replicas_in_sync)
        run.model.fit(dataset, epochs=1, steps_per_epoch=3, verbose=0)
        results[strategy] = [np.array(w.numpy()) for w in run.model.generator.weights + run.model.discriminator.weights]
    worst = max(float(np.max(np.abs(a - b))) for a, b in zip(results["default"], results["mirrored"]))
    moved = any(not np.allclose(a, 0) for a in results["default"])
    print("MAXDIFF", worst, moved)
    """
)


CASES = {
    "dcgan": {},
    "wgan_gp_5_critic_steps": {
        "model__loss": "wasserstein", "model__penalties__gradient_penalty": 10.0, "train__d_steps": 5,
        "model__discriminator__norm": "none",
    },
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_mirrored_matches_default(tmp_path, case):
    script = tmp_path / "mirror.py"
    script.write_text(SCRIPT.replace("dict(OVERRIDES)", repr(CASES[case])))
    result = run_cli(str(script))
    assert result.returncode == 0, result.stderr[-3000:]
    line = [x for x in result.stdout.splitlines() if x.startswith("MAXDIFF")][-1]
    _, worst, moved = line.split()
    assert moved == "True"
    assert float(worst) < 1e-5, line


def test_tpu_strategy_without_a_tpu_is_a_clear_error(tmp_path):
    # The TPU path itself cannot run here (no TPU); asking for it must fail with a message, not a traceback.
    # (An unreachable --config.train.tpu address is not tried: TensorFlow keeps retrying the connection.)
    result = run_cli("-m", "tfgan_apps.cli.train", "--config=dcgan_digits", f"--workdir={tmp_path}",
                     "--strategy=tpu", timeout=120)
    assert result.returncode != 0, result.stderr[-2000:]
    assert "strategy=tpu: no TPU found on this machine" in result.stderr, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
