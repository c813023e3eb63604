"""End to end on the tiny county: solve, verify, export, read back."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import ruralnet as rn
from ruralnet.errors import InfeasibleError, OutputError

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def plan() -> rn.Plan:
    return rn.solve(DATA / "tiny.toml")


def test_plan_is_verified_and_complete(plan):
    summary = plan.summary()
    assert summary["verified"] is True
    assert summary["villages_covered"] == 5
    assert summary["centres_opened"] >= 2  # one per township
    assert set(plan.centres["township_id"]) == {"T1", "T2"}
    assert plan.villages["station_id"].notna().all()
    assert summary["total_cost_yuan_per_year"] == pytest.approx(
        summary["solver"]["objective"], rel=1e-6
    )
    assert summary["generated_data"]  # generated data is labelled


def test_geojson_is_rfc7946(plan, tmp_path):
    path = plan.to_geojson(tmp_path / "plan.geojson")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["type"] == "FeatureCollection"
    assert "crs" not in data
    roles = {f["properties"]["role"] for f in data["features"]}
    assert roles == {"village", "station", "centre", "hub", "link"}
    for feature in data["features"]:
        props = feature["properties"]
        coords = feature["geometry"]["coordinates"]
        first = coords if feature["geometry"]["type"] == "Point" else coords[0]
        lon, lat = first
        assert 116 < lon < 118 and 36 < lat < 37  # lon/lat order, WGS84
        if props["role"] == "village":
            assert props["station_id"] and props["distance_km"] is not None
        if props["role"] == "station":
            assert props["centre_id"] and props["site_id"]
        if props["role"] == "link":
            assert {"from_id", "to_id", "mode", "parcels_per_day"} <= props.keys()
    assert "甲村委会" in path.read_text(encoding="utf-8")  # UTF-8, not \\u escapes


def test_write_is_deterministic_and_tables_have_bom(plan, tmp_path):
    first = plan.write(tmp_path / "a")
    again = rn.solve(DATA / "tiny.toml")
    again.write(tmp_path / "b")
    for path in first:
        if path.name in {"map.html", "report.html", "summary.json"}:
            continue  # the map (also inside the report) has random element ids; the summary holds solve seconds
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes(), path.name
    assert (tmp_path / "a" / "stations.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_write_refuses_a_folder_of_other_files(plan, tmp_path):
    (tmp_path / "mine.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(OutputError, match="holds files ruralnet did not write"):
        plan.write(tmp_path)
    assert (tmp_path / "mine.txt").exists()


def test_rewrite_replaces_previous_outputs(plan, tmp_path):
    plan.write(tmp_path / "out")
    plan.write(tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        [
            "plan.geojson",
            "villages.csv",
            "stations.csv",
            "centres.csv",
            "links.csv",
            "plan.gpkg",
            "summary.json",
            "targets.md",
            "map.html",
            "report.html",
        ]
    )
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left behind


def test_kpis(plan):
    kpis = plan.kpis().set_index("kpi")
    assert kpis.loc["village coverage (villages with their own station)", "met"]
    assert kpis.loc["townships with a co-delivery centre", "value"] == 1.0


def test_capacity_shortfall_is_explained():
    scenario = rn.load_scenario(DATA / "tiny.toml").with_overrides(
        {"station": {"capacity_parcels_per_day": 10}}
    )
    with pytest.raises(
        InfeasibleError,
        match=r"5 village\(s\) send more parcels per day than any station within reach can hold \(V1 \(77 > 10\)",
    ):
        rn.solve(scenario)


def test_unreachable_villages_are_named(tmp_path):
    folder = tmp_path / "tiny"
    shutil.copytree(DATA / "tiny", folder)
    sites = json.loads((folder / "station_sites.geojson").read_text(encoding="utf-8"))
    sites["features"] = [f for f in sites["features"] if f["properties"]["site_id"] != "SV3"]
    (folder / "station_sites.geojson").write_text(json.dumps(sites), encoding="utf-8")
    toml = tmp_path / "s.toml"
    toml.write_text(
        '[scenario]\nname = "t"\ndataset = "tiny"\n[service]\nrule = "within_distance"\n'
        "max_access_km = 2\n",
        encoding="utf-8",
    )
    with pytest.raises(
        InfeasibleError,
        match=r"1 village\(s\) have no candidate station site within the service distance \(V3\)",
    ):
        rn.solve(toml)


def test_policy_targets_report(plan, tmp_path):
    from ruralnet.targets import policy_targets, targets_markdown, township_coverage

    rows = {r["target"]: r for r in policy_targets(plan)}
    assert rows["village station coverage"]["met"] is True
    assert rows["co-delivery centre in every township"]["value"] == "2 of 2"
    assert rows["buses carry parcels (客货邮融合)"]["met"] is False  # the tiny county has no bus
    towns = township_coverage(plan)
    assert towns["villages"].sum() == 5 and (towns["share"] == 1.0).all()
    text = targets_markdown(plan)
    assert "| co-delivery centre in every township |" in text and "Generated data" in text
    plan.write(tmp_path / "o")
    assert (tmp_path / "o" / "targets.md").read_text(encoding="utf-8") == text
    assert json.loads((tmp_path / "o" / "summary.json").read_text(encoding="utf-8"))["targets"]
