"""Daily van routes: from each township centre, loops through the village stations it feeds.

The siting model prices a van feeder link per parcel-km, as if every station had its own
van. Vans really drive loops: this module turns a solved plan into loops per centre with
the OR-Tools routing library (``pywrapcp``), checks them with
:func:`ruralnet.verify_routes.verify_routes`, and writes them as GeoJSON, tables, a map
layer and key figures. :mod:`ruralnet.routes_pricing` feeds the routes' cost back into the
siting model.

The routing model of one centre
-------------------------------
Nodes are the centre (depot) and its van-fed stations; ``d_i`` parcels go out to station
``i`` and ``p_i`` come back (first-mile pickups) every day. A vehicle of the model is one
loop: it leaves with all its deliveries, drops ``d_i`` and loads ``p_i`` at each stop, and
may never hold more than the capacity ``Q``. The load on board after the ``k``-th stop is
``D - sum(d, first k) + sum(p, first k)`` where ``D`` is the loop's total delivery, so

- dimension ``load`` has transit ``p_i - d_i`` at each stop, cumul bounds ``[0, Q]`` and a
  free start value; dimension ``delivered`` sums ``d_i`` from zero; one constraint per
  vehicle ties them: ``load(start) == delivered(end)``. The start load is then exactly
  ``D`` and every cumul of ``load`` is the true load on arrival at a node, so the capacity
  holds at every point of the loop. (Two separate dimensions, ``D <= Q`` and
  ``P <= Q``, are only exact for loops that deliver everything before they pick anything
  up; this formulation is exact in any visiting order.)
- dimension ``time`` (seconds, ceiling per arc plus the stop time) caps a loop at the shift.
- arc cost ``[van].yuan_per_km`` x km, fixed cost ``[van].fixed_yuan_per_day`` per loop
  (divided by ``trips_per_van`` when vans may drive several loops a day).

Parcels are rounded *up* to hundredths and the capacity *down*, so an integer-feasible
loop is feasible in real numbers; the verifier re-checks in floating point.

Stations bigger than one van (split rule): a station whose deliveries or pickups reach
``Q`` gets ``floor(max(d, p) / Q)`` full-load direct out-and-back trips (each delivers up
to ``Q`` and brings back up to ``Q``); the rest, less than a van-load each way, is one
stop on a loop. No station is otherwise visited twice.

The search starts from ``PATH_CHEAPEST_ARC`` and improves with guided local search. It
stops after ``solution_limit`` solutions (a deterministic rule, so the same inputs and
seed give the same routes) or at ``time_limit_s`` per centre, a safety net that is logged
because a time-limited search need not repeat exactly. OR-Tools' routing search has no
random seed; ``seed`` shuffles the order in which stations are numbered, which changes
the search's tie-breaking (a different seed is a restart from a different start).
"""

from __future__ import annotations

import html
import itertools
import json
import logging
import math
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyproj
import shapely
from scipy.sparse import csgraph

from ruralnet._files import write_text_atomic
from ruralnet.errors import InfeasibleError, NetworkError, SolverError, VerificationError
from ruralnet.network import Snap, pair_distances
from ruralnet.route_data import CentreStops, Route, RoutePlan, RouteSettings, SearchInfo
from ruralnet.verify_routes import verify_routes

if TYPE_CHECKING:
    import folium

    from ruralnet.plan import Plan
    from ruralnet.scenario import Scenario

__all__ = [
    "DEFAULT_SHIFT_HOURS",
    "DEFAULT_SPEED_KMH",
    "MIN_PARCELS",
    "add_routes_layer",
    "build_routes",
    "centre_stops",
    "route_instances",
    "route_kpis",
    "route_paths",
    "route_settings",
    "route_stops_table",
    "routes_geojson",
    "routes_table",
    "write_routes_geojson",
]

log = logging.getLogger(__name__)

DEFAULT_SHIFT_HOURS = 8.0  # one driver's working day (EST)
DEFAULT_SPEED_KMH = 40.0  # average rural van speed (EST): 8 h x 40 km/h = 320 km
MIN_PARCELS = 1e-3  # van links carrying less per day are solver round-off, not deliveries
_PARCELS = 100  # the router counts hundredths of a parcel
_MONEY = 1000  # and thousandths of a yuan
_SPLIT_TOL = 1e-6  # same tolerance as the verifier's split rule
_DECIMALS = 7  # GeoJSON coordinates, about 1 cm
_TABLE_COLUMNS = [
    "route_id",
    "centre_id",
    "vehicle",
    "trip",
    "kind",
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
_PALETTE = ("#e41a1c", "#377eb8", "#4daf4a", "#984ea3", "#ff7f00", "#a65628", "#f781bf")


def route_settings(
    scenario: Scenario,
    *,
    shift_hours: float = DEFAULT_SHIFT_HOURS,
    speed_kmh: float = DEFAULT_SPEED_KMH,
    stop_minutes: float = 0.0,
    trips_per_van: int = 1,
) -> RouteSettings:
    """
    Van figures of a scenario plus the shift rules, which no scenario key holds.

    Parameters
    ----------
    scenario
        Supplies ``[van]`` capacity and costs and ``[demand].days_per_year``.
    shift_hours, speed_kmh, stop_minutes
        Working day (EST 8 h), average speed (EST 40 km/h) and time per stop (EST 0 min).
    trips_per_van
        Loops one van may drive per day.

    Returns
    -------
    RouteSettings
        The settings for :func:`route_instances`.
    """
    if shift_hours <= 0 or speed_kmh <= 0 or stop_minutes < 0 or trips_per_van < 1:
        msg = "routes: shift_hours and speed_kmh must be > 0, stop_minutes >= 0, trips_per_van >= 1"
        raise ValueError(msg)
    van = scenario.van
    return RouteSettings(
        capacity_parcels=van.capacity_parcels,
        yuan_per_km=van.yuan_per_km,
        fixed_yuan_per_day=van.fixed_yuan_per_day,
        co2_kg_per_km=van.co2_kg_per_km,
        days_per_year=scenario.demand.days_per_year,
        shift_hours=shift_hours,
        speed_kmh=speed_kmh,
        stop_minutes=stop_minutes,
        trips_per_van=trips_per_van,
    )


def centre_stops(plan: Plan) -> tuple[CentreStops, ...]:
    """
    Build the routing instances of a plan: per open centre, its van-fed stations and road km.

    Parameters
    ----------
    plan
        A verified plan. Feeder links with mode ``van`` give each station's deliveries
        (``parcels_in_per_day``) and pickups (``parcels_out_per_day``); links carrying
        less than :data:`MIN_PARCELS` a day (solver round-off) are ignored.

    Returns
    -------
    tuple of CentreStops
        In the problem's centre order; stations in the problem's station order.

    Raises
    ------
    NetworkError
        When two points of a centre have no road distance (should not happen on the kept
        strongly connected road graph).
    """
    p = plan.problem
    links = plan.links
    feeder = links[(links["tier"] == "feeder") & (links["mode"] == "van")]
    noise = feeder["parcels_per_day"] < MIN_PARCELS
    if noise.any():
        log.debug(
            "routes: %d van links below %g parcels/day ignored", int(noise.sum()), MIN_PARCELS
        )
    feeder = feeder[~noise]
    c_index = {c: i for i, c in enumerate(p.centre_ids)}
    s_index = {s: i for i, s in enumerate(p.station_ids)}
    c_snap, s_snap = plan.assembly.snaps["centre_sites"], plan.assembly.snaps["station_sites"]
    out = []
    for cid in sorted(set(feeder["from_id"]), key=c_index.__getitem__):
        rows = feeder[feeder["from_id"] == cid]
        parcels = rows.groupby("to_id")[["parcels_in_per_day", "parcels_out_per_day"]].sum()
        sids = sorted(parcels.index, key=s_index.__getitem__)
        c, st = c_index[cid], np.array([s_index[s] for s in sids], dtype=np.int64)
        snap = Snap(
            node=np.concatenate([[c_snap.node[c]], s_snap.node[st]]),
            km=np.concatenate([[c_snap.km[c]], s_snap.km[st]]),
        )
        km = pair_distances(plan.assembly.network, snap, snap)
        np.fill_diagonal(km, 0.0)
        if not np.all(np.isfinite(km)):
            msg = f"routes: centre {cid} has stations with no road distance between them"
            raise NetworkError(msg)
        out.append(
            CentreStops(
                centre_id=cid,
                station_ids=tuple(sids),
                deliveries=parcels.loc[sids, "parcels_in_per_day"].to_numpy(float),
                pickups=parcels.loc[sids, "parcels_out_per_day"].to_numpy(float),
                km=km,
            )
        )
    return tuple(out)


# --- routing ---------------------------------------------------------------------------

_Trip = tuple[str, list[int], list[float], list[float]]  # kind, stations, delivered, picked up


def _split_full_loads(centre: CentreStops, capacity: float) -> tuple[list[_Trip], np.ndarray]:
    """Direct trips for full van-loads; the remainders ``(n, 2)`` left for the loops."""
    direct: list[_Trip] = []
    rest = np.column_stack([centre.deliveries, centre.pickups]).astype(float)
    for i in range(len(centre)):
        full = int(np.floor(max(rest[i]) / capacity + _SPLIT_TOL))
        for _ in range(full):
            dl, pu = min(rest[i, 0], capacity), min(rest[i, 1], capacity)
            rest[i] -= (dl, pu)
            direct.append(("direct", [i], [dl], [pu]))
        if full and rest[i].sum() <= _SPLIT_TOL:  # a rounding crumb rides the last trip
            direct[-1][2][0] += rest[i, 0]
            direct[-1][3][0] += rest[i, 1]
            rest[i] = 0.0
    return direct, rest


def _check_reachable(centre: CentreStops, settings: RouteSettings) -> None:
    there_back = centre.km[0, 1:] + centre.km[1:, 0]
    hours = there_back / settings.speed_kmh + settings.stop_minutes / 60.0
    far = np.flatnonzero(hours > settings.shift_hours)
    if len(far):
        names = ", ".join(centre.station_ids[i] for i in far[:5])
        msg = (
            f"routes: {len(far)} station(s) of centre {centre.centre_id} ({names}) cannot be "
            f"reached and left within a {settings.shift_hours:g} h shift at "
            f"{settings.speed_kmh:g} km/h; raise shift_hours or lower [service].max_feeder_km"
        )
        raise InfeasibleError(msg)


def _capacity(settings: RouteSettings) -> int:
    """Van capacity in the router's units, rounded down."""
    return int(np.floor(settings.capacity_parcels * _PARCELS + 1e-6))


def _loop_model(
    m: int,
    vehicles: int,
    cost: np.ndarray,
    seconds: np.ndarray,
    parcels: tuple[np.ndarray, np.ndarray],
    settings: RouteSettings,
) -> tuple[Any, Any]:
    """Build the routing model: km cost, fixed cost per loop, shift, exact running load."""
    from ortools.constraint_solver import pywrapcp

    deliver, pickup = parcels
    cap = _capacity(settings)
    manager = pywrapcp.RoutingIndexManager(m + 1, vehicles, 0)
    routing = pywrapcp.RoutingModel(manager)
    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitMatrix(cost.tolist()))
    fixed = settings.fixed_yuan_per_day / settings.trips_per_van
    routing.SetFixedCostOfAllVehicles(round(fixed * _MONEY))
    shift_s = int(np.floor(settings.shift_hours * 3600))
    routing.AddDimension(routing.RegisterTransitMatrix(seconds.tolist()), 0, shift_s, True, "time")
    net = (pickup - deliver).tolist()
    routing.AddDimension(routing.RegisterUnaryTransitVector(net), 0, cap, False, "load")
    routing.AddDimension(
        routing.RegisterUnaryTransitVector(deliver.tolist()), 0, cap, True, "delivered"
    )
    load, delivered = routing.GetDimensionOrDie("load"), routing.GetDimensionOrDie("delivered")
    for v in range(vehicles):
        routing.solver().Add(load.CumulVar(routing.Start(v)) == delivered.CumulVar(routing.End(v)))
    return manager, routing


def _solve_loops(
    centre: CentreStops,
    rest: np.ndarray,
    settings: RouteSettings,
    *,
    time_limit_s: float,
    solution_limit: int,
    seed: int,
) -> tuple[list[list[int]], SearchInfo]:
    """Solve the capacitated pickup-and-delivery loops of one centre; station positions out."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    todo = np.flatnonzero(rest.sum(axis=1) > _SPLIT_TOL)
    stations = todo[np.random.default_rng(seed).permutation(len(todo))]
    m = len(stations)
    if m == 0:
        return [], SearchInfo(centre.centre_id, 0.0, 0.0, False, 0)
    idx = np.concatenate([[0], stations + 1])
    km = centre.km[np.ix_(idx, idx)]
    cost = np.rint(km * settings.yuan_per_km * _MONEY).astype(np.int64)
    stop_s = math.ceil(settings.stop_minutes * 60)
    seconds = np.ceil(km / settings.speed_kmh * 3600 - 1e-9).astype(np.int64)
    seconds[1:, :] += stop_s  # time at a stop is spent before leaving it
    deliver = np.concatenate([[0], np.ceil(rest[stations, 0] * _PARCELS - 1e-6)]).astype(np.int64)
    pickup = np.concatenate([[0], np.ceil(rest[stations, 1] * _PARCELS - 1e-6)]).astype(np.int64)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(max(1, int(time_limit_s * 1000)))
    params.solution_limit = solution_limit
    vehicles = m  # one loop per station is always feasible: the fallback start
    manager, routing = _loop_model(m, vehicles, cost, seconds, (deliver, pickup), settings)
    started = time.perf_counter()
    solution = routing.SolveWithParameters(params)
    if solution is None:
        initial = routing.ReadAssignmentFromRoutes([[k] for k in range(1, m + 1)], True)
        solution = routing.SolveFromAssignmentWithParameters(initial, params)
    seconds_used = time.perf_counter() - started
    if solution is None:
        msg = f"routes: no loops found for centre {centre.centre_id} (routing status {routing.status()})"
        raise SolverError(msg)
    hit = seconds_used >= 0.98 * time_limit_s
    if hit:
        log.warning(
            "routes: centre %s stopped at the %.0f s time limit, not the solution limit; "
            "a rerun may differ",
            centre.centre_id,
            time_limit_s,
        )
    loops = []
    for v in range(vehicles):
        index = solution.Value(routing.NextVar(routing.Start(v)))
        loop = []
        while not routing.IsEnd(index):
            loop.append(int(stations[manager.IndexToNode(index) - 1]))
            index = solution.Value(routing.NextVar(index))
        if loop:
            loops.append(loop)
    info = SearchInfo(
        centre.centre_id, float(solution.ObjectiveValue()), seconds_used, hit, vehicles
    )
    return loops, info


def _assign_vans(centre: CentreStops, trips: list[_Trip], settings: RouteSettings) -> list[Route]:
    """Give trips their vans; with several trips per van, pack them first-fit by hours."""
    measured = []
    for kind, stops, dl, pu in trips:
        nodes = [0] + [s + 1 for s in stops] + [0]
        km = float(sum(centre.km[a, b] for a, b in itertools.pairwise(nodes)))
        measured.append((kind, stops, dl, pu, km, settings.route_hours(km, len(stops))))
    vans: list[list[int]] = []
    hours_used: list[float] = []
    order = sorted(range(len(measured)), key=lambda t: -measured[t][5])
    if settings.trips_per_van == 1:
        order = list(range(len(measured)))
    for t in order:
        h = measured[t][5]
        for v, van in enumerate(vans):
            fits = len(van) < settings.trips_per_van
            if fits and hours_used[v] + h <= settings.shift_hours + 1e-9:
                van.append(t)
                hours_used[v] += h
                break
        else:
            vans.append([t])
            hours_used.append(h)
    routes = []
    for v, van in enumerate(vans, start=1):
        share = settings.fixed_yuan_per_day / len(van)
        for trip, t in enumerate(van, start=1):
            kind, stops, dl, pu, km, hours = measured[t]
            routes.append(
                Route(
                    centre_id=centre.centre_id,
                    vehicle=v,
                    trip=trip,
                    kind=kind,
                    stops=tuple(centre.station_ids[s] for s in stops),
                    delivered=tuple(float(x) for x in dl),
                    picked_up=tuple(float(x) for x in pu),
                    km=km,
                    hours=hours,
                    cost_yuan_per_day=km * settings.yuan_per_km + share,
                )
            )
    return routes


def route_instances(
    centres: tuple[CentreStops, ...] | list[CentreStops],
    settings: RouteSettings,
    *,
    time_limit_s: float = 120.0,
    solution_limit: int = 1000,
    seed: int = 0,
) -> RoutePlan:
    """
    Route every centre of plain instances (no geometry) and verify the result.

    Parameters
    ----------
    centres
        The routing instances, e.g. from :func:`centre_stops` or hand-made.
    settings
        Van capacity, costs and shift.
    time_limit_s
        Safety limit of the search per centre, seconds.
    solution_limit
        Solutions the guided local search visits per centre before it stops.
    seed
        Shuffles the station numbering inside the router (tie-breaking).

    Returns
    -------
    RoutePlan
        Verified routes, without drawings.

    Raises
    ------
    InfeasibleError
        When a station cannot be reached and left within one shift.
    VerificationError
        When :func:`~ruralnet.verify_routes.verify_routes` finds a violation.
    """
    routes: list[Route] = []
    searches = []
    for centre in centres:
        _check_reachable(centre, settings)
        direct, rest = _split_full_loads(centre, settings.capacity_parcels)
        loops, info = _solve_loops(
            centre,
            rest,
            settings,
            time_limit_s=time_limit_s,
            solution_limit=solution_limit,
            seed=seed,
        )
        trips = direct + [
            ("loop", loop, [rest[s, 0] for s in loop], [rest[s, 1] for s in loop]) for loop in loops
        ]
        routes += _assign_vans(centre, trips, settings)
        searches.append(info)
    plan = RoutePlan(
        settings=settings, centres=tuple(centres), routes=tuple(routes), searches=tuple(searches)
    )
    violations = verify_routes(plan)
    if violations:
        details = "; ".join(str(v) for v in violations[:5])
        msg = f"the van routes failed verification ({len(violations)} problems: {details})"
        raise VerificationError(msg)
    log.info(
        "routes: %d centres, %d vans, %d loops, %.1f van-km/day, %.0f yuan/day",
        len(plan.centres),
        plan.vans,
        len(plan.routes),
        plan.km_per_day,
        plan.cost_yuan_per_day,
    )
    return plan


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
    xy = {}
    for frame in (plan.inputs.centre_sites, plan.inputs.station_sites):
        xy.update(zip(frame["site_id"], frame.geometry, strict=True))
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


def build_routes(
    plan: Plan,
    *,
    time_limit_s: float = 120.0,
    solution_limit: int = 1000,
    seed: int | None = None,
    shift_hours: float = DEFAULT_SHIFT_HOURS,
    speed_kmh: float = DEFAULT_SPEED_KMH,
    stop_minutes: float = 0.0,
    trips_per_van: int = 1,
) -> RoutePlan:
    """
    Plan the daily van loops of every open centre of a plan.

    Parameters
    ----------
    plan
        A verified plan.
    time_limit_s
        Safety limit of the route search per centre, seconds.
    solution_limit
        Solutions the guided local search visits per centre (the deterministic stop).
    seed
        Tie-breaking shuffle of the router; the scenario's seed when omitted.
    shift_hours, speed_kmh, stop_minutes
        A van's working day (EST 8 h), average speed (EST 40 km/h), time per stop (EST 0).
    trips_per_van
        Loops one van may drive per day (1: one loop per van-day).

    Returns
    -------
    RoutePlan
        Verified routes with their drawings along the roads.

    Raises
    ------
    InfeasibleError
        When a station cannot be reached and left within one shift.
    VerificationError
        When the routes fail :func:`~ruralnet.verify_routes.verify_routes`.
    """
    settings = route_settings(
        plan.scenario,
        shift_hours=shift_hours,
        speed_kmh=speed_kmh,
        stop_minutes=stop_minutes,
        trips_per_van=trips_per_van,
    )
    routed = route_instances(
        centre_stops(plan),
        settings,
        time_limit_s=time_limit_s,
        solution_limit=solution_limit,
        seed=plan.scenario.scenario.seed if seed is None else seed,
    )
    return replace(routed, paths=route_paths(plan, routed))


# --- outputs ---------------------------------------------------------------------------


def _route_row(route: Route, settings: RouteSettings) -> dict[str, Any]:
    return {
        "route_id": route.route_id,
        "centre_id": route.centre_id,
        "vehicle": route.vehicle,
        "trip": route.trip,
        "kind": route.kind,
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
        props = {"role": "route", **_route_row(route, settings)}
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
    rows = [_route_row(r, route_plan.settings) for r in route_plan.routes]
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
        ``vans``, ``routes``, ``stations_served``, ``van_km_per_day``, ``van_hours_per_day``,
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


def add_routes_layer(
    route_plan: RoutePlan, m: folium.Map, *, name: str = "Van routes", show: bool = True
) -> folium.FeatureGroup:
    """
    Draw the routes on a folium map as one layer of coloured polylines (core Leaflet only).

    Parameters
    ----------
    route_plan
        Routes from :func:`build_routes`, with drawings.
    m
        The map, e.g. from :func:`ruralnet.maps.plan_map`. Add the layer before the map's
        ``LayerControl`` is rendered so the control lists it.
    name
        Layer name in the layer control.
    show
        Whether the layer is on when the page opens.

    Returns
    -------
    folium.FeatureGroup
        The layer, already added to ``m``.
    """
    import folium

    layer = folium.FeatureGroup(name=name, show=show)
    settings = route_plan.settings
    for k, route in enumerate(route_plan.routes):
        if not route_plan.paths:
            break
        row = _route_row(route, settings)
        tip = (
            f"{route.route_id}: {len(route.stops)} stops, {route.km:.1f} km, "
            f"{route.parcels_delivered:.0f} out / {route.parcels_picked_up:.0f} back, "
            f"max load {route.max_load:.0f}/{settings.capacity_parcels:.0f}"
        )
        cells = "".join(
            f"<tr><th style='text-align:left;padding-right:6px'>{html.escape(key)}</th>"
            f"<td>{html.escape(' → '.join(val) if isinstance(val, list) else str(val))}</td></tr>"
            for key, val in row.items()
        )
        folium.PolyLine(
            [(lat, lon) for lon, lat in route_plan.paths[k]],
            color=_PALETTE[(route.vehicle - 1) % len(_PALETTE)],
            weight=3,
            opacity=0.85,
            dash_array="6 4" if route.kind == "direct" else None,
            tooltip=html.escape(tip),
            popup=folium.Popup(f"<b>van route</b><table>{cells}</table>", max_width=420),
        ).add_to(layer)
    layer.add_to(m)
    return layer
