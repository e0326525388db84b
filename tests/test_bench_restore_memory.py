"""benchmarks/restore_memory.py: fresh tfgan-restore processes, their peak RSS, tiled output equal to whole-image."""

from __future__ import annotations

import os

import pytest

from tests.conftest import ROOT, import_path, run_cli


@pytest.mark.slow  # 22 s: benchmark smoke test in subprocesses
def test_memory_table_has_every_run_and_tiles_match_the_whole_image(tmp_path):
    results = tmp_path / "restore_memory.md"
    result = run_cli(os.path.join("benchmarks", "restore_memory.py"), "--runs=160x96:112,160x96:whole",
                     "--overlap=48", f"--workdir={tmp_path / 'work'}", f"--results={results}")
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [line.split("|")[1:-1] for line in results.read_text().splitlines() if line.startswith("| 160×96")]
    assert [r[1].strip() for r in rows] == ["whole", "112"]  # the whole-image baseline runs first
    for _, _, seconds, peak, _ in rows:
        assert float(seconds) > 0 and 100 < float(peak) < 20000  # MiB of a TF process
    assert rows[0][4].strip() == "—" and int(rows[1][4]) <= 1  # ±1 grey level away from the border
    logs = (tmp_path / "work" / "out_160x96_112.png.log").read_text()
    assert "peak RSS" in logs and "(tile 112, batch 4)" in logs  # tfgan-restore logs its own peak


def test_bad_runs_item_is_a_clear_error():
    bench = import_path(os.path.join(ROOT, "benchmarks", "restore_memory.py"), "bench_restore_memory")
    assert bench.parse_runs("4000x3000:256,20x10:whole") == [(4000, 3000, 256), (20, 10, None)]
    with pytest.raises(SystemExit, match="bad --runs item '4000:256'"):
        bench.parse_runs("4000:256")
