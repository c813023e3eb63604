"""Bus lines as a mode: hand-checkable tiny instances and the shipped county."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from conftest import line_problem, van_options

from ruralnet.model import build_model
from ruralnet.problem import BusLines, LinkOptions, Mode
from ruralnet.scenario import SolverSettings
from ruralnet.solve import solve_model
from ruralnet.verify import verify

DATA = Path(__file__).parent / "data"


def with_bus(capacity: float, fee: float, *, forward: bool = True):
    """The line instance (cost 12: one station at km 0 serves all 3 parcels) with a feeder
    van costing 2 yuan/parcel and a bus line costing ``fee`` with ``capacity`` parcels/day."""
    p = line_problem(12.0)
    van = van_options([(0, 0, 20.0), (0, 1, 20.0)], 0.1)
    bus = LinkOptions(
        upstream=np.array([0]),
        downstream=np.array([0]),
        mode=np.array([Mode.BUS.value], dtype=object),
        km=np.array([20.0]),
        yuan_per_parcel=np.array([fee]),
        line=np.array([0]),
        leg_first=np.array([0]),
        leg_last=np.array([1]),
        forward=np.array([forward]),
    )
    lines = BusLines(ids=("L1",), n_legs=np.array([2]), leg_capacity=np.array([capacity]))
    return dataclasses.replace(p, feeder=LinkOptions.concat([van, bus]), bus=lines)


def test_cheap_bus_is_filled_to_capacity_and_vans_take_the_rest():
    """3 parcels/day: 2 ride the bus (capacity 2, 0.5 yuan), 1 the van (2 yuan).

    Cost = 12 (station) + 14 (access) + 2 x 0.5 + 1 x 2 = 29.
    """
    p = with_bus(capacity=2.0, fee=0.5)
    s = solve_model(build_model(p), SolverSettings())
    assert s.objective == pytest.approx(29.0)
    bus = p.feeder.line >= 0
    assert s.feeder_in[bus].sum() == pytest.approx(2.0)
    assert s.feeder_in[~bus].sum() == pytest.approx(1.0)
    assert verify(p, s).ok


def test_dear_bus_is_not_used():
    p = with_bus(capacity=10.0, fee=3.0)
    s = solve_model(build_model(p), SolverSettings())
    assert s.feeder_in[p.feeder.line >= 0].sum() == pytest.approx(0.0)
    assert s.objective == pytest.approx(12 + 14 + 3 * 2.0)


def test_outbound_parcels_use_the_other_direction():
    """Inbound rides forward, outbound backward: each direction has its own capacity."""
    p = with_bus(capacity=2.0, fee=0.5)
    p = dataclasses.replace(
        p, inbound=np.array([1.0, 1.0, 0.0]), outbound=np.array([0.0, 0.0, 1.0])
    )
    s = solve_model(build_model(p), SolverSettings())
    bus = p.feeder.line >= 0
    assert s.feeder_in[bus].sum() == pytest.approx(2.0)
    assert s.feeder_out[bus].sum() == pytest.approx(1.0)
    assert s.objective == pytest.approx(12 + 14 + 3 * 0.5)


def test_verifier_catches_an_overfull_hold():
    p = with_bus(capacity=2.0, fee=0.5)
    s = solve_model(build_model(p), SolverSettings())
    bus = p.feeder.line >= 0
    f_in = s.feeder_in.copy()
    f_in[bus] += 1.0
    f_in[~bus] -= 1.0
    report = verify(p, dataclasses.replace(s, feeder_in=f_in), check_objective=False)
    assert any(v.constraint == "bus_hold" and v.entity_id == "L1" for v in report.violations)


def test_without_buses_drops_only_bus_options():
    p = with_bus(capacity=2.0, fee=0.5)
    q = p.without_buses()
    assert len(q.feeder) == 2 and (q.feeder.line < 0).all()
