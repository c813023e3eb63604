"""Independent check of a plan: every constraint and the cost, from Problem + Solution alone.

This module shares no code with the model builder and never calls a solver: it reads the
plan as a planner would and recomputes everything from the problem's arrays.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ruralnet.problem import LinkOptions, Problem, Solution

__all__ = ["VerificationReport", "Violation", "bus_leg_loads", "verify"]

TOL = 1e-6  # parcels per day, or relative on money


@dataclass(frozen=True)
class Violation:
    """One broken rule: which constraint, which entity, and the numbers."""

    constraint: str
    entity_id: str
    detail: str

    def __str__(self) -> str:
        return f"{self.constraint}[{self.entity_id}]: {self.detail}"


@dataclass(frozen=True)
class VerificationReport:
    """The verifier's findings and its own cost breakdown (yuan per year)."""

    violations: tuple[Violation, ...]
    cost_parts: dict[str, float] = field(default_factory=dict)
    coverage_share: float = 0.0
    phases: tuple[VerificationReport, ...] = ()  # per phase, for a phased plan
    # per village: an open station stands in it (一村一站, the seed plan's coverage count)
    own_station: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    @property
    def own_station_share(self) -> float:
        """Share of villages with an open station of their own (policy coverage)."""
        return float(np.mean(self.own_station)) if len(self.own_station) else 0.0

    @property
    def ok(self) -> bool:
        """True when the plan breaks no rule."""
        return not self.violations

    @property
    def total_yuan(self) -> float:
        """Total yearly cost as recomputed by the verifier."""
        return float(sum(self.cost_parts.values()))


def _check_access(p: Problem, v: int, station: int, allowed: dict, out: list[Violation]) -> None:
    """Check the coverage rule for one served village: its own station, or one near enough."""
    vid, sid = p.village_ids[v], p.station_ids[station]
    needs_own = p.needs_own_station is not None and bool(p.needs_own_station[v])
    if needs_own:
        home = -1 if p.station_village is None else int(p.station_village[station])
        if home != v:
            where = f"village {p.village_ids[home]}" if home >= 0 else "no village"
            out.append(
                Violation(
                    "own_village",
                    vid,
                    f"served by station {sid}, which stands in {where}; the village needs a "
                    "station of its own (一村一站)",
                )
            )
            return
    km = allowed.get((v, station))
    if km is None:
        reason = "not one of its own sites" if needs_own else "beyond the service distance"
        out.append(Violation("distance", vid, f"station {sid} is {reason}"))
    elif not needs_own and km > p.max_access_km + TOL:
        out.append(
            Violation(
                "distance",
                vid,
                f"station {sid} is {km:.3f} road km away, beyond {p.max_access_km:.3f} km",
            )
        )


def _check_villages(p: Problem, s: Solution, out: list[Violation]) -> None:
    allowed = {
        (int(v), int(st)): float(km)
        for v, st, km in zip(p.access.village, p.access.station, p.access.km, strict=True)
    }
    for v, station in enumerate(s.village_station):
        if station < 0:
            continue
        if not s.open_station[station]:
            out.append(
                Violation(
                    "serve", p.village_ids[v], f"served by closed station {p.station_ids[station]}"
                )
            )
        _check_access(p, v, int(station), allowed, out)
    covered = int(np.sum(s.village_station >= 0))
    if covered < p.min_covered:
        out.append(
            Violation(
                "coverage", "all", f"{covered} villages served, at least {p.min_covered} required"
            )
        )


def _own_station(p: Problem, s: Solution) -> np.ndarray:
    """Villages with an open station standing in them (the seed plan's coverage count)."""
    has = np.zeros(len(p.village_ids), dtype=bool)
    if p.station_village is not None:
        home = p.station_village[np.flatnonzero(s.open_station)]
        has[home[home >= 0]] = True
    return has


def _loads(p: Problem, s: Solution) -> tuple[np.ndarray, np.ndarray]:
    served = s.village_station >= 0
    load_in = np.zeros(len(p.station_ids))
    load_out = np.zeros(len(p.station_ids))
    np.add.at(load_in, s.village_station[served], p.inbound[served])
    np.add.at(load_out, s.village_station[served], p.outbound[served])
    return load_in, load_out


def _check_tier(
    label: str,
    names: tuple[tuple[str, ...], tuple[str, ...]],
    tree: tuple[np.ndarray, np.ndarray, np.ndarray],
    need: tuple[np.ndarray, np.ndarray],
    flows: tuple[LinkOptions, np.ndarray, np.ndarray],
    *,
    out: list[Violation],
) -> None:
    """Every open facility has one open parent and receives exactly its load from it.

    ``names`` are the tier's ids and its parents' ids; ``tree`` is (open, parent index, parent
    open); ``need`` the parcels in and out each facility must receive; ``flows`` the link
    options with their flows in and out.
    """
    ids, up_ids = names
    is_open, parent, parent_open = tree
    options, f_in, f_out = flows
    got_in = np.zeros(len(ids))
    got_out = np.zeros(len(ids))
    np.add.at(got_in, options.downstream, f_in)
    np.add.at(got_out, options.downstream, f_out)
    for i, ident in enumerate(ids):
        if is_open[i] and (parent[i] < 0 or not parent_open[parent[i]]):
            out.append(
                Violation(
                    f"{label}_parent", ident, "open but not linked to an open upstream facility"
                )
            )
        if not is_open[i] and (need[0][i] + need[1][i] > TOL):
            out.append(Violation(f"{label}_open", ident, "closed but has parcels"))
        for direction, got, want in (
            ("in", got_in[i], need[0][i]),
            ("out", got_out[i], need[1][i]),
        ):
            if abs(got - want) > TOL * max(1.0, want):
                out.append(
                    Violation(
                        f"{label}_balance_{direction}",
                        ident,
                        f"receives {got:.3f} parcels/day, needs {want:.3f}",
                    )
                )
    for o in np.flatnonzero(f_in + f_out > TOL):
        d, u = int(options.downstream[o]), int(options.upstream[o])
        if parent[d] != u:
            out.append(
                Violation(
                    f"{label}_single",
                    ids[d],
                    f"parcels arrive from {up_ids[u]}, not its assigned parent",
                )
            )
    if np.any(f_in < -TOL) or np.any(f_out < -TOL):
        out.append(Violation(f"{label}_flow", "all", "negative flow"))


def _check_capacity(
    label: str, ids: tuple[str, ...], load: np.ndarray, capacity: np.ndarray, out: list[Violation]
) -> None:
    for i in np.flatnonzero(load > capacity * (1 + TOL) + TOL):
        out.append(
            Violation(
                f"{label}_capacity",
                ids[i],
                f"{load[i]:.1f} parcels/day > capacity {capacity[i]:.1f}",
            )
        )


def bus_leg_loads(p: Problem, s: Solution) -> dict[tuple[int, int, bool], float]:
    """
    Parcels per day riding each bus leg, per direction.

    Inbound parcels ride an option's own direction, outbound ones the opposite direction.

    Parameters
    ----------
    p, s
        The problem and a solution of it.

    Returns
    -------
    dict
        ``(line, leg, forward) -> parcels per day`` for every leg some option rides.
    """
    used: dict[tuple[int, int, bool], float] = {}
    for options, f_in, f_out in (
        (p.feeder, s.feeder_in, s.feeder_out),
        (p.trunk, s.trunk_in, s.trunk_out),
    ):
        for o in np.flatnonzero(options.line >= 0):
            line, fwd = int(options.line[o]), bool(options.forward[o])
            for leg in range(int(options.leg_first[o]), int(options.leg_last[o]) + 1):
                used[(line, leg, fwd)] = used.get((line, leg, fwd), 0.0) + f_in[o]
                used[(line, leg, not fwd)] = used.get((line, leg, not fwd), 0.0) + f_out[o]
    return used


def _check_bus(p: Problem, s: Solution, out: list[Violation]) -> None:
    used = bus_leg_loads(p, s)
    for (line, leg, fwd), load in sorted(used.items()):
        cap = p.bus.leg_capacity[line]
        if load > cap * (1 + TOL) + TOL:
            direction = "forward" if fwd else "backward"
            out.append(
                Violation(
                    "bus_hold",
                    p.bus.ids[line],
                    f"leg {leg} {direction}: {load:.1f} parcels/day > {cap:.1f}",
                )
            )


def _costs(p: Problem, s: Solution) -> dict[str, float]:
    days = p.days_per_year
    served = np.flatnonzero(s.village_station >= 0)
    arc_cost = {
        (int(v), int(st)): c
        for v, st, c in zip(
            p.access.village, p.access.station, p.access.yuan_per_parcel, strict=True
        )
    }
    access = sum(
        arc_cost.get((int(v), int(s.village_station[v])), np.nan) * p.parcels[v] for v in served
    )
    feeder_flow = s.feeder_in + s.feeder_out
    trunk_flow = s.trunk_in + s.trunk_out
    is_bus_f = p.feeder.line >= 0
    is_bus_t = p.trunk.line >= 0
    return {
        "stations": float(np.sum(p.station_yearly_yuan[s.open_station])),
        "centres": float(np.sum(p.centre_yearly_yuan[s.open_centre])),
        "hubs": float(np.sum(p.hub_yearly_yuan[s.open_hub])),
        "access": float(days * access),
        "station_handling": float(days * p.station_handling_yuan * np.sum(p.parcels[served])),
        "centre_handling": float(days * p.centre_handling_yuan * np.sum(feeder_flow)),
        "van": float(
            days
            * (
                np.sum((feeder_flow * p.feeder.yuan_per_parcel)[~is_bus_f])
                + np.sum((trunk_flow * p.trunk.yuan_per_parcel)[~is_bus_t])
            )
        ),
        "bus": float(
            days
            * (
                np.sum((feeder_flow * p.feeder.yuan_per_parcel)[is_bus_f])
                + np.sum((trunk_flow * p.trunk.yuan_per_parcel)[is_bus_t])
            )
        ),
    }


def _verify_phases(p: Problem, s: Solution, check_objective: bool) -> VerificationReport:
    """Each phase on its own, then what links them: nothing closes, budgets hold, costs add up."""
    names = p.phases.names
    reports = [
        verify(p.for_phase(k), sol, check_objective=check_objective)
        for k, sol in enumerate(s.phases)
    ]
    out = [
        Violation(v.constraint, f"{v.entity_id}@{names[k]}", v.detail)
        for k, r in enumerate(reports)
        for v in r.violations
    ]
    families = (
        ("open_station", p.station_ids),
        ("open_centre", p.centre_ids),
        ("open_hub", p.hub_ids),
    )
    for k in range(1, len(s.phases)):
        before, now = s.phases[k - 1], s.phases[k]
        for family, ids in families:
            for i in np.flatnonzero(getattr(before, family) & ~getattr(now, family)):
                out.append(
                    Violation(
                        "stay_open",
                        f"{ids[i]}@{names[k]}",
                        f"open in {names[k - 1]} but closed in {names[k]}",
                    )
                )
        for v in np.flatnonzero((before.village_station >= 0) & (now.village_station < 0)):
            out.append(
                Violation(
                    "stay_covered",
                    f"{p.village_ids[v]}@{names[k]}",
                    f"served in {names[k - 1]} but not in {names[k]}",
                )
            )
    one_off = (p.station_one_off_yuan, p.centre_one_off_yuan, p.hub_one_off_yuan)
    for k, budget in enumerate(p.phases.budget_yuan):
        if not np.isfinite(budget) or any(c is None for c in one_off):
            continue
        spent = 0.0
        for (family, _ids), cost in zip(families, one_off, strict=True):
            before = (
                getattr(s.phases[k - 1], family)
                if k
                else np.zeros_like(getattr(s.phases[k], family))
            )
            opened = getattr(s.phases[k], family) & ~before
            spent += float(np.sum(cost[opened]))
        if spent > budget * (1 + TOL) + TOL:
            out.append(
                Violation(
                    "budget", names[k], f"one-off spending {spent:,.0f} yuan > budget {budget:,.0f}"
                )
            )
    years = p.phases.years
    parts = {
        key: float(sum(years[k] * r.cost_parts[key] for k, r in enumerate(reports)))
        for key in reports[0].cost_parts
    }
    total = sum(parts.values())
    if check_objective and abs(total - s.objective) > 1e-6 * max(1.0, abs(total)) + 1e-3:
        out.append(
            Violation(
                "objective", "all", f"solver says {s.objective:.2f} yuan, recomputed {total:.2f}"
            )
        )
    return VerificationReport(
        violations=tuple(out),
        cost_parts=parts,
        coverage_share=reports[-1].coverage_share,
        phases=tuple(reports),
        own_station=reports[-1].own_station,
    )


def verify(
    problem: Problem, solution: Solution, *, check_objective: bool = True
) -> VerificationReport:
    """
    Check a plan against every rule of the problem and recompute its cost.

    Parameters
    ----------
    problem
        The instance.
    solution
        The plan to check.
    check_objective
        Also compare the recomputed cost with the solver's objective.

    Returns
    -------
    VerificationReport
        Violations (empty when the plan is sound), the cost by part and the coverage share.
        For a phased plan: each phase checked on its own (violations name ``id@phase``),
        facilities and coverage never withdrawn, one-off spending within each phase's
        budget, and costs summed over the phases weighted by their years.
    """
    p, s = problem, solution
    if s.phases:
        return _verify_phases(p, s, check_objective)
    out: list[Violation] = []
    _check_villages(p, s, out)
    load_in, load_out = _loads(p, s)
    _check_capacity("station", p.station_ids, load_in + load_out, p.station_capacity, out)
    _check_tier(
        "station",
        (p.station_ids, p.centre_ids),
        (s.open_station, s.station_centre, s.open_centre),
        (load_in, load_out),
        (p.feeder, s.feeder_in, s.feeder_out),
        out=out,
    )
    centre_in = np.zeros(len(p.centre_ids))
    centre_out = np.zeros(len(p.centre_ids))
    np.add.at(centre_in, p.feeder.upstream, s.feeder_in)
    np.add.at(centre_out, p.feeder.upstream, s.feeder_out)
    _check_capacity("centre", p.centre_ids, centre_in + centre_out, p.centre_capacity, out)
    _check_tier(
        "centre",
        (p.centre_ids, p.hub_ids),
        (s.open_centre, s.centre_hub, s.open_hub),
        (centre_in, centre_out),
        (p.trunk, s.trunk_in, s.trunk_out),
        out=out,
    )
    for t, tid in enumerate(p.township_ids):
        if not np.any(s.open_centre[p.centre_township == t]):
            out.append(Violation("township_centre", tid, "no open co-delivery centre"))
    hub_load = np.zeros(len(p.hub_ids))
    np.add.at(hub_load, p.trunk.upstream, s.trunk_in + s.trunk_out)
    _check_capacity("hub", p.hub_ids, hub_load, p.hub_capacity, out)
    for h in np.flatnonzero(p.hub_fixed & ~s.open_hub):
        out.append(Violation("hub_fixed", p.hub_ids[h], "a fixed hub is closed"))
    if np.sum(s.open_hub & ~p.hub_fixed) > p.max_new_hubs:
        out.append(Violation("new_hubs", "all", f"more than {p.max_new_hubs} new hubs"))
    _check_bus(p, s, out)
    parts = _costs(p, s)
    total = sum(parts.values())
    if check_objective and abs(total - s.objective) > 1e-6 * max(1.0, abs(total)) + 1e-3:
        out.append(
            Violation(
                "objective", "all", f"solver says {s.objective:.2f} yuan, recomputed {total:.2f}"
            )
        )
    share = float(np.mean(s.village_station >= 0)) if len(p.village_ids) else 1.0
    return VerificationReport(
        violations=tuple(out),
        cost_parts=parts,
        coverage_share=share,
        own_station=_own_station(p, s),
    )
