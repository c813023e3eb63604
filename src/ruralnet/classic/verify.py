"""Independent checks of classic facility-location results.

Nothing here is shared with the model code: each check starts from the input arrays and the
reported ``open`` / ``assignment`` (/ ``allocation``) and recomputes the objective and every
constraint with plain numpy. A result is any object with the attributes ``status``,
``objective``, ``bound``, ``gap``, ``open``, ``assignment`` and (CFLP) ``allocation``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ruralnet.errors import VerificationError

if TYPE_CHECKING:
    from numpy.typing import NDArray

REL_TOL = 1e-6
"""Relative tolerance of objective, bound and capacity comparisons."""

_SOLVED = ("optimal", "feasible")


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= REL_TOL * max(1.0, abs(a), abs(b))


def _sites(result: Any, m: int, problems: list[str]) -> NDArray[np.int64]:
    """Check ``open`` is sorted, unique and in range; return it as an int array."""
    sites = np.asarray(result.open)
    if sites.ndim != 1 or (sites.size and not np.issubdtype(sites.dtype, np.integer)):
        problems.append(f"open must be a 1-D integer array, got {sites.dtype} {sites.shape}")
        return np.zeros(0, np.int64)
    if sites.size and (sites.min() < 0 or sites.max() >= m):
        problems.append(f"open holds a site index outside 0..{m - 1}")
        return np.zeros(0, np.int64)
    if np.any(np.diff(sites) <= 0):
        problems.append("open must be sorted and without repeats")
    return sites.astype(np.int64)


def _bound_and_gap(result: Any, *, maximize: bool, problems: list[str]) -> None:
    """Check the bound lies on the right side of the objective and the gap matches."""
    obj, bound, gap = float(result.objective), float(result.bound), float(result.gap)
    slack = REL_TOL * max(1.0, abs(obj))
    if np.isfinite(bound):
        wrong = bound < obj - slack if maximize else bound > obj + slack
        if wrong:
            problems.append(f"bound {bound:.10g} is on the wrong side of objective {obj:.10g}")
        expected = abs(bound - obj) / max(abs(obj), 1e-9)
        if abs(expected - gap) > REL_TOL * max(1.0, expected):
            problems.append(f"gap {gap:.3g} does not match |bound - objective| / |objective|")
    elif np.isfinite(gap):
        problems.append("a finite gap needs a finite bound")
    if str(result.status) == "optimal" and not gap <= REL_TOL:
        problems.append(f"status optimal with gap {gap:.3g}")


def _objective(result: Any, value: float, problems: list[str]) -> None:
    if not _close(float(result.objective), value):
        problems.append(f"objective {result.objective:.10g} but the solution costs {value:.10g}")


def _served(
    cost: NDArray[np.float64], sites: NDArray[np.int64], result: Any, problems: list[str]
) -> NDArray[np.int64]:
    """Check every client is assigned to a nearest open site; return the assignment."""
    n = cost.shape[0]
    a = np.asarray(result.assignment)
    if a.shape != (n,) or not np.isin(a, sites).all():
        problems.append("every client must be assigned to an open site")
        return np.zeros(0, np.int64)
    nearest = cost[:, sites].min(axis=1)
    got = cost[np.arange(n), a]
    worse = np.flatnonzero(got > nearest + REL_TOL * np.maximum(1.0, np.abs(nearest)))
    if worse.size:
        problems.append(f"client {worse[0]} is not assigned to its nearest open site")
    return a.astype(np.int64)


def check_p_median(
    costs: NDArray[np.float64], p: int, weights: NDArray[np.float64], result: Any
) -> list[str]:
    """Return the problems of a p-median result (empty when it is valid)."""
    problems: list[str] = []
    if str(result.status) not in _SOLVED:
        return problems
    n, m = costs.shape
    sites = _sites(result, m, problems)
    if len(sites) != p:
        problems.append(f"{len(sites)} sites open, p = {p}")
    if problems:
        return problems
    a = _served(costs, sites, result, problems)
    if a.size:
        _objective(result, float(np.dot(weights, costs[np.arange(n), a])), problems)
    _bound_and_gap(result, maximize=False, problems=problems)
    return problems


def check_uflp(costs: NDArray[np.float64], fixed: NDArray[np.float64], result: Any) -> list[str]:
    """Return the problems of an uncapacitated facility-location result."""
    problems: list[str] = []
    if str(result.status) not in _SOLVED:
        return problems
    n, m = costs.shape
    sites = _sites(result, m, problems)
    if len(sites) == 0:
        problems.append("no site is open")
    if problems:
        return problems
    a = _served(costs, sites, result, problems)
    if a.size:
        value = float(fixed[sites].sum() + costs[np.arange(n), a].sum())
        _objective(result, value, problems)
    _bound_and_gap(result, maximize=False, problems=problems)
    return problems


def check_cflp(
    costs: NDArray[np.float64],
    fixed: NDArray[np.float64],
    capacities: NDArray[np.float64],
    demands: NDArray[np.float64],
    result: Any,
) -> list[str]:
    """Return the problems of a capacitated (splittable) facility-location result."""
    problems: list[str] = []
    if str(result.status) not in _SOLVED:
        return problems
    n, m = costs.shape
    sites = _sites(result, m, problems)
    x = np.asarray(result.allocation, float) if result.allocation is not None else None
    if x is None or x.shape != (n, m):
        problems.append(f"allocation must be a {n}x{m} array of shares")
        return problems
    tol = REL_TOL * 10
    if x.min() < -tol:
        problems.append("allocation has a negative share")
    row = x.sum(axis=1)
    bad = np.flatnonzero(np.abs(row - 1.0) > tol)
    if bad.size:
        problems.append(f"client {bad[0]} is served {row[bad[0]]:.6f} of its demand, not 1")
    closed = np.setdiff1d(np.arange(m), sites)
    if closed.size and x[:, closed].max() > tol:
        problems.append("a closed site serves demand")
    load = demands @ x
    over = np.flatnonzero(load > capacities * (1 + tol) + tol)
    if over.size:
        j = over[0]
        problems.append(f"site {j} serves {load[j]:.6g} > capacity {capacities[j]:.6g}")
    a = np.asarray(result.assignment)
    if a.shape != (n,) or np.any(x[np.arange(n), a] <= 0.0):
        problems.append("assignment must name a site that serves part of each client")
    _objective(result, float(fixed[sites].sum() + np.sum(costs * x)), problems)
    _bound_and_gap(result, maximize=False, problems=problems)
    return problems


def check_set_cover(
    coverage: NDArray[np.bool_], site_costs: NDArray[np.float64], result: Any
) -> list[str]:
    """Return the problems of a set-cover result."""
    problems: list[str] = []
    if str(result.status) not in _SOLVED:
        if str(result.status) == "infeasible" and coverage.any(axis=1).all():
            problems.append("reported infeasible, but every client has a covering site")
        return problems
    n, m = coverage.shape
    sites = _sites(result, m, problems)
    if problems:
        return problems
    a = np.asarray(result.assignment)
    if a.shape != (n,) or not np.isin(a, sites).all() or not coverage[np.arange(n), a].all():
        problems.append("every client must be assigned to an open site that covers it")
    uncovered = np.flatnonzero(~coverage[:, sites].any(axis=1))
    if uncovered.size:
        problems.append(f"{uncovered.size} clients are not covered, e.g. client {uncovered[0]}")
    _objective(result, float(site_costs[sites].sum()), problems)
    _bound_and_gap(result, maximize=False, problems=problems)
    return problems


def check_max_cover(
    coverage: NDArray[np.bool_], p: int, weights: NDArray[np.float64], result: Any
) -> list[str]:
    """Return the problems of a maximal-covering result (assignment -1 = not covered)."""
    problems: list[str] = []
    if str(result.status) not in _SOLVED:
        return problems
    n, m = coverage.shape
    sites = _sites(result, m, problems)
    if len(sites) > p:
        problems.append(f"{len(sites)} sites open, at most p = {p} allowed")
    if problems:
        return problems
    covered = coverage[:, sites].any(axis=1)
    a = np.asarray(result.assignment)
    if a.shape != (n,):
        problems.append(f"assignment must have {n} entries")
        return problems
    marked = a >= 0
    if np.any(marked != covered):
        problems.append("assignment must be -1 exactly for the clients no open site covers")
    elif marked.any() and (
        not np.isin(a[marked], sites).all() or not coverage[np.flatnonzero(marked), a[marked]].all()
    ):
        problems.append("a covered client is assigned to a site that does not cover it")
    _objective(result, float(weights[covered].sum()), problems)
    _bound_and_gap(result, maximize=True, problems=problems)
    return problems


def raise_on_problems(problems: list[str], what: str) -> None:
    """Raise :class:`VerificationError` listing ``problems`` (first 10), if any."""
    if not problems:
        return
    more = f" ... and {len(problems) - 10} more" if len(problems) > 10 else ""  # noqa: PLR2004
    msg = f"{what} failed verification: " + "; ".join(problems[:10]) + more
    raise VerificationError(msg)
