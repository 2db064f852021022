"""`make bench` at its smallest size, so a change that breaks the benchmark fails the tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

BENCH = Path(__file__).resolve().parent.parent / "bench" / "transfer.py"


def test_bench_runs_and_prints_the_table(tmp_path: Path) -> None:
    env = {**os.environ, "BENCH_SIZES": "64", "BENCH_REPEAT": "1", "BENCH_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, str(BENCH)], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    rows = [line.split() for line in result.stdout.splitlines() if line.strip().startswith("64MB")]
    assert {(row[1], row[2]) for row in rows} == {
        (direction, approach)
        for direction in ("download", "upload")
        for approach in ("reference", "fl_client")
    }
