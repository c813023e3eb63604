"""Phased plans: solved jointly, nothing closes, budgets hold, costs add up."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from conftest import van_options

import ruralnet as rn
from ruralnet.model import build_model
from ruralnet.problem import Arcs, BusLines, Phases, Problem
from ruralnet.scenario import SolverSettings
from ruralnet.solve import solve_model
from ruralnet.verify import verify

DATA = Path(__file__).parent / "data"


def three_villages(cost_sb: float, *, shared: bool, budget: float = np.inf) -> Problem:
    """Villages A, B, C (1 parcel/day, free access); sites SA serves A (yearly cost 3),
    SB serves B (``cost_sb``), SBC serves C and, when ``shared``, also B (cost 5).
    Phase 1 must serve 1 village, phase 2 all three; one day per year, free transport."""
    pairs = [(0, 0), (1, 1), (2, 2)] + ([(1, 2)] if shared else [])
    v = np.array([a for a, _ in pairs])
    s = np.array([b for _, b in pairs])
    return Problem(
        village_ids=("A", "B", "C"),
        village_township=np.zeros(3, dtype=np.int64),
        inbound=np.ones(3),
        outbound=np.zeros(3),
        township_ids=("T",),
        station_ids=("SA", "SB", "SBC"),
        station_yearly_yuan=np.array([3.0, cost_sb, 5.0]),
        station_capacity=np.full(3, 10.0),
        centre_ids=("C",),
        centre_township=np.zeros(1, dtype=np.int64),
        centre_yearly_yuan=np.zeros(1),
        centre_capacity=np.full(1, 10.0),
        hub_ids=("H",),
        hub_fixed=np.ones(1, dtype=bool),
        hub_yearly_yuan=np.zeros(1),
        hub_capacity=np.full(1, 10.0),
        access=Arcs(village=v, station=s, km=np.zeros(len(v)), yuan_per_parcel=np.zeros(len(v))),
        feeder=van_options([(0, 0, 0.0), (0, 1, 0.0), (0, 2, 0.0)], 0.0),
        trunk=van_options([(0, 0, 0.0)], 0.0),
        bus=BusLines(),
        coverage_target=1.0,
        max_new_hubs=1,
        days_per_year=1.0,
        station_handling_yuan=0.0,
        centre_handling_yuan=0.0,
        phases=Phases(
            names=("2024", "2025"),
            coverage_target=np.array([1 / 3, 1.0]),
            demand_factor=np.ones(2),
            years=np.ones(2),
            budget_yuan=np.array([budget, np.inf]),
        ),
        station_one_off_yuan=np.array([30.0, 20.0, 50.0]),
        centre_one_off_yuan=np.zeros(1),
        hub_one_off_yuan=np.zeros(1),
    )


def opened(solution, k):
    return np.flatnonzero(solution.phases[k].open_station).tolist()


def test_cheapest_first_when_that_is_jointly_optimal():
    """No sharing: phase 1 opens the cheapest station SB (2); phase 2 all three.

    Cost 2 + (3 + 2 + 5) = 12.
    """
    p = three_villages(2.0, shared=False)
    s = solve_model(build_model(p), SolverSettings())
    assert s.objective == pytest.approx(12.0)
    assert opened(s, 0) == [1]
    assert opened(s, 1) == [0, 1, 2]
    assert verify(p, s).ok


def test_not_cheapest_first_when_joint_plan_is_cheaper():
    """SBC can serve B too. Greedy would open SB (2) first and then need SA + SBC:
    2 + (2 + 3 + 5) = 12. Jointly, SA first and SA + SBC later: 3 + (3 + 5) = 11."""
    p = three_villages(2.0, shared=True)
    s = solve_model(build_model(p), SolverSettings())
    assert s.objective == pytest.approx(11.0)
    assert opened(s, 0) == [0]
    assert opened(s, 1) == [0, 2]
    report = verify(p, s)
    assert report.ok
    assert [r.total_yuan for r in report.phases] == pytest.approx([3.0, 8.0])


def test_budget_limits_first_phase_spending():
    """A 25-yuan budget in 2024 rules out SA (one-off 30): SB (20) opens first."""
    p = three_villages(2.0, shared=True, budget=25.0)
    s = solve_model(build_model(p), SolverSettings())
    assert opened(s, 0) == [1]
    assert verify(p, s).ok


def test_verifier_catches_a_closed_station_and_a_blown_budget():
    p = three_villages(2.0, shared=True)
    s = solve_model(build_model(p), SolverSettings())
    later = s.phases[1]
    closed = dataclasses.replace(later, open_station=np.array([False, False, True]))
    bad = dataclasses.replace(s, phases=(s.phases[0], closed))
    names = {(v.constraint, v.entity_id) for v in verify(p, bad, check_objective=False).violations}
    assert ("stay_open", "SA@2025") in names
    tight = dataclasses.replace(
        p, phases=dataclasses.replace(p.phases, budget_yuan=np.array([10.0, np.inf]))
    )
    names = {
        (v.constraint, v.entity_id) for v in verify(tight, s, check_objective=False).violations
    }
    assert ("budget", "2024") in names


def test_phased_scenario_end_to_end(tmp_path):
    scenario = rn.load_scenario(DATA / "tiny.toml").with_overrides(
        {
            "phases": [
                {"name": "2024", "coverage_target": 0.6},
                {"name": "2025", "coverage_target": 1.0, "demand_factor": 1.1},
            ]
        }
    )
    plan = rn.solve(scenario)
    summary = plan.summary()
    assert [ph["name"] for ph in summary["phases"]] == ["2024", "2025"]
    assert summary["phases"][0]["coverage_share"] >= 0.6
    assert summary["phases"][1]["coverage_share"] == 1.0
    assert set(plan.stations["opened_phase"]) <= {"2024", "2025"}
    assert summary["total_cost_yuan_per_year"] == pytest.approx(
        sum(ph["cost_yuan_per_year"] for ph in summary["phases"]), rel=1e-6
    )
    plan.write(tmp_path / "out")


def test_cli_verifies_a_written_phased_plan(tmp_path):
    from ruralnet import cli

    (tmp_path / "tiny").symlink_to(DATA / "tiny")
    toml = tmp_path / "p.toml"
    toml.write_text(
        '[scenario]\nname = "p"\ndataset = "tiny"\n[service]\nmax_access_km = 5.0\n'
        '[[phases]]\nname = "2024"\ncoverage_target = 0.6\n'
        '[[phases]]\nname = "2025"\ncoverage_target = 1.0\ndemand_factor = 1.1\n',
        encoding="utf-8",
    )
    assert cli.main(["run", str(toml), "-o", str(tmp_path / "out"), "-q", "--no-map"]) == 0
    assert cli.main(["verify", str(toml), str(tmp_path / "out")]) == 0


def test_phased_plan_with_buses(tmp_path):
    (tmp_path / "tiny_bus").symlink_to(DATA / "tiny_bus")
    toml = tmp_path / "p.toml"
    toml.write_text(
        '[scenario]\nname = "p"\ndataset = "tiny_bus"\n[service]\nmax_access_km = 5.0\n'
        '[[phases]]\nname = "a"\ncoverage_target = 0.6\n'
        '[[phases]]\nname = "b"\ncoverage_target = 1.0\n',
        encoding="utf-8",
    )
    plan = rn.solve(toml)
    assert plan.verification.ok and len(plan.verification.phases) == 2
    assert plan.summary()["saving_vs_all_van_yuan_per_year"] >= 0


def test_map_filters_by_phase():
    scenario = rn.load_scenario(DATA / "tiny.toml").with_overrides(
        {
            "phases": [
                {"name": "2024", "coverage_target": 0.6},
                {"name": "2025", "coverage_target": 1.0},
            ]
        }
    )
    html = rn.solve(scenario).map().get_root().render()
    for name in ("Stations opened 2024", "Stations opened 2025", "Centres opened 2024"):
        assert name in html


def test_a_single_phase_scales_demand_and_reports_its_yearly_cost():
    base = rn.solve(rn.load_scenario(DATA / "tiny.toml"))
    one = rn.load_scenario(DATA / "tiny.toml").with_overrides(
        {"phases": [{"name": "2025", "coverage_target": 1.0, "demand_factor": 1.1, "years": 2}]}
    )
    plan = rn.solve(one)
    assert plan.verification.ok
    assert plan.problem.parcels.sum() == pytest.approx(1.1 * base.problem.parcels.sum())
    # the objective is the phase's yearly cost, as the verifier recomputes it
    assert plan.solution.objective == pytest.approx(plan.verification.total_yuan, rel=1e-6)
    assert plan.verification.total_yuan > base.verification.total_yuan
