"""Dataset loading: a good folder loads; broken copies give one-line errors with file and row."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ruralnet.data import load_inputs
from ruralnet.errors import DataError

TINY = Path(__file__).parent / "data" / "tiny"


@pytest.fixture
def tiny_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "tiny"
    shutil.copytree(TINY, folder)
    return folder


def edit(folder: Path, layer: str, change) -> None:
    path = folder / f"{layer}.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data["features"])
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def test_tiny_loads_sorted_and_projected():
    inputs = load_inputs(TINY)
    assert list(inputs.villages["village_id"]) == ["V1", "V2", "V3", "V4", "V5"]
    assert inputs.crs.to_epsg() == 32650
    assert inputs.villages.geometry.x.min() > 400_000  # metres, not degrees


def set_prop(key, value, index=0):
    def change(features):
        features[index]["properties"][key] = value

    return change


@pytest.mark.parametrize(
    ("layer", "change", "pattern"),
    [
        (
            "villages",
            set_prop("population", -3, 1),
            r"villages\.geojson row 2 \(village_id=V2\): population: .*greater than or equal to 0",
        ),
        (
            "villages",
            set_prop("township_id", "T9"),
            r"villages\.geojson \(village_id=V1\): township_id 'T9' is not in townships",
        ),
        (
            "villages",
            set_prop("village_id", "V2"),
            r"villages\.geojson row 2: duplicate village_id 'V2'",
        ),
        (
            "station_sites",
            set_prop("kind", "old"),
            r"station_sites\.geojson row 1 .*kind: input should be 'existing' or 'new'",
        ),
        (
            "station_sites",
            set_prop("village_id", "V99"),
            r"station_sites\.geojson \(site_id=SV1\): village_id 'V99' is not in villages",
        ),
        ("hubs", set_prop("status", "maybe"), r"hubs\.geojson row 1 .*status"),
        (
            "villages",
            lambda f: f[0].update(geometry=None),
            r"villages\.geojson row 1 \(village_id=V1\): empty geometry",
        ),
        (
            "villages",
            lambda f: f[0].update(
                geometry={"type": "LineString", "coordinates": [[117, 36.4], [117.1, 36.4]]}
            ),
            r"villages\.geojson row 1 .*geometry is LineString, expected Point",
        ),
        (
            "villages",
            lambda f: f[0]["geometry"].update(coordinates=f[0]["geometry"]["coordinates"][::-1]),
            r"villages\.geojson row 1 \(village_id=V1\): latitude 117\.0000 is beyond 90: longitude and latitude look swapped",
        ),
        (
            "villages",
            lambda f: f[0]["geometry"].update(coordinates=[117.5, 36.4]),
            r"villages\.geojson \(village_id=V1\): lies more than 10 km outside the county boundary",
        ),
        (
            "villages",
            lambda f: [p["properties"].pop("township_id") for p in f],
            r"villages\.geojson: column township_id is missing",
        ),
    ],
)
def test_bad_rows(tiny_copy, layer, change, pattern):
    edit(tiny_copy, layer, change)
    with pytest.raises(DataError, match=pattern):
        load_inputs(tiny_copy)


def test_missing_layer(tiny_copy):
    (tiny_copy / "roads.geojson").unlink()
    with pytest.raises(DataError, match=r"roads\.geojson: file is missing\. Add the layer"):
        load_inputs(tiny_copy)


def test_unreadable_and_empty(tiny_copy):
    (tiny_copy / "hubs.geojson").write_text("not json", encoding="utf-8")
    with pytest.raises(DataError, match=r"hubs\.geojson: cannot be read"):
        load_inputs(tiny_copy)
    (tiny_copy / "hubs.geojson").write_text(
        '{"type":"FeatureCollection","features":[]}', encoding="utf-8"
    )
    with pytest.raises(DataError, match=r"hubs\.geojson: has no features"):
        load_inputs(tiny_copy)


def test_many_problems_are_collected(tiny_copy):
    def change(features):
        for f in features:
            f["properties"]["population"] = -1

    edit(tiny_copy, "villages", change)
    with pytest.raises(DataError) as info:
        load_inputs(tiny_copy)
    assert str(info.value).count("population") == 5
