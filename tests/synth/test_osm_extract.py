"""The Chinese-style OSM extract of a generated county (ruralnet.synth.osm_extract)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ruralnet.prepare.coords import gcj02_to_wgs84
from ruralnet.synth import generate_synthetic
from ruralnet.synth.osm_extract import ExtractOptions, write_osm_extract
from ruralnet.synth.osm_tags import name_key, name_variant


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory):
    dataset = generate_synthetic(300, seed=5)
    return dataset, write_osm_extract(dataset, tmp_path_factory.mktemp("osm"), seed=2)


def _objects(pbf: Path) -> dict[str, list[tuple[int, dict[str, str], object]]]:
    import osmium

    out: dict[str, list] = {"n": [], "w": [], "r": []}
    for obj in osmium.FileProcessor(str(pbf)):
        kind = "n" if obj.is_node() else "w" if obj.is_way() else "r"
        extra = obj.location if kind == "n" else list(obj.members) if kind == "r" else None
        out[kind].append((obj.id, dict(obj.tags), extra))
    return out


def test_same_seed_same_files(county, tmp_path: Path) -> None:
    dataset, first = county
    again = write_osm_extract(dataset, tmp_path, seed=2)
    for name in (
        "county.osm.pbf",
        "villages_stats2022.csv",
        "village_points_gcj02.csv",
        "expected.csv",
    ):
        assert (first.folder / name).read_bytes() == (again.folder / name).read_bytes(), name


def test_chinese_tagging(county) -> None:
    dataset, extract = county
    objs = _objects(extract.pbf)
    highways = Counter(t["highway"] for _, t, _ in objs["w"] if "highway" in t)
    assert {
        "trunk",
        "primary",
        "secondary",
        "tertiary",
        "unclassified",
        "residential",
        "track",
    } <= set(highways)
    refs = [t.get("ref", "") for _, t, _ in objs["w"]]
    assert any(r.startswith("G") for r in refs) and any(r.startswith("S") for r in refs)
    assert any(r.startswith("X") for r in refs) and any(r.startswith("Y") for r in refs)
    levels = Counter(
        t.get("admin_level") for _, t, _ in objs["r"] if t.get("boundary") == "administrative"
    )
    assert levels == {"4": 1, "5": 1, "6": 1, "8": len(dataset.layers["townships"])}
    places = [t for _, t, _ in objs["n"] if "place" in t]
    kinds = Counter(t["place"] for t in places)
    villages = len(dataset.layers["villages"])
    assert (
        0.45 * villages < kinds["village"] + kinds["hamlet"] < 0.8 * villages
    )  # only part of them
    assert kinds["city"] == 1 and kinds["town"] + kinds["suburb"] == len(
        dataset.layers["townships"]
    )
    assert all("\u4e00" <= t["name"][0] <= "\u9fff" for t in places if t["place"] != "city")
    assert 0.1 < sum("name:zh" in t for t in places) / len(places) < 0.5
    routes = [(t, m) for _, t, m in objs["r"] if t.get("route") == "bus"]
    assert len(routes) == len(dataset.bus_lines)
    stop_ids = {i for i, t, _ in objs["n"] if t.get("highway") == "bus_stop"}
    assert all(
        m.type == "n" and m.role == "stop" and m.ref in stop_ids for _, ms in routes for m in ms
    )
    assert Counter("shop" in t for _, t, _ in objs["n"])[True] == int(
        (dataset.layers["station_sites"]["kind"] == "existing").sum()
    )


def test_village_list_and_points(county) -> None:
    dataset, extract = county
    listed = pd.read_csv(extract.villages_csv, dtype=str)
    assert len(listed) == len(dataset.layers["villages"])
    assert listed["code12"].str.fullmatch(r"379901\d{6}").all() and listed["code12"].is_unique
    assert (listed["code12"].str[:9] == listed["township_code9"]).all()
    assert listed["name"].str.endswith("村委会").all()
    assert listed.groupby("township_code9")["name"].apply(lambda s: s.is_unique).all()
    points = pd.read_csv(extract.points_csv, dtype={"code12": str})
    expected = extract.expected.set_index("code12")
    assert set(points["code12"]) == set(expected.index[expected["expect"] == "points"])
    # the points are GCJ-02: converted back they sit on the generated villages
    ids = expected.loc[points["code12"], "village_id"]
    villages = dataset.layers["villages"].set_index("village_id").loc[ids]
    lon, lat = gcj02_to_wgs84(points["lon"].to_numpy(), points["lat"].to_numpy())
    assert np.max(np.abs(lon - villages.geometry.x.to_numpy())) < 2e-6
    assert np.max(np.abs(lat - villages.geometry.y.to_numpy())) < 2e-6
    assert np.max(np.abs(lon - points["lon"].to_numpy())) > 1e-3  # shifted by hundreds of metres
    assert set(expected["expect"]) == {"osm", "points", "unlocated"}


def test_name_forms() -> None:
    rng = np.random.default_rng(0)
    forms = {name_variant("王屯村委会", rng) for _ in range(200)}
    assert forms == {"王屯村", "王屯", "王屯村委会", "王屯村民委员会"}
    assert {name_key(f) for f in forms} == {"王屯"}
    assert {name_variant("张炉集新村村委会", rng) for _ in range(50)} >= {"张炉集新村"}
    assert name_key("梅花河村村民委员会") == name_key("梅花河村") == "梅花河"


def test_options_change_what_is_shown(tmp_path: Path) -> None:
    dataset = generate_synthetic(120, seed=1)
    none = write_osm_extract(
        dataset, tmp_path, options=ExtractOptions(place_share=0.0, points_share=0.0)
    )
    assert none.counts["place_nodes"] == 0 and none.counts["points_rows"] == 0
    assert set(none.expected["expect"]) == {"unlocated"}
