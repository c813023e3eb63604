"""The large p-median benchmark script without its data: one line and exit code 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_pmed_large_without_data_says_where_to_put_it(tmp_path):
    env = dict(os.environ, RURALNET_PMED_LARGE=str(tmp_path / "missing"))
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_pmed_large.py"), "--p", "5"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "optima.csv" in lines[0]
    assert "RURALNET_PMED_LARGE" in lines[0]
    assert out.stdout == ""
