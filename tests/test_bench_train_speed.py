"""benchmarks/train_speed.py: a tiny end-to-end run prints the speed table with finite, counted numbers."""

from __future__ import annotations

import importlib.util
import math
import re

import pytest

from tests.conftest import run_cli


@pytest.mark.slow  # eight modes built and timed: about a minute on an idle 2-core machine
def test_tiny_run_prints_every_mode_with_counted_flops(tmp_path) -> None:
    modes = ["default", "fit", "fit_bf16", "fit_xla_reuse", "eager"]
    if importlib.util.find_spec("torch") is not None:
        modes += ["torch", "torch_bf16", "torch_reuse"]
    results = tmp_path / "speed.md"
    result = run_cli("benchmarks/train_speed.py", "--sizes=16", "--width=8", "--batch=4", "--steps_32=1",
                     "--rounds=1", f"--modes={','.join(modes)}", "--extra_modes_32=", f"--results={results}",
                     timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    text = results.read_text()
    flops = re.search(r"16²: ([\d.]+) GFLOP per training step \(([\d.]+) with `reuse_fakes`\)", text)
    assert flops, text
    assert 0 < float(flops.group(2)) < float(flops.group(1))  # one G forward pass less
    rows = [line for line in text.splitlines() if line.startswith("| 16² |")]
    assert len(rows) == len(modes)
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        steps_per_s, cpu_s, d_loss, g_loss = float(cells[2]), float(cells[9]), float(cells[13]), float(cells[14])
        assert steps_per_s > 0 and cpu_s > 0 and math.isfinite(d_loss) and math.isfinite(g_loss), row
    eager = next(r for r in rows if "eager" in r)
    assert "| 1.00 |" in eager  # the eager loop is its own reference
    assert "- CPU: " in text and "native bf16: " in text  # the CPU's features are printed
    default = next(r for r in rows if "`tfgan-train` defaults" in r)
    assert "jit_compile=auto → " in default and "mixed_precision=" in default  # the resolved settings
    if "torch_bf16" in modes:  # the Keras bf16 row is compared with PyTorch's bf16 autocast row
        cells = {r.split("|")[2].strip(): [c.strip() for c in r.strip("|").split("|")] for r in rows}
        keras_bf16, torch_bf16 = cells["Keras `fit`, mixed bf16"], cells["PyTorch, bf16 autocast"]
        assert float(keras_bf16[7]) == pytest.approx(float(keras_bf16[2]) / float(torch_bf16[2]), rel=0.02, abs=0.011)
        assert torch_bf16[7] == "1.00"
