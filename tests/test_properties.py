"""Properties on random small instances (hypothesis): every plan verifies, and the optimum
behaves as costs and sites change. Instances have random road-like distances, bus lines with
hold capacities, two-way demand and phases."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from conftest import van_options
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ruralnet.errors import InfeasibleError
from ruralnet.model import build_model
from ruralnet.problem import Arcs, BusLines, LinkOptions, Mode, Phases, Problem
from ruralnet.scenario import SolverSettings
from ruralnet.solve import solve_model
from ruralnet.verify import verify

SOLVER = SolverSettings()


def random_problem(seed: int, *, buses: bool, phased: bool) -> Problem:
    """Villages and sites on a random 20 x 20 km plane; a bus line from the hub past the sites."""
    rng = np.random.default_rng(seed)
    n_v, n_s, n_c = int(rng.integers(1, 6)), int(rng.integers(1, 4)), int(rng.integers(1, 3))
    xy_v, xy_s, xy_c = (
        rng.uniform(0, 20, (n_v, 2)),
        rng.uniform(0, 20, (n_s, 2)),
        rng.uniform(0, 20, (n_c, 2)),
    )
    detour = 1.3  # road km per straight km
    dist = detour * np.hypot(*(xy_v[:, None] - xy_s[None]).transpose(2, 0, 1))
    ok = dist <= 8
    ok[np.arange(n_v), dist.argmin(axis=1)] = True  # every village reaches its nearest site
    vi, si = np.nonzero(ok)
    feed_km = detour * np.hypot(*(xy_c[:, None] - xy_s[None]).transpose(2, 0, 1))
    feeder = van_options([(c, s, feed_km[c, s]) for c in range(n_c) for s in range(n_s)], 0.05)
    trunk = van_options([(0, c, detour * float(np.hypot(*xy_c[c]))) for c in range(n_c)], 0.05)
    lines = BusLines()
    if buses:  # one line: stop 0 at the hub, stop 1 at centre 0, stops 2.. at the sites
        legs = 1 + n_s
        bus = LinkOptions(
            upstream=np.concatenate([[0], np.zeros(n_s, dtype=np.int64)]),
            downstream=np.concatenate([[0], np.arange(n_s)]),
            mode=np.full(1 + n_s, Mode.BUS.value, dtype=object),
            km=np.full(1 + n_s, 5.0),
            yuan_per_parcel=np.full(1 + n_s, float(rng.uniform(0.2, 1.5))),
            line=np.zeros(1 + n_s, dtype=np.int64),
            leg_first=np.concatenate([[0], np.ones(n_s, dtype=np.int64)]),
            leg_last=np.concatenate([[0], np.arange(1, n_s + 1)]),
            forward=np.ones(1 + n_s, dtype=bool),
        )
        trunk = LinkOptions.concat([trunk, bus.subset(np.arange(1 + n_s) == 0)])
        feeder = LinkOptions.concat([feeder, bus.subset(np.arange(1 + n_s) > 0)])
        lines = BusLines(
            ids=("L",), n_legs=np.array([legs]), leg_capacity=np.array([float(rng.integers(1, 10))])
        )
    phases = Phases()
    if phased:
        phases = Phases(
            names=("p1", "p2"),
            coverage_target=np.array([float(rng.choice([0.5, 0.8])), 1.0]),
            demand_factor=np.array([1.0, float(rng.choice([1.0, 1.2]))]),
            years=np.ones(2),
            budget_yuan=np.full(2, np.inf),
        )
    return Problem(
        village_ids=tuple(f"V{i}" for i in range(n_v)),
        village_township=np.zeros(n_v, dtype=np.int64),
        inbound=rng.integers(1, 6, n_v).astype(float),
        outbound=rng.integers(0, 3, n_v).astype(float),
        township_ids=("T",),
        station_ids=tuple(f"S{i}" for i in range(n_s)),
        station_yearly_yuan=rng.integers(5, 40, n_s).astype(float),
        station_capacity=np.full(n_s, 1000.0),
        centre_ids=tuple(f"C{i}" for i in range(n_c)),
        centre_township=np.zeros(n_c, dtype=np.int64),
        centre_yearly_yuan=rng.integers(10, 60, n_c).astype(float),
        centre_capacity=np.full(n_c, 1000.0),
        hub_ids=("H",),
        hub_fixed=np.ones(1, dtype=bool),
        hub_yearly_yuan=np.zeros(1),
        hub_capacity=np.full(1, 1000.0),
        access=Arcs(village=vi, station=si, km=dist[vi, si], yuan_per_parcel=0.3 * dist[vi, si]),
        feeder=feeder,
        trunk=trunk,
        bus=lines,
        coverage_target=float(phases.coverage_target[-1])
        if phased
        else float(rng.choice([0.6, 1.0])),
        max_new_hubs=1,
        days_per_year=float(rng.integers(1, 4)),
        station_handling_yuan=0.1,
        centre_handling_yuan=0.05,
        phases=phases,
        station_one_off_yuan=rng.integers(10, 100, n_s).astype(float),
        centre_one_off_yuan=rng.integers(50, 200, n_c).astype(float),
        hub_one_off_yuan=np.zeros(1),
    )


def optimum(p: Problem) -> float:
    solution = solve_model(build_model(p), SOLVER, stop_on_ctrl_c=False)
    report = verify(p, solution)
    assert report.ok, report.violations
    return solution.objective


instances = st.builds(
    random_problem, st.integers(0, 2**31 - 1), buses=st.booleans(), phased=st.booleans()
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(p=instances)
def test_every_plan_passes_the_verifier(p):
    optimum(p)


@settings(max_examples=40, deadline=None)
@given(p=instances, factor=st.sampled_from([0.5, 2.0, 3.0]))
def test_scaling_every_cost_scales_the_optimum(p, factor):
    def scaled(q: Problem) -> Problem:
        return dataclasses.replace(
            q,
            station_yearly_yuan=q.station_yearly_yuan * factor,
            centre_yearly_yuan=q.centre_yearly_yuan * factor,
            access=dataclasses.replace(q.access, yuan_per_parcel=q.access.yuan_per_parcel * factor),
            feeder=dataclasses.replace(q.feeder, yuan_per_parcel=q.feeder.yuan_per_parcel * factor),
            trunk=dataclasses.replace(q.trunk, yuan_per_parcel=q.trunk.yuan_per_parcel * factor),
            station_handling_yuan=q.station_handling_yuan * factor,
            centre_handling_yuan=q.centre_handling_yuan * factor,
        )

    assert optimum(scaled(p)) == pytest.approx(factor * optimum(p), rel=1e-6, abs=1e-6)


@settings(max_examples=40, deadline=None)
@given(p=instances, bump=st.floats(1.0, 50.0))
def test_raising_a_fixed_cost_never_lowers_the_optimum(p, bump):
    dearer = dataclasses.replace(p, station_yearly_yuan=p.station_yearly_yuan + bump)
    assert optimum(dearer) >= optimum(p) - 1e-6


@settings(max_examples=40, deadline=None)
@given(p=instances)
def test_adding_a_site_never_raises_the_optimum(p):
    """A copy of site 0 at half its yearly cost, reachable from the same villages and centres."""
    at0 = p.access.station == 0
    new = len(p.station_ids)
    access = Arcs(
        village=np.concatenate([p.access.village, p.access.village[at0]]),
        station=np.concatenate([p.access.station, np.full(int(at0.sum()), new)]),
        km=np.concatenate([p.access.km, p.access.km[at0]]),
        yuan_per_parcel=np.concatenate([p.access.yuan_per_parcel, p.access.yuan_per_parcel[at0]]),
    )
    vans = p.feeder.subset((p.feeder.downstream == 0) & (p.feeder.line < 0))
    feeder = LinkOptions.concat(
        [p.feeder, dataclasses.replace(vans, downstream=np.full(len(vans), new))]
    )
    more = dataclasses.replace(
        p,
        station_ids=(*p.station_ids, "S+"),
        station_yearly_yuan=np.append(p.station_yearly_yuan, p.station_yearly_yuan[0] / 2),
        station_capacity=np.append(p.station_capacity, p.station_capacity[0]),
        station_one_off_yuan=np.append(p.station_one_off_yuan, p.station_one_off_yuan[0]),
        access=access,
        feeder=feeder,
    )
    assert optimum(more) <= optimum(p) + 1e-6


@settings(max_examples=20, deadline=None)
@given(p=instances)
def test_same_seed_same_plan(p):
    try:
        a = solve_model(build_model(p), SOLVER, seed=4, stop_on_ctrl_c=False)
    except InfeasibleError:
        return
    b = solve_model(build_model(p), SOLVER, seed=4, stop_on_ctrl_c=False)
    for name in (
        "open_station",
        "open_centre",
        "village_station",
        "feeder_in",
        "feeder_out",
        "trunk_in",
    ):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
