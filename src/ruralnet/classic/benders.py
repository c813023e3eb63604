"""The p-median's LP bound by Benders cuts, then branch-and-Benders-cut.

Used by the ``benders`` method of :func:`ruralnet.classic.problems.p_median` after the
Lagrangian root (:mod:`ruralnet.classic.lagrangian`) has left a gap.
"""

# Benders cuts of the radius formulation (Duran-Mateluna, Ales and Elloumi 2023)
#
# Project the radius formulation onto the sites: with theta_i the cost of client i, every
# level t gives the valid cut
#     theta_i + sum_j max(0, t - d_ij) y_j >= t,
# (if client i is served at distance h: h >= t leaves t <= h; h < t gives t - (t - h) = h).
# The master LP  min sum_i theta_i, sum_j y_j = p, 0 <= y <= 1, with the cuts of all levels
# is the LP relaxation (of the assignment model). It is solved by cutting planes: for an LP
# point y*, the most violated cut of client i is at the first level t where the y* of the
# sites with d_ij <= t sum to 1 (the cut's right side is concave in t and turns there).
# The first cuts sit at the levels around the subgradient multipliers lambda_i of the
# Lagrangian root and at the incumbent's distances, so few rounds remain.
#
# The bound is not taken from the LP solver. With mu the duals of client i's cuts,
# lambda_i = sum_r mu_r t_r dominates the combination of its cuts (the cut is concave in
# t), so L(lambda) of the Lagrangian relaxation (lagrangian.py) is at least the LP value and
# at most the LP bound: the optimal multipliers. L(lambda) is evaluated in numpy; it is a
# lower bound for any lambda, so LP tolerances cannot make it invalid.
#
# After the LP, branch-and-Benders-cut (cut_tree.py) re-solves the same master with site
# bounds per node, so the cuts of every round stay and each node starts from the last basis.

from __future__ import annotations

import dataclasses
import logging
import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ruralnet.classic.cut_master import CutMaster
from ruralnet.classic.cut_tree import cut_tree, node_lagrangian, separate, support_greedy
from ruralnet.classic.near_sites import NearSites, near_sites_for

if TYPE_CHECKING:
    from numpy.typing import NDArray

logger = logging.getLogger(__name__)

_MAX_ROUNDS = 60
_BOTH_SIDES_FROM_P = 150  # first cuts on both sides of lam0 from this p on
_POLISH_S = 5.0  # time cap of the perturbation restarts from the rounded LP
_LARGE_P_CLIENTS = 10  # "large p": at most this many clients per open site (n <= 10 p)
_LARGE_P_SWAP_STEPS = 3  # interchange steps from greedy before the root, for large p


def lagrangian_value(
    dist: NDArray[np.float64], lam: NDArray[np.float64], p: int, near: NearSites | None = None
) -> tuple[float, NDArray[np.float64]]:
    """Return L(lambda) with no site fixed, and rho_j (the root node's :func:`node_lagrangian`)."""
    m = dist.shape[1]
    return node_lagrangian(dist, lam, p, np.zeros(m, bool), np.ones(m, bool), near)


@dataclass(frozen=True)
class CutLP:
    """Outcome of :func:`benders_lp`."""

    bound: float
    """L(lam): a rigorous lower bound (the LP bound when ``converged``)."""
    lam: NDArray[np.float64]
    """Multipliers from the cut duals."""
    rho: NDArray[np.float64]
    """rho_j at ``lam``."""
    y: NDArray[np.float64]
    """The last LP point (site values)."""
    rounds: int
    cuts: int
    converged: bool
    seconds: float
    master: CutMaster
    """The master LP with every cut (for :func:`ruralnet.classic.cut_tree.cut_tree`)."""


def benders_lp(
    dist: NDArray[np.float64],
    p: int,
    lam0: NDArray[np.float64],
    *,
    deadline: float,
    near: NearSites | None = None,
) -> CutLP:
    """Solve the p-median LP relaxation by Benders cuts (warm-started dual simplex per round).

    Parameters
    ----------
    dist
        Weighted costs, clients x sites.
    p
        Number of sites to open (< number of sites).
    lam0
        Multipliers of the Lagrangian root. The first cuts are at each client's nearest
        level above them, and for p >= 150 also below them (cuts at the incumbent's
        distances made the first LP 4-5x slower for p <= 100; see benchmarks/README.md).
    deadline
        ``time.perf_counter()`` value after which the last multipliers are returned.
    near
        The clients' nearest sites of ``dist`` (optional: separation and L(lambda) on
        fewer entries, the same cuts and bound).

    Returns
    -------
    CutLP
        The bound is L(lam) of the last round's duals, or of ``lam0`` if that is better.
    """
    t0 = time.perf_counter()
    n = dist.shape[0]
    rows = np.arange(n)
    if near is not None and np.all(lam0 <= near.reach):  # the levels next to lam0 are near
        at = np.count_nonzero(near.dist < lam0[:, None], axis=1)
        levels, below = near.dist[rows, at], near.dist[rows, np.maximum(at - 1, 0)]
    else:
        inside = dist < lam0[:, None]
        above = np.where(inside, np.inf, dist).min(axis=1)
        levels = np.where(np.isfinite(above), above, dist.max(axis=1))
        if p >= _BOTH_SIDES_FROM_P:
            below = np.where(inside, dist, -np.inf).max(axis=1)
            below = np.where(np.isfinite(below), below, dist.min(axis=1))
    if p >= _BOTH_SIDES_FROM_P:
        levels, rows = np.r_[levels, below], np.r_[rows, rows]
    master = CutMaster(dist, p, near)
    master.add_cuts(rows, levels)
    y, lam_last = np.zeros(dist.shape[1]), None
    converged = False
    rounds = 0
    while rounds < _MAX_ROUNDS and time.perf_counter() < deadline:
        rounds += 1
        point = master.solve(deadline - time.perf_counter())
        if point is None:
            break
        y = point.y
        # the duals' multipliers; L(lambda) only of the last round's (the LP bound once
        # converged), as each evaluation is a pass over the matrix
        lam_last = np.bincount(master.client, weights=point.cut_duals * master.level, minlength=n)
        bad, level = separate(dist, y, point.theta, near)
        logger.debug(
            "Benders round %d: LP %.6f, %d cuts, %d violated",
            rounds, point.objective, master.cuts, bad.size,
        )  # fmt: skip
        if bad.size == 0:
            converged = True
            break
        master.add_cuts(bad, level)
    best, rho = lagrangian_value(dist, lam0, p, near)
    lam = lam0
    if lam_last is not None:
        value, rho_last = lagrangian_value(dist, lam_last, p, near)
        if value > best:
            best, lam, rho = value, lam_last, rho_last
    return CutLP(
        best, lam, rho, y, rounds, master.cuts, converged, time.perf_counter() - t0, master
    )


@dataclass
class _Best:
    """Incumbent of :func:`pmedian_benders`."""

    dist: NDArray[np.float64]
    sites: NDArray[np.int64]
    ub: float = math.inf

    def offer(self, sites: NDArray[np.int64] | None) -> None:
        if sites is None:
            return
        sites = np.sort(np.asarray(sites, np.int64))
        cost = float(self.dist[:, sites].min(axis=1).sum())
        if cost < self.ub:
            self.sites, self.ub = sites, cost


def is_large_p(n: int, p: int) -> bool:
    """Return True when there are at most 10 clients per open site (n <= 10 p).

    There the fixed costs dominate: the start is greedy with 3 interchange steps (not a
    local optimum: vm1748 p = 500 needs 27 steps, 1.2 s), and the rounded LP gets one
    interchange with independent swaps instead of the perturbation restarts (fl1400
    p = 300: 6,174 in 0.06 s against 6,162 in 1.1 s; the tree's interchange every 8th node
    makes up the rest).
    """
    return n <= _LARGE_P_CLIENTS * p


def root_steps_for(p: int) -> int:
    """Return the subgradient steps of the root: 300 for p <= 10, down to 30 for p >= 100.

    With the warm master LP, the root mostly buys root fixing and the first cuts' levels.
    Measured on rl1304 / vm1748 (benchmarks/README.md): for p >= 200, 30 steps are 1.5-2.5x
    faster overall than 300; for p = 10, fewer than 300 steps make the first LP slower, and
    on u1432 (points on a grid) 10 or 20 steps made the first LP 2-15x slower at p = 200-300.
    """
    return int(min(300, max(30, 3000 // max(p, 1))))


def pmedian_benders(
    dist: NDArray[np.float64],
    p: int,
    grain: float,
    *,
    deadline: float,
    root_steps: int | None = None,
) -> dict[str, object]:
    """Lagrangian root, Benders LP, then branch-and-Benders-cut (see the comment block above).

    Parameters
    ----------
    dist
        Weighted costs, clients x sites.
    p
        Number of sites to open (1 <= p < number of sites).
    grain
        Objective grain (0 when unknown).
    deadline
        ``time.perf_counter()`` value of the time limit.
    root_steps
        Subgradient steps of the Lagrangian root that seeds the first cuts
        (:func:`root_steps_for` when None).

    Returns
    -------
    dict
        ``open`` (p sites), ``bound`` (proven lower bound) and ``stats``.
    """
    from ruralnet.classic.heuristics import pmedian_greedy, pmedian_heuristic, pmedian_interchange
    from ruralnet.classic.lagrangian import (
        ROOT_RULE,
        lagrangian_fixing,
        lagrangian_prunes,
        pmedian_lagrangian,
    )

    t0 = time.perf_counter()
    n, m = dist.shape
    inc = _Best(dist, np.zeros(0, np.int64))
    large = is_large_p(n, p)
    near = near_sites_for(dist, p)  # root steps and separation on each client's nearest sites
    greedy = pmedian_greedy(dist, p)
    # large p: a few swap steps only (each a pass over the matrix; vm1748 p = 500 needs 27)
    swap_steps = _LARGE_P_SWAP_STEPS if large else None
    inc.offer(
        pmedian_interchange(
            dist, greedy, deadline=deadline, independent=True, max_steps=swap_steps, near=near
        )
    )
    stats: dict[str, float | int | str] = {"heuristic": inc.ub, "heuristic_seconds": 0.0}
    stats["heuristic_seconds"] = time.perf_counter() - t0
    second = (
        near.dist[:, 1] if near else np.partition(dist, min(1, m - 1), axis=1)[:, min(1, m - 1)]
    )
    start = second.copy()
    stop = inc.ub - grain + 2e-6 * grain if grain > 0 else inc.ub
    steps = root_steps_for(p) if root_steps is None else root_steps
    rule = dataclasses.replace(ROOT_RULE, max_iter=steps)
    root = pmedian_lagrangian(
        dist if near is None else near, np.full(n, math.inf), p, start, target=inc.ub,
        stop=stop, rule=rule, deadline=deadline,
    )  # fmt: skip
    bound = root.value
    stats.update(root_lagrangian=root.value, root_seconds=time.perf_counter() - t0)
    if lagrangian_prunes(bound, inc.ub, grain) or time.perf_counter() >= deadline:
        return {"open": inc.sites, "bound": min(bound, inc.ub), "stats": stats}
    # sites the root's bound already rules out stay out of the LP: its bound then holds for
    # the solutions cheaper than ub0, which is all the proof needs
    close0, _ = lagrangian_fixing(root.value, root.rho, p, inc.ub, grain)
    keep, ub0 = np.flatnonzero(~close0), inc.ub
    stats["sites_fixed_at_root"] = int(close0.sum())
    if keep.size <= p:
        if keep.size == p:
            inc.offer(keep)
        return {"open": inc.sites, "bound": inc.ub, "stats": stats}
    sub = dist[:, keep]
    near_sub = near if near is None or keep.size == m else near_sites_for(sub, p)
    lp = benders_lp(sub, p, root.lam, deadline=deadline, near=near_sub)
    bound = max(bound, min(ub0, lp.bound))
    stats.update(
        lp_bound=lp.bound, lp_rounds=lp.rounds, lp_cuts=lp.cuts, lp_seconds=lp.seconds,
        lp_converged=int(lp.converged),
    )  # fmt: skip
    # the LP rounded two ways (an integral LP point is optimal as it stands: no polish then)
    inc.offer(keep[np.argsort(-lp.y, kind="stable")[:p]])
    greedy_lp = support_greedy(sub, lp.y, np.zeros(keep.size, bool), p)
    inc.offer(None if greedy_lp is None else keep[greedy_lp])
    if not lagrangian_prunes(bound, inc.ub, grain):
        if large:
            inc.offer(
                pmedian_interchange(dist, inc.sites, deadline=deadline, independent=True, near=near)
            )
        else:
            budget = min(_POLISH_S, 0.1 * max(deadline - time.perf_counter(), 0.0))
            inc.offer(pmedian_heuristic(dist, p, starts=inc.sites, time_budget_s=budget)[0])
    stats["lp_incumbent"] = inc.ub
    if lagrangian_prunes(bound, inc.ub, grain) or time.perf_counter() >= deadline:
        return {"open": inc.sites, "bound": min(bound, inc.ub), "stats": stats}

    def offer(cols: NDArray[np.int64]) -> float:
        inc.offer(keep[cols])
        return inc.ub

    ub_at_tree = inc.ub
    tree = cut_tree(
        p, lp.master, offer, bound=lp.bound, ub=inc.ub, grain=grain, deadline=deadline,
        near=near_sub,
    )  # fmt: skip
    bound = max(bound, min(ub0, ub_at_tree, tree.bound))
    stats.update(tree_seconds=tree.seconds, nodes=tree.nodes, tree_finished=int(tree.finished))
    return {"open": inc.sites, "bound": min(bound, inc.ub), "stats": stats}
