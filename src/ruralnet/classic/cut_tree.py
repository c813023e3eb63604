"""Branch-and-Benders-cut for the p-median on the warm master LP of :mod:`.cut_master`.

Best-first search over site fixings. Each node re-solves the master LP from the last
basis with its sites' bounds set, adds the violated cuts of :func:`separate` until none
is left, and is bounded by L(lambda) of its cut duals with its fixings (evaluated in
numpy, valid for any lambda). A node also fixes its free sites by Lagrangian reduced
costs, offers the rounded LP point as a solution, and branches on its most fractional
site. Cuts are globally valid, so every node shares the one cut pool.
"""

from __future__ import annotations

import heapq
import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ruralnet.classic.heuristics import pmedian_greedy, pmedian_interchange
from ruralnet.classic.lagrangian import lagrangian_fixing, lagrangian_prunes

if TYPE_CHECKING:
    from collections.abc import Callable

    from numpy.typing import NDArray

    from ruralnet.classic.cut_master import CutMaster
    from ruralnet.classic.near_sites import NearSites

_NODE_ROUNDS = 40  # cut rounds per node before it branches anyway
_INTEGRAL = 1e-6
_COVER = 1 - 1e-9  # y* sums reaching this count as 1 in the separation
_VIOLATION = 1e-6  # relative violation of a cut that counts
_SUPPORT = 1e-12  # LP values above this are the sites the separation searches
_NEAREST = 8  # nearest sites per client tried before a full sort
_SEARCH_EVERY = 8  # every 8th node, interchange from its rounded LP point


def separate(
    dist: NDArray[np.float64],
    y: NDArray[np.float64],
    theta: NDArray[np.float64],
    near: NearSites | None = None,
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Clients with a violated cut at the LP point and the level of their deepest cut.

    The deepest cut of client i is at the first level t where the y of the sites with
    ``d_ij <= t`` sum to 1 (its right side is concave in t and turns there). Only the
    sites with y > 0 move that sum, so only their columns are searched; with ``near`` (the
    clients' nearest sites of ``dist``) first only those, which settle every client whose
    sum reaches 1 there (the sites beyond are no nearer than that level).
    """
    n = dist.shape[0]
    level, value = np.empty(n), np.empty(n)
    todo = np.arange(n)
    if near is not None:
        yk = y[near.site]
        cover = np.cumsum(yk, axis=1) >= _COVER
        done = cover[:, -1]
        t = near.dist[todo, np.argmax(cover, axis=1)]
        level[done] = t[done]
        value[done] = (t - (np.maximum(t[:, None] - near.dist, 0.0) * yk).sum(axis=1))[done]
        todo = np.flatnonzero(~done)
    if todo.size:
        support = np.flatnonzero(y > _SUPPORT)
        d, ys = dist[np.ix_(todo, support)], y[support]
        t = cover_levels(d, ys)
        level[todo] = t
        value[todo] = t - (np.maximum(t[:, None] - d, 0.0) * ys[None, :]).sum(axis=1)
    bad = np.flatnonzero(value > theta + _VIOLATION * np.maximum(1.0, level))
    return bad, level[bad]


def cover_levels(d: NDArray[np.float64], ys: NDArray[np.float64]) -> NDArray[np.float64]:
    """Per row of ``d``: the smallest distance t at which the ``ys`` of ``d <= t`` reach 1.

    The nearest few columns of each row settle most rows (they hold every column nearer
    than the last of them, so a sum reaching 1 there is exact); the other rows are sorted
    in full. Rows whose ``ys`` never reach 1 get their nearest distance.
    """
    n, s = d.shape
    level = np.empty(n)
    todo = np.arange(n)
    k = min(s, _NEAREST)
    if k < s:
        near = np.argpartition(d, k - 1, axis=1)[:, :k]
        done = _first_cover(np.take_along_axis(d, near, axis=1), ys[near], level, todo)
        todo = todo[~done]
    if todo.size:
        cols = np.broadcast_to(np.arange(s), (todo.size, s))
        _first_cover(d[todo], ys[cols], level, todo, every=True)
    return level


def _first_cover(
    dk: NDArray[np.float64],
    yk: NDArray[np.float64],
    level: NDArray[np.float64],
    rows: NDArray[np.int64],
    *,
    every: bool = False,
) -> NDArray[np.bool_]:
    """Write the cover level of ``rows`` whose columns ``dk`` (with ``yk``) reach 1."""
    order = np.argsort(dk, axis=1, kind="stable")
    sorted_d = np.take_along_axis(dk, order, axis=1)
    reach = np.cumsum(np.take_along_axis(yk, order, axis=1), axis=1)
    done = reach[:, -1] >= _COVER
    if every:
        done[:] = True
    pos = np.argmax(reach >= _COVER, axis=1)
    level[rows[done]] = sorted_d[np.flatnonzero(done), pos[done]]
    return done


def support_greedy(
    dist: NDArray[np.float64], y: NDArray[np.float64], opened: NDArray[np.bool_], p: int
) -> NDArray[np.int64] | None:
    """Round an LP point: greedy over its support (y > 0), from the sites fixed open.

    Much better than the p largest y where many y are fractional (on clustered points the
    LP splits clusters in halves: fl1400 p = 300, 7,753 against 6,201); the same sites when
    the point is integral. None when the support holds no more than p sites.
    """
    cols = np.flatnonzero(opened | (y > _SUPPORT))
    if cols.size <= p:
        return None
    return cols[pmedian_greedy(dist[:, cols], p, opened=np.flatnonzero(opened[cols]))]


def node_lagrangian(
    dist: NDArray[np.float64],
    lam: NDArray[np.float64],
    q: int,
    opened: NDArray[np.bool_],
    free: NDArray[np.bool_],
    near: NearSites | None = None,
) -> tuple[float, NDArray[np.float64]]:
    """Return L(lambda) of a node (sites ``opened`` open, q more among ``free``) and rho_j.

    With ``near`` and every multiplier within its client's reach, rho_j is summed over the
    nearest sites only (the same value).
    """
    if near is not None and np.all(lam <= near.reach):
        rho = near.rho(lam, np.empty_like(near.dist))
    else:
        rho = np.minimum(dist - lam[:, None], 0.0).sum(axis=0)
    value = lam.sum() + rho[opened].sum()
    if q > 0:
        value += np.sort(rho[free])[:q].sum()
    return float(value), rho


@dataclass(order=True)
class _Node:
    """A node: its bound (the heap's key, then its number) and its sites fixed open / shut."""

    bound: float
    seq: int
    opened: NDArray[np.bool_] = field(compare=False)
    shut: NDArray[np.bool_] = field(compare=False)


@dataclass
class _NodeLP:
    """A node's LP outcome: its bound, and L(lambda) with rho_j at the best multipliers."""

    bound: float
    value: float
    rho: NDArray[np.float64]
    y: NDArray[np.float64]
    converged: bool


@dataclass(frozen=True)
class TreeResult:
    """Outcome of :func:`cut_tree`."""

    bound: float
    """Lower bound on every solution cheaper than the incumbent at the start (inf: none)."""
    nodes: int
    finished: bool
    seconds: float


@dataclass
class _Search:
    """The search's shared state: the master, the incumbent's cost and the limits."""

    dist: NDArray[np.float64]
    p: int
    master: CutMaster
    offer: Callable[[NDArray[np.int64]], float]
    grain: float
    deadline: float
    ub: float
    near: NearSites | None = None
    """The clients' nearest sites of ``dist`` (separation and L(lambda) on fewer entries)."""
    rounded: int = 0
    """LP points rounded by :func:`support_greedy` so far."""

    def leaf(self, sites: NDArray[np.bool_]) -> None:
        self.ub = min(self.ub, self.offer(np.flatnonzero(sites)))

    def rounded_lp(self, node: _Node, y: NDArray[np.float64]) -> None:
        """Offer the node's support-greedy rounding, every 8th node improved by interchange."""
        sites = support_greedy(self.dist, y, node.opened, self.p)
        if sites is None:
            return
        self.ub = min(self.ub, self.offer(sites))
        self.rounded += 1
        if self.rounded % _SEARCH_EVERY == 0:
            better = pmedian_interchange(
                self.dist, sites, deadline=self.deadline, independent=True, near=self.near
            )
            self.ub = min(self.ub, self.offer(better))

    def cut_loop(self, node: _Node, q: int, free: NDArray[np.bool_]) -> _NodeLP | None:
        """Re-solve the node's LP until no cut is violated (or it prunes); None: out of time."""
        self.master.set_site_bounds(node.opened.astype(float), (~node.shut).astype(float))
        out = _NodeLP(node.bound, -math.inf, np.zeros(0), np.zeros(0), converged=False)
        for _ in range(_NODE_ROUNDS):
            point = self.master.solve(self.deadline - time.perf_counter())
            if point is None:
                return None
            out.y = point.y
            lam = np.bincount(
                self.master.client, weights=point.cut_duals * self.master.level,
                minlength=self.dist.shape[0],
            )  # fmt: skip
            value, rho = node_lagrangian(self.dist, lam, q, node.opened, free, self.near)
            if value > out.value:
                out.value, out.rho = value, rho
                out.bound = max(out.bound, value)
            if lagrangian_prunes(out.bound, self.ub, self.grain):
                return out
            bad, level = separate(self.dist, point.y, point.theta, self.near)
            if bad.size == 0:
                self.master.drop_slack_cuts(point)  # fewer rows: faster re-solves
                out.converged = True
                return out
            self.master.add_cuts(bad, level)
        return out

    def evaluate(self, node: _Node) -> list[_Node] | None:
        """Bound, fix, round and branch one node; None when out of time."""
        free = ~(node.opened | node.shut)
        q = self.p - int(node.opened.sum())
        if q < 0 or q >= free.sum():  # infeasible, or every free site must open
            if 0 <= q == free.sum():
                self.leaf(node.opened | free)
            return []
        if q == 0:
            self.leaf(node.opened)
            return []
        lp = self.cut_loop(node, q, free)
        if lp is None:
            return None
        rounded = node.opened.copy()
        rounded[np.flatnonzero(free)[np.argsort(-lp.y[free], kind="stable")[:q]]] = True
        self.leaf(rounded)
        self.rounded_lp(node, lp.y)
        if lagrangian_prunes(lp.bound, self.ub, self.grain):
            return []
        return self.branch(node, lp)

    def branch(self, node: _Node, lp: _NodeLP) -> list[_Node]:
        """Fix the node's free sites by reduced costs, then split it on a fractional site."""
        opened, shut, y, rho = node.opened.copy(), node.shut.copy(), lp.y, lp.rho
        fidx = np.flatnonzero(~(opened | shut))
        q = self.p - int(opened.sum())
        close, force = lagrangian_fixing(lp.value, rho[fidx], q, self.ub, self.grain)
        opened[fidx[force]], shut[fidx[close]] = True, True
        yf = y[fidx]
        if (close & (yf > _INTEGRAL)).any() or (force & (yf < 1 - _INTEGRAL)).any():
            return [_Node(lp.bound, 0, opened, shut)]  # the LP point is cut off: solve again
        # the LP point and the Lagrangian solution stay optimal with these sites fixed
        free = ~(opened | shut)
        q = self.p - int(opened.sum())
        if q in (0, int(free.sum())):
            self.leaf(opened | free if q else opened)
            return []
        frac = np.where(free, np.minimum(y, 1 - y), 0.0)
        j = int(np.argmax(frac))
        if frac[j] <= _INTEGRAL:
            if lp.converged:
                return []  # an integral LP point with no violated cut: the subtree's optimum
            j = int(np.argmax(np.where(free, y, -1.0)))
        # the children's L at the same lambda: one of them keeps the node's value
        kth, nxt = np.partition(rho[free], (q - 1, q))[[q - 1, q]]
        chosen = rho[j] <= kth
        up = lp.value + (0.0 if chosen else rho[j] - kth)
        down = lp.value + (nxt - rho[j] if chosen else 0.0)
        up_open, down_shut = opened.copy(), shut.copy()
        up_open[j], down_shut[j] = True, True
        return [
            _Node(max(lp.bound, up), 0, up_open, shut),
            _Node(max(lp.bound, down), 0, opened, down_shut),
        ]


def cut_tree(
    p: int,
    master: CutMaster,
    offer: Callable[[NDArray[np.int64]], float],
    *,
    bound: float,
    ub: float,
    grain: float,
    deadline: float,
    near: NearSites | None = None,
) -> TreeResult:
    """Search for a solution cheaper than ``ub`` by branch-and-Benders-cut.

    Parameters
    ----------
    p
        Number of sites to open.
    master
        The master LP with its cuts so far (over its matrix ``master.dist``); its site
        bounds are changed.
    offer
        Called with each candidate's site columns; returns the incumbent cost after it.
    bound
        A lower bound at the root (the converged LP's L(lambda), or -inf).
    ub
        Incumbent cost at the start.
    grain
        Objective grain (0 when unknown).
    deadline
        ``time.perf_counter()`` value at which the search stops.
    near
        The clients' nearest sites of ``master.dist`` (optional; the same search, fewer
        entries).

    Returns
    -------
    TreeResult
        ``bound``: the smallest bound of the nodes left open (``inf`` when none is, i.e.
        no solution is cheaper than the final incumbent).
    """
    t0 = time.perf_counter()
    dist = master.dist
    m = dist.shape[1]
    search = _Search(dist, p, master, offer, grain, deadline, ub, near)
    heap = [_Node(bound, 0, np.zeros(m, bool), np.zeros(m, bool))]
    seq = nodes = 0
    while heap:
        node = heapq.heappop(heap)
        if lagrangian_prunes(node.bound, search.ub, grain):
            continue
        if time.perf_counter() >= deadline:
            heapq.heappush(heap, node)
            break
        nodes += 1
        children = search.evaluate(node)
        if children is None:
            heapq.heappush(heap, node)
            break
        for child in children:
            seq += 1
            child.seq = seq
            heapq.heappush(heap, child)
    live = [nd.bound for nd in heap if not lagrangian_prunes(nd.bound, search.ub, grain)]
    bound = min(live) if live else math.inf
    return TreeResult(bound, nodes, not live, time.perf_counter() - t0)
