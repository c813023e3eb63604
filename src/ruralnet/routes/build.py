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
import pandas as pd

from ruralnet.errors import NetworkError
from ruralnet.network import Snap, pair_distances
from ruralnet.routes.data import CentreStops, RoutePlan, RouteSettings
from ruralnet.routes.engine import route_instances
from ruralnet.routes.outputs import route_paths

if TYPE_CHECKING:
    from ruralnet.assemble import Assembly
    from ruralnet.plan import Plan
    from ruralnet.scenario import Scenario
    from ruralnet.settings import RouteRules

__all__ = [
    "MIN_PARCELS",
    "build_routes",
    "centre_stops",
    "hub_stops",
    "link_instances",
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
        stop_minutes_per_parcel=rules.stop_minutes_per_parcel,
        loading_minutes=rules.loading_minutes,
        trips_per_van=rules.trips_per_van,
    )


def _van_links(links: pd.DataFrame, tier: str) -> pd.DataFrame:
    rows = links[(links["tier"] == tier) & (links["mode"] == "van")]
    noise = rows["parcels_per_day"] < MIN_PARCELS
    if noise.any():
        log.debug(
            "routes: %d %s van links below %g parcels/day ignored",
            int(noise.sum()),
            tier,
            MIN_PARCELS,
        )
    return rows[~noise]


def link_instances(links: pd.DataFrame, assembly: Assembly, tier: str) -> tuple[CentreStops, ...]:
    """
    Build one routing instance per depot of a tier from a links table.

    Parameters
    ----------
    links
        A plan's links (:attr:`Plan.links`, or ``links.csv`` read back with numeric
        ``parcels_per_day``, ``parcels_in_per_day`` and ``parcels_out_per_day``).
    assembly
        The problem, road network and snapped sites the plan was made on.
    tier
        ``"feeder"`` (centres and their stations) or ``"trunk"`` (hubs and their centres).

    Returns
    -------
    tuple of CentreStops
        Per depot with van links of that tier: its stops, their deliveries and pickups and
        the road-distance matrix, in the problem's order.

    Raises
    ------
    NetworkError
        When two points of a depot have no road distance.
    """
    p = assembly.problem
    rows_all = _van_links(links, tier)
    depots, stops = (p.centre_ids, p.station_ids) if tier == "feeder" else (p.hub_ids, p.centre_ids)
    names = ("centre_sites", "station_sites") if tier == "feeder" else ("hubs", "centre_sites")
    d_index = {c: i for i, c in enumerate(depots)}
    s_index = {s: i for i, s in enumerate(stops)}
    d_snap, s_snap = assembly.snaps[names[0]], assembly.snaps[names[1]]
    out = []
    for cid in sorted(set(rows_all["from_id"]), key=d_index.__getitem__):
        rows = rows_all[rows_all["from_id"] == cid]
        parcels = rows.groupby("to_id")[["parcels_in_per_day", "parcels_out_per_day"]].sum()
        sids = sorted(parcels.index, key=s_index.__getitem__)
        c, st = d_index[cid], np.array([s_index[s] for s in sids], dtype=np.int64)
        snap = Snap(
            node=np.concatenate([[d_snap.node[c]], s_snap.node[st]]),
            km=np.concatenate([[d_snap.km[c]], s_snap.km[st]]),
        )
        km = pair_distances(assembly.network, snap, snap)
        np.fill_diagonal(km, 0.0)
        if not np.all(np.isfinite(km)):
            msg = f"routes: {cid} has stops with no road distance between them"
            raise NetworkError(msg)
        out.append(
            CentreStops(
                centre_id=cid,
                station_ids=tuple(sids),
                deliveries=parcels.loc[sids, "parcels_in_per_day"].to_numpy(float),
                pickups=parcels.loc[sids, "parcels_out_per_day"].to_numpy(float),
                km=km,
                tier=tier,
            )
        )
    return tuple(out)


def centre_stops(plan: Plan) -> tuple[CentreStops, ...]:
    """
    Build the feeder routing instances of a plan: per open centre, its van-fed stations.

    Parameters
    ----------
    plan
        A verified plan. Feeder links with mode ``van`` give each station's deliveries
        (``parcels_in_per_day``) and pickups (``parcels_out_per_day``); links carrying
        less than :data:`MIN_PARCELS` a day (solver round-off) are ignored.

    Returns
    -------
    tuple of CentreStops
        In the problem's centre order; stations in the problem's station order; road km
        from the same road graph and snapped sites as the siting model.

    Raises
    ------
    NetworkError
        When two points of a centre have no road distance (should not happen on the kept
        strongly connected road graph).
    """
    return link_instances(plan.links, plan.assembly, "feeder")


def hub_stops(plan: Plan) -> tuple[CentreStops, ...]:
    """
    Build the trunk routing instances of a plan: per hub, the centres it supplies by van.

    Parameters
    ----------
    plan
        A verified plan; its ``trunk`` links with mode ``van`` (bus legs are not routed).

    Returns
    -------
    tuple of CentreStops
        With ``tier="trunk"``, in the problem's hub order.
    """
    return link_instances(plan.links, plan.assembly, "trunk")


def build_routes(
    plan: Plan, *, rules: RouteRules | None = None, seed: int | None = None
) -> RoutePlan:
    """
    Plan the daily van loops of every open centre (and, with ``[routes].trunk``, the hub).

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
    instances = centre_stops(plan) + (hub_stops(plan) if rules.trunk else ())
    routed = route_instances(
        instances,
        route_settings(plan.scenario, rules),
        iterations=rules.iterations,
        no_improvement=rules.no_improvement,
        time_limit_s=rules.time_limit_s,
        seed=plan.scenario.scenario.seed if seed is None else seed,
    )
    return replace(routed, paths=route_paths(plan, routed))
