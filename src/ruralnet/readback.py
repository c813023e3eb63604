"""Read a written plan folder back into a :class:`Solution`, for ``ruralnet verify``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from ruralnet.errors import DataError
from ruralnet.problem import LinkOptions, Problem, Solution, SolveStatus

__all__ = ["read_solution"]


def _csv(folder: Path, name: str) -> pd.DataFrame:
    path = folder / name
    if not path.is_file():
        raise DataError(path, "file is missing", "Point at a folder written by 'ruralnet run'")
    return pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)


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
        f_in[key_of[key]] += float(link["parcels_in_per_day"])
        f_out[key_of[key]] += float(link["parcels_out_per_day"])
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
        When a file is missing or names an id the problem does not know.
    """
    folder = Path(folder)
    villages = (
        _csv(folder, "villages.csv")
        .set_index("village_id")
        .reindex(list(problem.village_ids))
        .fillna("")
    )
    stations = _csv(folder, "stations.csv")
    centres = _csv(folder, "centres.csv")
    links = _csv(folder, "links.csv")
    summary_path = folder / "summary.json"
    if not summary_path.is_file():
        raise DataError(
            summary_path, "file is missing", "Point at a folder written by 'ruralnet run'"
        )
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
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
        objective=float(
            summary["phases"][-1]["cost_yuan_per_year"]
            if len(summary.get("phases") or ()) > 1
            else summary.get(
                "siting_model_cost_yuan_per_year",
                solver.get("objective", summary.get("total_cost_yuan_per_year", np.nan)),
            )
        ),
        best_bound=float(solver.get("best_bound", np.nan)),
        seconds=float(solver.get("seconds", 0.0)),
        solver=str(solver.get("backend", "")),
    )
