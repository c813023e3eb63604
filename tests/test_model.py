"""The MIP against hand-checked optima and brute-force enumeration."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from conftest import line_problem, van_options
from hypothesis import given, settings
from hypothesis import strategies as st

from ruralnet import solve_stop
from ruralnet.errors import InfeasibleError
from ruralnet.model import build_model
from ruralnet.problem import Arcs, BusLines, Problem
from ruralnet.scenario import SolverSettings
from ruralnet.solve import solve_model
from ruralnet.verify import verify


@pytest.mark.parametrize(
    ("open_cost", "expected", "opened"), [(5.0, 14.0, [True, True]), (12.0, 26.0, [True, False])]
)
@pytest.mark.parametrize("backend", ["highs", "scip", "cpsat"])
def test_line_instance_hand_optimum(open_cost, expected, opened, backend):
    """Villages at km 0, 4, 10; sites at 0 and 10; 1 yuan/parcel-km.

    Cost 5: open both, 5 + 5 + |4 - 0| = 14. Cost 12: open km 0 only, 12 + 4 + 10 = 26
    (opening km 10 as well would cost 12 + 12 + 4 = 28).
    """
    p = line_problem(open_cost)
    s = solve_model(build_model(p), SolverSettings(backend=backend))
    assert s.objective == pytest.approx(expected)
    assert s.open_station.tolist() == opened
    assert verify(p, s).ok


def test_partial_coverage_drops_the_dearest_village():
    """At 2/3 coverage and open cost 12, serve V1 and V2 from km 0: 12 + 0 + 4 = 16."""
    p = line_problem(12.0, coverage=2 / 3)
    s = solve_model(build_model(p), SolverSettings())
    assert s.objective == pytest.approx(16.0)
    assert s.village_station.tolist() == [0, 0, -1]
    assert verify(p, s).ok


def random_problem(seed: int, n_v: int, n_s: int, n_c: int, capacitated: bool) -> Problem:
    rng = np.random.default_rng(seed)
    dist = rng.integers(0, 10, size=(n_v, n_s)).astype(float)
    ok = dist <= 7  # service distance
    for v in range(n_v):  # every village reachable
        ok[v, rng.integers(n_s)] = True
    vi, si = np.nonzero(ok)
    feeder_km = rng.integers(1, 20, size=(n_c, n_s)).astype(float)
    parcels = rng.integers(1, 5, size=n_v).astype(float)
    cap = np.full(n_s, parcels.sum() / 2 + 2 if capacitated else 1000.0)
    return Problem(
        village_ids=tuple(f"V{i}" for i in range(n_v)),
        village_township=np.zeros(n_v, dtype=np.int64),
        inbound=parcels,
        outbound=np.zeros(n_v),
        township_ids=("T",),
        station_ids=tuple(f"S{i}" for i in range(n_s)),
        station_yearly_yuan=rng.integers(5, 30, size=n_s).astype(float),
        station_capacity=cap,
        centre_ids=tuple(f"C{i}" for i in range(n_c)),
        centre_township=np.zeros(n_c, dtype=np.int64),
        centre_yearly_yuan=rng.integers(10, 40, size=n_c).astype(float),
        centre_capacity=np.full(n_c, 1000.0),
        hub_ids=("H",),
        hub_fixed=np.ones(1, dtype=bool),
        hub_yearly_yuan=np.zeros(1),
        hub_capacity=np.full(1, 1000.0),
        access=Arcs(village=vi, station=si, km=dist[vi, si], yuan_per_parcel=dist[vi, si]),
        feeder=van_options([(c, s, feeder_km[c, s]) for c in range(n_c) for s in range(n_s)], 0.5),
        trunk=van_options([(0, c, 3.0 * (c + 1)) for c in range(n_c)], 0.5),
        bus=BusLines(),
        coverage_target=1.0,
        max_new_hubs=1,
        days_per_year=1.0,
        station_handling_yuan=0.0,
        centre_handling_yuan=0.0,
    )


def brute_force(p: Problem) -> float:
    """Enumerate open centres and every village -> station assignment."""
    n_v, n_s = len(p.village_ids), len(p.station_ids)
    options: list[list[tuple[int, float]]] = [[] for _ in range(n_v)]
    for v, s, c in zip(p.access.village, p.access.station, p.access.yuan_per_parcel, strict=True):
        options[v].append((int(s), float(c) * p.parcels[v]))
    feeder = {
        (int(c), int(s)): float(k)
        for c, s, k in zip(
            p.feeder.upstream, p.feeder.downstream, p.feeder.yuan_per_parcel, strict=True
        )
    }
    trunk = {
        int(c): float(k) for c, k in zip(p.trunk.downstream, p.trunk.yuan_per_parcel, strict=True)
    }
    best = np.inf
    n_c = len(p.centre_ids)
    for centres in itertools.product([0, 1], repeat=n_c):
        open_c = [c for c in range(n_c) if centres[c]]
        if not open_c:
            continue
        fixed_c = sum(p.centre_yearly_yuan[c] for c in open_c)
        for choice in itertools.product(*options):
            load = np.zeros(n_s)
            access = 0.0
            for v, (s, cost) in enumerate(choice):
                load[s] += p.parcels[v]
                access += cost
            if np.any(load > p.station_capacity + 1e-9):
                continue
            used = np.flatnonzero(load > 0)
            total = fixed_c + access + sum(p.station_yearly_yuan[s] for s in used)
            # each used station goes to its cheapest open centre (uncapacitated centres)
            total += sum(min(load[s] * (feeder[(c, s)] + trunk[c]) for c in open_c) for s in used)
            best = min(best, total)
    return best


@settings(max_examples=200, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n_v=st.integers(1, 5),
    n_s=st.integers(1, 3),
    n_c=st.integers(1, 2),
    capacitated=st.booleans(),
)
def test_optimum_equals_brute_force(seed, n_v, n_s, n_c, capacitated):
    p = random_problem(seed, n_v, n_s, n_c, capacitated)
    expected = brute_force(p)
    if not np.isfinite(expected):
        with pytest.raises(InfeasibleError):
            solve_model(build_model(p), SolverSettings())
        return
    s = solve_model(build_model(p), SolverSettings())
    assert s.objective == pytest.approx(expected, rel=1e-6, abs=1e-6)
    assert verify(p, s).ok


def test_same_seed_same_plan():
    p = random_problem(7, 5, 3, 2, True)
    runs = [solve_model(build_model(p), SolverSettings(), seed=3) for _ in range(2)]
    for a, b in zip(runs[0].__dict__.values(), runs[1].__dict__.values(), strict=True):
        if isinstance(a, np.ndarray):
            assert np.array_equal(a, b)


def test_lp_screening_keeps_the_optimum(caplog):
    """Screened and unscreened solves agree; both the accepted and the fallback path occur."""
    caplog.set_level("INFO", logger="ruralnet.solve")
    accepted = fallback = 0
    for seed in range(40):
        p = random_problem(seed, 8, 5, 2, capacitated=bool(seed % 2))
        plain = solve_model(build_model(p), SolverSettings(lp_screening=False))
        caplog.clear()
        screened = solve_model(build_model(p), SolverSettings(lp_screening=True))
        assert screened.objective == pytest.approx(plain.objective, rel=1e-6, abs=1e-6)
        assert screened.best_bound <= plain.objective + 1e-6
        assert verify(p, screened).ok
        if "restricted MIP" in caplog.text:
            fallback += "solving the full model" in caplog.text
            accepted += "solving the full model" not in caplog.text
    assert accepted > 0
    assert fallback > 0


@pytest.mark.parametrize(
    ("setting", "gap", "screens"),
    [("auto", 1e-6, False), ("auto", 0.01, True), (True, 1e-6, True), (False, 0.01, False)],
)
def test_lp_screening_auto_follows_the_gap_target(caplog, setting, gap, screens):
    caplog.set_level("INFO", logger="ruralnet.solve")
    p = random_problem(3, 8, 5, 2, capacitated=False)
    solve_model(build_model(p), SolverSettings(lp_screening=setting, relative_gap=gap))
    assert ("LP relaxation" in caplog.text) is screens


def test_a_stop_request_the_solver_did_not_see_still_ends_the_run(monkeypatch):
    """Ctrl-C while HiGHS cannot stop (its root LP): the plan it finishes is kept as interrupted."""
    import importlib

    from ortools.util.python import solve_interrupter

    from ruralnet.problem import SolveStatus

    solve_module = importlib.import_module("ruralnet.solve")  # the module, not rn.solve

    finish = solve_module._Runner.solve

    def finishes_then_hears_ctrl_c(runner):
        result = finish(runner)
        runner.interrupter.interrupt()  # the request came while the solver could not stop
        return result

    p = line_problem(12.0)
    plain = solve_model(build_model(p), SolverSettings())
    assert plain.status is SolveStatus.OPTIMAL
    monkeypatch.setattr(solve_module._Runner, "solve", finishes_then_hears_ctrl_c)
    stopped = solve_model(
        build_model(p), SolverSettings(), interrupter=solve_interrupter.SolveInterrupter()
    )
    assert stopped.status is SolveStatus.INTERRUPTED
    assert stopped.objective == pytest.approx(plain.objective) and stopped.gap == pytest.approx(0)
    assert verify(p, stopped).ok


def _ctrl_c_mid_solve(monkeypatch, *, presses: int, obeys: bool, wait_s: float) -> tuple:
    """Solve ``line_problem`` with a stand-in solver that hears Ctrl-C ``presses`` times.

    The stand-in runs where the solver runs (the worker thread) and signals the process, as a
    user's Ctrl-C would; it then either waits for the stop request and hands over the real
    plan (``obeys``: SCIP, CP-SAT), or goes on without hearing it (HiGHS) until released.
    """
    import importlib
    import os
    import signal
    import threading
    import time

    solve_module = importlib.import_module("ruralnet.solve")
    real = solve_module.mathopt.solve
    release = threading.Event()

    def stand_in(model, solver_type, *, interrupter, **kwargs):
        for _ in range(presses):
            os.kill(os.getpid(), signal.SIGINT)
            heard_by = time.monotonic() + 10.0  # the main thread's handler takes the press
            while not interrupter.interrupted and time.monotonic() < heard_by:
                time.sleep(0.01)
        if not obeys:
            release.wait(60)  # deaf to the request, as HiGHS is inside a solve
            return None  # abandoned by then: never read
        assert interrupter.interrupted
        return real(model, solver_type, **kwargs)

    monkeypatch.setattr(solve_module.mathopt, "solve", stand_in)
    monkeypatch.setitem(solve_stop.STOP_WAIT_S, "highs", wait_s)
    started = time.monotonic()
    try:
        try:
            outcome = solve_model(build_model(line_problem(12.0)), SolverSettings())
        except KeyboardInterrupt as exc:
            outcome = exc
    finally:
        release.set()
    return outcome, time.monotonic() - started


def test_ctrl_c_abandons_a_solver_that_cannot_stop():
    """HiGHS does not hear the interrupter: after its short wait the solve is given up."""
    with pytest.MonkeyPatch.context() as mp:
        outcome, seconds = _ctrl_c_mid_solve(mp, presses=1, obeys=False, wait_s=1.0)
    assert isinstance(outcome, KeyboardInterrupt)
    assert 1.0 <= seconds < 10.0  # the wait, not the solver's 60 s


def test_a_second_ctrl_c_abandons_the_solve_at_once():
    with pytest.MonkeyPatch.context() as mp:
        outcome, seconds = _ctrl_c_mid_solve(mp, presses=2, obeys=False, wait_s=60.0)
    assert isinstance(outcome, KeyboardInterrupt)
    assert seconds < 10.0  # not the 60 s wait


def test_ctrl_c_keeps_the_plan_of_a_solver_that_stops():
    from ruralnet.problem import SolveStatus

    with pytest.MonkeyPatch.context() as mp:
        outcome, seconds = _ctrl_c_mid_solve(mp, presses=1, obeys=True, wait_s=1.0)
    assert outcome.status is SolveStatus.INTERRUPTED
    assert verify(line_problem(12.0), outcome).ok
    assert seconds < 10.0
