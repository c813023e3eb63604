"""Independent check of a smart-locker sizing (智能快件箱), from the plan's arrays alone.

Shares no code with the sizing (:mod:`ruralnet.lockers`,
:func:`ruralnet.option_solves.solve_locker_sizing`) and calls no solver. From the problem, the verified siting and the written locker decisions
(groups per site, each village's locker parcels at its station and in its own village) it
recomputes the deliveries, the capacities, the share in every scope and the yearly cost, and
names every broken rule:

* groups are whole numbers in ``0..max_groups_per_site``, at allowed sites only (an open
  station; with ``at = "stations_and_villages"`` also a served village without a station of
  its own), one row per site;
* a village's locker parcels are >= 0, only where its sites have groups, and at most its
  delivered parcels; a site's locker parcels are at most groups x compartments x turnover;
* lockers deliver at least ``min_share`` of the delivered parcels county-wide or in every
  township;
* the stated yearly cost equals the recomputed one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ruralnet.problem import Problem, Solution
from ruralnet.verify import Violation

if TYPE_CHECKING:
    from ruralnet.policy_settings import LockerSettings

__all__ = ["LockerCheck", "LockerRules", "verify_lockers"]

TOL = 1e-6  # parcels per day, or relative on money


@dataclass(frozen=True)
class LockerRules:
    """The ``[lockers]`` figures the check needs, and ``[finance].discount_rate``."""

    parcels_per_group: float  # compartments x turnover
    max_groups: int
    min_share: float
    share_scope: str  # "county" or "township"
    at: str  # "stations" or "stations_and_villages"
    purchase_yuan_per_group: float
    yearly_yuan_per_group: float
    village_site_yuan: float  # one-off, per village site with groups
    lifetime_years: int
    discount_rate: float

    @classmethod
    def from_settings(cls, lockers: LockerSettings, discount_rate: float) -> LockerRules:
        """
        Take the figures of a scenario's ``[lockers]`` table.

        Parameters
        ----------
        lockers
            ``scenario.lockers``.
        discount_rate
            ``scenario.finance.discount_rate``.

        Returns
        -------
        LockerRules
            The rules to check a sizing against.
        """
        return cls(
            parcels_per_group=lockers.compartments_per_group
            * lockers.parcels_per_compartment_per_day,
            max_groups=lockers.max_groups_per_site,
            min_share=lockers.min_share,
            share_scope=lockers.share_scope,
            at=lockers.at,
            purchase_yuan_per_group=lockers.purchase_yuan_per_group,
            yearly_yuan_per_group=lockers.yearly_yuan_per_group,
            village_site_yuan=lockers.village_site_yuan,
            lifetime_years=lockers.lifetime_years,
            discount_rate=discount_rate,
        )

    def yearly(self, one_off: float) -> float:
        """Spread a one-off cost into equal yearly payments over the lifetime (discounted)."""
        r, n = self.discount_rate, self.lifetime_years
        return one_off / n if r == 0 else one_off * r / -math.expm1(-n * math.log1p(r))


@dataclass(frozen=True)
class LockerCheck:
    """What the check found, and its own figures."""

    violations: tuple[Violation, ...]
    delivered_parcels: float  # per day, county
    locker_parcels: float  # per day, county
    scope_shares: dict[str, float]  # scope id ("county" or township id) -> locker share
    yuan_per_year: float

    @property
    def ok(self) -> bool:
        """True when the sizing breaks no rule."""
        return not self.violations


def _delivered(problem: Problem, solution: Solution, demand_factor: float) -> np.ndarray:
    """Inbound parcels per day delivered to each village: zero where no station serves it."""
    served = solution.village_station >= 0
    return np.where(served, problem.inbound * demand_factor, 0.0)


def _village_may_host(problem: Problem, solution: Solution, v: int) -> bool:
    """Tell whether a village is served and has no open station standing in it."""
    if solution.village_station[v] < 0:
        return False
    if problem.station_village is None:
        return True
    own = (problem.station_village == v) & solution.open_station
    return not bool(np.any(own))


def _check_sites(
    problem: Problem,
    solution: Solution,
    rules: LockerRules,
    sites: tuple[tuple[str, int, float], ...],
    out: list[Violation],
) -> tuple[np.ndarray, np.ndarray]:
    """Sum groups per station and per village site; add broken site rules to ``out``."""
    at_station = np.zeros(len(problem.station_ids))
    at_village = np.zeros(len(problem.village_ids))
    seen: set[tuple[str, int]] = set()
    for kind, index, groups in sites:
        ids = problem.station_ids if kind == "station" else problem.village_ids
        name = ids[index] if kind in {"station", "village"} and 0 <= index < len(ids) else "?"
        where = f"{kind} {name}"
        if name == "?":
            out.append(Violation("locker_site", f"{kind}:{index}", "not a station or village"))
            continue
        if (kind, index) in seen:
            out.append(Violation("locker_site", where, "listed twice"))
        seen.add((kind, index))
        if groups != int(groups) or not 0 <= groups <= rules.max_groups:
            detail = f"{groups} groups; must be a whole number in 0..{rules.max_groups}"
            out.append(Violation("locker_groups", where, detail))
        if kind == "station" and not solution.open_station[index]:
            out.append(Violation("locker_site", where, "the station is not open"))
        if kind == "village":
            if rules.at != "stations_and_villages":
                out.append(Violation("locker_site", where, 'villages need at = "stations_and_villages"'))  # fmt: skip
            elif not _village_may_host(problem, solution, index):
                out.append(Violation("locker_site", where, "not served, or has its own station"))  # fmt: skip
        (at_station if kind == "station" else at_village)[index] += groups
    return at_station, at_village


def _scope_figures(
    problem: Problem, rules: LockerRules, delivered: np.ndarray, locker: np.ndarray
) -> dict[str, tuple[float, float]]:
    if rules.share_scope == "county":
        return {"county": (float(np.sum(delivered)), float(np.sum(locker)))}
    out = {}
    for t, tid in enumerate(problem.township_ids):
        inside = problem.village_township == t
        out[tid] = (float(np.sum(delivered[inside])), float(np.sum(locker[inside])))
    return out


def verify_lockers(
    problem: Problem,
    solution: Solution,
    *,
    demand_factor: float,
    rules: LockerRules,
    sites: tuple[tuple[str, int, float], ...],
    via_station: np.ndarray,
    via_own: np.ndarray,
    stated_yuan_per_year: float,
) -> LockerCheck:
    """
    Check a locker sizing against every ``[lockers]`` rule and recompute its cost.

    Parameters
    ----------
    problem
        The one-phase problem of the sized phase (its demand unscaled).
    solution
        The verified siting of that phase.
    demand_factor
        Factor on ``problem.inbound`` for the sized phase.
    rules
        The figures of ``[lockers]``.
    sites
        ``(kind, index, groups)`` per site: kind ``"station"`` (index into ``station_ids``)
        or ``"village"`` (index into ``village_ids``).
    via_station, via_own
        Per village, its locker parcels per day at its station and in its own village.
    stated_yuan_per_year
        The yearly cost the plan states.

    Returns
    -------
    LockerCheck
        Violations (empty when the sizing is sound) and the recomputed figures.
    """
    out: list[Violation] = []
    delivered = _delivered(problem, solution, demand_factor)
    at_station, at_village = _check_sites(problem, solution, rules, sites, out)
    for v, vid in enumerate(problem.village_ids):
        a, b = float(via_station[v]), float(via_own[v])
        if a < -TOL or b < -TOL:
            out.append(Violation("locker_parcels", vid, f"negative ({a:g}, {b:g})"))
        if a + b > delivered[v] + TOL:
            detail = f"{a + b:.3f} locker parcels/day > {delivered[v]:.3f} delivered"
            out.append(Violation("locker_deliveries", vid, detail))
        if a > TOL and (solution.village_station[v] < 0 or at_station[solution.village_station[v]] == 0):  # fmt: skip
            out.append(Violation("locker_site", vid, "parcels at a station without lockers"))
        if b > TOL and at_village[v] == 0:
            out.append(Violation("locker_site", vid, "parcels in a village without lockers"))
    station_load = np.zeros(len(problem.station_ids))
    served = solution.village_station >= 0
    np.add.at(station_load, solution.village_station[served], via_station[served])
    for loads, groups, ids, kind in (
        (station_load, at_station, problem.station_ids, "station"),
        (via_own, at_village, problem.village_ids, "village"),
    ):
        cap = groups * rules.parcels_per_group
        for i in np.flatnonzero(loads > cap + TOL):
            detail = (
                f"{loads[i]:.3f} parcels/day > {groups[i]:g} groups x {rules.parcels_per_group:g}"
            )
            out.append(Violation("locker_capacity", f"{kind} {ids[i]}", detail))
    locker = via_station + via_own
    shares = {}
    for scope, (total, inside) in _scope_figures(problem, rules, delivered, locker).items():
        if total <= 0:
            continue
        shares[scope] = inside / total
        if inside < rules.min_share * total - TOL:
            detail = f"lockers deliver {inside / total:.2%} < {rules.min_share:.2%}"
            out.append(Violation("locker_share", scope, detail))
    per_group = rules.yearly(rules.purchase_yuan_per_group) + rules.yearly_yuan_per_group
    yuan = float(
        per_group * (np.sum(at_station) + np.sum(at_village))
        + rules.yearly(rules.village_site_yuan) * np.sum(at_village > 0)
    )
    if abs(yuan - stated_yuan_per_year) > TOL * max(1.0, yuan) + 1e-3:
        detail = f"stated {stated_yuan_per_year:.2f} yuan/year, recomputed {yuan:.2f}"
        out.append(Violation("locker_cost", "all", detail))
    return LockerCheck(
        violations=tuple(out),
        delivered_parcels=float(np.sum(delivered)),
        locker_parcels=float(np.sum(locker)),
        scope_shares=shares,
        yuan_per_year=yuan,
    )
