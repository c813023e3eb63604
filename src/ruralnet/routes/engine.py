"""The van router: OR-Tools routing (``pywrapcp``) on the stations of one centre at a time.

:func:`route_instances` turns routing instances (:class:`~ruralnet.routes.data.CentreStops`)
into loops and checks them with :func:`ruralnet.routes.verify.verify_routes`. This is the only
module of :mod:`ruralnet.routes` that imports OR-Tools; :mod:`ruralnet.routes.build` makes the
instances from a plan and :mod:`ruralnet.routes.outputs` writes the results.

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

import itertools
import logging
import math
import time
from typing import Any

import numpy as np

from ruralnet.errors import InfeasibleError, SolverError, VerificationError
from ruralnet.routes.data import CentreStops, Route, RoutePlan, RouteSettings, SearchInfo
from ruralnet.routes.verify import verify_routes

__all__ = ["route_instances"]

log = logging.getLogger(__name__)

_PARCELS = 100  # the router counts hundredths of a parcel
_MONEY = 1000  # and thousandths of a yuan
_SPLIT_TOL = 1e-6  # same tolerance as the verifier's split rule

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
        When :func:`~ruralnet.routes.verify.verify_routes` finds a violation.
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
