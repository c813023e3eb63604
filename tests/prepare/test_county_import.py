"""The importer at county scale on Chinese tagging: generated Dongchangfu -> OSM extract -> prepare -> run.

The generated Dongchangfu is written as an OpenStreetMap extract the way Chinese OSM data
looks (``ruralnet.synth.osm_extract``), with the 2022 village list and a GCJ-02 points file
for some villages. ``ruralnet prepare`` must locate exactly the villages the extract makes
findable, list the others as unlocated with the right reason, put every located village
within 1 m of its generated point, and the plan of the imported dataset must be the plan of
the generated one for the same villages.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from ruralnet import cli
from ruralnet.data import LAYERS, CountyDataset, write_dataset
from ruralnet.prepare import PrepareOptions, prepare_dataset
from ruralnet.prepare.coords import haversine_m
from ruralnet.synth.osm_extract import OsmCountyExtract, write_osm_extract

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "data" / "dongchangfu"
BASE = (ROOT / "scenarios" / "dongchangfu.toml").as_posix()
STATION_RADIUS_M = 300.0  # PrepareOptions.station_radius_m


def _shipped() -> CountyDataset:
    layers = {name: gpd.read_file(SHIPPED / f"{name}.geojson") for name in LAYERS}
    bus = pd.read_csv(SHIPPED / "bus_lines.csv", dtype={"line_id": str, "township_id": str})
    meta = tomllib.loads((SHIPPED / "dataset.toml").read_text(encoding="utf-8"))
    return CountyDataset(layers=layers, bus_lines=bus, metadata=meta)


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[OsmCountyExtract, Path, object]:
    root = tmp_path_factory.mktemp("county_import")
    extract = write_osm_extract(_shipped(), root / "extract", seed=1)
    report = prepare_dataset(
        extract.pbf,
        extract.boundary,
        root / "imported",
        villages_csv=extract.villages_csv,
        points_csv=extract.points_csv,
        options=PrepareOptions(points_crs="gcj02", name="东昌府区 Dongchangfu (imported)"),
    )
    return extract, root / "imported", report


def test_located_and_unlocated_as_written(imported: tuple) -> None:
    extract, folder, report = imported
    expected = extract.expected.set_index("code12")
    assert expected["expect"].value_counts().to_dict() == {
        "osm": 121,
        "points": 66,
        "unlocated": 38,
    }
    villages = gpd.read_file(folder / "villages.geojson").set_index("village_id")
    got = pd.Series("unlocated", index=expected.index)
    got[villages.index] = villages["located_by"]
    assert (got == expected["expect"]).all(), got[got != expected["expect"]]
    unlocated = {u.village_id: u.reason for u in report.unlocated}
    assert set(unlocated) == set(expected.index[expected["expect"] == "unlocated"])
    words = {
        "no point and no place of that name": "no points-file row and no OSM place",
        "several places share the name": "OSM places share the name",
        "places of that name lie outside the township": "lie outside the township's boundary",
        "the place also matches another listed village": "also matches another listed village",
    }
    for code, reason in unlocated.items():
        assert words[expected.loc[code, "reason"]] in reason, (code, reason)
    listed = pd.read_csv(folder / "unlocated_villages.csv", dtype=str, encoding="utf-8-sig")
    assert set(listed["code12"]) == set(unlocated)


def test_located_villages_sit_on_their_generated_points(imported: tuple) -> None:
    """Place nodes and GCJ-02 points (converted back by prepare) land within 1 m."""
    _, folder, _ = imported
    got = gpd.read_file(folder / "villages.geojson").set_index("village_id")
    generated = gpd.read_file(SHIPPED / "villages.geojson").set_index("village_id").loc[got.index]
    dist = haversine_m(got.geometry.x, got.geometry.y, generated.geometry.x, generated.geometry.y)
    assert float(np.max(dist)) < 1.0


def test_roads_townships_bus_lines_come_through(imported: tuple) -> None:
    _, folder, report = imported
    generated_km = gpd.read_file(SHIPPED / "roads.geojson")["length_m"].sum() / 1000.0
    assert report.road_km_total == pytest.approx(generated_km, rel=0.002)
    assert not report.dropped_components  # one connected network, as generated
    assert {
        "trunk",
        "primary",
        "secondary",
        "tertiary",
        "unclassified",
        "residential",
        "track",
    } <= set(report.road_km)
    assert report.townships == 18
    towns = gpd.read_file(folder / "townships.geojson")
    assert towns["source"].str.contains("area: OSM relation").all()  # admin_level=8 matched by name
    assert report.bus_lines == 8
    assert report.bus_stops == len(gpd.read_file(SHIPPED / "bus_stops.geojson"))


def _run(toml: Path, out: Path) -> dict[str, pd.DataFrame | dict]:
    assert cli.main(["run", str(toml), "-o", str(out), "--quiet", "--no-routes", "--no-map"]) == 0
    read = lambda name: pd.read_csv(out / name, dtype=str, encoding="utf-8-sig")  # noqa: E731
    return {
        "summary": json.loads((out / "summary.json").read_text(encoding="utf-8")),
        "villages": read("villages.csv"),
        "stations": read("stations.csv"),
        "centres": read("centres.csv"),
    }


def _reference(folder: Path, imported_villages: gpd.GeoDataFrame) -> Path:
    """The generated dataset with the imported villages only and their (default) population."""
    ds = _shipped()
    keep = set(imported_villages["village_id"])
    layers = dict(ds.layers)
    villages = layers["villages"][layers["villages"]["village_id"].isin(keep)].copy()
    population = imported_villages.set_index("village_id")["population"]
    villages["population"] = population.loc[villages["village_id"]].to_numpy()
    layers["villages"] = villages
    layers["station_sites"] = layers["station_sites"][
        layers["station_sites"]["village_id"].isin(keep)
    ]
    stops = layers["bus_stops"].copy()
    stops.loc[~stops["village_id"].isin(keep), "village_id"] = None
    layers["bus_stops"] = stops
    return write_dataset(CountyDataset(layers, ds.bus_lines, ds.metadata), folder)


def test_plan_from_the_import_matches_the_generated_plan(imported: tuple, tmp_path: Path) -> None:
    _, folder, _ = imported
    got_villages = gpd.read_file(folder / "villages.geojson")
    reference = _reference(tmp_path / "reference", got_villages)
    plans = {}
    for name, dataset in (("imported", folder), ("generated", reference)):
        toml = tmp_path / f"{name}.toml"
        toml.write_text(
            f'[scenario]\nextends = "{BASE}"\nname = "{name}"\ndataset = "{dataset.as_posix()}"\n',
            encoding="utf-8",
        )
        plans[name] = _run(toml, tmp_path / f"out_{name}")
    imp, gen = plans["imported"], plans["generated"]
    assert imp["summary"]["verified"] and gen["summary"]["verified"]
    assert imp["summary"]["villages"] == gen["summary"]["villages"] == len(got_villages)

    def station_of(plan: dict) -> pd.DataFrame:
        stations = plan["stations"].set_index("site_id")
        village = plan["villages"].set_index("village_id")["station_id"]
        return pd.DataFrame(
            {
                "kind": stations.loc[village, "kind"].to_numpy(),
                "at": stations.loc[village, "village_id"].to_numpy(),
            },
            index=village.index,
        )

    a, b = station_of(imp), station_of(gen)
    differ = a.index[(a["kind"] != b.loc[a.index, "kind"]) | (a["at"] != b.loc[a.index, "at"])]
    # the importer may also upgrade a post office it finds within 300 m of a village (here the
    # written post office of a township seat); every other village keeps the same station
    centres = gpd.read_file(SHIPPED / "centre_sites.geojson")
    post = centres[centres["kind"] == "existing"]
    gv = got_villages.set_index("village_id")
    near_post = {
        vid
        for vid, pt in gv.geometry.items()
        if float(np.min(haversine_m(pt.x, pt.y, post.geometry.x, post.geometry.y)))
        < STATION_RADIUS_M
    }
    assert set(differ) <= near_post, sorted(set(differ) - near_post)
    assert len(differ) <= 2
    # the same centre opens in every township, at the same place
    ci = imp["centres"].set_index("township_id")
    cg = gen["centres"].set_index("township_id")
    assert sorted(ci.index) == sorted(cg.index)
    dist = haversine_m(
        ci["lon"].astype(float),
        ci["lat"].astype(float),
        cg.loc[ci.index, "lon"].astype(float),
        cg.loc[ci.index, "lat"].astype(float),
    )
    assert float(np.max(dist)) < 1.0
    assert list(ci.loc[ci.index, "kind"]) == list(cg.loc[ci.index, "kind"])
    cost_i = imp["summary"]["total_cost_yuan_per_year"]
    cost_g = gen["summary"]["total_cost_yuan_per_year"]
    assert cost_i == pytest.approx(cost_g, rel=1e-3)
