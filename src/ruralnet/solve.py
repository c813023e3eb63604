"""Run OR-Tools MathOpt on a built model and read the plan back into a :class:`Solution`."""

from __future__ import annotations

import atexit
import contextlib
import datetime
import logging
import math
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, NoReturn

import numpy as np
from ortools.math_opt.python import mathopt
from ortools.util.python import solve_interrupter

from ruralnet.errors import InfeasibleError, SolverError
from ruralnet.model import BuiltModel, ChoiceModel, Vars
from ruralnet.problem import Problem, Solution, SolveStatus
from ruralnet.settings import SolverSettings

__all__ = [
    "SOLVERS",
    "ChoiceSolution",
    "LockerSizing",
    "solve_choice_model",
    "solve_locker_sizing",
    "solve_model",
]

log = logging.getLogger(__name__)

SOLVERS = {
    "highs": mathopt.SolverType.HIGHS,
    "scip": mathopt.SolverType.GSCIP,
    "cpsat": mathopt.SolverType.CP_SAT,
}

_SHUT = 1e-6  # a site at most this open in the LP relaxation is closed for the first MIP

#: After a stop request (Ctrl-C), seconds a solve is given to stop and hand over its best plan
#: before it is abandoned. OR-Tools' HiGHS backend does not hear MathOpt's interrupter (9.15,
#: measured: it runs on to its end or its time limit), so HiGHS only gets a moment in case it
#: is finishing; SCIP and CP-SAT stop within a second and read their plan back.
_STOP_WAIT_S = {"highs": 3.0, "scip": 30.0, "cpsat": 30.0}
_POLL_S = 0.1  # how often the waiting main thread looks at the worker (it hears Ctrl-C at once)
_ASKED = {
    "highs": "interrupted: %s cannot be stopped inside a solve; waiting %g s in case it is "
    "finishing, then stopping without a plan (Ctrl-C again: at once)",
    "scip": "interrupted: asking %s to stop; waiting up to %g s for its best plan "
    "(Ctrl-C again: stop at once, without a plan)",
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


class _Stopped(Exception):  # noqa: N818 - not an error: a stop request was obeyed
    """A stop request ended the solve without a plan to keep."""


_ABANDONED: list[threading.Thread] = []  # solves given up after Ctrl-C, running on


def _end_at_exit_if_abandoned() -> None:
    """
    At exit, end the process at once while an abandoned solve still runs.

    The normal exit tears down the solver's C++ globals under the running solve, which aborts
    the process (HiGHS: "terminate called without an active exception", exit -6, measured),
    so streams and logs are flushed and the process ends here with 130 (interrupted).
    """
    if not any(worker.is_alive() for worker in _ABANDONED):
        return
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(130)


def _abandon(worker: threading.Thread) -> None:
    if not _ABANDONED:
        atexit.register(_end_at_exit_if_abandoned)
    _ABANDONED.append(worker)


class _CtrlC:
    """The Ctrl-C presses heard while solving (counted by the SIGINT handler)."""

    def __init__(self) -> None:
        self.presses = 0


class _Runner:
    """One configured solve of a built model, run against a shared clock and interrupter."""

    def __init__(
        self,
        built: BuiltModel,
        settings: SolverSettings,
        seed: int,
        on_log: Callable[[str], None] | None,
        interrupter: solve_interrupter.SolveInterrupter,
        ctrl_c: _CtrlC | None = None,
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
            raise _Stopped(msg)
        params = mathopt.SolveParameters(
            time_limit=datetime.timedelta(seconds=max(self.left_s(), 0.0)),
            relative_gap_tolerance=self.settings.relative_gap,
            absolute_gap_tolerance=1e-6,
            # HiGHS takes its thread count from a global, not a per-solve parameter
            threads=None if self.settings.backend == "highs" else self.settings.threads,
            random_seed=self.seed,
        )
        on_log = self.on_log

        def call() -> mathopt.SolveResult:
            return mathopt.solve(
                self.built.model,
                SOLVERS[self.settings.backend],
                params=params,
                msg_cb=(lambda lines: [on_log(line) for line in lines]) if on_log else None,
                interrupter=self.interrupter,
            )

        return call() if self.ctrl_c is None else self._waited(call)

    def _waited(self, call: Callable[[], mathopt.SolveResult]) -> mathopt.SolveResult:
        """
        Run ``call`` in a worker thread while this (main) thread waits, hearing Ctrl-C at once.

        The solver releases the GIL, but Python runs signal handlers only in the main thread
        and only between bytecodes: a main thread inside the solver would hear Ctrl-C at the
        solver's next log line at best. A solver that obeys the stop request hands over its
        result; one that does not (HiGHS) is abandoned after ``_STOP_WAIT_S``, or at a second
        Ctrl-C: it runs on in its daemon thread to its end or time limit and is never read
        (a process that exits meanwhile ends with 130, see :func:`_end_at_exit_if_abandoned`).
        """
        box: dict[str, Any] = {}

        def work() -> None:
            try:
                box["result"] = call()
            except BaseException as exc:  # handed to the waiting thread, re-raised there
                box["error"] = exc

        worker = threading.Thread(target=work, name="ruralnet-solve", daemon=True)
        worker.start()
        backend = self.settings.backend
        wait, asked = _STOP_WAIT_S.get(backend, 3.0), None
        while worker.is_alive():
            worker.join(_POLL_S)
            if not worker.is_alive() or not self.interrupter.interrupted:
                continue
            if asked is None:
                asked = time.monotonic()
                log.warning(_ASKED.get(backend, _ASKED["scip"]), backend, wait)
            if time.monotonic() - asked >= wait or (self.ctrl_c and self.ctrl_c.presses > 1):
                _abandon(worker)
                msg = f"interrupted: {backend} did not stop; abandoned it without a plan"
                raise _Stopped(msg)
        if "error" in box:
            raise box["error"]
        return box["result"]

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


@contextlib.contextmanager
def _ctrl_c_stops(interrupter: solve_interrupter.SolveInterrupter) -> Iterator[_CtrlC | None]:
    """While solving, make Ctrl-C (SIGINT) stop the solver instead of the program.

    Yields the presses heard (``None`` outside the main thread, where no handler can be set).
    """
    if threading.current_thread() is not threading.main_thread():
        yield None
        return
    ctrl_c = _CtrlC()

    def stop(_signum: int, _frame: object) -> None:
        ctrl_c.presses += 1
        interrupter.interrupt()

    previous = signal.signal(signal.SIGINT, stop)
    try:
        yield ctrl_c
    finally:
        signal.signal(signal.SIGINT, previous)


def _stopped_without_plan(detail: str, ctrl_c: _CtrlC | None) -> NoReturn:
    """End a solve that a stop request left without a plan: after Ctrl-C, the program too."""
    if ctrl_c is not None and ctrl_c.presses:
        log.warning("%s", detail)
        raise KeyboardInterrupt from None
    msg = f"{detail}; nothing was written"
    raise SolverError(msg) from None


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
    guard = _ctrl_c_stops(interrupter) if stop_on_ctrl_c else contextlib.nullcontext()
    ctrl_c: _CtrlC | None = None
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
    except _Stopped as stop:
        _stopped_without_plan(str(stop), ctrl_c)
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
    if status in {SolveStatus.FEASIBLE, SolveStatus.OPTIMAL} and (
        result.termination.limit == mathopt.Limit.INTERRUPTED or interrupter.interrupted
    ):
        # stopped on request (Ctrl-C): the run ends with this plan, even when the solver
        # finished before it saw the request (HiGHS does not stop inside every phase)
        status = SolveStatus.INTERRUPTED
    if ctrl_c is not None and ctrl_c.presses and not result.has_primal_feasible_solution():
        _stopped_without_plan("interrupted before the solver found any plan", ctrl_c)
    if status is SolveStatus.INFEASIBLE:
        msg = "the model has no feasible plan"
        raise InfeasibleError(msg)
    if (
        result.termination.limit == mathopt.Limit.INTERRUPTED
        and not result.has_primal_feasible_solution()
    ):
        _stopped_without_plan("interrupted before the solver found any plan", None)
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


@dataclass(frozen=True)
class ChoiceSolution:
    """The options chosen in a :class:`~ruralnet.model.ChoiceProblem`, as arrays."""

    option: np.ndarray  # chosen option index per item
    open: np.ndarray  # bool per facility
    trips: np.ndarray  # daily trips per leg
    status: SolveStatus
    objective: float
    best_bound: float
    seconds: float

    @property
    def gap(self) -> float:
        """Proven relative gap between the objective and the best bound."""
        if self.objective == 0 or not np.isfinite(self.best_bound):
            return 0.0 if self.objective == self.best_bound else float("inf")
        return max(0.0, (self.objective - self.best_bound) / abs(self.objective))


def solve_choice_model(
    built: ChoiceModel, settings: SolverSettings, *, seed: int = 0
) -> ChoiceSolution:
    """
    Solve a choice model with the configured backend, limit and gap.

    Parameters
    ----------
    built
        The model from :func:`ruralnet.model.build_choice_model`.
    settings
        Backend, time limit, gap and threads (``[solver]``).
    seed
        Solver random seed.

    Returns
    -------
    ChoiceSolution
        Status OPTIMAL or FEASIBLE (time limit with a choice), with the proven bound.

    Raises
    ------
    SolverError
        When the solver fails or stops without a choice.
    InfeasibleError
        When no choice meets the capacities.
    """
    params = mathopt.SolveParameters(
        time_limit=datetime.timedelta(seconds=settings.time_limit_s),
        relative_gap_tolerance=settings.relative_gap,
        absolute_gap_tolerance=1e-6,
        threads=None if settings.backend == "highs" else settings.threads,
        random_seed=seed,
    )
    try:
        result = mathopt.solve(built.model, SOLVERS[settings.backend], params=params)
    except Exception as exc:  # OR-Tools raises several kinds
        msg = f"solver {settings.backend} failed: {exc.__context__ or exc}"
        raise SolverError(msg) from None
    status = _STATUS.get(result.termination.reason)
    if status is SolveStatus.INFEASIBLE:
        msg = "the choice model has no feasible choice"
        raise InfeasibleError(msg)
    if status is None or not result.has_primal_feasible_solution():
        msg = f"solver {settings.backend} ended with {result.termination.reason.name.lower()} and no choice"
        raise SolverError(msg)
    chosen = _values(result, built.choose) > 0.5  # noqa: PLR2004 - binary read-back
    option = np.full(len(built.problem.item_load), -1, dtype=np.int64)
    option[built.problem.option_item[chosen]] = np.flatnonzero(chosen)
    return ChoiceSolution(
        option=option,
        open=_values(result, built.open) > 0.5,  # noqa: PLR2004
        trips=np.rint(_values(result, built.trips)).astype(np.int64),
        status=status,
        objective=float(result.objective_value()),
        best_bound=float(result.termination.objective_bounds.dual_bound),
        seconds=result.solve_time().total_seconds(),
    )


def _split_flows(
    uses: list[tuple[int, int]], flows: np.ndarray, station_site: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per village: locker parcels at its station's site and at its own village site."""
    via_station = np.zeros(len(station_site))
    via_own = np.zeros(len(station_site))
    for (v, j), flow in zip(uses, flows, strict=True):
        (via_station if j == station_site[v] else via_own)[v] += flow
    return via_station, via_own


@dataclass(frozen=True)
class LockerSizing:
    """Locker groups and locker parcels per site, as the sizing MIP chose them."""

    groups: np.ndarray  # int, per site
    via_station: np.ndarray  # per village: its parcels per day in its station's lockers
    via_own: np.ndarray  # per village: its parcels per day in its own village's lockers
    status: SolveStatus
    objective: float  # yuan per year
    best_bound: float
    seconds: float


def solve_locker_sizing(  # noqa: PLR0913 - the data of a small MIP, all keyword-only
    *,
    village_parcels: np.ndarray,
    station_site: np.ndarray,
    own_site: np.ndarray,
    village_scope: np.ndarray,
    scope_need: np.ndarray,
    site_yuan_per_group: np.ndarray,
    site_fixed_yuan: np.ndarray,
    parcels_per_group: float,
    max_groups: int,
    time_limit_s: float = 60.0,
) -> LockerSizing:
    """
    Size smart-locker groups for a fixed siting: the fewest yearly yuan that meet the share.

    Sites ``j`` (stations, villages), villages ``v`` with delivered parcels ``d[v]`` that may
    use their station's site and their own village site (where they have one)::

        min  sum_j (f[j] n[j] + e[j] o[j])
        n[j] in {0..N} integer, o[j] in {0,1}, x[v,j] >= 0
        sum_j x[v,j] <= d[v]                     each parcel delivered once
        sum_v x[v,j] <= c n[j]                   locker capacity at the site
        n[j] <= N o[j]                           a site with groups pays its fixed cost
        sum_(v in k) sum_j x[v,j] >= need[k]     the share in every scope k
        sum_(j used by k) n[j] >= ceil(need[k] / c)   (a valid cut that closes the LP gap)

    HiGHS solves it to a zero gap; then, among the sizings of that cost, a second MIP picks
    the one whose lockers deliver the most parcels (lockers take every parcel they can hold).

    Parameters
    ----------
    village_parcels
        Parcels delivered per day to each village (0 where it is not served).
    station_site, own_site
        Per village, the site index of its station and of its own village site (-1: none).
    village_scope
        Per village, its share scope (-1: counted nowhere).
    scope_need
        Locker parcels per day each scope needs.
    site_yuan_per_group, site_fixed_yuan
        Yearly yuan per group, and per site that has groups, of every site.
    parcels_per_group
        Compartments x turnover.
    max_groups
        Most groups per site.
    time_limit_s
        Limit per solve.

    Returns
    -------
    LockerSizing
        Groups per site, each village's locker parcels per day at its station and in its own
        village, the MIP's status, cost and bound.

    Raises
    ------
    InfeasibleError
        When no sizing reaches every scope's need.
    SolverError
        When HiGHS stops without a sizing.
    """
    uses = _locker_uses(village_parcels, station_site, own_site)
    mip = _locker_variables(uses, len(site_yuan_per_group), max_groups)
    _add_locker_capacity(mip, village_parcels, parcels_per_group, max_groups)
    _add_locker_share(mip, village_scope, scope_need, parcels_per_group)
    cost = _locker_cost(mip, site_yuan_per_group, site_fixed_yuan)
    mip.model.minimize(cost)
    params = mathopt.SolveParameters(
        time_limit=datetime.timedelta(seconds=time_limit_s),
        relative_gap_tolerance=0.0,
        absolute_gap_tolerance=1e-6,
        random_seed=0,
    )
    result = mathopt.solve(mip.model, mathopt.SolverType.HIGHS, params=params)
    status = _locker_status(result)
    objective = float(result.objective_value())
    bound = float(result.termination.objective_bounds.dual_bound)
    seconds = result.solve_time().total_seconds()
    fill = _fill_lockers(mip, cost, objective, params)
    chosen = np.rint(_values(fill, mip.groups)).astype(np.int64)
    objective = float(np.sum(site_yuan_per_group * chosen) + np.sum(site_fixed_yuan[chosen > 0]))
    via_station, via_own = _split_flows(uses, _flow(fill, mip.x), station_site)
    return LockerSizing(groups=chosen, via_station=via_station, via_own=via_own, status=status,
                        objective=objective, best_bound=bound, seconds=seconds)  # fmt: skip


@dataclass(frozen=True)
class _LockerMip:
    """The locker-sizing model with its variables, in the order they were added."""

    model: mathopt.Model
    uses: list[tuple[int, int]]  # (village, site) pairs that x runs over
    groups: list[mathopt.Variable]  # n[j], integer
    used: list[mathopt.Variable]  # o[j], binary
    x: list[mathopt.Variable]  # x[v,j], one per use


def _locker_uses(
    village_parcels: np.ndarray, station_site: np.ndarray, own_site: np.ndarray
) -> list[tuple[int, int]]:
    """List the (village, site) pairs a served village may use: its station's and its own."""
    return [
        (v, int(j))
        for v in range(len(village_parcels))
        if village_parcels[v] > 0
        for j in (station_site[v], own_site[v])
        if j >= 0
    ]


def _locker_variables(uses: list[tuple[int, int]], n_sites: int, max_groups: int) -> _LockerMip:
    """Create the model and its variables n[j], o[j] and x[v,j]."""
    model = mathopt.Model(name="lockers")
    groups = [
        model.add_integer_variable(lb=0, ub=max_groups, name=f"n_{j}") for j in range(n_sites)
    ]
    used = [model.add_binary_variable(name=f"o_{j}") for j in range(n_sites)]
    x = [model.add_variable(lb=0.0, name=f"x_{v}_{j}") for v, j in uses]
    return _LockerMip(model=model, uses=uses, groups=groups, used=used, x=x)


def _add_locker_capacity(
    mip: _LockerMip, village_parcels: np.ndarray, parcels_per_group: float, max_groups: int
) -> None:
    """Add the rows: each parcel once, locker capacity per site, a site with groups is used."""
    by_village: dict[int, list[mathopt.Variable]] = {}
    by_site: dict[int, list[mathopt.Variable]] = {}
    for (v, j), var in zip(mip.uses, mip.x, strict=True):
        by_village.setdefault(v, []).append(var)
        by_site.setdefault(j, []).append(var)
    for v, parts in by_village.items():
        mip.model.add_linear_constraint(mathopt.fast_sum(parts) <= float(village_parcels[v]))
    for j, (groups, used) in enumerate(zip(mip.groups, mip.used, strict=True)):
        mip.model.add_linear_constraint(
            mathopt.fast_sum(by_site.get(j, [])) <= parcels_per_group * groups
        )
        mip.model.add_linear_constraint(groups <= max_groups * used)


def _add_locker_share(
    mip: _LockerMip, village_scope: np.ndarray, scope_need: np.ndarray, parcels_per_group: float
) -> None:
    """Add each scope's share row and its cut on the groups of the sites it uses."""
    by_scope: dict[int, list[mathopt.Variable]] = {}
    scope_sites: dict[int, set[int]] = {}
    for (v, j), var in zip(mip.uses, mip.x, strict=True):
        by_scope.setdefault(int(village_scope[v]), []).append(var)
        scope_sites.setdefault(int(village_scope[v]), set()).add(j)
    for k, need in enumerate(scope_need):
        if need > 0:
            mip.model.add_linear_constraint(mathopt.fast_sum(by_scope.get(k, [])) >= float(need))
            # valid cut: the scope's sites need at least ceil(need / c) groups (closes the gap)
            sites_k = sorted(scope_sites.get(k, set()))
            least = math.ceil(float(need) / parcels_per_group - 1e-9)
            mip.model.add_linear_constraint(
                mathopt.fast_sum(mip.groups[j] for j in sites_k) >= least
            )


def _locker_cost(
    mip: _LockerMip, site_yuan_per_group: np.ndarray, site_fixed_yuan: np.ndarray
) -> mathopt.LinearSum:
    """Yearly yuan of a sizing: per group and per site that has groups."""
    return mathopt.fast_sum(
        float(site_yuan_per_group[j]) * mip.groups[j] + float(site_fixed_yuan[j]) * mip.used[j]
        for j in range(len(mip.groups))
    )


def _locker_status(result: mathopt.SolveResult) -> SolveStatus:
    """Status of the cost-minimising solve; raise when it found no sizing."""
    status = _STATUS.get(result.termination.reason)
    if status is SolveStatus.INFEASIBLE:
        msg = "no locker sizing reaches the share"
        raise InfeasibleError(msg)
    if status is None or not result.has_primal_feasible_solution():
        msg = f"locker sizing: HiGHS ended with {result.termination.reason.name.lower()} and no sizing"
        raise SolverError(msg)
    return status


def _fill_lockers(
    mip: _LockerMip,
    cost: mathopt.LinearSum,
    objective: float,
    params: mathopt.SolveParameters,
) -> mathopt.SolveResult:
    """Among the sizings of the least cost, solve for the one whose lockers take most parcels."""
    mip.model.add_linear_constraint(cost <= objective + 1e-9 * max(1.0, abs(objective)) + 1e-6)
    mip.model.maximize(mathopt.fast_sum(mip.x))
    fill = mathopt.solve(mip.model, mathopt.SolverType.HIGHS, params=params)
    if not fill.has_primal_feasible_solution():
        reason = fill.termination.reason.name.lower()
        msg = f"locker sizing: filling the lockers ended with {reason}"
        raise SolverError(msg)
    return fill
