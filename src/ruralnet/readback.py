"""Read a written plan folder back into a :class:`Solution`, for ``ruralnet verify``.

A damaged folder is one line naming the file, the row and what is wrong (a missing or renamed
column, an id listed twice, text where a number belongs, a truncated ``summary.json``).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ruralnet._readers import read_csv, read_json
from ruralnet.errors import DataError
from ruralnet.problem import LinkOptions, Problem, Solution, SolveStatus

__all__ = ["PLAN_FIX", "read_plan_csv", "read_solution", "read_summary"]

#: The fix for a damaged plan folder.
PLAN_FIX = "Point at a folder written by 'ruralnet run', or write the plan again"

# the columns read back, per table (the others are checked against the recomputed plan)
_COLUMNS = {
    "villages.csv": ("village_id", "station_id"),
    "stations.csv": ("site_id", "centre_id"),
    "centres.csv": ("site_id", "hub_id"),
    "links.csv": (
        "from_id", "to_id", "tier", "mode", "line_id", "parcels_in_per_day", "parcels_out_per_day",
    ),
}  # fmt: skip
_KEYS = {"villages.csv": "village_id", "stations.csv": "site_id", "centres.csv": "site_id"}


def read_plan_csv(folder: Path, name: str, columns: tuple[str, ...] = ()) -> pd.DataFrame:
    """
    Read one table of a plan folder, every cell as text.

    Parameters
    ----------
    folder
        The plan folder.
    name
        ``villages.csv``, ``stations.csv``, ``centres.csv`` or ``links.csv``.
    columns
        Columns that must be there (default: those :func:`read_solution` reads).

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    DataError
        For a missing, empty or broken file, a missing column, or an id listed twice.
    """
    path = folder / name
    table = read_csv(path, fix=PLAN_FIX)
    missing = [c for c in columns or _COLUMNS.get(name, ()) if c not in table.columns]
    if missing:
        raise DataError(path, f"column {', '.join(missing)} is missing (renamed?)", PLAN_FIX)
    key = _KEYS.get(name)
    if key is not None:
        twice = table[key][table[key].duplicated()]
        if len(twice):
            raise DataError(
                path,
                f"{key} {twice.iloc[0]!r} is listed twice",
                PLAN_FIX,
                row=int(twice.index[0]) + 1,
            )
    return table


def read_summary(folder: Path) -> dict[str, Any]:
    """
    Read ``summary.json`` of a plan folder.

    Parameters
    ----------
    folder
        The plan folder.

    Returns
    -------
    dict

    Raises
    ------
    DataError
        For a missing, truncated or invalid file, or one that is not a JSON object.
    """
    path = folder / "summary.json"
    summary = read_json(path, fix=PLAN_FIX)
    if not isinstance(summary, dict):
        raise DataError(path, "is not a JSON object", PLAN_FIX)
    solver = summary.get("solver", {})
    if not isinstance(solver, dict):
        raise DataError(path, "solver is not a JSON object", PLAN_FIX)
    status = solver.get("status", "feasible")
    if status not in {s.value for s in SolveStatus}:
        known = ", ".join(s.value for s in SolveStatus)
        raise DataError(path, f"solver.status {status!r} is not one of {known}", PLAN_FIX)
    return summary


def _number(value: Any, path: Path, what: str, row: int | None = None) -> float:
    """Read a figure of a plan file as a finite float, or say in one line that it is not one."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if isinstance(value, bool) or not math.isfinite(number):
        raise DataError(path, f"{what} {value!r} is not a number", PLAN_FIX, row=row)
    return number


def _index(ids: tuple[str, ...], values: pd.Series, path: Path, what: str) -> np.ndarray:
    lookup = {ident: i for i, ident in enumerate(ids)}
    out = np.full(len(values), -1, dtype=np.int64)
    for row, value in enumerate(values):
        if value == "":
            continue
        if value not in lookup:
            raise DataError(
                path,
                f"{what} {value!r} is not in the scenario's data",
                "Verify against the scenario that wrote the plan",
                row=row + 1,
            )
        out[row] = lookup[value]
    return out


def _flows(
    links: pd.DataFrame,
    options: LinkOptions,
    ids: tuple[tuple[str, ...], tuple[str, ...]],
    lines: tuple[str, ...],
    path: Path,
) -> tuple[np.ndarray, np.ndarray]:
    key_of = {}
    for o in range(len(options)):
        line = lines[options.line[o]] if options.line[o] >= 0 else ""
        key_of[
            (ids[0][options.upstream[o]], ids[1][options.downstream[o]], str(options.mode[o]), line)
        ] = o
    f_in = np.zeros(len(options))
    f_out = np.zeros(len(options))
    for row, link in links.iterrows():
        key = (link["from_id"], link["to_id"], link["mode"], link["line_id"])
        if key not in key_of:
            raise DataError(
                path,
                f"link {key[0]} -> {key[1]} by {key[2]} {key[3]} is not an allowed option",
                "Fix or remove the row",
                row=int(row) + 1,
            )
        where = int(row) + 1
        f_in[key_of[key]] += _number(link["parcels_in_per_day"], path, "parcels_in_per_day", where)
        f_out[key_of[key]] += _number(
            link["parcels_out_per_day"], path, "parcels_out_per_day", where
        )
    return f_in, f_out


def read_solution(problem: Problem, folder: str | Path) -> Solution:
    """
    Rebuild the solution a plan folder describes, from its CSV tables and ``summary.json``.

    Parameters
    ----------
    problem
        The problem rebuilt from the plan's scenario.
    folder
        A folder written by ``ruralnet run``.

    Returns
    -------
    Solution
        With the objective and solver figures from ``summary.json``. For a phased plan the
        tables describe the last phase, and so does the solution (its objective is that
        phase's yearly cost).

    Raises
    ------
    DataError
        When a file is missing, damaged (see :func:`read_plan_csv`, :func:`read_summary`) or
        names an id the problem does not know.
    """
    folder = Path(folder)
    table = read_plan_csv(folder, "villages.csv")
    _index(problem.village_ids, table["village_id"], folder / "villages.csv", "village_id")
    absent = sorted(set(problem.village_ids) - set(table["village_id"]))
    if absent:
        raise DataError(
            folder / "villages.csv",
            f"{len(absent)} village(s) of the scenario's data are not listed ({', '.join(absent[:5])})",
            PLAN_FIX,
        )
    villages = table.set_index("village_id").reindex(list(problem.village_ids)).fillna("")
    stations = read_plan_csv(folder, "stations.csv")
    centres = read_plan_csv(folder, "centres.csv")
    links = read_plan_csv(folder, "links.csv")
    summary = read_summary(folder)
    open_station = np.zeros(len(problem.station_ids), dtype=bool)
    station_rows = _index(
        problem.station_ids, stations["site_id"], folder / "stations.csv", "site_id"
    )
    open_station[station_rows] = True
    station_centre = np.full(len(problem.station_ids), -1, dtype=np.int64)
    station_centre[station_rows] = _index(
        problem.centre_ids, stations["centre_id"], folder / "stations.csv", "centre_id"
    )
    open_centre = np.zeros(len(problem.centre_ids), dtype=bool)
    centre_rows = _index(problem.centre_ids, centres["site_id"], folder / "centres.csv", "site_id")
    open_centre[centre_rows] = True
    centre_hub = np.full(len(problem.centre_ids), -1, dtype=np.int64)
    centre_hub[centre_rows] = _index(
        problem.hub_ids, centres["hub_id"], folder / "centres.csv", "hub_id"
    )
    open_hub = np.zeros(len(problem.hub_ids), dtype=bool)
    open_hub[centre_hub[centre_hub >= 0]] = True
    open_hub |= problem.hub_fixed
    links_path = folder / "links.csv"
    feeder = links[links["tier"] == "feeder"]
    trunk = links[links["tier"] == "trunk"]
    feeder_in, feeder_out = _flows(
        feeder,
        problem.feeder,
        (problem.centre_ids, problem.station_ids),
        problem.bus.ids,
        links_path,
    )
    trunk_in, trunk_out = _flows(
        trunk, problem.trunk, (problem.hub_ids, problem.centre_ids), problem.bus.ids, links_path
    )
    solver = summary.get("solver", {})
    return Solution(
        open_station=open_station,
        open_centre=open_centre,
        open_hub=open_hub,
        village_station=_index(
            problem.station_ids, villages["station_id"], folder / "villages.csv", "station_id"
        ),
        station_centre=station_centre,
        centre_hub=centre_hub,
        feeder_in=feeder_in,
        feeder_out=feeder_out,
        trunk_in=trunk_in,
        trunk_out=trunk_out,
        status=SolveStatus(solver.get("status", "feasible")),
        objective=_objective(summary, folder / "summary.json"),
        best_bound=_figure(solver, "best_bound", folder / "summary.json", default=np.nan),
        seconds=_figure(solver, "seconds", folder / "summary.json", default=0.0),
        solver=str(solver.get("backend", "")),
    )


def _figure(table: dict[str, Any], key: str, path: Path, *, default: float) -> float:
    value = table.get(key)
    return default if value is None else _number(value, path, key)


def _objective(summary: dict[str, Any], path: Path) -> float:
    """Return the figure the verifier compares its recomputed cost with."""
    phases = summary.get("phases")
    if isinstance(phases, list) and len(phases) > 1:
        last = phases[-1] if isinstance(phases[-1], dict) else {}
        return _number(last.get("cost_yuan_per_year"), path, "phases[-1].cost_yuan_per_year")
    for key, table in (
        ("siting_model_cost_yuan_per_year", summary),
        ("objective", summary.get("solver", {})),
        ("total_cost_yuan_per_year", summary),
    ):
        if table.get(key) is not None:
            return _number(table[key], path, key)
    return math.nan
