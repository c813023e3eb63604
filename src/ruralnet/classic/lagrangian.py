"""Exact p-median by branch-and-bound on the Lagrangian relaxation (no LP or MIP solver).

The default method of :func:`ruralnet.classic.problems.p_median`. Every result it returns is checked
by :mod:`ruralnet.classic.verify` like the solver-based ones.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ruralnet.classic.near_sites import NearSites

if TYPE_CHECKING:
    from numpy.typing import NDArray

_INF = float("inf")

# Lagrangian relaxation and branch-and-bound for the p-median
#
# Relax the assignment rows sum_j x_ij = 1 of the assignment formulation with multipliers
# lambda_i. With some sites F1 fixed open, client i can always be served at
# c_i = min_{j in F1} d_ij (a "dummy" site that needs no y), and the free sites C choose
# q = p - |F1| more. For any lambda the Lagrangian function
#     L(lambda) = sum_i min(lambda_i, c_i) + (sum of the q smallest rho_j, j in C),
#     rho_j = sum_i min(0, d_ij - lambda_i),
# is a lower bound on every solution of the node (Cornuejols, Fisher and Nemhauser 1977;
# Beasley 1993). Its maximum equals the LP bound. For any solution with open set S and
# cost z: z >= L + (sum_{j in S \ F1} rho_j - sum of the q smallest rho), so with an
# incumbent UB and objective grain g (every cost a multiple of g) a site j outside the
# q smallest can only be open in a solution better than UB if
#     L + rho_j - rho_(q) <= UB - g       (else close it, "reduced-cost fixing"),
# and one inside can only be closed if L + rho_(q+1) - rho_j <= UB - g (else fix it open).
# The branch-and-bound explores nodes (F1, C) depth first, maximises L by subgradient
# steps warm-started from the parent, fixes, prunes nodes with L > UB - g, and branches on
# the free selected site with the smallest rho (open first, then closed). Clients that no
# free site serves more cheaply than c_i add the constant c_i and are left out of the
# steps. The relaxed selections are evaluated as solutions along the way; the root's best
# is improved by interchange. A node's bound is valid for any lambda, so stopping the
# steps early only weakens it; the proven bound is min(UB, bounds of pruned and open
# nodes). Bounds are compared after rounding up to the grain with the same 1e-6 slack as
# ruralnet.classic.problems, and floating-point sums of L are accurate to ~1e-9 of it.

_ROOT_ITERS, _NODE_ITERS = 3000, 15
_ROOT_STEP, _NODE_STEP = 2.0, 2.0
_ROOT_PATIENCE, _NODE_PATIENCE = 20, 3
_ROOT_MIN_STEP, _NODE_MIN_STEP = 0.005, 0.02
_PRIMAL_EVERY = 4  # evaluate the relaxed selection as a solution every 4th step


@dataclass(frozen=True)
class LagrangeBound:
    """The best Lagrangian value found by :func:`pmedian_lagrangian` and where."""

    value: float
    """L(lambda), a lower bound on every solution of the node."""
    lam: NDArray[np.float64]
    """The multipliers that gave ``value``."""
    rho: NDArray[np.float64]
    """rho_j of the free sites at ``lam``."""
    iterations: int
    primal: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    """Free sites (positions) of the cheapest relaxed selection seen, as a solution."""
    primal_cost: float = _INF
    """Its cost (clients served by it or by the fixed-open sites)."""


@dataclass(frozen=True)
class StepRule:
    """Subgradient step schedule of :func:`pmedian_lagrangian` (Polyak step size)."""

    max_iter: int = _NODE_ITERS
    """Iteration limit."""
    step: float = _NODE_STEP
    """Initial step factor; halved after ``patience`` steps without improvement."""
    patience: int = _NODE_PATIENCE
    min_step: float = 0.005
    """Stop when the step factor falls below this."""


ROOT_RULE = StepRule(_ROOT_ITERS, _ROOT_STEP, _ROOT_PATIENCE, _ROOT_MIN_STEP)
NODE_RULE = StepRule(_NODE_ITERS, _NODE_STEP, _NODE_PATIENCE, _NODE_MIN_STEP)


def pmedian_lagrangian(
    dist: NDArray[np.float64] | NearSites,
    cap: NDArray[np.float64],
    q: int,
    lam: NDArray[np.float64],
    *,
    target: float,
    stop: float,
    rule: StepRule = NODE_RULE,
    deadline: float = _INF,
) -> LagrangeBound:
    """Maximise the p-median Lagrangian function by subgradient steps (Polyak step size).

    Parameters
    ----------
    dist
        Weighted costs, clients x free sites; or their :class:`NearSites` (each client's
        nearest sites): the steps then touch only those entries, with each multiplier
        capped at its client's ``reach``, which keeps them exact
        (:mod:`ruralnet.classic.near_sites`).
    cap
        Per client: cost of its nearest fixed-open site (inf when none).
    q
        Number of free sites to open (0 <= q <= number of free sites).
    lam
        Starting multipliers.
    target
        Step target (an upper bound, e.g. the incumbent cost).
    stop
        Return as soon as the bound exceeds this value.
    rule
        Iteration limit and step schedule.
    deadline
        ``time.perf_counter()`` value after which to return (after at least one step).

    Returns
    -------
    LagrangeBound
        The best bound seen; any multipliers give a valid bound, so stopping early only
        weakens it.
    """
    near = dist if isinstance(dist, NearSites) else None
    dist = dist.full if isinstance(dist, NearSites) else dist
    k = dist.shape[1]
    top = cap if near is None else np.minimum(cap, near.reach)  # the multipliers' cap
    lam = np.minimum(lam, top)
    best = LagrangeBound(-_INF, lam, np.zeros(k), 0)
    primal, primal_cost = np.zeros(0, np.int64), _INF
    stall = 0
    it = 0
    step, max_iter = rule.step, rule.max_iter
    # one buffer for every step: 2.5x faster than new arrays
    red = np.empty_like(dist if near is None else near.dist)
    # the first step runs even past the deadline: a bound must always exist
    while it < max_iter and (it == 0 or time.perf_counter() < deadline):
        it += 1
        rho = _rho(near or dist, lam, red)
        sel = np.argpartition(rho, q - 1)[:q] if 0 < q < k else np.arange(q)
        value = float(lam.sum() + rho[sel].sum())  # lam <= cap throughout
        if it % _PRIMAL_EVERY == 1:
            cost = float(np.minimum(cap, dist[:, sel].min(axis=1)).sum())
            if cost < primal_cost:
                primal, primal_cost = sel, cost
        if value > best.value + 1e-9:
            best, stall = LagrangeBound(value, lam, rho, it), 0
            if value > stop:
                break
        else:
            stall += 1
            if stall >= rule.patience:
                step, stall = step / 2, 0
                if step < rule.min_step:
                    break
        if near is None:
            sub = (lam < cap) - np.count_nonzero(red[:, sel], axis=1)
        else:  # projected: no step up past the reach
            sub = (lam < cap) - near.served(red, sel)
            sub[(lam >= top) & (sub > 0)] = 0
        norm = float(sub @ sub)
        if norm == 0.0:  # lambda is optimal: the relaxed solution is feasible
            break
        lam = np.minimum(lam + step * max(target - value, 0.0) / norm * sub, top)
    return LagrangeBound(best.value, best.lam, best.rho, it, primal, primal_cost)


def _rho(
    dist: NDArray[np.float64] | NearSites, lam: NDArray[np.float64], red: NDArray[np.float64]
) -> NDArray[np.float64]:
    """rho_j at ``lam``; ``red`` (the buffer) gets ``min(0, d_ij - lam_i)``."""
    if isinstance(dist, NearSites):
        return dist.rho(lam, red)
    np.minimum(np.subtract(dist, lam[:, None], out=red), 0.0, out=red)
    return red.sum(axis=0)


def lagrangian_prunes(value: float, ub: float, grain: float) -> bool:
    """Return True when bound ``value`` proves that no solution is better than ``ub``.

    With a grain g > 0 every cost is a multiple of g, so a bound above UB - g suffices;
    the bound is rounded as :func:`ruralnet.classic.problems._round_bound` does (conservatively,
    with 1e-6 g slack). Without a grain the bound must reach UB within 1e-7 (relative).
    """
    if not math.isfinite(value):
        return value > 0
    if grain > 0:
        return math.ceil(value / grain - 1e-6) * grain >= ub - 1e-9 * grain
    return value >= ub - 1e-7 * max(1.0, abs(ub))


def lagrangian_fixing(
    value: float, rho: NDArray[np.float64], q: int, ub: float, grain: float
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Return (close, force) masks of the free sites by Lagrangian reduced-cost fixing.

    Parameters
    ----------
    value
        L(lambda) of the node.
    rho
        rho_j of its free sites at the same lambda (more than ``q`` of them).
    q
        Number of free sites to open.
    ub, grain
        Incumbent cost and objective grain (0 when unknown).

    Returns
    -------
    tuple
        ``close``: sites open in no solution cheaper than ``ub`` (cheaper by a grain when
        there is one); ``force``: sites open in every such solution.
    """
    slack = ub - value
    if grain > 0:
        slack += 1e-6 * grain - grain
    order = np.argsort(rho, kind="stable")
    chosen = order[:q]
    kth, nxt = rho[order[q - 1]], rho[order[q]]
    close = rho - kth > slack
    close[chosen] = False
    force = np.zeros(rho.size, bool)
    force[chosen] = nxt - rho[chosen] > slack
    return close, force


@dataclass
class _Node:
    """A branch-and-bound node: sites fixed open, free sites, warm start, parent bound."""

    fixed_open: NDArray[np.int64]
    free: NDArray[np.int64]
    lam: NDArray[np.float64]
    bound: float
    depth: int = 0


@dataclass
class PMedianSearch:
    """Lagrangian branch-and-bound for the p-median (see the comment block above).

    Parameters
    ----------
    dist
        Weighted costs, clients x sites.
    p
        Number of sites to open (1 <= p < number of sites).
    grain
        Objective grain (0 when unknown).
    incumbent
        A starting solution (p site indices).
    deadline
        ``time.perf_counter()`` value at which to stop with the best bound so far.
    local_search
        Improve the root's best relaxed selection by interchange (else incumbents come
        only from the relaxed selections).
    """

    dist: NDArray[np.float64]
    p: int
    grain: float
    incumbent: NDArray[np.int64]
    deadline: float
    local_search: bool = True
    start: NDArray[np.float64] | None = None
    """Root multipliers (default: each client's second-nearest distance)."""
    ub: float = _INF
    bound: float = -_INF
    """Proven lower bound on the optimum (after :meth:`run`)."""
    stats: dict[str, float] = field(default_factory=dict)
    _leaf_min: float = _INF

    def __post_init__(self) -> None:
        """Evaluate the incumbent."""
        self.incumbent = np.sort(np.asarray(self.incumbent, np.int64))
        self.ub = self.cost(self.incumbent)

    def cost(self, sites: NDArray[np.int64]) -> float:
        """Total cost of opening ``sites``."""
        return float(self.dist[:, sites].min(axis=1).sum())

    def offer(self, sites: NDArray[np.int64]) -> None:
        """Keep ``sites`` as the incumbent if it is cheaper."""
        c = self.cost(sites)
        if c < self.ub:
            self.incumbent, self.ub = np.sort(np.asarray(sites, np.int64)), c

    def run(self) -> None:
        """Search the tree until it is exhausted or the deadline passes."""
        m = self.dist.shape[1]
        if self.start is None:
            k = min(1, m - 1)  # start from each client's second-nearest distance
            start = np.partition(self.dist, k, axis=1)[:, k].copy()
        else:
            start = np.asarray(self.start, float).copy()
        stack = [_Node(np.zeros(0, np.int64), np.arange(m), start, -_INF)]
        nodes = iters = 0
        t0 = time.perf_counter()
        while stack:
            if time.perf_counter() >= self.deadline:
                break
            node = stack.pop()
            nodes += 1
            value, rho, node, used = self._process(node, root=nodes == 1)
            value = max(value, node.bound)  # a child's solutions are its parent's
            iters += used
            if nodes == 1:
                self.stats.update(root_bound=min(value, self.ub), root_free=float(node.free.size))
            if value == _INF or lagrangian_prunes(value, self.ub, self.grain):
                self._leaf_min = min(self._leaf_min, value)
                continue
            j = int(np.argmin(rho))  # the most attractive free site: open it first
            rest = np.delete(node.free, j)
            closed = _Node(node.fixed_open, rest, node.lam, value, node.depth + 1)
            opened = _Node(
                np.r_[node.fixed_open, node.free[j]], rest, node.lam, value, node.depth + 1
            )
            stack += [closed, opened]
        self.bound = min([self.ub, self._leaf_min, *(x.bound for x in stack)])
        self.stats.update(
            nodes=float(nodes),
            subgradient_steps=float(iters),
            open_nodes=float(len(stack)),
            search_seconds=time.perf_counter() - t0,
        )

    def _process(self, node: _Node, *, root: bool) -> tuple[float, NDArray[np.float64], _Node, int]:
        """Bound, fix and re-bound a node until fixing changes nothing.

        Returns the node bound (inf when the node holds no solution better than UB or
        was solved outright), rho of its free sites, the reduced node and the step count.
        """
        d, p = self.dist, self.p
        n = d.shape[0]
        fixed_open, free, lam = node.fixed_open, node.free, node.lam
        used = 0
        first = True
        while True:
            q = p - fixed_open.size
            if q == 0 or free.size <= q:
                sites = np.r_[fixed_open, free] if free.size == q else None
                if sites is not None:
                    self.offer(sites)
                    return self.cost(sites), np.zeros(0), node, used
                return _INF, np.zeros(0), node, used
            cap = d[:, fixed_open].min(axis=1) if fixed_open.size else np.full(n, _INF)
            sub = d if free.size == d.shape[1] else d[:, free]
            # clients no free site serves more cheaply than a fixed-open one add a constant
            # cap_i to L (at their best multiplier lambda_i = cap_i) and nothing to rho
            live = np.flatnonzero(sub.min(axis=1) < cap)
            const = float(cap.sum() - cap[live].sum()) if live.size < n else 0.0
            lam = np.minimum(lam, cap)
            big = root and first
            every = live.size == n
            lb = pmedian_lagrangian(
                sub if every else sub[live], cap[live], q, lam[live], target=self.ub - const,
                stop=self._stop() - const,
                rule=ROOT_RULE if big else NODE_RULE,
                deadline=self.deadline,
            )  # fmt: skip
            lam = lam.copy()
            lam[live] = lb.lam
            lb = LagrangeBound(
                lb.value + const, lam, lb.rho, lb.iterations, lb.primal, lb.primal_cost + const
            )
            if big:
                self.stats["root_lagrangian"] = lb.value
            first = False
            used += lb.iterations
            lam, rho = lb.lam, lb.rho
            node = _Node(fixed_open, free, lam, node.bound, node.depth)
            if lagrangian_prunes(lb.value, self.ub, self.grain):
                return lb.value, rho, node, used
            if lb.primal_cost < self.ub:
                self.offer(np.r_[fixed_open, free[lb.primal]])
            if self.local_search and root and used == lb.iterations:
                from ruralnet.classic.heuristics import pmedian_interchange

                start = np.r_[fixed_open, free[lb.primal]]
                self.offer(pmedian_interchange(d, start, deadline=self.deadline))
            close, force = lagrangian_fixing(lb.value, rho, q, self.ub, self.grain)
            if not close.any() and not force.any():
                return lb.value, rho, node, used
            fixed_open = np.r_[fixed_open, free[force]]
            free = free[~close & ~force]

    def _stop(self) -> float:
        """Return the value above which a bound prunes (ends the subgradient early)."""
        if self.grain > 0:
            return self.ub - self.grain + 2e-6 * self.grain
        return self.ub - 1e-7 * max(1.0, abs(self.ub))
