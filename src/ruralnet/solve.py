"""Run OR-Tools MathOpt on a built model and read the plan back into a :class:`Solution`."""

from __future__ import annotations

import contextlib
import datetime
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np
from ortools.math_opt.python import mathopt
from ortools.util.python import solve_interrupter

from ruralnet.errors import InfeasibleError, SolverError
from ruralnet.model import BuiltModel, Vars
from ruralnet.problem import Problem, Solution, SolveStatus
from ruralnet.settings import SolverSettings
from ruralnet.solve_stop import (
    CtrlC,
    Stopped,
    ctrl_c_stops,
    run_heeding_stop,
    stopped_without_plan,
)

__all__ = [
    "SOLVERS",
    "TERMINATION_STATUS",
    "read_flows",
    "read_values",
    "solve_model",
    "solve_parameters",
]

log = logging.getLogger(__name__)

SOLVERS = {
    "highs": mathopt.SolverType.HIGHS,
    "scip": mathopt.SolverType.GSCIP,
    "cpsat": mathopt.SolverType.CP_SAT,
}

_SHUT = 1e-6  # a site at most this open in the LP relaxation is closed for the first MIP

TERMINATION_STATUS = {
    mathopt.TerminationReason.OPTIMAL: SolveStatus.OPTIMAL,
    mathopt.TerminationReason.FEASIBLE: SolveStatus.FEASIBLE,
    mathopt.TerminationReason.INFEASIBLE: SolveStatus.INFEASIBLE,
    mathopt.TerminationReason.NO_SOLUTION_FOUND: SolveStatus.NO_SOLUTION,
}


def read_values(result: mathopt.SolveResult, variables: Sequence[mathopt.Variable]) -> np.ndarray:
    """Read the solver's values of ``variables`` into a float array."""
    if not variables:
        return np.zeros(0)
    return np.asarray(result.variable_values(list(variables)), dtype=float)


def read_flows(result: mathopt.SolveResult, variables: Sequence[mathopt.Variable]) -> np.ndarray:
    """Read parcels per day, with the solver's round-off (below 1e-6) set to zero."""
    values = read_values(result, variables)
    return np.where(values > 1e-6, values, 0.0)  # noqa: PLR2004


def _chosen(pairs: list[tuple[int, int]], values: np.ndarray, size: int) -> np.ndarray:
    out = np.full(size, -1, dtype=np.int64)
    for (first, second), value in zip(pairs, values, strict=True):
        if value > 0.5:  # noqa: PLR2004 - binary read-back
            out[first] = second
    return out


def _phase_solution(
    p: Problem, v: Vars, result: mathopt.SolveResult, status: SolveStatus, backend: str
) -> Solution:
    serve = read_values(result, v.serve) > 0.5  # noqa: PLR2004
    village_station = np.full(len(p.village_ids), -1, dtype=np.int64)
    village_station[p.access.village[serve]] = p.access.station[serve]
    return Solution(
        open_station=read_values(result, v.open_station) > 0.5,  # noqa: PLR2004
        open_centre=read_values(result, v.open_centre) > 0.5,  # noqa: PLR2004
        open_hub=read_values(result, v.open_hub) > 0.5,  # noqa: PLR2004
        village_station=village_station,
        station_centre=_chosen(v.feed_pairs, read_values(result, v.feed), len(p.station_ids)),
        centre_hub=_chosen(v.supply_pairs, read_values(result, v.supply), len(p.centre_ids)),
        feeder_in=read_flows(result, v.feeder_in),
        feeder_out=read_flows(result, v.feeder_out),
        trunk_in=read_flows(result, v.trunk_in),
        trunk_out=read_flows(result, v.trunk_out),
        status=status,
        objective=float(result.objective_value()),
        best_bound=float(result.termination.objective_bounds.dual_bound),
        seconds=result.solve_time().total_seconds(),
        solver=backend,
    )


def _solution(
    built: BuiltModel, result: mathopt.SolveResult, status: SolveStatus, backend: str
) -> Solution:
    phases = [
        _phase_solution(p, v, result, status, backend)
        for p, v in zip(built.phase_problems, built.phase_vars, strict=True)
    ]
    if len(phases) == 1:
        return phases[0]
    values = result.variable_values()
    phases = [
        replace(sol, objective=float(mathopt.evaluate_expression(expr, values)), best_bound=np.nan)
        for sol, expr in zip(phases, built.phase_objectives, strict=True)
    ]
    return replace(
        phases[-1],
        objective=float(result.objective_value()),
        best_bound=float(result.termination.objective_bounds.dual_bound),
        phases=tuple(phases),
    )


def solve_parameters(
    settings: SolverSettings, *, seed: int, time_limit_s: float
) -> mathopt.SolveParameters:
    """
    Turn ``[solver]`` into MathOpt parameters: gap, threads, seed and a time limit.

    Parameters
    ----------
    settings
        Backend, relative gap and threads.
    seed
        Solver random seed.
    time_limit_s
        Seconds the solve may take (a negative value counts as 0).

    Returns
    -------
    mathopt.SolveParameters
        With an absolute gap of 1e-6; no thread count for HiGHS.
    """
    return mathopt.SolveParameters(
        time_limit=datetime.timedelta(seconds=max(time_limit_s, 0.0)),
        relative_gap_tolerance=settings.relative_gap,
        absolute_gap_tolerance=1e-6,
        # HiGHS takes its thread count from a global, not a per-solve parameter
        threads=None if settings.backend == "highs" else settings.threads,
        random_seed=seed,
    )


class _Runner:
    """One configured solve of a built model, run against a shared clock and interrupter."""

    def __init__(
        self,
        built: BuiltModel,
        settings: SolverSettings,
        seed: int,
        on_log: Callable[[str], None] | None,
        interrupter: solve_interrupter.SolveInterrupter,
        ctrl_c: CtrlC | None = None,
    ) -> None:
        self.built, self.settings, self.seed = built, settings, seed
        self.on_log, self.interrupter, self.ctrl_c = on_log, interrupter, ctrl_c
        self.started = time.monotonic()

    def left_s(self) -> float:
        """Seconds left of ``[solver].time_limit_s``."""
        return self.settings.time_limit_s - (time.monotonic() - self.started)

    def solve(self) -> mathopt.SolveResult:
        """Solve the model as it stands, within the time left; none starts after a stop request."""
        if self.interrupter.interrupted:
            msg = "interrupted before the solver found any plan"
            raise Stopped(msg)
        params = solve_parameters(self.settings, seed=self.seed, time_limit_s=self.left_s())
        on_log = self.on_log

        def call() -> mathopt.SolveResult:
            return mathopt.solve(
                self.built.model,
                SOLVERS[self.settings.backend],
                params=params,
                msg_cb=(lambda lines: [on_log(line) for line in lines]) if on_log else None,
                interrupter=self.interrupter,
            )

        if self.ctrl_c is None:
            return call()
        return run_heeding_stop(call, self.interrupter, self.ctrl_c, self.settings.backend)

    def elapsed(self) -> datetime.timedelta:
        """Wall time since the runner started."""
        return datetime.timedelta(seconds=time.monotonic() - self.started)


def _site_vars(built: BuiltModel) -> list[mathopt.Variable]:
    return [var for v in built.phase_vars for var in (*v.open_station, *v.open_centre)]


def _free_sites(built: BuiltModel) -> bool:
    """Whether any station or centre is left to choose (not pinned by ``fixed=``)."""
    return any(var.lower_bound < var.upper_bound for var in _site_vars(built))


def _relaxation(run: _Runner) -> mathopt.SolveResult:
    """Solve the LP relaxation: the model with every integer variable made continuous."""
    integer = [var for var in run.built.model.variables() if var.integer]
    for var in integer:
        var.integer = False
    try:
        return run.solve()
    finally:
        for var in integer:
            var.integer = True


def _restricted(run: _Runner, shut: list[mathopt.Variable]) -> mathopt.SolveResult:
    """Solve the MIP with the sites in ``shut`` closed."""
    bounds = [var.upper_bound for var in shut]
    for var in shut:
        var.upper_bound = 0.0
    try:
        return run.solve()
    finally:
        for var, upper in zip(shut, bounds, strict=True):
            var.upper_bound = upper


def _with_bound(
    result: mathopt.SolveResult, bound: float, reason: mathopt.TerminationReason, run: _Runner
) -> mathopt.SolveResult:
    """Give ``result`` another proven bound and termination reason, timed from the start."""
    termination = replace(
        result.termination,
        reason=reason,
        objective_bounds=replace(result.termination.objective_bounds, dual_bound=bound),
    )
    stats = replace(result.solve_stats, solve_time=run.elapsed())
    return replace(result, termination=termination, solve_stats=stats)


def _screened(run: _Runner) -> mathopt.SolveResult:
    """
    Solve in two steps, guided by the LP relaxation.

    Sites the LP relaxation leaves entirely shut (value at most 1e-6) are closed and the
    smaller MIP is solved. Its plan is accepted when it lies within ``[solver].relative_gap``
    of the LP bound, which bounds the full model too; otherwise the full model is solved
    afresh (and the better of the two plans kept). Facility-location LPs are tight, so with
    a gap target like 1 % large counties stop after the first step.
    """
    relaxed = _relaxation(run)
    if relaxed.termination.reason != mathopt.TerminationReason.OPTIMAL:
        return run.solve()  # no LP optimum (limit, interrupt, infeasible): let the MIP say why
    lp_bound = float(relaxed.objective_value())
    sites = _site_vars(run.built)
    values = relaxed.variable_values(sites)
    shut = [var for var, value in zip(sites, values, strict=True) if value <= _SHUT]
    log.info(
        "LP relaxation %.2f in %.1f s; %d of %d sites shut in it",
        lp_bound,
        run.elapsed().total_seconds(),
        len(shut),
        len(sites),
    )
    first = _restricted(run, shut) if shut else None
    if first is None or not first.has_primal_feasible_solution():
        return run.solve() if first is None or run.left_s() > 0 else first
    gap = _relative_gap(float(first.objective_value()), lp_bound)
    log.info("restricted MIP %.2f: %.2g above the LP bound", first.objective_value(), gap)
    if gap <= run.settings.relative_gap:
        return _with_bound(first, lp_bound, mathopt.TerminationReason.OPTIMAL, run)
    if (
        first.termination.limit == mathopt.Limit.INTERRUPTED
        or run.interrupter.interrupted  # a stop request HiGHS did not hear: keep this plan
        or run.left_s() <= 0
    ):
        return _with_bound(first, lp_bound, mathopt.TerminationReason.FEASIBLE, run)
    # HiGHS searches longer when handed a starting plan (measured), so start afresh
    log.info("restricted plan not within the gap: solving the full model")
    full = run.solve()
    if full.has_primal_feasible_solution() and full.objective_value() <= first.objective_value():
        return _with_bound(
            full, float(full.termination.objective_bounds.dual_bound), full.termination.reason, run
        )
    bound = max(lp_bound, float(full.termination.objective_bounds.dual_bound))
    return _with_bound(
        first, min(bound, float(first.objective_value())), mathopt.TerminationReason.FEASIBLE, run
    )


def _relative_gap(objective: float, bound: float) -> float:
    return (objective - bound) / max(abs(objective), 1e-9)


def solve_model(
    built: BuiltModel,
    settings: SolverSettings,
    *,
    seed: int = 0,
    on_log: Callable[[str], None] | None = None,
    interrupter: solve_interrupter.SolveInterrupter | None = None,
    stop_on_ctrl_c: bool = True,
) -> Solution:
    """
    Solve a built model with the configured OR-Tools backend.

    Parameters
    ----------
    built
        The model from :func:`ruralnet.model.build_model`.
    settings
        Backend, time limit, gap and threads.
    seed
        Solver random seed; with one thread the same seed gives the same plan.
    on_log
        Called with each line of the solver's log (incumbent, bound, gap as it goes).
    interrupter
        Lets another thread stop the solve; the best plan found so far is returned.
    stop_on_ctrl_c
        While solving (in the main thread), Ctrl-C stops the solver and the best plan found so
        far is returned with status ``INTERRUPTED``, instead of aborting the program. The
        solve then runs in a worker thread, so Ctrl-C is heard at once; a solver that does not
        stop on request (HiGHS) is waited for ``_STOP_WAIT_S`` (3 s), then abandoned: it runs
        on in the background to its end or time limit, and ``KeyboardInterrupt`` is raised.

    Returns
    -------
    Solution
        Status OPTIMAL or FEASIBLE (time limit with a plan), with the proven bound.

    Raises
    ------
    SolverError
        When the solver fails or stops without any plan.
    InfeasibleError
        When the solver proves that no plan exists.
    KeyboardInterrupt
        When Ctrl-C stopped the solve before it had a plan to hand over.
    """
    interrupter = interrupter or solve_interrupter.SolveInterrupter()
    guard = ctrl_c_stops(interrupter) if stop_on_ctrl_c else contextlib.nullcontext()
    ctrl_c: CtrlC | None = None
    log.info(
        "solving with %s: %d variables, %d constraints, limit %g s",
        settings.backend,
        built.model.get_num_variables(),
        built.model.get_num_linear_constraints(),
        settings.time_limit_s,
    )
    try:
        with guard as ctrl_c:
            run = _Runner(built, settings, seed, on_log, interrupter, ctrl_c)
            if settings.screens and settings.backend != "cpsat" and _free_sites(built):
                result = _screened(run)
            else:
                result = run.solve()
    except Stopped as stop:
        stopped_without_plan(str(stop), ctrl_c)
    except Exception as exc:  # OR-Tools raises several kinds (and may fail to wrap its status)
        detail = str(exc.__context__ or exc)
        msg = f"solver {settings.backend} failed: {detail}"
        if settings.backend == "cpsat" and "MODEL_INVALID" in detail:
            msg += (
                "; CP-SAT treats the continuous parcel flows as integers and cannot hold fractional "
                'parcels per day: use [solver].backend = "highs" (default) or "scip"'
            )
        raise SolverError(msg) from None
    reason = result.termination.reason
    status = TERMINATION_STATUS.get(reason)
    if status in {SolveStatus.FEASIBLE, SolveStatus.OPTIMAL} and (
        result.termination.limit == mathopt.Limit.INTERRUPTED or interrupter.interrupted
    ):
        # stopped on request (Ctrl-C): the run ends with this plan, even when the solver
        # finished before it saw the request (HiGHS does not stop inside every phase)
        status = SolveStatus.INTERRUPTED
    if ctrl_c is not None and ctrl_c.presses and not result.has_primal_feasible_solution():
        stopped_without_plan("interrupted before the solver found any plan", ctrl_c)
    if status is SolveStatus.INFEASIBLE:
        msg = "the model has no feasible plan"
        raise InfeasibleError(msg)
    if (
        result.termination.limit == mathopt.Limit.INTERRUPTED
        and not result.has_primal_feasible_solution()
    ):
        stopped_without_plan("interrupted before the solver found any plan", None)
    if reason == mathopt.TerminationReason.NO_SOLUTION_FOUND:
        msg = (
            f"solver {settings.backend} found no plan within its limit ({settings.time_limit_s:g} s); "
            "raise [solver].time_limit_s (or --time-limit)"
        )
        raise SolverError(msg)
    if status is None or not result.has_primal_feasible_solution():
        msg = f"solver {settings.backend} ended with {reason.name.lower()} and no plan: {result.termination.detail}"
        raise SolverError(msg)
    log.info(
        "solved with %s: %s, objective %.2f, bound %.2f in %.1f s",
        settings.backend,
        status.value,
        result.objective_value(),
        result.termination.objective_bounds.dual_bound,
        result.solve_time().total_seconds(),
    )
    return _solution(built, result, status, settings.backend)
