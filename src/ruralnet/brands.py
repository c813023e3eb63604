"""Co-delivery across express brands (快递共配): the baseline "each brand on its own".

Without a shared township co-delivery centre, every express brand keeps its own township
outlet and its own vans to the same villages. :func:`separate_brands` prices that baseline
beside a solved plan:

* Each brand carries its share of every village's parcels (``[brands].shares``, or per
  village from the dataset's optional ``brand_shares.csv``).
* Each brand's network is the plan's problem with the brand's parcels, the plan's village
  stations (each village at its station) and hub, solved and verified like the plan: the
  brand opens its own outlets (at least one per township, the same centre sites and costs),
  feeds its stations over its own links and gets its share of every bus hold.
* The stations and the hub are shared either way, so their yearly cost is counted once (from
  the plan) and set to zero in every brand's own problem.
* When the plan has van routes, every brand's vans are routed too; the comparison then
  prices vans by routes on both sides, else by the siting model on both sides.

The saving is the baseline's yearly cost minus the plan's, with the vans, van-km and CO2 the
shared network avoids.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ruralnet.data import Inputs
from ruralnet.errors import DataError, ScenarioError, VerificationError
from ruralnet.model import build_model
from ruralnet.pipeline import check_feasible, finished
from ruralnet.plan import Plan
from ruralnet.policy_settings import BRAND_NAMES
from ruralnet.problem import Arcs, BusLines, Problem, Solution
from ruralnet.report import operating_cost, routes_summary, transport_figures
from ruralnet.solve import solve_model
from ruralnet.verify import verify

__all__ = [
    "BrandNetwork",
    "SeparateBrands",
    "brand_problem",
    "one_brand_plan",
    "separate_brands",
    "village_brand_shares",
]

log = logging.getLogger(__name__)

BRAND_SHARES_FILE = "brand_shares.csv"
_SHARE_TOLERANCE = 1e-3


def village_brand_shares(
    shares: dict[str, float], inputs: Inputs, village_ids: tuple[str, ...]
) -> np.ndarray:
    """
    Share of each village's parcels per brand.

    Parameters
    ----------
    shares
        ``[brands].shares``: brand id -> share, for every village the dataset does not override.
    inputs
        The dataset; its optional ``brand_shares.csv`` (``village_id`` and one column per
        brand id of ``shares``, each row adding up to 1) overrides listed villages.
    village_ids
        The problem's villages, in order.

    Returns
    -------
    numpy.ndarray
        Shape ``(villages, brands)``, brands in the order of ``shares``; rows add up to 1.

    Raises
    ------
    DataError
        A row of ``brand_shares.csv`` names an unknown village or brand or does not add up to 1.
    """
    brands = list(shares)
    matrix = np.tile(np.array([shares[b] for b in brands], dtype=float), (len(village_ids), 1))
    path = Path(inputs.meta.folder) / BRAND_SHARES_FILE
    if not path.is_file():
        return matrix
    frame = pd.read_csv(path, dtype={"village_id": str}, encoding="utf-8-sig")
    unknown = [c for c in frame.columns if c != "village_id" and c not in shares]
    if "village_id" not in frame.columns or unknown:
        problem = "column village_id is missing" if not unknown else f"unknown brand {unknown[0]}"
        fix = f"use village_id and the brand ids of [brands].shares ({', '.join(brands)})"
        raise DataError(path, problem, fix)
    index = {vid: i for i, vid in enumerate(village_ids)}
    for row, record in enumerate(frame.to_dict(orient="records"), start=1):
        vid = record.pop("village_id")
        if vid not in index:
            raise DataError(path, f"village_id '{vid}' is not in villages", "fix or drop the row",
                            row=row)  # fmt: skip
        values = np.array([float(record.get(b, 0.0)) for b in brands])
        values = np.nan_to_num(values, nan=0.0)
        if np.any(values < 0) or abs(values.sum() - 1.0) > _SHARE_TOLERANCE:
            raise DataError(path, f"shares add up to {values.sum():g}, not 1",
                            "give every brand a share >= 0 so that the row adds up to 1",
                            row=row, feature=f"village_id={vid}")  # fmt: skip
        matrix[index[vid]] = values
    return matrix


def brand_problem(problem: Problem, solution: Solution, share: np.ndarray) -> Problem:
    """
    One brand's own network: its parcels, the plan's stations and hub, its own outlets and vans.

    Parameters
    ----------
    problem
        The solved (single-phase) problem.
    solution
        Its verified plan: the stations each village uses and the open hubs are kept.
    share
        The brand's share of each village's parcels.

    Returns
    -------
    Problem
        Every served village may use only its plan station, every other station site is
        closed (its arcs and feeder options removed), stations and hubs cost nothing (they are
        counted once, in the plan), hubs are the plan's, bus holds are scaled by the brand's
        share of all parcels; centres (outlets), links and per-parcel costs are the plan's.
    """
    served = solution.village_station
    keep_arc = served[problem.access.village] == problem.access.station
    access = Arcs(
        **{name: getattr(problem.access, name)[keep_arc] for name in Arcs.__dataclass_fields__}
    )
    open_station = solution.open_station
    feeder = problem.feeder.subset(open_station[problem.feeder.downstream])
    county_share = float(np.sum(problem.parcels * share) / max(np.sum(problem.parcels), 1e-12))
    n_served = int(np.sum(served >= 0))
    bus = BusLines(
        ids=problem.bus.ids,
        n_legs=problem.bus.n_legs,
        leg_capacity=problem.bus.leg_capacity * county_share,
        stop_ids=problem.bus.stop_ids,
    )
    return replace(
        problem,
        inbound=problem.inbound * share,
        outbound=problem.outbound * share,
        station_yearly_yuan=np.where(open_station, 0.0, problem.station_yearly_yuan),
        hub_fixed=solution.open_hub.copy(),
        hub_yearly_yuan=np.zeros(len(problem.hub_ids)),
        max_new_hubs=0,
        access=access,
        feeder=feeder,
        bus=bus,
        # exactly the plan's villages: ceil(n - 0.5) == n
        coverage_target=max(0.0, (n_served - 0.5) / len(problem.village_ids)),
    )


@dataclass(frozen=True)
class BrandNetwork:
    """One brand on its own: its share of the parcels and its verified plan."""

    brand: str
    share: float  # of all parcels per day
    plan: Plan

    @property
    def name(self) -> str:
        """Display name of the brand."""
        return BRAND_NAMES.get(self.brand, self.brand)


@dataclass(frozen=True)
class SeparateBrands:
    """The baseline "each brand on its own" beside the shared plan, with what sharing avoids."""

    networks: tuple[BrandNetwork, ...]
    basis: str  # "routes" or "siting model", the same for both sides
    shared_yuan_per_year: float
    separate_yuan_per_year: float  # stations and hub once + every brand's own network
    shared: dict[str, float | int | None]  # centres, vans, van-km/day, CO2 kg/day
    separate: dict[str, float | int | None]

    @property
    def saving_yuan_per_year(self) -> float:
        """What co-delivery saves a year: the baseline's cost minus the shared plan's."""
        return self.separate_yuan_per_year - self.shared_yuan_per_year

    def figures(self) -> dict[str, Any]:
        """
        Sum up the comparison, as written to ``summary.json`` (``separate_brands``).

        Returns
        -------
        dict
            ``basis``, both yearly costs, the saving, ``shared`` and ``separate`` figures
            (centres, vans, van-km and CO2 per day), ``avoided`` (separate minus shared) and
            one row per brand (share, centres, vans, van-km, yearly cost).
        """
        avoided = {
            key: None if self.shared[key] is None or self.separate[key] is None
            else round(float(self.separate[key]) - float(self.shared[key]), 3)  # type: ignore[arg-type]
            for key in self.shared
        }  # fmt: skip
        return {
            "basis": self.basis,
            "shared_yuan_per_year": round(self.shared_yuan_per_year, 2),
            "separate_yuan_per_year": round(self.separate_yuan_per_year, 2),
            "saving_yuan_per_year": round(self.saving_yuan_per_year, 2),
            "shared": self.shared,
            "separate": self.separate,
            "avoided": avoided,
            "stations_and_hub_counted_once": True,
            "brands": [
                {
                    "brand": n.brand,
                    "name": n.name,
                    "share": round(n.share, 6),
                    **_network_figures(n.plan),
                    "yuan_per_year": round(operating_cost(n.plan)[0], 2),
                }
                for n in self.networks
            ],
        }


def _network_figures(plan: Plan) -> dict[str, float | int | None]:
    transport = transport_figures(plan)
    routes = routes_summary(plan)
    return {
        "centres": int(np.sum(plan.solution.open_centre)),
        "vans": int(routes["vans"]) if routes else None,
        "van_km_per_day": round(float(transport["van_km_per_day"]), 3),
        "co2_kg_per_day": round(float(transport["co2_kg_per_day"]), 3),
    }


def _sum(rows: list[dict[str, float | int | None]]) -> dict[str, float | int | None]:
    out: dict[str, float | int | None] = {}
    for key in rows[0]:
        values = [r[key] for r in rows]
        out[key] = None if any(v is None for v in values) else round(sum(values), 3)  # type: ignore[misc]
    return out


def brand_plan(plan: Plan, brand: str, share: np.ndarray) -> Plan:
    """
    Solve and verify one brand's own network beside a plan (routed when the plan is).

    Parameters
    ----------
    plan
        The verified shared plan.
    brand
        Brand id (a key of ``[brands].shares``).
    share
        The brand's share of each village's parcels.

    Returns
    -------
    Plan
        The brand's verified plan; ``write`` it to a folder to compare it with the shared one
        (``ruralnet compare``). Its stations and hub cost nothing (they are the plan's).

    Raises
    ------
    ruralnet.errors.InfeasibleError
        The brand cannot serve the plan's stations on its own (e.g. a township's outlet sites
        are too far from its stations).
    ruralnet.errors.VerificationError
        The brand's plan fails the independent verifier.
    """
    problem = brand_problem(plan.problem, plan.solution, share)
    assembly = replace(plan.assembly, problem=problem)
    check_feasible(assembly)
    scenario = plan.scenario.with_overrides(
        {
            "scenario": {
                "name": f"{plan.scenario.scenario.name} — {BRAND_NAMES.get(brand, brand)} on its own",
                "description": "one brand's own outlets and vans to the shared plan's stations; "
                "station and hub costs are counted in the shared plan",
            },
            "brands": {"enabled": False},
        }
    )
    solution = finished(
        solve_model(build_model(problem), scenario.solver, seed=scenario.scenario.seed)
    )
    report = verify(problem, solution)
    if not report.ok:
        details = "; ".join(str(v) for v in report.violations[:5])
        msg = f"brand {brand}'s own network failed verification ({details})"
        raise VerificationError(msg)
    own = Plan(scenario=scenario, inputs=plan.inputs, assembly=assembly, solution=solution,
               verification=report)  # fmt: skip
    return own.with_routes() if plan.routes is not None else own


def one_brand_plan(plan: Plan, brand: str) -> Plan:
    """
    One brand's own network beside a plan, ready to ``write`` and compare with it.

    Parameters
    ----------
    plan
        A verified single-phase plan.
    brand
        A brand id of ``[brands].shares``.

    Returns
    -------
    Plan
        The brand's verified plan (see :func:`brand_plan`).

    Raises
    ------
    ScenarioError
        ``brand`` is not a brand of the scenario, or the scenario has phases.
    """
    shares = dict(plan.scenario.brands.shares)
    if brand not in shares:
        msg = f"--brand {brand}: not a brand of [brands].shares; use one of {', '.join(shares)}"
        raise ScenarioError(msg)
    _single_phase(plan)
    matrix = village_brand_shares(shares, plan.inputs, plan.problem.village_ids)
    return brand_plan(plan, brand, matrix[:, list(shares).index(brand)])


def _single_phase(plan: Plan) -> None:
    scenario = plan.scenario
    if scenario.phases:
        where = scenario.source.name if scenario.source else "scenario"
        msg = (f"{where} [brands]: the each-brand-on-its-own baseline needs a scenario "
               "without [[phases]]; compare one phase's scenario")  # fmt: skip
        raise ScenarioError(msg)


def separate_brands(plan: Plan) -> SeparateBrands:
    """
    Price the baseline "each brand on its own" beside a verified plan.

    Parameters
    ----------
    plan
        A verified single-phase plan (with routes, the baseline is routed too).

    Returns
    -------
    SeparateBrands
        Every brand's verified network and the comparison.

    Raises
    ------
    ScenarioError
        The scenario has phases (the baseline is a one-year comparison).
    """
    scenario = plan.scenario
    _single_phase(plan)
    p = plan.problem
    matrix = village_brand_shares(dict(scenario.brands.shares), plan.inputs, p.village_ids)
    networks = []
    for b, brand in enumerate(scenario.brands.shares):
        share = matrix[:, b]
        if not np.any(share > 0):
            continue
        log.info("brand %s on its own", brand)
        county = float(np.sum(p.parcels * share) / max(float(np.sum(p.parcels)), 1e-12))
        networks.append(
            BrandNetwork(brand=brand, share=county, plan=brand_plan(plan, brand, share))
        )
    shared_total, _, basis = operating_cost(plan)
    once = plan.verification.cost_parts["stations"] + plan.verification.cost_parts["hubs"]
    separate_total = once + sum(operating_cost(n.plan)[0] for n in networks)
    return SeparateBrands(
        networks=tuple(networks),
        basis=basis,
        shared_yuan_per_year=shared_total,
        separate_yuan_per_year=separate_total,
        shared=_network_figures(plan),
        separate=_sum([_network_figures(n.plan) for n in networks]),
    )
