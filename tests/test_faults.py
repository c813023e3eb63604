"""Faults: kills and crashes mid-write, Ctrl-C during a solve, time limits, determinism."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import ruralnet as rn
from ruralnet import export
from ruralnet.synth import generate_synthetic, write_dataset

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parents[1]

WRITER = """
import sys
import ruralnet as rn
a = rn.solve(sys.argv[1])
b = rn.solve(rn.load_scenario(sys.argv[1]).with_overrides(
    {"scenario": {"name": "other"}, "service": {"max_access_km": 10.0}, "station": {"operating_yuan_per_year": 60000}}))
print("ready", flush=True)
while True:
    for plan in (a, b):
        plan.write(sys.argv[2], with_map=False)
"""


def consistent(folder: Path) -> str:
    """Return the scenario name of a complete, self-consistent output folder."""
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    geojson = json.loads((folder / "plan.geojson").read_text(encoding="utf-8"))
    assert summary["scenario"] == geojson["ruralnet"]["scenario"]
    stations = (folder / "stations.csv").read_text(encoding="utf-8-sig").splitlines()[1:]
    in_geojson = sorted(
        f["properties"]["site_id"]
        for f in geojson["features"]
        if f["properties"]["role"] == "station"
    )
    assert sorted(line.split(",")[0] for line in stations) == in_geojson
    assert len(stations) == summary["stations_opened"]
    assert (folder / "targets.md").read_text(encoding="utf-8").count(summary["scenario"]) == 1
    return summary["scenario"]


@pytest.mark.slow
def test_killed_mid_write_leaves_old_or_new_outputs(tmp_path):
    out = tmp_path / "out"
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(DATA / "tiny.toml"), str(out)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout.readline().strip() == "ready"
    rng = np.random.default_rng(5)
    seen = set()
    try:
        for _ in range(12):
            time.sleep(float(rng.uniform(0.05, 0.4)))
            child.send_signal(signal.SIGSTOP)  # freeze mid-write, look, go on
            if out.exists():
                seen.add(consistent(out))
            child.send_signal(signal.SIGCONT)
    finally:
        child.kill()
        child.wait()
    assert consistent(out) in {"tiny base", "other"}  # after the SIGKILL too
    assert seen == {"tiny base", "other"}  # both plans were caught in place, never a mix
    rn.solve(DATA / "tiny.toml").write(out, with_map=False)  # the next run clears the debris
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_crash_during_write_keeps_previous_outputs(tmp_path, monkeypatch):
    plan = rn.solve(DATA / "tiny.toml")
    plan.write(tmp_path / "out", with_map=False)
    before = {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()}

    def boom(_plan, _folder):
        msg = "disk full"
        raise OSError(msg)

    monkeypatch.setattr(export, "write_tables", boom)
    with pytest.raises(OSError, match="disk full"):
        plan.write(tmp_path / "out", with_map=False)
    after = {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()}
    assert after == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging folder left


@pytest.mark.parametrize("threads", [1, 2])
def test_same_scenario_and_seed_give_identical_files(tmp_path, threads):
    scenario = rn.load_scenario(DATA / "tiny.toml").with_overrides(
        {
            "scenario": {"dataset": str(DATA / "tiny_bus")},
            "solver": {"threads": threads},
            "phases": [
                {"name": "a", "coverage_target": 0.6},
                {"name": "b", "coverage_target": 1.0},
            ],
        }
    )
    for name in ("one", "two"):
        rn.solve(scenario).write(tmp_path / name, with_map=False)
    for path in (tmp_path / "one").iterdir():
        if path.name != "summary.json":
            assert path.read_bytes() == (tmp_path / "two" / path.name).read_bytes(), path.name
    first = json.loads((tmp_path / "one" / "summary.json").read_text(encoding="utf-8"))
    second = json.loads((tmp_path / "two" / "summary.json").read_text(encoding="utf-8"))
    first["solver"].pop("seconds")
    second["solver"].pop("seconds")
    assert first == second


@pytest.fixture(scope="module")
def big_county(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("big")
    write_dataset(generate_synthetic(2000, seed=11), folder / "county")
    toml = folder / "big.toml"
    toml.write_text(
        f'[scenario]\nextends = "{(ROOT / "scenarios" / "dongchangfu.toml").as_posix()}"\nname = "big"\n'
        'dataset = "county"\n[bus]\nenabled = false\n[service]\nfeed_within_township = false\n',
        encoding="utf-8",
    )
    return toml


@pytest.mark.slow
def test_time_limit_keeps_the_best_verified_plan_or_says_none(big_county, tmp_path):
    scenario = rn.load_scenario(big_county).with_overrides({"solver": {"time_limit_s": 4}})
    try:
        plan = rn.solve(scenario)
    except rn.SolverError as exc:
        assert "found no plan within its limit (4 s); raise [solver].time_limit_s" in str(exc)
        return
    assert plan.verification.ok
    assert plan.solution.status in {rn.SolveStatus.FEASIBLE, rn.SolveStatus.OPTIMAL}
    if plan.solution.status is rn.SolveStatus.FEASIBLE:
        assert plan.summary()["solver"]["gap"] > 0


@pytest.mark.slow
def test_ctrl_c_during_solve_writes_the_incumbent_or_nothing(big_county, tmp_path):
    out = tmp_path / "out"
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ruralnet.cli",
            "-v",
            "run",
            str(big_county),
            "-o",
            str(out),
            "--no-map",
        ],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    for line in child.stderr:
        if line.startswith("ruralnet.assemble: problem:"):
            break
    time.sleep(8.0)  # model build, then into the solve
    child.send_signal(signal.SIGINT)
    rest = child.stderr.read()
    code = child.wait(timeout=120)
    assert code == 130, rest
    if out.exists():
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        assert summary["solver"]["status"] in {"interrupted", "optimal"}
        assert summary["verified"] is True
        assert (
            "interrupted: wrote the best plan found so far" in rest
            or summary["solver"]["status"] == "optimal"
        )
    else:
        assert "interrupted" in rest
