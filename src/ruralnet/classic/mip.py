"""Model builders and the MathOpt runner behind :mod:`ruralnet.classic.problems`.

Models are assembled as sparse numpy blocks and handed to MathOpt as one ``ModelProto``:
building a million-nonzero p-median model term by term through the Python expression API
takes seconds, this takes a fraction of one. OR-Tools is imported inside the functions, so
importing this module does not load the solver.

The p-median's default method needs no solver at all: it is in
:mod:`ruralnet.classic.lagrangian`.
"""

# Notation: clients i (rows of ``costs``), candidate sites j (columns), d_ij >= 0 the cost
# of serving all of client i from site j (weights already multiplied in), f_j fixed cost.
#
# Variables
#   y_j in {0, 1}        site j open
#   x_ij in [0, 1]       share of client i served by site j (assignment formulation)
#   z_ik in [0, 1]       client i is farther than its k-th distance level (radius form.)
#
# Assignment ("textbook") formulation, p-median / UFLP / CFLP:
#   min  sum_j f_j y_j + sum_ij d_ij x_ij
#   s.t. sum_j x_ij = 1                    for every client i
#        x_ij <= y_j                       for every pair (strong linking)
#        sum_j y_j = p                     (p-median only)
#        sum_i q_i x_ij <= s_j y_j         (CFLP only; q demand, s capacity)
#        sum_j s_j y_j >= sum_i q_i        (CFLP only; implied, tightens the LP)
#
# Radius formulation (Elloumi 2010; Garcia, Labbe and Marin 2011), p-median / UFLP:
#   For client i let D_i0 < D_i1 < ... < D_iK be its distinct distances to the sites.
#   z_ik = 1 iff no open site lies within D_i(k-1), k = 1..K, so that client i pays
#       D_i0 + sum_k (D_ik - D_i(k-1)) z_ik.
#   cumulative rows (Elloumi):  z_ik + sum_{j: d_ij <= D_i(k-1)} y_j >= 1
#   chained rows (used here):   z_i1 + S_i0 >= 1,  z_i(k+1) - z_ik + S_ik >= 0,
#                               -z_iK + S_iK >= 0,   with S_ik = sum_{j: d_ij = D_ik} y_j.
#   Summing chained rows 0..k-1 gives the cumulative row k, and the LP optimum
#   z_ik = max(0, 1 - sum_{d_ij <= D_i(k-1)} y_j) satisfies every chained row, so both
#   have the same LP bound (that of the assignment formulation), but in the chained form
#   each y_j appears once per client: n*m + 2*sum_i K_i nonzeros instead of
#   sum_ik |{j: d_ij <= D_ik}|.
#
# Truncated levels ("radius" R_i). Keeping only the levels D_ik <= R_i and one last
#   variable z_i(K'+1) ("beyond", cost D_i(K'+1) - D_iK') without its closing row is a
#   relaxation: every solution keeps its cost or gets cheaper. A solution that leaves
#   every beyond-variable at 0 is exact. Keeping the closing row instead ("hard" cut)
#   forces client i to be served within R_i, which is valid when R_i is proven, e.g.
#   the (m - p + 1)-th smallest distance for the p-median (at most m - p sites are
#   closed), or from reduced-cost fixing.

from __future__ import annotations

import datetime
import logging
import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ruralnet.errors import SolverError

if TYPE_CHECKING:
    from numpy.typing import NDArray

logger = logging.getLogger(__name__)

SOLVERS = ("highs", "scip", "cpsat")
_INF = float("inf")


@dataclass
class LinearModel:
    """A linear (mixed-integer) model gathered as numpy blocks.

    Variables and rows are added in blocks; coefficients as (row, column, value) triplets.
    ``to_proto`` sorts and merges them into a MathOpt ``ModelProto``.
    """

    maximize: bool = False
    offset: float = 0.0
    integral_ok: bool = True
    """Some optimal solution has every variable integral (False for split demand)."""
    _var_lb: list[NDArray[np.float64]] = field(default_factory=list)
    _var_ub: list[NDArray[np.float64]] = field(default_factory=list)
    _var_int: list[NDArray[np.bool_]] = field(default_factory=list)
    _var_obj: list[NDArray[np.float64]] = field(default_factory=list)
    _row_lb: list[NDArray[np.float64]] = field(default_factory=list)
    _row_ub: list[NDArray[np.float64]] = field(default_factory=list)
    _rows: list[NDArray[np.int64]] = field(default_factory=list)
    _cols: list[NDArray[np.int64]] = field(default_factory=list)
    _vals: list[NDArray[np.float64]] = field(default_factory=list)
    num_vars: int = 0
    num_rows: int = 0

    def add_vars(
        self,
        count: int,
        *,
        lb: float | NDArray[np.float64] = 0.0,
        ub: float | NDArray[np.float64] = 1.0,
        integer: bool = False,
        obj: float | NDArray[np.float64] = 0.0,
    ) -> NDArray[np.int64]:
        """Add ``count`` variables; return their ids."""
        self._var_lb.append(np.broadcast_to(np.asarray(lb, float), (count,)))
        self._var_ub.append(np.broadcast_to(np.asarray(ub, float), (count,)))
        self._var_int.append(np.full(count, integer))
        self._var_obj.append(np.broadcast_to(np.asarray(obj, float), (count,)))
        ids = np.arange(self.num_vars, self.num_vars + count, dtype=np.int64)
        self.num_vars += count
        return ids

    def add_rows(
        self, count: int, *, lb: float | NDArray[np.float64], ub: float | NDArray[np.float64]
    ) -> NDArray[np.int64]:
        """Add ``count`` rows ``lb <= a x <= ub``; return their ids."""
        self._row_lb.append(np.broadcast_to(np.asarray(lb, float), (count,)))
        self._row_ub.append(np.broadcast_to(np.asarray(ub, float), (count,)))
        ids = np.arange(self.num_rows, self.num_rows + count, dtype=np.int64)
        self.num_rows += count
        return ids

    def add_coeffs(
        self,
        rows: NDArray[np.int64],
        cols: NDArray[np.int64],
        vals: float | NDArray[np.float64] = 1.0,
    ) -> None:
        """Add matrix coefficients (duplicates of one entry are summed)."""
        rows = np.asarray(rows, np.int64)
        self._rows.append(rows)
        self._cols.append(np.asarray(cols, np.int64))
        self._vals.append(np.broadcast_to(np.asarray(vals, float), rows.shape))

    def safe_bound(self, duals: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        """Return a valid LP lower bound and reduced costs from any row duals (minimisation).

        Duals of the wrong sign are clipped to 0, then, with rc = c - A^T pi,
        LB = offset + sum_r pi_r b_r + sum_v min(rc_v lb_v, rc_v ub_v) <= c x for every x
        with lb <= x <= ub and lb_r <= A x <= ub_r (weak duality; every variable is bounded).
        So an approximate (e.g. first-order) LP solution still gives a rigorous bound, and
        a variable with LB + rc_v > UB cannot leave its lower bound in a solution below UB.
        """
        cat = np.concatenate
        rl, ru = cat(self._row_lb), cat(self._row_ub)
        pi = np.asarray(duals, float).copy()
        pi[np.isinf(ru) & (pi < 0)] = 0.0
        pi[np.isinf(rl) & (pi > 0)] = 0.0
        side = np.where(pi > 0, rl, np.where(pi < 0, ru, 0.0))
        rows, cols, vals = cat(self._rows), cat(self._cols), cat(self._vals)
        c = cat(self._var_obj)
        rc = c - np.bincount(cols, weights=vals * pi[rows], minlength=self.num_vars)
        lb, ub = cat(self._var_lb), cat(self._var_ub)
        if np.isinf(lb[rc > 0]).any() or np.isinf(ub[rc < 0]).any():
            return -math.inf, rc
        with np.errstate(invalid="ignore"):
            terms = np.minimum(np.where(rc > 0, rc * lb, 0.0), np.where(rc < 0, rc * ub, 0.0))
        return float(self.offset + pi @ side + terms.sum()), rc

    @property
    def num_nonzeros(self) -> int:
        """Number of matrix triplets added so far."""
        return int(sum(len(r) for r in self._rows))

    def to_proto(self, *, relax: bool = False, all_integer: bool = False) -> object:
        """Return the model as a MathOpt ``ModelProto``.

        ``relax`` drops integrality; ``all_integer`` makes every variable integer (for
        CP-SAT, valid when ``integral_ok``).
        """
        from ortools.math_opt import model_pb2

        cat = np.concatenate
        proto = model_pb2.ModelProto()
        nv, nr = self.num_vars, self.num_rows
        v = proto.variables
        v.ids.extend(range(nv))
        v.lower_bounds.extend(cat(self._var_lb) if nv else [])
        v.upper_bounds.extend(cat(self._var_ub) if nv else [])
        integers = cat(self._var_int) if nv else np.zeros(0, bool)
        if all_integer:
            integers = np.ones(nv, bool)
        v.integers.extend((integers & (not relax)).tolist())
        obj = cat(self._var_obj) if nv else np.zeros(0)
        nz = np.flatnonzero(obj)
        proto.objective.maximize = self.maximize
        proto.objective.offset = self.offset
        proto.objective.linear_coefficients.ids.extend(nz)
        proto.objective.linear_coefficients.values.extend(obj[nz])
        c = proto.linear_constraints
        c.ids.extend(range(nr))
        c.lower_bounds.extend(cat(self._row_lb) if nr else [])
        c.upper_bounds.extend(cat(self._row_ub) if nr else [])
        if self._rows:
            r, k, a = cat(self._rows), cat(self._cols), cat(self._vals)
            key = r * max(nv, 1) + k
            uniq, inv = np.unique(key, return_inverse=True)
            a = np.bincount(inv, weights=a, minlength=len(uniq))
            keep = a != 0.0
            mat = proto.linear_constraint_matrix
            mat.row_ids.extend(uniq[keep] // max(nv, 1))
            mat.column_ids.extend(uniq[keep] % max(nv, 1))
            mat.coefficients.extend(a[keep])
        return proto


@dataclass(frozen=True)
class SolveOutcome:
    """What one MathOpt solve returned, as plain numbers and arrays."""

    reason: str
    """MathOpt termination reason name, lower case (``optimal``, ``feasible``, ...)."""
    values: NDArray[np.float64] | None
    """Primal values of the requested variables, or None without a solution."""
    objective: float
    """Objective of the returned solution (nan without one)."""
    bound: float
    """Best proven bound (−inf/inf when none)."""
    reduced_costs: NDArray[np.float64] | None
    """Reduced costs of the requested variables (LP solves with a dual solution only)."""
    seconds: float
    nodes: int
    duals: NDArray[np.float64] | None = None
    """Row duals of an LP solve asked for with ``duals=True``."""


@dataclass(frozen=True)
class SolveOptions:
    """Solver settings of one :func:`solve_model` call."""

    solver: str = "highs"
    """``highs``, ``scip``, ``cpsat`` (or ``pdlp`` for LPs)."""
    time_limit_s: float = 60.0
    """Wall-clock limit for this solve."""
    threads: int = 1
    """Solver threads (HiGHS takes none: its MIP search is serial)."""
    seed: int = 0
    """Random seed passed to the solver."""
    abs_gap: float = 1e-6
    """Absolute gap tolerance of a MIP."""
    rel_gap: float = 1e-9
    """Relative gap tolerance of a MIP."""
    lp_algorithm: str | None = None
    """``dual_simplex``, ``primal_simplex`` or ``barrier``; solver default when None."""


@dataclass(frozen=True)
class RunSettings:
    """The solver choices of one public call, with its absolute deadline."""

    solver: str = "highs"
    deadline: float = _INF
    """``time.perf_counter()`` value of the call's time limit."""
    threads: int = 1
    seed: int = 0

    def options(
        self, *, abs_gap: float = 1e-6, rel_gap: float = 1e-9, solver: str | None = None,
        lp_algorithm: str | None = None,
    ) -> SolveOptions:  # fmt: skip
        """:class:`SolveOptions` with the time left until the deadline."""
        return SolveOptions(
            self.solver if solver is None else solver, self.deadline - time.perf_counter(),
            self.threads, self.seed, abs_gap, rel_gap, lp_algorithm,
        )  # fmt: skip


def solve_model(
    model: LinearModel,
    options: SolveOptions | None = None,
    *,
    relax: bool = False,
    want: NDArray[np.int64] | None = None,
    hint: dict[int, float] | None = None,
    duals: bool = False,
) -> SolveOutcome:
    """Solve ``model`` with MathOpt and return values of the variables in ``want``.

    Parameters
    ----------
    model
        The model.
    options
        Solver, limits, tolerances (defaults of :class:`SolveOptions` when None).
    relax
        Solve the LP relaxation (``want`` then also gets reduced costs).
    want
        Variable ids whose values to return (all when None).
    hint
        Starting solution, variable id -> value.
    duals
        Return the duals of all rows (LP only).

    Returns
    -------
    SolveOutcome
    """
    opt = SolveOptions() if options is None else options
    solver, time_limit_s = opt.solver, opt.time_limit_s
    from ortools.math_opt.python import mathopt

    types = {
        "highs": mathopt.SolverType.HIGHS,
        "scip": mathopt.SolverType.GSCIP,
        "cpsat": mathopt.SolverType.CP_SAT,
        "pdlp": mathopt.SolverType.PDLP,  # first-order LP solver, for bounds via safe_bound
    }
    if solver not in types:
        msg = f"unknown solver {solver!r}; use one of {', '.join(SOLVERS)}"
        raise ValueError(msg)
    if solver == "cpsat" and not relax and not model.integral_ok:
        msg = "cpsat needs integer variables; split-demand CFLP needs highs or scip"
        raise ValueError(msg)
    proto = model.to_proto(relax=relax, all_integer=solver == "cpsat" and not relax)
    mo = mathopt.Model.from_model_proto(proto)
    ids = np.arange(model.num_vars) if want is None else np.asarray(want, np.int64)
    wanted = [mo.get_variable(int(i)) for i in ids]
    params = mathopt.SolveParameters(
        time_limit=datetime.timedelta(seconds=min(max(time_limit_s, 0.01), 1e7)),
        random_seed=None if solver == "pdlp" else int(opt.seed),
        threads=None if solver in ("highs", "pdlp") else int(opt.threads),
    )
    if not relax:
        params.absolute_gap_tolerance = opt.abs_gap
        params.relative_gap_tolerance = opt.rel_gap
    if opt.lp_algorithm is not None:
        params.lp_algorithm = getattr(mathopt.LPAlgorithm, opt.lp_algorithm.upper())
    mparams = mathopt.ModelSolveParameters(
        variable_values_filter=mathopt.SparseVectorFilter(filtered_items=wanted),
        reduced_costs_filter=mathopt.SparseVectorFilter(filtered_items=wanted),
    )
    if not duals:
        mparams.dual_values_filter = mathopt.SparseVectorFilter(filtered_items=[])
    if hint:
        mparams.solution_hints.append(
            mathopt.SolutionHint(
                variable_values={mo.get_variable(int(k)): float(x) for k, x in hint.items()}
            )
        )
    start = time.perf_counter()
    try:
        result = mathopt.solve(mo, types[solver], params=params, model_params=mparams)
    except Exception as exc:  # MathOpt raises several types, some of them by accident
        msg = f"{solver} failed on a {model.num_vars}-variable model: {exc}"
        raise SolverError(msg) from exc
    seconds = time.perf_counter() - start
    reason = result.termination.reason.name.lower()
    values = objective = None
    if result.has_primal_feasible_solution():
        vv = result.variable_values()
        values = np.array([vv.get(v, 0.0) for v in wanted], float)
        objective = float(result.objective_value())
    rc = row_duals = None
    dual = next((x.dual_solution for x in result.solutions if x.dual_solution), None)
    if relax and dual is not None and (duals or result.has_dual_feasible_solution()):
        rc = np.array([dual.reduced_costs.get(v, 0.0) for v in wanted], float)
        if duals:
            dv = dual.dual_values
            row_duals = np.array([dv.get(c, 0.0) for c in mo.linear_constraints()], float)
    bound = float(result.termination.objective_bounds.dual_bound)
    if relax and reason == "optimal" and objective is not None:
        bound = objective
    logger.debug(
        "%s %s: %s obj=%s bound=%s in %.2fs (%d vars, %d rows, %d nz)",
        solver,
        "LP" if relax else "MIP",
        reason,
        objective,
        bound,
        seconds,
        model.num_vars,
        model.num_rows,
        model.num_nonzeros,
    )
    return SolveOutcome(
        reason=reason,
        values=values,
        objective=float("nan") if objective is None else objective,
        bound=bound,
        reduced_costs=rc,
        seconds=seconds,
        nodes=int(result.solve_stats.node_count),
        duals=row_duals,
    )


# ----------------------------------------------------------------------------------------
# Radius formulation


@dataclass(frozen=True)
class RadiusModel:
    """A built radius model and the handles needed to read it back."""

    model: LinearModel
    y: NDArray[np.int64]
    """Variable id of each candidate site's y (same order as the site subset)."""
    beyond: NDArray[np.int64]
    """Per client: id of its 'beyond' variable, or -1 when the client's levels are closed."""
    z_start: NDArray[np.int64]
    """Per client: id of its first z variable; its z ids are z_start .. z_start + nz - 1."""
    z_count: NDArray[np.int64]
    levels: list[NDArray[np.float64]]
    """Per client: the distance levels kept (D_i0 .. D_iK')."""


def build_radius(
    dist: NDArray[np.float64],
    radius: NDArray[np.float64],
    hard: NDArray[np.bool_],
    *,
    p: int | None = None,
    fixed_costs: NDArray[np.float64] | None = None,
    integer: bool = True,
    cumulative: bool = False,
) -> RadiusModel:
    """Build the radius formulation on a weighted cost matrix.

    Parameters
    ----------
    dist
        Weighted costs, clients x sites (the sites are the candidate subset).
    radius
        Per client: keep the distance levels ``<= radius[i]``.
    hard
        Per client: True closes the levels (client must be served within ``radius[i]``);
        False adds a relaxing 'beyond' variable when farther levels exist.
    p
        Number of sites to open (p-median); None for no cardinality row.
    fixed_costs
        Opening cost per site (UFLP); None for zero.
    integer
        Make y binary (False: the LP relaxation's model).
    cumulative
        Write Elloumi's cumulative covering rows instead of the chained ones.

    Returns
    -------
    RadiusModel
    """
    n, m = dist.shape
    lm = LinearModel()
    f = np.zeros(m) if fixed_costs is None else np.asarray(fixed_costs, float)
    y = lm.add_vars(m, lb=0.0, ub=1.0, integer=integer, obj=f)
    if p is not None:
        card = lm.add_rows(1, lb=float(p), ub=float(p))
        lm.add_coeffs(np.repeat(card, m), y)
    beyond = np.full(n, -1, np.int64)
    z_start = np.zeros(n, np.int64)
    z_count = np.zeros(n, np.int64)
    levels_out: list[NDArray[np.float64]] = []
    offset = 0.0
    for i in range(n):
        row = dist[i]
        all_levels = np.unique(row)
        levels = all_levels[all_levels <= radius[i]]
        if len(levels) == 0:
            levels = all_levels[:1]
        k_kept = len(levels) - 1
        open_end = (not hard[i]) and len(levels) < len(all_levels)
        gaps = np.diff(levels)
        if open_end:
            gaps = np.append(gaps, all_levels[len(levels)] - levels[-1])
        nz = len(gaps)
        offset += float(levels[0])
        zid = lm.add_vars(nz, lb=0.0, ub=1.0, obj=gaps)
        z_start[i], z_count[i] = (zid[0] if nz else -1), nz
        if open_end:
            beyond[i] = zid[-1]
        levels_out.append(levels)
        sites = np.flatnonzero(row <= levels[-1])
        lev = np.searchsorted(levels, row[sites])
        if cumulative:
            _cumulative_rows(lm, zid, lev, y[sites], k_kept)
        else:
            _chained_rows(lm, zid, lev, y[sites], k_kept)
    lm.offset = offset
    return RadiusModel(lm, y, beyond, z_start, z_count, levels_out)


def _chained_rows(
    lm: LinearModel,
    zid: NDArray[np.int64],
    lev: NDArray[np.int64],
    ysite: NDArray[np.int64],
    k_kept: int,
) -> None:
    """Rows k = 0..K': z_(k+1) - z_k + S_k >= [k == 0] (z_0 = 1, z_(K'+1) absent if closed)."""
    rid = lm.add_rows(k_kept + 1, lb=np.r_[1.0, np.zeros(k_kept)], ub=_INF)
    nz = len(zid)
    lm.add_coeffs(rid[lev], ysite, 1.0)
    lm.add_coeffs(rid[:nz], zid, 1.0)
    lm.add_coeffs(rid[1:], zid[:k_kept], -1.0)


def _cumulative_rows(
    lm: LinearModel,
    zid: NDArray[np.int64],
    lev: NDArray[np.int64],
    ysite: NDArray[np.int64],
    k_kept: int,
) -> None:
    """Rows k = 1..K'+1: z_k + sum_{level(j) < k} y_j >= 1 (no z in the closing row)."""
    rid = lm.add_rows(k_kept + 1, lb=1.0, ub=_INF)
    nz = len(zid)
    lm.add_coeffs(rid[:nz], zid, 1.0)
    # site at level l appears in rows of levels k > l, i.e. row indices l .. K'
    counts = k_kept + 1 - lev
    rows = np.repeat(lev, counts) + _ragged_arange(counts)
    lm.add_coeffs(rid[rows], np.repeat(ysite, counts), 1.0)


def _ragged_arange(counts: NDArray[np.int64]) -> NDArray[np.int64]:
    """Concatenate ``arange(c)`` for each c in counts."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    starts = np.cumsum(counts) - counts
    return np.arange(total, dtype=np.int64) - np.repeat(starts, counts)


def radius_cost_of(
    rm: RadiusModel, values: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Return (y values, ids of clients whose 'beyond' variable is > 1e-6) of a solution."""
    yv = values[rm.y]
    has = rm.beyond >= 0
    used = np.zeros(len(rm.beyond), bool)
    used[has] = values[rm.beyond[has]] > 1e-6  # noqa: PLR2004
    return yv, np.flatnonzero(used)


# ----------------------------------------------------------------------------------------
# Assignment formulation


@dataclass(frozen=True)
class AssignModel:
    """A built assignment model: y ids per site and x ids per allowed (client, site) pair."""

    model: LinearModel
    y: NDArray[np.int64]
    pair_client: NDArray[np.int64]
    pair_site: NDArray[np.int64]
    x: NDArray[np.int64]


def build_assignment(
    dist: NDArray[np.float64],
    *,
    allowed: NDArray[np.bool_] | None = None,
    p: int | None = None,
    fixed_costs: NDArray[np.float64] | None = None,
    capacities: NDArray[np.float64] | None = None,
    demands: NDArray[np.float64] | None = None,
    integer: bool = True,
) -> AssignModel:
    """Build the strong assignment formulation (see the comment block at the top).

    Parameters
    ----------
    dist
        Weighted costs, clients x sites.
    allowed
        Mask of allowed (client, site) pairs; all when None.
    p
        Number of sites to open, or None.
    fixed_costs
        Opening cost per site, or None.
    capacities, demands
        Site capacities and client demands for the CFLP, or None.
    integer
        Make y binary.

    Returns
    -------
    AssignModel
    """
    n, m = dist.shape
    lm = LinearModel()
    f = np.zeros(m) if fixed_costs is None else np.asarray(fixed_costs, float)
    y = lm.add_vars(m, integer=integer, obj=f)
    mask = np.ones((n, m), bool) if allowed is None else allowed
    ci, sj = np.nonzero(mask)
    x = lm.add_vars(len(ci), obj=dist[ci, sj])
    assign = lm.add_rows(n, lb=1.0, ub=1.0)
    lm.add_coeffs(assign[ci], x)
    link = lm.add_rows(len(ci), lb=-_INF, ub=0.0)
    lm.add_coeffs(link, x, 1.0)
    lm.add_coeffs(link, y[sj], -1.0)
    if p is not None:
        card = lm.add_rows(1, lb=float(p), ub=float(p))
        lm.add_coeffs(np.repeat(card, m), y)
    if capacities is not None and demands is not None:
        lm.integral_ok = False
        cap = lm.add_rows(m, lb=-_INF, ub=0.0)
        lm.add_coeffs(cap[sj], x, np.asarray(demands, float)[ci])
        lm.add_coeffs(cap, y, -np.asarray(capacities, float))
        total = lm.add_rows(1, lb=float(np.sum(demands)), ub=_INF)
        lm.add_coeffs(np.repeat(total, m), y, np.asarray(capacities, float))
    return AssignModel(lm, y, ci, sj, x)
