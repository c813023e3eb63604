"""Fast numpy heuristics that give the exact models a start and an upper bound.

* p-median: greedy construction, then best-improvement interchange (Teitz and Bart 1968)
  with the swap matrix evaluated in one pass from the nearest and second-nearest open
  site of each client (the "fast interchange" bookkeeping of Whitaker 1983).
* UFLP: greedy add, then add / drop / swap moves until none improves.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from ruralnet.classic.near_sites import NearSites

logger = logging.getLogger(__name__)

_EPS = 1e-9
_DENSE_SWAP_P = 16  # up to this many open sites the dense swap evaluation is faster


@dataclass(frozen=True)
class _Nearest:
    """Per client: nearest and second-nearest open distance and their positions."""

    d1: NDArray[np.float64]
    c1: NDArray[np.int64]
    d2: NDArray[np.float64]
    c2: NDArray[np.int64]


def _nearest_two(
    dist: NDArray[np.float64], open_sites: NDArray[np.int64], near: NearSites | None = None
) -> _Nearest:
    """Nearest and second-nearest open site of every client (positions in ``open_sites``).

    With ``near`` (the clients' nearest sites of ``dist``) a client with two open sites among
    its nearest is read from those; only the others scan every open site.
    """
    n = dist.shape[0]
    if len(open_sites) == 1:
        zero = np.zeros(n, np.int64)
        return _Nearest(dist[:, open_sites[0]].copy(), zero, np.full(n, np.inf), zero)
    if near is None:
        return _nearest_two_dense(dist, open_sites)
    pos = np.full(dist.shape[1], -1, np.int64)
    pos[open_sites] = np.arange(len(open_sites))
    at = pos[near.site]  # clients x k: position of each near site among the open, or -1
    hit = at >= 0
    rows = np.arange(n)
    first = np.argmax(hit, axis=1)
    hit[rows, first] = False
    second = np.argmax(hit, axis=1)
    out = _Nearest(
        near.dist[rows, first], at[rows, first], near.dist[rows, second], at[rows, second]
    )
    short = np.flatnonzero(~hit[rows, second])  # fewer than two open among the nearest
    if short.size:
        rest = _nearest_two_dense(dist[short], open_sites)
        for mine, theirs in zip(
            (out.d1, out.c1, out.d2, out.c2), (rest.d1, rest.c1, rest.d2, rest.c2), strict=True
        ):
            mine[short] = theirs
    return out


def _nearest_two_dense(dist: NDArray[np.float64], open_sites: NDArray[np.int64]) -> _Nearest:
    """:func:`_nearest_two` from every open site (at least two)."""
    sub = dist[:, open_sites]
    n = sub.shape[0]
    two = np.argpartition(sub, 1, axis=1)[:, :2]
    a = sub[np.arange(n), two[:, 0]]
    b = sub[np.arange(n), two[:, 1]]
    nearer = a <= b
    return _Nearest(
        np.minimum(a, b),
        np.where(nearer, two[:, 0], two[:, 1]),
        np.maximum(a, b),
        np.where(nearer, two[:, 1], two[:, 0]),
    )


def pmedian_greedy(
    dist: NDArray[np.float64], p: int, *, opened: NDArray[np.int64] | None = None
) -> NDArray[np.int64]:
    """Open p sites one at a time, each time the one that lowers the total cost most.

    ``opened`` (optional) are open from the start and count towards p. The saving of every
    site, ``gain[j] = sum_i max(0, best_i - d_ij)``, is updated only for the clients whose
    nearest open distance ``best_i`` changed, so large p stays cheap.
    """
    if opened is not None and len(opened):
        chosen = [int(j) for j in opened]
        best = dist[:, chosen].min(axis=1)
    else:
        chosen = [int(np.argmin(dist.sum(axis=0)))]
        best = dist[:, chosen[0]].copy()
    below = np.subtract(best[:, None], dist)
    gain = np.maximum(below, 0.0, out=below).sum(axis=0)
    del below
    gain[chosen] = -np.inf  # an open site stays at -inf through the updates
    for _ in range(p - len(chosen)):
        j = int(np.argmax(gain))
        chosen.append(j)
        gain[j] = -np.inf
        col = dist[:, j]
        moved = np.flatnonzero(col < best)
        old, new = best[moved], col[moved]
        # max(0, old - d) - max(0, new - d) = min(max(0, old - d), old - new) as new < old
        drop = dist[moved]
        np.subtract(old[:, None], drop, out=drop)
        np.maximum(drop, 0.0, out=drop)
        np.minimum(drop, (old - new)[:, None], out=drop)
        gain -= drop.sum(axis=0)
        best[moved] = new
    return np.array(chosen, np.int64)


def _swap_deltas(
    dist: NDArray[np.float64],
    cur: NDArray[np.int64],
    two: _Nearest,
    near: NearSites | None = None,
) -> NDArray[np.float64]:
    """Cost change of every swap (open position r out, site j in) and the current cost.

    Per client i with nearest open distance d1, second nearest d2 (``two``):
    gain[j] = sum_i max(0, d1_i - d_ij) and
    loss[r, j] = sum_{i: nearest(i) = r} (min(d_ij, d2_i) - min(d_ij, d1_i)).
    For d_ij >= d2_i the loss term is the constant d2_i - d1_i, so for large p (d2 near)
    only the pairs with d_ij < d2_i are visited (read from ``near`` for the clients whose
    d2 is within their nearest sites); for small p a dense product is cheaper.
    """
    p = len(cur)
    n, m = dist.shape
    d1, c1, d2 = two.d1, two.c1, two.d2
    if p <= _DENSE_SWAP_P:
        gain = np.maximum(d1[:, None] - dist, 0.0).sum(axis=0)
        extra = np.minimum(dist, d2[:, None]) - np.minimum(dist, d1[:, None])
        member = np.zeros((p, n))
        member[c1, np.arange(n)] = 1.0
        return member @ extra - gain[None, :]
    r, j, dij = _pairs_below(dist, d2, near)
    gain = np.bincount(j, weights=np.maximum(d1[r] - dij, 0.0), minlength=m)
    base = np.bincount(c1, weights=d2 - d1, minlength=p)
    # (d2 - d1) - (min(d_ij, d2) - min(d_ij, d1)) for the pairs with d_ij < d2
    corr = (d2[r] - d1[r]) - (dij - np.minimum(dij, d1[r]))
    less = np.bincount(c1[r] * m + j, weights=corr, minlength=p * m).reshape(p, m)
    return base[:, None] - less - gain[None, :]


def _pairs_below(
    dist: NDArray[np.float64], level: NDArray[np.float64], near: NearSites | None
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """Every (client i, site j, d_ij) with ``d_ij < level_i``.

    A client whose level is at most its k-th nearest distance has all of them among its
    nearest sites (every other site is at least that far); the others scan the whole row.
    """
    if near is None:
        r, j = np.nonzero(dist < level[:, None])
        return r, j, dist[r, j]
    beyond = level > near.reach
    inside = near.dist < level[:, None]
    inside[beyond] = False
    r, col = np.nonzero(inside)
    far = np.flatnonzero(beyond)
    rf, jf = np.nonzero(dist[far] < level[far, None])
    return (
        np.concatenate([r, far[rf]]),
        np.concatenate([near.site[r, col], jf]),
        np.concatenate([near.dist[r, col], dist[far[rf], jf]]),
    )


def _independent_swaps(
    dist: NDArray[np.float64], two: _Nearest, delta: NDArray[np.float64], tol: float
) -> list[tuple[int, int]]:
    """Improving swaps, best first, that touch disjoint sets of clients.

    Swap (r, j) can change the nearest or second-nearest open site only of the clients
    served first or second by r and of those with d_ij < d2; on disjoint sets the cost
    changes add up exactly, so all of them can be made in one step. The first is the best
    swap overall.
    """
    best_j = np.argmin(delta, axis=1)
    best = delta[np.arange(delta.shape[0]), best_j]
    taken = np.zeros(dist.shape[0], bool)
    used: set[int] = set()
    chosen: list[tuple[int, int]] = []
    for r in np.argsort(best, kind="stable"):
        if best[r] >= -tol:
            break
        j = int(best_j[r])
        if j in used:
            continue
        touched = (two.c1 == r) | (two.c2 == r) | (dist[:, j] < two.d2)
        if (touched & taken).any():
            continue
        taken |= touched
        used.add(j)
        chosen.append((int(r), j))
    return chosen


def pmedian_interchange(
    dist: NDArray[np.float64],
    open_sites: NDArray[np.int64],
    *,
    fixed: NDArray[np.float64] | None = None,
    deadline: float = np.inf,
    independent: bool = False,
    max_steps: int | None = None,
    near: NearSites | None = None,
) -> NDArray[np.int64]:
    """Best-improvement swap local search from ``open_sites``; return a local optimum.

    ``max_steps`` (optional) stops it after that many steps, short of a local optimum.
    ``near`` (optional, the clients' nearest sites of ``dist``) gives the same steps from
    fewer entries where p is large.

    Each step evaluates every swap at once (:func:`_swap_deltas`), plus
    ``fixed[j] - fixed[r]`` when opening costs are given, and makes the best one; with
    ``independent`` also every improving swap independent of it (:func:`_independent_swaps`:
    4x faster for p = 500, but its local optima were worse on OR-Library pmed25/30/34, which
    then needed 300+ branch-and-bound nodes instead of 1, so it only seeds a first bound).
    """
    cur = np.array(open_sites, np.int64)
    p = len(cur)
    m = dist.shape[1]
    if p in (0, m):
        return np.sort(cur)
    steps = 0
    while time.perf_counter() < deadline and (max_steps is None or steps < max_steps):
        steps += 1
        two = _nearest_two(dist, cur, near)
        delta = _swap_deltas(dist, cur, two, near)
        if fixed is not None:
            delta += fixed[None, :] - fixed[cur][:, None]
        delta[:, cur] = np.inf
        tol = _EPS * max(1.0, float(two.d1.sum()))
        if independent:
            swaps = _independent_swaps(dist, two, delta, tol)
        else:
            r, j = np.unravel_index(int(np.argmin(delta)), delta.shape)
            swaps = [(int(r), int(j))] if delta[r, j] < -tol else []
        if not swaps:
            break
        for r, j in swaps:
            cur[r] = j
    return np.sort(cur)


def pmedian_heuristic(
    dist: NDArray[np.float64],
    p: int,
    *,
    seed: int = 0,
    time_budget_s: float = 10.0,
    starts: NDArray[np.int64] | None = None,
) -> tuple[NDArray[np.int64], float]:
    """Greedy + interchange, then a few seeded perturbation restarts while time allows.

    Parameters
    ----------
    dist
        Weighted costs, clients x sites.
    p
        Number of sites to open.
    seed
        Seed of the perturbations.
    time_budget_s
        Wall-clock budget.
    starts
        Optional starting site set (e.g. rounded from an LP) used instead of greedy.

    Returns
    -------
    tuple
        Sorted open sites and their total cost.
    """
    deadline = time.perf_counter() + time_budget_s
    init = pmedian_greedy(dist, p) if starts is None else np.asarray(starts, np.int64)
    best = pmedian_interchange(dist, init, deadline=deadline)
    best_cost = float(dist[:, best].min(axis=1).sum())
    rng = np.random.default_rng(seed)
    m = dist.shape[1]
    rounds = 0
    stall = 0
    while p < m and stall < 3 and time.perf_counter() < deadline:  # noqa: PLR2004
        rounds += 1
        cur = best.copy()
        k = max(1, min(p, m - p, int(rng.integers(1, 4))))
        out = rng.choice(p, size=k, replace=False)
        closed = np.setdiff1d(np.arange(m), cur)
        cur[out] = rng.choice(closed, size=k, replace=False)
        cur = pmedian_interchange(dist, cur, deadline=deadline)
        cost = float(dist[:, cur].min(axis=1).sum())
        if cost < best_cost - _EPS * max(1.0, best_cost):
            best, best_cost, stall = cur, cost, 0
        else:
            stall += 1
    logger.debug("p-median heuristic: %.6g after %d perturbation rounds", best_cost, rounds)
    return best, best_cost


def uflp_cost(
    dist: NDArray[np.float64], fixed: NDArray[np.float64], sites: NDArray[np.int64]
) -> float:
    """Total cost of opening ``sites`` (fixed + nearest-site service)."""
    if len(sites) == 0:
        return np.inf
    return float(fixed[sites].sum() + dist[:, sites].min(axis=1).sum())


def uflp_heuristic(
    dist: NDArray[np.float64],
    fixed: NDArray[np.float64],
    *,
    time_budget_s: float = 10.0,
) -> tuple[NDArray[np.int64], float]:
    """Greedy add, then add / drop / swap moves (first best of each kind) until none improves.

    Parameters
    ----------
    dist
        Weighted costs, clients x sites.
    fixed
        Opening cost per site.
    time_budget_s
        Wall-clock budget.

    Returns
    -------
    tuple
        Sorted open sites and the total cost.
    """
    deadline = time.perf_counter() + time_budget_s
    m = dist.shape[1]
    is_open = np.zeros(m, bool)
    j0 = int(np.argmin(fixed + dist.sum(axis=0)))
    is_open[j0] = True
    best = uflp_cost(dist, fixed, np.flatnonzero(is_open))
    improved = True
    while improved and time.perf_counter() < deadline:
        improved = False
        cur = np.flatnonzero(is_open)
        d1 = dist[:, cur].min(axis=1)
        add = fixed - np.maximum(d1[:, None] - dist, 0.0).sum(axis=0)
        add[is_open] = np.inf
        j = int(np.argmin(add))
        if add[j] < -_EPS * max(1.0, best):
            is_open[j] = True
            best += float(add[j])
            improved = True
            continue
        if len(cur) > 1:
            drops = np.array([uflp_cost(dist, fixed, np.delete(cur, t)) for t in range(len(cur))])
            t = int(np.argmin(drops))
            if drops[t] < best - _EPS * max(1.0, best):
                is_open[cur[t]] = False
                best = float(drops[t])
                improved = True
                continue
        swapped = pmedian_interchange(dist, cur, fixed=fixed, deadline=deadline)
        cost = uflp_cost(dist, fixed, swapped)
        if cost < best - _EPS * max(1.0, best):
            is_open[:] = False
            is_open[swapped] = True
            best = cost
            improved = True
    sites = np.flatnonzero(is_open)
    return sites, uflp_cost(dist, fixed, sites)
