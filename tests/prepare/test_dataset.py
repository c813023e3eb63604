"""``prepare_dataset`` on the real Liechtenstein extract, its graph logic and its errors."""

from __future__ import annotations

import random
import tomllib
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

from ruralnet.data import LAYERS
from ruralnet.errors import DataError, OutputError
from ruralnet.prepare import PrepareOptions, PrepareReport, prepare_dataset
from ruralnet.prepare.coords import haversine_m, wgs84_to_bd09, wgs84_to_gcj02
from ruralnet.prepare.inputs import read_boundary, read_village_list
from ruralnet.prepare.osm import read_osm
from ruralnet.prepare.places import detect_shift
from ruralnet.prepare.roadgraph import (
    Edge,
    RoadGraph,
    RoadLine,
    edge_lines,
    road_graph,
    simplify,
    split_strongly_connected,
)
from ruralnet.prepare.roads import motor_allowed, way_direction, way_speed_kmh

TESTDATA = Path(__file__).parents[1] / "data"
DATA = TESTDATA / "liechtenstein"
PBF = DATA / "liechtenstein-2013-08-03.osm.pbf"
BOUNDARY = DATA / "country_boundary.geojson"
REPO = Path(__file__).resolve().parents[2]
SEEDS = ("dongchangfu", "pingdu", "laixi", "jiaozhou")


def seed_county_folders() -> dict[str, Path]:
    """The four seed counties' official lists and boundaries, shipped with the tests."""
    folders = {c: TESTDATA / "seed_counties" / c for c in ("pingdu", "laixi", "jiaozhou")}
    folders["dongchangfu"] = REPO / "data" / "dongchangfu" / "source"
    return folders


@pytest.fixture(scope="module")
def li(tmp_path_factory) -> tuple[PrepareReport, Path]:
    out = tmp_path_factory.mktemp("li") / "liechtenstein"
    return prepare_dataset(PBF, BOUNDARY, out), out


# --- graph logic -------------------------------------------------------------------------


def random_lines(seed: int) -> list[RoadLine]:
    rng = random.Random(seed)
    n = rng.randint(4, 30)
    pos = {i: (9.5 + rng.random() * 0.05, 47.1 + rng.random() * 0.05) for i in range(n)}
    lines = []
    for w in range(rng.randint(2, 14)):
        nodes = [rng.randrange(n) for _ in range(rng.randint(2, 7))]
        attrs = (
            ("highway", rng.choice(["track", "residential"])),
            ("speed_kmh", 30.0),
            ("name", ""),
        )
        lines.append(
            RoadLine(
                w, tuple(nodes), tuple(pos[x] for x in nodes), rng.choice([0, 0, 1, -1]), attrs
            )
        )
    return lines


def arcs_to_nx(graph: RoadGraph) -> nx.MultiDiGraph:
    g = nx.MultiDiGraph()
    g.add_nodes_from(graph.pos)
    for u, v, length, _, _ in graph.arcs:
        g.add_edge(u, v, length_m=length)
    return g


def edges_to_nx(edges: list[Edge], *, both_ways: bool = False) -> nx.MultiDiGraph:
    g = nx.MultiDiGraph()
    for e in edges:
        g.add_edge(e.u, e.v, length_m=e.length_m)
        if both_ways and not e.attrs["oneway"]:
            g.add_edge(e.v, e.u, length_m=e.length_m)
    return g


def assert_same_distances(before: nx.MultiDiGraph, after: nx.MultiDiGraph) -> None:
    d0 = dict(nx.all_pairs_dijkstra_path_length(before, weight="length_m"))
    d1 = dict(nx.all_pairs_dijkstra_path_length(after, weight="length_m"))
    for u in after.nodes:
        assert set(d1[u]) == {v for v in d0[u] if v in after.nodes}
        for v, d in d1[u].items():
            assert d == pytest.approx(d0[u][v], rel=1e-9, abs=1e-6)


@pytest.mark.parametrize("seed", range(150))
def test_simplify_keeps_all_pairs_shortest_paths(seed):
    graph = road_graph(random_lines(seed))
    edges = simplify(graph)
    assert_same_distances(arcs_to_nx(graph), edges_to_nx(edges))
    total = sum(a[2] for a in graph.arcs)
    assert sum(e.length_m for e in edges) == pytest.approx(total)
    for e in edges:  # every vertex kept: the vertex list is the node path
        assert e.coords == tuple(graph.pos[n] for n in e.path)


@pytest.mark.parametrize("seed", range(40))
def test_written_lines_rebuild_the_same_distances(seed):
    """Edges written as lines (two-way once), read back with their direction, same distances."""
    graph = road_graph(random_lines(seed))
    edges = simplify(graph)
    assert_same_distances(edges_to_nx(edges), edges_to_nx(edge_lines(edges), both_ways=True))


@pytest.mark.parametrize("seed", range(40))
def test_strongly_connected_split(seed):
    graph = road_graph(random_lines(seed))
    kept, dropped, info = split_strongly_connected(graph)
    assert len(kept.arcs) + len(dropped.arcs) == len(graph.arcs)
    g = arcs_to_nx(kept)
    if g.number_of_nodes():
        assert nx.is_strongly_connected(g)
    assert sum(c.length_km for c in info) == pytest.approx(
        sum(dropped.arc_km(a) for a in dropped.arcs)
    )


def test_chain_and_ring_simplify_to_one_edge():
    pos = [(9.50 + 0.001 * i, 47.1) for i in range(5)]
    chain = road_graph([RoadLine(1, (0, 1, 2, 3, 4), tuple(pos), 0, (("highway", "track"),))])
    edges = simplify(chain)
    assert {(e.u, e.v) for e in edges} == {(0, 4), (4, 0)}
    assert len(edge_lines(edges)) == 1
    assert edge_lines(edges)[0].path == (0, 1, 2, 3, 4)
    ring = road_graph([RoadLine(2, (0, 1, 2, 0), tuple(pos[:3] + pos[:1]), 1, ())])
    edges = simplify(ring)
    assert [(e.u, e.v, e.path) for e in edges] == [(0, 0, (0, 1, 2, 0))]


def test_attribute_change_keeps_the_node():
    pos = [(9.50 + 0.001 * i, 47.1) for i in range(3)]
    lines = [
        RoadLine(1, (0, 1), tuple(pos[:2]), 0, (("highway", "track"),)),
        RoadLine(2, (1, 2), tuple(pos[1:]), 0, (("highway", "residential"),)),
    ]
    edges = simplify(road_graph(lines))
    assert {n for e in edges for n in (e.u, e.v)} == {0, 1, 2}


def test_largest_scc_drops_one_way_dead_end_and_island():
    pos = {i: (9.5 + 0.001 * i, 47.1) for i in range(10)}
    lines = [
        RoadLine(1, (0, 1, 2), (pos[0], pos[1], pos[2]), 0, (("highway", "residential"),)),
        RoadLine(2, (2, 3), (pos[2], pos[3]), 1, (("highway", "residential"),)),  # one-way spur
        RoadLine(3, (7, 8), (pos[7], pos[8]), 0, (("highway", "track"),)),  # island
    ]
    kept, dropped, info = split_strongly_connected(road_graph(lines))
    assert sorted(kept.pos) == [0, 1, 2]
    assert len(info) == 2
    assert {c.highways for c in info} == {("residential",), ("track",)}
    assert len(dropped.arcs) == 3


def test_osm_tag_rules():
    assert way_direction({"oneway": "yes"}) == 1
    assert way_direction({"oneway": "-1"}) == -1
    assert way_direction({"junction": "roundabout"}) == 1
    assert way_direction({"highway": "motorway", "oneway": "no"}) == 0
    assert way_direction({"highway": "residential"}) == 0
    assert way_speed_kmh({"highway": "primary"}) == 60.0
    assert way_speed_kmh({"highway": "primary", "maxspeed": "30"}) == 30.0
    assert way_speed_kmh({"highway": "track", "maxspeed": "80"}) == 15.0
    assert not motor_allowed({"access": "no"})
    assert motor_allowed({"access": "no", "motor_vehicle": "destination"})
    assert not motor_allowed({"motor_vehicle": "no"})
    assert motor_allowed({"motorcar": "no"})  # vans are goods vehicles, not motorcars
    assert motor_allowed({"access": "agricultural"})


# --- coordinate shift detection --------------------------------------------------------


def test_detect_shift_finds_gcj02_and_bd09():
    rng = np.random.default_rng(3)
    lon = 115.93 + rng.uniform(-0.2, 0.2, 40)
    lat = 36.44 + rng.uniform(-0.2, 0.2, 40)
    glon, glat = wgs84_to_gcj02(lon, lat)
    msg = detect_shift(glon, glat, lon, lat, "wgs84")
    assert msg is not None and "gcj02" in msg
    assert detect_shift(glon, glat, lon, lat, "gcj02") is None
    blon, blat = wgs84_to_bd09(lon, lat)
    msg = detect_shift(blon, blat, lon, lat, "wgs84")
    assert msg is not None and "bd09" in msg
    assert detect_shift(lon, lat, lon, lat, "wgs84") is None
    assert detect_shift(glon[:2], glat[:2], lon[:2], lat[:2], "wgs84") is None  # too few


def test_detect_shift_window_outside_china():
    # outside China no datum explains a 500 m offset, but its size is still suspicious
    lon = np.array([9.50, 9.52, 9.54])
    lat = np.array([47.10, 47.14, 47.20])
    msg = detect_shift(lon + 0.0066, lat, lon, lat, "wgs84")
    assert msg is not None and "GCJ-02" in msg


# --- Liechtenstein, no village list ------------------------------------------------------


def clipped_km(frame: gpd.GeoDataFrame, area_m, crs) -> pd.Series:
    projected = frame.to_crs(crs)
    return projected.intersection(area_m).length.groupby(projected["highway"]).sum() / 1000.0


def test_roads_match_reference_by_class(li):
    report, out = li
    roads = gpd.read_file(out / "roads.geojson")
    crs = roads.estimate_utm_crs()
    area = gpd.read_file(BOUNDARY).to_crs(crs).union_all()
    # reference: every drivable edge, minus ways closed to vans and service roads (kept only
    # near places), clipped to the boundary exactly like ours
    tags = {w.id: w.tags for w in read_osm(PBF).ways}
    ref = gpd.read_file(DATA / "road_edges.geojson")
    assert ref.loc[ref["in_li"].astype(bool), "length_m"].sum() / 1000 == pytest.approx(
        707.5, abs=0.1
    )
    ref = ref[[motor_allowed(tags[int(w)]) for w in ref["osm_way_id"]]]
    ref = ref[ref["highway"] != "service"]
    want = clipped_km(ref, area, crs)
    mine = clipped_km(roads, area, crs).add(
        clipped_km(report.dropped_roads, area, crs), fill_value=0.0
    )
    mine = mine.drop("service")
    assert set(mine.index) == set(want.index)
    assert mine.sum() == pytest.approx(want.sum(), rel=0.01)
    for highway, km in want.items():
        if km > 1.0:
            assert mine[highway] == pytest.approx(km, rel=0.01), highway
    # what was dropped as not strongly connected is small and reported
    kept = clipped_km(roads, area, crs).sum()
    assert kept > 0.95 * want.sum()
    assert report.dropped_km == pytest.approx(
        report.dropped_roads["length_m"].sum() / 1000, rel=0.01
    )
    assert report.road_km["track"] > 250
    assert report.service_kept > 0 and report.service_skipped > 0


def test_roads_are_lines_between_junctions(li):
    _, out = li
    roads = gpd.read_file(out / "roads.geojson")
    assert set(roads.geom_type) == {"LineString"}
    assert roads["oneway"].dtype == bool and roads["oneway"].any()
    assert (roads["speed_kmh"] > 0).all()
    # length_m is the length of the written geometry
    coords = [np.asarray(g.coords) for g in roads.geometry[:200]]
    for c, length in zip(coords, roads["length_m"][:200], strict=True):
        assert haversine_m(c[:-1, 0], c[:-1, 1], c[1:, 0], c[1:, 1]).sum() == pytest.approx(
            length, abs=0.02
        )
    # no vertex of one line is the interior vertex of another: lines meet at their ends
    ends = {tuple(np.round(c[i], 7)) for c in coords for i in (0, -1)}
    interior = [tuple(np.round(p, 7)) for c in coords for p in c[1:-1]]
    assert not ends.intersection(interior)


def test_places_townships_and_sites(li):
    report, out = li
    villages = gpd.read_file(out / "villages.geojson")
    ref = gpd.read_file(DATA / "places.geojson")
    settle = ref[ref["place"].isin(["town", "village", "hamlet", "suburb"])]
    assert set(villages["name"]) == set(settle["name"])
    assert len(villages) == settle["name"].nunique() == 17
    assert villages["village_id"].is_unique and (villages["population"] > 0).all()
    townships = gpd.read_file(out / "townships.geojson")
    municipalities = set(gpd.read_file(DATA / "municipalities.geojson")["name"])
    assert set(townships["name"]) == municipalities  # Schaanwald lies in Mauren
    assert set(villages["township_id"]) <= set(townships["township_id"])
    vaduz = villages[villages["name"] == "Vaduz"].iloc[0]
    assert townships.set_index("township_id").loc[vaduz["township_id"], "name"] == "Vaduz"
    stations = gpd.read_file(out / "station_sites.geojson")
    assert (stations["kind"] == "new").sum() == len(villages)
    assert (stations["kind"] == "existing").sum() >= 1
    assert stations["source"].str.len().gt(0).all()
    centres = gpd.read_file(out / "centre_sites.geojson")
    assert set(centres["township_id"]) == set(townships["township_id"])
    hubs = gpd.read_file(out / "hubs.geojson")
    assert list(hubs["name"]) == ["Vaduz"] and list(hubs["status"]) == ["fixed"]
    assert report.townships == 11 and report.hubs == 1


def test_bus_lines_from_relations(li):
    report, out = li
    lines = pd.read_csv(out / "bus_lines.csv", dtype=str, keep_default_na=False)
    stops = gpd.read_file(out / "bus_stops.geojson")
    assert len(lines) == 17 == report.bus_lines
    assert (lines[["trips_per_day", "capacity_parcels_per_trip", "fee_yuan_per_parcel"]] == "").all(
        axis=None
    )
    assert lines["source"].str.contains("scenario defaults").all()
    ref = pd.read_csv(DATA / "bus_route_stops.csv")
    for line_id, group in stops.groupby("line_id"):
        rel = int(line_id.removeprefix("osm-r"))
        want = ref[ref["osm_relation_id"] == rel].sort_values("seq")
        want_ids = [f"osm-n{n}" for n in want["stop_node_id"]]
        want_ids = [s for i, s in enumerate(want_ids) if i == 0 or s != want_ids[i - 1]]
        assert list(group.sort_values("seq")["stop_id"]) == want_ids
        assert list(group.sort_values("seq")["seq"]) == list(range(1, len(group) + 1))
    assert lines["source"].str.contains("truncated").sum() >= 1  # cross-border lines


def test_dataset_toml_and_loader(li):
    _, out = li
    meta = tomllib.loads((out / "dataset.toml").read_text(encoding="utf-8"))
    assert meta["name"] == "Liechtenstein"
    assert meta["crs"] == "EPSG:32632"
    assert any("© OpenStreetMap contributors, ODbL 1.0" in a for a in meta["attribution"])
    assert "villages.population" in meta["generated"]
    for layer in LAYERS:
        assert (out / f"{layer}.geojson").is_file()
    from ruralnet.data import load_inputs  # the planner's own reader accepts the folder

    inputs = load_inputs(out)
    assert len(inputs.villages) == 17


def test_rerun_is_byte_identical_and_replaces(li, tmp_path):
    _, out = li
    again = tmp_path / "again"
    again.mkdir()
    (again / "dataset.toml").write_text('name = "old"\n', encoding="utf-8")
    (again / "unlocated_villages.csv").write_text("stale\n", encoding="utf-8")  # not written now
    prepare_dataset(PBF, BOUNDARY, again)
    assert sorted(p.name for p in again.iterdir()) == sorted(p.name for p in out.iterdir())
    for path in out.iterdir():
        assert (again / path.name).read_bytes() == path.read_bytes(), path.name
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp left


def test_summary_lines(li):
    report, out = li
    text = "\n".join(report.summary_lines())
    assert str(out) in text and "villages: 17" in text and "bus: 17 lines" in text
    assert "dropped:" in text


# --- Liechtenstein with an official-style village list and a points file -----------------

LIST_HEADER = (
    "code12,name,township_code9,township_name,county_code6,county_name,unit_type,is_admin_village"
)
LIST_ROWS = [
    ("999001001201", "Nendeln村委会", "999001001", "Eschen", "村委会", 1),
    ("999001001202", "Ｅｓｃｈｅｎ村", "999001001", "Eschen", "other", 1),
    ("999001001203", "Atlantis村委会", "999001001", "Eschen", "村委会", 1),
    ("999001001001", "Eschen社区居委会", "999001001", "Eschen", "居委会", 0),
    ("999001002201", "Schaanwald", "999001002", "Mauren", "other", 1),
    ("999001002202", "Mauren村委会", "999001002", "Mauren", "村委会", 1),
    ("999001003201", "Planken村民委员会", "999001003", "Planken", "other", 1),
    ("999001004201", "Malbun", "999001004", "Triesenberg", "other", 1),
    ("999001004202", "Steg", "999001004", "Triesenberg", "other", 1),
    ("999001004203", "Vaduz", "999001004", "Triesenberg", "other", 1),
    ("999001005201", "Gamprin-Bendern", "999001005", "Gamprin", "other", 1),
]


def write_list(folder: Path) -> Path:
    path = folder / "villages.csv"
    lines = [LIST_HEADER] + [
        f"{c},{n},{t},{tn},999001,Testland,{u},{a}" for c, n, t, tn, u, a in LIST_ROWS
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_listed_villages_located_by_name_and_points(tmp_path):
    villages_csv = write_list(tmp_path)
    points = tmp_path / "points.csv"
    points.write_text("code12,name,lon,lat\n999001002202,Mauren,9.5437,47.2179\n", encoding="utf-8")
    out = tmp_path / "ds"
    report = prepare_dataset(
        PBF,
        BOUNDARY,
        out,
        villages_csv=villages_csv,
        points_csv=points,
        options=PrepareOptions(include_tracks=False),
    )
    villages = gpd.read_file(out / "villages.geojson").set_index("village_id")
    assert report.villages_listed == 10
    assert set(villages.index) == {
        "999001001201",
        "999001001202",
        "999001002201",
        "999001002202",
        "999001003201",
        "999001004201",
        "999001004202",
        "999001005201",
    }
    assert report.located_by == {"osm": 7, "points": 1}
    assert villages.loc["999001002202", "located_by"] == "points"
    assert villages.loc["999001002202"].geometry.x == pytest.approx(9.5437)
    unlocated = {u.village_id: u for u in report.unlocated}
    assert set(unlocated) == {"999001001203", "999001004203"}
    assert unlocated["999001001203"].township_name == "Eschen"
    assert "no points-file row and no OSM place" in unlocated["999001001203"].reason
    assert "outside the township" in unlocated["999001004203"].reason  # Vaduz ≠ Triesenberg
    table = pd.read_csv(out / "unlocated_villages.csv", dtype=str, encoding="utf-8-sig")
    assert list(table["code12"]) == ["999001001203", "999001004203"]
    townships = gpd.read_file(out / "townships.geojson")
    assert set(townships["township_id"]) == {
        "999001001",
        "999001002",
        "999001003",
        "999001004",
        "999001005",
    }
    assert set(townships.geom_type) <= {"Polygon", "MultiPolygon"}  # OSM areas matched by name
    centres = gpd.read_file(out / "centre_sites.geojson")
    assert set(centres["township_id"]) == set(townships["township_id"])
    stations = gpd.read_file(out / "station_sites.geojson")
    assert set(stations["village_id"]) == set(villages.index)
    meta = tomllib.loads((out / "dataset.toml").read_text(encoding="utf-8"))
    assert any("villages.csv" in a for a in meta["attribution"])
    assert "roads" not in report.road_km or "track" not in report.road_km
    assert "unlocated: 999001001203 Atlantis村委会 (Eschen)" in "\n".join(report.summary_lines())


# --- errors --------------------------------------------------------------------------------


def test_extract_not_covering_the_boundary(tmp_path):
    far = tmp_path / "far.geojson"
    gpd.GeoDataFrame(
        {"name": ["far"]}, geometry=[shapely.box(10.0, 47.0, 10.2, 47.2)], crs="EPSG:4326"
    ).to_file(far)
    with pytest.raises(DataError, match="does not cover the boundary") as err:
        prepare_dataset(PBF, far, tmp_path / "out")
    assert err.value.path == PBF
    assert not (tmp_path / "out").exists()


def test_empty_clip(tmp_path):
    corner = tmp_path / "corner.geojson"  # inside the extract's box, outside its data
    gpd.GeoDataFrame(geometry=[shapely.box(9.472, 47.265, 9.474, 47.267)], crs="EPSG:4326").to_file(
        corner
    )
    with pytest.raises(DataError, match="clip is empty"):
        prepare_dataset(PBF, corner, tmp_path / "out", options=PrepareOptions(buffer_m=100))
    assert not (tmp_path / "out").exists()


def test_list_with_no_locatable_village(tmp_path):
    src = seed_county_folders()["dongchangfu"] / "villages_stats2022.csv"
    with pytest.raises(DataError, match="none of its 228 administrative villages") as err:
        prepare_dataset(
            PBF,
            BOUNDARY,
            tmp_path / "out",
            villages_csv=src,
            options=PrepareOptions(include_tracks=False),
        )
    assert err.value.path == src


def test_bad_inputs(tmp_path):
    with pytest.raises(DataError, match="boundary file does not exist"):
        prepare_dataset(PBF, tmp_path / "missing.geojson", tmp_path / "out")
    with pytest.raises(DataError, match="OSM extract does not exist"):
        prepare_dataset(tmp_path / "missing.osm.pbf", BOUNDARY, tmp_path / "out")
    bad = tmp_path / "villages.csv"
    bad.write_text("code12,name\n1,x\n", encoding="utf-8")
    with pytest.raises(DataError, match="township_code9"):
        prepare_dataset(PBF, BOUNDARY, tmp_path / "out", villages_csv=bad)
    bad.write_text(LIST_HEADER + "\n12345,x,999001001,T,999001,C,村委会,1\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"row 1.*12-digit"):
        read_village_list(bad)
    villages_csv = write_list(tmp_path)
    points = tmp_path / "points.csv"
    points.write_text("code12,lon,lat\n999001002202,abc,47.2\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"points\.csv row 1"):
        prepare_dataset(
            PBF, BOUNDARY, tmp_path / "out", villages_csv=villages_csv, points_csv=points
        )
    with pytest.raises(DataError, match="unknown point CRS"):
        prepare_dataset(
            PBF,
            BOUNDARY,
            tmp_path / "out",
            villages_csv=villages_csv,
            points_csv=points,
            options=PrepareOptions(points_crs="utm50"),
        )
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(OutputError, match=r"holds files ruralnet prepare did not write \(notes"):
        prepare_dataset(PBF, BOUNDARY, occupied)


@pytest.mark.parametrize("county", SEEDS)
def test_seed_county_files_parse_then_fail_on_coverage(county, tmp_path):
    folder = seed_county_folders()[county]
    villages_csv = folder / "villages_stats2022.csv"
    boundary = folder / "county_boundary.geojson"
    assert len(read_village_list(villages_csv)) > 100
    assert read_boundary(boundary).name
    with pytest.raises(DataError, match="does not cover the boundary"):
        prepare_dataset(PBF, boundary, tmp_path / "out", villages_csv=villages_csv)


def test_repo_copy_of_dongchangfu_parses():
    src = seed_county_folders()["dongchangfu"]
    assert len(read_village_list(src / "villages_stats2022.csv")) == 228
    assert read_boundary(src / "county_boundary.geojson").name == "东昌府区"


def test_points_in_bd09_and_bus_lines_from_csv(tmp_path):
    villages_csv = write_list(tmp_path)
    mauren = (9.5437, 47.2179)
    blon, blat = wgs84_to_bd09(*mauren)
    points = tmp_path / "points.csv"
    points.write_text(f"code12,lon,lat\n999001002202,{blon:.8f},{blat:.8f}\n", encoding="utf-8")
    stops = [
        ("L1", 1, "Vaduz Post", 9.5215, 47.1410),
        ("L1", 3, "Schaan", 9.5095, 47.1650),
        ("L1", 2, "Au", 9.5180, 47.1500),
        ("L2", 1, "Eschen", 9.5215, 47.2110),
        ("L2", 2, "Nendeln", 9.5430, 47.1980),
    ]
    bus = tmp_path / "bus.csv"
    rows = []
    for line, seq, name, lon, lat in stops:
        x, y = wgs84_to_bd09(lon, lat)
        rows.append(f"{line},{seq},{name},{x:.8f},{y:.8f}")
    bus.write_text("line_id,seq,stop_name,lon,lat\n" + "\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "ds"
    report = prepare_dataset(
        PBF,
        BOUNDARY,
        out,
        villages_csv=villages_csv,
        points_csv=points,
        bus_csv=bus,
        options=PrepareOptions(points_crs="bd09", include_tracks=False),
    )
    villages = gpd.read_file(out / "villages.geojson").set_index("village_id")
    p = villages.loc["999001002202"].geometry
    assert float(haversine_m(p.x, p.y, *mauren)) < 1.0
    lines = pd.read_csv(out / "bus_lines.csv", dtype=str, keep_default_na=False)
    assert list(lines["line_id"]) == ["L1", "L2"] and report.bus_lines == 2
    assert lines["source"].str.contains("bus.csv").all()
    assert lines["source"].str.contains("scenario defaults").all()
    got = gpd.read_file(out / "bus_stops.geojson")
    l1 = got[got["line_id"] == "L1"].sort_values("seq")
    assert list(l1["name"]) == ["Vaduz Post", "Au", "Schaan"]
    assert list(l1["seq"]) == [1, 2, 3]
    first = l1.iloc[0].geometry
    assert float(haversine_m(first.x, first.y, 9.5215, 47.1410)) < 1.0
    meta = tomllib.loads((out / "dataset.toml").read_text(encoding="utf-8"))
    assert any("bd09" in a for a in meta["attribution"])


# --- the same extract moved to Shandong, with Chinese names ------------------------------

DX, DY = 115.93 - 9.52, 36.44 - 47.15  # Vaduz → Dongchangfu
PLACE_NAMES = {
    "Schaan": "王屯",
    "Ruggell": "王屯",
    "Eschen": "李庄村",
    "Triesen": "张庄",
    "Balzers": "赵楼",
    "Vaduz": "沙镇",
}
TOWNSHIP_NAMES = {
    "Schaan": ("371502001", "古楼街道"),
    "Eschen": ("371502002", "沙镇镇"),
    "Triesen": ("371502003", "朱老庄镇"),
    "Balzers": ("371502004", "梁水镇镇"),
    "Vaduz": ("371502005", "新区街道"),
    "Ruggell": ("371502006", "道口铺街道"),
}


@pytest.fixture(scope="module")
def shandong(tmp_path_factory) -> tuple[Path, Path]:
    """The Liechtenstein extract shifted into Shandong, places and municipalities renamed."""
    import osmium

    folder = tmp_path_factory.mktemp("shandong")
    pbf = folder / "moved.osm.pbf"
    writer = osmium.SimpleWriter(str(pbf))  # no header box: coverage comes from the data
    for obj in osmium.FileProcessor(str(PBF)):
        tags = dict(obj.tags)
        name = tags.get("name")
        if "place" in tags and name in PLACE_NAMES:
            tags["name"] = PLACE_NAMES[name]
        elif tags.get("admin_level") == "8" and name in TOWNSHIP_NAMES:
            tags["name"] = TOWNSHIP_NAMES[name][1]
        if obj.is_node():
            loc = obj.location
            writer.add_node(obj.replace(location=(loc.lon + DX, loc.lat + DY), tags=tags))
        elif obj.is_way():
            writer.add_way(obj.replace(tags=tags))
        elif obj.is_relation():
            writer.add_relation(obj.replace(tags=tags))
    writer.close()
    boundary = folder / "county.geojson"
    frame = gpd.read_file(BOUNDARY)
    frame["geometry"] = frame.translate(DX, DY)
    frame["name"] = "东昌府区"
    frame.to_file(boundary)
    rows = [
        ("371502001201", "王屯村委会", "Schaan"),
        ("371502002201", "李庄村民委员会", "Eschen"),
        ("371502003201", "张庄村委会", "Triesen"),
        ("371502004201", "赵楼村委会", "Balzers"),
        ("371502005201", "不存在村委会", "Vaduz"),
    ]
    lines = [LIST_HEADER] + [
        f"{code},{name},{TOWNSHIP_NAMES[m][0]},{TOWNSHIP_NAMES[m][1]},371502,东昌府区,村委会,1"
        for code, name, m in rows
    ]
    (folder / "villages.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return pbf, boundary


def gcj_points(folder: Path, pbf: Path) -> Path:
    """Points copied from Amap: GCJ-02 positions of three OSM places, by code and name."""
    places = {p.tags["name"]: p for p in read_osm(pbf).places if "name" in p.tags}
    rows = []
    for code, name, place in (
        ("371502002201", "李庄", "李庄村"),
        ("371502003201", "张庄", "张庄"),
        ("371502004201", "", "赵楼"),
    ):
        lon, lat = wgs84_to_gcj02(places[place].lon, places[place].lat)
        rows.append(f"{code},{name},{lon:.7f},{lat:.7f}")
    path = folder / "amap_points.csv"
    path.write_text("code12,name,lon,lat\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_chinese_county_located_and_gcj02_detected(shandong, tmp_path):
    pbf, boundary = shandong
    villages_csv = boundary.parent / "villages.csv"
    points = gcj_points(tmp_path, pbf)
    report = prepare_dataset(
        pbf,
        boundary,
        tmp_path / "as_wgs84",
        villages_csv=villages_csv,
        points_csv=points,
        options=PrepareOptions(include_tracks=False),
    )
    assert any("look like gcj02" in w for w in report.warnings)
    fixed = prepare_dataset(
        pbf,
        boundary,
        tmp_path / "ds",
        villages_csv=villages_csv,
        points_csv=points,
        options=PrepareOptions(points_crs="gcj02", include_tracks=False),
    )
    assert not any("gcj02" in w or "GCJ-02" in w for w in fixed.warnings)
    villages = gpd.read_file(tmp_path / "ds" / "villages.geojson").set_index("village_id")
    assert fixed.located_by == {"osm": 1, "points": 3}
    places = {p.tags["name"]: p for p in read_osm(pbf).places if "name" in p.tags}
    for code, place in (("371502002201", "李庄村"), ("371502004201", "赵楼")):
        p = villages.loc[code].geometry
        assert float(haversine_m(p.x, p.y, places[place].lon, places[place].lat)) < 1.0
    # 王屯 names two places (in 古楼街道 and 道口铺街道): the township's OSM area decides
    wangtun = villages.loc["371502001201"].geometry
    schaan = [p for p in read_osm(pbf).places if p.tags.get("name") == "王屯"]
    assert len(schaan) == 2
    assert min(float(haversine_m(wangtun.x, wangtun.y, p.lon, p.lat)) for p in schaan) < 1.0
    assert [u.village_id for u in fixed.unlocated] == ["371502005201"]
    assert fixed.unlocated[0].township_name == "新区街道"
    townships = gpd.read_file(tmp_path / "ds" / "townships.geojson").set_index("township_id")
    assert townships.loc["371502002", "name"] == "沙镇镇"
    assert townships.loc["371502002"].geometry.geom_type in {"Polygon", "MultiPolygon"}
    hubs = gpd.read_file(tmp_path / "ds" / "hubs.geojson")
    assert hubs["name"].iloc[0] == "沙镇"  # the only town
    meta = tomllib.loads((tmp_path / "ds" / "dataset.toml").read_text(encoding="utf-8"))
    assert meta["crs"] == "EPSG:32650"
    assert meta["name"] == "东昌府区"


def test_chinese_county_extract_without_header_box_not_covering(shandong, tmp_path):
    pbf, _ = shandong
    far = tmp_path / "far.geojson"
    gpd.GeoDataFrame(geometry=[shapely.box(115.5, 36.0, 115.7, 36.2)], crs="EPSG:4326").to_file(far)
    with pytest.raises(DataError, match="does not cover the boundary"):
        prepare_dataset(pbf, far, tmp_path / "out")


def test_a_dataset_folder_holding_other_files_is_refused_untouched(tmp_path):
    """Issue 14: notes, a scenario or the very extract being read are never deleted."""
    folder = tmp_path / "county"
    folder.mkdir()
    (folder / "dataset.toml").write_text('name = "old"\n', encoding="utf-8")
    (folder / "notes.md").write_text("mine", encoding="utf-8")
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    with pytest.raises(OutputError, match=r"did not write \(notes\.md\)"):
        prepare_dataset(PBF, BOUNDARY, folder)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    pbf = folder / "extract.osm.pbf"  # an input inside the output folder, whatever its name
    pbf.write_bytes(PBF.read_bytes())
    (folder / "notes.md").unlink()
    with pytest.raises(OutputError, match=r"holds the input extract\.osm\.pbf"):
        prepare_dataset(pbf, BOUNDARY, folder)
    assert pbf.read_bytes() == PBF.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["county"]  # nothing left beside it
