"""GeoPackage export: layers, field types, feature counts, atomic replacement."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyogrio
import pytest

import ruralnet as rn
from ruralnet import gis
from ruralnet.errors import OutputError

DATA = Path(__file__).parent / "data"

SPATIAL = ["villages", "stations", "centres", "hubs", "links", "boundary", "roads"]


@pytest.fixture(scope="module")
def plan() -> rn.Plan:
    return rn.solve(DATA / "tiny.toml")


@pytest.fixture(scope="module")
def gpkg(plan: rn.Plan, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return gis.write_geopackage(plan, tmp_path_factory.mktemp("gpkg") / "plan.gpkg")


def _fields(path: Path, layer: str) -> dict[str, tuple[str, str]]:
    info = pyogrio.read_info(path, layer=layer)
    return {
        name: (kind, sub)
        for name, kind, sub in zip(
            info["fields"], info["ogr_types"], info["ogr_subtypes"], strict=True
        )
    }


def test_documented_layers_in_order(gpkg: Path):
    layers = pyogrio.list_layers(gpkg)
    assert [str(name) for name in layers[:, 0]] == [*SPATIAL, "summary"]
    geometry = {str(name): kind for name, kind in layers}
    for name in SPATIAL:
        assert geometry[name] == gis.GPKG_LAYERS[name]
    assert geometry["summary"] is None  # a plain attribute table
    assert "bus_lines" not in geometry  # the tiny county has no bus lines


def test_feature_counts_and_crs(gpkg: Path, plan: rn.Plan):
    expected = {
        "villages": len(plan.villages),
        "stations": len(plan.stations),
        "centres": len(plan.centres),
        "hubs": len(plan.hubs),
        "links": len(plan.links),
        "boundary": len(plan.inputs.boundary),
        "roads": len(plan.inputs.roads),
    }
    for layer, count in expected.items():
        info = pyogrio.read_info(gpkg, layer=layer)
        assert info["features"] == count, layer
        assert info["crs"] == "EPSG:4326", layer
        assert info["encoding"] == "UTF-8"
    assert expected["villages"] == 5
    assert expected["links"] > 0


def test_field_types(gpkg: Path):
    villages = _fields(gpkg, "villages")
    assert villages["village_id"] == ("OFTString", "OFSTNone")
    assert villages["name"] == ("OFTString", "OFSTNone")
    assert villages["population"][0] in {"OFTInteger", "OFTInteger64"}
    assert villages["covered"] == ("OFTInteger", "OFSTBoolean")
    assert villages["distance_km"] == ("OFTReal", "OFSTNone")
    stations = _fields(gpkg, "stations")
    assert stations["villages_served"][0] == "OFTInteger64"
    assert stations["yearly_cost_yuan"][0] == "OFTReal"
    assert stations["kind"][0] == "OFTString"
    centres = _fields(gpkg, "centres")
    assert centres["stations_served"][0] == "OFTInteger64"
    assert centres["township_name"][0] == "OFTString"
    links = _fields(gpkg, "links")
    assert links["line_id"][0] == "OFTString"  # NULL for vans, still a text field
    assert links["yuan_per_year"][0] == "OFTReal"
    assert _fields(gpkg, "roads")["oneway"] == ("OFTInteger", "OFSTBoolean")


def test_values_read_back(gpkg: Path, plan: rn.Plan):
    villages = pyogrio.read_dataframe(gpkg, layer="villages")
    assert villages["name"].tolist() == plan.villages["name"].tolist()  # UTF-8 Chinese names
    assert villages["covered"].dtype == bool
    assert villages["station_id"].tolist() == plan.villages["station_id"].tolist()
    stations = pyogrio.read_dataframe(gpkg, layer="stations")
    np.testing.assert_allclose(stations["yearly_cost_yuan"], plan.stations["yearly_cost_yuan"])
    expected = plan.stations.to_crs(4326).geometry
    np.testing.assert_allclose(stations.geometry.x, expected.x, atol=1e-9)
    np.testing.assert_allclose(stations.geometry.y, expected.y, atol=1e-9)
    links = pyogrio.read_dataframe(gpkg, layer="links")
    assert links["line_id"].isna().all()
    summary = pyogrio.read_dataframe(gpkg, layer="summary").set_index("key")["value"]
    assert float(summary["total_cost_yuan_per_year"]) == pytest.approx(
        plan.summary()["total_cost_yuan_per_year"]
    )
    assert summary["crs_for_distances"] == "EPSG:32650"


def test_layer_descriptions_name_generated_data(gpkg: Path):
    info = pyogrio.read_info(gpkg, layer="stations")
    description = info["layer_metadata"]["DESCRIPTION"]
    assert "tiny base" in description
    assert "GENERATED data" in description


def test_replaces_atomically(plan: rn.Plan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "plan.gpkg"
    path.write_bytes(b"old")
    assert gis.write_geopackage(plan, path) == path
    assert pyogrio.read_info(path, layer="villages")["features"] == 5
    before = path.read_bytes()
    calls = {"n": 0}
    real = pyogrio.write_dataframe

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            msg = "disk full"
            raise OSError(msg)
        return real(*args, **kwargs)

    monkeypatch.setattr(gis.pyogrio, "write_dataframe", failing)
    with pytest.raises(OutputError, match="disk full"):
        gis.write_geopackage(plan, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.gpkg"]  # no temp files left


def test_missing_folder_is_an_output_error(plan: rn.Plan, tmp_path: Path):
    with pytest.raises(OutputError):
        gis.write_geopackage(plan, tmp_path / "nowhere" / "plan.gpkg")


def test_routes_layer(plan: rn.Plan, tmp_path: Path):
    from ruralnet.routes import build_routes

    rules = plan.scenario.with_overrides({"routes": {"time_limit_s": 5}}).routes
    routes = build_routes(plan, rules=rules)
    path = gis.write_geopackage(plan, tmp_path / "plan.gpkg", routes=routes)
    layers = [str(name) for name in pyogrio.list_layers(path)[:, 0]]
    assert layers.index("routes") == layers.index("links") + 1
    info = pyogrio.read_info(path, layer="routes")
    assert info["features"] == len(routes.routes)
    assert info["geometry_type"] == "LineString"
    fields = _fields(path, "routes")
    assert fields["stops"][0] == "OFTString"
    assert fields["km"][0] == "OFTReal"
    assert fields["n_stops"][0] == "OFTInteger64"
    frame = pyogrio.read_dataframe(path, layer="routes")
    first = routes.routes[0]
    assert frame["stops"].iloc[0] == " → ".join(first.stops)


def test_summary_layer_leaves_out_every_solve_time(plan: rn.Plan, tmp_path: Path):
    # the plan's own solve time and those of the cold-chain solve and the locker sizing vary
    # from run to run; with them the same plan would give a different file each time
    summary = plan.summary()
    timed = {
        **summary,
        "cold_chain": {"solver": {"seconds": 0.06, "status": "optimal"}},
        "lockers": {"sizing": {"seconds": 0.49, "method": "mip"}},
    }

    class Timed:
        inputs = plan.inputs

        def summary(self) -> dict:
            return timed

    table = gis._summary_table(Timed())
    assert not [key for key in table["key"] if key.endswith("seconds")]
    assert {"cold_chain.solver.status", "lockers.sizing.method"} <= set(table["key"])
    assert len(table) == len(gis._summary_table(plan)) + 2
