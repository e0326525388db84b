"""benchmarks/restoration.py: the time limit fits a learning-rate decay's window to the phase's time budget."""

from __future__ import annotations

import os

import numpy as np

from tests.conftest import ROOT, import_path, tiny_config
from tfgan_apps import trainer
from tfgan_apps.data import make_dataset


def test_time_limit_moves_the_decay_window_to_the_budget(tmp_path):
    bench = import_path(os.path.join(ROOT, "benchmarks", "restoration.py"), "bench_restoration")
    config = tiny_config(train__lr_decay="cosine", train__lr_decay_start=0.5)
    run = trainer.build_run(config, str(tmp_path))
    dataset = make_dataset(run.source, config.data.batch_size, seed=0)
    limit = bench.TimeLimit(seconds=2.0, decay_start=0.5)
    run.model.fit(dataset, epochs=10**6, steps_per_epoch=2, callbacks=[limit], verbose=0, shuffle=False)
    steps = int(run.model.step.numpy())
    begin, end = int(run.model.lr_decay.begin.numpy()), int(run.model.lr_decay.end.numpy())
    # The window's end is the estimate of the last step (not the placeholder 10**9), its start half-way there.
    assert steps - 1 <= end <= 3 * steps + 10
    assert begin == int(0.5 * end)
    # Stopped when the time was up, so the rate has decayed most of the way (cosine to 1 % at the end).
    factor = float(run.model.lr_decay.factor())
    assert factor < 0.5, (steps, begin, end, factor)
    np.testing.assert_allclose(float(run.model.g_optimizer.learning_rate), 2e-4 * factor, rtol=1e-5)
