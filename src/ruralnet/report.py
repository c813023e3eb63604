"""The numbers of a plan: ``summary.json`` and its key figures.

The seed plans' targets it meets are counted in :mod:`ruralnet.targets`.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ruralnet.cold_chain import cold_chain_figures
from ruralnet.i18n import N_
from ruralnet.routes.outputs import fleet_table, route_kpis, routed_cost_parts
from ruralnet.targets import bus_share, policy_targets

if TYPE_CHECKING:
    from ruralnet.plan import Plan

__all__ = [
    "kpi_table",
    "operating_cost",
    "own_village_comparison",
    "phase_summary",
    "plan_summary",
    "routes_summary",
    "transport_figures",
]


def transport_figures(plan: Plan) -> dict[str, float | str]:
    """
    Parcel-km, estimated vehicle-km and CO2 per day, by mode.

    With routes (:meth:`Plan.with_routes`), feeder van-km come from the routes. Otherwise, and
    for hub→centre vans, van-km are estimated from parcel-km: a van that leaves full and returns
    empty carries on average half its load (``capacity × load_factor / 2`` parcels), the same
    assumption as the default van cost per parcel-km (DOMAIN.md T5–T10).

    Parameters
    ----------
    plan
        A verified plan.

    Returns
    -------
    dict
        ``van_parcel_km_per_day``, ``bus_parcel_km_per_day``, ``van_km_per_day``,
        ``co2_kg_per_day``.
    """
    links = plan.links
    parcel_km = links["parcels_per_day"] * links["km"]
    van_pkm = float(parcel_km[links["mode"] == "van"].sum())
    bus_pkm = float(parcel_km[links["mode"] == "bus"].sum())
    van = plan.scenario.van
    on_board = van.capacity_parcels * van.load_factor / 2
    trunk_van_pkm = float(parcel_km[(links["mode"] == "van") & (links["tier"] == "trunk")].sum())
    trunk_routed = plan.routes is not None and any(c.tier == "trunk" for c in plan.routes.centres)
    if trunk_routed:
        van_km = route_kpis(plan.routes)["van_km_per_day"]
    elif plan.routes is not None:  # feeder vans from the routes, trunk vans estimated
        van_km = route_kpis(plan.routes)["van_km_per_day"] + trunk_van_pkm / on_board
    else:
        van_km = van_pkm / on_board
    co2 = van_km * van.co2_kg_per_km + bus_pkm * plan.scenario.bus.co2_kg_per_parcel_km
    return {
        "van_parcel_km_per_day": van_pkm,
        "bus_parcel_km_per_day": bus_pkm,
        "van_km_per_day": van_km,
        "van_km_source": N_("routes (feeder and trunk)")
        if trunk_routed
        else N_("routes (feeder) + parcel-km estimate (trunk)")
        if plan.routes is not None
        else N_("parcel-km estimate"),
        "co2_kg_per_day": co2,
    }


def kpi_table(plan: Plan) -> pd.DataFrame:
    """
    Tabulate the plan's key figures, with a target and whether it is met where one applies.

    Parameters
    ----------
    plan
        A verified plan.

    Returns
    -------
    pandas.DataFrame
        Columns ``kpi``, ``value``, ``unit``, ``target``, ``met``.
    """
    p, v = plan.problem, plan.verification
    villages = plan.villages
    covered = villages[villages["covered"]]
    centres_per_township = np.bincount(
        p.centre_township[plan.solution.open_centre], minlength=len(p.township_ids)
    )
    transport = transport_figures(plan)
    total_parcels_year = (
        float(np.sum(p.parcels[plan.solution.village_station >= 0])) * p.days_per_year
    )
    shared = not p.own_village_rule
    limit_km = p.max_access_km if shared else np.nan
    rows = [
        (
            "village coverage (villages with their own station)",
            v.own_station_share,
            "share",
            p.coverage_target,
            v.own_station_share >= p.coverage_target - 1e-9,
        ),
        *(
            [
                (
                    f"village service coverage (a station within {p.max_access_km:g} km)",
                    v.coverage_share,
                    "share",
                    p.coverage_target,
                    v.coverage_share >= p.coverage_target - 1e-9,
                )
            ]
            if shared
            else []
        ),
        (
            "townships with a co-delivery centre",
            float(np.mean(centres_per_township >= 1)),
            "share",
            1.0,
            bool(np.all(centres_per_township >= 1)),
        ),
        (
            "county hub present",
            float(plan.solution.open_hub.any()),
            "yes=1",
            1.0,
            bool(plan.solution.open_hub.any()),
        ),
        (
            "longest village→station distance",
            float(covered["distance_km"].max()) if len(covered) else np.nan,
            "km",
            limit_km,
            bool(len(covered) == 0 or covered["distance_km"].max() <= limit_km + 1e-9)
            if shared
            else None,
        ),
        (
            "mean village→station distance",
            float(covered["distance_km"].mean()) if len(covered) else np.nan,
            "km",
            np.nan,
            None,
        ),
        ("stations opened", float(len(plan.stations)), "count", np.nan, None),
        ("centres opened", float(len(plan.centres)), "count", np.nan, None),
        ("total cost", operating_cost(plan)[0], "yuan/year", np.nan, None),
        (
            "cost per parcel",
            operating_cost(plan)[0] / total_parcels_year if total_parcels_year else np.nan,
            "yuan",
            np.nan,
            None,
        ),
        (
            f"van-km ({transport['van_km_source']})",
            transport["van_km_per_day"],
            "km/day",
            np.nan,
            None,
        ),
        ("CO2", transport["co2_kg_per_day"], "kg/day", np.nan, None),
    ]
    return pd.DataFrame(rows, columns=["kpi", "value", "unit", "target", "met"])


def operating_cost(plan: Plan) -> tuple[float, dict[str, float], str]:
    """
    Price what the plan costs to run each year, by part, and say what the figure rests on.

    With routes (:meth:`Plan.with_routes`), the vans are priced as routed: a fixed cost per
    van of the fleet plus a cost per km of its loops, for the feeder (centre → stations) and,
    when routed, the trunk (hub → centres); facilities, handling, bus fees and residents'
    access are the verifier's recomputed parts. For a phased plan these are the last phase's
    yearly costs (the network the routes serve). Without routes the figure is the siting
    model's (vans priced per parcel-km).

    Parameters
    ----------
    plan
        A verified plan.

    Returns
    -------
    tuple
        ``(total yuan/year, parts, basis)`` where ``basis`` is ``"routes"`` or
        ``"siting model"``.
    """
    v = plan.verification
    if plan.routes is None:
        return v.total_yuan, dict(v.cost_parts), "siting model"
    parts = routed_cost_parts(plan, plan.routes)
    return float(sum(parts.values())), parts, "routes"


def routes_summary(plan: Plan) -> dict[str, Any] | None:
    """
    Sum up the routes: all vans, then the feeder and trunk tiers, then each depot's fleet.

    Parameters
    ----------
    plan
        A verified plan.

    Returns
    -------
    dict or None
        :func:`~ruralnet.routes.outputs.route_kpis` of all routes, with ``feeder`` and
        ``trunk`` (the same per tier, or None when not routed) and ``fleet`` (the rows of
        :func:`~ruralnet.routes.outputs.fleet_table`); None without routes.
    """
    if plan.routes is None:
        return None
    tiers = {
        tier: route_kpis(plan.routes.of_tier(tier))
        if any(c.tier == tier for c in plan.routes.centres)
        else None
        for tier in ("feeder", "trunk")
    }
    fleet = fleet_table(plan.routes).to_dict(orient="records")
    return {**route_kpis(plan.routes), **tiers, "fleet": fleet}


def plan_summary(plan: Plan) -> dict[str, Any]:
    """
    Sum up a plan in numbers, as written to ``summary.json``.

    Parameters
    ----------
    plan
        A verified plan.

    Returns
    -------
    dict
        Costs (yuan/year): ``total_cost_yuan_per_year`` and ``cost_yuan_per_year`` from
        :func:`operating_cost` (vans as routed when the plan has routes, ``cost_basis``
        says which), the siting model's own recomputed total and the difference; counts,
        coverage, solver figures, the routes and fleet, data notes, and ``verified``.
    """
    s, p, v = plan.solution, plan.problem, plan.verification
    villages, stations = plan.villages, plan.stations
    covered = villages[villages["covered"]]
    links = plan.links
    meta = plan.inputs.meta
    total, parts, basis = operating_cost(plan)
    return {
        "scenario": plan.scenario.scenario.name,
        "dataset": meta.name,
        "total_cost_yuan_per_year": round(total, 2),
        "cost_yuan_per_year": {k: round(val, 2) for k, val in parts.items()},
        "cost_basis": basis,
        "siting_model_cost_yuan_per_year": round(v.total_yuan, 2),
        "total_minus_siting_model_yuan_per_year": round(total - v.total_yuan, 2),
        "villages": len(p.village_ids),
        "villages_covered": len(covered),
        "coverage_share": round(v.coverage_share, 6),
        "coverage_target": p.coverage_target,
        "coverage_rule": plan.scenario.service.rule,
        "villages_with_own_station": int(np.sum(v.own_station)),
        "own_station_share": round(v.own_station_share, 6),
        "stations_opened": len(stations),
        "stations_upgraded_existing": int((stations["kind"] == "existing").sum()),
        "stations_new": int((stations["kind"] == "new").sum()),
        "centres_opened": len(plan.centres),
        "townships": len(p.township_ids),
        "hubs_open": len(plan.hubs),
        "parcels_per_day": round(float(np.sum(p.parcels)), 2),
        "parcels_per_day_by_mode": {
            tier: {
                mode: round(float(g["parcels_per_day"].sum()), 2) for mode, g in t.groupby("mode")
            }
            for tier, t in links.groupby("tier")
        },
        "bus_load_factor": {
            row.line_id: round(row.load_factor, 4) for row in plan.bus_lines.itertuples()
        },
        "all_van_cost_yuan_per_year": round(plan.all_van.total_yuan, 2) if plan.all_van else None,
        "saving_vs_all_van_yuan_per_year": (
            round(plan.all_van.total_yuan - v.total_yuan, 2) if plan.all_van else None
        ),
        "saving_vs_separate_brands_yuan_per_year": (
            round(plan.separate_brands.saving_yuan_per_year, 2) if plan.separate_brands else None
        ),
        "separate_brands": plan.separate_brands.figures() if plan.separate_brands else None,
        # [cold_chain]: only when the plan has one, so other summaries keep their keys
        **({"cold_chain": cold_chain_figures(plan, total)} if plan.cold_chain else {}),
        **own_village_comparison(plan),
        "mean_access_km": round(float(covered["distance_km"].mean()), 3) if len(covered) else None,
        "longest_access_km": round(float(covered["distance_km"].max()), 3)
        if len(covered)
        else None,
        "solver": {
            "backend": s.solver,
            "status": s.status.value,
            "objective": round(s.objective, 2),
            "best_bound": round(s.best_bound, 2),
            "gap": round(s.gap, 8),
            "seconds": round(s.seconds, 2),
        },
        "road_network": {
            "kept_km": round(plan.assembly.network.length_km, 1),
            "dropped_km": round(plan.assembly.network.dropped_km, 1),
            "components": plan.assembly.network.components,
        },
        "phases": phase_summary(plan),
        "transport_per_day": {
            k: round(val, 3) if isinstance(val, float) else val
            for k, val in transport_figures(plan).items()
        },
        "routes": routes_summary(plan),
        "bus_share_of_parcel_rides": round(bus_share(plan), 6),
        "targets": policy_targets(plan),
        "generated_data": list(meta.generated),
        "attribution": list(meta.attribution),
        "ruralnet_version": version("ruralnet"),
        "verified": v.ok,
        **_lockers_summary(plan, total),
    }


def _lockers_summary(plan: Plan, total: float) -> dict[str, Any]:
    """``lockers`` ([lockers].enabled only): the sized groups; the plan's total is unchanged."""
    if plan.lockers is None:
        return {}
    figures = plan.lockers.figures()
    figures["total_cost_with_lockers_yuan_per_year"] = round(total + plan.lockers.yuan_per_year, 2)
    return {"lockers": figures}


def phase_summary(plan: Plan) -> list[dict[str, Any]]:
    """One row per phase (one row for a plan without phases): coverage, sites, costs, spending."""
    p, s, v = plan.problem, plan.solution, plan.verification
    steps = s.phases or (s,)
    reports = v.phases or (v,)
    one_off = (p.station_one_off_yuan, p.centre_one_off_yuan, p.hub_one_off_yuan)
    rows = []
    for k, (sol, report) in enumerate(zip(steps, reports, strict=True)):
        spent = 0.0
        if all(c is not None for c in one_off):
            for family, cost in zip(
                ("open_station", "open_centre", "open_hub"), one_off, strict=True
            ):
                before = getattr(steps[k - 1], family) if k else np.zeros_like(getattr(sol, family))
                spent += float(np.sum(cost[getattr(sol, family) & ~before]))
        budget = float(p.phases.budget_yuan[k])
        rows.append(
            {
                "name": p.phases.names[k],
                "coverage_target": float(p.phases.coverage_target[k])
                if s.phases
                else p.coverage_target,
                "coverage_share": round(report.coverage_share, 6),
                "own_station_share": round(report.own_station_share, 6),
                "demand_factor": float(p.phases.demand_factor[k]),
                "stations_open": int(sol.open_station.sum()),
                "centres_open": int(sol.open_centre.sum()),
                "cost_yuan_per_year": round(report.total_yuan, 2),
                "one_off_spending_yuan": round(spent, 2),
                "budget_yuan": budget if np.isfinite(budget) else None,
            }
        )
    return rows


def own_village_comparison(plan: Plan) -> dict[str, Any]:
    """
    Compare the plan with one station in every village on the same data.

    Parameters
    ----------
    plan
        A verified plan; under ``rule = "within_distance"`` it carries the verified
        one-station-per-village plan (:func:`ruralnet.pipeline.price_own_village`).

    Returns
    -------
    dict
        ``own_village`` (that plan's cost, stations, solver status and gap; None without
        one) and ``saving_vs_own_village_yuan_per_year``: its cost minus that of this plan as
        first solved. Both are the siting model's optimal plans under their rule, verified
        (``cost_basis``); after route re-pricing the plan kept may differ from the one
        compared (``compared_with_yuan_per_year``), and the one-station plan is not routed.
    """
    other = plan.own_village
    if other is None:
        return {"own_village": None, "saving_vs_own_village_yuan_per_year": None}
    last = other.solution
    return {
        "own_village": {
            "cost_yuan_per_year": round(other.verification.total_yuan, 2),
            "cost_basis": "siting model",
            "compared_with_yuan_per_year": round(other.compared_with_yuan, 2),
            "stations_opened": int(last.open_station.sum()),
            "villages_with_own_station": int(np.sum(other.verification.own_station)),
            "solver_status": last.status.value,
            "gap": round(last.gap, 8),
            "verified": other.verification.ok,
        },
        "saving_vs_own_village_yuan_per_year": round(
            other.verification.total_yuan - other.compared_with_yuan, 2
        ),
    }
