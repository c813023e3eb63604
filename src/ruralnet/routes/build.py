"""Daily van routes of a plan: from each township centre, loops through the stations it feeds.

The siting model prices a van feeder link per parcel-km, as if every station had its own
van. Vans really drive loops: :func:`build_routes` turns a solved plan into routing instances
(:func:`centre_stops`, :func:`route_settings`), solves them with the router of
:mod:`ruralnet.routes.engine` and draws them along the roads
(:func:`ruralnet.routes.outputs.route_paths`). :mod:`ruralnet.routes.pricing` feeds the
routes' cost back into the siting model.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from ruralnet.errors import NetworkError
from ruralnet.network import Snap, pair_distances
from ruralnet.routes.data import CentreStops, RoutePlan, RouteSettings
from ruralnet.routes.engine import route_instances
from ruralnet.routes.outputs import route_paths

if TYPE_CHECKING:
    from ruralnet.plan import Plan
    from ruralnet.scenario import Scenario

__all__ = [
    "DEFAULT_SHIFT_HOURS",
    "DEFAULT_SPEED_KMH",
    "MIN_PARCELS",
    "build_routes",
    "centre_stops",
    "route_settings",
]

log = logging.getLogger(__name__)

DEFAULT_SHIFT_HOURS = 8.0  # one driver's working day (EST)
DEFAULT_SPEED_KMH = 40.0  # average rural van speed (EST): 8 h x 40 km/h = 320 km
MIN_PARCELS = 1e-3  # van links carrying less per day are solver round-off, not deliveries


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
        When the routes fail :func:`~ruralnet.routes.verify.verify_routes`.
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
