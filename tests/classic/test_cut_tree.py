"""ruralnet.classic: the warm Benders master LP and branch-and-Benders-cut."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pmedian_instances import points, pset_costs

from ruralnet.classic import Status, p_median
from ruralnet.classic.benders import benders_lp
from ruralnet.classic.cut_master import CutMaster
from ruralnet.classic.cut_tree import cover_levels, cut_tree, node_lagrangian, support_greedy


@settings(max_examples=40, deadline=None)
@given(st.integers(4, 8), st.integers(0, 2**32 - 1))
def test_node_bound_holds_for_every_solution_of_the_node(n, seed):
    """Any multipliers, any fixings: L(lambda) of a node is below each of its p-sets."""
    rng = np.random.default_rng(seed)
    d = points(n, seed)
    p = int(rng.integers(1, n))
    state = rng.integers(0, 3, n)  # 0 free, 1 open, 2 shut
    opened, free = state == 1, state == 0
    q = p - int(opened.sum())
    if q < 0 or q > free.sum():
        return
    lam = rng.uniform(0, 800, n)
    value, _ = node_lagrangian(d, lam, q, opened, free)
    for s, cost in pset_costs(d, p).items():
        chosen = np.zeros(n, bool)
        chosen[list(s)] = True
        if (chosen[opened]).all() and not chosen[state == 2].any():
            assert value <= cost + 1e-9


def tree_from_lp(d: np.ndarray, p: int, ub: float) -> tuple[object, list[float]]:
    """Converged LP, then the tree from incumbent cost ``ub``; returns it and every offer."""
    lp = benders_lp(d, p, np.partition(d, 1, axis=1)[:, 1], deadline=math.inf)
    found: list[float] = [ub]

    def offer(cols: np.ndarray) -> float:
        assert cols.size == p
        found.append(float(d[:, cols].min(axis=1).sum()))
        return min(found)

    tree = cut_tree(p, lp.master, offer, bound=lp.bound, ub=ub, grain=1.0, deadline=math.inf)
    return tree, found


@settings(max_examples=30, deadline=None)
@given(st.integers(5, 11), st.integers(0, 2**32 - 1), st.booleans(), st.booleans())
def test_cut_tree_proves_the_brute_force_optimum(n, seed, from_worst, metric):
    """From the converged LP and a poor incumbent the tree ends at the optimum, bound inf.

    Non-metric integer costs leave LP gaps, so the tree branches and fixes sites.
    """
    rng = np.random.default_rng(seed)
    d = points(n, seed) if metric else rng.integers(0, 1000, (n, n)).astype(float)
    p = int(rng.integers(1, n))
    costs = pset_costs(d, p)
    best = min(costs.values())
    ub = max(costs.values()) if from_worst else math.inf
    tree, found = tree_from_lp(d, p, ub)
    assert tree.finished
    assert tree.bound == math.inf
    assert min(found) == best


@pytest.mark.parametrize(("n", "p", "seed"), [(40, 5, 1), (50, 4, 4)])
def test_cut_tree_branches_to_the_assignment_mip_optimum(n, p, seed):
    """Random integer costs (LP gaps 4-20 %): dozens of nodes, the MIP's proven optimum."""
    d = np.random.default_rng(seed).integers(0, 1000, (n, n)).astype(float)
    tree, found = tree_from_lp(d, p, math.inf)
    ref = p_median(d, p, formulation="assignment")
    assert ref.status == Status.OPTIMAL
    assert tree.finished
    assert tree.nodes > 5
    assert min(found) == ref.objective


def test_time_limited_tree_keeps_a_bound_below_the_optimum():
    """A tree stopped at once returns the root's LP bound, not -inf, and no proof."""
    d = points(60, 3)
    p = 4
    start = np.partition(d, 1, axis=1)[:, 1]
    lp = benders_lp(d, p, start, deadline=math.inf)
    tree = cut_tree(
        p, lp.master, lambda c: math.inf, bound=lp.bound, ub=math.inf, grain=1.0, deadline=0.0
    )
    assert not tree.finished
    assert tree.bound == lp.bound
    assert math.isfinite(tree.bound)


@pytest.mark.parametrize("seed", range(3))
def test_master_grown_by_rounds_equals_one_built_at_once(seed):
    """Cuts added over rounds (warm re-solves) give the LP value of a master given all at once."""
    d = points(30, seed)
    rng = np.random.default_rng(seed)
    clients = rng.integers(0, 30, 200)
    levels = d[clients, rng.integers(0, 30, 200)]
    grown, fresh = CutMaster(d, 5), CutMaster(d, 5)
    for part in np.array_split(np.arange(200), 4):
        grown.add_cuts(clients[part], levels[part])
        assert grown.solve(60.0) is not None
    assert grown.add_cuts(clients, levels) == 0  # every cut is known
    fresh.add_cuts(clients, levels)
    a, b = grown.solve(60.0), fresh.solve(60.0)
    assert a is not None and b is not None
    assert a.objective == pytest.approx(b.objective, rel=1e-9, abs=1e-6)
    lower, upper = np.zeros(30), np.ones(30)
    upper[:25] = 0.0  # five sites left: all must open
    grown.set_site_bounds(lower, upper)
    c = grown.solve(60.0)
    assert c is not None
    assert np.allclose(c.y[25:], 1.0)


def test_master_time_limit_counts_from_this_solve():
    """HiGHS counts its time limit from the model's creation; each solve gets its own."""
    d = points(120, 5)
    master = CutMaster(d, 6)
    rows = np.arange(120)
    rng = np.random.default_rng(5)
    lower, upper = np.zeros(120), np.ones(120)
    for k in range(400):  # re-solve with other bounds until the model has run for a while
        master.add_cuts(rows, d[rows, rng.integers(0, 120, 120)])
        upper[:] = 1.0
        upper[rng.integers(0, 120, 10)] = 0.0
        master.set_site_bounds(lower, upper)
        assert master.solve(60.0) is not None, k
        if master.seconds > 0.3:
            break
    assert master.seconds > 0.3
    upper[:] = 1.0
    master.set_site_bounds(lower, upper)
    assert master.solve(0.25) is not None


def test_benders_is_deterministic_and_verified():
    """Two runs, same plan and same search; the tree's incumbent passes the verifier."""
    d = np.random.default_rng(11).integers(0, 1000, (70, 70)).astype(float)
    a = p_median(d, 6, formulation="benders")
    b = p_median(d, 6, formulation="benders")
    assert a.status == Status.OPTIMAL
    assert np.array_equal(a.open, b.open)
    assert a.objective == b.objective
    assert a.stats.get("nodes") == b.stats.get("nodes")
    assert a.stats.get("nodes", 0) > 1  # the tree did the proof, not the root


def test_drop_slack_cuts_refuses_a_stale_point():
    d = points(20, 1)
    master = CutMaster(d, 3)
    master.add_cuts(np.arange(20), d.max(axis=1) / 2)
    point = master.solve(10.0)
    assert point is not None
    master.add_cuts(np.arange(20), d.max(axis=1) / 3)
    with pytest.raises(ValueError, match="last solve"):
        master.drop_slack_cuts(point)


def test_drop_slack_cuts_drops_exactly_the_slack_cuts():
    """The cuts' values are their left-hand sides; the slack ones with zero dual go."""
    d = points(30, 2)
    master = CutMaster(d, 4)
    for share in (0.5, 0.3, 0.2, 0.1):
        master.add_cuts(np.arange(30), np.quantile(d, share, axis=1))
    point = master.solve(10.0)
    assert point is not None
    gain = np.maximum(master.level[:, None] - d[master.client], 0.0)
    lhs = point.theta[master.client] + gain @ point.y
    assert np.allclose(point.cut_values, lhs, rtol=1e-9, atol=1e-7)
    slack = (point.cut_duals <= 0) & (lhs > master.level + 1e-6 * np.maximum(1.0, master.level))
    assert 0 < slack.sum() < master.cuts
    kept = set(zip(master.client[~slack].tolist(), master.level[~slack].tolist(), strict=True))
    assert master.drop_slack_cuts(point) == slack.sum()
    assert set(zip(master.client.tolist(), master.level.tolist(), strict=True)) == kept
    again = master.solve(10.0)
    assert again is not None
    assert again.objective == pytest.approx(point.objective, rel=1e-9)


def test_time_limited_benders_run_keeps_a_finite_bound():
    """Stopped anywhere (root, LP or tree), the result has a finite bound below its cost."""
    d = np.random.default_rng(2).integers(0, 1000, (60, 60)).astype(float)
    full = p_median(d, 6, formulation="benders")
    for limit in (0.05, 0.3, 1.0):
        res = p_median(d, 6, formulation="benders", time_limit_s=limit)
        assert math.isfinite(res.bound)
        assert res.bound <= full.objective + 1e-9 <= res.objective + 1e-9
        assert res.gap == pytest.approx((res.objective - res.bound) / res.objective)
        assert (res.status == Status.OPTIMAL) == (res.gap == 0.0)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 25), st.integers(1, 40), st.integers(0, 2**32 - 1))
def test_cover_levels_match_the_definition(n, s, seed):
    """Nearest-first search = the smallest distance t whose y (d <= t) sum to 1, ties included."""
    rng = np.random.default_rng(seed)
    d = np.floor(rng.uniform(0, 20, (n, s)))  # few distinct values: many ties
    ys = rng.uniform(0, 1, s) * (rng.uniform(0, 1, s) < 0.7)
    ys = ys / max(ys.sum(), 1e-9) * rng.uniform(1, 3)
    levels = cover_levels(d, ys)
    for i in range(n):
        reached = [t for t in np.unique(d[i]) if ys[d[i] <= t].sum() >= 1 - 1e-9]
        assert levels[i] == (reached[0] if reached else d[i].min())


def test_support_greedy_rounds_within_the_lp_support_from_the_open_sites():
    """p sites, all in the support or fixed open, the fixed ones kept; None if nothing to pick."""
    d = points(40, 3)
    rng = np.random.default_rng(3)
    y = np.where(rng.random(40) < 0.4, rng.random(40), 0.0)
    opened = np.zeros(40, bool)
    opened[[5, 17]] = True
    y[opened] = 1.0
    sites = support_greedy(d, y, opened, 6)
    assert sites is not None
    assert sites.size == len(set(sites.tolist())) == 6
    assert set(np.flatnonzero(opened)) <= set(sites.tolist())
    assert set(sites.tolist()) <= set(np.flatnonzero(y > 0).tolist())
    integral = np.zeros(40)
    integral[[1, 2, 3]] = 1.0
    assert support_greedy(d, integral, np.zeros(40, bool), 3) is None
