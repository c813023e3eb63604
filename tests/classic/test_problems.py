"""ruralnet.classic: hand-checked tiny instances, brute force, OR-Library pmed1, the verifier."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pmedian_instances import pset_costs
from scipy.optimize import linprog
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import shortest_path

from ruralnet.classic import (
    ClassicResult,
    Status,
    facility_location,
    max_cover,
    objective_grain,
    p_median,
    set_cover,
)
from ruralnet.classic import verify as cv
from ruralnet.errors import VerificationError

DATA = Path(__file__).parents[1] / "data" / "orlib"
LINE = np.array([0.0, 1.0, 5.0, 6.0])
LINE_D = np.abs(LINE[:, None] - LINE[None, :])
P_FORMS = [
    ("lagrangian", True),
    ("lagrangian", False),
    ("radius", True),
    ("radius", False),
    ("radius_cumulative", False),
    ("assignment", False),
]


def read_pmed(path: Path) -> tuple[np.ndarray, int]:
    """OR-Library pmed file -> shortest-path matrix; a repeated edge keeps its last cost."""
    tok = path.read_text().split()
    n, m, p = int(tok[0]), int(tok[1]), int(tok[2])
    cost: dict[tuple[int, int], int] = {}
    for k in range(m):
        i, j, c = (int(t) for t in tok[3 + 3 * k : 6 + 3 * k])
        cost[min(i, j) - 1, max(i, j) - 1] = c  # last occurrence wins
    ij = np.array(list(cost))
    g = csr_matrix((np.array(list(cost.values()), float), (ij[:, 0], ij[:, 1])), shape=(n, n))
    return shortest_path(g, directed=False), p


# ----------------------------------------------------------------------------------------
# tiny instances, checked by hand


@pytest.mark.parametrize(("formulation", "reduce"), P_FORMS)
def test_p_median_on_a_line(formulation, reduce):
    """Points 0, 1, 5, 6 on a line, all clients and sites, weights 1, 2, 1, 3, p = 2.

    Open {1, 6} (indices 1, 3): client 0 pays 1*1, client 2 pays 1*1, total 2.
    {0, 6} costs 2*1 + 1*1 = 3, {1, 5} costs 1 + 3 = 4, {0, 5} costs 2 + 3 = 5.
    """
    res = p_median(LINE_D, 2, weights=[1, 2, 1, 3], formulation=formulation, reduce=reduce)
    assert res.status == Status.OPTIMAL == "optimal"
    assert res.objective == 2.0
    assert res.open.tolist() == [1, 3]
    assert res.assignment.tolist() == [1, 1, 3, 3]
    assert res.gap == 0.0
    assert res.bound == 2.0


def test_p_median_p_equals_sites_and_zero_weights():
    """p = number of sites opens all (cost 0); all-zero weights cost 0 with any p sites."""
    assert p_median(LINE_D, 4).objective == 0.0
    res = p_median(LINE_D, 2, weights=[0, 0, 0, 0])
    assert res.objective == 0.0
    assert len(res.open) == 2


def test_uflp_by_hand():
    """Two sites with fixed costs 3 and 10; three clients.

    costs = [[1, 4], [2, 3], [9, 1]]: site 0 alone 3 + 1 + 2 + 9 = 15, site 1 alone
    10 + 4 + 3 + 1 = 18, both 13 + 1 + 2 + 1 = 17. Optimum 15 with site 0.
    """
    costs = np.array([[1, 4], [2, 3], [9, 1]], float)
    for form in ("assignment", "radius"):
        res = facility_location(costs, [3, 10], formulation=form)
        assert res.problem == "uflp"
        assert res.objective == 15.0
        assert res.open.tolist() == [0]


def test_cflp_splits_demand_by_hand():
    """Two sites (capacity 6 each, fixed 5 and 5), clients with demand 4 and 4.

    costs (for all of a client's demand) = [[4, 8], [4, 8]]. One site cannot hold 8, so
    both open: 10 fixed; site 0 takes 6 units (cost 4 per 4 units = 1/unit), site 1 takes
    2 units (2/unit): 6 + 4 = 10, total 20.
    """
    costs = np.array([[4, 8], [4, 8]], float)
    res = facility_location(costs, [5, 5], capacities=[6, 6], demands=[4, 4])
    assert res.problem == "cflp"
    assert res.objective == pytest.approx(20.0)
    assert res.open.tolist() == [0, 1]
    assert res.allocation is not None
    assert res.allocation.sum(axis=1) == pytest.approx([1.0, 1.0])
    assert [4, 4] @ res.allocation == pytest.approx([6.0, 2.0])


def test_cflp_reports_infeasible_capacity():
    res = facility_location(np.ones((2, 1)), [1], capacities=[1], demands=[1, 1])
    assert res.status == Status.INFEASIBLE
    assert np.isnan(res.objective)


def test_set_cover_by_hand():
    """Line 0, 1, 5, 6 with radius 1: {1 or 0} covers 0 and 1, {2 or 3} covers 5 and 6.

    Site costs 3, 1, 2, 2: cheapest is {1, 2} or {1, 3} at cost 3.
    """
    res = set_cover(LINE_D, [3, 1, 2, 2], radius=1.0)
    assert res.objective == 3.0
    assert res.open[0] == 1
    assert len(res.open) == 2
    assert (LINE_D[np.arange(4), res.assignment] <= 1.0).all()


def test_set_cover_infeasible_names_clients():
    cov = np.array([[True, False], [False, False]])
    res = set_cover(cov, [1, 1])
    assert res.status == Status.INFEASIBLE
    assert res.stats["uncoverable"] == [1]


def test_max_cover_by_hand():
    """Line 0, 1, 5, 6, weights 1, 2, 1, 3, radius 1, p = 1: a site at 5 or 6 covers 1 + 3."""
    res = max_cover(LINE_D, 1, 1.0, weights=[1, 2, 1, 3])
    assert res.objective == 4.0
    assert res.assignment[0] == -1
    assert res.assignment[1] == -1
    assert res.open.tolist() in ([2], [3])


def test_objective_grain():
    assert objective_grain(np.array([2.0, 4.0, 6.0])) == 2.0
    assert objective_grain(np.array([0.125, 0.25])) == pytest.approx(0.125)
    assert objective_grain(np.array([np.pi])) == 0.0
    assert objective_grain(np.zeros(3)) == 1.0
    assert objective_grain(np.array([0.0, -3.0, 6.0])) == 3.0
    assert objective_grain(np.array([1.0, np.inf])) == 0.0
    # large arrays: a common factor of the first entries only is not the grain
    shared = np.full(10_000, 6.0)
    assert objective_grain(shared) == 6.0
    shared[9_000] = 9.0
    assert objective_grain(shared) == 3.0
    shared[9_500] = 0.5
    assert objective_grain(shared) == 0.5


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="p must be"):
        p_median(LINE_D, 5)
    with pytest.raises(ValueError, match="finite and >= 0"):
        p_median(-LINE_D, 1)
    with pytest.raises(ValueError, match="solver"):
        p_median(LINE_D, 1, solver="gurobi")
    with pytest.raises(ValueError, match="both"):
        facility_location(LINE_D, [1] * 4, capacities=[1] * 4)


# ----------------------------------------------------------------------------------------
# brute force on small random instances


@st.composite
def instances(draw):
    n = draw(st.integers(1, 6))
    m = draw(st.integers(1, 5))
    costs = np.array(draw(st.lists(st.integers(0, 20), min_size=n * m, max_size=n * m)), float)
    w = np.array(draw(st.lists(st.integers(0, 4), min_size=n, max_size=n)), float)
    f = np.array(draw(st.lists(st.integers(0, 30), min_size=m, max_size=m)), float)
    p = draw(st.integers(1, m))
    return costs.reshape(n, m), w, f, p


def subsets(m: int, sizes=None):
    for k in sizes or range(1, m + 1):
        yield from (list(c) for c in itertools.combinations(range(m), k))


@settings(max_examples=50, deadline=None)
@given(instances())
def test_brute_force_equality(inst):
    costs, w, f, p = inst
    m = costs.shape[1]
    best_pm = min(float(w @ costs[:, s].min(axis=1)) for s in subsets(m, [p]))
    for form, red in P_FORMS:
        res = p_median(costs, p, weights=w, formulation=form, reduce=red)
        assert res.status == "optimal"
        assert res.objective == pytest.approx(best_pm)
    best_uf = min(float(f[s].sum() + costs[:, s].min(axis=1).sum()) for s in subsets(m))
    for form in ("assignment", "radius"):
        assert facility_location(costs, f, formulation=form).objective == pytest.approx(best_uf)
    radius = float(np.median(costs))
    cov = costs <= radius
    if cov.any(axis=1).all():
        best_sc = min(float(f[s].sum()) for s in subsets(m) if cov[:, s].any(axis=1).all())
        assert set_cover(costs, f, radius=radius).objective == pytest.approx(best_sc)
    else:
        assert set_cover(costs, f, radius=radius).status == "infeasible"
    best_mc = max(float(w[cov[:, s].any(axis=1)].sum()) for s in subsets(m, range(1, p + 1)))
    assert max_cover(costs, p, radius, weights=w).objective == pytest.approx(best_mc)


def cflp_brute(costs, f, cap, dem):
    """Try every site subset; the split allocation for a fixed subset is an LP."""
    n, m = costs.shape
    best = np.inf
    for s in subsets(m):
        k = len(s)
        c = costs[:, s].ravel()
        a_eq = np.kron(np.eye(n), np.ones(k))
        a_ub = np.zeros((k, n * k))
        for i in range(n):
            a_ub[:, i * k : (i + 1) * k] = np.eye(k) * dem[i]
        lp = linprog(c, A_ub=a_ub, b_ub=cap[s], A_eq=a_eq, b_eq=np.ones(n), bounds=(0, 1))
        if lp.status == 0:
            best = min(best, float(f[s].sum() + lp.fun))
    return best


@settings(max_examples=25, deadline=None)
@given(instances(), st.lists(st.integers(1, 10), min_size=5, max_size=5))
def test_cflp_brute_force(inst, caps):
    costs, w, f, _ = inst
    m = costs.shape[1]
    dem = w + 1.0
    cap = np.array(caps[:m], float)
    best = cflp_brute(costs, f, cap, dem)
    res = facility_location(costs, f, capacities=cap, demands=dem)
    if np.isinf(best):
        assert res.status == "infeasible"
    else:
        assert res.status == "optimal"
        assert res.objective == pytest.approx(best, rel=1e-6, abs=1e-6)


# ----------------------------------------------------------------------------------------
# OR-Library pmed1 and agreement of the formulations


@pytest.fixture(scope="module")
def pmed1():
    return read_pmed(DATA / "pmed1.txt")


def test_pmed1_reaches_known_optimum(pmed1):
    costs, p = pmed1
    assert costs.shape == (100, 100)
    assert p == 5
    res = p_median(costs, p, time_limit_s=60)
    assert res.status == "optimal"
    assert res.objective == 5819.0
    assert res.bound == 5819.0


def test_radius_and_assignment_agree(pmed1):
    costs, _ = pmed1
    sub = costs[:60, :60]  # keep the plain models small
    values = set()
    for form, red in P_FORMS:
        res = p_median(sub, 4, formulation=form, reduce=red, time_limit_s=60)
        assert res.status == "optimal"
        values.add(res.objective)
    assert len(values) == 1


def test_same_seed_same_answer(pmed1):
    costs, _ = pmed1
    a = p_median(costs[:50, :50], 3, seed=7)
    b = p_median(costs[:50, :50], 3, seed=7)
    assert a.open.tolist() == b.open.tolist()
    assert a.objective == b.objective


def test_other_solvers(pmed1):
    costs, _ = pmed1
    sub = costs[:30, :30]
    ref = p_median(sub, 3).objective
    # the default (lagrangian) uses no MIP solver: ask for a MIP formulation
    assert p_median(sub, 3, solver="scip", formulation="radius").objective == ref
    assert p_median(sub, 3, solver="cpsat", formulation="radius", reduce=False).objective == ref


# ----------------------------------------------------------------------------------------
# the verifier


def test_verifier_catches_broken_results():
    w = np.array([1.0, 2.0, 1.0, 3.0])
    good = p_median(LINE_D, 2, weights=w)
    assert cv.check_p_median(LINE_D, 2, w, good) == []
    broken = {
        "objective": dataclasses.replace(good, objective=1.0),
        "assignment": dataclasses.replace(good, assignment=np.array([0, 1, 3, 3])),
        "open": dataclasses.replace(good, open=np.array([1, 2, 3])),
        "bound": dataclasses.replace(good, bound=2.5, gap=0.25),
        "gap": dataclasses.replace(good, status=Status.OPTIMAL, bound=1.0, gap=0.5),
    }
    for what, res in broken.items():
        problems = cv.check_p_median(LINE_D, 2, w, res)
        assert problems, what
        with pytest.raises(VerificationError, match="failed verification"):
            cv.raise_on_problems(problems, "p-median result")


def test_verifier_catches_broken_covering_and_cflp():
    cover = set_cover(LINE_D, [3, 1, 2, 2], radius=1.0)
    cov = LINE_D <= 1.0
    lame = dataclasses.replace(cover, open=np.array([1]), objective=1.0, bound=1.0)
    assert any("not covered" in x for x in cv.check_set_cover(cov, np.array([3, 1, 2, 2.0]), lame))
    costs = np.array([[4, 8], [4, 8]], float)
    fl = facility_location(costs, [5, 5], capacities=[6, 6], demands=[4, 4])
    over = dataclasses.replace(fl, allocation=np.array([[1.0, 0.0], [1.0, 0.0]]))
    problems = cv.check_cflp(
        costs, np.array([5, 5.0]), np.array([6, 6.0]), np.array([4, 4.0]), over
    )
    assert any("capacity" in x for x in problems)


def test_safe_bound_is_a_lower_bound_for_any_duals():
    """Weak duality: any duals give a bound <= the LP optimum; optimal duals give it exactly."""
    from ruralnet.classic.mip import SolveOptions, build_radius, solve_model

    w = np.array([1.0, 2.0, 1.0, 3.0])
    rm = build_radius(LINE_D * w[:, None], np.full(4, np.inf), np.ones(4, bool), p=2, integer=False)
    lp = solve_model(rm.model, SolveOptions(lp_algorithm="dual_simplex"), relax=True, duals=True)
    assert lp.objective == pytest.approx(2.0)
    exact, _ = rm.model.safe_bound(lp.duals)
    assert exact == pytest.approx(lp.objective)
    rng = np.random.default_rng(0)
    for _ in range(20):
        noisy, _ = rm.model.safe_bound(lp.duals + rng.normal(0, 1, lp.duals.size))
        assert noisy <= lp.objective + 1e-9


# ----------------------------------------------------------------------------------------
# Lagrangian bound, fixing and branch-and-bound


@settings(max_examples=60, deadline=None)
@given(instances(), st.integers(0, 2**32 - 1))
def test_lagrangian_bound_is_below_every_solution_of_the_node(inst, seed):
    """Any multipliers, any sites fixed open: L(lambda) <= cost of every p-set of the node."""
    from ruralnet.classic.lagrangian import StepRule, pmedian_lagrangian

    costs, w, _, p = inst
    dw = costs * w[:, None]
    m = dw.shape[1]
    rng = np.random.default_rng(seed)
    fixed = np.sort(rng.choice(m, size=int(rng.integers(0, p)), replace=False))
    free = np.setdiff1d(np.arange(m), fixed)
    q = p - fixed.size
    if q >= free.size:
        return
    cap = dw[:, fixed].min(axis=1) if fixed.size else np.full(dw.shape[0], np.inf)
    lam = rng.uniform(-5, 40, dw.shape[0])
    lb = pmedian_lagrangian(
        dw[:, free], cap, q, lam, target=1e3, stop=np.inf,
        rule=StepRule(int(rng.integers(1, 50)), 1.0, 3),
    )  # fmt: skip
    best = min(c for s, c in pset_costs(dw, p).items() if set(fixed) <= set(s))
    assert lb.value <= best + 1e-9
    if lb.primal.size:
        sites = np.r_[fixed, free[lb.primal]]
        assert lb.primal_cost == pytest.approx(float(dw[:, sites].min(axis=1).sum()))


@settings(max_examples=60, deadline=None)
@given(instances(), st.integers(0, 2**32 - 1))
def test_lagrangian_fixing_keeps_every_better_solution(inst, seed):
    """After the root's fixing, every p-set cheaper than the incumbent is still in the node."""
    from ruralnet.classic.lagrangian import PMedianSearch, _Node, lagrangian_prunes

    costs, w, _, p = inst
    dw = costs * w[:, None]
    m = dw.shape[1]
    if p == m:
        return
    all_sets = pset_costs(dw, p)
    # start from the worst p-set so that fixing has better solutions to keep
    worst = max(all_sets, key=all_sets.__getitem__)
    grain = objective_grain(dw)
    search = PMedianSearch(dw, p, grain, np.array(worst), deadline=np.inf)
    rng = np.random.default_rng(seed)
    root = _Node(np.zeros(0, np.int64), np.arange(m), rng.uniform(0, 20, dw.shape[0]), -np.inf)
    value, _, node, _ = search._process(root, root=True)
    better = [s for s, c in all_sets.items() if c <= search.ub - max(grain, 1e-9)]
    if value == np.inf or lagrangian_prunes(value, search.ub, grain):
        assert better == []
    for s in better:
        assert set(node.fixed_open) <= set(s) <= set(node.fixed_open) | set(node.free)
        assert value <= all_sets[s] + 1e-9
    assert search.ub == pytest.approx(all_sets[tuple(search.incumbent)])


@settings(max_examples=40, deadline=None)
@given(
    st.integers(2, 7),
    st.integers(2, 6),
    st.integers(0, 2**32 - 1),
)
def test_lagrangian_matches_brute_force_on_real_costs(n, m, seed):
    """Real-valued costs (no objective grain): the branch-and-bound still finds the optimum."""
    rng = np.random.default_rng(seed)
    costs = rng.uniform(0, 10, (n, m))
    p = int(rng.integers(1, m))
    best = min(pset_costs(costs, p).values())
    res = p_median(costs, p, formulation="lagrangian")
    assert res.status == "optimal"
    assert res.objective == pytest.approx(best, rel=1e-12)
    assert res.bound <= best + 1e-9


@settings(max_examples=150, deadline=None)
@given(instances(), st.integers(0, 2**32 - 1))
def test_lagrangian_fixing_never_removes_a_cheaper_solution(inst, seed):
    """Any multipliers, any incumbent cost: no p-set cheaper than UB loses a closed site or
    misses a forced one (compared with every p-set by brute force)."""
    from ruralnet.classic.lagrangian import StepRule, lagrangian_fixing, pmedian_lagrangian

    costs, w, _, p = inst
    dw = costs * w[:, None]
    m = dw.shape[1]
    if p == m:
        return
    rng = np.random.default_rng(seed)
    all_sets = pset_costs(dw, p)
    values = sorted(set(all_sets.values()))
    ub = values[int(rng.integers(0, len(values)))] + float(rng.integers(0, 2))
    grain = objective_grain(dw)
    lam = rng.uniform(0, 25, dw.shape[0])
    cap = np.full(dw.shape[0], np.inf)
    lb = pmedian_lagrangian(
        dw, cap, p, lam, target=ub, stop=np.inf, rule=StepRule(int(rng.integers(1, 30)), 1.0, 3),
    )  # fmt: skip
    close, force = lagrangian_fixing(lb.value, lb.rho, p, ub, grain)
    for s, c in all_sets.items():
        if c <= ub - max(grain, 1e-9):
            assert not close[list(s)].any()
            assert set(np.flatnonzero(force)) <= set(s)


def test_lagrangian_fixing_by_hand():
    """rho = (-10, -8, -1, 0), q = 1, UB = 100, grain 1: a solution opening site j costs at
    least L + rho_j + 10 and one without site 0 at least L + 2; it must cost <= 99.

    L = 90: site 3 (100) closes, site 2 (99) stays, nothing is forced (92 <= 99).
    L = 97.5: sites 1, 2, 3 close (99.5, 106.5, 107.5) and site 0 is forced (99.5).
    """
    from ruralnet.classic.lagrangian import lagrangian_fixing

    rho = np.array([-10.0, -8.0, -1.0, 0.0])
    close, force = lagrangian_fixing(90.0, rho, 1, 100.0, 1.0)
    assert close.tolist() == [False, False, False, True]
    assert force.tolist() == [False, False, False, False]
    close, force = lagrangian_fixing(97.5, rho, 1, 100.0, 1.0)
    assert close.tolist() == [False, True, True, True]
    assert force.tolist() == [True, False, False, False]


def test_lagrangian_prunes_with_and_without_grain():
    from ruralnet.classic.lagrangian import lagrangian_prunes

    assert lagrangian_prunes(99.5, 100.0, 1.0)  # rounds up to 100: nothing below 100
    assert not lagrangian_prunes(99.0, 100.0, 1.0)  # a solution of cost 99 may exist
    assert not lagrangian_prunes(98.9999995, 99.0 + 1.0, 1.0)
    assert lagrangian_prunes(np.inf, 100.0, 1.0)
    assert not lagrangian_prunes(-np.inf, 100.0, 1.0)
    assert not lagrangian_prunes(99.5, 100.0, 0.0)
    assert lagrangian_prunes(100.0 - 1e-9, 100.0, 0.0)


def test_lagrangian_timeout_keeps_a_valid_bound(pmed1):
    costs, p = pmed1
    res = p_median(costs, p, time_limit_s=1e-6)
    assert res.status in ("feasible", "optimal")
    assert len(res.open) == p
    assert res.bound <= 5819.0 <= res.objective


def test_lagrangian_search_stats_on_pmed1(pmed1):
    costs, p = pmed1
    res = p_median(costs, p)
    assert res.formulation == "lagrangian"
    assert res.stats["root_lagrangian"] <= 5819.0 + 1e-6  # a lower bound, up to float sums
    assert res.stats["nodes"] >= 1
    assert res.stats["open_nodes"] == 0


def test_result_is_frozen():
    res = p_median(LINE_D, 1)
    assert isinstance(res, ClassicResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.objective = 0.0  # type: ignore[misc]
