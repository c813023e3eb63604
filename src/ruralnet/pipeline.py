"""The whole data flow in one function: load -> network -> model -> solve -> verify -> Plan."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ruralnet.assemble import Assembly, build_problem
from ruralnet.data import load_inputs
from ruralnet.errors import InfeasibleError, VerificationError
from ruralnet.model import build_model
from ruralnet.plan import Plan
from ruralnet.problem import Problem, Solution, SolveStatus
from ruralnet.scenario import Scenario, load_scenario
from ruralnet.solve import solve_model
from ruralnet.verify import VerificationReport, verify

__all__ = ["STAGES", "check_feasible", "solve"]

log = logging.getLogger(__name__)

STAGES = ("load data", "cost matrices", "build model", "solve", "verify", "all-van")

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
    stranded = np.flatnonzero(~reachable)
    if len(p.village_ids) - len(stranded) < p.min_covered:
        names = ", ".join(p.village_ids[i] for i in stranded[:8])
        more = f" and {len(stranded) - 8} more" if len(stranded) > 8 else ""  # noqa: PLR2004
        msg = (
            f"{len(stranded)} village(s) have no candidate station site within the service distance "
            f"({names}{more}); the coverage target needs {p.min_covered} of {len(p.village_ids)}. "
            "Add station_sites in those villages, raise [service].max_access_km, "
            "or lower [service].coverage_target"
        )
        raise InfeasibleError(msg)
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
    need = np.sort(p.parcels)[: p.min_covered].sum()
    if p.station_capacity.sum() < need:
        msg = (
            f"all station sites together hold {p.station_capacity.sum():.0f} parcels/day but the "
            f"villages to serve need {need:.0f}; raise capacities"
        )
        raise InfeasibleError(msg)


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
    solution = solve_model(
        built, scenario.solver, seed=scenario.scenario.seed, on_log=on_solver_log
    )
    stage("verify")
    report = _verified(assembly.problem, solution)
    all_van = None
    has_buses = np.any(assembly.problem.feeder.line >= 0) or np.any(
        assembly.problem.trunk.line >= 0
    )
    if has_buses and solution.status is not SolveStatus.INTERRUPTED:
        stage("all-van")
        all_van = price_without_buses(assembly.problem, solution, scenario)
    return Plan(
        scenario=scenario,
        inputs=inputs,
        assembly=assembly,
        solution=solution,
        verification=report,
        all_van=all_van,
    )


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
    return _verified(van_problem, van_solution)
