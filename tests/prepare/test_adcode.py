"""Matching the 2016 adcode units and their GCJ-02 points to the 2022 list (ruralnet.prepare.adcode)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ruralnet.errors import DataError
from ruralnet.prepare.adcode import match_adcode_points, merger_key
from ruralnet.prepare.coords import gcj02_to_wgs84

ROOT = Path(__file__).resolve().parents[2]

VILLAGES_2022 = [
    # code12, name, township_code9, is_admin_village
    ("371502101201", "王屯村委会", "371502101", "1"),
    ("371502101202", "张炉集新村村委会", "371502101", "1"),
    ("371502101203", "南关油坊村村民委员会", "371502101", "1"),
    ("371502101204", "夏格庄村村民委员会", "371502101", "1"),
    ("371502101205", "李庄村委会", "371502101", "1"),
    ("371502101206", "李庄新村村委会", "371502101", "1"),
    ("371502006201", "闫寺新村村委会", "371502006", "1"),
    ("371502116201", "广平新村村委会", "371502116", "1"),
    ("371502101001", "镇中社区居委会", "371502101", "0"),
]
TOWNSHIPS_2022 = [
    ("371502101", "沙镇镇", "镇"),
    ("371502006", "闫寺街道", "街道"),
    ("371502116", "广平镇", "镇"),
]
# code12, parent, name, level, ur_code, lon, lat (GCJ-02)
ADCODE = [
    ("371502101000", "371502000000", "沙镇镇", "town", "", "115.90", "36.40"),
    ("371502006000", "371502000000", "阎寺街道办事处", "town", "", "115.85", "36.45"),
    ("371502202000", "371502000000", "广平乡", "town", "", "", ""),
    ("371502101201", "371502101000", "王屯村委会", "village", "220", "115.91", "36.41"),
    ("371502101230", "371502101000", "张炉集村委会", "village", "121", "115.92", "36.42"),
    ("371502101231", "371502101000", "南关村委会", "village", "112", "115.93", "36.43"),
    ("371502101232", "371502101000", "夏格庄二村村委会", "village", "122", "115.94", "36.44"),
    ("371502101233", "371502101000", "夏格庄五村村委会", "village", "121", "115.96", "36.46"),
    ("371502101234", "371502101000", "李庄村委会", "village", "220", "115.97", "36.47"),
    ("371502101235", "371502101000", "刘家村委会", "village", "220", "115.98", "36.48"),
    ("371502006210", "371502006000", "闫寺村委会", "village", "111", "", ""),
    ("371502202210", "371502202000", "广平村委会", "village", "220", "115.99", "36.49"),
    ("371502202211", "371502202000", "前街村委会", "village", "220", "115.99", "36.49"),
    ("371502101236", "371502101000", "镇外村委会", "village", "220", "117.50", "37.50"),
]


@pytest.fixture
def county(tmp_path: Path) -> dict[str, Path]:
    v = pd.DataFrame(
        VILLAGES_2022, columns=["code12", "name", "township_code9", "is_admin_village"]
    )
    v["township_name"] = v["township_code9"].map({t[0]: t[1] for t in TOWNSHIPS_2022})
    v.to_csv(tmp_path / "villages.csv", index=False)
    pd.DataFrame(TOWNSHIPS_2022, columns=["township_code9", "name", "kind"]).to_csv(
        tmp_path / "townships.csv", index=False
    )
    pd.DataFrame(
        ADCODE,
        columns=["code12", "parent_code12", "name", "level", "ur_code", "lon_gcj02", "lat_gcj02"],
    ).to_csv(tmp_path / "adcode.csv", index=False)
    ring = [[115.5, 36.0], [116.5, 36.0], [116.5, 37.0], [115.5, 37.0], [115.5, 36.0]]
    (tmp_path / "boundary.geojson").write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"name": "test"},
                        "geometry": {"type": "Polygon", "coordinates": [ring]},
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    return {
        "points_csv": tmp_path / "adcode.csv",
        "villages_csv": tmp_path / "villages.csv",
        "townships_csv": tmp_path / "townships.csv",
        "boundary_path": tmp_path / "boundary.geojson",
    }


def test_merger_key() -> None:
    assert merger_key("张炉集新村村委会") == merger_key("张炉集村委会") == "张炉集"
    assert merger_key("夏格庄二村村委会") == merger_key("夏格庄村村民委员会") == "夏格庄"
    assert merger_key("新村村委会") == "新村"  # never shorter than two characters


def test_rules_and_outcomes(county: dict[str, Path]) -> None:
    match = match_adcode_points(**county)
    report = match.report.set_index("code12")
    expect = {
        "371502101201": ("used", "same name", "371502101201"),
        "371502101230": ("used", "namesake", "371502101202"),
        "371502101231": ("used", "first part", "371502101203"),
        "371502101232": ("used", "namesake", "371502101204"),
        "371502101233": ("used", "namesake", "371502101204"),
        "371502101235": ("no 2022 counterpart", "", ""),
        "371502202210": ("shared point", "namesake", "371502116201"),
        "371502202211": ("shared point", "", ""),
        "371502101236": ("outside boundary", "", ""),
    }
    for code, (outcome, rule, target) in expect.items():
        got = report.loc[code]
        assert (got["outcome"], got["rule"], got["target_id"]) == (outcome, rule, target), code
    # 李庄 has two 2022 candidates by the first-part rule but one by name: the name wins
    assert report.loc["371502101234", "target_id"] == "371502101205"
    assert "371502006210" not in report.index  # no point: not in the point report


def test_townships_by_key_variant_and_rename(county: dict[str, Path]) -> None:
    match = match_adcode_points(**county)
    seats = match.points[match.points["kind"] == "seat"].set_index("id")
    # 阎寺街道办事处 (2016) is 闫寺街道 (2022); 广平乡 has no point
    assert sorted(seats.index) == ["371502006", "371502101"]
    lon, lat = gcj02_to_wgs84(115.90, 36.40)
    assert seats.loc["371502101", "lon"] == pytest.approx(float(lon), abs=1e-9)
    assert seats.loc["371502101", "lat"] == pytest.approx(float(lat), abs=1e-9)
    # the ur_code reaches 2022 villages through the renamed township (广平乡 -> 广平镇)
    villages = match.points[match.points["kind"] == "village"].set_index("id")
    assert villages.loc["371502116201", "ur_code"] == "220"
    assert np.isnan(villages.loc["371502116201", "lon"])  # its only point is shared
    assert villages.loc["371502006201", "ur_code"] == "111"


def test_merged_village_takes_the_mean_and_both_classes(county: dict[str, Path]) -> None:
    match = match_adcode_points(**county)
    villages = match.points[match.points["kind"] == "village"].set_index("id")
    row = villages.loc["371502101204"]  # 夏格庄村 = 夏格庄二村 + 夏格庄五村
    a = np.array(gcj02_to_wgs84(115.94, 36.44))
    b = np.array(gcj02_to_wgs84(115.96, 36.46))
    assert row["lon"] == pytest.approx((a[0] + b[0]) / 2)
    assert row["lat"] == pytest.approx((a[1] + b[1]) / 2)
    assert row["ur_code"] == "121/122"
    assert "夏格庄二村村委会" in row["note"] and "夏格庄五村村委会" in row["note"]


def test_ambiguous_match_is_not_used(county: dict[str, Path]) -> None:
    row = ("371502101240", "371502101000", "李庄一村村委会", "village", "220", "115.95", "36.45")
    frame = pd.DataFrame(
        [*ADCODE, row],
        columns=["code12", "parent_code12", "name", "level", "ur_code", "lon_gcj02", "lat_gcj02"],
    )
    frame.to_csv(county["points_csv"], index=False)
    match = match_adcode_points(**county)
    report = match.report.set_index("code12")
    # 李庄一村 is the namesake of both 李庄村 and 李庄新村: neither takes its point
    assert tuple(report.loc["371502101240", ["outcome", "rule", "target_id"]]) == (
        "ambiguous",
        "namesake",
        "",
    )
    villages = match.points.query("kind == 'village'").set_index("id")
    assert "371502101206" not in villages.index


def test_urban_centre_is_the_median_of_class_111(county: dict[str, Path]) -> None:
    frame = pd.read_csv(county["points_csv"], dtype=str, keep_default_na=False)
    frame.loc[frame["code12"] == "371502101201", "ur_code"] = "111"
    frame.to_csv(county["points_csv"], index=False)
    centre = match_adcode_points(**county).points.query("kind == 'urban_centre'")
    lon, lat = gcj02_to_wgs84(115.91, 36.41)
    assert centre["lon"].iloc[0] == pytest.approx(float(lon))
    assert centre["lat"].iloc[0] == pytest.approx(float(lat))


def test_bad_coordinates_are_a_data_error(county: dict[str, Path]) -> None:
    frame = pd.read_csv(county["points_csv"], dtype=str, keep_default_na=False)
    frame.loc[3, "lon_gcj02"] = "east"
    frame.to_csv(county["points_csv"], index=False)
    with pytest.raises(DataError, match=r"adcode\.csv row 4: lon_gcj02/lat_gcj02 are not degrees"):
        match_adcode_points(**county)


def test_missing_column_is_a_data_error(county: dict[str, Path]) -> None:
    frame = pd.read_csv(county["points_csv"], dtype=str).drop(columns="ur_code")
    frame.to_csv(county["points_csv"], index=False)
    with pytest.raises(DataError, match="ur_code"):
        match_adcode_points(**county)


@pytest.mark.parametrize(
    ("county_key", "seats", "village_points"),
    [("dongchangfu", 11, 1), ("pingdu", 17, 5), ("laixi", 9, 4), ("jiaozhou", 9, 3)],
)
def test_shipped_counties(county_key: str, seats: int, village_points: int) -> None:
    """The matches the shipped datasets rest on (data/README.md quotes them)."""
    src = ROOT / "data" / county_key / "source"
    match = match_adcode_points(
        src / "adcode2016_points.csv",
        src / "villages_stats2022.csv",
        src / "townships.csv",
        src / "county_boundary.geojson",
    )
    pts = match.points
    kept_townships = set(
        pd.read_csv(src / "villages_stats2022.csv", dtype=str).query("is_admin_village == '1'")[
            "township_code9"
        ]
    )
    assert int(pts.query("kind == 'seat'")["id"].isin(kept_townships).sum()) == seats
    assert match.counts()["village_points"] == village_points
    assert (pts["kind"] == "urban_centre").sum() == 1
