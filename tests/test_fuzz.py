"""The fuzzer: the tiny county and its scenario broken systematically, every case through the CLI.

The catalogue is :mod:`fuzz_cases` (every layer and column, geometry, file, ``bus_lines.csv``,
``dataset.toml`` and scenario key, each broken every way listed there); this module adds the
faults of the output side (disk full, read-only and pseudo file systems, permission errors,
a folder locked by another run) and a hypothesis search over random cell values.

For every case ``ruralnet run`` must give: no traceback; exit 0 with no ``error:`` line and a
verified plan, or exit 2 (1 only for an explained infeasible plan) with exactly one ``error:``
line; and when it fails, nothing written: the previous output folder byte-identical and nothing
new beside it. A case's stated outcome (refused / legal) is checked too. The quick suite runs
the cases marked ``fast``; the rest are ``slow`` (CI runs them all).
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from fuzz_cases import BASE, LEGAL, REFUSED, SCENARIO, Case, all_cases, write_scenario
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ruralnet import _files, cli, export, gis

CASES = all_cases()
RUN = ["--no-map", "--no-routes", "-q"]


@pytest.fixture(scope="module")
def previous(tmp_path_factory) -> Path:
    """A plan folder written before each case: it must survive every failed run unchanged."""
    work = tmp_path_factory.mktemp("previous")
    shutil.copytree(BASE, work / "county")
    write_scenario(work, SCENARIO)
    assert cli.main(["run", str(work / "s.toml"), "-o", str(work / "out"), *RUN]) == 0
    return work / "out"


def make_work(root: Path, previous: Path) -> Path:
    shutil.copytree(BASE, root / "county")
    write_scenario(root, SCENARIO)
    shutil.copytree(previous, root / "out")
    return root


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every path below ``folder`` with its bytes (None for folders and links)."""
    out: dict[str, bytes | None] = {}
    for path in sorted(folder.rglob("*")):
        key = str(path.relative_to(folder))
        out[key] = path.read_bytes() if path.is_file() and not path.is_symlink() else None
    return out


INFEASIBLE = "infeasible"  # legal input, no plan can meet it: exit 1, explained in one line


def check_outcome(code: int, err: str, work: Path, before: dict[str, bytes | None]) -> str:
    """Assert the invariants of any run; return ``legal``, ``infeasible`` or ``refused``."""
    lines = err.strip().splitlines()
    errors = [line for line in lines if line.startswith("error: ")]
    assert "Traceback" not in err, err
    assert not any("internal error" in line for line in errors), errors
    if code == 0:
        assert errors == [], lines
        summary = json.loads((work / "out" / "summary.json").read_text(encoding="utf-8"))
        assert summary["verified"] is True
        names = {p.name for p in work.iterdir()}
        assert not [n for n in names if ".ruralnet-" in n], names  # no staging or lock left
        return LEGAL
    assert code in (1, 2), (code, lines)
    assert len(errors) == 1, lines
    assert snapshot(work) == before, "a failed run changed the work folder"
    return INFEASIBLE if code == 1 else REFUSED


def run_case(case: Case, work: Path, capsys) -> None:
    case.breaks(work)
    before = snapshot(work)
    capsys.readouterr()
    code = cli.main(["run", str(work / "s.toml"), "-o", str(work / "out"), *RUN])
    err = capsys.readouterr().err
    outcome = check_outcome(code, err, work, before)
    allowed = {REFUSED: {REFUSED}, LEGAL: {LEGAL, INFEASIBLE}}.get(case.expect)
    if allowed is not None:
        assert outcome in allowed, f"{case.id}: expected {case.expect}, got exit {code}: {err}"
    if outcome == REFUSED and case.pattern and case.expect == REFUSED:
        error = next(line for line in err.splitlines() if line.startswith("error: "))
        assert re.search(case.pattern, error), f"{case.id}: {error!r} !~ {case.pattern!r}"


PARAMS = [
    pytest.param(case, id=case.id, marks=() if case.fast else (pytest.mark.slow,)) for case in CASES
]


@pytest.mark.parametrize("case", PARAMS)
def test_case(case: Case, tmp_path: Path, previous: Path, capsys):
    run_case(case, make_work(tmp_path, previous), capsys)


def test_the_catalogue_covers_every_class():
    prefixes = {c.id.split(".")[0] for c in CASES}
    assert prefixes >= {
        "villages", "townships", "station_sites", "centre_sites", "hubs", "roads", "boundary",
        "bus_stops", "bus_lines", "dataset_toml", "scenario",
    }  # fmt: skip
    assert len(CASES) > 1000
    assert 150 <= sum(c.fast for c in CASES) <= 250  # the quick suite stays quick


# --- faults of the output side ---------------------------------------------------------


def _fault(monkeypatch, target, name: str, code: int, *, after: int = 0, times: int = 10**9):
    """Make ``target.name`` raise ``OSError(code)`` on ``times`` calls after the ``after``-th."""
    real = getattr(target, name)
    calls = {"n": 0}

    def failing(*args, **kwargs):
        calls["n"] += 1
        if after < calls["n"] <= after + times:
            raise OSError(code, os.strerror(code), str(args[0]) if args else None)
        return real(*args, **kwargs)

    monkeypatch.setattr(target, name, failing)


FAULTS = {  # where the system fails: (object, attribute, calls that still work)
    "first_table": (export, "write_text_atomic", 0),
    "summary": (export, "write_text_atomic", 4),
    "geopackage": (gis.pyogrio, "write_dataframe", 2),
    "swap": (_files, "exchange_paths", 0),
}
REASONS = {
    errno.ENOSPC: "the disk is full",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
}


@pytest.mark.parametrize("where", FAULTS)
@pytest.mark.parametrize("code", list(REASONS), ids=["ENOSPC", "EROFS", "EACCES"])
def test_system_refuses_a_write(where, code, tmp_path, previous, monkeypatch, capsys):
    """Disk full, read-only file system, permission denied: one line, previous outputs kept."""
    work = make_work(tmp_path, previous)
    # a different plan, so that a half-done swap would show
    write_scenario(work, {**SCENARIO, "station": {"operating_yuan_per_year": 60000}})
    target, name, after = FAULTS[where]
    _fault(monkeypatch, target, name, code, after=after)
    if where == "swap":  # no atomic exchange: the fallback's second rename fails
        monkeypatch.setattr(_files, "exchange_paths", lambda _a, _b: False)
        _fault(monkeypatch, Path, "rename", code, after=1, times=1)  # the second rename
    before = snapshot(work)
    code_out = cli.main(["run", str(work / "s.toml"), "-o", str(work / "out"), *RUN])
    err = capsys.readouterr().err
    assert check_outcome(code_out, err, work, before) == REFUSED
    assert code_out == 2
    assert REASONS[code] in err and "out" in err, err


def test_lock_cannot_be_made(tmp_path, previous, monkeypatch, capsys):
    """A read-only parent folder: refused before solving, nothing touched."""
    work = make_work(tmp_path, previous)
    _fault(monkeypatch, _files.os, "open", errno.EROFS)
    before = snapshot(work)
    code = cli.main(["run", str(work / "s.toml"), "-o", str(work / "out"), *RUN])
    monkeypatch.undo()
    err = capsys.readouterr().err
    assert check_outcome(code, err, work, before) == REFUSED
    assert "the file system is read-only" in err


@pytest.mark.parametrize("target", ["/proc/ruralnet-fuzz", "/proc/self/ruralnet-fuzz"])
def test_pseudo_file_system(target, tmp_path, previous, capsys):
    work = make_work(tmp_path, previous)
    before = snapshot(work)
    code = cli.main(["run", str(work / "s.toml"), "-o", target, *RUN])
    err = capsys.readouterr().err
    assert check_outcome(code, err, work, before) == REFUSED
    assert code == 2 and "ruralnet-fuzz" in err and not Path(target).exists()


def test_output_names_with_glob_characters(tmp_path, previous, capsys):
    """An output named like a pattern touches only itself, never another folder's helpers."""
    work = make_work(tmp_path, previous)
    other = work / ".out1.ruralnet-new"  # what a pattern ``.out[1].*`` would have matched
    other.mkdir()
    (other / "keep.txt").write_text("x", encoding="utf-8")
    code = cli.main(["run", str(work / "s.toml"), "-o", str(work / "out[1]"), *RUN])
    assert code == 0, capsys.readouterr().err
    assert (other / "keep.txt").read_text(encoding="utf-8") == "x"
    assert json.loads((work / "out[1]" / "summary.json").read_text(encoding="utf-8"))["verified"]


# --- hypothesis: random values in random cells -----------------------------------------

_LAYER_COLUMNS = [
    ("villages", "population"), ("villages", "village_id"), ("villages", "name"),
    ("villages", "inbound_parcels_per_day"), ("villages", "producing"),
    ("station_sites", "capacity_parcels_per_day"), ("station_sites", "kind"),
    ("centre_sites", "capacity_parcels_per_day"), ("hubs", "capacity_parcels_per_day"),
    ("roads", "oneway"), ("roads", "highway"), ("bus_stops", "seq"),
]  # fmt: skip
_JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=2)
    ),
    max_leaves=4,
)
_TOML_VALUES = (
    st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=6)
)
_KEYS = [
    ("service", "max_access_km"), ("service", "coverage_target"), ("station", "upgrade_yuan"),
    ("station", "lifetime_years"), ("demand", "days_per_year"), ("finance", "discount_rate"),
    ("bus", "enabled"), ("solver", "time_limit_s"), ("solver", "threads"), ("scenario", "seed"),
    ("phases", "demand_factor"), ("phases", "years"), ("phases", "budget_yuan"),
]  # fmt: skip


def _random_run(previous: Path, capsys, breaks) -> None:
    with tempfile.TemporaryDirectory() as folder:
        work = make_work(Path(folder), previous)
        breaks(work)
        before = snapshot(work)
        capsys.readouterr()
        code = cli.main(["run", str(work / "s.toml"), "-o", str(work / "out"), *RUN])
        check_outcome(code, capsys.readouterr().err, work, before)


def _set_cell(layer: str, column: str, value):
    from fuzz_cases import set_property

    return set_property(layer, column, value)


def _fuzz_cells(previous, capsys, data):
    layer, column = data.draw(st.sampled_from(_LAYER_COLUMNS))
    _random_run(previous, capsys, _set_cell(layer, column, data.draw(_JSON_VALUES)))


def _fuzz_keys(previous, capsys, data):
    from fuzz_cases import scenario_with

    section, key = data.draw(st.sampled_from(_KEYS))
    _random_run(previous, capsys, scenario_with(section, key, data.draw(_TOML_VALUES)))


_QUICK = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
_LONG = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))


@_QUICK
@given(data=st.data())
def test_random_cells(previous, capsys, data):
    _fuzz_cells(previous, capsys, data)


@_QUICK
@given(data=st.data())
def test_random_scenario_values(previous, capsys, data):
    _fuzz_keys(previous, capsys, data)


@pytest.mark.slow
@_LONG
@given(data=st.data())
def test_random_cells_long(previous, capsys, data):
    _fuzz_cells(previous, capsys, data)


@pytest.mark.slow
@_LONG
@given(data=st.data())
def test_random_scenario_values_long(previous, capsys, data):
    _fuzz_keys(previous, capsys, data)


def test_a_limit_from_the_command_line_is_checked_too(tmp_path, previous, capsys):
    work = make_work(tmp_path, previous)
    before = snapshot(work)
    argv = ["run", str(work / "s.toml"), "-o", str(work / "out"), "--time-limit", "1e308", *RUN]
    code = cli.main(argv)
    err = capsys.readouterr().err
    assert check_outcome(code, err, work, before) == REFUSED
    assert "[solver].time_limit_s: must be at most" in err


def test_unlimited_is_explicit_never_infinite():
    """A hub without capacity has no limit: the county's parcels, not an infinite coefficient."""
    import numpy as np

    import ruralnet as rn

    scenario = rn.load_scenario(BASE.parent / "tiny.toml")
    inputs = rn.load_inputs(BASE)
    assert inputs.hubs["capacity_parcels_per_day"].isna().all()  # not given in the data
    problem = rn.build_problem(scenario, inputs).problem
    for name in ("hub_capacity", "station_capacity", "centre_capacity", "inbound", "outbound"):
        assert np.isfinite(getattr(problem, name)).all(), name
    assert problem.hub_capacity.min() >= problem.parcels.sum()
