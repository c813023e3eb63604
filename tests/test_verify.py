"""The verifier catches deliberately broken plans and names the entity at fault."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from conftest import line_problem

from ruralnet.model import build_model
from ruralnet.scenario import SolverSettings
from ruralnet.solve import solve_model
from ruralnet.verify import verify


@pytest.fixture
def solved():
    p = line_problem(5.0)
    return p, solve_model(build_model(p), SolverSettings())


def broken(solution, **changes):
    return dataclasses.replace(solution, **changes)


def names(report):
    return {(v.constraint, v.entity_id) for v in report.violations}


def test_sound_plan_passes(solved):
    p, s = solved
    report = verify(p, s)
    assert report.ok
    assert report.total_yuan == pytest.approx(s.objective)


def test_closed_station_serving_a_village(solved):
    p, s = solved
    report = verify(p, broken(s, open_station=np.array([True, False])))
    assert ("serve", "V3") in names(report)


def test_uncovered_village_breaks_full_coverage(solved):
    p, s = solved
    station = s.village_station.copy()
    station[2] = -1
    report = verify(p, broken(s, village_station=station))
    assert ("coverage", "all") in names(report)


def test_village_beyond_service_distance():
    p = line_problem(5.0, max_km=5.0)
    s = solve_model(build_model(p), SolverSettings())
    station = s.village_station.copy()
    station[2] = 0  # V3 at km 10 to the site at km 0
    assert ("distance", "V3") in names(
        verify(p, broken(s, village_station=station), check_objective=False)
    )


def test_overfull_station(solved):
    p, s = solved
    small = dataclasses.replace(p, station_capacity=np.array([1.0, 100.0]))
    assert ("station_capacity", "S0") in names(verify(small, s, check_objective=False))


def test_wrong_objective_is_caught(solved):
    p, s = solved
    assert ("objective", "all") in names(verify(p, broken(s, objective=s.objective - 1)))


def test_township_without_centre(solved):
    p, s = solved
    report = verify(p, broken(s, open_centre=np.array([False])))
    assert ("township_centre", "T1") in names(report)
    assert ("station_parent", "S0") in names(report)


def test_flow_imbalance(solved):
    p, s = solved
    report = verify(p, broken(s, feeder_in=s.feeder_in * 0.5), check_objective=False)
    assert any(c.startswith("station_balance") for c, _ in names(report))
