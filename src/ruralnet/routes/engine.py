"""The van router: PyVRP on the stops of one depot at a time, vans that reload and go again.

:func:`route_instances` turns routing instances (:class:`~ruralnet.routes.data.CentreStops`)
into loops and checks them with :func:`ruralnet.routes.verify.verify_routes`. This is the only
module of :mod:`ruralnet.routes` that imports a routing solver; :mod:`ruralnet.routes.build`
makes the instances from a plan and :mod:`ruralnet.routes.outputs` writes the results. The
solver was chosen by measurement against OR-Tools routing (``benchmarks/bench_vrp.py``).

The routing model of one depot
------------------------------
A van leaves the depot (a township centre, or the county hub for the trunk) with the
deliveries of its loop, hands over ``d_i`` and collects ``p_i`` parcels at each stop, comes
back, reloads and may go again (multi-trip, PyVRP's reload depots) as long as its day fits
the shift:

- **load**: PyVRP's simultaneous pickup and delivery keeps the load on board exact at every
  point of a loop (it leaves with the loop's deliveries, then ``- d_i + p_i`` at each stop)
  and within the van capacity ``Q``;
- **time**: loading at the depot before each loop (``loading_minutes``), driving at
  ``speed_kmh``, and at each stop ``stop_minutes + stop_minutes_per_parcel x (d_i + p_i)``;
  a van's day, from its first loading to its last return, fits ``shift_hours``; with
  ``trips_per_van > 0`` a van drives at most that many loops;
- **release**: a stop whose deliveries are ready at the depot only at ``release_hours``
  (a bus timetable) can only be on a loop that starts loading then or later;
- **cost**: ``[van].fixed_yuan_per_day`` per van used plus ``[van].yuan_per_km`` per km; the
  number of vans used is the fleet the depot needs.

Money is counted in thousandths of a yuan, parcels in hundredths (rounded *up*, the capacity
*down*) and time in whole seconds (rounded *up*), so a plan feasible for the router is
feasible in real numbers; the verifier re-checks in floating point.

Stops bigger than one van (the split rule, :func:`~ruralnet.routes.data.split_visits`): a
stop is visited ``ceil(max(d, p) / Q)`` times, each visit with an equal share.

The search is PyVRP's iterated local search with a fixed ``seed``. It stops after
``iterations`` iterations or ``no_improvement`` iterations without a better solution,
whichever comes first: deterministic rules, so the same inputs and seed give the same routes.
``time_limit_s`` per depot is a safety net; a search stopped by it is logged, because it
need not repeat exactly.

Because the search is deterministic, a depot whose instance (stops, loads, distances, van
and shift figures, search rules) was routed before in the same process is not searched again:
the re-pricing rounds of :func:`ruralnet.routes.pricing.solve_with_routes` change the stops
of a few depots only, and the others reuse their loops (at most :data:`CACHE_SIZE` depots
are kept, the least recently used dropped first).
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections import OrderedDict
from dataclasses import replace
from typing import Any

import numpy as np

from ruralnet.errors import InfeasibleError, SolverError, VerificationError
from ruralnet.routes.data import (
    CentreStops,
    Route,
    RoutePlan,
    RouteSettings,
    SearchInfo,
    split_visits,
)
from ruralnet.routes.verify import verify_routes

__all__ = ["route_instances"]

log = logging.getLogger(__name__)

_PARCELS = 100  # the router counts hundredths of a parcel
_MONEY = 1000  # and thousandths of a yuan

_Visit = tuple[int, float, float]  # stop position, delivered, picked up


def _visits(centre: CentreStops, capacity: float) -> list[_Visit]:
    """Every visit the split rule asks for, in stop order."""
    out = []
    for i in range(len(centre)):
        d, p = float(centre.deliveries[i]), float(centre.pickups[i])
        k = split_visits(d, p, capacity)
        out += [(i, d / k, p / k)] * k
    return out


def _check_reachable(centre: CentreStops, visits: list[_Visit], s: RouteSettings) -> None:
    far = []
    for i, dl, pu in visits:
        km = centre.km[0, i + 1] + centre.km[i + 1, 0]
        if s.route_hours(km, [dl + pu]) > s.shift_hours:
            far.append(centre.station_ids[i])
    if far:
        names = ", ".join(dict.fromkeys(far[:5]))
        msg = (
            f"routes: {len(set(far))} stop(s) of {centre.centre_id} ({names}) cannot be "
            f"loaded for, reached and left within a {s.shift_hours:g} h shift at "
            f"{s.speed_kmh:g} km/h; raise [routes].shift_hours or lower [service].max_feeder_km"
        )
        raise InfeasibleError(msg)


def _model(centre: CentreStops, visits: list[_Visit], s: RouteSettings) -> Any:
    """Build the PyVRP model of one depot."""
    import pyvrp

    m = pyvrp.Model()
    stops = sorted({i for i, _, _ in visits})
    where = [m.add_location(x=0, y=0)] + [m.add_location(x=0, y=0) for _ in stops]
    depot = m.add_depot(where[0], service_duration=math.ceil(s.loading_minutes * 60 - 1e-9))
    slot = {i: k + 1 for k, i in enumerate(stops)}
    for i, dl, pu in visits:
        ready = centre.release(i) if dl > 0 else 0.0
        m.add_client(
            where[slot[i]],
            delivery=[math.ceil(dl * _PARCELS - 1e-6)],
            pickup=[math.ceil(pu * _PARCELS - 1e-6)],
            service_duration=math.ceil(s.stop_hours(dl + pu) * 3600 - 1e-9),
            release_time=math.ceil(ready * 3600 - 1e-9),
        )
    nodes = [0] + [i + 1 for i in stops]
    km = centre.km[np.ix_(nodes, nodes)]
    cost = np.rint(km * s.yuan_per_km * _MONEY).astype(np.int64)
    seconds = np.ceil(km / s.speed_kmh * 3600 - 1e-9).astype(np.int64)
    for a, frm in enumerate(where):
        for b, to in enumerate(where):
            m.add_edge(frm, to, distance=int(cost[a, b]), duration=int(seconds[a, b]))
    reloads = {} if s.trips_per_van == 1 else {"reload_depots": [depot]}
    if s.trips_per_van > 1:
        reloads["max_reloads"] = s.trips_per_van - 1
    m.add_vehicle_type(
        num_available=len(visits),
        capacity=[math.floor(s.capacity_parcels * _PARCELS + 1e-6)],
        start_depot=depot,
        end_depot=depot,
        fixed_cost=round(s.fixed_yuan_per_day * _MONEY),
        shift_duration=math.floor(s.shift_hours * 3600 + 1e-9),
        unit_distance_cost=1,
        **reloads,
    )
    return m


def _stop_rule(iterations: int, no_improvement: int, time_limit_s: float) -> Any:
    from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria, NoImprovement

    return MultipleCriteria(
        [MaxIterations(iterations), NoImprovement(no_improvement), MaxRuntime(time_limit_s)]
    )


def _van_days(result: Any) -> list[list[tuple[float, list[int]]]]:
    """Per van, its loops: (start of loading in hours, visit indices in order)."""
    days = []
    for route in result.best.routes():
        loops: dict[int, tuple[float, list[int]]] = {}
        for act in route.schedule():
            if act.is_depot() and act.trip not in loops:
                loops[act.trip] = (act.start_time / 3600.0, [])
            elif act.is_client():
                loops[act.trip][1].append(int(act.idx))
        days.append([loops[t] for t in sorted(loops) if loops[t][1]])
    return [d for d in days if d]


#: Routed depots kept for reuse within one process (see the module docstring).
CACHE_SIZE = 2048
_routed: OrderedDict[bytes, tuple[tuple[Route, ...], SearchInfo]] = OrderedDict()


def _instance_key(centre: CentreStops, s: RouteSettings, search: dict[str, Any]) -> bytes:
    """Digest everything the search of one depot depends on."""
    digest = hashlib.sha256()
    head = (centre.centre_id, centre.tier, centre.station_ids, s, sorted(search.items()))
    digest.update(repr(head).encode("utf-8"))
    for values in (centre.deliveries, centre.pickups, centre.km, centre.release_hours):
        if values is None:
            digest.update(b"-")
            continue
        array = np.ascontiguousarray(values, dtype=np.float64)
        digest.update(repr(array.shape).encode("ascii"))
        digest.update(array.tobytes())
    return digest.digest()


def _solve_depot_once(
    centre: CentreStops, s: RouteSettings, search: dict[str, Any]
) -> tuple[list[Route], SearchInfo]:
    """Route one depot, or reuse its loops when the same instance was routed before."""
    key = _instance_key(centre, s, search)
    if key in _routed:
        _routed.move_to_end(key)
        found, info = _routed[key]
        return list(found), replace(info, seconds=0.0)  # no search time spent this call
    routes, info = _solve_depot(centre, s, search)
    _routed[key] = (tuple(routes), info)
    if len(_routed) > CACHE_SIZE:
        _routed.popitem(last=False)
    return routes, info


def _solve_depot(
    centre: CentreStops, s: RouteSettings, search: dict[str, Any]
) -> tuple[list[Route], SearchInfo]:
    """Route one depot; its loops as records and how the search went."""
    visits = _visits(centre, s.capacity_parcels)
    if not visits:
        return [], SearchInfo(centre.centre_id, 0.0, 0.0, False, 0)
    _check_reachable(centre, visits, s)
    model = _model(centre, visits, s)
    started = time.perf_counter()
    result = model.solve(
        stop=_stop_rule(search["iterations"], search["no_improvement"], search["time_limit_s"]),
        seed=search["seed"],
        display=False,
        collect_stats=False,
    )
    seconds = time.perf_counter() - started
    if not result.is_feasible():
        msg = f"routes: the router found no feasible loops for {centre.centre_id}"
        raise SolverError(msg)
    hit = seconds >= 0.98 * search["time_limit_s"]
    if hit:
        log.warning(
            "routes: %s stopped at the %.0f s time limit, not the iteration rule; a rerun may differ",
            centre.centre_id,
            search["time_limit_s"],
        )
    routes = []
    for v, day in enumerate(_van_days(result), start=1):
        share = s.fixed_yuan_per_day / len(day)
        for trip, (start, loop) in enumerate(day, start=1):
            stops = [visits[k][0] for k in loop]
            nodes = [0, *(i + 1 for i in stops), 0]
            km = float(np.sum(centre.km[nodes[:-1], nodes[1:]]))
            dl = tuple(visits[k][1] for k in loop)
            pu = tuple(visits[k][2] for k in loop)
            routes.append(
                Route(
                    centre_id=centre.centre_id,
                    vehicle=v,
                    trip=trip,
                    kind="loop",
                    stops=tuple(centre.station_ids[i] for i in stops),
                    delivered=dl,
                    picked_up=pu,
                    km=km,
                    hours=s.route_hours(km, [a + b for a, b in zip(dl, pu, strict=True)]),
                    cost_yuan_per_day=km * s.yuan_per_km + share,
                    start_hours=start,
                    tier=centre.tier,
                )
            )
    info = SearchInfo(
        centre.centre_id, float(result.cost()), seconds, hit, len(visits), result.num_iterations
    )
    return routes, info


def route_instances(
    centres: tuple[CentreStops, ...] | list[CentreStops],
    settings: RouteSettings,
    *,
    iterations: int = 5000,
    no_improvement: int = 1000,
    time_limit_s: float = 120.0,
    seed: int = 0,
) -> RoutePlan:
    """
    Route every depot of plain instances (no geometry) and verify the result.

    Parameters
    ----------
    centres
        The routing instances, e.g. from :func:`~ruralnet.routes.build.centre_stops` or
        hand-made.
    settings
        Van capacity, costs, stop and loading times, shift.
    iterations
        Most iterations of the search per depot.
    no_improvement
        Stop a depot's search after this many iterations without a better solution.
    time_limit_s
        Safety limit of the search per depot, seconds.
    seed
        Seed of the search.

    Returns
    -------
    RoutePlan
        Verified routes, without drawings.

    Raises
    ------
    InfeasibleError
        When a stop cannot be served within one shift.
    VerificationError
        When :func:`~ruralnet.routes.verify.verify_routes` finds a violation.
    """
    search = {
        "iterations": iterations,
        "no_improvement": no_improvement,
        "time_limit_s": time_limit_s,
        "seed": seed,
    }
    routes: list[Route] = []
    searches = []
    for centre in centres:
        found, info = _solve_depot_once(centre, settings, search)
        routes += found
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
        "routes: %d depots, %d vans, %d loops, %.1f van-km/day, %.0f yuan/day",
        len(plan.centres),
        plan.vans,
        len(plan.routes),
        plan.km_per_day,
        plan.cost_yuan_per_day,
    )
    return plan
