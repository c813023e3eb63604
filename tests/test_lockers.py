"""Smart parcel lockers (智能快件箱): sizing after siting, the independent check, outputs."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import ruralnet as rn
from ruralnet import cli
from ruralnet.errors import InfeasibleError, ScenarioError
from ruralnet.express_targets import express_target_rows
from ruralnet.lockers import check_lockers
from ruralnet.option_solves import solve_locker_sizing

DATA = Path(__file__).parent / "data"
SCENARIOS = Path(__file__).parents[1] / "scenarios"


def _scenario(**lockers) -> rn.Scenario:
    base = rn.load_scenario(DATA / "tiny.toml")
    return base.with_overrides({"lockers": {"enabled": True, **lockers}})


@pytest.fixture(scope="module")
def siting() -> rn.Plan:
    """The tiny county's verified plan (5 villages of 70 inbound parcels/day, own stations)."""
    return rn.solve(_scenario())


def _sized(siting: rn.Plan, **lockers) -> rn.Plan:
    return replace(siting, scenario=_scenario(**lockers)).with_lockers()


def test_disabled_by_default_changes_nothing(siting):
    assert not rn.load_scenario(DATA / "tiny.toml").lockers.enabled
    plain = rn.solve(rn.load_scenario(DATA / "tiny.toml"))
    assert plain.lockers is None
    assert "lockers" not in plain.summary()
    assert not any("locker" in str(r["target"]) for r in express_target_rows(plain))


def test_share_is_met_with_the_fewest_groups(siting):
    plan = _sized(siting, min_share=0.3)
    locker = plan.lockers
    # 350 parcels/day delivered, 30 % = 105; a group of 100 compartments takes at most 70 of a
    # 70-parcel village: two groups are needed, and two suffice
    assert float(np.sum(locker.delivered)) == pytest.approx(350.0)
    assert locker.total_groups == 2
    assert locker.share >= 0.3 - 1e-9
    assert locker.locker_parcels == pytest.approx(140.0)  # both groups filled with their village
    assert locker.sizing["status"] == "optimal"
    assert locker.sizing["gap"] == 0.0
    assert locker.check.ok
    figures = plan.summary()["lockers"]
    assert figures["locker_groups"] == 2 and figures["compartments"] == 200
    total = plan.summary()["total_cost_yuan_per_year"]
    assert figures["total_cost_with_lockers_yuan_per_year"] == pytest.approx(
        total + figures["yuan_per_year"], abs=0.02
    )
    # annualised purchase (C8c 10 000 yuan, 8 years at 5 %) + 1 200 yuan upkeep per group
    r = 0.05
    per_group = 10_000 * r / (1 - (1 + r) ** -8) + 1_200
    assert figures["yuan_per_year"] == pytest.approx(2 * per_group, abs=0.01)


def test_the_share_binds(siting):
    groups = [_sized(siting, min_share=m).lockers.total_groups for m in (0.0, 0.2, 0.3, 0.5, 1.0)]
    assert groups == [0, 1, 2, 3, 5]


def test_turnover_sets_the_capacity(siting):
    # 20 compartments turning over twice a day hold 40 parcels: 105 parcels need 3 groups
    plan = _sized(siting, compartments_per_group=20, parcels_per_compartment_per_day=2.0)
    assert plan.lockers.total_groups == 3
    # of the 3-group sizings, the one taking most parcels: three villages, 40 each
    assert plan.lockers.locker_parcels == pytest.approx(120.0)


def test_township_scope_holds_in_every_township(siting):
    county = _sized(siting, min_share=0.3).lockers
    township = _sized(siting, min_share=0.3, share_scope="township").lockers
    shares = township.check.scope_shares
    assert set(shares) == {"T1", "T2"}
    assert min(shares.values()) >= 0.3 - 1e-9
    # T1 (210 parcels) needs 63 -> 1 group, T2 (140) needs 42 -> 1 group: still 2, one each
    kinds = siting.problem.village_township[siting.problem.station_village[township.site_index]]
    assert sorted(kinds[township.groups > 0]) == [0, 1]
    assert township.total_groups >= county.total_groups


def test_target_row_flips_with_the_goal(siting):
    plan = _sized(siting, min_share=0.3)
    row = next(r for r in express_target_rows(plan) if "locker share" in str(r["target"]))
    assert row["met"] is True
    stricter = replace(plan, scenario=_scenario(min_share=0.5))
    row = next(r for r in express_target_rows(stricter) if "locker share" in str(r["target"]))
    assert row["met"] is False
    assert "40.0%" in str(row["value"])


def test_count_goal_row(siting):
    plan = _sized(siting, min_share=0.3, goal_groups=3)
    row = next(r for r in express_target_rows(plan) if "groups" in str(r["target"]))
    assert row["met"] is False and row["value"] == "2 groups"


@pytest.mark.parametrize(
    ("broken", "constraint"),
    [
        ("over_capacity", "locker_capacity"),
        ("over_deliveries", "locker_deliveries"),
        ("closed_station", "locker_site"),
        ("too_few", "locker_share"),
        ("fractional", "locker_groups"),
        ("too_many_groups", "locker_groups"),
        ("cost", "locker_cost"),
    ],
)
def test_the_check_catches_a_broken_sizing(siting, broken, constraint):
    plan = _sized(siting, min_share=0.3)
    locker = plan.lockers
    sc = plan.scenario
    used = int(np.flatnonzero(locker.groups > 0)[0])
    v = int(np.flatnonzero(locker.via_station > 0)[0])
    via = locker.via_station.copy()
    groups = locker.groups.copy().astype(float)
    if broken == "over_capacity":
        groups[used] = 0  # its village's parcels stay, the capacity goes
        groups[int(np.flatnonzero(locker.groups == 0)[0])] = 1  # keep the cost the same
    elif broken == "over_deliveries":
        via[v] = 150.0
    elif broken == "closed_station":
        locker = replace(locker, site_index=locker.site_index.copy())
        locker.site_index[used] = int(np.flatnonzero(~siting.solution.open_station)[0])
    elif broken == "too_few":
        via[:] = 0.0
    elif broken == "fractional":
        groups[used] = 1.5
    elif broken == "too_many_groups":
        groups[used] = sc.lockers.max_groups_per_site + 1
    elif broken == "cost":
        locker = replace(locker, yuan_per_year=locker.yuan_per_year + 100.0)
    locker = replace(locker, via_station=via, groups=groups)
    check = check_lockers(plan.problem, plan.solution, sc, locker)
    assert not check.ok
    assert constraint in {v.constraint for v in check.violations}, check.violations


def test_village_sites_take_what_a_full_station_cannot():
    """Two villages of 70 at one station holding one group of 100: 120 needs a village group."""
    sized = solve_locker_sizing(
        village_parcels=np.array([70.0, 70.0]),
        station_site=np.array([0, 0]),
        own_site=np.array([-1, 1]),  # the second village has no station of its own
        village_scope=np.array([0, 0]),
        scope_need=np.array([120.0]),
        site_yuan_per_group=np.array([1000.0, 1000.0]),
        site_fixed_yuan=np.array([0.0, 300.0]),
        parcels_per_group=100.0,
        max_groups=1,
    )
    assert sized.groups.tolist() == [1, 1]
    assert sized.objective == pytest.approx(2300.0)
    assert sized.via_station.sum() + sized.via_own.sum() == pytest.approx(140.0)
    assert sized.via_own[0] == 0.0 and sized.via_own[1] > 0
    assert np.all(sized.via_station + sized.via_own <= np.array([70.0, 70.0]) + 1e-6)
    # with room for two groups at the station the village pad is not worth it
    roomy = solve_locker_sizing(
        village_parcels=np.array([70.0, 70.0]),
        station_site=np.array([0, 0]),
        own_site=np.array([-1, 1]),
        village_scope=np.array([0, 0]),
        scope_need=np.array([120.0]),
        site_yuan_per_group=np.array([1000.0, 1000.0]),
        site_fixed_yuan=np.array([0.0, 300.0]),
        parcels_per_group=100.0,
        max_groups=2,
    )
    assert roomy.groups.tolist() == [2, 0]


def test_unreachable_share_names_the_fix(siting):
    with pytest.raises(InfeasibleError, match=r"\[lockers\] min_share = 0.9 cannot be met"):
        _sized(siting, min_share=0.9, compartments_per_group=10, max_groups_per_site=2)


@pytest.mark.parametrize(
    ("key", "value"), [("share_scope", "city"), ("min_share", 1.5), ("at", "everywhere")]
)
def test_bad_keys_are_one_line_errors(key, value):
    with pytest.raises(ScenarioError) as caught:
        _scenario(**{key: value})
    assert "lockers" in str(caught.value) and key in str(caught.value)
    assert "\n" not in str(caught.value)


def test_run_writes_lockers_and_verify_rechecks_them(tmp_path: Path):
    toml = tmp_path / "lockers.toml"
    toml.write_text(
        f'[scenario]\nextends = "{(DATA / "tiny.toml").as_posix()}"\nname = "tiny lockers"\n'
        '[lockers]\nenabled = true\nshare_scope = "township"\n',
        encoding="utf-8",
    )
    out = tmp_path / "plan"
    assert cli.main(["run", str(toml), "-o", str(out), "--quiet", "--lang", "zh"]) == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["lockers"]["verified"] is True
    assert summary["lockers"]["locker_share"] >= 0.3
    assert any("智能快件箱" in r["target"] for r in summary["targets"])
    features = json.loads((out / "plan.geojson").read_text(encoding="utf-8"))["features"]
    assert sum(f["properties"]["role"] == "locker" for f in features) == summary["lockers"]["sites"]
    page = (out / "map.html").read_text(encoding="utf-8")
    assert "智能快件箱" in page or json.dumps("智能快件箱")[1:-1] in page  # the layer, in Chinese
    assert "站点的智能快件箱组" in page  # and its legend row
    assert cli.main(["verify", str(toml), str(out)]) == 0
    # a locker parcel count edited by hand: more than the village gets and its lockers hold
    path = out / "locker_villages.csv"
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    head, row = lines[0].split(","), lines[1].split(",")
    row[head.index("at_station_parcels_per_day")] = "999"
    path.write_text("\n".join([lines[0], ",".join(row), *lines[2:]]) + "\n", encoding="utf-8-sig")
    assert cli.main(["verify", str(toml), str(out)]) != 0


def test_shipped_scenario_extends_the_default_county():
    scenario = rn.load_scenario(SCENARIOS / "dongchangfu_lockers.toml")
    base = rn.load_scenario(SCENARIOS / "dongchangfu.toml")
    assert scenario.lockers.enabled and not base.lockers.enabled
    assert scenario.dataset_path.resolve() == base.dataset_path.resolve()
    assert math.isclose(scenario.lockers.min_share, 0.30)
