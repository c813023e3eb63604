"""The whole data flow in one function: load -> network -> model -> solve -> verify -> Plan."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from ruralnet.assemble import Assembly, build_problem, with_coverage_rule
from ruralnet.data import Inputs, load_inputs
from ruralnet.errors import InfeasibleError, VerificationError
from ruralnet.model import build_model
from ruralnet.plan import Counterpart, Plan
from ruralnet.problem import Problem, Solution, SolveStatus
from ruralnet.scenario import Scenario, load_scenario
from ruralnet.solve import solve_model
from ruralnet.verify import VerificationReport, verify

__all__ = ["STAGES", "check_feasible", "finished", "solve"]

log = logging.getLogger(__name__)

STAGES = (
    "load data",
    "cost matrices",
    "build model",
    "solve",
    "verify",
    "all-van",
    "own-village",
)

_LISTED = 8  # ids spelled out in a message; the rest are counted

StageHook = Callable[[str], None]
LogHook = Callable[[str], None]


def check_feasible(assembly: Assembly) -> None:
    """
    Find the plain reasons no plan can exist, before the solver is asked.

    Parameters
    ----------
    assembly
        The built problem.

    Raises
    ------
    InfeasibleError
        Naming the villages with no station site within reach, with their nearest site,
        or the shortfall in station capacity.
    """
    p = assembly.problem
    reachable = np.zeros(len(p.village_ids), dtype=bool)
    reachable[p.access.village] = True
    _check_reach(p, reachable)
    peak = p.parcels * float(np.max(p.phases.demand_factor))
    room = np.zeros(len(p.village_ids))
    np.maximum.at(room, p.access.village, p.station_capacity[p.access.station])
    too_big = np.flatnonzero((peak > room + 1e-9) & reachable)
    if len(too_big) > len(p.village_ids) - p.min_covered:
        names = ", ".join(
            f"{p.village_ids[i]} ({peak[i]:.0f} > {room[i]:.0f})" for i in too_big[:5]
        )
        msg = (
            f"{len(too_big)} village(s) send more parcels per day than any station within reach "
            f"can hold ({names}); raise [station].capacity_parcels_per_day or give those sites "
            "a capacity_parcels_per_day"
        )
        raise InfeasibleError(msg)
    _check_first_budget(p)
    need = np.sort(p.parcels)[: p.min_covered].sum()
    if p.station_capacity.sum() < need:
        msg = (
            f"all station sites together hold {p.station_capacity.sum():.0f} parcels/day but the "
            f"villages to serve need {need:.0f}; raise capacities"
        )
        raise InfeasibleError(msg)


def _without_own_site(p: Problem) -> np.ndarray:
    """Villages that need a station of their own but have no candidate site in them."""
    if p.needs_own_station is None:
        return np.zeros(0, dtype=np.int64)
    has_site = np.zeros(len(p.village_ids), dtype=bool)
    if p.station_village is not None:
        has_site[p.station_village[p.station_village >= 0]] = True
    return np.flatnonzero(p.needs_own_station & ~has_site)


def _check_reach(p: Problem, reachable: np.ndarray) -> None:
    """Name the villages no station site can serve: none of their own, or none near enough.

    Villages without a site of their own are named in full (a warning when the coverage
    target can do without them, an error otherwise).
    """
    homeless = _without_own_site(p)
    far = np.setdiff1d(np.flatnonzero(~reachable), homeless)
    clauses = []
    if len(homeless):
        clauses.append(
            f"{len(homeless)} administrative village(s) have no candidate station site of their "
            f"own ({', '.join(p.village_ids[i] for i in homeless)}), which they need to be "
            "covered (一村一站)"
        )
    if len(far):
        names = ", ".join(p.village_ids[i] for i in far[:_LISTED])
        more = f" and {len(far) - _LISTED} more" if len(far) > _LISTED else ""
        clauses.append(
            f"{len(far)} village(s) have no candidate station site within the service distance "
            f"({names}{more})"
        )
    if not clauses:
        return
    if len(p.village_ids) - int(np.sum(~reachable)) >= p.min_covered:
        log.warning("%s; they cannot be covered", "; ".join(clauses))
        return
    fixes = []
    if len(homeless):
        fixes.append(
            "add a station_sites row in each village without one (the village point as a `new` "
            'site with its village_id will do), set [service].rule = "within_distance" to let '
            "villages share a station"
        )
    if len(far):
        fixes.append("add station_sites in those villages, raise [service].max_access_km")
    fix = ", ".join(fixes)
    msg = (
        f"{'; '.join(clauses)}; the coverage target needs {p.min_covered} of "
        f"{len(p.village_ids)}. {fix[0].upper()}{fix[1:]}, or lower [service].coverage_target"
    )
    raise InfeasibleError(msg)


def _check_first_budget(p: Problem) -> None:
    """Check that the first phase can pay for a centre in every township (and a hub if none exists)."""
    budget = float(p.phases.budget_yuan[0])
    if not np.isfinite(budget) or p.centre_one_off_yuan is None:
        return
    cheapest = [
        float(p.centre_one_off_yuan[p.centre_township == t].min())
        for t in range(len(p.township_ids))
    ]
    hub = (
        0.0 if p.hub_fixed.any() or p.hub_one_off_yuan is None else float(p.hub_one_off_yuan.min())
    )
    need = sum(cheapest) + hub
    if need > budget:
        msg = (
            f"phase {p.phases.names[0]}: its budget of {budget:,.0f} yuan cannot pay for a co-delivery "
            f"centre in each of the {len(cheapest)} townships (the cheapest sites cost {need:,.0f} yuan"
            f"{' with the hub' if hub else ''}); raise budget_yuan or add cheaper (existing) centre sites"
        )
        raise InfeasibleError(msg)


def explain_infeasible(problem: Problem, scenario: Scenario) -> str:
    """
    Say in planner terms why no plan exists, by solving with coverage relaxed.

    Every village may then go unserved at a large cost; the villages the relaxed plan leaves
    unserved (per phase) are those that cannot be served together with the rest, e.g. for
    lack of capacity or budget.

    Parameters
    ----------
    problem
        The infeasible problem (the plain causes were already ruled out).
    scenario
        Solver settings.

    Returns
    -------
    str
        One sentence naming the villages (and phases) at fault, or what else is wrong.
    """
    penalty = 10.0 * float(
        problem.station_yearly_yuan.sum()
        + problem.centre_yearly_yuan.sum()
        + problem.hub_yearly_yuan.sum()
        + 1.0
    )
    try:
        relaxed = finished(
            solve_model(
                build_model(problem, uncovered_penalty=penalty),
                scenario.solver,
                seed=scenario.scenario.seed,
            )
        )
    except InfeasibleError:
        return (
            "no plan exists even with villages left unserved: check that every township's centre "
            "sites can be fed from a hub and the phase budgets can pay for one centre per township"
        )
    steps = relaxed.phases or (relaxed,)
    names = problem.phases.names if relaxed.phases else ("",)
    parts = []
    for name, step in zip(names, steps, strict=True):
        need = (
            problem.for_phase(names.index(name)).min_covered
            if relaxed.phases
            else problem.min_covered
        )
        served = int(np.sum(step.village_station >= 0))
        if served < need:
            missing = [problem.village_ids[i] for i in np.flatnonzero(step.village_station < 0)]
            where = f" in {name}" if name else ""
            listed = ", ".join(missing[:_LISTED]) + (
                f" and {len(missing) - _LISTED} more" if len(missing) > _LISTED else ""
            )
            parts.append(
                f"at most {served} of {len(problem.village_ids)} villages can be served{where} "
                f"(the target needs {need}; left out: {listed})"
            )
    detail = "; ".join(parts) or "the constraints conflict"
    return (
        f"no plan meets the scenario: {detail}. Station or centre capacities, feeder distance or "
        "phase budgets are too tight for the coverage target: raise them or lower the target"
    )


def solve(
    scenario: Scenario | str | Path,
    *,
    on_stage: StageHook | None = None,
    on_solver_log: LogHook | None = None,
) -> Plan:
    """
    Plan a county: read the data, build and solve the model, verify the plan.

    Parameters
    ----------
    scenario
        A :class:`~ruralnet.scenario.Scenario` or the path of its TOML file.
    on_stage
        Called with each stage name of :data:`STAGES` as it starts (for progress displays).
    on_solver_log
        Called with each solver log line (incumbent, bound and gap as the search goes).

    Returns
    -------
    Plan
        A plan that passed independent verification.

    Raises
    ------
    ruralnet.errors.RuralnetError
        Bad input (``ScenarioError``, ``DataError``), no plan (``InfeasibleError``,
        ``SolverError``) or a plan that fails verification (``VerificationError``).
    """
    stage = on_stage or (lambda _name: None)
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    stage("load data")
    inputs = load_inputs(scenario.dataset_path)
    stage("cost matrices")
    assembly = build_problem(scenario, inputs)
    check_feasible(assembly)
    stage("build model")
    built = build_model(assembly.problem)
    stage("solve")
    try:
        solution = solve_model(
            built, scenario.solver, seed=scenario.scenario.seed, on_log=on_solver_log
        )
    except InfeasibleError:
        raise InfeasibleError(explain_infeasible(assembly.problem, scenario)) from None
    stage("verify")
    report = _verified(assembly.problem, solution)
    all_van = None
    has_buses = np.any(assembly.problem.feeder.line >= 0) or np.any(
        assembly.problem.trunk.line >= 0
    )
    if has_buses and solution.status is not SolveStatus.INTERRUPTED:
        stage("all-van")
        all_van = price_without_buses(assembly.problem, solution, scenario)
    own_village = None
    if not assembly.problem.own_village_rule and solution.status is not SolveStatus.INTERRUPTED:
        stage("own-village")
        own_village = price_own_village(assembly, scenario, inputs, report.total_yuan)
    return Plan(
        scenario=scenario,
        inputs=inputs,
        assembly=assembly,
        solution=solution,
        verification=report,
        all_van=all_van,
        own_village=own_village,
    )


def finished(solution: Solution) -> Solution:
    """
    Pass a finished solution on; one that Ctrl-C stopped stops the run.

    For the comparison solves (all-van, own village, brands, the infeasibility explanation):
    a half-finished comparison is no comparison.

    Parameters
    ----------
    solution
        A comparison's solution.

    Returns
    -------
    Solution
        The same solution, when its status is not ``INTERRUPTED``.

    Raises
    ------
    KeyboardInterrupt
        When Ctrl-C stopped the solve.
    """
    if solution.status is SolveStatus.INTERRUPTED:
        raise KeyboardInterrupt
    return solution


def _verified(problem: Problem, solution: Solution) -> VerificationReport:
    report = verify(problem, solution)
    if not report.ok:
        details = "; ".join(str(v) for v in report.violations[:5])
        msg = (
            f"the solver's plan failed verification ({len(report.violations)} problems: {details})"
        )
        raise VerificationError(msg)
    return report


def price_without_buses(
    problem: Problem, solution: Solution, scenario: Scenario
) -> VerificationReport | None:
    """
    Cost of the same stations, centres and hubs served by vans only.

    Parameters
    ----------
    problem
        The problem with bus options.
    solution
        Its verified plan.
    scenario
        Solver settings.

    Returns
    -------
    VerificationReport or None
        The verified all-van plan's report (its ``total_yuan`` is the all-van cost), or None
        when vans alone cannot serve that network (a station beyond ``max_feeder_km`` of every
        open centre).
    """
    van_problem = problem.without_buses()
    built = build_model(van_problem, fixed=solution)
    try:
        van_solution = solve_model(built, scenario.solver, seed=scenario.scenario.seed)
    except InfeasibleError:
        log.warning("the plan's network cannot be served by vans alone; no all-van comparison")
        return None
    return _verified(van_problem, finished(van_solution))


def price_own_village(
    assembly: Assembly, scenario: Scenario, inputs: Inputs, plan_yuan: float
) -> Counterpart | None:
    """
    Solve the same county with a station in every covered village (一村一站), and verify it.

    The plan of a scenario whose villages may share stations (``rule = "within_distance"``)
    is compared with it: the difference in cost is what sharing saves.

    Parameters
    ----------
    assembly
        The plan's problem, road network and snapped points.
    scenario
        The plan's scenario; its rule is replaced by ``own_village``, nothing else changes.
    inputs
        The dataset the assembly was built from.
    plan_yuan
        The plan's own verified cost (siting model), which the counterpart is compared with.

    Returns
    -------
    Counterpart or None
        The verified one-station-per-village plan, or None when the data cannot give every
        village to cover a station of its own (the reason is logged).
    """
    own = scenario.with_overrides(
        {
            "service": {
                "rule": "own_village",
                "share_below_population": None,
                "share_below_parcels_per_day": None,
            }
        }
    )
    problem = with_coverage_rule(assembly, own, inputs)
    try:
        check_feasible(replace(assembly, problem=problem))
        solution = solve_model(build_model(problem), own.solver, seed=own.scenario.seed)
    except InfeasibleError as exc:
        log.warning("no one-station-per-village comparison: %s", exc)
        return None
    return Counterpart(
        problem=problem,
        solution=finished(solution),
        verification=_verified(problem, solution),
        compared_with_yuan=plan_yuan,
    )
