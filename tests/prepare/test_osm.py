"""Reading the Liechtenstein extract with pyosmium."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest

from ruralnet.errors import DataError
from ruralnet.prepare.osm import header_bbox, read_osm

DATA = Path(__file__).parents[1] / "data" / "liechtenstein"
PBF = DATA / "liechtenstein-2013-08-03.osm.pbf"


@pytest.fixture(scope="module")
def extract():
    return read_osm(PBF)


def test_header_bbox():
    box = header_bbox(PBF)
    assert box == pytest.approx((9.471078, 47.04774, 9.636217, 47.27128))


def test_places_match_reference(extract):
    ref = gpd.read_file(DATA / "places.geojson")
    got = {(p.id, p.tags.get("name"), p.tags.get("place")) for p in extract.places}
    want = set(zip(ref["osm_id"].astype(int), ref["name"], ref["place"], strict=True))
    assert got == want


def test_admin_areas(extract):
    ref = gpd.read_file(DATA / "municipalities.geojson")
    level8 = {
        a.tags["name"]: a
        for a in extract.admin_areas
        if a.tags.get("admin_level") == "8" and a.tags.get("name")
    }
    assert set(level8) == set(ref["name"])
    for name, geom in zip(ref["name"], ref.geometry, strict=True):
        mine = level8[name].geometry
        assert mine.symmetric_difference(geom).area < 1e-3 * geom.area
    assert any(a.tags.get("admin_level") == "2" for a in extract.admin_areas)


def test_bus_routes_and_stop_order(extract):
    stops = gpd.pd.read_csv(DATA / "bus_route_stops.csv")
    assert len(extract.bus_routes) == 17
    for route in extract.bus_routes:
        want = stops[stops["osm_relation_id"] == route.id].sort_values("seq")
        assert [s.id for s in route.stops] == list(want["stop_node_id"]), route.tags.get("ref")
        assert route.geometry is not None


def test_bbox_skips_far_objects():
    small = read_osm(PBF, bbox=(9.50, 47.13, 9.54, 47.15))  # Vaduz
    assert 0 < len(small.ways) < 600
    assert {p.tags["name"] for p in small.places} == {"Vaduz"}


def test_missing_and_broken_files(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        read_osm(tmp_path / "nope.osm.pbf")
    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(b"this is not a protobuf file" * 10)
    with pytest.raises(DataError, match="cannot be read as an OSM extract"):
        read_osm(bad)
