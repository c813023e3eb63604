"""Van routes as outputs: drawings along the roads, GeoJSON, planner tables and key figures."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy.sparse import csgraph

from ruralnet._files import write_text_atomic
from ruralnet.routes.data import Route, RoutePlan, RouteSettings

if TYPE_CHECKING:
    from ruralnet.plan import Plan

__all__ = [
    "fleet_table",
    "route_kpis",
    "route_paths",
    "route_row",
    "route_stops_table",
    "routed_cost_parts",
    "routes_geojson",
    "routes_table",
    "write_routes_geojson",
]

_DECIMALS = 7  # GeoJSON coordinates, about 1 cm
_TABLE_COLUMNS = [
    "route_id",
    "centre_id",
    "vehicle",
    "trip",
    "tier",
    "kind",
    "start_hours",
    "n_stops",
    "stops",
    "km",
    "hours",
    "parcels_delivered",
    "parcels_picked_up",
    "max_load",
    "load_share",
    "cost_yuan_per_day",
    "co2_kg_per_day",
]


def route_paths(plan: Plan, route_plan: RoutePlan) -> tuple[np.ndarray, ...]:
    """
    Draw each route along the roads: site, road nodes of each shortest leg, next site.

    Parameters
    ----------
    plan
        The plan the routes were built from (road graph, snapped sites, CRS).
    route_plan
        Its routes.

    Returns
    -------
    tuple of numpy.ndarray
        Per route, WGS84 ``(lon, lat)`` rows. Legs follow the shortest road path in the
        driving direction; the route's ``km`` is the model's distance (the mean of both
        directions plus the snap distances), so it can differ slightly on one-way roads.
    """
    p, network = plan.problem, plan.assembly.network
    snaps = plan.assembly.snaps
    node = {cid: int(snaps["centre_sites"].node[i]) for i, cid in enumerate(p.centre_ids)}
    node |= {sid: int(snaps["station_sites"].node[i]) for i, sid in enumerate(p.station_ids)}
    node |= {hid: int(snaps["hubs"].node[i]) for i, hid in enumerate(p.hub_ids)}
    xy = {}
    for frame in (plan.inputs.centre_sites, plan.inputs.station_sites):
        xy.update(zip(frame["site_id"], frame.geometry, strict=True))
    xy.update(zip(plan.inputs.hubs["hub_id"], plan.inputs.hubs.geometry, strict=True))
    to_wgs = pyproj.Transformer.from_crs(plan.inputs.crs, 4326, always_xy=True)
    paths: list[np.ndarray | None] = [None] * len(route_plan.routes)
    for centre in route_plan.centres:  # one Dijkstra batch per centre bounds memory
        ids = [centre.centre_id, *centre.station_ids]
        sources = np.array(sorted({node[i] for i in ids}), dtype=np.int64)
        _, pred = csgraph.dijkstra(
            network.graph, directed=True, indices=sources, return_predecessors=True
        )
        row = {int(s): k for k, s in enumerate(sources)}
        for k, route in enumerate(route_plan.routes):
            if route.centre_id != centre.centre_id:
                continue
            stops = [centre.centre_id, *route.stops, centre.centre_id]
            coords = [shapely.get_coordinates(xy[stops[0]])[0]]
            for a, b in itertools.pairwise(stops):
                leg = [node[b]]
                back = pred[row[node[a]]]
                while leg[-1] != node[a] and back[leg[-1]] >= 0:
                    leg.append(int(back[leg[-1]]))
                coords.extend(network.xy[leg[::-1]])
                coords.append(shapely.get_coordinates(xy[b])[0])
            pts = np.asarray(coords, dtype=float)
            keep = np.ones(len(pts), dtype=bool)
            keep[1:] = np.hypot(*np.diff(pts, axis=0).T) > 0.01  # noqa: PLR2004  (1 cm)
            pts = pts[keep] if keep.sum() > 1 else pts[[0, -1]]  # a LineString needs 2 points
            lon, lat = to_wgs.transform(pts[:, 0], pts[:, 1])
            paths[k] = np.column_stack([lon, lat])
    return tuple(p if p is not None else np.zeros((0, 2)) for p in paths)


def route_row(route: Route, settings: RouteSettings) -> dict[str, Any]:
    """One route's figures as a row of :func:`routes_table` (``stops`` as a list)."""
    return {
        "route_id": route.route_id,
        "centre_id": route.centre_id,
        "vehicle": route.vehicle,
        "trip": route.trip,
        "tier": route.tier,
        "kind": route.kind,
        "start_hours": round(route.start_hours, 6),
        "n_stops": len(route.stops),
        "stops": list(route.stops),
        "km": round(route.km, 4),
        "hours": round(route.hours, 4),
        "parcels_delivered": round(route.parcels_delivered, 4),
        "parcels_picked_up": round(route.parcels_picked_up, 4),
        "max_load": round(route.max_load, 4),
        "load_share": round(route.max_load / settings.capacity_parcels, 4),
        "cost_yuan_per_day": round(route.cost_yuan_per_day, 4),
        "co2_kg_per_day": round(route.km * settings.co2_kg_per_km, 4),
    }


def routes_geojson(route_plan: RoutePlan) -> dict[str, Any]:
    """
    Build the routes as an RFC 7946 FeatureCollection (WGS84 lon/lat, no ``crs`` member).

    Parameters
    ----------
    route_plan
        Routes from :func:`build_routes`.

    Returns
    -------
    dict
        One LineString feature per route along the roads (``null`` geometry when the plan
        has no drawings) with ``route_id``, ``centre_id``, ``vehicle``, ``trip``, ``kind``,
        ``stops`` (station ids in order), ``km``, ``hours``, ``parcels_delivered``,
        ``parcels_picked_up``, ``max_load``, ``cost_yuan_per_day``, ``co2_kg_per_day``; a
        foreign member ``ruralnet`` with the settings and :func:`route_kpis`.
    """
    settings = route_plan.settings
    features = []
    for k, route in enumerate(route_plan.routes):
        geometry = None
        if route_plan.paths:
            coords = np.round(route_plan.paths[k], _DECIMALS).tolist()
            geometry = {"type": "LineString", "coordinates": coords}
        props = {"role": "route", **route_row(route, settings)}
        features.append({"type": "Feature", "properties": props, "geometry": geometry})
    return {
        "type": "FeatureCollection",
        "ruralnet": {
            "settings": {k: getattr(settings, k) for k in settings.__dataclass_fields__},
            "kpis": route_kpis(route_plan),
        },
        "features": features,
    }


def write_routes_geojson(route_plan: RoutePlan, path: str | Path) -> Path:
    """
    Write :func:`routes_geojson` to ``path`` atomically.

    Parameters
    ----------
    route_plan
        Routes from :func:`build_routes`.
    path
        Destination file; its folder must exist.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    text = json.dumps(routes_geojson(route_plan), ensure_ascii=False, separators=(",", ":"))
    return write_text_atomic(path, text + "\n")


def routes_table(route_plan: RoutePlan) -> pd.DataFrame:
    """
    One row per route, for planners.

    Parameters
    ----------
    route_plan
        Routes from :func:`build_routes`.

    Returns
    -------
    pandas.DataFrame
        ``route_id``, ``centre_id``, ``vehicle``, ``trip``, ``kind``, ``n_stops``, ``stops``
        (ids joined by ``" → "``), ``km``, ``hours``, parcels delivered and picked up,
        ``max_load`` and its ``load_share`` of capacity, ``cost_yuan_per_day``,
        ``co2_kg_per_day``.
    """
    rows = [route_row(r, route_plan.settings) for r in route_plan.routes]
    frame = pd.DataFrame(rows, columns=_TABLE_COLUMNS)
    frame["stops"] = frame["stops"].map(" → ".join)
    return frame


def route_stops_table(route_plan: RoutePlan) -> pd.DataFrame:
    """
    One row per stop, in driving order: the van's running load and the km driven to it.

    Parameters
    ----------
    route_plan
        Routes from :func:`build_routes`.

    Returns
    -------
    pandas.DataFrame
        ``route_id``, ``centre_id``, ``vehicle``, ``trip``, ``seq`` (1-based),
        ``station_id``, ``delivered``, ``picked_up``, ``load_after``, ``km_from_previous``.
    """
    centres = {c.centre_id: c for c in route_plan.centres}
    rows = []
    for r in route_plan.routes:
        c = centres[r.centre_id]
        position = {s: i + 1 for i, s in enumerate(c.station_ids)}
        loads = r.loads
        previous = 0
        for k, sid in enumerate(r.stops):
            rows.append(
                {
                    "route_id": r.route_id,
                    "centre_id": r.centre_id,
                    "vehicle": r.vehicle,
                    "trip": r.trip,
                    "seq": k + 1,
                    "station_id": sid,
                    "delivered": r.delivered[k],
                    "picked_up": r.picked_up[k],
                    "load_after": float(loads[k + 1]),
                    "km_from_previous": float(c.km[previous, position[sid]]),
                }
            )
            previous = position[sid]
    return pd.DataFrame(rows)


def _shift_use(route_plan: RoutePlan) -> float:
    """Mean working day of a van (first loading to last return) over the shift."""
    days: dict[tuple[str, int], list[Route]] = {}
    for r in route_plan.routes:
        days.setdefault((r.centre_id, r.vehicle), []).append(r)
    if not days:
        return 0.0
    spans = [max(r.end_hours for r in d) - min(r.start_hours for r in d) for d in days.values()]
    return round(float(np.mean(spans)) / route_plan.settings.shift_hours, 4)


def route_kpis(route_plan: RoutePlan) -> dict[str, float]:
    """
    Key figures of the van routes.

    Parameters
    ----------
    route_plan
        Routes from :func:`build_routes`.

    Returns
    -------
    dict
        ``vans`` (the fleet), ``routes`` (loops), ``stations_served`` (stops of all depots),
        ``van_km_per_day``, ``van_hours_per_day``, ``loops_per_van``, ``shift_use`` (mean
        working day of a van, first loading to last return, over the shift),
        ``parcels_delivered_per_day``, ``parcels_picked_up_per_day``, ``mean_load_share``
        (parcels leaving the centre over capacity, per route), ``cost_yuan_per_day``,
        ``cost_yuan_per_year``, ``co2_kg_per_day`` (``[van].co2_kg_per_km``, E1–E2),
        ``co2_t_per_year``.
    """
    s = route_plan.settings
    routes = route_plan.routes
    co2 = route_plan.km_per_day * s.co2_kg_per_km
    delivered = float(sum(r.parcels_delivered for r in routes))
    return {
        "vans": route_plan.vans,
        "routes": len(routes),
        "stations_served": sum(len(c) for c in route_plan.centres),
        "van_km_per_day": round(route_plan.km_per_day, 3),
        "van_hours_per_day": round(float(sum(r.hours for r in routes)), 3),
        "loops_per_van": round(len(routes) / route_plan.vans, 3) if routes else 0.0,
        "shift_use": _shift_use(route_plan),
        "parcels_delivered_per_day": round(delivered, 3),
        "parcels_picked_up_per_day": round(float(sum(r.parcels_picked_up for r in routes)), 3),
        "mean_load_share": round(delivered / (len(routes) * s.capacity_parcels), 4)
        if routes
        else 0.0,
        "cost_yuan_per_day": round(route_plan.cost_yuan_per_day, 2),
        "cost_yuan_per_year": round(route_plan.cost_yuan_per_year, 2),
        "co2_kg_per_day": round(co2, 3),
        "co2_t_per_year": round(co2 * s.days_per_year / 1000, 3),
    }


def fleet_table(route_plan: RoutePlan) -> pd.DataFrame:
    """
    Tabulate the fleet each depot needs: vans, loops per van, van-hours, shift use.

    Parameters
    ----------
    route_plan
        Routes from :func:`~ruralnet.routes.build.build_routes`.

    Returns
    -------
    pandas.DataFrame
        One row per depot: ``depot_id``, ``tier``, ``vans`` (the fleet to buy), ``loops``,
        ``loops_per_van``, ``van_hours`` (loading, driving and stops, per day), ``shift_use``
        (mean working day of its vans, first loading to last return, over the shift),
        ``longest_day_hours``, ``km_per_day``, ``cost_yuan_per_day``.
    """
    shift = route_plan.settings.shift_hours
    rows = []
    for centre in route_plan.centres:
        routes = route_plan.for_centre(centre.centre_id)
        days: dict[int, list[Route]] = {}
        for r in routes:
            days.setdefault(r.vehicle, []).append(r)
        spans = [max(r.end_hours for r in d) - min(r.start_hours for r in d) for d in days.values()]
        rows.append(
            {
                "depot_id": centre.centre_id,
                "tier": centre.tier,
                "vans": len(days),
                "loops": len(routes),
                "loops_per_van": round(len(routes) / len(days), 3) if days else 0.0,
                "van_hours": round(float(sum(r.hours for r in routes)), 3),
                "shift_use": round(float(np.mean(spans)) / shift, 4) if spans else 0.0,
                "longest_day_hours": round(max(spans), 3) if spans else 0.0,
                "km_per_day": round(float(sum(r.km for r in routes)), 3),
                "cost_yuan_per_day": round(float(sum(r.cost_yuan_per_day for r in routes)), 2),
            }
        )
    columns = ["depot_id", "tier", "vans", "loops", "loops_per_van", "van_hours", "shift_use",
               "longest_day_hours", "km_per_day", "cost_yuan_per_day"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def routed_cost_parts(plan: Plan, route_plan: RoutePlan) -> dict[str, float]:
    """
    Price the plan's yearly cost by part with its vans as routed.

    The siting model's parts (recomputed by the verifier) with its per-parcel-km ``van``
    part replaced by ``van_feeder`` and ``van_trunk``: the routes' cost for each tier that
    was routed (plus the siting price of van links left out of the routes as solver
    round-off), the siting model's price for a tier that was not. For a phased plan the
    parts are those of the last phase, whose network the routes serve.

    Parameters
    ----------
    plan
        A verified plan.
    route_plan
        Its routes.

    Returns
    -------
    dict
        yuan per year by part.
    """
    v = plan.verification
    parts = dict((v.phases[-1] if v.phases else v).cost_parts)
    parts.pop("van", None)
    links = plan.links
    for tier in ("feeder", "trunk"):
        vans = links[(links["tier"] == tier) & (links["mode"] == "van")]
        routed = {
            (c.centre_id, sid)
            for c in route_plan.centres
            if c.tier == tier
            for sid in c.station_ids
        }
        if routed:
            left = [
                (a, b) not in routed for a, b in zip(vans["from_id"], vans["to_id"], strict=True)
            ]
            cost = route_plan.of_tier(tier).cost_yuan_per_year
            cost += float(vans.loc[left, "yuan_per_year"].sum())
        else:
            cost = float(vans["yuan_per_year"].sum())
        parts[f"van_{tier}"] = cost
    return parts
