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
from ruralnet import cli, export
from ruralnet.errors import OutputError
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
    """Ctrl-C a few seconds into HiGHS's solve of 2,000 villages (about 90 s to the end here).

    HiGHS does not stop on request inside its presolve, root LP or search, so the run gives it
    a moment and then stops without it: within seconds, where it once took minutes (issue 14).
    """
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
        if line.startswith("ruralnet.solve: solving with highs:"):
            break
    else:
        child.wait()
        pytest.fail(f"ruralnet run ended (exit {child.returncode}) before its solve")
    time.sleep(5.0)  # into HiGHS: its presolve or root LP
    child.send_signal(signal.SIGINT)
    asked = time.monotonic()
    try:  # Ctrl-C stops the run wherever it lands: the solve, the routes or a re-pricing round
        _, rest = child.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        pytest.fail("ruralnet run did not stop within 60 s of Ctrl-C")
    print(f"ended {time.monotonic() - asked:.1f} s after Ctrl-C")  # noqa: T201 - shown with -s
    assert child.returncode == 130, rest
    assert "Traceback" not in rest and "terminate called" not in rest, rest
    assert sorted(p.name for p in tmp_path.iterdir()) in ([], ["out"])  # no staging, no lock
    if out.exists():  # HiGHS happened to finish within its moment: its plan, as interrupted
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        assert summary["solver"]["status"] == "interrupted"
        assert summary["verified"] is True
        assert "interrupted: wrote the best plan found so far" in rest
    else:
        assert "highs cannot be stopped inside a solve" in rest
        assert "error: interrupted; no output was written" in rest


def test_ctrl_c_in_a_comparison_solve_stops_the_run(monkeypatch):
    """A comparison's solve (all-van) that Ctrl-C stopped with its plan is not a finished one."""
    import dataclasses

    from ruralnet import pipeline

    solve_model, solves = pipeline.solve_model, []

    def second_interrupted(*args, **kwargs):
        solves.append(solve_model(*args, **kwargs))
        if len(solves) == 1:
            return solves[0]  # the plan's own solve
        return dataclasses.replace(solves[-1], status=rn.SolveStatus.INTERRUPTED)

    monkeypatch.setattr(pipeline, "solve_model", second_interrupted)
    scenario = rn.load_scenario(DATA / "tiny.toml").with_overrides(
        {"scenario": {"dataset": str(DATA / "tiny_bus")}}
    )
    with pytest.raises(KeyboardInterrupt):
        rn.solve(scenario)
    assert len(solves) == 2


# --- the output folder: modes, the lock, leftovers (issue 14) ---------------------------

HOLDER = """
import sys, time
from ruralnet._files import folder_lock
with folder_lock(sys.argv[1]):
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
"""


@pytest.fixture(scope="module")
def tiny_plan() -> rn.Plan:
    return rn.solve(DATA / "tiny.toml")


def _files_of(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o755), (0o077, 0o700), (0o002, 0o775)])
def test_a_new_output_folder_follows_the_umask(tmp_path, tiny_plan, umask, mode):
    old = os.umask(umask)
    try:
        tiny_plan.write(tmp_path / "out", with_map=False)
    finally:
        os.umask(old)
    assert (tmp_path / "out").stat().st_mode & 0o777 == mode
    for path in (tmp_path / "out").iterdir():  # whoever may read the folder may read its files
        assert path.stat().st_mode & 0o444 == mode & 0o444, path.name


def test_a_replaced_output_folder_keeps_its_mode(tmp_path, tiny_plan):
    tiny_plan.write(tmp_path / "out", with_map=False)
    (tmp_path / "out").chmod(0o750)
    tiny_plan.write(tmp_path / "out", with_map=False)
    assert (tmp_path / "out").stat().st_mode & 0o777 == 0o750


def test_a_folder_locked_by_another_process_is_refused_untouched(tmp_path, tiny_plan, capsys):
    out = tmp_path / "out"
    tiny_plan.write(out, with_map=False)
    before = _files_of(out)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(out), "30"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        code = cli.main(["run", str(DATA / "tiny.toml"), "-o", str(out), "-q", "--no-map"])
        errors = [e for e in capsys.readouterr().err.splitlines() if e.startswith("error: ")]
        assert code == 2
        assert len(errors) == 1
        assert f"another ruralnet run (process {holder.pid}) is writing this folder" in errors[0]
        with pytest.raises(OutputError, match="another ruralnet run"):
            tiny_plan.write(out, with_map=False)  # the library refuses the same way
    finally:
        holder.kill()
        holder.wait()
    assert _files_of(out) == before
    tiny_plan.write(out, with_map=False)  # the lock died with its process
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # lock file removed


def test_two_runs_on_one_folder_leave_one_complete_plan(tmp_path):
    """Started together: one writes a complete plan, the other is told (or runs after it)."""
    other = tmp_path / "other.toml"
    other.write_text(
        f'[scenario]\nextends = "{(DATA / "tiny.toml").as_posix()}"\nname = "other"\n'
        "[station]\noperating_yuan_per_year = 60000\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    command = [sys.executable, "-m", "ruralnet.cli", "run", "-q", "--no-map", "--no-routes"]
    runs = [
        subprocess.Popen([*command, str(toml), "-o", str(out)], stderr=subprocess.PIPE, text=True)
        for toml in (DATA / "tiny.toml", other)
    ]
    results = [(run.wait(timeout=300), run.stderr.read()) for run in runs]
    for code, err in results:
        assert "Traceback" not in err, err
        assert code in (0, 2), err
        if code == 2:
            assert err.count("error: ") == 1 and "another ruralnet run" in err, err
    assert any(code == 0 for code, _ in results)
    assert consistent(out) in {"tiny base", "other"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.toml", "out"]


def test_leftovers_are_recognised_by_their_exact_name(tmp_path, tiny_plan):
    """What a killed writer left is cleared; helper folders of other outputs are not touched."""
    out = tmp_path / "out[1]"
    stale = tmp_path / ".out[1].ruralnet-new"
    stale.mkdir()
    (stale / "plan.geojson").write_text("half", encoding="utf-8")
    others = [tmp_path / ".out1.ruralnet-new", tmp_path / ".out[1].ruralnet-new-x"]
    for folder in others:
        folder.mkdir()
        (folder / "keep.txt").write_text("x", encoding="utf-8")
    tiny_plan.write(out, with_map=False)
    assert not stale.exists()
    assert all((folder / "keep.txt").read_text(encoding="utf-8") == "x" for folder in others)
    assert consistent(out) == "tiny base"


def test_killed_between_the_two_renames_gets_its_outputs_back(tmp_path, tiny_plan):
    """Without an atomic exchange a kill can fall between the renames: the next writer recovers."""
    out = tmp_path / "out"
    tiny_plan.write(out, with_map=False)
    out.rename(tmp_path / ".out.ruralnet-old")  # the state right after the first rename
    tiny_plan.write(out, with_map=False)
    assert consistent(out) == "tiny base"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
