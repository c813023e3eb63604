"""Classic facility-location problems on a cost matrix, solved exactly.

``costs`` is always a clients x sites array. Each function returns a frozen
:class:`ClassicResult` that :mod:`ruralnet.classic.verify` has recomputed from the inputs
(objective, constraints, bound and gap) before it is returned.

* :func:`p_median` -- open exactly p sites, minimise the weighted distance to the nearest.
* :func:`facility_location` -- uncapacitated fixed-charge location (UFLP), or with
  ``capacities`` and ``demands`` the capacitated one with splittable demand (CFLP).
* :func:`set_cover` -- cheapest set of sites covering every client (within ``radius``).
* :func:`max_cover` -- at most p sites covering the most client weight within ``radius``.

The p-median's default is a Lagrangian branch-and-bound below 1,000 clients or sites and
Benders (:mod:`~ruralnet.classic.benders`) from there; its MIP formulations and the other
three problems run on OR-Tools MathOpt (timings in ``benchmarks/results/``).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import numpy as np

from ruralnet.classic import verify as cv
from ruralnet.classic.benders import pmedian_benders
from ruralnet.classic.heuristics import pmedian_greedy, uflp_heuristic
from ruralnet.classic.lagrangian import PMedianSearch
from ruralnet.classic.mip import SOLVERS, RunSettings, build_assignment, solve_model
from ruralnet.classic.pmedian import solve_pmedian

if TYPE_CHECKING:
    from collections.abc import Mapping

    from numpy.typing import ArrayLike, NDArray

logger = logging.getLogger(__name__)

__all__ = [
    "ClassicResult",
    "Status",
    "facility_location",
    "max_cover",
    "p_median",
    "set_cover",
]

_GAP_TOL = 1e-6
_BENDERS_FROM = 1000  # formulation='auto': clients and sites from which to use 'benders'
_GRAIN_TOL, _EXACT_INT = 1e-6, 2.0**52  # grain: off an integer by at most; exact in a float below


class Status(StrEnum):
    """Outcome of a solve: a string enum (``Status.OPTIMAL == "optimal"``)."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    NO_SOLUTION = "no_solution"


@dataclass(frozen=True)
class ClassicResult:
    """A verified solution of a classic location problem.

    Attributes
    ----------
    problem
        ``p_median``, ``uflp``, ``cflp``, ``set_cover`` or ``max_cover``.
    status
        optimal, feasible (time limit hit; ``gap`` is the proven gap), infeasible or
        no_solution.
    objective
        Objective of the returned solution (nan without one).
    bound
        Proven bound on the optimum (lower for minimisation, upper for max_cover).
    gap
        Proven relative gap ``|objective - bound| / |objective|`` (0 when optimal).
    open
        Sorted indices of the open sites.
    assignment
        Site index serving each client: the nearest open site (set_cover: the cheapest
        covering one; max_cover: -1 when uncovered; CFLP: the site with the largest share).
    seconds
        Wall-clock time of the whole call.
    solver, formulation
        The MIP solver and formulation used.
    allocation
        CFLP only: clients x sites array of demand shares.
    stats
        Sizes, bounds and timings of each phase.
    """

    problem: str
    status: Status
    objective: float
    bound: float
    gap: float
    open: NDArray[np.int64]
    assignment: NDArray[np.int64]
    seconds: float
    solver: str
    formulation: str
    allocation: NDArray[np.float64] | None = None
    stats: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_optimal(self) -> bool:
        """True when optimality is proven."""
        return self.status is Status.OPTIMAL

    def summary(self) -> str:
        """One line: problem, status, objective, gap, open sites and time."""
        return (
            f"{self.problem}: {self.status}, objective {self.objective:.10g}, "
            f"gap {self.gap:.2e}, {len(self.open)} open, {self.seconds:.2f} s"
        )


# ----------------------------------------------------------------------------------------
# input checks


def _matrix(costs: ArrayLike, name: str = "costs") -> NDArray[np.float64]:
    d = np.asarray(costs, dtype=float)
    if d.ndim != 2 or d.shape[0] == 0 or d.shape[1] == 0:  # noqa: PLR2004
        msg = f"{name} must be a non-empty 2-D array (clients x sites), got shape {d.shape}"
        raise ValueError(msg)
    if not np.isfinite(d).all() or (d < 0).any():
        msg = f"{name} must be finite and >= 0; replace missing links by a large finite cost"
        raise ValueError(msg)
    return d


def _vector(values: ArrayLike | None, size: int, name: str, default: float) -> NDArray[np.float64]:
    if values is None:
        return np.full(size, default)
    v = np.asarray(values, dtype=float).reshape(-1)
    if v.shape != (size,):
        msg = f"{name} must have {size} entries, got {v.size}"
        raise ValueError(msg)
    if not np.isfinite(v).all() or (v < 0).any():
        msg = f"{name} must be finite and >= 0"
        raise ValueError(msg)
    return v


def _count(p: int, m: int, *, at_least: int = 1) -> int:
    if isinstance(p, bool) or int(p) != p or not at_least <= p <= m:
        msg = f"p must be an integer from {at_least} to the number of sites ({m}), got {p}"
        raise ValueError(msg)
    return int(p)


def _options(solver: str, time_limit_s: float, threads: int) -> None:
    if solver not in SOLVERS:
        msg = f"solver must be one of {', '.join(SOLVERS)}, got {solver!r}"
        raise ValueError(msg)
    if not time_limit_s > 0:
        msg = f"time_limit_s must be > 0, got {time_limit_s}"
        raise ValueError(msg)
    if int(threads) < 1:
        msg = f"threads must be >= 1, got {threads}"
        raise ValueError(msg)


def objective_grain(values: NDArray[np.float64]) -> float:
    """Return g > 0 such that every value is an integer multiple of g, or 0 if none is found.

    Integer data give 1, OR-Library's decimals e.g. 0.0125. Bounds round up to a multiple, and
    reduced-cost fixing drops every variable that leads only to no better solutions.
    """
    v = np.asarray(values, float).ravel()
    if not np.isfinite(v).all():
        return 0.0
    for digits in range(7):
        scaled = v * 10.0**digits if digits else v
        if np.abs(scaled).max(initial=0.0) >= _EXACT_INT:
            return 0.0
        ints = scaled.astype(np.int64)
        if not np.array_equal(ints, scaled):  # not whole: whole within the tolerance?
            ints = np.rint(scaled).astype(np.int64)
            if np.abs(scaled - ints).max(initial=0.0) > _GRAIN_TOL:
                continue
        g = int(np.gcd.reduce(ints[:4096]))  # gcd(0, x) = x; the gcd of all divides this one
        g = g if g == 1 else int(np.gcd.reduce(ints))
        return g / 10.0**digits if g else 1.0
    return 0.0


def _gap(objective: float, bound: float) -> float:
    if not np.isfinite(objective) or not np.isfinite(bound):
        return math.inf
    return abs(objective - bound) / max(abs(objective), 1e-9)


def _round_bound(bound: float, grain: float, *, maximize: bool = False) -> float:
    """Round a bound to the objective grain (up for minimisation), with slack for LP noise."""
    if grain <= 0 or not np.isfinite(bound):
        return bound
    q = bound / grain
    return (math.floor(q + 1e-6) if maximize else math.ceil(q - 1e-6)) * grain


def _status(objective: float, bound: float, solved: bool) -> tuple[Status, float]:
    if not solved:
        return Status.NO_SOLUTION, math.inf
    gap = _gap(objective, bound)
    if gap <= _GAP_TOL:
        return Status.OPTIMAL, 0.0 if gap < 1e-12 else gap  # noqa: PLR2004
    return Status.FEASIBLE, gap


def _nearest(cost: NDArray[np.float64], sites: NDArray[np.int64]) -> NDArray[np.int64]:
    return sites[np.argmin(cost[:, sites], axis=1)]


def _empty(
    problem: str, status: Status, t0: float, solver: str, form: str, **stats: Any
) -> ClassicResult:
    return ClassicResult(
        problem=problem,
        status=status,
        objective=math.nan,
        bound=math.nan,
        gap=math.inf,
        open=np.zeros(0, np.int64),
        assignment=np.zeros(0, np.int64),
        seconds=time.perf_counter() - t0,
        solver=solver,
        formulation=form,
        stats=dict(stats),
    )


# ----------------------------------------------------------------------------------------
# p-median


# public API: the keyword-only options are documented one by one (README, 'ruralnet.classic')
def p_median(  # noqa: PLR0913
    costs: ArrayLike,
    p: int,
    *,
    weights: ArrayLike | None = None,
    formulation: str = "auto",
    reduce: bool = True,
    solver: str = "highs",
    time_limit_s: float = 60.0,
    threads: int = 1,
    seed: int = 0,
) -> ClassicResult:
    """Open exactly ``p`` sites so that the weighted distance to the nearest one is least.

    Parameters
    ----------
    costs
        Clients x sites distances (>= 0).
    p
        Number of sites to open, 1 <= p <= number of sites.
    weights
        Client weights (>= 0); 1 each when None.
    formulation
        ``auto`` (default): ``benders`` when there are at least 1000 clients and 1000
        sites, else ``lagrangian`` (the measured choices: OR-Library, n <= 900, and the
        TSPLIB instances of ``benchmarks/README.md``). ``lagrangian`` (branch-and-bound on
        the Lagrangian relaxation of the assignment rows, no MIP solver), ``benders``
        (Lagrangian root, the LP bound by Benders cuts, then branch-and-Benders-cut on the
        same warm HiGHS master LP), ``radius`` (chained covering rows over distance levels),
        ``radius_cumulative`` (Elloumi's cumulative rows) or ``assignment`` (the
        textbook x_ij <= y_j model).
    reduce
        ``lagrangian``: improve the root's relaxed solution by interchange local search
        (False: incumbents only from greedy and the relaxed solutions). Radius
        formulations: heuristic incumbent, distance levels generated on demand and
        reduced-cost fixing (False: one plain MIP).
    solver
        MIP solver of the MIP formulations: ``highs``, ``scip`` or ``cpsat`` (LPs always
        use HiGHS; ``lagrangian`` uses none).
    time_limit_s
        Wall-clock limit of the whole call; on timeout the incumbent is returned as
        ``feasible`` with its proven gap.
    threads
        Solver threads (HiGHS's MIP search is serial and ignores it).
    seed
        Random seed of the heuristic and the solver of the MIP formulations; the
        ``lagrangian`` search is deterministic and does not use it.

    Returns
    -------
    ClassicResult
        ``open`` has exactly p sites; ``solver`` is ``"none"`` for ``lagrangian``.
    """
    t0 = time.perf_counter()
    d = _matrix(costs)
    n, m = d.shape
    w = _vector(weights, n, "weights", 1.0)
    p = _count(p, m)
    _options(solver, time_limit_s, threads)
    forms = ("auto", "lagrangian", "benders", "radius", "radius_cumulative", "assignment")
    if formulation not in forms:
        msg = f"formulation must be one of {', '.join(forms)}, got {formulation!r}"
        raise ValueError(msg)
    if formulation == "auto":
        formulation = "benders" if min(n, m) >= _BENDERS_FROM else "lagrangian"
    active = np.flatnonzero(w > 0)
    dw = d if active.size == n and np.all(w == 1.0) else d[active] * w[active, None]
    grain = objective_grain(dw)
    if active.size == 0:
        sites = np.arange(p, dtype=np.int64)
        out = {"open": sites, "bound": 0.0, "stats": {"note": "all weights are 0"}}
    elif formulation == "lagrangian":
        out = _pmedian_lagrangian(dw, p, grain, reduce=reduce, deadline=t0 + time_limit_s)
    elif formulation == "benders":
        out = _pmedian_benders(dw, p, grain, deadline=t0 + time_limit_s)
    else:
        run = RunSettings(solver, t0 + time_limit_s, threads, seed)
        out = solve_pmedian(dw, p, grain=grain, formulation=formulation, reduce=reduce, run=run)
    solver = {"lagrangian": "none", "benders": "highs"}.get(formulation, solver)
    sites = out["open"]
    if sites is None:
        return _empty("p_median", Status.NO_SOLUTION, t0, solver, formulation, **out["stats"])
    sites = np.sort(np.asarray(sites, np.int64))
    assignment = _nearest(d, sites)
    objective = float(np.dot(w, d[np.arange(n), assignment]))
    bound = min(_round_bound(out["bound"], grain), objective)
    status, gap = _status(objective, bound, solved=True)
    result = ClassicResult(
        problem="p_median",
        status=status,
        objective=objective,
        bound=bound,
        gap=gap,
        open=sites,
        assignment=assignment,
        seconds=time.perf_counter() - t0,
        solver=solver,
        formulation=formulation,
        stats={**out["stats"], "grain": grain},
    )
    cv.raise_on_problems(cv.check_p_median(d, p, w, result), "p-median result")
    logger.info("%s", result.summary())
    return result


def _pmedian_lagrangian(
    dw: NDArray[np.float64], p: int, grain: float, *, reduce: bool, deadline: float
) -> dict[str, Any]:
    """Greedy incumbent, then :class:`~ruralnet.classic.lagrangian.PMedianSearch`."""
    m = dw.shape[1]
    if p == m:
        sites = np.arange(m, dtype=np.int64)
        return {"open": sites, "bound": float(dw.min(axis=1).sum()), "stats": {}}
    t = time.perf_counter()
    search = PMedianSearch(dw, p, grain, pmedian_greedy(dw, p), deadline, local_search=reduce)
    stats: dict[str, Any] = {"greedy": search.ub, "greedy_seconds": time.perf_counter() - t}
    search.run()
    stats.update(search.stats)
    return {"open": search.incumbent, "bound": search.bound, "stats": stats}


def _pmedian_benders(
    dw: NDArray[np.float64], p: int, grain: float, *, deadline: float
) -> dict[str, Any]:
    """:func:`~ruralnet.classic.benders.pmedian_benders` (all sites open when p = m)."""
    m = dw.shape[1]
    if p == m:
        sites = np.arange(m, dtype=np.int64)
        return {"open": sites, "bound": float(dw.min(axis=1).sum()), "stats": {}}
    return pmedian_benders(dw, p, grain, deadline=deadline)


# ----------------------------------------------------------------------------------------
# facility location


# public API: keyword-only options, as p_median
def facility_location(  # noqa: PLR0913
    costs: ArrayLike,
    fixed_costs: ArrayLike,
    *,
    capacities: ArrayLike | None = None,
    demands: ArrayLike | None = None,
    formulation: str = "assignment",
    reduce: bool = True,
    solver: str = "highs",
    time_limit_s: float = 60.0,
    threads: int = 1,
    seed: int = 0,
) -> ClassicResult:
    """Fixed-charge facility location: uncapacitated, or capacitated with splittable demand.

    Parameters
    ----------
    costs
        Clients x sites: cost of serving *all* of a client's demand from a site (the
        OR-Library convention).
    fixed_costs
        Opening cost per site.
    capacities, demands
        Give both for the capacitated problem (CFLP): a site serves at most its capacity,
        a client's demand may be split over several sites and each share costs its
        fraction of ``costs``. Leave both None for the uncapacitated problem (UFLP).
    formulation
        UFLP only: ``assignment`` (strong x_ij <= y_j model) or ``radius``. The CFLP always
        uses the assignment formulation.
    reduce
        Start the solver from a heuristic solution (UFLP).
    solver, time_limit_s, threads, seed
        As for :func:`p_median`.

    Returns
    -------
    ClassicResult
        ``problem`` is ``uflp`` or ``cflp``; the CFLP result has ``allocation``.
    """
    t0 = time.perf_counter()
    d = _matrix(costs)
    n, m = d.shape
    f = _vector(fixed_costs, m, "fixed_costs", 0.0)
    _options(solver, time_limit_s, threads)
    run = RunSettings(solver, t0 + time_limit_s, threads, seed)
    if (capacities is None) != (demands is None):
        msg = "give both capacities and demands (CFLP) or neither (UFLP)"
        raise ValueError(msg)
    if capacities is None:
        if formulation not in ("assignment", "radius"):
            msg = f"formulation must be 'assignment' or 'radius', got {formulation!r}"
            raise ValueError(msg)
        return _uflp(d, f, formulation=formulation, reduce=reduce, run=run, t0=t0)
    s = _vector(capacities, m, "capacities", 0.0)
    q = _vector(demands, n, "demands", 0.0)
    return _cflp(d, f, s, q, run=run, t0=t0)


def _uflp(
    d: NDArray[np.float64],
    f: NDArray[np.float64],
    *,
    formulation: str,
    reduce: bool,
    run: RunSettings,
    t0: float,
) -> ClassicResult:
    from ruralnet.classic.mip import build_radius

    n, m = d.shape
    grain = objective_grain(np.r_[d.ravel(), f])
    stats: dict[str, Any] = {}
    inc_sites, inc_cost = None, math.inf
    if reduce:
        budget = min(5.0, 0.1 * (run.deadline - t0))
        inc_sites, inc_cost = uflp_heuristic(d, f, time_budget_s=budget)
        stats["heuristic"] = inc_cost
    if formulation == "radius":
        rm = build_radius(d, np.full(n, np.inf), np.ones(n, bool), fixed_costs=f)
        lm, y = rm.model, rm.y
    else:
        am = build_assignment(d, fixed_costs=f)
        lm, y = am.model, am.y
    hint = None
    if inc_sites is not None:
        yv = np.zeros(m)
        yv[inc_sites] = 1.0
        hint = dict(zip(y.tolist(), yv.tolist(), strict=True))
    out = solve_model(
        lm, run.options(abs_gap=0.999 * grain if grain > 0 else 1e-6), want=y, hint=hint
    )
    stats.update(mip_seconds=out.seconds, mip_reason=out.reason, nonzeros=lm.num_nonzeros)
    sites = inc_sites
    if out.values is not None:
        cand = np.flatnonzero(out.values > 0.5)  # noqa: PLR2004
        if len(cand) and _uflp_value(d, f, cand) < inc_cost:
            sites = cand
    if sites is None:
        return _empty("uflp", Status.NO_SOLUTION, t0, run.solver, formulation, **stats)
    assignment = _nearest(d, sites)
    objective = _uflp_value(d, f, sites)
    bound = min(_round_bound(out.bound, grain), objective)
    status, gap = _status(objective, bound, solved=True)
    result = ClassicResult(
        "uflp", status, objective, bound, gap, np.sort(sites), assignment,
        time.perf_counter() - t0, run.solver, formulation, None, {**stats, "grain": grain},
    )  # fmt: skip
    cv.raise_on_problems(cv.check_uflp(d, f, result), "UFLP result")
    logger.info("%s", result.summary())
    return result


def _uflp_value(d: NDArray[np.float64], f: NDArray[np.float64], sites: NDArray[np.int64]) -> float:
    return float(f[sites].sum() + d[:, sites].min(axis=1).sum())


def _cflp(
    d: NDArray[np.float64],
    f: NDArray[np.float64],
    s: NDArray[np.float64],
    q: NDArray[np.float64],
    *,
    run: RunSettings,
    t0: float,
) -> ClassicResult:
    n, m = d.shape
    solver = run.solver
    if s.sum() < q.sum():
        logger.info("CFLP infeasible: capacity %.6g < demand %.6g", s.sum(), q.sum())
        return _empty(
            "cflp", Status.INFEASIBLE, t0, solver, "assignment", capacity=s.sum(), demand=q.sum()
        )
    am = build_assignment(d, fixed_costs=f, capacities=s, demands=q)
    out = solve_model(am.model, run.options(abs_gap=1e-6, rel_gap=1e-9))
    stats = {"mip_seconds": out.seconds, "mip_reason": out.reason, "nodes": out.nodes}
    if out.values is None:
        status = Status.INFEASIBLE if out.reason == "infeasible" else Status.NO_SOLUTION
        return _empty("cflp", status, t0, solver, "assignment", **stats)
    y = out.values[am.y] > 0.5  # noqa: PLR2004
    alloc = np.zeros((n, m))
    alloc[am.pair_client, am.pair_site] = np.clip(out.values[am.x], 0.0, 1.0)
    alloc[:, ~y] = 0.0
    alloc /= alloc.sum(axis=1, keepdims=True)
    sites = np.flatnonzero(y)
    objective = float(f[sites].sum() + np.sum(d * alloc))
    bound = min(out.bound, objective)
    status, gap = _status(objective, bound, solved=True)
    result = ClassicResult(
        "cflp", status, objective, bound, gap, sites, np.argmax(alloc, axis=1),
        time.perf_counter() - t0, solver, "assignment", alloc, stats,
    )  # fmt: skip
    cv.raise_on_problems(cv.check_cflp(d, f, s, q, result), "CFLP result")
    logger.info("%s", result.summary())
    return result


# ----------------------------------------------------------------------------------------
# covering


def _coverage(coverage_or_costs: ArrayLike, radius: float | None) -> NDArray[np.bool_]:
    a = np.asarray(coverage_or_costs)
    if radius is None:
        if a.dtype != bool and not np.isin(a, (0, 1)).all():
            msg = "without radius, pass a boolean coverage matrix (clients x sites)"
            raise ValueError(msg)
        cov = a.astype(bool)
        if cov.ndim != 2 or 0 in cov.shape:  # noqa: PLR2004
            msg = f"coverage must be a non-empty 2-D array, got shape {cov.shape}"
            raise ValueError(msg)
        return cov
    return _matrix(a) <= float(radius)


def set_cover(
    coverage_or_costs: ArrayLike,
    site_costs: ArrayLike | None = None,
    *,
    radius: float | None = None,
    solver: str = "highs",
    time_limit_s: float = 60.0,
    threads: int = 1,
    seed: int = 0,
) -> ClassicResult:
    """Open the cheapest set of sites such that every client is covered.

    Parameters
    ----------
    coverage_or_costs
        A boolean clients x sites coverage matrix, or a cost matrix with ``radius``.
    site_costs
        Opening cost per site; 1 each (fewest sites) when None.
    radius
        A client is covered by a site with cost <= radius.
    solver, time_limit_s, threads, seed
        As for :func:`p_median`.

    Returns
    -------
    ClassicResult
        ``status`` is infeasible (no solve) when some client has no covering site;
        ``stats["uncoverable"]`` lists them.
    """
    t0 = time.perf_counter()
    cov = _coverage(coverage_or_costs, radius)
    m = cov.shape[1]
    c = _vector(site_costs, m, "site_costs", 1.0)
    _options(solver, time_limit_s, threads)
    bare = np.flatnonzero(~cov.any(axis=1))
    if bare.size:
        res = _empty(
            "set_cover", Status.INFEASIBLE, t0, solver, "covering", uncoverable=bare.tolist()
        )
        cv.raise_on_problems(cv.check_set_cover(cov, c, res), "set-cover result")
        return res
    from ruralnet.classic.mip import LinearModel

    lm = LinearModel()
    y = lm.add_vars(m, integer=True, obj=c)
    rows_needed, first = np.unique(cov, axis=0, return_index=True)
    rid = lm.add_rows(len(rows_needed), lb=1.0, ub=np.inf)
    r, j = np.nonzero(rows_needed)
    lm.add_coeffs(rid[r], y[j])
    grain = objective_grain(c)
    run = RunSettings(solver, t0 + time_limit_s, threads, seed)
    out = solve_model(lm, run.options(abs_gap=0.999 * grain if grain > 0 else 1e-6))
    stats = {"mip_seconds": out.seconds, "mip_reason": out.reason, "distinct_rows": len(first)}
    if out.values is None:
        return _empty("set_cover", Status.NO_SOLUTION, t0, solver, "covering", **stats)
    sites = np.flatnonzero(out.values > 0.5)  # noqa: PLR2004
    costs = None if radius is None else _matrix(coverage_or_costs)
    key = np.where(cov[:, sites], 0.0 if costs is None else costs[:, sites], np.inf)
    assignment = sites[np.argmin(key, axis=1)]
    objective = float(c[sites].sum())
    bound = min(_round_bound(out.bound, grain), objective)
    status, gap = _status(objective, bound, solved=True)
    result = ClassicResult(
        "set_cover", status, objective, bound, gap, sites, assignment,
        time.perf_counter() - t0, solver, "covering", None, stats,
    )  # fmt: skip
    cv.raise_on_problems(cv.check_set_cover(cov, c, result), "set-cover result")
    logger.info("%s", result.summary())
    return result


def max_cover(
    costs: ArrayLike,
    p: int,
    radius: float,
    weights: ArrayLike | None = None,
    *,
    solver: str = "highs",
    time_limit_s: float = 60.0,
    threads: int = 1,
    seed: int = 0,
) -> ClassicResult:
    """Open at most ``p`` sites covering the largest client weight within ``radius``.

    Parameters
    ----------
    costs
        Clients x sites costs; a site covers a client when the cost is <= radius.
    p
        Maximum number of open sites.
    radius
        Coverage radius.
    weights
        Client weights; 1 each when None.
    solver, time_limit_s, threads, seed
        As for :func:`p_median`.

    Returns
    -------
    ClassicResult
        ``objective`` is the covered weight (maximised); ``assignment`` is the nearest
        covering open site or -1.
    """
    t0 = time.perf_counter()
    d = _matrix(costs)
    n, m = d.shape
    w = _vector(weights, n, "weights", 1.0)
    p = _count(p, m)
    _options(solver, time_limit_s, threads)
    cov = d <= float(radius)
    from ruralnet.classic.mip import LinearModel

    lm = LinearModel(maximize=True)
    y = lm.add_vars(m, integer=True)
    reach = np.flatnonzero(cov.any(axis=1) & (w > 0))
    u = lm.add_vars(len(reach), obj=w[reach])
    rid = lm.add_rows(len(reach), lb=-np.inf, ub=0.0)
    lm.add_coeffs(rid, u, 1.0)
    r, j = np.nonzero(cov[reach])
    lm.add_coeffs(rid[r], y[j], -1.0)
    card = lm.add_rows(1, lb=-np.inf, ub=float(p))
    lm.add_coeffs(np.repeat(card, m), y)
    grain = objective_grain(w)
    run = RunSettings(solver, t0 + time_limit_s, threads, seed)
    out = solve_model(lm, run.options(abs_gap=0.999 * grain if grain > 0 else 1e-6), want=y)
    stats = {"mip_seconds": out.seconds, "mip_reason": out.reason}
    if out.values is None:
        return _empty("max_cover", Status.NO_SOLUTION, t0, solver, "covering", **stats)
    sites = np.flatnonzero(out.values > 0.5)  # noqa: PLR2004
    key = np.where(cov[:, sites], d[:, sites], np.inf)
    assignment = np.full(n, -1, np.int64)
    if sites.size:
        hit = np.isfinite(key).any(axis=1)
        assignment[hit] = sites[np.argmin(key[hit], axis=1)]
    objective = float(w[assignment >= 0].sum())
    bound = max(_round_bound(out.bound, grain, maximize=True), objective)
    status, gap = _status(objective, bound, solved=True)
    result = ClassicResult(
        "max_cover", status, objective, bound, gap, sites, assignment,
        time.perf_counter() - t0, solver, "covering", None, stats,
    )  # fmt: skip
    cv.raise_on_problems(cv.check_max_cover(cov, p, w, result), "max-cover result")
    logger.info("%s", result.summary())
    return result
