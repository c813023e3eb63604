"""Cold chain for agricultural products (冷链寄递), decided after siting, beside a verified plan.

Both seed plans ask for cold-chain capacity: pre-cooling near producing areas, cold cabinets
at village stations and refrigerated vans (Dongchangfu: 购置冷链物流设施、冷藏车; Qingdao:
预冷移动仓储设施 near producing areas, 冷柜 at terminal stations). :func:`cold_chain` takes a
verified plan's stations, centres, hub and links as given (a *sequential* decision: the
siting does not see the cold chain) and chooses, at least yearly cost:

* for each producing village, where its cold parcels (a share of its outbound parcels) go:
  (a) through its own station, cold-upgraded, then by cold van to the centre that feeds that
  station, (b) picked up at the village by a dedicated cold van to any open centre with a van
  road to it within ``[service].max_feeder_km``, or (c) no cold chain: the parcels go as
  ordinary parcels and lose ``spoilage_yuan_per_parcel`` each;
* which stations, centres and the hub get cold rooms (one-off cost annualised over
  ``lifetime_years`` at ``[finance].discount_rate``, plus a yearly cost), within their cold
  capacities;
* the cold vans: where the plan already runs a van on a link, a cold compartment on it costs a
  premium per van-km (``van_premium_share`` of ``[van].yuan_per_km``) out and back per daily
  trip; a leg the plan serves by bus, and every pickup, needs a dedicated cold van (the van's
  per-km cost plus the premium, plus ``dedicated_trip_yuan`` per trip). Trips per day are
  integers: ``ceil(cold parcels / cold_van_capacity_parcels)``.

The choice is a small MIP (:class:`ruralnet.model.ChoiceProblem`, solved with the plan's
``[solver]``) and is checked by :func:`ruralnet.cold_verify.verify_cold_chain`, which shares
no code with it; a violation raises :class:`~ruralnet.errors.VerificationError`. Every figure
of ``[cold_chain]`` is an engineering estimate (EST): none is in ``DOMAIN.md``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ruralnet._readers import read_csv, read_json
from ruralnet.cold_verify import (
    DEDICATED,
    PLAN_VAN,
    ColdChain,
    ColdLeg,
    ColdRates,
    verify_cold_chain,
)
from ruralnet.errors import DataError, ScenarioError, VerificationError
from ruralnet.model import ChoiceProblem, build_choice_model
from ruralnet.option_solves import solve_choice_model
from ruralnet.scenario import annuity_factor

if TYPE_CHECKING:
    from ruralnet.plan import Plan

__all__ = [
    "COLD_VILLAGES_FILE",
    "check_written_cold_chain",
    "cold_chain",
    "cold_chain_figures",
    "cold_chain_tables",
    "cold_parcels",
    "cold_rates",
    "read_cold_chain",
]

COLD_VILLAGES_FILE = "cold_villages.csv"
_FLOW = 1e-9  # parcels/day: a link the plan uses
_FIX = "give village_id and cold_share (0 to 1, the share of its outbound parcels that need cold)"


def _from_file(path: Path, village_ids: tuple[str, ...]) -> np.ndarray:
    frame = pd.read_csv(path, dtype={"village_id": str}, encoding="utf-8-sig")
    if "village_id" not in frame.columns or "cold_share" not in frame.columns:
        raise DataError(path, "needs the columns village_id and cold_share", _FIX)
    index = {vid: i for i, vid in enumerate(village_ids)}
    share = np.zeros(len(village_ids))
    for row, (vid, value) in enumerate(
        zip(frame["village_id"], frame["cold_share"], strict=True), start=1
    ):
        vid = str(vid).strip()
        if vid not in index:
            raise DataError(
                path, f"village_id '{vid}' is not in villages", "fix or drop the row", row=row
            )
        number = pd.to_numeric(value, errors="coerce")
        if not (np.isfinite(number) and 0 <= number <= 1):
            raise DataError(path, f"cold_share is {value!r}, not a number from 0 to 1", _FIX, row=row,
                            feature=f"village_id={vid}")  # fmt: skip
        share[index[vid]] = float(number)
    return share


def cold_parcels(plan: Plan) -> tuple[np.ndarray, str]:
    """
    Cold parcels per day of every village, and where the producing villages come from.

    The producing villages and their cold share come from the first of: the dataset's
    optional ``cold_villages.csv`` (``village_id``, ``cold_share``: the villages listed, each
    with its share), ``[cold_chain].producing_villages``, ``[cold_chain].share_of_villages``
    (villages drawn with ``[scenario].seed``), the villages marked ``producing`` in the
    dataset; outside the file every producing village has ``cold_share_of_outbound``.

    Parameters
    ----------
    plan
        A verified single-phase plan; outbound parcels are its problem's (with
        ``[demand].producing_peak_factor``).

    Returns
    -------
    tuple
        ``(parcels, origin)``: cold parcels per day per problem village, and a short text.

    Raises
    ------
    ScenarioError
        ``producing_villages`` names a village that is not in the dataset.
    DataError
        ``cold_villages.csv`` is malformed.
    """
    settings = plan.scenario.cold_chain
    ids = plan.problem.village_ids
    n = len(ids)
    path = Path(plan.inputs.meta.folder) / COLD_VILLAGES_FILE
    if path.is_file():
        return plan.problem.outbound * _from_file(path, ids), f"dataset {COLD_VILLAGES_FILE}"
    chosen = np.zeros(n, dtype=bool)
    if settings.producing_villages:
        index = {vid: i for i, vid in enumerate(ids)}
        unknown = [v for v in settings.producing_villages if v not in index]
        if unknown:
            where = plan.scenario.source.name if plan.scenario.source else "scenario"
            msg = (f"{where} [cold_chain].producing_villages: '{unknown[0]}' is not a village of the "
                   "dataset; use village_id values of the villages layer")  # fmt: skip
            raise ScenarioError(msg)
        chosen[[index[v] for v in settings.producing_villages]] = True
        origin = "[cold_chain].producing_villages"
    elif settings.share_of_villages is not None:
        k = round(settings.share_of_villages * n)
        rng = np.random.default_rng(plan.scenario.scenario.seed)
        chosen[rng.choice(n, size=k, replace=False)] = True
        origin = f"[cold_chain].share_of_villages ({k} of {n}, seed {plan.scenario.scenario.seed})"
    else:
        villages = plan.inputs.villages.set_index("village_id")
        flags = villages["producing"] if "producing" in villages.columns else pd.Series(dtype=bool)
        chosen = np.array([bool(flags.get(v, False)) and not pd.isna(flags.get(v)) for v in ids])
        origin = "dataset villages.producing"
    return np.where(chosen, plan.problem.outbound * settings.cold_share_of_outbound, 0.0), origin


def cold_rates(plan: Plan) -> ColdRates:
    """Read the ``[cold_chain]`` prices and capacities of a plan's scenario, one-off costs annualised."""
    sc = plan.scenario
    annuity = annuity_factor(sc.finance.discount_rate, sc.cold_chain.lifetime_years)
    return ColdRates.of(sc.cold_chain, sc.van.yuan_per_km, annuity, plan.problem.days_per_year)


def _van_km(upstream: np.ndarray, downstream: np.ndarray, mode: np.ndarray, km: np.ndarray,
            flow: np.ndarray, up: int, down: int) -> tuple[float, float]:  # fmt: skip
    """Road km of the plan's van on a link (nan: the plan runs none), and of any van option."""
    van = (upstream == up) & (downstream == down) & (mode == "van")
    used = van & (flow > _FLOW)
    return (float(km[used].min()) if used.any() else math.nan,
            float(km[van].min()) if van.any() else math.nan)  # fmt: skip


class _Builder:
    """The choice problem of one plan: facilities, legs and options, with their meaning."""

    def __init__(self, plan: Plan, rates: ColdRates) -> None:
        self.plan, self.rates = plan, rates
        self.p, self.s = plan.problem, plan.solution
        self.facilities: dict[tuple[str, int], int] = {}
        self.facility_yuan: list[float] = []
        self.facility_cap: list[float] = []
        self.legs: dict[tuple[str, int, int], int] = {}
        self.leg_info: list[tuple[str, float]] = []  # (how, km)
        self.options: list[tuple[int, str, int, float, tuple[int, ...], tuple[int, ...]]] = []

    def facility(self, kind: str, k: int) -> int:
        key = (kind, k)
        if key not in self.facilities:
            r = self.rates
            yuan = {"station": r.station_yuan_per_year, "centre": r.centre_yuan_per_year,
                    "hub": r.hub_yuan_per_year}[kind]  # fmt: skip
            cap = {"station": r.station_capacity, "centre": r.centre_capacity,
                   "hub": r.hub_capacity}[kind]  # fmt: skip
            self.facilities[key] = len(self.facility_yuan)
            self.facility_yuan.append(yuan)
            self.facility_cap.append(cap)
        return self.facilities[key]

    def leg(self, tier: str, origin: int, destination: int, how: str, km: float) -> int:
        key = (tier, origin, destination)
        if key not in self.legs:
            self.legs[key] = len(self.leg_info)
            self.leg_info.append((how, km))
        return self.legs[key]

    def feeder(self, station: int, centre: int) -> tuple[str, float]:
        f = self.p.feeder
        plan_km, any_km = _van_km(f.upstream, f.downstream, f.mode, f.km,
                                  self.s.feeder_in + self.s.feeder_out, centre, station)  # fmt: skip
        return (PLAN_VAN, plan_km) if math.isfinite(plan_km) else (DEDICATED, any_km)

    def trunk(self, centre: int) -> tuple[int, str, float]:
        t = self.p.trunk
        hub = int(self.s.centre_hub[centre])
        plan_km, any_km = _van_km(t.upstream, t.downstream, t.mode, t.km,
                                  self.s.trunk_in + self.s.trunk_out, hub, centre)  # fmt: skip
        how, km = (PLAN_VAN, plan_km) if math.isfinite(plan_km) else (DEDICATED, any_km)
        return hub, how, km

    def add_village(self, item: int, v: int, q: float) -> None:
        p, s, r = self.p, self.s, self.rates
        self.options.append(
            (item, "none", -1, q * r.spoilage_yuan_per_parcel * r.days_per_year, (), ())
        )
        station = int(s.village_station[v])
        if station < 0:
            return
        centre = int(s.station_centre[station])
        how, km = self.feeder(station, centre)
        hub, t_how, t_km = self.trunk(centre)
        if math.isfinite(km) and math.isfinite(t_km):
            facilities = (self.facility("station", station), self.facility("centre", centre),
                          self.facility("hub", hub))  # fmt: skip
            legs = (
                self.leg("feeder", station, centre, how, km),
                self.leg("trunk", centre, hub, t_how, t_km),
            )
            self.options.append((item, "station", centre, 0.0, facilities, legs))
        arc = (p.access.village == v) & (p.access.station == station)
        access = float(p.access.km[arc].min()) if arc.any() else 0.0
        f = p.feeder
        for c in np.flatnonzero(s.open_centre):
            van = (f.upstream == c) & (f.downstream == station) & (f.mode == "van")
            hub, t_how, t_km = self.trunk(int(c))
            if not van.any() or not math.isfinite(t_km):
                continue
            pickup_km = float(f.km[van].min()) + access
            facilities = (self.facility("centre", int(c)), self.facility("hub", hub))
            legs = (self.leg("pickup", v, int(c), DEDICATED, pickup_km),
                    self.leg("trunk", int(c), hub, t_how, t_km))  # fmt: skip
            self.options.append((item, "pickup", int(c), 0.0, facilities, legs))

    def problem(self, load: np.ndarray) -> ChoiceProblem:
        r = self.rates
        return ChoiceProblem(
            item_load=load,
            facility_yearly_yuan=np.array(self.facility_yuan, dtype=float),
            facility_capacity=np.array(self.facility_cap, dtype=float),
            leg_yuan_per_trip=np.array(
                [r.trip_yuan_per_year(how, km) for how, km in self.leg_info]
            ),
            leg_capacity=np.full(len(self.leg_info), r.cold_van_capacity),
            option_item=np.array([o[0] for o in self.options], dtype=np.int64),
            option_yuan=np.array([o[3] for o in self.options], dtype=float),
            option_facilities=tuple(o[4] for o in self.options),
            option_legs=tuple(o[5] for o in self.options),
        )


def _single_phase(plan: Plan) -> None:
    if plan.scenario.phases:
        where = plan.scenario.source.name if plan.scenario.source else "scenario"
        msg = (f"{where} [cold_chain]: the cold chain is chosen for one year's network; use a "
               "scenario without [[phases]] (e.g. one phase's scenario)")  # fmt: skip
        raise ScenarioError(msg)


def cold_chain(plan: Plan) -> ColdChain:
    """
    Choose and verify the cold chain beside a verified plan (see the module docstring).

    Parameters
    ----------
    plan
        A verified single-phase plan with ``[cold_chain].enabled``.

    Returns
    -------
    ColdChain
        The verified cold chain.

    Raises
    ------
    ScenarioError
        The scenario has phases, or names unknown producing villages.
    ruralnet.errors.VerificationError
        The chosen cold chain fails :func:`~ruralnet.cold_verify.verify_cold_chain`.
    """
    _single_phase(plan)
    parcels, origin = cold_parcels(plan)
    rates = cold_rates(plan)
    villages = np.flatnonzero(parcels > 0)
    builder = _Builder(plan, rates)
    for item, v in enumerate(villages):
        builder.add_village(item, int(v), float(parcels[v]))
    choice = builder.problem(parcels[villages])
    sc = plan.scenario
    solved = solve_choice_model(build_choice_model(choice), sc.solver, seed=sc.scenario.seed)
    cold = _record(plan, builder, solved.option, villages, parcels, rates)
    cold = ColdChain(**{**cold.__dict__, "status": solved.status.value, "objective": solved.objective,
                        "best_bound": solved.best_bound, "seconds": solved.seconds,
                        "solver": sc.solver.backend, "villages_from": origin})  # fmt: skip
    report = verify_cold_chain(plan.problem, plan.solution, cold, parcels)
    if not report.ok:
        details = "; ".join(report.violations[:5])
        msg = f"the cold chain failed verification ({len(report.violations)} problems: {details})"
        raise VerificationError(msg)
    return cold


def _record(plan: Plan, b: _Builder, option: np.ndarray, villages: np.ndarray,
            parcels: np.ndarray, rates: ColdRates) -> ColdChain:  # fmt: skip
    """Turn the chosen options into a record: sites used, legs with their loads, trips and costs."""
    p = plan.problem
    cold_station = np.zeros(len(p.station_ids), dtype=bool)
    cold_centre = np.zeros(len(p.centre_ids), dtype=bool)
    cold_hub = np.zeros(len(p.hub_ids), dtype=bool)
    flags = {"station": cold_station, "centre": cold_centre, "hub": cold_hub}
    by_index = {index: key for key, index in b.facilities.items()}
    leg_keys = {index: key for key, index in b.legs.items()}
    load: dict[int, float] = {}
    paths, centres = [], []
    for item, v in enumerate(villages):
        _, path, centre, _, facilities, legs = b.options[int(option[item])]
        paths.append(path)
        centres.append(centre)
        for f in facilities:
            kind, k = by_index[f]
            flags[kind][k] = True
        for leg in legs:
            load[leg] = load.get(leg, 0.0) + float(parcels[v])
    cold_legs = []
    for leg in sorted(load, key=lambda i: leg_keys[i]):
        tier, origin, destination = leg_keys[leg]
        how, km = b.leg_info[leg]
        trips = math.ceil(load[leg] / rates.cold_van_capacity - 1e-9)
        cold_legs.append(ColdLeg(tier=tier, origin=origin, destination=destination, how=how, km=km,
                                 parcels_per_day=load[leg], trips_per_day=trips,
                                 yuan_per_year=trips * rates.trip_yuan_per_year(how, km)))  # fmt: skip
    served = np.array([path != "none" for path in paths], dtype=bool)
    cost_parts = {
        "stations": float(cold_station.sum()) * rates.station_yuan_per_year,
        "centres": float(cold_centre.sum()) * rates.centre_yuan_per_year,
        "hub": float(cold_hub.sum()) * rates.hub_yuan_per_year,
        "vans": float(sum(leg.yuan_per_year for leg in cold_legs)),
        "spoilage": float(np.sum(parcels[villages][~served]))
        * rates.spoilage_yuan_per_parcel
        * rates.days_per_year,
    }
    return ColdChain(village=villages, parcels=parcels[villages], path=tuple(paths),
                     centre=np.array(centres, dtype=np.int64), cold_station=cold_station,
                     cold_centre=cold_centre, cold_hub=cold_hub, legs=tuple(cold_legs),
                     cost_parts=cost_parts, rates=rates, status="", objective=math.nan,
                     best_bound=math.nan, seconds=0.0, solver="", villages_from="")  # fmt: skip


def cold_chain_figures(plan: Plan, network_yuan_per_year: float) -> dict[str, Any] | None:
    """
    Sum up a plan's cold chain, as written to ``summary.json`` (``cold_chain``).

    Parameters
    ----------
    plan
        A plan; None is returned when it has no cold chain.
    network_yuan_per_year
        The delivery network's yearly cost (``total_cost_yuan_per_year``).

    Returns
    -------
    dict or None
        Producing villages and their paths, cold parcels per day (all, served), cold sites,
        cold capacity opened, cold van legs and van-km, the yearly cost by part and in total
        (not in ``total_cost_yuan_per_year``; ``total_with_cold_chain_yuan_per_year`` adds
        it), the solver figures; ``figures: "estimated"`` (every rate is EST).
    """
    cold = plan.cold_chain
    if cold is None:
        return None
    served = cold.served
    paths = {
        path: int(sum(1 for x in cold.path if x == path)) for path in ("station", "pickup", "none")
    }
    van_km = float(sum(2.0 * leg.km * leg.trips_per_day for leg in cold.legs))
    return {
        "figures": "estimated",
        "villages_from": cold.villages_from,
        "producing_villages": len(cold.village),
        "villages_by_path": paths,
        "cold_parcels_per_day": round(float(np.sum(cold.parcels)), 3),
        "cold_parcels_served_per_day": round(float(np.sum(cold.parcels[served])), 3),
        "served_share": round(cold.served_share, 6),
        "goal_served_share": plan.scenario.cold_chain.goal_served_share,
        "cold_stations": int(cold.cold_station.sum()),
        "cold_centres": int(cold.cold_centre.sum()),
        "cold_hubs": int(cold.cold_hub.sum()),
        "cold_capacity_opened_parcels_per_day": round(cold.capacity_opened, 3),
        "cold_hub_capacity_parcels_per_day": round(
            float(cold.cold_hub.sum()) * cold.rates.hub_capacity, 3
        ),
        "cold_legs": len(cold.legs),
        "cold_legs_by_carrier": {
            how: sum(1 for leg in cold.legs if leg.how == how) for how in (PLAN_VAN, DEDICATED)
        },
        "cold_van_trips_per_day": int(sum(leg.trips_per_day for leg in cold.legs)),
        "cold_van_km_per_day": round(van_km, 3),
        "yuan_per_year": round(cold.yuan_per_year, 2),
        "cost_yuan_per_year": {k: round(v, 2) for k, v in cold.cost_parts.items()},
        "spoilage_yuan_per_year": round(cold.cost_parts["spoilage"], 2),
        "in_total_cost": False,
        "total_with_cold_chain_yuan_per_year": round(network_yuan_per_year + cold.yuan_per_year, 2),
        "solver": {
            "status": cold.status,
            "objective": round(cold.objective, 2),
            "best_bound": round(cold.best_bound, 2),
            "seconds": round(cold.seconds, 3),
        },
        "sequential": "chosen for the plan's sites and links, after siting",
        "verified": True,
    }


def cold_chain_tables(plan: Plan) -> tuple[pd.DataFrame, pd.DataFrame]:
    """
    Tabulate a plan's cold chain for ``cold_chain.csv`` and ``cold_legs.csv``.

    Parameters
    ----------
    plan
        A plan with a cold chain.

    Returns
    -------
    tuple of pandas.DataFrame
        One row per producing village (``village_id``, ``name``, ``township_id``,
        ``cold_parcels_per_day``, ``path``: station, pickup or none, the cold ``station_id``,
        ``centre_id`` and ``hub_id`` on its path), and one row per cold van leg (``tier``,
        ``from_id``, ``to_id``, ``carrier``, ``km`` one way, ``cold_parcels_per_day``,
        ``trips_per_day``, ``yuan_per_year``).
    """
    cold = plan.cold_chain
    if cold is None:
        msg = "the plan has no cold chain"
        raise ValueError(msg)
    p, s = plan.problem, plan.solution
    names = plan.inputs.villages.set_index("village_id")["name"]
    rows = []
    for v, q, path, c in zip(cold.village, cold.parcels, cold.path, cold.centre, strict=True):
        station = int(s.village_station[v]) if path == "station" else -1
        rows.append({"village_id": p.village_ids[v], "name": names.get(p.village_ids[v], ""),
                     "township_id": p.township_ids[p.village_township[v]],
                     "cold_parcels_per_day": float(q), "path": path,
                     "station_id": p.station_ids[station] if station >= 0 else "",
                     "centre_id": p.centre_ids[c] if c >= 0 else "",
                     "hub_id": p.hub_ids[s.centre_hub[c]] if c >= 0 else ""})  # fmt: skip
    ids = {"feeder": (p.station_ids, p.centre_ids), "pickup": (p.village_ids, p.centre_ids),
           "trunk": (p.centre_ids, p.hub_ids)}  # fmt: skip
    legs = [{"tier": leg.tier, "from_id": ids[leg.tier][0][leg.origin],
             "to_id": ids[leg.tier][1][leg.destination], "carrier": leg.how, "km": leg.km,
             "cold_parcels_per_day": leg.parcels_per_day, "trips_per_day": leg.trips_per_day,
             "yuan_per_year": leg.yuan_per_year} for leg in cold.legs]  # fmt: skip
    columns = ["tier", "from_id", "to_id", "carrier", "km", "cold_parcels_per_day",
               "trips_per_day", "yuan_per_year"]  # fmt: skip
    return pd.DataFrame(rows), pd.DataFrame(legs, columns=columns)


_WRITTEN_FIX = "write the plan again with 'ruralnet run' (cold_chain.csv and cold_legs.csv)"


def _index(ids: tuple[str, ...], value: str, path: Path, row: int, column: str) -> int:
    if value == "":
        return -1
    where = dict(zip(ids, range(len(ids)), strict=True)).get(value)
    if where is None:
        raise DataError(path, f"{column} '{value}' is not part of the plan", _WRITTEN_FIX, row=row)
    return where


def _number(value: str, path: Path, row: int, column: str) -> float:
    number = pd.to_numeric(value, errors="coerce")
    if not np.isfinite(number):
        raise DataError(path, f"{column} is {value!r}, not a number", _WRITTEN_FIX, row=row)
    return float(number)


def read_cold_chain(plan: Plan, folder: Path) -> ColdChain:
    """
    Read a written cold chain back (``cold_chain.csv``, ``cold_legs.csv``, ``summary.json``).

    Parameters
    ----------
    plan
        The plan the folder's decisions describe (rebuilt by ``ruralnet verify``).
    folder
        The plan folder.

    Returns
    -------
    ColdChain
        The record as written: paths, cold sites (those on the paths), legs, and the stated
        cost parts of ``summary.json`` (``cold_chain.cost_yuan_per_year``).

    Raises
    ------
    DataError
        A file is missing or a cell does not name a part of the plan.
    """
    p = plan.problem
    villages = read_csv(folder / "cold_chain.csv", fix=_WRITTEN_FIX)
    legs = read_csv(folder / "cold_legs.csv", fix=_WRITTEN_FIX)
    summary = read_json(folder / "summary.json", fix=_WRITTEN_FIX)
    stated = summary.get("cold_chain") if isinstance(summary, dict) else None
    if not isinstance(stated, dict) or not isinstance(stated.get("cost_yuan_per_year"), dict):
        raise DataError(
            folder / "summary.json", "has no cold_chain.cost_yuan_per_year", _WRITTEN_FIX
        )
    path = folder / "cold_chain.csv"
    cold_station = np.zeros(len(p.station_ids), dtype=bool)
    cold_centre = np.zeros(len(p.centre_ids), dtype=bool)
    cold_hub = np.zeros(len(p.hub_ids), dtype=bool)
    index, parcels, paths, centres = [], [], [], []
    for row, rec in enumerate(villages.to_dict(orient="records"), start=1):
        index.append(_index(p.village_ids, rec["village_id"], path, row, "village_id"))
        parcels.append(_number(rec["cold_parcels_per_day"], path, row, "cold_parcels_per_day"))
        paths.append(rec["path"])
        centres.append(_index(p.centre_ids, rec["centre_id"], path, row, "centre_id"))
        station = _index(p.station_ids, rec["station_id"], path, row, "station_id")
        hub = _index(p.hub_ids, rec["hub_id"], path, row, "hub_id")
        cold_station[station] |= station >= 0
        cold_centre[centres[-1]] |= centres[-1] >= 0
        cold_hub[hub] |= hub >= 0
    ends = {"feeder": (p.station_ids, p.centre_ids), "pickup": (p.village_ids, p.centre_ids),
            "trunk": (p.centre_ids, p.hub_ids)}  # fmt: skip
    path = folder / "cold_legs.csv"
    read_legs = []
    for row, rec in enumerate(legs.to_dict(orient="records"), start=1):
        if rec["tier"] not in ends:
            raise DataError(path, f"tier is {rec['tier']!r}", _WRITTEN_FIX, row=row)
        first, second = ends[rec["tier"]]
        read_legs.append(ColdLeg(
            tier=rec["tier"], origin=_index(first, rec["from_id"], path, row, "from_id"),
            destination=_index(second, rec["to_id"], path, row, "to_id"), how=rec["carrier"],
            km=_number(rec["km"], path, row, "km"),
            parcels_per_day=_number(rec["cold_parcels_per_day"], path, row, "cold_parcels_per_day"),
            trips_per_day=int(_number(rec["trips_per_day"], path, row, "trips_per_day")),
            yuan_per_year=_number(rec["yuan_per_year"], path, row, "yuan_per_year")))  # fmt: skip
    costs = {
        k: float(v) for k, v in stated["cost_yuan_per_year"].items() if isinstance(v, int | float)
    }
    return ColdChain(village=np.array(index, dtype=np.int64), parcels=np.array(parcels),
                     path=tuple(paths), centre=np.array(centres, dtype=np.int64),
                     cold_station=cold_station, cold_centre=cold_centre, cold_hub=cold_hub,
                     legs=tuple(read_legs), cost_parts=costs, rates=cold_rates(plan),
                     status="", objective=math.nan, best_bound=math.nan, seconds=0.0, solver="",
                     villages_from="")  # fmt: skip


def check_written_cold_chain(plan: Plan, folder: str | Path) -> tuple[bool, list[str]]:
    """
    Re-check a plan folder's cold chain with the independent verifier.

    Parameters
    ----------
    plan
        The plan rebuilt from the folder's decisions, verified.
    folder
        The plan folder.

    Returns
    -------
    tuple
        ``(checked, problems)``: False and no problems when the scenario has no cold chain;
        else one line per violation of :func:`~ruralnet.cold_verify.verify_cold_chain`.
    """
    if not plan.scenario.cold_chain.enabled:
        return False, []
    _single_phase(plan)
    written = read_cold_chain(plan, Path(folder))
    report = verify_cold_chain(plan.problem, plan.solution, written, cold_parcels(plan)[0])
    return True, list(report.violations)
