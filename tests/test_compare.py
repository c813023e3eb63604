"""Plan comparison on two tiny-county plans that differ in two scenario keys."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pandas as pd
import pytest

import ruralnet as rn
from ruralnet.compare import (
    PlanComparison,
    compare_folders,
    compare_plans,
    read_plan_folder,
)
from ruralnet.compare_map import comparison_map
from ruralnet.errors import DataError
from ruralnet.export import write_plan

DATA = Path(__file__).parent / "data"

# stations shared within 5 km (rule = "within_distance"): cheap access lets V1 and V5 walk
# 4 km to a neighbour's station (SV1, SV5 close);
# a dear upgrade moves township T1's centre from the existing depot C3 to the new site C1
CHANGES = {
    "service": {"access_yuan_per_parcel_km": 0.01},
    "centre": {"upgrade_yuan": 900_000},
}


@pytest.fixture(scope="module")
def plans() -> tuple[rn.Plan, rn.Plan]:
    scenario = rn.load_scenario(DATA / "tiny.toml").with_overrides(
        {"service": {"rule": "within_distance"}}
    )
    return rn.solve(scenario), rn.solve(scenario.with_overrides(CHANGES))


@pytest.fixture(scope="module")
def comparison(plans: tuple[rn.Plan, rn.Plan]) -> PlanComparison:
    return compare_plans(*plans)


@pytest.fixture(scope="module")
def folders(plans: tuple[rn.Plan, rn.Plan], tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("plans")
    plans[0].write(root / "base")
    write_plan(plans[1], root / "cheap_access", with_map=False)
    return root / "base", root / "cheap_access"


def test_sites_only_in_a_only_in_b_and_in_both(comparison: PlanComparison):
    assert comparison.stations_only_a == ["SV1", "SV5"]
    assert comparison.stations_only_b == []
    assert comparison.stations_both == ["SV2x", "SV3", "SV4"]
    assert comparison.centres_only_a == ["C3"]
    assert comparison.centres_only_b == ["C1"]
    assert comparison.centres_both == ["C2"]
    table = comparison.sites_table()
    assert table.loc["stations"].to_dict() == {"both": 3, "only_a": 2, "only_b": 0}
    assert table.loc["centres"].to_dict() == {"both": 1, "only_a": 1, "only_b": 1}


def test_station_rows_keep_both_feeding_centres(comparison: PlanComparison):
    stations = comparison.stations.set_index("site_id")
    assert stations.loc["SV3", "centre_id_a"] == "C3"
    assert stations.loc["SV3", "centre_id_b"] == "C1"
    assert pd.isna(stations.loc["SV1", "centre_id_b"])
    assert stations.loc["SV2x", "kind"] == "existing"
    assert stations.loc["SV2x", "villages_served_a"] == 1
    assert stations.loc["SV2x", "villages_served_b"] == 2  # V1 walks to SV2x in B
    assert pd.isna(stations.loc["SV1", "villages_served_b"])
    centres = comparison.centres.set_index("site_id")
    assert centres.loc["C1", "township_name"] == "一镇"
    assert pd.isna(centres.loc["C1", "hub_id_a"])
    assert centres.loc["C1", "hub_id_b"] == "H1"
    assert centres["stations_served_b"].sum() == 3  # the stations of B
    assert centres["stations_served_a"].sum() == 5
    assert stations[["lon", "lat"]].notna().all().all()


def test_villages_that_change_station(comparison: PlanComparison):
    assert comparison.villages_changed == ["V1", "V5"]
    row = comparison.villages.set_index("village_id").loc["V1"]
    assert row["station_id_a"] == "SV1"
    assert row["station_id_b"] == "SV2x"
    assert row["distance_km_b"] == pytest.approx(4.0, abs=1e-3)


def test_figures_are_b_minus_a(comparison: PlanComparison, plans: tuple[rn.Plan, rn.Plan]):
    sa, sb = plans[0].summary(), plans[1].summary()
    total = comparison.figure("total_cost_yuan_per_year")
    assert total["a"] == pytest.approx(sa["total_cost_yuan_per_year"])
    assert total["b"] == pytest.approx(sb["total_cost_yuan_per_year"])
    assert comparison.total_cost_delta == pytest.approx(
        sb["total_cost_yuan_per_year"] - sa["total_cost_yuan_per_year"]
    )
    assert total["change"] == pytest.approx(total["delta"] / total["a"])
    for part in sa["cost_yuan_per_year"]:
        row = comparison.figure(f"cost_yuan_per_year.{part}")
        assert row["unit"] == "yuan/year"
        assert row["delta"] == pytest.approx(
            sb["cost_yuan_per_year"][part] - sa["cost_yuan_per_year"][part]
        )
    assert comparison.figure("stations_opened")["delta"] == -2
    assert comparison.figure("longest_access_km")["b"] == pytest.approx(4.0, abs=1e-3)
    figures = set(comparison.figures["figure"])
    assert {"coverage_share", "mean_access_km", "centres_opened", "parcels_per_day"} <= figures
    assert any(f.startswith("parcels_per_day_by_mode.") for f in figures)
    assert "solver.objective" not in figures
    with pytest.raises(KeyError):
        comparison.figure("no_such_figure")


def test_labels(comparison: PlanComparison, plans: tuple[rn.Plan, rn.Plan]):
    # equal scenario names (as after with_overrides) are told apart by A: and B:
    assert comparison.a.label == "A: tiny base"
    assert comparison.b.label == "B: tiny base"
    named = compare_plans(*plans, labels=("base", "cheap access"))
    assert (named.a.label, named.b.label) == ("base", "cheap access")
    assert "- B: cheap access (scenario: tiny base)" in named.to_markdown()


def test_markdown(comparison: PlanComparison):
    text = comparison.to_markdown()
    assert text.startswith("# Plan comparison\n")
    assert "| total_cost_yuan_per_year | yuan/year |" in text
    assert "- Stations only in A (2): SV1, SV5" in text
    assert "- Centres only in B (1): C1" in text
    assert "- Villages served by another station in B (2): V1, V5" in text
    assert "| stations | 3 | 2 | 0 |" in text
    # every table row has the same number of cells as the header
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert {line.count("|") for line in rows} <= {5, 7}
    short = comparison.to_markdown(max_ids=1)
    assert "SV1 and 1 more" in short
    assert comparison._repr_markdown_() == text


def test_folders_match_plans(comparison: PlanComparison, folders: tuple[Path, Path]):
    from_files = compare_folders(*folders)
    assert from_files.a.label == "base"
    assert from_files.b.label == "cheap_access"
    assert from_files.stations_only_a == comparison.stations_only_a
    assert from_files.centres_only_b == comparison.centres_only_b
    assert from_files.villages_changed == comparison.villages_changed
    pd.testing.assert_frame_equal(
        from_files.figures.drop(columns="figure").iloc[:5],
        comparison.figures.drop(columns="figure").iloc[:5],
    )
    left = from_files.stations.drop(columns=["lon", "lat"])
    right = comparison.stations.drop(columns=["lon", "lat"])
    pd.testing.assert_frame_equal(left, right, check_dtype=False)


def test_folder_ids_stay_text(tmp_path: Path, folders: tuple[Path, Path]):
    # NBS codes are digits: read as text, leading zeros kept
    folder = tmp_path / "digits"
    folder.mkdir()
    for name in ("summary.json", "centres.csv"):
        (folder / name).write_bytes((folders[0] / name).read_bytes())
    (folder / "stations.csv").write_text(
        "site_id,kind,village_id,centre_id,villages_served,lon,lat\n007,new,0371,C2,1,117.0,36.4\n",
        encoding="utf-8-sig",
    )
    snap = read_plan_folder(folder)
    assert snap.stations["site_id"].tolist() == ["007"]
    assert snap.villages is None  # no plan.geojson: stations and centres only
    result = compare_folders(folders[0], folder)
    assert "007" in result.stations_only_b
    assert result.villages is None
    assert result.villages_changed == []
    assert "Villages served" not in result.to_markdown()


def test_missing_files_are_data_errors(tmp_path: Path, folders: tuple[Path, Path]):
    with pytest.raises(DataError, match=r"summary\.json: file is missing"):
        compare_folders(folders[0], tmp_path)
    with pytest.raises(DataError, match=r"nope: does not exist"):
        compare_folders(folders[0], tmp_path / "nope")
    (tmp_path / "summary.json").write_text("{", encoding="utf-8")
    with pytest.raises(DataError, match="not valid JSON"):
        compare_folders(folders[0], tmp_path)
    (tmp_path / "summary.json").write_text("{}", encoding="utf-8")
    with pytest.raises(DataError, match=r"stations\.csv: file is missing"):
        compare_folders(folders[0], tmp_path)


def test_map_draws_both_plans_offline(comparison: PlanComparison, tmp_path: Path):
    m = comparison_map(comparison)
    page = m.get_root().render()
    assert "unpkg.com" not in page and "cdn.jsdelivr.net" not in page  # Leaflet inlined
    assert "ruralnet-compare-legend" in page
    for name in (
        "Stations only in A",
        "Stations only in B",
        "Stations in both",
        "Centres in both",
        "Links in both",
        "Links only in A",
        "Links only in B",
    ):
        assert name in page
    assert page.count("ruralnet-compare-station-only_a") == 2
    assert page.count("ruralnet-compare-station-both") == 3
    assert page.count("ruralnet-compare-centre-only_b") == 1
    assert page.count("ruralnet-compare-hub") == 1
    path = comparison.save_map(tmp_path / "compare.html")
    assert path.read_text(encoding="utf-8").count("L.circleMarker") >= 5  # the villages
    assert sorted(p.name for p in tmp_path.iterdir()) == ["compare.html"]


def test_map_of_folders_without_geojson(folders: tuple[Path, Path], tmp_path: Path):
    bare = tmp_path / "bare"
    bare.mkdir()
    for name in ("summary.json", "stations.csv", "centres.csv"):
        (bare / name).write_bytes((folders[1] / name).read_bytes())
    page = compare_folders(folders[0], bare).map().get_root().render()
    assert page.count("ruralnet-compare-station-only_a") == 2
    # fitted to the sites
    bounds = re.findall(r"map_\w+\.fitBounds\(\s*\[\[([-\d.]+),\s*([-\d.]+)\]", page)
    assert len(bounds) == 1
    assert math.isclose(float(bounds[0][0]), 36.415, abs_tol=0.01)
    assert math.isclose(float(bounds[0][1]), 116.944, abs_tol=0.01)  # the hub, 5 km west


def test_geojson_summary_roundtrip_labels(folders: tuple[Path, Path]):
    snap = read_plan_folder(folders[0], label="base plan")
    assert snap.label == "base plan"
    summary = json.loads((folders[0] / "summary.json").read_text(encoding="utf-8"))
    assert snap.summary == summary
    assert snap.links is not None and len(snap.links) > 0
    assert snap.hubs["hub_id"].tolist() == ["H1"]


def test_figure_rows_from_any_summary_shape():
    from ruralnet.compare import _figure_rows

    a = {
        "total_cost_yuan_per_year": 100.0,
        "parcels_per_day_by_mode": {"van": 10.0},  # older flat form
        "verified": True,
        "solver": {"objective": 100.0, "gap": 0.0, "status": "optimal"},
        "transport_per_day": {"co2_kg_per_day": 5.0},
        "bus_share_of_parcel_rides": 0.1,
    }
    b = {
        "total_cost_yuan_per_year": 80.0,
        "parcels_per_day_by_mode": {"feeder": {"van": 6.0, "bus": 4.0}},
        "new_figure": 3,
    }
    rows = _figure_rows(a, b).set_index("figure")
    assert rows.loc["total_cost_yuan_per_year", "delta"] == -20
    assert rows.loc["total_cost_yuan_per_year", "change"] == pytest.approx(-0.2)
    assert math.isnan(rows.loc["parcels_per_day_by_mode.van", "b"])
    assert rows.loc["parcels_per_day_by_mode.feeder.bus", "b"] == 4
    assert rows.loc["transport_per_day.co2_kg_per_day", "unit"] == "kg/day"
    assert rows.loc["bus_share_of_parcel_rides", "unit"] == "share"
    assert rows.loc["new_figure", "b"] == 3
    assert "verified" not in rows.index  # flags and text are not figures
    assert "solver.objective" not in rows.index
    assert "solver.status" not in rows.index
    assert list(rows.index[:1]) == ["total_cost_yuan_per_year"]


def test_save_map_to_a_missing_folder_is_an_output_error(comparison: PlanComparison, tmp_path):
    from ruralnet.errors import OutputError

    with pytest.raises(OutputError, match="cannot write the map"):
        comparison.save_map(tmp_path / "nowhere" / "compare.html")
