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
    from ruralnet.scenario import RouteRules, Scenario

__all__ = [
    "MIN_PARCELS",
    "build_routes",
    "centre_stops",
    "route_settings",
]

log = logging.getLogger(__name__)

MIN_PARCELS = 1e-3  # van links carrying less per day are solver round-off, not deliveries


def route_settings(scenario: Scenario, rules: RouteRules | None = None) -> RouteSettings:
    """
    Van figures and shift rules of a scenario, as the router takes them.

    Parameters
    ----------
    scenario
        Supplies ``[van]`` capacity and costs, ``[demand].days_per_year`` and the ``[routes]``
        shift rules.
    rules
        ``[routes]`` rules to use instead of the scenario's.

    Returns
    -------
    RouteSettings
        The settings for :func:`~ruralnet.routes.engine.route_instances`.
    """
    rules = scenario.routes if rules is None else rules
    van = scenario.van
    return RouteSettings(
        capacity_parcels=van.capacity_parcels,
        yuan_per_km=van.yuan_per_km,
        fixed_yuan_per_day=van.fixed_yuan_per_day,
        co2_kg_per_km=van.co2_kg_per_km,
        days_per_year=scenario.demand.days_per_year,
        shift_hours=rules.shift_hours,
        speed_kmh=rules.speed_kmh,
        stop_minutes=rules.stop_minutes,
        trips_per_van=rules.trips_per_van,
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
    plan: Plan, *, rules: RouteRules | None = None, seed: int | None = None
) -> RoutePlan:
    """
    Plan the daily van loops of every open centre of a plan.

    Parameters
    ----------
    plan
        A verified plan.
    rules
        Shift rules and search limits (the ``[routes]`` table); the plan's scenario's when
        omitted.
    seed
        Tie-breaking shuffle of the router; the scenario's seed when omitted.

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
    rules = plan.scenario.routes if rules is None else rules
    routed = route_instances(
        centre_stops(plan),
        route_settings(plan.scenario, rules),
        time_limit_s=rules.time_limit_s,
        solution_limit=rules.solution_limit,
        seed=plan.scenario.scenario.seed if seed is None else seed,
    )
    return replace(routed, paths=route_paths(plan, routed))
