"""Cold chain (冷链寄递, [cold_chain]): the choice after siting, its independent check, outputs."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from ruralnet import cli
from ruralnet.cold_chain import _from_file, cold_chain, cold_parcels
from ruralnet.cold_verify import DEDICATED, PLAN_VAN, ColdChain, verify_cold_chain
from ruralnet.errors import DataError, ScenarioError
from ruralnet.pipeline import solve
from ruralnet.plan import Plan
from ruralnet.scenario import load_scenario

ROOT = Path(__file__).parents[1]
SCENARIO = ROOT / "scenarios" / "dongchangfu_cold_chain.toml"


@pytest.fixture(scope="module")
def plan() -> Plan:
    return solve(SCENARIO).with_cold_chain()


def _again(plan: Plan, **cold: object) -> Plan:
    """The same verified network with other [cold_chain] values, cold chain chosen again."""
    scenario = plan.scenario.with_overrides({"cold_chain": cold})
    return dataclasses.replace(plan, scenario=scenario).with_cold_chain()


def _check(plan: Plan, cold: ColdChain) -> list[str]:
    report = verify_cold_chain(plan.problem, plan.solution, cold, cold_parcels(plan)[0])
    return list(report.violations)


def test_shipped_scenario_serves_most_cold_parcels_on_cold_paths(plan: Plan):
    cold = plan.cold_chain
    assert cold is not None and cold.status == "optimal"
    assert len(cold.village) == 16  # the dataset's producing villages
    assert _check(plan, cold) == []
    s = plan.solution
    for v, path, c in zip(cold.village, cold.path, cold.centre, strict=True):
        if path == "station":
            assert cold.cold_station[s.village_station[v]]
        if path != "none":
            assert cold.cold_centre[c] and cold.cold_hub[s.centre_hub[c]]
    # the objective is the recomputed cost, spoilage included
    assert cold.objective == pytest.approx(sum(cold.cost_parts.values()), rel=1e-6)
    assert 0 < cold.served_share < 1


def test_verifier_catches_a_broken_cold_chain(plan: Plan):
    cold = plan.cold_chain
    assert cold is not None
    first = next(i for i, path in enumerate(cold.path) if path == "station")
    station = plan.solution.village_station[cold.village[first]]
    no_cabinet = cold.cold_station.copy()
    no_cabinet[station] = False
    found = _check(plan, dataclasses.replace(cold, cold_station=no_cabinet))
    assert any("is not cold-capable" in line for line in found)
    found = _check(plan, dataclasses.replace(cold, legs=cold.legs[1:]))
    assert any("no cold van runs it" in line for line in found)
    no_trips = (dataclasses.replace(cold.legs[0], trips_per_day=0), *cold.legs[1:])
    found = _check(plan, dataclasses.replace(cold, legs=no_trips))
    assert any("trips carry" in line for line in found)
    cheap = {**cold.cost_parts, "centres": cold.cost_parts["centres"] - 1000}
    found = _check(plan, dataclasses.replace(cold, cost_parts=cheap))
    assert any("cost centres" in line for line in found)
    small = dataclasses.replace(cold.rates, station_capacity=1.0)
    found = _check(plan, dataclasses.replace(cold, rates=small))
    assert any("over its cold capacity" in line for line in found)
    far = (dataclasses.replace(cold.legs[0], km=cold.legs[0].km + 1), *cold.legs[1:])
    assert any(
        "the road gives" in line for line in _check(plan, dataclasses.replace(cold, legs=far))
    )


def test_station_capacity_binds(plan: Plan):
    cold = plan.cold_chain
    assert cold is not None
    big = max(
        float(q) for q, path in zip(cold.parcels, cold.path, strict=True) if path == "station"
    )
    tight = _again(plan, station_capacity_parcels_per_day=big - 1.0, spoilage_yuan_per_parcel=100.0)
    assert tight.cold_chain is not None
    for q, path in zip(tight.cold_chain.parcels, tight.cold_chain.path, strict=True):
        if path == "station":
            assert q <= big - 1.0
    heaviest = int(np.argmax(tight.cold_chain.parcels))
    assert tight.cold_chain.path[heaviest] != "station"


def test_spoilage_decides_between_no_cold_chain_and_all(plan: Plan):
    none = _again(plan, spoilage_yuan_per_parcel=0.0).cold_chain
    assert none is not None and set(none.path) == {"none"} and not none.cold_centre.any()
    assert none.yuan_per_year == 0
    full = _again(plan, spoilage_yuan_per_parcel=1000.0).cold_chain
    assert full is not None and full.served_share == 1.0


def test_pickup_by_dedicated_cold_van_when_stations_cannot_be_cooled(plan: Plan):
    pick = _again(plan, station_upgrade_yuan=1e8, spoilage_yuan_per_parcel=1000.0)
    cold = pick.cold_chain
    assert cold is not None and set(cold.path) == {"pickup"}
    assert not cold.cold_station.any()
    pickups = [leg for leg in cold.legs if leg.tier == "pickup"]
    assert pickups and all(leg.how == DEDICATED for leg in pickups)
    assert all(leg.how == PLAN_VAN for leg in cold.legs if leg.tier == "trunk")
    assert _check(pick, cold) == []


def test_target_row_flips_with_the_goal(plan: Plan):
    def row(p: Plan) -> dict[str, object]:
        return next(t for t in p.summary()["targets"] if t["target"].startswith("cold chain"))

    share = plan.cold_chain.served_share  # type: ignore[union-attr]
    assert row(plan)["met"] is False  # goal 100 %
    lower = _again(plan, goal_served_share=round(share - 0.01, 2))
    assert row(lower)["met"] is True


def test_summary_figures_and_disabled_default(plan: Plan):
    figures = plan.summary()["cold_chain"]
    assert figures["figures"] == "estimated" and figures["in_total_cost"] is False
    cold = plan.cold_chain
    assert cold is not None
    assert figures["cold_stations"] == int(cold.cold_station.sum())
    assert figures["cold_capacity_opened_parcels_per_day"] == pytest.approx(
        cold.cold_station.sum() * 150 + cold.cold_centre.sum() * 1000
    )
    assert figures["total_with_cold_chain_yuan_per_year"] == pytest.approx(
        plan.summary()["total_cost_yuan_per_year"] + figures["yuan_per_year"], abs=0.02
    )
    base = dataclasses.replace(
        plan, scenario=load_scenario(ROOT / "scenarios" / "dongchangfu.toml")
    )
    base = dataclasses.replace(base, cold_chain=None)
    assert not base.scenario.cold_chain.enabled
    assert "cold_chain" not in base.summary()
    assert not any(t["target"].startswith("cold chain") for t in base.summary()["targets"])


def test_producing_villages_by_list_or_seeded_share(plan: Plan):
    ids = list(plan.problem.village_ids[:2])
    listed = dataclasses.replace(
        plan, scenario=plan.scenario.with_overrides({"cold_chain": {"producing_villages": ids}})
    )
    parcels, origin = cold_parcels(listed)
    assert np.flatnonzero(parcels > 0).tolist() == [0, 1] and "producing_villages" in origin
    share = dataclasses.replace(
        plan, scenario=plan.scenario.with_overrides({"cold_chain": {"share_of_villages": 0.1}})
    )
    first, again = cold_parcels(share)[0], cold_parcels(share)[0]
    assert np.array_equal(first, again)
    assert int(np.sum(first > 0)) == round(0.1 * len(plan.problem.village_ids))


def test_bad_cold_chain_input(plan: Plan, tmp_path: Path):
    unknown = dataclasses.replace(
        plan, scenario=plan.scenario.with_overrides({"cold_chain": {"producing_villages": ["X9"]}})
    )
    with pytest.raises(ScenarioError, match=r"\[cold_chain\].producing_villages: 'X9'"):
        cold_chain(unknown)
    toml = tmp_path / "bad.toml"
    toml.write_text(
        f'[scenario]\nextends = "{SCENARIO.as_posix()}"\n[cold_chain]\ncold_share_of_outbound = 2.0\n',
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError, match="cold_share_of_outbound"):
        load_scenario(toml)
    csv = tmp_path / "cold_villages.csv"
    village = plan.problem.village_ids[0]
    csv.write_text(f"village_id,cold_share\n{village},0.5\n", encoding="utf-8")
    share = _from_file(csv, plan.problem.village_ids)
    assert share[0] == 0.5 and share[1:].sum() == 0
    csv.write_text(f"village_id,cold_share\n{village},1.5\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"cold_villages.csv row 1.*not a number from 0 to 1"):
        _from_file(csv, plan.problem.village_ids)


def test_run_writes_and_verify_rechecks_the_cold_chain(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    out = tmp_path / "plan"
    assert (
        cli.main(["run", str(SCENARIO), "-o", str(out), "--no-routes", "-q", "--lang", "zh"]) == 0
    )
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["cold_chain"]["verified"] is True
    assert "农产品冷链寄递" in (out / "targets.md").read_text(encoding="utf-8")
    assert "冷链：具备冷链能力的站点" in (out / "map.html").read_text(encoding="utf-8")  # legend
    assert cli.main(["verify", str(SCENARIO), str(out)]) == 0
    assert "every cold parcel's path is cold-capable" in capsys.readouterr().out
    broken = tmp_path / "broken"
    shutil.copytree(out, broken)
    text = (broken / "cold_chain.csv").read_text(encoding="utf-8-sig").splitlines()
    row = next(i for i, line in enumerate(text) if ",station," in line)
    text[row] = text[row].replace(",station,", ",pickup,")
    (broken / "cold_chain.csv").write_text("\n".join(text) + "\n", encoding="utf-8-sig")
    assert cli.main(["verify", str(SCENARIO), str(broken)]) == 1
    assert "the cold chain breaks" in capsys.readouterr().err
