"""ruralnet.classic: the Benders-cut LP, the fast heuristics, time-limited bounds."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pmedian_instances import naive_greedy, points, pset_costs
from scipy.optimize import linprog

from ruralnet.classic import Status, p_median
from ruralnet.classic.benders import benders_lp, is_large_p, lagrangian_value
from ruralnet.classic.heuristics import pmedian_greedy, pmedian_interchange


def lp_bound(d: np.ndarray, p: int) -> float:
    """LP relaxation of the assignment model by scipy (x_ij <= y_j, sum_j x_ij = 1, sum y = p)."""
    n, m = d.shape
    nx = n * m
    c = np.r_[d.ravel(), np.zeros(m)]
    a_eq = np.zeros((n + 1, nx + m))
    for i in range(n):
        a_eq[i, i * m : (i + 1) * m] = 1.0
    a_eq[n, nx:] = 1.0
    b_eq = np.r_[np.ones(n), p]
    a_ub = np.zeros((nx, nx + m))
    a_ub[np.arange(nx), np.arange(nx)] = 1.0
    a_ub[np.arange(nx), nx + np.tile(np.arange(m), n)] = -1.0
    res = linprog(c, A_ub=a_ub, b_ub=np.zeros(nx), A_eq=a_eq, b_eq=b_eq, bounds=(0, 1))
    return float(res.fun)


@settings(max_examples=25, deadline=None)
@given(st.integers(4, 9), st.integers(0, 2**32 - 1))
def test_benders_matches_brute_force(n, seed):
    d = points(n, seed)
    p = int(np.random.default_rng(seed).integers(1, n))
    best = min(pset_costs(d, p).values())
    res = p_median(d, p, formulation="benders")
    assert res.status == Status.OPTIMAL
    assert res.objective == best
    assert res.bound <= best
    assert res.solver == "highs"


@settings(max_examples=15, deadline=None)
@given(st.integers(11, 16), st.sampled_from([1, 2]), st.integers(0, 2**32 - 1))
def test_benders_small_and_large_p_paths_match_brute_force(n, p, seed):
    # p = 1 has n > 10 p (interchange to a local optimum, perturbation polish); p = 2,
    # n <= 20 is "large p" (3 interchange steps, one interchange from the rounded LP)
    assert is_large_p(n, p) == (p == 2)
    d = points(n, seed)
    best = min(pset_costs(d, p).values())
    res = p_median(d, p, formulation="benders")
    assert res.status == Status.OPTIMAL
    assert res.objective == best
    assert res.bound <= best


@pytest.mark.parametrize("seed", range(4))
def test_benders_lp_reaches_the_lp_bound_with_multipliers_below_every_solution(seed):
    """Converged cuts: L(lambda) of the duals equals scipy's LP value and bounds every p-set."""
    d = points(12, seed)
    p = 3
    start = np.partition(d, 1, axis=1)[:, 1]
    lp = benders_lp(d, p, start, deadline=math.inf)
    assert lp.converged
    assert lp.bound == pytest.approx(lp_bound(d, p), abs=1e-6)
    value, _ = lagrangian_value(d, lp.lam, p)
    assert value == pytest.approx(lp.bound)
    assert lp.bound <= min(pset_costs(d, p).values()) + 1e-9


@pytest.mark.parametrize(
    ("n", "p", "opened"), [(30, 4, [7]), (40, 6, [3, 11, 20]), (25, 3, [0, 1, 2])]
)
def test_greedy_from_sites_already_open(n, p, opened):
    """``opened`` count towards p and the rest is the textbook greedy from them."""
    d = points(n, n + p)
    g = pmedian_greedy(d, p, opened=np.array(opened))
    assert g.tolist() == naive_greedy(d, p, tuple(opened))


def test_interchange_step_limit():
    """max_steps=0 returns the start; each further step costs no more; none beats the full run."""
    d = points(80, 5)
    start = pmedian_greedy(d, 30)[::-1].copy()
    cost = [
        float(d[:, pmedian_interchange(d, start, independent=True, max_steps=k)].min(axis=1).sum())
        for k in range(4)
    ]
    full = float(d[:, pmedian_interchange(d, start, independent=True)].min(axis=1).sum())
    assert pmedian_interchange(d, start, max_steps=0).tolist() == sorted(start.tolist())
    assert cost == sorted(cost, reverse=True)
    assert full <= cost[-1]


@pytest.mark.parametrize(("n", "p"), [(30, 1), (30, 4), (60, 25), (80, 40)])
def test_greedy_and_interchange(n, p):
    """Incremental greedy = the textbook one; interchange ends where no single swap helps."""
    d = points(n, n + p)
    g = pmedian_greedy(d, p)
    assert g.tolist() == naive_greedy(d, p)
    for independent in (False, True):
        s = pmedian_interchange(d, g, independent=independent)
        assert len(set(s.tolist())) == p
        cost = d[:, s].min(axis=1).sum()
        assert cost <= d[:, g].min(axis=1).sum()
        closed = np.setdiff1d(np.arange(n), s)
        for r, j in itertools.product(range(p), closed):
            t = s.copy()
            t[r] = j
            assert d[:, t].min(axis=1).sum() >= cost - 1e-9


@pytest.mark.parametrize("formulation", ["lagrangian", "benders"])
def test_time_limited_run_reports_a_finite_bound(formulation):
    """A 0.2 s limit on a 700-point p = 12 instance: feasible, finite bound <= objective."""
    d = points(700, 7)
    res = p_median(d, 12, formulation=formulation, time_limit_s=0.2)
    assert res.status == Status.FEASIBLE
    assert math.isfinite(res.bound)
    assert 0 < res.bound <= res.objective
    assert math.isfinite(res.gap)
    assert res.gap == pytest.approx((res.objective - res.bound) / res.objective)
