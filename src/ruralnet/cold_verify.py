"""The cold chain's record and its independent check: cold capability on every cold path.

:class:`ColdChain` is what :mod:`ruralnet.cold_chain` decides beside a verified plan: which
stations, centres and hub get cold rooms, the path of every producing village's cold parcels
(through its cold station, picked up by a cold van straight to a cold centre, or without cold
chain) and the cold van legs with their daily trips. :func:`verify_cold_chain` re-checks it
from the problem's arrays and the plan's solution with code of its own (it shares nothing
with the model that chose it): every cold parcel's path village -> [station] -> centre -> hub
is cold-capable at each node and rides a cold van on each leg with enough trips, the road km
of each leg, the cold capacities, and every cost recomputed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ruralnet.problem import Problem, Solution

if TYPE_CHECKING:
    from ruralnet.policy_settings import ColdChainSettings

__all__ = ["ColdChain", "ColdChainReport", "ColdLeg", "ColdRates", "verify_cold_chain"]

PATHS = ("station", "pickup", "none")
#: how a leg carries cold parcels: a cold compartment on the plan's own van on that link (a
#: premium per km), or a cold van run for them alone (a bus leg, a pickup from the village)
PLAN_VAN, DEDICATED = "plan van", "dedicated cold van"
_REL = 1e-6
_ABS = 0.01  # yuan / parcels
_FLOW = 1e-9  # parcels/day: a link the plan uses


@dataclass(frozen=True)
class ColdRates:
    """The prices and capacities of the cold chain, yearly (one-off costs annualised)."""

    station_yuan_per_year: float
    centre_yuan_per_year: float
    hub_yuan_per_year: float
    station_capacity: float
    centre_capacity: float
    hub_capacity: float
    premium_yuan_per_km: float  # extra per van-km of a cold compartment on the plan's van
    cold_van_yuan_per_km: float  # a dedicated cold van: the van's per-km cost plus the premium
    dedicated_trip_yuan: float
    cold_van_capacity: float
    spoilage_yuan_per_parcel: float
    days_per_year: float

    @staticmethod
    def of(
        settings: ColdChainSettings, van_yuan_per_km: float, annuity: float, days: float
    ) -> ColdRates:
        """
        Read the rates from the ``[cold_chain]`` table.

        Parameters
        ----------
        settings
            The scenario's ``[cold_chain]`` table.
        van_yuan_per_km
            ``[van].yuan_per_km`` (T1-T4), the base of the cold premium.
        annuity
            Yearly payment per yuan of one-off cost over the cold lifetime.
        days
            Days per year.

        Returns
        -------
        ColdRates
        """
        premium = settings.van_premium_share * van_yuan_per_km
        return ColdRates(
            station_yuan_per_year=settings.station_upgrade_yuan * annuity + settings.station_yearly_yuan,
            centre_yuan_per_year=settings.centre_upgrade_yuan * annuity + settings.centre_yearly_yuan,
            hub_yuan_per_year=settings.hub_upgrade_yuan * annuity + settings.hub_yearly_yuan,
            station_capacity=settings.station_capacity_parcels_per_day,
            centre_capacity=settings.centre_capacity_parcels_per_day,
            hub_capacity=settings.hub_capacity_parcels_per_day,
            premium_yuan_per_km=premium,
            cold_van_yuan_per_km=van_yuan_per_km + premium,
            dedicated_trip_yuan=settings.dedicated_trip_yuan,
            cold_van_capacity=settings.cold_van_capacity_parcels,
            spoilage_yuan_per_parcel=settings.spoilage_yuan_per_parcel,
            days_per_year=days,
        )  # fmt: skip

    def trip_yuan_per_year(self, how: str, km: float) -> float:
        """Yearly cost of one daily trip out and back over ``km`` road km (one way)."""
        if how == PLAN_VAN:
            return self.premium_yuan_per_km * 2.0 * km * self.days_per_year
        return (
            self.cold_van_yuan_per_km * 2.0 * km + self.dedicated_trip_yuan
        ) * self.days_per_year


@dataclass(frozen=True)
class ColdLeg:
    """One cold van leg: ``tier`` feeder (station -> centre), pickup (village -> centre) or trunk.

    Indices are into the problem's village, station, centre and hub ids by tier: feeder
    ``(station, centre)``, pickup ``(village, centre)``, trunk ``(centre, hub)``.
    """

    tier: str
    origin: int
    destination: int
    how: str  # PLAN_VAN or DEDICATED
    km: float  # road km one way
    parcels_per_day: float
    trips_per_day: int
    yuan_per_year: float


@dataclass(frozen=True)
class ColdChain:
    """The cold chain beside a plan: cold sites, each producing village's path, the cold legs."""

    village: np.ndarray  # producing villages (indices), in order
    parcels: np.ndarray  # their cold parcels per day
    path: tuple[str, ...]  # one of PATHS per producing village
    centre: np.ndarray  # the cold centre its parcels reach, -1 for "none"
    cold_station: np.ndarray  # bool per station site
    cold_centre: np.ndarray  # bool per centre site
    cold_hub: np.ndarray  # bool per hub
    legs: tuple[ColdLeg, ...]
    cost_parts: dict[str, float]  # stations, centres, hub, vans, spoilage (yuan/year)
    rates: ColdRates
    status: str
    objective: float
    best_bound: float
    seconds: float
    solver: str
    villages_from: str  # where the producing villages come from

    @property
    def yuan_per_year(self) -> float:
        """Yearly cost of the cold chain: cold rooms and cold vans (spoilage left out)."""
        return float(sum(v for k, v in self.cost_parts.items() if k != "spoilage"))

    @property
    def served(self) -> np.ndarray:
        """Per producing village: its cold parcels ride a cold path."""
        return np.array([p != "none" for p in self.path], dtype=bool)

    @property
    def served_share(self) -> float:
        """Share of all cold parcels that ride a cold path (1 when there are none)."""
        total = float(np.sum(self.parcels))
        return float(np.sum(self.parcels[self.served])) / total if total > 0 else 1.0

    @property
    def capacity_opened(self) -> float:
        """Cold parcels per day the opened cold stations and centres hold together."""
        r = self.rates
        return float(
            np.sum(self.cold_station) * r.station_capacity
            + np.sum(self.cold_centre) * r.centre_capacity
        )


@dataclass(frozen=True)
class ColdChainReport:
    """Outcome of :func:`verify_cold_chain`: violations and the recomputed yearly cost."""

    violations: tuple[str, ...] = field(default_factory=tuple)
    cost_parts: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when the cold chain breaks no rule."""
        return not self.violations


def _close(a: float, b: float, abs_tol: float = _ABS) -> bool:
    return bool(np.isclose(a, b, rtol=_REL, atol=abs_tol))


def _feeder_km(p: Problem, s: Solution, station: int, centre: int) -> tuple[float, float]:
    """Road km of the plan's van on centre -> station (nan if not by van), and of any van."""
    on_pair = (p.feeder.upstream == centre) & (p.feeder.downstream == station)
    van = on_pair & (p.feeder.mode == "van")
    used = van & ((s.feeder_in + s.feeder_out) > _FLOW)
    plan_km = float(p.feeder.km[used].min()) if used.any() else np.nan
    any_km = float(p.feeder.km[van].min()) if van.any() else np.nan
    return plan_km, any_km


def _trunk_km(p: Problem, s: Solution, centre: int, hub: int) -> tuple[float, float]:
    on_pair = (p.trunk.upstream == hub) & (p.trunk.downstream == centre)
    van = on_pair & (p.trunk.mode == "van")
    used = van & ((s.trunk_in + s.trunk_out) > _FLOW)
    plan_km = float(p.trunk.km[used].min()) if used.any() else np.nan
    any_km = float(p.trunk.km[van].min()) if van.any() else np.nan
    return plan_km, any_km


def _expected_legs(
    p: Problem, s: Solution, cold: ColdChain, out: list[str]
) -> dict[tuple[str, int, int], tuple[float, float, float]]:
    """Each leg the paths need: (tier, origin, destination) -> (parcels, plan-van km, van km)."""
    legs: dict[tuple[str, int, int], list[float]] = {}

    def need(key: tuple[str, int, int], parcels: float, kms: tuple[float, float]) -> None:
        legs.setdefault(key, [0.0, *kms])[0] += parcels

    for v, q, path, c in zip(cold.village, cold.parcels, cold.path, cold.centre, strict=True):
        name = p.village_ids[v]
        if path not in PATHS:
            out.append(f"village {name}: unknown cold path {path!r}")
            continue
        if path == "none":
            if c >= 0:
                out.append(f"village {name}: no cold path but a cold centre {p.centre_ids[c]}")
            continue
        station = int(s.village_station[v])
        if station < 0:
            out.append(f"village {name}: its cold parcels have a path but it has no station")
            continue
        _first_leg(p, s, cold, (int(v), path, int(c), station), need, out)
        _centre_and_hub(p, s, cold, name, int(c), q, need, out)
    return {key: (value[0], value[1], value[2]) for key, value in legs.items()}  # fmt: skip


def _first_leg(p: Problem, s: Solution, cold: ColdChain, where: tuple[int, str, int, int],
               need: Any, out: list[str]) -> None:  # fmt: skip
    """Check the leg from the village (pickup) or its cold station (feeder) to the cold centre."""
    v, path, c, station = where
    name = p.village_ids[v]
    q = float(cold.parcels[list(cold.village).index(v)])
    if path == "station":
        if not cold.cold_station[station]:
            out.append(f"village {name}: its station {p.station_ids[station]} is not cold-capable")
        if c != s.station_centre[station]:
            out.append(
                f"village {name}: its cold parcels leave its station for a centre that does not feed it"
            )
        need(("feeder", station, c), q, _feeder_km(p, s, station, c))
        return
    # pickup: a cold van from the centre to the village (at its station's road point)
    van_km = _feeder_km(p, s, station, c)[1]
    arc = (p.access.village == v) & (p.access.station == station)
    access = float(p.access.km[arc].min()) if arc.any() else np.nan
    need(("pickup", v, c), q, (np.nan, van_km + access))


def _centre_and_hub(p: Problem, s: Solution, cold: ColdChain, name: str, c: int, q: float,
                    need: Any, out: list[str]) -> None:  # fmt: skip
    """Check the cold centre and hub of a path, and need the trunk leg between them."""
    if not cold.cold_centre[c]:
        out.append(f"village {name}: centre {p.centre_ids[c]} on its cold path is not cold-capable")
    if not s.open_centre[c]:
        out.append(
            f"village {name}: its cold path reaches centre {p.centre_ids[c]}, which is not open"
        )
    hub = int(s.centre_hub[c])
    if not cold.cold_hub[hub]:
        out.append(f"village {name}: hub {p.hub_ids[hub]} on its cold path is not cold-capable")
    need(("trunk", c, hub), q, _trunk_km(p, s, c, hub))


def _leg_km(how: str, plan_km: float, van_km: float, where: str, out: list[str]) -> float | None:
    """Road km of a cold leg as its carrier runs it, or None (with the violation) if it cannot."""
    if how == PLAN_VAN:
        if not np.isfinite(plan_km):
            out.append(f"{where}: the plan runs no van on it, so no cold compartment can ride")
            return None
        return plan_km
    if how == DEDICATED:
        if not np.isfinite(van_km):
            out.append(f"{where}: no road a van may take (beyond the feeder distance)")
            return None
        return van_km
    out.append(f"{where}: unknown carrier {how!r}")
    return None


def _leg_name(p: Problem, key: tuple[str, int, int]) -> str:
    """Name a leg by its ends' ids: ``feeder leg S1->C1``."""
    first, second = {"feeder": (p.station_ids, p.centre_ids), "pickup": (p.village_ids, p.centre_ids),
                     "trunk": (p.centre_ids, p.hub_ids)}.get(key[0], ((), ()))  # fmt: skip
    a = first[key[1]] if 0 <= key[1] < len(first) else key[1]
    b = second[key[2]] if 0 <= key[2] < len(second) else key[2]
    return f"{key[0]} leg {a}->{b}"


def _check_legs(p: Problem, s: Solution, cold: ColdChain, out: list[str]) -> float:
    """Check every cold leg against the paths; return the recomputed yearly van cost."""
    r = cold.rates
    expected = _expected_legs(p, s, cold, out)
    given = {(leg.tier, leg.origin, leg.destination): leg for leg in cold.legs}
    if len(given) != len(cold.legs):
        out.append("a cold leg is listed twice")
    for key in sorted(set(given) - set(expected)):
        out.append(f"cold {_leg_name(p, key)}: on no cold path")
    yuan = 0.0
    for key, (parcels, plan_km, van_km) in sorted(expected.items()):
        leg = given.get(key)
        where = f"cold {_leg_name(p, key)}"
        if leg is None:
            out.append(f"{where}: cold parcels pass but no cold van runs it")
            continue
        km = _leg_km(leg.how, plan_km, van_km, where, out)
        if km is None:
            continue
        if not _close(leg.km, km, 1e-6):
            out.append(f"{where}: {leg.km:g} km stated, the road gives {km:g}")
        if not _close(leg.parcels_per_day, parcels):
            out.append(
                f"{where}: {leg.parcels_per_day:g} cold parcels/day stated, the paths give {parcels:g}"
            )
        if leg.trips_per_day * r.cold_van_capacity < parcels - 1e-6:
            out.append(
                f"{where}: {leg.trips_per_day} trips carry {leg.trips_per_day * r.cold_van_capacity:g} < {parcels:g} cold parcels/day"
            )
        cost = leg.trips_per_day * r.trip_yuan_per_year(leg.how, km)
        if not _close(leg.yuan_per_year, cost):
            out.append(f"{where}: {leg.yuan_per_year:.2f} yuan/year stated, recomputed {cost:.2f}")
        yuan += cost
    return yuan


def _check_capacity(p: Problem, s: Solution, cold: ColdChain, out: list[str]) -> None:
    r = cold.rates
    at_station = np.zeros(len(p.station_ids))
    at_centre = np.zeros(len(p.centre_ids))
    at_hub = np.zeros(len(p.hub_ids))
    for v, q, path, c in zip(cold.village, cold.parcels, cold.path, cold.centre, strict=True):
        if path == "none" or c < 0:
            continue
        if path == "station":
            at_station[s.village_station[v]] += q
        at_centre[c] += q
        at_hub[s.centre_hub[c]] += q
    for ids, load, cap, what in ((p.station_ids, at_station, r.station_capacity, "station"),
                                 (p.centre_ids, at_centre, r.centre_capacity, "centre"),
                                 (p.hub_ids, at_hub, r.hub_capacity, "hub")):  # fmt: skip
        for k in np.flatnonzero(load > cap + 1e-6):
            out.append(
                f"cold {what} {ids[k]}: {load[k]:g} cold parcels/day over its cold capacity {cap:g}"
            )


def verify_cold_chain(
    problem: Problem, solution: Solution, cold: ColdChain, cold_parcels: np.ndarray
) -> ColdChainReport:
    """
    Check a cold chain beside a verified plan, independently of the model that chose it.

    Parameters
    ----------
    problem, solution
        The plan's (single-phase) problem and verified solution.
    cold
        The cold chain to check.
    cold_parcels
        Cold parcels per day of every village of the problem (0 for a village that sends none).

    Returns
    -------
    ColdChainReport
        One line per broken rule: a producing village missing or its parcels misstated, a
        cold path through a site without cold capability, a leg without a cold van (or the
        plan's van where the plan runs a bus), too few trips, a wrong road km, a cold room
        over capacity, or a cost that does not add up; and the recomputed cost parts.
    """
    p, s, r = problem, solution, cold.rates
    out: list[str] = []
    senders = np.flatnonzero(cold_parcels > 0)
    listed = {int(v) for v in cold.village}
    for v in senders:
        if int(v) not in listed:
            out.append(
                f"village {p.village_ids[v]}: sends {cold_parcels[v]:g} cold parcels/day, not in the cold chain"
            )
    for v, q in zip(cold.village, cold.parcels, strict=True):
        if not _close(float(q), float(cold_parcels[v])):
            out.append(
                f"village {p.village_ids[v]}: {q:g} cold parcels/day stated, its demand gives {cold_parcels[v]:g}"
            )
    for flags, opened, what, ids in ((cold.cold_station, s.open_station, "station", p.station_ids),
                                     (cold.cold_centre, s.open_centre, "centre", p.centre_ids),
                                     (cold.cold_hub, s.open_hub, "hub", p.hub_ids)):  # fmt: skip
        for k in np.flatnonzero(flags & ~opened):
            out.append(f"cold {what} {ids[k]}: the plan does not open it")
    vans = _check_legs(p, s, cold, out)
    _check_capacity(p, s, cold, out)
    unserved = float(np.sum(cold.parcels[~cold.served]))
    parts = {
        "stations": float(np.sum(cold.cold_station)) * r.station_yuan_per_year,
        "centres": float(np.sum(cold.cold_centre)) * r.centre_yuan_per_year,
        "hub": float(np.sum(cold.cold_hub)) * r.hub_yuan_per_year,
        "vans": vans,
        "spoilage": unserved * r.spoilage_yuan_per_parcel * r.days_per_year,
    }
    for key, value in parts.items():
        stated = cold.cost_parts.get(key)
        if stated is None or not _close(stated, value):
            out.append(f"cold chain cost {key}: {stated} yuan/year stated, recomputed {value:.2f}")
    return ColdChainReport(violations=tuple(out), cost_parts=parts)
