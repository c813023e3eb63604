"""The coverage rule: a station in every village (一村一站) by default, shared stations as a choice.

The tiny county lies on one road: V1 at km 0, V2 at 4 (a new site and an existing 村邮站),
V3 at 10, V4 at 16, V5 at 20, every village with a new site of its own. With cheap access
and stations shared within 5 km, V1 walks to V2's station and V5 to V4's.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pytest

import ruralnet as rn
from ruralnet.errors import InfeasibleError
from ruralnet.targets import coverage_targets, targets_markdown
from ruralnet.verify import verify

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).parent.parent
SHARED = {"service": {"rule": "within_distance", "access_yuan_per_parcel_km": 0.01}}


def tiny(**service: object) -> rn.Scenario:
    return rn.load_scenario(DATA / "tiny.toml").with_overrides({"service": service})


def station_villages(plan: rn.Plan) -> dict[str, str]:
    """Village id -> the village its station stands in."""
    stands = dict(
        zip(
            plan.inputs.station_sites["site_id"],
            plan.inputs.station_sites["village_id"],
            strict=True,
        )
    )
    return {row.village_id: stands[row.station_id] for row in plan.villages.itertuples()}


def edited_tiny(tmp_path: Path, *, drop_sites=(), population=None, **service: object) -> Path:
    """A copy of the tiny county without some station sites or with other populations."""
    folder = tmp_path / "tiny"
    shutil.copytree(DATA / "tiny", folder)
    sites = json.loads((folder / "station_sites.geojson").read_text(encoding="utf-8"))
    sites["features"] = [
        f for f in sites["features"] if f["properties"]["site_id"] not in drop_sites
    ]
    (folder / "station_sites.geojson").write_text(json.dumps(sites), encoding="utf-8")
    villages = json.loads((folder / "villages.geojson").read_text(encoding="utf-8"))
    for feature in villages["features"]:
        feature["properties"]["population"] = (population or {}).get(
            feature["properties"]["village_id"], feature["properties"]["population"]
        )
    (folder / "villages.geojson").write_text(json.dumps(villages), encoding="utf-8")
    lines = "".join(f"{key} = {json.dumps(value)}\n" for key, value in service.items())
    toml = tmp_path / "s.toml"
    toml.write_text(
        f'[scenario]\nname = "t"\ndataset = "tiny"\n[service]\n{lines}', encoding="utf-8"
    )
    return toml


@pytest.fixture(scope="module")
def shared_plan() -> rn.Plan:
    return rn.solve(rn.load_scenario(DATA / "tiny.toml").with_overrides(SHARED))


def test_own_village_is_the_default():
    scenario = rn.load_scenario(DATA / "tiny.toml").with_overrides(
        {"service": {"access_yuan_per_parcel_km": 0.01}}
    )
    assert scenario.service.rule == "own_village"
    plan = rn.solve(scenario)
    assert station_villages(plan) == {v: v for v in ("V1", "V2", "V3", "V4", "V5")}
    summary = plan.summary()
    assert summary["coverage_rule"] == "own_village"
    assert summary["villages_with_own_station"] == 5 and summary["own_station_share"] == 1.0
    assert summary["own_village"] is None and summary["saving_vs_own_village_yuan_per_year"] is None
    # V2 has two sites of its own: the cheaper existing 村邮站 is upgraded
    assert plan.villages.set_index("village_id").loc["V2", "station_id"] == "SV2x"


def test_within_distance_shares_and_prices_one_station_per_village(shared_plan):
    plan = shared_plan
    assert station_villages(plan) == {"V1": "V2", "V2": "V2", "V3": "V3", "V4": "V4", "V5": "V4"}
    summary = plan.summary()
    assert summary["coverage_rule"] == "within_distance"
    assert summary["coverage_share"] == 1.0
    assert summary["villages_with_own_station"] == 3 and summary["own_station_share"] == 0.6
    own = summary["own_village"]
    assert own["verified"] and own["stations_opened"] == 5 and own["villages_with_own_station"] == 5
    # the counterpart is the same scenario under own_village, solved on its own
    alone = rn.solve(plan.scenario.with_overrides({"service": {"rule": "own_village"}}))
    assert own["cost_yuan_per_year"] == pytest.approx(alone.verification.total_yuan)
    saving = own["cost_yuan_per_year"] - summary["total_cost_yuan_per_year"]
    assert summary["saving_vs_own_village_yuan_per_year"] == pytest.approx(saving, abs=0.01)
    assert saving > 0


def test_targets_count_coverage_as_the_seed_plan_does(shared_plan):
    rows = coverage_targets(shared_plan)
    policy, service = rows
    assert policy["definition"] == "policy" and service["definition"] == "service"
    assert policy["value"].startswith("60.0% (3 of 5)") and policy["met"] is False
    assert service["value"].startswith("100.0% (5 of 5)") and service["met"] is True
    assert "行政村寄递物流综合服务站覆盖率超过 85%" in policy["source"]
    assert "全覆盖" in policy["source"]
    # per township: T1 has V1 (shares), V2, V3; T2 has V4, V5 (shares)
    assert [(t["township_id"], t["counted"], t["villages"]) for t in policy["by_township"]] == [
        ("T1", 2, 3),
        ("T2", 1, 2),
    ]
    assert [t["counted"] for t in service["by_township"]] == [3, 2]
    text = targets_markdown(shared_plan)
    assert "| village station coverage | policy count (一村一站)" in text
    assert "| village service coverage | service count (多村一站)" in text
    assert "| 一镇 (T1) | 3 | 2 (67%) | 3 (100%) | 1 |" in text
    kpis = shared_plan.kpis().set_index("kpi")
    assert not kpis.loc["village coverage (villages with their own station)", "met"]


def test_phased_targets_count_per_phase():
    scenario = tiny().with_overrides(
        {
            "phases": [
                {"name": "2024", "coverage_target": 0.6},
                {"name": "2025", "coverage_target": 1.0},
            ]
        }
    )
    plan = rn.solve(scenario)
    rows = coverage_targets(plan)
    assert [(r["phase"], r["definition"], r["met"]) for r in rows] == [
        ("2024", "policy", True),
        ("2025", "policy", True),
    ]
    assert rows[0]["value"].startswith("60.0% (3 of 5)")
    assert [p["own_station_share"] for p in plan.summary()["phases"]] == [0.6, 1.0]
    assert "| own station 2024 | own station 2025 |" in targets_markdown(plan)


def test_large_villages_keep_their_own_station(tmp_path):
    toml = edited_tiny(
        tmp_path,
        population={"V1": 2000},
        rule="within_distance",
        max_access_km=5.0,
        access_yuan_per_parcel_km=0.01,
        share_below_population=1000,
    )
    plan = rn.solve(toml)
    p = plan.problem
    assert p.needs_own_station.tolist() == [True, False, False, False, False]
    v1_sites = {p.station_ids[s] for s in p.access.station[p.access.village == 0]}
    assert v1_sites == {"SV1"}  # V1 may not use V2's sites, 4 km away
    # V1 keeps its own station; its small neighbour V2 now shares it instead of opening its own
    assert station_villages(plan) == {"V1": "V1", "V2": "V1", "V3": "V3", "V4": "V4", "V5": "V4"}
    assert plan.summary()["own_village"]["stations_opened"] == 5


def test_parcel_limit_and_strict_size_limit(tmp_path):
    # every tiny village handles 77 parcels/day: a limit of 77 lets none share (fewer than)
    plan = rn.solve(tiny(rule="within_distance", share_below_parcels_per_day=77.0))
    assert plan.problem.own_village_rule
    assert plan.summary()["own_station_share"] == 1.0
    relaxed = rn.solve(tiny(rule="within_distance", share_below_parcels_per_day=78.0))
    assert not relaxed.problem.needs_own_station.any()


def test_size_limits_need_shared_stations():
    with pytest.raises(
        rn.ScenarioError, match=r'\[service\].share_below_population: .*"within_distance"'
    ):
        tiny(share_below_population=500)


def test_village_without_a_site_of_its_own_is_named(tmp_path):
    toml = edited_tiny(tmp_path, drop_sites=("SV3", "SV5"))
    with pytest.raises(
        InfeasibleError,
        match=r"2 administrative village\(s\) have no candidate station site of their own "
        r"\(V3, V5\).*needs 5 of 5\. Add a station_sites row in each village without one "
        r"\(the village point as a `new` site",
    ):
        rn.solve(toml)


def test_village_without_a_site_is_a_warning_when_the_target_allows(tmp_path, caplog):
    toml = edited_tiny(tmp_path, drop_sites=("SV3",), coverage_target=0.8)
    with caplog.at_level(logging.WARNING, logger="ruralnet.pipeline"):
        plan = rn.solve(toml)
    assert "have no candidate station site of their own (V3)" in caplog.text
    assert plan.villages.set_index("village_id").loc["V3", "covered"] == False  # noqa: E712


def test_shared_village_out_of_reach_is_named(tmp_path):
    toml = edited_tiny(tmp_path, drop_sites=("SV3",), rule="within_distance", max_access_km=2)
    with pytest.raises(
        InfeasibleError,
        match=r"1 village\(s\) have no candidate station site within the service distance \(V3\)",
    ):
        rn.solve(toml)


def test_verifier_finds_a_station_outside_the_village():
    plan = rn.solve(tiny())
    p, s = plan.problem, plan.solution
    station = s.village_station.copy()
    station[0] = p.station_ids.index("SV2x")  # V1 to V2's open 村邮站
    report = verify(p, dataclasses.replace(s, village_station=station), check_objective=False)
    found = [v for v in report.violations if v.constraint == "own_village"]
    assert [v.entity_id for v in found] == ["V1"]
    assert "SV2x, which stands in village V2" in found[0].detail


def test_verifier_checks_the_sharing_distance(shared_plan):
    p, s = shared_plan.problem, shared_plan.solution
    assert verify(p, s).ok
    tighter = dataclasses.replace(p, max_access_km=3.0)  # V1 and V5 walk 4 km
    found = [v for v in verify(tighter, s).violations if v.constraint == "distance"]
    assert [v.entity_id for v in found] == ["V1", "V5"]
    assert "beyond 3.000 km" in found[0].detail
    # a village that must keep its own station may not use a neighbour's, near or not
    own = dataclasses.replace(p, needs_own_station=np.array([False] * 4 + [True]))
    found = [v for v in verify(own, s).violations if v.constraint == "own_village"]
    assert [v.entity_id for v in found] == ["V5"]


@pytest.fixture(scope="module")
def shipped_shared() -> rn.Plan:
    return rn.solve(ROOT / "scenarios" / "dongchangfu_shared_stations.toml")


def test_shipped_base_plan_has_a_station_in_every_village():
    plan = rn.solve(ROOT / "scenarios" / "dongchangfu.toml")
    summary = plan.summary()
    villages = len(plan.inputs.villages)  # every administrative village of the dataset
    assert summary["coverage_rule"] == "own_village"
    assert summary["villages_with_own_station"] == summary["villages"] == villages
    assert summary["stations_opened"] == villages and summary["verified"]
    assert all(home == village for village, home in station_villages(plan).items())
    policy = coverage_targets(plan)[0]
    assert policy["met"] and policy["value"] == f"100.0% ({villages} of {villages})"


def test_shipped_shared_stations_plan_reports_its_saving(shipped_shared):
    summary = shipped_shared.summary()
    assert summary["coverage_rule"] == "within_distance" and summary["coverage_share"] == 1.0
    villages = summary["villages"]
    assert summary["villages_with_own_station"] < villages  # neighbours share stations
    own = summary["own_village"]
    assert own["verified"] and own["solver_status"] == "optimal"
    assert own["villages_with_own_station"] == own["stations_opened"] == villages
    assert summary["saving_vs_own_village_yuan_per_year"] > 0
    rows = coverage_targets(shipped_shared)
    assert rows[0]["definition"] == "policy" and rows[0]["met"] is False
    assert rows[1]["definition"] == "service" and rows[1]["met"] is True
