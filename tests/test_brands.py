"""Co-delivery across brands (快递共配): each brand on its own beside the shared plan."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

import ruralnet as rn
from ruralnet import cli
from ruralnet.brands import one_brand_plan, village_brand_shares
from ruralnet.compare import compare_folders
from ruralnet.errors import DataError, ScenarioError
from ruralnet.express_targets import demonstration_stations, hub_companies

DATA = Path(__file__).parent / "data"


def _scenario(shares: dict[str, float], **extra) -> rn.Scenario:
    base = rn.load_scenario(DATA / "tiny.toml")
    return base.with_overrides({"brands": {"enabled": True, "shares": shares}, **extra})


@pytest.fixture(scope="module")
def halves() -> rn.Plan:
    return rn.solve(_scenario({"zto": 0.5, "ems": 0.5})).with_separate_brands()


def test_one_brand_alone_is_the_shared_plan():
    """A single brand with every parcel, on its own, is the shared plan: nothing is saved."""
    plan = rn.solve(_scenario({"zto": 1.0})).with_separate_brands()
    baseline = plan.separate_brands
    assert len(baseline.networks) == 1
    assert baseline.saving_yuan_per_year == pytest.approx(0.0, abs=1e-6 * plan.solution.objective)
    own = baseline.networks[0].plan
    assert own.verification.ok
    assert own.verification.cost_parts["stations"] == 0.0  # counted once, in the shared plan


def test_two_brands_each_keep_their_own_outlets(halves):
    baseline = halves.separate_brands
    shared = halves.verification
    assert [n.brand for n in baseline.networks] == ["ems", "zto"]
    for network in baseline.networks:
        p, s = network.plan.problem, network.plan.solution
        assert network.plan.verification.ok
        assert network.share == pytest.approx(0.5)
        # the brand carries half of every village's parcels, through the shared plan's stations
        np.testing.assert_allclose(p.inbound, halves.problem.inbound * 0.5)
        np.testing.assert_array_equal(s.village_station, halves.solution.village_station)
        # its own outlet in every township
        assert set(p.centre_township[s.open_centre]) == set(range(len(p.township_ids)))
    separate_centres = sum(int(n.plan.solution.open_centre.sum()) for n in baseline.networks)
    figures = halves.summary()["separate_brands"]
    assert figures["separate"]["centres"] == separate_centres
    assert figures["avoided"]["centres"] == separate_centres - int(
        halves.solution.open_centre.sum()
    )
    once = shared.cost_parts["stations"] + shared.cost_parts["hubs"]
    assert baseline.separate_yuan_per_year == pytest.approx(
        once + sum(n.plan.verification.total_yuan for n in baseline.networks)
    )
    # a second set of outlets costs at least their yearly cost; van per-parcel costs are linear
    cheapest_centre = float(np.min(halves.problem.centre_yearly_yuan))
    assert baseline.saving_yuan_per_year >= 2 * cheapest_centre - 1e-6
    assert halves.summary()["saving_vs_separate_brands_yuan_per_year"] == pytest.approx(
        baseline.saving_yuan_per_year, abs=0.01
    )


def test_co_delivery_target_row(halves):
    rows = {r["target"]: r for r in halves.summary()["targets"]}
    row = rows["co-delivery across brands (快递共配)"]
    assert row["met"] is True
    assert "2 brands" in row["counted_as"]


def test_shares_must_add_up():
    with pytest.raises(ScenarioError, match=r"\[brands\]\.shares: .*add up to 1"):
        _scenario({"zto": 0.5, "ems": 0.4})


def _copy_tiny(tmp_path: Path) -> Path:
    shutil.copytree(DATA / "tiny", tmp_path / "tiny")
    (tmp_path / "tiny.toml").write_text(
        (DATA / "tiny.toml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    return tmp_path / "tiny.toml"


def test_brand_shares_file_overrides_villages(tmp_path):
    toml = _copy_tiny(tmp_path)
    (tmp_path / "tiny" / "brand_shares.csv").write_text(
        "village_id,zto,ems\nV1,1.0,0.0\nV4,0.2,0.8\n", encoding="utf-8"
    )
    inputs = rn.load_inputs(tmp_path / "tiny")
    ids = tuple(inputs.villages["village_id"])
    matrix = village_brand_shares({"zto": 0.5, "ems": 0.5}, inputs, ids)
    assert matrix[ids.index("V1")].tolist() == [1.0, 0.0]
    assert matrix[ids.index("V4")].tolist() == [0.2, 0.8]
    assert matrix[ids.index("V2")].tolist() == [0.5, 0.5]
    assert toml.exists()


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (
            "village_id,zto,ems\nV1,0.7,0.7\n",
            r"brand_shares\.csv row 1 \(village_id=V1\): shares add up to 1\.4",
        ),
        (
            "village_id,zto,ems\nV99,1,0\n",
            r"brand_shares\.csv row 1: village_id 'V99' is not in villages",
        ),
        ("village_id,dhl\nV1,1\n", r"brand_shares\.csv: unknown brand dhl"),
    ],
)
def test_bad_brand_shares_file(tmp_path, text, match):
    _copy_tiny(tmp_path)
    (tmp_path / "tiny" / "brand_shares.csv").write_text(text, encoding="utf-8")
    inputs = rn.load_inputs(tmp_path / "tiny")
    with pytest.raises(DataError, match=match):
        village_brand_shares({"zto": 0.5, "ems": 0.5}, inputs, tuple(inputs.villages["village_id"]))


def test_one_brand_is_a_plan_folder_to_compare(halves, tmp_path):
    halves.write(tmp_path / "shared", with_map=False)
    one_brand_plan(halves, "zto").write(tmp_path / "zto", with_map=False)
    comparison = compare_folders(tmp_path / "shared", tmp_path / "zto")
    assert not comparison.stations_only_a and not comparison.stations_only_b
    # the brand's network drops the station costs (counted in the shared plan) and carries half
    own = json.loads((tmp_path / "zto" / "summary.json").read_text(encoding="utf-8"))
    assert comparison.total_cost_delta == pytest.approx(
        own["total_cost_yuan_per_year"] - halves.summary()["total_cost_yuan_per_year"], abs=0.01
    )
    assert comparison.total_cost_delta < 0
    with pytest.raises(ScenarioError, match=r"--brand dhl: not a brand"):
        one_brand_plan(halves, "dhl")


def test_cli_writes_one_brand(tmp_path):
    toml = _copy_tiny(tmp_path)
    text = toml.read_text(encoding="utf-8") + "\n[brands]\nshares = {zto = 0.5, ems = 0.5}\n"
    toml.write_text(text, encoding="utf-8")
    assert cli.main(["run", str(toml), "-o", str(tmp_path / "zto"), "--brand", "zto",
                     "--no-routes", "--no-map", "--quiet"]) == 0  # fmt: skip
    summary = json.loads((tmp_path / "zto" / "summary.json").read_text(encoding="utf-8"))
    assert "on its own" in summary["scenario"]
    assert summary["cost_yuan_per_year"]["stations"] == 0.0


def test_express_park_and_demonstration_rows(tmp_path):
    toml = _copy_tiny(tmp_path)
    hubs = json.loads((tmp_path / "tiny" / "hubs.geojson").read_text(encoding="utf-8"))
    hubs["features"][0]["properties"]["park_companies"] = "zto; yto;EMS"
    (tmp_path / "tiny" / "hubs.geojson").write_text(json.dumps(hubs), encoding="utf-8")
    plan = rn.solve(rn.load_scenario(toml).with_overrides({"park": {"companies": ["sf"]}}))
    assert hub_companies(plan) == {"H1": (("zto", "yto", "ems"), "hubs.park_companies")}
    rows = {r["target"]: r for r in plan.summary()["targets"]}
    assert rows["express park at the county hub"]["met"] is True
    strict = plan.scenario.with_overrides({"park": {"min_companies": 4}})
    plan4 = rn.solve(strict)
    assert {r["target"]: r for r in plan4.summary()["targets"]}["express park at the county hub"][
        "met"
    ] is False
    table = demonstration_stations(plan)
    # tiny: every station is new (express only) except SV2x, an upgraded 村邮站 (express + post)
    expected = {sid for sid in table["site_id"] if sid == "SV2x"}
    assert set(table.loc[table["meets"], "site_id"]) == expected
    demo = rows["demonstration stations (示范站)"]
    assert demo["value"] == f"{len(expected)} of {len(table)} stations"
    assert demo["met"] is (len(expected) >= 50)


def test_park_unknown_without_companies():
    plan = rn.solve(DATA / "tiny.toml")
    row = {r["target"]: r for r in plan.summary()["targets"]}["express park at the county hub"]
    assert row["met"] is None
    assert "unknown" in row["value"]
