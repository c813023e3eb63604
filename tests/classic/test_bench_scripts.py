"""The large p-median benchmark scripts without their data: one line and exit code 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("script", "missing"),
    [("bench_pmed_large.py", "optima.csv"), ("bench_master_solves.py", "rl1304.tsp")],
)
def test_bench_script_without_data_says_where_to_put_it(tmp_path, script, missing):
    env = dict(os.environ, RURALNET_PMED_LARGE=str(tmp_path / "missing"))
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), "--p", "5"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1
    assert missing in lines[0]
    assert "RURALNET_PMED_LARGE" in lines[0]
    assert out.stdout == ""


def test_bench_master_solves_tabulates_every_solve_of_a_small_instance(tmp_path):
    rng = np.random.default_rng(3)
    pts = rng.integers(0, 1000, size=(150, 2))
    body = "\n".join(f"{i + 1} {x} {y}" for i, (x, y) in enumerate(pts))
    (tmp_path / "tiny.tsp").write_text(f"NAME: tiny\nNODE_COORD_SECTION\n{body}\nEOF\n")
    env = dict(os.environ, RURALNET_PMED_LARGE=str(tmp_path))
    script = ROOT / "benchmarks" / "bench_master_solves.py"
    out = subprocess.run(
        [sys.executable, str(script), "--instances", "tiny", "--p", "8,40"],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    rows = [ln.split("|")[1:-1] for ln in out.stdout.splitlines() if ln.startswith("| tiny")]
    assert [r[1].strip() for r in rows] == ["8", "40"]
    for r in rows:
        assert r[-1].strip().startswith("optimal")
        assert int(r[2]) > 0  # every solve of the master LP is recorded, with its iterations
        assert int(r[3].replace(",", "")) > 0
        assert float(r[4]) >= 0


@pytest.mark.parametrize("script", ["bench_pmed_large.py", "bench_master_solves.py"])
def test_bench_script_rejects_a_bad_p_list(script):
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), "--p", "10,x"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert out.returncode == 2
    assert "comma list of positive integers" in out.stderr
    assert "Traceback" not in out.stderr
    assert out.stdout == ""
