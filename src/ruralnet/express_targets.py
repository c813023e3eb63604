"""Target rows for the express industry's asks: the express park, demonstration stations, 共配.

:func:`express_target_rows` gives the rows :func:`ruralnet.targets.policy_targets` appends to
the coverage, centre, hub and bus rows: whether the open hub gathers enough express companies
to be an express park (Dongchangfu), how many stations meet the scenario's demonstration
standard (Qingdao), and, when the plan has the each-brand-on-its-own baseline
(``[brands].enabled``), what co-delivery saves (Qingdao).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ruralnet.i18n import N_

if TYPE_CHECKING:
    from ruralnet.plan import Plan

__all__ = ["demonstration_stations", "express_target_rows", "hub_companies"]

PARK_SOURCE = "Dongchangfu plan: at least 1 express park (快递园区) with >= 3 companies by end 2024"
DEMONSTRATION_SOURCE = (
    "Qingdao plan: 500 national rural demonstration stations by end 2026 "
    "(county goal: [demonstration].goal_stations)"
)
CO_DELIVERY_SOURCE = "Qingdao plan: 有效整合各镇现有快递网点，每个镇建设改造至少1处快递共配中心"
LOCKER_SOURCE = (
    "Qingdao plan: 10,000 smart-locker groups (智能快件箱), 1,000,000 compartments, "
    ">= 30 % of deliveries by locker by end 2026 (goal: [lockers].min_share, goal_groups)"
)
COLD_CHAIN_SOURCE = (
    "Dongchangfu plan: 购置冷链物流设施、冷藏车; Qingdao plan: 预冷仓储 near producing areas, "
    "冷柜 at terminal stations, 满足'最初一公里'冷链收投需求 (goal: [cold_chain].goal_served_share)"
)


def _listed(cell: object) -> tuple[str, ...]:
    """Split a ';'-separated cell into trimmed, lower-case names (empty or missing: none)."""
    if cell is None or (isinstance(cell, float) and np.isnan(cell)) or pd.isna(cell):
        return ()
    return tuple(part.strip().lower() for part in str(cell).split(";") if part.strip())


def hub_companies(plan: Plan) -> dict[str, tuple[tuple[str, ...], str]]:
    """
    Express companies willing to co-locate at each open hub, and where that comes from.

    Parameters
    ----------
    plan
        A verified plan.

    Returns
    -------
    dict
        Open hub id -> (companies, origin); origin is ``"hubs.park_companies"`` when the
        hub's column gives them, else ``"[park].companies (EST)"``.
    """
    hubs = plan.inputs.hubs.set_index("hub_id")
    column = hubs["park_companies"] if "park_companies" in hubs.columns else None
    fallback = tuple(c.lower() for c in plan.scenario.park.companies)
    out = {}
    for h in np.flatnonzero(plan.solution.open_hub):
        hid = plan.problem.hub_ids[h]
        given = _listed(column.get(hid)) if column is not None else ()
        out[hid] = (given, "hubs.park_companies") if given else (fallback, "[park].companies (EST)")
    return out


def _park_row(plan: Plan) -> dict[str, object]:
    need = plan.scenario.park.min_companies
    companies = hub_companies(plan)
    known = {hid: c for hid, c in companies.items() if c[0]}
    value = (
        "; ".join(
            f"{hid}: {len(c)} ({', '.join(c)}; from {origin})" for hid, (c, origin) in known.items()
        )
        or "companies unknown (no hubs.park_companies, no [park].companies)"
    )
    met = any(len(c) >= need for c, _ in known.values()) if known else None
    return {"target": N_("express park at the county hub"), "definition": None,
            "source": PARK_SOURCE, "goal": f">= 1 hub with >= {need} companies",
            "value": value, "met": met}  # fmt: skip


def demonstration_stations(plan: Plan) -> pd.DataFrame:
    """
    Every open station against the scenario's demonstration standard.

    A station meets it when it offers every service of ``[demonstration].services`` (its
    site's ``services`` column, ';'-separated; where that is empty, an upgraded 村邮站 offers
    express and post and a new station express, EST) and holds at least
    ``[demonstration].min_capacity_parcels_per_day``.

    Parameters
    ----------
    plan
        A verified plan.

    Returns
    -------
    pandas.DataFrame
        ``site_id``, ``services`` (';'-joined), ``services_from`` (``station_sites.services``
        or ``kind (EST)``), ``capacity_parcels_per_day``, ``meets``.
    """
    rule = plan.scenario.demonstration
    need = {s.lower() for s in rule.services}
    p = plan.problem
    sites = plan.inputs.station_sites.set_index("site_id")
    column = sites["services"] if "services" in sites.columns else None
    rows = []
    for s in np.flatnonzero(plan.solution.open_station):
        sid = p.station_ids[s]
        given = _listed(column.get(sid)) if column is not None else ()
        by_kind = ("express", "post") if sites.loc[sid, "kind"] == "existing" else ("express",)
        offered = given or by_kind
        capacity = float(p.station_capacity[s])
        rows.append({"site_id": sid, "services": ";".join(offered),
                     "services_from": "station_sites.services" if given else "kind (EST)",
                     "capacity_parcels_per_day": capacity,
                     "meets": need <= set(offered) and capacity >= rule.min_capacity_parcels_per_day})  # fmt: skip
    return pd.DataFrame(
        rows,
        columns=["site_id", "services", "services_from", "capacity_parcels_per_day", "meets"],
    )


def _demonstration_row(plan: Plan) -> dict[str, object]:
    rule = plan.scenario.demonstration
    table = demonstration_stations(plan)
    meeting = int(table["meets"].sum())
    standard = (
        f"services {' + '.join(rule.services) or 'any'}, "
        f"capacity >= {rule.min_capacity_parcels_per_day:g} parcels/day"
    )
    return {"target": N_("demonstration stations (示范站)"), "definition": None,
            "counted_as": f"open stations meeting the standard: {standard}",
            "source": DEMONSTRATION_SOURCE, "goal": f">= {rule.goal_stations}",
            "value": f"{meeting} of {len(table)} stations", "met": meeting >= rule.goal_stations}  # fmt: skip


def _co_delivery_row(plan: Plan) -> dict[str, object] | None:
    baseline = plan.separate_brands
    if baseline is None:
        return None
    avoided = baseline.figures()["avoided"]
    vans = f", {avoided['vans']:.0f} vans" if avoided["vans"] is not None else ""
    value = (
        f"{baseline.saving_yuan_per_year:,.0f} yuan/year saved ({baseline.basis}): "
        f"{avoided['centres']:.0f} brand outlets{vans}, {avoided['van_km_per_day']:,.0f} van-km/day "
        f"and {avoided['co2_kg_per_day']:,.0f} kg CO2/day avoided"
    )
    return {"target": N_("co-delivery across brands (快递共配)"), "definition": None,
            "counted_as": f"against each of {len(baseline.networks)} brands on its own",
            "source": CO_DELIVERY_SOURCE, "goal": "> 0 yuan/year saved",
            "value": value, "met": baseline.saving_yuan_per_year > 0}  # fmt: skip


def _cold_chain_row(plan: Plan) -> dict[str, object] | None:
    cold = plan.cold_chain
    if cold is None:
        return None
    goal = plan.scenario.cold_chain.goal_served_share
    served = float(np.sum(cold.parcels[cold.served]))
    value = (
        f"{cold.served_share:.1%} ({served:,.1f} of {float(np.sum(cold.parcels)):,.1f} cold "
        f"parcels/day; {int(cold.cold_station.sum())} cold stations, "
        f"{int(cold.cold_centre.sum())} cold centres, {int(cold.cold_hub.sum())} cold hub; "
        f"{cold.yuan_per_year:,.0f} yuan/year, EST)"
    )
    return {"target": N_("cold chain for agricultural products (冷链寄递)"), "definition": None,
            "counted_as": f"cold parcels of {len(cold.village)} producing villages on a cold path",
            "source": COLD_CHAIN_SOURCE, "goal": f">= {goal:.0%} of cold parcels",
            "value": value, "met": cold.served_share >= goal - 1e-9}  # fmt: skip


def _locker_rows(plan: Plan) -> list[dict[str, object]]:
    locker = plan.lockers
    if locker is None:
        return []
    rule = plan.scenario.lockers
    scope = "county-wide" if rule.share_scope == "county" else "in every township"
    shares = locker.check.scope_shares
    lowest = min(shares.values()) if shares else 0.0
    where = "" if rule.share_scope == "county" else f"; lowest township {lowest:.1%}"
    value = (
        f"{locker.share:.1%} ({locker.locker_parcels:,.1f} of {float(np.sum(locker.delivered)):,.1f} "
        f"parcels/day{where}; {locker.total_groups} groups, "
        f"{locker.total_groups * locker.compartments_per_group:,} compartments, "
        f"{locker.yuan_per_year:,.0f} yuan/year)"
    )
    rows: list[dict[str, object]] = [
        {"target": N_("locker share of deliveries (智能快件箱)"), "definition": None,
         "counted_as": f"inbound parcels of served villages delivered by smart locker, {scope} "
         f"(phase {locker.phase})",
         "source": LOCKER_SOURCE, "goal": f">= {rule.min_share:.0%} {scope}",
         "value": value, "met": lowest >= rule.min_share - 1e-9 if shares else True}
    ]  # fmt: skip
    if rule.goal_groups > 0:
        rows.append({"target": N_("smart-locker groups (智能快件箱)"), "definition": None,
                     "counted_as": "locker groups at stations and villages",
                     "source": LOCKER_SOURCE, "goal": f">= {rule.goal_groups}",
                     "value": f"{locker.total_groups} groups",
                     "met": locker.total_groups >= rule.goal_groups})  # fmt: skip
    return rows


def express_target_rows(plan: Plan) -> list[dict[str, object]]:
    """
    List the express park, demonstration station and (``[brands]``) co-delivery target rows.

    Parameters
    ----------
    plan
        A verified plan.

    Returns
    -------
    list of dict
        ``target``, ``definition``, ``source``, ``goal``, ``value``, ``met`` (and
        ``counted_as`` where a count needs saying), as :func:`ruralnet.targets.policy_targets`.
    """
    rows = [_park_row(plan), _demonstration_row(plan)]
    cold = _cold_chain_row(plan)
    if cold is not None:
        rows.append(cold)
    rows.extend(_locker_rows(plan))
    co_delivery = _co_delivery_row(plan)
    if co_delivery is not None:
        rows.insert(0, co_delivery)
    return rows
