"""Run OR-Tools MathOpt on a built model and read the plan back into a :class:`Solution`."""

from __future__ import annotations

import contextlib
import datetime
import logging
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace

import numpy as np
from ortools.math_opt.python import mathopt
from ortools.util.python import solve_interrupter

from ruralnet.errors import InfeasibleError, SolverError
from ruralnet.model import BuiltModel, Vars
from ruralnet.problem import Problem, Solution, SolveStatus
from ruralnet.scenario import SolverSettings

__all__ = ["SOLVERS", "solve_model"]

log = logging.getLogger(__name__)

SOLVERS = {
    "highs": mathopt.SolverType.HIGHS,
    "scip": mathopt.SolverType.GSCIP,
    "cpsat": mathopt.SolverType.CP_SAT,
}

_STATUS = {
    mathopt.TerminationReason.OPTIMAL: SolveStatus.OPTIMAL,
    mathopt.TerminationReason.FEASIBLE: SolveStatus.FEASIBLE,
    mathopt.TerminationReason.INFEASIBLE: SolveStatus.INFEASIBLE,
    mathopt.TerminationReason.NO_SOLUTION_FOUND: SolveStatus.NO_SOLUTION,
}


def _values(result: mathopt.SolveResult, variables: Sequence[mathopt.Variable]) -> np.ndarray:
    if not variables:
        return np.zeros(0)
    return np.asarray(result.variable_values(list(variables)), dtype=float)


def _flow(result: mathopt.SolveResult, variables: Sequence[mathopt.Variable]) -> np.ndarray:
    """Parcels per day, with the solver's round-off (below 1e-6) set to zero."""
    values = _values(result, variables)
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
    serve = _values(result, v.serve) > 0.5  # noqa: PLR2004
    village_station = np.full(len(p.village_ids), -1, dtype=np.int64)
    village_station[p.access.village[serve]] = p.access.station[serve]
    return Solution(
        open_station=_values(result, v.open_station) > 0.5,  # noqa: PLR2004
        open_centre=_values(result, v.open_centre) > 0.5,  # noqa: PLR2004
        open_hub=_values(result, v.open_hub) > 0.5,  # noqa: PLR2004
        village_station=village_station,
        station_centre=_chosen(v.feed_pairs, _values(result, v.feed), len(p.station_ids)),
        centre_hub=_chosen(v.supply_pairs, _values(result, v.supply), len(p.centre_ids)),
        feeder_in=_flow(result, v.feeder_in),
        feeder_out=_flow(result, v.feeder_out),
        trunk_in=_flow(result, v.trunk_in),
        trunk_out=_flow(result, v.trunk_out),
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


@contextlib.contextmanager
def _ctrl_c_stops(interrupter: solve_interrupter.SolveInterrupter) -> Iterator[None]:
    """While solving, make Ctrl-C (SIGINT) stop the solver instead of the program."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(_signum: int, _frame: object) -> None:
        log.warning("interrupted: stopping the solver and keeping the best plan found")
        interrupter.interrupt()

    previous = signal.signal(signal.SIGINT, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


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
        far is returned with status ``INTERRUPTED``, instead of aborting the program.

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
    """
    params = mathopt.SolveParameters(
        time_limit=datetime.timedelta(seconds=settings.time_limit_s),
        relative_gap_tolerance=settings.relative_gap,
        absolute_gap_tolerance=1e-6,
        # HiGHS takes its thread count from a global, not a per-solve parameter
        threads=None if settings.backend == "highs" else settings.threads,
        random_seed=seed,
    )
    interrupter = interrupter or solve_interrupter.SolveInterrupter()
    guard = _ctrl_c_stops(interrupter) if stop_on_ctrl_c else contextlib.nullcontext()
    try:
        with guard:
            result = mathopt.solve(
                built.model,
                SOLVERS[settings.backend],
                params=params,
                msg_cb=(lambda lines: [on_log(line) for line in lines]) if on_log else None,
                interrupter=interrupter,
            )
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
    status = _STATUS.get(reason)
    if result.termination.limit == mathopt.Limit.INTERRUPTED and status is SolveStatus.FEASIBLE:
        status = SolveStatus.INTERRUPTED
    if status is SolveStatus.INFEASIBLE:
        msg = "the model has no feasible plan"
        raise InfeasibleError(msg)
    if (
        result.termination.limit == mathopt.Limit.INTERRUPTED
        and not result.has_primal_feasible_solution()
    ):
        msg = "interrupted before the solver found any plan; nothing was written"
        raise SolverError(msg)
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
