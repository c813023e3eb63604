"""Smart parcel lockers (智能快件箱): locker groups sized for a verified siting.

Qingdao's plan asks for 10,000 locker groups, 1,000,000 compartments and lockers delivering
at least 30 % of parcels by end 2026 (SEEDS.md). With ``[lockers].enabled``,
:func:`size_lockers` sizes them after the siting model, for the stations it opened
(sequential: the siting does not know about lockers):

* Sites: every open station; with ``at = "stations_and_villages"`` also every served village
  without a station of its own (its groups take that village's parcels only).
* Deliveries: the inbound parcels per day of the served villages, at the sized phase's demand
  (the last phase of a phased plan), as station capacity is checked per phase.
* A group holds ``compartments_per_group x parcels_per_compartment_per_day`` parcels a day;
  a site holds at most ``max_groups_per_site`` groups.
* Lockers must deliver at least ``min_share`` of the deliveries, county-wide or in every
  township (``share_scope``); the yearly cost (purchase annualised like the stations' one-off
  costs, upkeep, a one-off pad per village site) is minimised by a small MIP
  (:func:`ruralnet.option_solves.solve_locker_sizing`), then the groups are filled as far as
  they and the deliveries allow.
* :mod:`ruralnet.lockers_verify` re-checks the result with its own code; a violation raises
  :class:`~ruralnet.errors.VerificationError`.

The locker fee couriers pay (C7) is a transfer inside the shared network: reported, not a cost.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ruralnet.errors import DataError, InfeasibleError, VerificationError
from ruralnet.lockers_verify import LockerCheck, LockerRules, verify_lockers
from ruralnet.option_solves import solve_locker_sizing
from ruralnet.problem import Problem, Solution
from ruralnet.scenario import Scenario, annuity_factor

if TYPE_CHECKING:
    from ruralnet.plan import Plan

__all__ = [
    "LOCKERS_FILE",
    "LOCKER_VILLAGES_FILE",
    "LockerPlan",
    "check_written_lockers",
    "locker_villages_table",
    "lockers_table",
    "size_lockers",
]

LOCKERS_FILE = "lockers.csv"
LOCKER_VILLAGES_FILE = "locker_villages.csv"
LOCKERS_SOURCE = (
    "Qingdao plan: 10,000 locker groups, 1,000,000 compartments, >= 30 % of deliveries by "
    "smart locker by end 2026"
)
#: [lockers] keys whose defaults are engineering estimates (C8c and C7 are sourced).
EST_KEYS = (
    "compartments_per_group",
    "parcels_per_compartment_per_day",
    "lifetime_years",
    "yearly_yuan_per_group",
    "village_site_yuan",
    "max_groups_per_site",
)


@dataclass(frozen=True)
class LockerPlan:
    """Locker groups per site and each village's locker parcels, sized and verified."""

    phase: str  # the phase sized (the plan's last)
    demand_factor: float
    site_kind: tuple[str, ...]  # "station" or "village"
    site_index: np.ndarray  # into station_ids or village_ids
    site_ids: tuple[str, ...]  # station site id, or village id
    groups: np.ndarray  # per site
    delivered: np.ndarray  # per village, inbound parcels per day (0 where not served)
    via_station: np.ndarray  # per village
    via_own: np.ndarray  # per village
    yuan_per_year: float
    purchase_yuan: float  # one-off, all groups and village pads
    parcels_per_group: float
    compartments_per_group: int
    fee_yuan_per_parcel: float
    days_per_year: float
    min_share: float
    share_scope: str
    sizing: dict[str, Any]  # method, status, objective, bound, gap, seconds
    check: LockerCheck

    @property
    def total_groups(self) -> int:
        """Locker groups in the plan."""
        return int(np.sum(self.groups))

    @property
    def locker_parcels(self) -> float:
        """Parcels per day the lockers deliver."""
        return float(np.sum(self.via_station + self.via_own))

    @property
    def share(self) -> float:
        """Share of the delivered parcels that lockers deliver, county-wide."""
        total = float(np.sum(self.delivered))
        return self.locker_parcels / total if total > 0 else 0.0

    def figures(self) -> dict[str, Any]:
        """
        Sum up the lockers, as written to ``summary.json`` (``lockers``).

        Returns
        -------
        dict
            Groups, compartments, sites, capacity, deliveries, locker parcels and share
            (county, and per township with ``share_scope = "township"``), yearly and one-off
            cost, the fee (a transfer), the sizing's status and gap, the EST keys.
        """
        kinds = np.array(self.site_kind)
        used = self.groups > 0
        fee = self.fee_yuan_per_parcel * self.locker_parcels * self.days_per_year
        out: dict[str, Any] = {
            "sized_for_phase": self.phase,
            "demand_factor": self.demand_factor,
            "locker_groups": self.total_groups,
            "compartments": self.total_groups * self.compartments_per_group,
            "sites": int(np.sum(used)),
            "station_sites": int(np.sum(used & (kinds == "station"))),
            "village_sites": int(np.sum(used & (kinds == "village"))),
            "capacity_parcels_per_day": round(self.total_groups * self.parcels_per_group, 2),
            "delivered_parcels_per_day": round(float(np.sum(self.delivered)), 2),
            "locker_parcels_per_day": round(self.locker_parcels, 2),
            "locker_share": round(self.share, 6),
            "min_share": self.min_share,
            "share_scope": self.share_scope,
            "yuan_per_year": round(self.yuan_per_year, 2),
            "purchase_yuan_one_off": round(self.purchase_yuan, 2),
            "fee_transfer_yuan_per_year": round(fee, 2),
            "sizing": self.sizing,
            "verified": self.check.ok,
            "est_keys": list(EST_KEYS),
        }
        if self.share_scope == "township":
            out["township_shares"] = {k: round(v, 6) for k, v in self.check.scope_shares.items()}
        return out


def _rules(scenario: Scenario) -> LockerRules:
    return LockerRules.from_settings(scenario.lockers, scenario.finance.discount_rate)


def _site_township(problem: Problem, solution: Solution, kind: str, index: int) -> int:
    if kind == "village":
        return int(problem.village_township[index])
    if problem.station_village is not None and problem.station_village[index] >= 0:
        return int(problem.village_township[problem.station_village[index]])
    return int(problem.centre_township[solution.station_centre[index]])


def _sites(problem: Problem, solution: Solution, at: str) -> list[tuple[str, int]]:
    sites = [("station", int(s)) for s in np.flatnonzero(solution.open_station)]
    if at == "stations_and_villages":
        own = np.zeros(len(problem.village_ids), dtype=bool)
        if problem.station_village is not None:
            inside = problem.station_village[solution.open_station]
            own[inside[inside >= 0]] = True
        served = solution.village_station >= 0
        sites += [("village", int(v)) for v in np.flatnonzero(served & ~own)]
    return sites


def _infeasible_message(scenario: Scenario, bound: dict[str, tuple[float, float]]) -> str:
    rule = scenario.lockers
    short = [(k, cap / total) for k, (total, cap) in bound.items() if cap < rule.min_share * total]
    where = scenario.source.name if scenario.source else "scenario"
    reach = "; ".join(f"{k} at most {share:.1%}" for k, share in short[:3]) or "no scope"
    return (
        f"{where} [lockers] min_share = {rule.min_share:g} cannot be met ({reach} with "
        f"max_groups_per_site = {rule.max_groups_per_site}); raise max_groups_per_site, set "
        'at = "stations_and_villages" or lower min_share'
    )


def size_lockers(plan: Plan) -> LockerPlan:
    """
    Size the smart-locker groups of a verified plan and verify them independently.

    Parameters
    ----------
    plan
        A verified plan (its last phase is sized).

    Returns
    -------
    LockerPlan
        Groups per site and the parcels they deliver.

    Raises
    ------
    InfeasibleError
        ``min_share`` cannot be met within ``max_groups_per_site`` (the message says which
        scope reaches how much).
    VerificationError
        The sizing fails the independent locker check.
    """
    scenario, p, s = plan.scenario, plan.problem, plan.solution
    rule = scenario.lockers
    factor = float(p.phases.demand_factor[-1])
    delivered = np.where(s.village_station >= 0, p.inbound * factor, 0.0)
    sites = _sites(p, s, rule.at)
    position = {site: j for j, site in enumerate(sites)}
    station_site = np.array(
        [position.get(("station", int(st)), -1) if st >= 0 else -1 for st in s.village_station],
        dtype=np.int64,
    )
    own_site = np.array(
        [position.get(("village", v), -1) for v in range(len(p.village_ids))], dtype=np.int64
    )
    county = rule.share_scope == "county"
    scope = np.where(s.village_station >= 0, 0 if county else p.village_township, -1)
    scope_ids = ("county",) if county else p.township_ids
    totals = np.array([float(np.sum(delivered[scope == k])) for k in range(len(scope_ids))])
    per_group = (
        rule.purchase_yuan_per_group * annuity_factor(scenario.finance.discount_rate, rule.lifetime_years)
        + rule.yearly_yuan_per_group
    )  # fmt: skip
    pad = rule.village_site_yuan * annuity_factor(
        scenario.finance.discount_rate, rule.lifetime_years
    )
    kinds = [kind for kind, _ in sites]
    c = rule.compartments_per_group * rule.parcels_per_compartment_per_day
    try:
        sized = solve_locker_sizing(
            village_parcels=delivered,
            station_site=station_site,
            own_site=own_site,
            village_scope=scope,
            scope_need=rule.min_share * totals,
            site_yuan_per_group=np.full(len(sites), per_group),
            site_fixed_yuan=np.array([pad if k == "village" else 0.0 for k in kinds]),
            parcels_per_group=c,
            max_groups=rule.max_groups_per_site,
            time_limit_s=scenario.solver.time_limit_s,
        )
    except InfeasibleError:
        bound = _scope_bounds(
            p, s, sites, delivered, scope, scope_ids, c * rule.max_groups_per_site
        )
        raise InfeasibleError(_infeasible_message(scenario, bound)) from None
    gap = (
        max(0.0, (sized.objective - sized.best_bound) / sized.objective)
        if sized.objective > 0 else 0.0
    )  # fmt: skip
    purchase = rule.purchase_yuan_per_group * float(np.sum(sized.groups)) + rule.village_site_yuan * float(
        np.sum((sized.groups > 0) & (np.array(kinds) == "village"))
    )  # fmt: skip
    site_index = np.array([i for _, i in sites], dtype=np.int64)
    locker = LockerPlan(
        phase=p.phases.names[-1],
        demand_factor=factor,
        site_kind=tuple(kinds),
        site_index=site_index,
        site_ids=tuple(p.station_ids[i] if k == "station" else p.village_ids[i] for k, i in sites),
        groups=sized.groups,
        delivered=delivered,
        via_station=sized.via_station,
        via_own=sized.via_own,
        yuan_per_year=float(sized.objective),
        purchase_yuan=purchase,
        parcels_per_group=c,
        compartments_per_group=rule.compartments_per_group,
        fee_yuan_per_parcel=rule.fee_yuan_per_parcel,
        days_per_year=p.days_per_year,
        min_share=rule.min_share,
        share_scope=rule.share_scope,
        sizing={
            "method": "MIP after siting (HiGHS): least cost, then most locker parcels at that cost",
            "status": sized.status.value,
            "objective": round(sized.objective, 2),
            "best_bound": round(sized.best_bound, 2),
            "gap": round(gap, 8),
            "seconds": round(sized.seconds, 2),
        },
        check=LockerCheck((), 0.0, 0.0, {}, 0.0),
    )
    check = check_lockers(plan.problem, plan.solution, scenario, locker)
    if not check.ok:
        details = "; ".join(str(v) for v in check.violations[:5])
        msg = f"the locker sizing failed verification ({details})"
        raise VerificationError(msg)
    return replace(locker, check=check)


def _scope_bounds(
    p: Problem,
    s: Solution,
    sites: list[tuple[str, int]],
    delivered: np.ndarray,
    scope: np.ndarray,
    scope_ids: tuple[str, ...],
    site_cap: float,
) -> dict[str, tuple[float, float]]:
    """Per scope: deliveries and the most lockers could take if every site had all its groups."""
    village_sites = {i for k, i in sites if k == "village"}
    out = {}
    for k, sid in enumerate(scope_ids):
        inside = scope == k
        most = 0.0
        for st in np.flatnonzero(s.open_station):
            mine = inside & (s.village_station == st)
            own = [v for v in np.flatnonzero(mine) if v in village_sites]
            at_villages = sum(min(float(delivered[v]), site_cap) for v in own)
            most += min(float(np.sum(delivered[mine])), site_cap + at_villages)
        out[sid] = (float(np.sum(delivered[inside])), most)
    return out


def check_lockers(
    problem: Problem, solution: Solution, scenario: Scenario, locker: LockerPlan
) -> LockerCheck:
    """
    Re-check a locker sizing with :func:`ruralnet.lockers_verify.verify_lockers`.

    Parameters
    ----------
    problem, solution
        The plan's problem (all phases) and its verified (last-phase) siting.
    scenario
        The scenario (``[lockers]``, ``[finance]``).
    locker
        The sizing.

    Returns
    -------
    LockerCheck
        The independent check's findings.
    """
    sites = tuple(
        (k, int(i), float(g))
        for k, i, g in zip(locker.site_kind, locker.site_index, locker.groups, strict=True)
    )
    return verify_lockers(
        problem,
        solution,
        demand_factor=locker.demand_factor,
        rules=_rules(scenario),
        sites=sites,
        via_station=locker.via_station,
        via_own=locker.via_own,
        stated_yuan_per_year=locker.yuan_per_year,
    )


def lockers_table(plan: Plan) -> gpd.GeoDataFrame:
    """
    Return every site with locker groups: where, how many, capacity, deliveries, locker parcels.

    Parameters
    ----------
    plan
        A plan with lockers (``plan.lockers``).

    Returns
    -------
    geopandas.GeoDataFrame
        ``site_id``, ``kind`` (station / village), ``station_id`` (the station serving a village
        site), ``township_id``, ``groups``, ``compartments``, ``capacity_parcels_per_day``,
        ``delivered_parcels_per_day``, ``locker_parcels_per_day``, ``yuan_per_year``; the
        dataset's metric CRS.
    """
    locker = plan.lockers
    assert locker is not None
    p, s = plan.problem, plan.solution
    rules = _rules(plan.scenario)
    per_group = rules.yearly(rules.purchase_yuan_per_group) + rules.yearly_yuan_per_group
    stations = plan.inputs.station_sites.set_index("site_id").geometry
    villages = plan.inputs.villages.set_index("village_id").geometry
    rows = []
    for kind, i, sid, g in zip(locker.site_kind, locker.site_index, locker.site_ids, locker.groups, strict=True):  # fmt: skip
        if g <= 0:
            continue
        if kind == "station":
            mine = s.village_station == i
            delivered = float(np.sum(locker.delivered[mine]))
            parcels = float(np.sum(locker.via_station[mine]))
            station, geom = sid, stations.loc[sid]
        else:
            delivered, parcels = float(locker.delivered[i]), float(locker.via_own[i])
            station, geom = p.station_ids[s.village_station[i]], villages.loc[sid]
        pad = rules.yearly(rules.village_site_yuan) if kind == "village" else 0.0
        rows.append({"site_id": sid, "kind": kind, "station_id": station,
                     "township_id": p.township_ids[_site_township(p, s, kind, int(i))],
                     "groups": int(g), "compartments": int(g) * locker.compartments_per_group,
                     "capacity_parcels_per_day": g * locker.parcels_per_group,
                     "delivered_parcels_per_day": delivered, "locker_parcels_per_day": parcels,
                     "yuan_per_year": g * per_group + pad, "geometry": geom})  # fmt: skip
    columns = ["site_id", "kind", "station_id", "township_id", "groups", "compartments",
               "capacity_parcels_per_day", "delivered_parcels_per_day", "locker_parcels_per_day",
               "yuan_per_year", "geometry"]  # fmt: skip
    return gpd.GeoDataFrame(
        pd.DataFrame(rows, columns=columns), geometry="geometry", crs=plan.inputs.villages.crs
    )


def locker_villages_table(plan: Plan) -> pd.DataFrame:
    """
    Return each served village's delivered parcels and where lockers take them.

    Parameters
    ----------
    plan
        A plan with lockers.

    Returns
    -------
    pandas.DataFrame
        ``village_id``, ``township_id``, ``station_id``, ``delivered_parcels_per_day``,
        ``at_station_parcels_per_day``, ``in_village_parcels_per_day``.
    """
    locker = plan.lockers
    assert locker is not None
    p, s = plan.problem, plan.solution
    served = np.flatnonzero(s.village_station >= 0)
    return pd.DataFrame(
        {
            "village_id": [p.village_ids[v] for v in served],
            "township_id": [p.township_ids[p.village_township[v]] for v in served],
            "station_id": [p.station_ids[s.village_station[v]] for v in served],
            "delivered_parcels_per_day": locker.delivered[served],
            "at_station_parcels_per_day": locker.via_station[served],
            "in_village_parcels_per_day": locker.via_own[served],
        }
    )


def _read(folder: Path, name: str) -> pd.DataFrame:
    path = folder / name
    try:
        text = path.read_text(encoding="utf-8-sig")
        return pd.read_csv(
            io.StringIO(text), dtype={"site_id": str, "village_id": str, "station_id": str}
        )
    except (OSError, ValueError) as exc:
        raise DataError(path, f"cannot be read ({exc})", "write the folder again with 'ruralnet run'") from None  # fmt: skip


def check_written_lockers(
    scenario: Scenario, problem: Problem, solution: Solution, folder: str | Path
) -> tuple[bool, list[str]]:
    """
    Re-check the lockers a plan folder states (``lockers.csv``, ``locker_villages.csv``).

    Parameters
    ----------
    scenario
        The scenario the folder was written from.
    problem, solution
        The problem and the siting read back from the folder (last phase).
    folder
        A folder written by ``ruralnet run``.

    Returns
    -------
    tuple
        Whether lockers were checked (false when ``[lockers]`` is off), and one line per
        broken rule.
    """
    folder = Path(folder)
    if not scenario.lockers.enabled:
        return False, []
    if not (folder / LOCKERS_FILE).is_file():
        return True, [f"{LOCKERS_FILE}: missing, though [lockers].enabled is true"]
    sites_frame = _read(folder, LOCKERS_FILE)
    villages_frame = _read(folder, LOCKER_VILLAGES_FILE)
    station_index = {sid: i for i, sid in enumerate(problem.station_ids)}
    village_index = {vid: i for i, vid in enumerate(problem.village_ids)}
    problems: list[str] = []
    sites = []
    for row in sites_frame.itertuples():
        index = (station_index if row.kind == "station" else village_index).get(row.site_id, -1)
        sites.append((str(row.kind), index, float(row.groups)))
    via_station = np.zeros(len(problem.village_ids))
    via_own = np.zeros(len(problem.village_ids))
    for row in villages_frame.itertuples():
        v = village_index.get(row.village_id)
        if v is None:
            problems.append(
                f"{LOCKER_VILLAGES_FILE}: village {row.village_id} is not in the dataset"
            )
            continue
        via_station[v] = row.at_station_parcels_per_day
        via_own[v] = row.in_village_parcels_per_day
    factor = float(problem.phases.demand_factor[-1]) if len(problem.phases) else 1.0
    stated = float(sites_frame["yuan_per_year"].sum()) if len(sites_frame) else 0.0
    check = verify_lockers(
        problem, solution, demand_factor=factor, rules=_rules(scenario),
        sites=tuple(sites), via_station=via_station, via_own=via_own,
        stated_yuan_per_year=stated,
    )  # fmt: skip
    problems += [str(v) for v in check.violations]
    return True, problems
