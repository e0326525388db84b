"""MirroredStrategy over 2 logical CPUs gives the weights of the default strategy on the same global batch."""

import textwrap

from tests.conftest import run_cli

SCRIPT = textwrap.dedent(
    """
    import sys, tempfile
    import numpy as np
    sys.path.insert(0, ".")
    from tests.conftest import tiny_config
    from tfgan_apps import trainer
    from tfgan_apps.data import make_dataset

    results = {}
    for strategy in ("default", "mirrored"):
        config = tiny_config(train__logical_cpus=2, train__strategy=strategy, train__deterministic=True)
        run = trainer.build_run(config, tempfile.mkdtemp())
        assert run.strategy.num_replicas_in_sync == (2 if strategy == "mirrored" else 1)
        run.model.fit(make_dataset(run.source, 16), epochs=1, steps_per_epoch=3, verbose=0)
        results[strategy] = [np.array(w.numpy()) for w in run.model.generator.weights + run.model.discriminator.weights]
    worst = max(float(np.max(np.abs(a - b))) for a, b in zip(results["default"], results["mirrored"]))
    moved = any(not np.allclose(a, 0) for a in results["default"])
    print("MAXDIFF", worst, moved)
    """
)


def test_mirrored_matches_default(tmp_path):
    script = tmp_path / "mirror.py"
    script.write_text(SCRIPT)
    result = run_cli(str(script))
    assert result.returncode == 0, result.stderr[-3000:]
    line = [x for x in result.stdout.splitlines() if x.startswith("MAXDIFF")][-1]
    _, worst, moved = line.split()
    assert moved == "True"
    assert float(worst) < 1e-5, line
