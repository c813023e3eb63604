"""Re-check the van routes of a written plan folder, for ``ruralnet verify``.

The routing instances are rebuilt from the folder's ``links.csv`` (which stations each depot
feeds by van, with how many parcels each way) on the scenario's own road network; the loops
are read from ``routes.csv`` and ``route_stops.csv``. Every loop's km, hours and cost are
recomputed from the distance matrix and the scenario's ``[van]`` and ``[routes]`` figures and
compared with the written ones, and :func:`~ruralnet.routes.verify.verify_routes` checks the
rest: every van-fed station served with exactly its parcels, loads within capacity at every
stop, each van's loops one after another within the shift. The routed van costs of
``summary.json`` are recomputed too.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ruralnet.errors import DataError
from ruralnet.routes.build import link_instances, route_settings
from ruralnet.routes.data import CentreStops, Route, RoutePlan
from ruralnet.routes.verify import verify_routes

if TYPE_CHECKING:
    from ruralnet.assemble import Assembly
    from ruralnet.scenario import Scenario

__all__ = ["check_written_routes"]

_WRITTEN_TOL = 1e-3  # the tables round km, hours and yuan to 4 decimals
_NUMERIC = ("parcels_per_day", "parcels_in_per_day", "parcels_out_per_day", "yuan_per_year")


def _table(folder: Path, name: str) -> pd.DataFrame:
    path = folder / name
    if not path.is_file():
        raise DataError(path, "file is missing", "Point at a folder written by 'ruralnet run'")
    return pd.read_csv(path, encoding="utf-8-sig", dtype={"route_id": str, "station_id": str})


def _routes(folder: Path, centres: dict[str, CentreStops]) -> tuple[list[Route], pd.DataFrame]:
    """Read the written loops (stops, parcels, km recomputed) and the written table."""
    table = _table(folder, "routes.csv")
    stops = _table(folder, "route_stops.csv").sort_values(["route_id", "seq"], kind="stable")
    by_route = dict(list(stops.groupby("route_id", sort=False)))
    routes = []
    for row in table.itertuples():
        rows = by_route.get(row.route_id, stops.iloc[:0])
        names = tuple(str(s) for s in rows["station_id"])
        centre = centres.get(row.centre_id)
        km = np.nan
        if centre is not None and all(s in centre.station_ids for s in names):
            nodes = [0, *(centre.station_ids.index(s) + 1 for s in names), 0]
            km = float(np.sum(centre.km[nodes[:-1], nodes[1:]]))
        routes.append(
            Route(
                centre_id=str(row.centre_id),
                vehicle=int(row.vehicle),
                trip=int(row.trip),
                kind=str(row.kind),
                stops=names,
                delivered=tuple(float(x) for x in rows["delivered"]),
                picked_up=tuple(float(x) for x in rows["picked_up"]),
                km=km,
                hours=np.nan,
                cost_yuan_per_day=np.nan,
                start_hours=float(row.start_hours),
                tier=str(row.tier),
            )
        )
    return routes, table


def _priced(routes: list[Route], plan: RoutePlan) -> list[Route]:
    """Recompute hours and cost of the loops (a van's fixed cost shared over its loops)."""
    s = plan.settings
    loops: dict[tuple[str, int], int] = defaultdict(int)
    for r in routes:
        loops[(r.centre_id, r.vehicle)] += 1
    out = []
    for r in routes:
        handled = [d + p for d, p in zip(r.delivered, r.picked_up, strict=True)]
        out.append(
            Route(
                **{
                    **r.__dict__,
                    "hours": s.route_hours(r.km, handled),
                    "cost_yuan_per_day": r.km * s.yuan_per_km
                    + s.fixed_yuan_per_day / loops[(r.centre_id, r.vehicle)],
                }
            )
        )
    return out


def _written_figures(routes: list[Route], table: pd.DataFrame) -> list[str]:
    out = []
    for r, row in zip(routes, table.itertuples(), strict=True):
        for what, mine, written in (
            ("km", r.km, row.km),
            ("hours", r.hours, row.hours),
            ("cost_yuan_per_day", r.cost_yuan_per_day, row.cost_yuan_per_day),
        ):
            if not abs(mine - float(written)) <= _WRITTEN_TOL * max(1.0, abs(mine)):
                out.append(f"routes.csv[{r.route_id}]: {what} is {written}, recomputed {mine:.4f}")
    return out


def _summary_costs(folder: Path, plan: RoutePlan, links: pd.DataFrame) -> list[str]:
    """Compare the routed van parts of ``summary.json`` with the recomputed routes."""
    path = folder / "summary.json"
    if not path.is_file():
        return []
    parts = json.loads(path.read_text(encoding="utf-8")).get("cost_yuan_per_year", {})
    out = []
    for tier in ("feeder", "trunk"):
        key = f"van_{tier}"
        sub = plan.of_tier(tier)
        if key not in parts or not sub.centres:
            continue
        routed = {(c.centre_id, s) for c in sub.centres for s in c.station_ids}
        vans = links[(links["tier"] == tier) & (links["mode"] == "van")]
        left = [(a, b) not in routed for a, b in zip(vans["from_id"], vans["to_id"], strict=True)]
        want = sub.cost_yuan_per_year + float(vans.loc[left, "yuan_per_year"].sum())
        if abs(float(parts[key]) - want) > 1e-6 * max(1.0, want) + 0.05:
            out.append(
                f"summary.json: {key} is {parts[key]:,.2f} yuan/year, routes cost {want:,.2f}"
            )
    return out


def check_written_routes(
    scenario: Scenario, assembly: Assembly, folder: str | Path
) -> tuple[bool, list[str]]:
    """
    Re-check the van routes written to a plan folder.

    Parameters
    ----------
    scenario
        The scenario the plan was made from (van figures and ``[routes]`` rules).
    assembly
        Its problem, road network and snapped sites (:func:`ruralnet.build_problem`).
    folder
        A folder written by ``ruralnet run``.

    Returns
    -------
    tuple
        ``(checked, problems)``: ``checked`` is False when the folder has no routes
        (``--no-routes``); ``problems`` lists one line per broken rule or mismatched figure.

    Raises
    ------
    DataError
        When a routes table is missing while the other is present, or lacks a column.
    """
    folder = Path(folder)
    if not (folder / "routes.csv").is_file() and not (folder / "route_stops.csv").is_file():
        return False, []
    links = pd.read_csv(
        folder / "links.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False
    )
    for column in _NUMERIC:
        links[column] = pd.to_numeric(links[column])
    try:
        centres = link_instances(links, assembly, "feeder")
        written = _table(folder, "routes.csv")
        if (written["tier"] == "trunk").any():
            centres += link_instances(links, assembly, "trunk")
        plan = RoutePlan(settings=route_settings(scenario), centres=centres, routes=())
        routes, table = _routes(folder, {c.centre_id: c for c in centres})
    except (KeyError, AttributeError) as exc:
        raise DataError(
            folder / "routes.csv",
            f"a column is missing ({exc})",
            "Rewrite the folder with 'ruralnet run'",
        ) from None
    routes = _priced(routes, plan)
    plan = RoutePlan(settings=plan.settings, centres=centres, routes=tuple(routes))
    problems = _written_figures(routes, table)
    problems += [
        f"routes: {v}" for v in verify_routes(plan) if v.rule not in {"km", "hours", "cost"}
    ]
    problems += _summary_costs(folder, plan, links)
    return True, problems
