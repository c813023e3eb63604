"""The large p-median benchmark scripts: bad input, missing data and a tiny instance."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _tiny_instance(folder: Path) -> None:
    """150 random points in ``folder/tiny.tsp``, and ``optima.csv`` listing p = 8."""
    pts = np.random.default_rng(3).integers(0, 1000, size=(150, 2))
    body = "\n".join(f"{i + 1} {x} {y}" for i, (x, y) in enumerate(pts))
    (folder / "tiny.tsp").write_text(f"NAME: tiny\nNODE_COORD_SECTION\n{body}\nEOF\n")
    (folder / "optima.csv").write_text("instance,p,value,status,dm_Ttot_s\ntiny,8,0,OPT,1.0\n")


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
    _tiny_instance(tmp_path)
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


def test_side_by_side_runs_both_codes_and_tabulates_each_run(tmp_path):
    _tiny_instance(tmp_path)
    env = dict(os.environ, RURALNET_PMED_LARGE=str(tmp_path))
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_pmed_side_by_side.py"),
         "--old", str(ROOT), "--instances", "tiny", "--rounds", "2"],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    rows = [ln.split("|")[1:-1] for ln in out.stdout.splitlines() if ln.startswith("| tiny")]
    assert len(rows) == 1
    cells = [c.strip() for c in rows[0]]
    assert cells[1] == "8"
    assert len(cells[2].split(", ")) == len(cells[3].split(", ")) == 2  # 2 runs per code
    assert cells[-1] == "optimal"  # the same code on both sides: the same result


def test_side_by_side_without_an_old_checkout_says_what_to_give(tmp_path):
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_pmed_side_by_side.py"),
         "--old", str(tmp_path)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "git worktree" in lines[0]
    assert out.stdout == ""
