"""The small MIPs of the scenario's options: the ``[cold_chain]`` choice and the ``[lockers]`` sizing.

Both run after the siting solve (:mod:`ruralnet.solve`) on a fixed network, with the same
backends; their plans are checked by :mod:`ruralnet.cold_verify` and
:mod:`ruralnet.lockers_verify`.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass

import numpy as np
from ortools.math_opt.python import mathopt

from ruralnet.errors import InfeasibleError, SolverError
from ruralnet.model import ChoiceModel
from ruralnet.problem import SolveStatus
from ruralnet.settings import SolverSettings
from ruralnet.solve import (
    SOLVERS,
    TERMINATION_STATUS,
    read_flows,
    read_values,
    solve_parameters,
)

__all__ = ["ChoiceSolution", "LockerSizing", "solve_choice_model", "solve_locker_sizing"]


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
    params = solve_parameters(settings, seed=seed, time_limit_s=settings.time_limit_s)
    try:
        result = mathopt.solve(built.model, SOLVERS[settings.backend], params=params)
    except Exception as exc:  # OR-Tools raises several kinds
        msg = f"solver {settings.backend} failed: {exc.__context__ or exc}"
        raise SolverError(msg) from None
    status = _checked_status(
        result,
        infeasible="the choice model has no feasible choice",
        solver=f"solver {settings.backend}",
        nothing="choice",
    )
    chosen = read_values(result, built.choose) > 0.5  # noqa: PLR2004 - binary read-back
    option = np.full(len(built.problem.item_load), -1, dtype=np.int64)
    option[built.problem.option_item[chosen]] = np.flatnonzero(chosen)
    return ChoiceSolution(
        option=option,
        open=read_values(result, built.open) > 0.5,  # noqa: PLR2004
        trips=np.rint(read_values(result, built.trips)).astype(np.int64),
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
    status = _checked_status(
        result,
        infeasible="no locker sizing reaches the share",
        solver="locker sizing: HiGHS",
        nothing="sizing",
    )
    objective = float(result.objective_value())
    bound = float(result.termination.objective_bounds.dual_bound)
    seconds = result.solve_time().total_seconds()
    fill = _fill_lockers(mip, cost, objective, params)
    chosen = np.rint(read_values(fill, mip.groups)).astype(np.int64)
    objective = float(np.sum(site_yuan_per_group * chosen) + np.sum(site_fixed_yuan[chosen > 0]))
    via_station, via_own = _split_flows(uses, read_flows(fill, mip.x), station_site)
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


def _checked_status(
    result: mathopt.SolveResult, *, infeasible: str, solver: str, nothing: str
) -> SolveStatus:
    """Status of a solve that found a plan; raise when it proved none exists or found none."""
    status = TERMINATION_STATUS.get(result.termination.reason)
    if status is SolveStatus.INFEASIBLE:
        raise InfeasibleError(infeasible)
    if status is None or not result.has_primal_feasible_solution():
        ended = result.termination.reason.name.lower()
        msg = f"{solver} ended with {ended} and no {nothing}"
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
