"""Each client's nearest sites: exact Lagrangian steps on n x k entries."""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np
import pytest
from pmedian_instances import points

from ruralnet.classic.benders import benders_lp
from ruralnet.classic.cut_master import CutMaster
from ruralnet.classic.cut_tree import cut_tree, node_lagrangian, separate
from ruralnet.classic.heuristics import _nearest_two, _swap_deltas, pmedian_interchange
from ruralnet.classic.lagrangian import ROOT_RULE, pmedian_lagrangian
from ruralnet.classic.near_sites import NearSites, near_sites_for


def test_rows_hold_the_k_nearest_sites_in_order():
    d = points(60, 1)
    near = NearSites.of(d, 7)
    assert near.site.shape == near.dist.shape == (60, 7)
    assert np.array_equal(near.dist, np.take_along_axis(d, near.site, axis=1))
    assert np.all(np.diff(near.dist, axis=1) >= 0)
    assert np.array_equal(near.dist, np.sort(d, axis=1)[:, :7])
    assert np.array_equal(near.reach, np.sort(d, axis=1)[:, 6])


def test_rho_below_the_reach_is_the_dense_value():
    d = points(80, 2)
    near = NearSites.of(d, 12)
    lam = near.reach * np.random.default_rng(3).uniform(0.2, 1.0, size=80)
    dense = np.minimum(d - lam[:, None], 0.0).sum(axis=0)
    assert np.allclose(near.rho(lam, np.empty_like(near.dist)), dense, rtol=0, atol=1e-9)


def test_served_counts_the_chosen_sites_nearer_than_the_multiplier():
    d = points(50, 4)
    near = NearSites.of(d, 10)
    lam = near.dist[:, 4] + 0.5
    red = np.empty_like(near.dist)
    near.rho(lam, red)
    chosen = np.array([0, 3, 7, 11, 20])
    dense = np.count_nonzero(d[:, chosen] < lam[:, None], axis=1)
    assert np.array_equal(near.served(red, chosen), dense)


def test_root_steps_on_near_sites_match_the_dense_steps_when_the_cap_never_binds():
    d = points(120, 5)
    p, n = 12, 120
    start = np.sort(d, axis=1)[:, 1].copy()
    rule = dataclasses.replace(ROOT_RULE, max_iter=40)
    ub = float(d[:, :p].min(axis=1).sum())
    kwargs = {"target": ub, "stop": ub, "rule": rule}
    dense = pmedian_lagrangian(d, np.full(n, math.inf), p, start, **kwargs)
    near = NearSites.of(d, 60)
    sparse = pmedian_lagrangian(near, np.full(n, math.inf), p, start, **kwargs)
    assert np.all(dense.lam <= near.reach)  # the cap did not bind on the dense path
    assert sparse.value == pytest.approx(dense.value, rel=1e-12)
    assert np.allclose(sparse.lam, dense.lam)


def test_a_binding_cap_still_gives_a_valid_bound():
    d = points(14, 6)
    p = 3
    best = min(d[:, list(c)].min(axis=1).sum() for c in itertools.combinations(range(14), p))
    near = NearSites.of(d, 2)  # a cap at the second-nearest distance binds
    start = near.dist[:, 1].copy()
    lb = pmedian_lagrangian(near, np.full(14, math.inf), p, start, target=best, stop=best)
    assert np.all(lb.lam <= near.reach + 1e-12)
    assert lb.value <= best + 1e-9
    assert lb.value > 0


def test_near_sites_for_stays_dense_when_k_is_a_large_share_of_the_sites():
    d = points(200, 7)
    assert near_sites_for(d, 10) is None  # k = 4 * 20 + 16 = 96 > 200 / 3
    near = near_sites_for(d, 40)  # k = 4 * 5 + 16 = 36
    assert near is not None
    assert near.site.shape == (200, 36)


@pytest.mark.parametrize("seed", range(4))
def test_separation_on_near_sites_finds_the_dense_cuts(seed):
    rng = np.random.default_rng(seed)
    d = points(90, 10 + seed)
    p = 9
    y = np.zeros(90)
    y[rng.choice(90, 20, replace=False)] = rng.uniform(0.05, 1.0, 20)
    y *= p / y.sum()
    theta = rng.uniform(0, 30, 90)
    near = NearSites.of(d, 8)  # small enough that some clients fall back to the dense rows
    assert not np.all(np.cumsum(y[near.site], axis=1)[:, -1] >= 1)
    bad, level = separate(d, y, theta)
    bad_near, level_near = separate(d, y, theta, near)
    assert np.array_equal(bad, bad_near)
    assert np.array_equal(level, level_near)


def test_node_lagrangian_on_near_sites_is_the_dense_value_or_falls_back():
    d = points(70, 20)
    near = NearSites.of(d, 10)
    opened, free = np.zeros(70, bool), np.ones(70, bool)
    opened[[3, 9]], free[[3, 9, 12]] = True, False
    within = near.reach * 0.9
    beyond = within.copy()
    beyond[5] = near.reach[5] * 3  # one multiplier past its reach: the dense sum
    for lam in (within, beyond):
        value, rho = node_lagrangian(d, lam, 4, opened, free, near)
        dense_value, dense_rho = node_lagrangian(d, lam, 4, opened, free)
        assert value == pytest.approx(dense_value, rel=1e-12)
        assert np.allclose(rho, dense_rho, rtol=0, atol=1e-9)


@pytest.mark.parametrize("seed", range(3))
def test_benders_lp_and_tree_on_near_sites_prove_the_brute_force_optimum(seed):
    d = points(13, 30 + seed)
    p = 4
    best = min(d[:, list(c)].min(axis=1).sum() for c in itertools.combinations(range(13), p))
    near = NearSites.of(d, 4)
    lp = benders_lp(d, p, near.dist[:, 1].copy(), deadline=math.inf, near=near)
    assert lp.bound <= best + 1e-9
    found = [math.inf]

    def offer(cols: np.ndarray) -> float:
        found.append(float(d[:, cols].min(axis=1).sum()))
        return min(found)

    tree = cut_tree(
        p, lp.master, offer, bound=lp.bound, ub=math.inf, grain=1.0, deadline=math.inf,
        near=near,
    )  # fmt: skip
    assert tree.finished
    assert min(found) == best


@pytest.mark.parametrize(("n", "p"), [(160, 20), (400, 160)])  # first cuts above lam0; both sides
def test_benders_lp_on_near_sites_adds_the_dense_cuts(n, p):
    d = points(n, 40 + p)
    near = NearSites.of(d, 4 * -(-n // p) + 16)
    lam0 = near.dist[:, 1] * 1.5
    lam0 = np.minimum(lam0, near.reach)
    dense = benders_lp(d, p, lam0, deadline=math.inf)
    sparse = benders_lp(d, p, lam0, deadline=math.inf, near=near)
    assert dense.converged and sparse.converged
    assert (sparse.rounds, sparse.cuts) == (dense.rounds, dense.cuts)
    assert np.array_equal(sparse.master.client, dense.master.client)
    assert np.array_equal(sparse.master.level, dense.master.level)
    assert sparse.bound == pytest.approx(dense.bound, rel=1e-9)


def test_master_rows_from_near_sites_are_the_dense_rows():
    d = points(60, 80)
    near = NearSites.of(d, 7)  # short rows: at most an eighth of the sites
    rng = np.random.default_rng(5)
    client = rng.integers(0, 60, 120)
    level = near.reach[client] * rng.uniform(0.3, 1.6, 120)  # some beyond the reach
    assert (level > near.reach[client]).any() and (level <= near.reach[client]).any()
    lps = []
    assert CutMaster(d, 6, near).near is near
    assert CutMaster(d, 6, NearSites.of(d, 8)).near is None  # 8 x 8 > 60: whole rows
    for master in (CutMaster(d, 6), CutMaster(d, 6, near)):
        master.add_cuts(client, np.floor(level))
        lps.append(master._h.getLp().a_matrix_)
    dense, sparse = lps
    assert list(sparse.start_) == list(dense.start_)
    assert list(sparse.index_) == list(dense.index_)
    assert list(sparse.value_) == list(dense.value_)


@pytest.mark.parametrize(("k", "p"), [(6, 20), (3, 40), (12, 5)])
def test_nearest_two_open_on_near_sites_are_the_dense_ones(k, p):
    """Clients with fewer than two open sites among their k nearest fall back to the row."""
    d = points(90, 11)
    near = NearSites.of(d, k)
    cur = np.random.default_rng(k).choice(90, p, replace=False)
    dense, fast = _nearest_two(d, cur), _nearest_two(d, cur, near)
    assert np.array_equal(fast.d1, dense.d1)
    assert np.array_equal(fast.d2, dense.d2)
    assert np.array_equal(d[np.arange(90), cur[fast.c1]], dense.d1)
    assert np.array_equal(d[np.arange(90), cur[fast.c2]], dense.d2)
    assert np.all(fast.c1 != fast.c2)


@pytest.mark.parametrize(("k", "beyond"), [(4, True), (20, True), (30, False)])
def test_swap_deltas_on_near_sites_are_the_dense_deltas(k, beyond):
    """Pairs with d_ij < d2_i come from the near sites or, beyond the reach, from the row."""
    d = points(120, 12)
    near = NearSites.of(d, k)
    cur = np.random.default_rng(k).choice(120, 24, replace=False)
    two = _nearest_two(d, cur)
    assert (two.d2 > near.reach).any() == beyond  # some clients read the whole row
    dense = _swap_deltas(d, cur, two)
    assert np.array_equal(_swap_deltas(d, cur, two, near), dense)
    brute = (
        np.array(
            [
                [d[:, np.r_[np.delete(cur, r), j]].min(axis=1).sum() for j in range(120)]
                for r in range(24)
            ]
        )
        - d[:, cur].min(axis=1).sum()
    )
    assert np.allclose(dense, brute, rtol=0, atol=1e-9)


@pytest.mark.parametrize("independent", [False, True])
def test_interchange_on_near_sites_takes_the_dense_steps(independent):
    d = points(150, 13)
    start = np.random.default_rng(5).choice(150, 30, replace=False)
    near = near_sites_for(d, 30)
    assert near is not None
    dense = pmedian_interchange(d, start, independent=independent)
    assert (
        pmedian_interchange(d, start, independent=independent, near=near).tolist() == dense.tolist()
    )
