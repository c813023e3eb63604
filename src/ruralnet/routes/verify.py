"""Independent check of daily van routes, from the plain records of :mod:`ruralnet.routes.data`.

This module never imports the router or a solver. It recomputes, for every depot: which
parcels each stop should get and send (with the split rule for stops bigger than a van),
the running load along every loop, every loop's km from the distance matrix, its hours
(loading, driving, time at the stops), its start against the release of the parcels it
carries, its cost, and each van's day: loops in order, one after another, within the shift.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np

from ruralnet.routes.data import CentreStops, Route, RoutePlan, RouteSettings

__all__ = ["RouteViolation", "expected_visits", "verify_routes"]

TOL = 1e-6  # parcels, km and hours; relative on larger figures


@dataclass(frozen=True)
class RouteViolation:
    """One broken rule: which rule, which route (or depot or van), which stop, and the numbers."""

    rule: str
    route_id: str
    station_id: str
    detail: str

    def __str__(self) -> str:
        where = self.route_id + (f" at {self.station_id}" if self.station_id else "")
        return f"{self.rule}[{where}]: {self.detail}"


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= TOL * max(1.0, abs(a), abs(b))


def expected_visits(deliveries: float, pickups: float, capacity: float) -> int:
    """
    Visits a stop needs under the split rule, recomputed here on purpose.

    ``ceil(max(deliveries, pickups) / capacity)`` visits (none when nothing moves): one
    while everything fits one van, more for a stop bigger than a van.

    Parameters
    ----------
    deliveries, pickups
        Parcels per day to and from the stop.
    capacity
        Van capacity in parcels.

    Returns
    -------
    int
        The number of visits.
    """
    most = max(deliveries, pickups)
    if most <= TOL:
        return 0
    return max(1, math.ceil(most / capacity - TOL))


def _check_load(route: Route, cap: float, out: list[RouteViolation]) -> None:
    """Check the running load: all deliveries leave the depot, then -delivered +picked up."""
    rid = route.route_id
    load = float(np.sum(route.delivered))
    if load > cap * (1 + TOL) + TOL:
        out.append(RouteViolation("capacity", rid, "", f"leaves with {load:.2f} > {cap:.2f}"))
    for sid, dl, pu in zip(route.stops, route.delivered, route.picked_up, strict=True):
        if dl < -TOL or pu < -TOL:
            out.append(RouteViolation("parcels", rid, sid, "negative parcels at a stop"))
        load = load - dl + pu
        if load > cap * (1 + TOL) + TOL:
            out.append(
                RouteViolation("capacity", rid, sid, f"{load:.2f} parcels on board > {cap:.2f}")
            )


def _route_hours(route: Route, km: float, s: RouteSettings) -> float:
    stops = sum(
        s.stop_minutes + s.stop_minutes_per_parcel * (dl + pu)
        for dl, pu in zip(route.delivered, route.picked_up, strict=True)
    )
    return s.loading_minutes / 60.0 + km / s.speed_kmh + stops / 60.0


def _check_times(
    route: Route,
    centre: CentreStops,
    position: dict[str, int],
    out: list[RouteViolation],
) -> None:
    rid = route.route_id
    if route.start_hours < -TOL:
        out.append(RouteViolation("start", rid, "", f"starts at {route.start_hours:.3f} h < 0"))
    if centre.release_hours is None:
        return
    for sid, dl in zip(route.stops, route.delivered, strict=True):
        ready = float(centre.release_hours[position[sid]])
        if dl > TOL and route.start_hours < ready - TOL:
            out.append(
                RouteViolation(
                    "release",
                    rid,
                    sid,
                    f"loads at {route.start_hours:.3f} h, parcels ready at {ready:.3f} h",
                )
            )


def _check_route(
    route: Route, centre: CentreStops | None, settings: RouteSettings, out: list[RouteViolation]
) -> None:
    rid = route.route_id
    if centre is None:
        out.append(RouteViolation("centre", rid, "", f"unknown depot {route.centre_id}"))
        return
    if route.tier != centre.tier:
        out.append(RouteViolation("tier", rid, "", f"{route.tier} route of a {centre.tier} depot"))
    n = len(route.stops)
    if n == 0 or len(route.delivered) != n or len(route.picked_up) != n:
        out.append(RouteViolation("stops", rid, "", "no stops, or parcels not given per stop"))
        return
    position = {sid: i for i, sid in enumerate(centre.station_ids)}
    unknown = [s for s in route.stops if s not in position]
    for sid in unknown:
        out.append(RouteViolation("station", rid, sid, f"not served by {route.centre_id}"))
    if unknown:
        return
    if len(set(route.stops)) != n:
        out.append(RouteViolation("repeat", rid, "", "a stop appears twice on one loop"))
    _check_load(route, settings.capacity_parcels, out)
    nodes = np.array([0] + [position[s] + 1 for s in route.stops] + [0])
    km = float(np.sum(centre.km[nodes[:-1], nodes[1:]]))
    if not _close(km, route.km):
        out.append(RouteViolation("km", rid, "", f"reports {route.km:.4f} km, matrix {km:.4f}"))
    hours = _route_hours(route, km, settings)
    if not _close(hours, route.hours):
        out.append(RouteViolation("hours", rid, "", f"reports {route.hours:.4f} h, is {hours:.4f}"))
    if hours > settings.shift_hours + TOL:
        out.append(
            RouteViolation("shift", rid, "", f"{hours:.2f} h > shift {settings.shift_hours:.2f} h")
        )
    _check_times(route, centre, position, out)


def _check_centre(
    centre: CentreStops, routes: list[Route], capacity: float, out: list[RouteViolation]
) -> None:
    got_d: dict[str, float] = defaultdict(float)
    got_p: dict[str, float] = defaultdict(float)
    visits: dict[str, int] = defaultdict(int)
    for r in routes:
        for sid, dl, pu in zip(r.stops, r.delivered, r.picked_up, strict=True):
            got_d[sid] += dl
            got_p[sid] += pu
            visits[sid] += 1
    for i, sid in enumerate(centre.station_ids):
        want_d, want_p = float(centre.deliveries[i]), float(centre.pickups[i])
        want_v = expected_visits(want_d, want_p, capacity)
        if visits[sid] != want_v:
            out.append(
                RouteViolation(
                    "visits", centre.centre_id, sid, f"visited {visits[sid]} times, needs {want_v}"
                )
            )
        for what, got, want in (
            ("delivered", got_d[sid], want_d),
            ("picked_up", got_p[sid], want_p),
        ):
            if not _close(got, want):
                out.append(
                    RouteViolation(
                        what, centre.centre_id, sid, f"{got:.3f} parcels/day, needs {want:.3f}"
                    )
                )


def _check_van_day(
    vid: str, trips: list[Route], s: RouteSettings, out: list[RouteViolation]
) -> None:
    """Loops of one van one after another, within the shift and the loop limit."""
    if s.trips_per_van and len(trips) > s.trips_per_van:
        out.append(
            RouteViolation("trips", vid, "", f"{len(trips)} loops > {s.trips_per_van} per van")
        )
    if sorted(r.trip for r in trips) != list(range(1, len(trips) + 1)):
        out.append(RouteViolation("trips", vid, "", "loop numbers are not 1..n"))
        return
    ordered = sorted(trips, key=lambda r: r.trip)
    for before, after in itertools.pairwise(ordered):
        if after.start_hours < before.start_hours + before.hours - TOL:
            out.append(
                RouteViolation(
                    "overlap",
                    after.route_id,
                    "",
                    f"starts at {after.start_hours:.3f} h, before loop {before.trip} is back "
                    f"({before.start_hours + before.hours:.3f} h)",
                )
            )
    day = ordered[-1].start_hours + ordered[-1].hours - ordered[0].start_hours
    if day > s.shift_hours + TOL:
        out.append(RouteViolation("shift", vid, "", f"van works {day:.2f} h > {s.shift_hours} h"))


def _check_vans(routes: list[Route], settings: RouteSettings, out: list[RouteViolation]) -> None:
    by_van: dict[tuple[str, int], list[Route]] = defaultdict(list)
    for r in routes:
        by_van[(r.centre_id, r.vehicle)].append(r)
    for (cid, vehicle), trips in sorted(by_van.items()):
        _check_van_day(f"{cid}/{vehicle}", trips, settings, out)
        share = settings.fixed_yuan_per_day / len(trips)
        for r in trips:
            cost = r.km * settings.yuan_per_km + share
            if not _close(cost, r.cost_yuan_per_day):
                out.append(
                    RouteViolation(
                        "cost",
                        r.route_id,
                        "",
                        f"reports {r.cost_yuan_per_day:.2f} yuan/day, recomputed {cost:.2f}",
                    )
                )


def verify_routes(route_plan: RoutePlan) -> list[RouteViolation]:
    """
    Check every route of a route plan against its instances and settings.

    Parameters
    ----------
    route_plan
        The routes and the depot instances (stops, parcels, distance matrix) they serve.

    Returns
    -------
    list of RouteViolation
        Empty when every stop gets exactly its parcels in the visits the split rule
        allows, no van is ever loaded beyond capacity, every loop's km and hours match the
        matrix, no loop starts before its parcels are ready, every van's loops follow one
        another within the shift (and the loop limit), and every cost adds up.
    """
    settings = route_plan.settings
    out: list[RouteViolation] = []
    centres = {c.centre_id: c for c in route_plan.centres}
    if len(centres) != len(route_plan.centres):
        out.append(RouteViolation("centre", "all", "", "a depot appears twice"))
    by_centre: dict[str, list[Route]] = defaultdict(list)
    counts = Counter(r.route_id for r in route_plan.routes)
    for rid in sorted(i for i, k in counts.items() if k > 1):
        out.append(RouteViolation("route_id", rid, "", "two routes share one id"))
    for route in route_plan.routes:
        _check_route(route, centres.get(route.centre_id), settings, out)
        by_centre[route.centre_id].append(route)
    for cid, centre in centres.items():
        _check_centre(centre, by_centre.get(cid, []), settings.capacity_parcels, out)
    _check_vans(list(route_plan.routes), settings, out)
    if route_plan.paths and len(route_plan.paths) != len(route_plan.routes):
        out.append(RouteViolation("paths", "all", "", "one drawing per route expected"))
    return out
