"""Feed the cost of real van loops back into the siting model and re-solve.

The siting model charges a van feeder link ``yuan_per_parcel x parcels`` per day, with
``yuan_per_parcel = [van].yuan_per_parcel_km x km`` by default. After a plan is solved,
:func:`ruralnet.routes.build.build_routes` prices what the vans really cost: a fixed cost per
van-day plus a cost per km of every loop. :func:`solve_with_routes` turns each centre's
route cost into new prices of its van feeder options, re-solves, re-routes, and repeats.

Pricing schemes (per centre ``c``; centres without routes in the last round take the
county-wide figure):

``"parcel_km"``
    One rate per parcel-km: ``r_c = route cost_c / sum(parcels x km)`` over the centre's van
    feeder links, so ``yuan_per_parcel = r_c x km``. At the plan it was measured on, the
    model's feeder van cost equals the route cost exactly.
``"two_part"``
    The two cost drivers apart: ``a_c = van-day costs_c / parcels_c`` yuan per parcel and
    ``b_c = km costs_c / sum(parcels x km)`` yuan per parcel-km, so ``yuan_per_parcel =
    a_c + b_c x km``. Also exact at the plan it was measured on; it keeps the per-parcel
    part of the van cost from growing with distance. The default: on the shipped county
    ``"parcel_km"`` never found a cheaper plan (its rate spirals up: a dearer km shortens
    the feeders, which raises the cost per parcel-km of vans whose cost is mostly per
    van-day), while ``"two_part"`` did (``docs/routes.md``).

Only van feeder options are re-priced; hub -> centre trunk links and bus options keep
their prices. Each round is solved and verified like :func:`ruralnet.solve`. The loop
stops after ``rounds`` re-solves or when a plan's stations and their centres repeat an
earlier round's; the round with the lowest route-based total cost is returned.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from ruralnet.errors import VerificationError
from ruralnet.model import build_model
from ruralnet.pipeline import price_without_buses, solve
from ruralnet.plan import Plan
from ruralnet.problem import Problem, SolveStatus
from ruralnet.routes.build import build_routes
from ruralnet.routes.data import RoutePlan
from ruralnet.routes.outputs import routed_cost_parts
from ruralnet.scenario import Scenario, load_scenario
from ruralnet.solve import solve_model
from ruralnet.verify import verify

__all__ = [
    "Pricing",
    "RoundReport",
    "feeder_prices",
    "rounds_table",
    "solve_with_routes",
    "trunk_prices",
]

log = logging.getLogger(__name__)

Pricing = Literal["parcel_km", "two_part"]


@dataclass(frozen=True)
class RoundReport:
    """One round of siting, routing and re-pricing; money in yuan per year.

    Attributes
    ----------
    round
        0 for the plan priced per parcel-km from the scenario, then 1, 2, ...
    siting_cost
        The siting model's total cost (recomputed by the verifier) with this round's prices.
    siting_van_feeder_cost
        The part of it for van feeder links.
    route_van_feeder_cost
        What the feeder van loops of this plan cost.
    route_based_cost
        The plan's cost with its vans priced by their routes
        (:func:`~ruralnet.routes.outputs.routed_cost_parts`): what ``summary.json`` reports.
    stations, centres
        Stations and centres opened.
    vans, van_km_per_day
        Vans needed and km driven per day by the loops.
    yuan_per_parcel_km
        The county-wide route cost per van parcel-km measured on this round's plan.
    solve_seconds, route_seconds
        Wall-clock time of the siting solve and of the routing.
    repeated
        True when this round's stations and centres equal an earlier round's.
    siting_van_trunk_cost, route_van_trunk_cost
        The same for the hub → centre van links (equal when the trunk is not routed).
    """

    round: int
    siting_cost: float
    siting_van_feeder_cost: float
    route_van_feeder_cost: float
    route_based_cost: float
    stations: int
    centres: int
    vans: int
    van_km_per_day: float
    yuan_per_parcel_km: float
    solve_seconds: float
    route_seconds: float
    repeated: bool = False
    siting_van_trunk_cost: float = 0.0
    route_van_trunk_cost: float = 0.0


def _van_links(plan: Plan, tier: str) -> pd.DataFrame:
    links = plan.links
    return links[(links["tier"] == tier) & (links["mode"] == "van")]


def _tier_prices(
    plan: Plan, route_plan: RoutePlan, tier: str, *, pricing: Pricing, per_centre: bool
) -> np.ndarray:
    """Price every option of one tier (``yuan_per_parcel``) from that tier's routes."""
    p = plan.problem
    s = route_plan.settings
    options, depot_ids = (p.feeder, p.centre_ids) if tier == "feeder" else (p.trunk, p.hub_ids)
    routes = route_plan.of_tier(tier).routes
    if not routes:
        return options.yuan_per_parcel.astype(float).copy()
    links = _van_links(plan, tier)
    parcel_km = (links["parcels_per_day"] * links["km"]).groupby(links["from_id"]).sum()
    parcels = links["parcels_per_day"].groupby(links["from_id"]).sum()
    fixed: dict[str, float] = {}
    km_cost: dict[str, float] = {}
    for r in routes:
        km_cost[r.centre_id] = km_cost.get(r.centre_id, 0.0) + r.km * s.yuan_per_km
        fixed[r.centre_id] = (
            fixed.get(r.centre_id, 0.0) + r.cost_yuan_per_day - r.km * s.yuan_per_km
        )
    total_pkm, total_parcels = float(parcel_km.sum()), float(parcels.sum())
    county_fixed, county_km = sum(fixed.values()), sum(km_cost.values())
    n = len(depot_ids)
    per_parcel = np.zeros(n)
    per_pkm = np.full(n, (county_fixed + county_km) / total_pkm if total_pkm else 0.0)
    if pricing == "two_part":
        per_parcel[:] = county_fixed / total_parcels if total_parcels else 0.0
        per_pkm[:] = county_km / total_pkm if total_pkm else 0.0
    if per_centre:
        for c, cid in enumerate(depot_ids):
            if cid not in fixed or parcel_km.get(cid, 0.0) <= 0:
                continue
            if pricing == "two_part":
                per_parcel[c] = fixed[cid] / parcels[cid]
                per_pkm[c] = km_cost[cid] / parcel_km[cid]
            else:
                per_pkm[c] = (fixed[cid] + km_cost[cid]) / parcel_km[cid]
    van = options.line < 0
    new = options.yuan_per_parcel.astype(float).copy()
    new[van] = per_parcel[options.upstream[van]] + per_pkm[options.upstream[van]] * options.km[van]
    return new


def feeder_prices(
    plan: Plan, route_plan: RoutePlan, *, pricing: Pricing = "two_part", per_centre: bool = True
) -> np.ndarray:
    """
    Re-price every feeder option (``yuan_per_parcel``) from the feeder routes of a plan.

    Parameters
    ----------
    plan
        The plan the routes were built from.
    route_plan
        Its routes (only the feeder tier is used).
    pricing
        ``"parcel_km"`` or ``"two_part"`` (see the module docstring).
    per_centre
        Price each centre's options by its own routes; otherwise by county-wide figures.

    Returns
    -------
    numpy.ndarray
        One price per option of ``plan.problem.feeder``; bus options keep theirs.
    """
    return _tier_prices(plan, route_plan, "feeder", pricing=pricing, per_centre=per_centre)


def trunk_prices(
    plan: Plan, route_plan: RoutePlan, *, pricing: Pricing = "two_part", per_centre: bool = True
) -> np.ndarray:
    """
    Re-price every trunk option (hub → centre) from the trunk routes, as :func:`feeder_prices`.

    Parameters
    ----------
    plan
        The plan the routes were built from.
    route_plan
        Its routes; without trunk routes the trunk options keep their prices.
    pricing
        ``"parcel_km"`` or ``"two_part"``.
    per_centre
        Price each hub's options by its own routes.

    Returns
    -------
    numpy.ndarray
        One price per option of ``plan.problem.trunk``.
    """
    return _tier_prices(plan, route_plan, "trunk", pricing=pricing, per_centre=per_centre)


def _resolve(plan: Plan, problem: Problem) -> Plan:
    """Solve and verify a re-priced problem on the same data and road network."""
    scenario = plan.scenario
    built = build_model(problem)
    solution = solve_model(built, scenario.solver, seed=scenario.scenario.seed)
    if solution.status is SolveStatus.INTERRUPTED:
        # Ctrl-C during a re-pricing round stops the run: the rounds are not finished
        raise KeyboardInterrupt
    report = verify(problem, solution)
    if not report.ok:
        details = "; ".join(str(v) for v in report.violations[:5])
        msg = (
            f"the re-priced plan failed verification ({len(report.violations)} problems: {details})"
        )
        raise VerificationError(msg)
    fields = {f.name for f in dataclasses.fields(Plan)}
    extra = {name: None for name in ("all_van", "own_village") if name in fields}
    return dataclasses.replace(
        plan,
        assembly=dataclasses.replace(plan.assembly, problem=problem),
        solution=solution,
        verification=report,
        **extra,
    )


def _key(plan: Plan) -> tuple[tuple[int, ...], tuple[int, ...]]:
    s = plan.solution
    opened = np.flatnonzero(s.open_station)
    return tuple(opened.tolist()), tuple(np.asarray(s.station_centre)[opened].tolist())


def _report(
    k: int, plan: Plan, routes: RoutePlan, seconds: tuple[float, float], *, repeated: bool
) -> RoundReport:
    feeders = _van_links(plan, "feeder")
    siting_feeder = float(feeders["yuan_per_year"].sum())
    pkm = float((feeders["parcels_per_day"] * feeders["km"]).sum())
    siting = plan.verification.total_yuan
    parts = routed_cost_parts(plan, routes)
    return RoundReport(
        round=k,
        siting_cost=siting,
        siting_van_feeder_cost=siting_feeder,
        route_van_feeder_cost=parts["van_feeder"],
        siting_van_trunk_cost=float(_van_links(plan, "trunk")["yuan_per_year"].sum()),
        route_van_trunk_cost=parts["van_trunk"],
        route_based_cost=float(sum(parts.values())),
        stations=int(np.sum(plan.solution.open_station)),
        centres=int(np.sum(plan.solution.open_centre)),
        vans=routes.vans,
        van_km_per_day=routes.km_per_day,
        yuan_per_parcel_km=routes.of_tier("feeder").cost_yuan_per_day / pkm if pkm else 0.0,
        solve_seconds=seconds[0],
        route_seconds=seconds[1],
        repeated=repeated,
    )


def solve_with_routes(
    scenario: Scenario | str | Path,
    *,
    rounds: int | None = None,
    on_round: Callable[[RoundReport], None] | None = None,
    on_stage: Callable[[str], None] | None = None,
    on_solver_log: Callable[[str], None] | None = None,
) -> tuple[Plan, RoutePlan | None, list[RoundReport]]:
    """
    Site, route, re-price the van feeders by their routes, and re-solve.

    The shift rules, search limits and the pricing scheme come from the scenario's
    ``[routes]`` table (``pricing``: ``"two_part"`` by default or ``"parcel_km"``, see the
    module docstring and ``docs/routes.md`` for the measurements behind the default;
    ``per_centre``: price each centre's van feeders by its own routes).

    Parameters
    ----------
    scenario
        A scenario or the path of its TOML file.
    rounds
        Re-solves after the first plan (0: route the ordinary plan only); ``[routes].rounds``
        when omitted.
    on_round
        Called with each round's report as it completes.
    on_stage, on_solver_log
        Progress hooks of the first solve (see :func:`ruralnet.solve`); ``on_stage`` also
        hears ``"routes"`` before the first routing and ``"re-price"`` before each round.

    Returns
    -------
    tuple
        ``(plan, route_plan, reports)``: the round with the lowest route-based total cost,
        its routes, and every round's report; ``(plan, None, [])`` when Ctrl-C interrupted
        the first solve (its verified incumbent, not routed). ``reports[0].siting_cost`` is the ordinary
        per-parcel-km estimate of :func:`ruralnet.solve`. The returned plan carries the
        scenario's own prices: its verification (and so the summary's siting-model cost)
        is recomputed with them, and its all-van comparison too; ``solution.objective`` is
        the objective of the re-priced model it was found with.

    Raises
    ------
    KeyboardInterrupt
        When Ctrl-C interrupts the solve of a re-pricing round, or the routing.
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    rules = scenario.routes
    rounds = rules.rounds if rounds is None else rounds
    if rounds < 0:
        msg = f"solve_with_routes: rounds must be >= 0, got {rounds}"
        raise ValueError(msg)
    pricing, per_centre = rules.pricing, rules.per_centre
    stage = on_stage or (lambda _name: None)
    start = time.perf_counter()
    plan = solve(scenario, on_stage=on_stage, on_solver_log=on_solver_log)
    if plan.solution.status is SolveStatus.INTERRUPTED:
        return plan, None, []  # Ctrl-C in the first solve: its incumbent, not routed
    first = plan
    solved = time.perf_counter()
    stage("routes")
    routes = build_routes(plan)
    seen = {_key(plan): 0}
    history = [(plan, routes)]
    reports = [
        _report(0, plan, routes, (solved - start, time.perf_counter() - solved), repeated=False)
    ]
    if on_round:
        on_round(reports[-1])
    for k in range(1, rounds + 1):
        stage("re-price")
        problem = dataclasses.replace(
            plan.problem,
            feeder=dataclasses.replace(
                plan.problem.feeder,
                yuan_per_parcel=feeder_prices(plan, routes, pricing=pricing, per_centre=per_centre),
            ),
            trunk=dataclasses.replace(
                plan.problem.trunk,
                yuan_per_parcel=trunk_prices(plan, routes, pricing=pricing, per_centre=per_centre),
            ),
        )
        start = time.perf_counter()
        plan = _resolve(plan, problem)
        solved = time.perf_counter()
        routes = build_routes(plan)
        key = _key(plan)
        repeated = key in seen
        seen.setdefault(key, k)
        history.append((plan, routes))
        seconds = (solved - start, time.perf_counter() - solved)
        reports.append(_report(k, plan, routes, seconds, repeated=repeated))
        log.info(
            "routes round %d: siting %.0f, route-based %.0f yuan/year, %d stations, %d vans",
            k,
            reports[-1].siting_cost,
            reports[-1].route_based_cost,
            reports[-1].stations,
            reports[-1].vans,
        )
        if on_round:
            on_round(reports[-1])
        if repeated:
            break
    best = min(range(len(reports)), key=lambda i: (reports[i].route_based_cost, i))
    chosen = history[best][0] if best == 0 else _at_scenario_prices(first, history[best][0])
    return chosen, history[best][1], reports


def _at_scenario_prices(first: Plan, found: Plan) -> Plan:
    """Re-verify a re-priced round's plan, and its all-van comparison, at the scenario's prices."""
    problem = first.problem
    report = verify(problem, found.solution, check_objective=False)
    if not report.ok:
        details = "; ".join(str(v) for v in report.violations[:5])
        msg = f"the re-priced plan failed verification at the scenario's prices ({details})"
        raise VerificationError(msg)
    fields = {f.name for f in dataclasses.fields(Plan)}
    extra = {}
    if "all_van" in fields and first.all_van is not None:
        extra["all_van"] = price_without_buses(problem, found.solution, first.scenario)
    if "own_village" in fields:  # one station per village, solved at the scenario's prices too
        extra["own_village"] = first.own_village
    return dataclasses.replace(found, assembly=first.assembly, verification=report, **extra)


def rounds_table(reports: list[RoundReport]) -> pd.DataFrame:
    """
    Tabulate round reports, one row per round.

    Parameters
    ----------
    reports
        From :func:`solve_with_routes`.

    Returns
    -------
    pandas.DataFrame
        The :class:`RoundReport` fields as columns, plus ``best`` marking the returned round.
    """
    frame = pd.DataFrame([dataclasses.asdict(r) for r in reports])
    if len(frame):
        frame["best"] = frame.index == frame["route_based_cost"].idxmin()
    return frame
