"""The bad-input catalogue: every kind of bad input gets one line naming file, row and fix.

Each case copies the tiny county and its scenario into a temporary folder, breaks one thing,
runs ``ruralnet run`` and checks: exit code 2, exactly one line on stderr (``error: ...``)
matching the case's pattern, and no output folder. The README's "Bad input catalogue" table
lists the same ids (a test below keeps the two in step).
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from ruralnet import cli

DATA = Path(__file__).parent / "data"
README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
SCENARIO = '[scenario]\nname = "case"\ndataset = "tiny"\nseed = 1\n[service]\nmax_access_km = 5.0\n'


@dataclass(frozen=True)
class Case:
    """One kind of bad input: how to break the tiny county, and the error it must give."""

    id: str
    what: str
    breaks: Callable[[Path], None]  # gets the work folder (scenario s.toml + dataset tiny/)
    pattern: str


def scenario_text(extra: str) -> Callable[[Path], None]:
    def apply(work: Path) -> None:
        (work / "s.toml").write_text(SCENARIO + extra, encoding="utf-8")

    return apply


def edit_layer(layer: str, change: Callable[[list[dict]], None]) -> Callable[[Path], None]:
    def apply(work: Path) -> None:
        path = work / "tiny" / f"{layer}.geojson"
        data = json.loads(path.read_text(encoding="utf-8"))
        change(data["features"])
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    return apply


def prop(key: str, value: object, row: int = 0) -> Callable[[list[dict]], None]:
    def change(features: list[dict]) -> None:
        features[row]["properties"][key] = value

    return change


def write_file(name: str, text: str | bytes) -> Callable[[Path], None]:
    def apply(work: Path) -> None:
        path = work / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")

    return apply


def remove(name: str) -> Callable[[Path], None]:
    return lambda work: (work / name).unlink()


def add_bus(stops: list[tuple[str, int, float, float]]) -> Callable[[Path], None]:
    def apply(work: Path) -> None:
        features = [
            {"type": "Feature", "properties": {"line_id": line, "seq": seq, "stop_id": f"{line}-{seq}"},
             "geometry": {"type": "Point", "coordinates": [lon, lat]}}
            for line, seq, lon, lat in stops
        ]  # fmt: skip
        (work / "tiny" / "bus_stops.geojson").write_text(
            json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8"
        )
        lines = sorted({s[0] for s in stops})
        (work / "tiny" / "bus_lines.csv").write_text(
            "line_id,name\n" + "".join(f"{line},x\n" for line in lines), encoding="utf-8"
        )

    return apply


def island_village(work: Path) -> None:
    """Move V5 3 km north onto a short road of its own, cut off from the network."""
    edit_layer("villages", lambda f: f[4]["geometry"].update(coordinates=[117.2237, 36.43]))(work)
    edit_layer(
        "roads",
        lambda f: f.append({"type": "Feature", "properties": {"highway": "track"},
                            "geometry": {"type": "LineString", "coordinates": [[117.2237, 36.43], [117.23, 36.43]]}}),
    )(work)  # fmt: skip


def gtfs_without_column(work: Path) -> None:
    shutil.copytree(DATA / "tiny_gtfs" / "gtfs", work / "tiny" / "gtfs")
    path = work / "tiny" / "gtfs" / "stop_times.txt"
    rows = [r.split(",") for r in path.read_text(encoding="utf-8").splitlines()]
    path.write_text("\n".join(",".join(r[:4]) for r in rows) + "\n", encoding="utf-8")


def extends_loop(work: Path) -> None:
    (work / "s.toml").write_text('[scenario]\nextends = "t.toml"\nname = "a"\n', encoding="utf-8")
    (work / "t.toml").write_text('[scenario]\nextends = "s.toml"\nname = "b"\n', encoding="utf-8")


def dataset_toml_without_name(work: Path) -> None:
    (work / "tiny" / "dataset.toml").write_text('crs = "EPSG:32650"\n', encoding="utf-8")


def projected_geojson(work: Path) -> None:
    edit_layer("hubs", lambda f: f[0]["geometry"].update(coordinates=[495000.0, 4030000.0]))(work)


def dataset_crs(crs: str) -> Callable[[Path], None]:
    def apply(work: Path) -> None:
        path = work / "tiny" / "dataset.toml"
        text = path.read_text(encoding="utf-8").replace('crs = "EPSG:32650"', f'crs = "{crs}"')
        path.write_text(text, encoding="utf-8")

    return apply


def raw_layer(layer: str, old: str, new: str) -> Callable[[Path], None]:
    """Edit a layer's text (for tokens json.dumps would not write, e.g. NaN)."""

    def apply(work: Path) -> None:
        path = work / "tiny" / f"{layer}.geojson"
        text = path.read_text(encoding="utf-8")
        assert old in text
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return apply


def with_bus_csv(text: str) -> Callable[[Path], None]:
    def apply(work: Path) -> None:
        add_bus([("L1", 1, 117.0, 36.4152), ("L1", 2, 117.05, 36.4152)])(work)
        (work / "tiny" / "bus_lines.csv").write_text(text, encoding="utf-8")

    return apply


def extends_with_bad_base(work: Path) -> None:
    (work / "base.toml").write_text(SCENARIO + '[van]\nyuan_per_km = "x"\n', encoding="utf-8")
    child = '[scenario]\nextends = "base.toml"\nname = "c"\n'
    (work / "s.toml").write_text(child, encoding="utf-8")


def layer_twice(work: Path) -> None:
    import geopandas as gpd

    gpd.read_file(work / "tiny" / "villages.geojson").to_file(work / "tiny" / "villages.gpkg")


def gpkg_of_other_layers(work: Path) -> None:
    import geopandas as gpd

    frame = gpd.read_file(work / "tiny" / "villages.geojson")
    for name in ("a", "b"):
        frame.to_file(work / "tiny" / "villages.gpkg", layer=name)
    (work / "tiny" / "villages.geojson").unlink()


def nan_point_without_boundary(work: Path) -> None:
    remove("tiny/boundary.geojson")(work)
    nowhere = [float("nan"), 36.4]
    edit_layer("villages", lambda f: f[0]["geometry"].update(coordinates=nowhere))(work)


def layer_as_folder(work: Path) -> None:
    (work / "tiny" / "roads.geojson").unlink()
    (work / "tiny" / "roads.geojson").mkdir()


def gtfs_with_unknown_stop(work: Path) -> None:
    shutil.copytree(DATA / "tiny_gtfs" / "gtfs", work / "tiny" / "gtfs")
    path = work / "tiny" / "gtfs" / "stop_times.txt"
    path.write_text(path.read_text(encoding="utf-8").replace(",c1,", ",c9,"), encoding="utf-8")


CASES = [
    Case("B01", "misspelled scenario key", scenario_text("[station]\nnew_biuld_yuan = 1\n"),
         r"s\.toml \[station\]\.new_biuld_yuan: unknown key; did you mean 'new_build_yuan'\?"),
    Case("B02", "unknown scenario section", scenario_text("[stations]\nx = 1\n"),
         r"s\.toml \[stations\]: unknown key; did you mean 'station'\?"),
    Case("B03", "wrong type", scenario_text('[station]\nupgrade_yuan = "cheap"\n'),
         r"\[station\]\.upgrade_yuan: input should be a valid number.*got 'cheap'"),
    Case("B04", "negative cost", scenario_text("[van]\nyuan_per_km = -1.5\n"),
         r"\[van\]\.yuan_per_km: input should be greater than or equal to 0, got -1\.5"),
    Case("B05", "NaN cost", scenario_text("[centre]\noperating_yuan_per_year = nan\n"),
         r"\[centre\]\.operating_yuan_per_year: must be a finite number"),
    Case("B06", "share out of range", write_file("s.toml", SCENARIO.replace("max_access_km = 5.0", "coverage_target = 85")),
         r"\[service\]\.coverage_target: input should be less than or equal to 1"),
    Case("B07", "unknown solver", scenario_text('[solver]\nbackend = "gurobi"\n'),
         r"\[solver\]\.backend: input should be 'highs', 'scip' or 'cpsat'"),
    Case("B08", "TOML syntax error", write_file("s.toml", "[scenario\nname = 1\n"),
         r"s\.toml: not a valid UTF-8 TOML file"),
    Case("B09", "missing dataset folder", write_file("s.toml", '[scenario]\nname = "x"\ndataset = "nowhere"\n'),
         r"\[scenario\]\.dataset: folder .*nowhere does not exist"),
    Case("B10", "phase targets that decrease",
         scenario_text('[[phases]]\nname = "a"\ncoverage_target = 0.9\n[[phases]]\nname = "b"\ncoverage_target = 0.5\n'),
         r"s\.toml: phase coverage targets must not decrease"),
    Case("B11", "scenarios extending each other", extends_loop, r"extend each other in a loop"),
    Case("B12", "missing layer file", remove("tiny/roads.geojson"),
         r"roads\.geojson: file is missing\. Add the layer as \.geojson or \.gpkg"),
    Case("B13", "unreadable layer file", write_file("tiny/hubs.geojson", "{not json"),
         r"hubs\.geojson: cannot be read"),
    Case("B14", "empty layer file", write_file("tiny/hubs.geojson", '{"type":"FeatureCollection","features":[]}'),
         r"hubs\.geojson: has no features"),
    Case("B15", "wrong geometry type",
         edit_layer("villages", lambda f: f[0].update(geometry={"type": "LineString", "coordinates": [[117, 36.4], [117.01, 36.4]]})),
         r"villages\.geojson row 1 \(village_id=V1\): geometry is LineString, expected Point"),
    Case("B16", "empty geometry", edit_layer("station_sites", lambda f: f[2].update(geometry=None)),
         r"station_sites\.geojson row 3 \(site_id=SV3\): empty geometry"),
    Case("B17", "projected coordinates in a WGS84 file", projected_geojson,
         r"hubs\.geojson row 1 \(hub_id=H1\): coordinates \(495000, 4030000\) are not degrees"),
    Case("B18", "longitude and latitude swapped",
         edit_layer("villages", lambda f: f[1]["geometry"].update(coordinates=f[1]["geometry"]["coordinates"][::-1])),
         r"villages\.geojson row 2 \(village_id=V2\): latitude 117\.\d+ is beyond 90: longitude and latitude look swapped"),
    Case("B19", "point far outside the county",
         edit_layer("villages", lambda f: f[0]["geometry"].update(coordinates=[118.5, 36.4])),
         r"villages\.geojson \(village_id=V1\): lies more than 10 km outside the county boundary"),
    Case("B20", "duplicate ids", edit_layer("villages", prop("village_id", "V1", 2)),
         r"villages\.geojson row 3: duplicate village_id 'V1'"),
    Case("B21", "village in an unknown township", edit_layer("villages", prop("township_id", "T9", 3)),
         r"villages\.geojson \(village_id=V4\): township_id 'T9' is not in townships"),
    Case("B22", "station site in an unknown village", edit_layer("station_sites", prop("village_id", "V99")),
         r"station_sites\.geojson \(site_id=SV1\): village_id 'V99' is not in villages"),
    Case("B23", "negative population", edit_layer("villages", prop("population", -700, 1)),
         r"villages\.geojson row 2 \(village_id=V2\): population: input should be greater than or equal to 0, got -700"),
    Case("B24", "number typed as text", edit_layer("centre_sites", prop("capacity_parcels_per_day", "lots")),
         r"centre_sites\.geojson row 1 \(site_id=C1\): capacity_parcels_per_day: input should be a valid number"),
    Case("B25", "missing required column",
         edit_layer("centre_sites", lambda f: [x["properties"].pop("township_id") for x in f]),
         r"centre_sites\.geojson: column township_id is missing"),
    Case("B26", "unknown category", edit_layer("station_sites", prop("kind", "old")),
         r"station_sites\.geojson row 1 \(site_id=SV1\): kind: input should be 'existing' or 'new'"),
    Case("B27", "bus line with one stop", add_bus([("L1", 1, 117.0, 36.4152)]),
         r"bus_stops\.geojson \(line_id=L1\): has 1 stop; a bus line needs at least two"),
    Case("B28", "bus stop far from every road", add_bus([("L1", 1, 117.0, 36.4152), ("L1", 2, 117.0, 36.5)]),
         r"bus_stops: 1 point\(s\) lie more than 5000 m from the connected road network \(L1/L1-2"),
    Case("B29", "GTFS feed with a missing column", gtfs_without_column,
         r"stop_times\.txt: column stop_sequence is missing"),
    Case("B30", "village on a road cut off from the network", island_village,
         r"villages: 1 point\(s\) lie on roads cut off from the main road network \(V5"),
    Case("B31", "dataset description without a name", dataset_toml_without_name,
         r"dataset\.toml: key 'name' is missing"),
    Case("B32", "missing dataset description", remove("tiny/dataset.toml"),
         r"dataset\.toml: file is missing"),
    # issue 14: the classes the fuzzer (tests/test_fuzz.py) found
    Case("B37", "geographic dataset CRS", dataset_crs("EPSG:4326"),
         r"dataset\.toml: crs EPSG:4326 is geographic \(degrees\); distances need a projected CRS"),
    Case("B38", "unknown dataset CRS", dataset_crs("EPSG:99999"),
         r"dataset\.toml: crs 'EPSG:99999' is not a known coordinate reference system"),
    Case("B39", "text where a list is expected",
         write_file("tiny/dataset.toml", 'name = "x"\ncrs = "EPSG:32650"\ngenerated = "everything"\n'),
         r"dataset\.toml: generated must be a list of text, got 'everything'"),
    Case("B40", "NaN in a layer", raw_layer("villages", '"population": 700', '"population": NaN'),
         r"villages\.geojson row 1: population: NaN is not a number JSON allows"),
    Case("B41", "huge number in a layer", edit_layer("centre_sites", prop("capacity_parcels_per_day", 1e308)),
         r"centre_sites\.geojson row 1 \(site_id=C1\): capacity_parcels_per_day: input should be less than or equal to 10000000"),
    Case("B42", "infinity in a CSV", with_bus_csv("line_id,trips_per_day\nL1,inf\n"),
         r"bus_lines\.csv row 1 \(line_id=L1\): trips_per_day: input should be a finite number, got 'inf'"),
    Case("B43", "scenario number beyond any sense", scenario_text("[solver]\ntime_limit_s = 1e308\n"),
         r"s\.toml \[solver\]\.time_limit_s: must be at most 1e\+12 in size, got 1e\+308"),
    Case("B44", "scenario number out of its range", scenario_text('[[phases]]\nname = "a"\ncoverage_target = 1.0\nyears = 500\n'),
         r"s\.toml \[phases\]\.0\.years: input should be less than or equal to 100, got 500"),
    Case("B45", "text where a boolean is expected", scenario_text('[bus]\nenabled = "no"\n'),
         r"s\.toml \[bus\]\.enabled: must be true or false \(without quotes\), got 'no'"),
    Case("B46", "a value where a table is expected", write_file("s.toml", "van = 5\n" + SCENARIO),
         r"s\.toml \[van\]: must be a table \(a \[section\] with key = value lines\), got 5"),
    Case("B47", "a number where a path is expected", write_file("s.toml", '[scenario]\nname = "x"\ndataset = 5\n'),
         r"s\.toml \[scenario\]\.dataset: must be a path in quotes, got 5"),
    Case("B48", "a bad key in the file a scenario extends", extends_with_bad_base,
         r"base\.toml \[van\]\.yuan_per_km: input should be a valid number, got 'x'"),
    Case("B49", "a CSV with a quote never closed", with_bus_csv('line_id,name\nL1,"one\n'),
         r"bus_lines\.csv: line 2: unexpected end of data \(a quoted field is not closed\?\)"),
    Case("B50", "a GeoPackage of other layers", gpkg_of_other_layers,
         r"villages\.gpkg: holds 2 layers \(a, b\) and none is named 'villages'"),
    Case("B51", "a layer given twice", layer_twice,
         r"villages\.geojson: the layer is given twice \(villages\.geojson and villages\.gpkg\)"),
    Case("B52", "ids that differ only by blanks", edit_layer("villages", prop("village_id", "V1 ", 1)),
         r"villages\.geojson row 2: duplicate village_id 'V1'. Give every feature its own id \(surrounding blanks do not count\)"),
    Case("B53", "two stops of a line with one number", add_bus([("L1", 1, 117.0, 36.4152), ("L1", 1, 117.05, 36.4152)]),
         r"bus_stops\.geojson \(line_id=L1\): stops L1-1, L1-1 share seq 1, so the line's order is unclear"),
    Case("B54", "a NaN coordinate (no boundary layer)", nan_point_without_boundary,
         r"villages\.geojson row 1 \(village_id=V1\): coordinates are not finite numbers"),
    Case("B55", "a layer path that is a folder", layer_as_folder,
         r"roads\.geojson: is a folder, not a file"),
    Case("B56", "a GTFS trip at an unknown stop", gtfs_with_unknown_stop,
         r"stop_times\.txt: stop_id 'c9' is not in stops\.txt"),
]  # fmt: skip


@pytest.fixture
def work(tmp_path: Path) -> Path:
    shutil.copytree(DATA / "tiny", tmp_path / "tiny")
    (tmp_path / "s.toml").write_text(SCENARIO, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_exits_2_with_one_line(case: Case, work: Path, capsys):
    case.breaks(work)
    out = work / "out"
    code = cli.main(["run", str(work / "s.toml"), "-o", str(out), "--no-map"])
    lines = capsys.readouterr().err.strip().splitlines()
    errors = [line for line in lines if line.startswith("error: ")]
    assert code == 2, lines
    assert len(errors) == 1, lines
    assert re.search(case.pattern, errors[0]), errors[0]
    assert not out.exists()


@pytest.mark.parametrize(
    ("prepare", "pattern"),
    [
        (lambda work: (work / "out").write_text("x", encoding="utf-8"), r"out: exists and is not a folder"),
        (lambda work: (work / "out").mkdir() or (work / "out" / "mine.txt").write_text("x", encoding="utf-8"),
         r"out: holds files ruralnet did not write \(mine\.txt\); choose a new or empty output folder"),
    ],
    ids=["B33", "B34"],
)  # fmt: skip
def test_unusable_output_folder(prepare, pattern, work: Path, capsys):
    prepare(work)
    before = sorted(p.name for p in work.rglob("*"))
    assert cli.main(["run", str(work / "s.toml"), "-o", str(work / "out"), "--no-map"]) == 2
    errors = [e for e in capsys.readouterr().err.splitlines() if e.startswith("error: ")]
    assert len(errors) == 1 and re.search(pattern, errors[0]), errors
    assert sorted(p.name for p in work.rglob("*")) == before  # nothing written or removed


def test_output_under_a_file(work: Path, capsys):
    """B35: the output folder's parent is a file."""
    (work / "afile").write_text("x", encoding="utf-8")
    assert (
        cli.main(["run", str(work / "s.toml"), "-o", str(work / "afile" / "out"), "--no-map"]) == 2
    )
    errors = [e for e in capsys.readouterr().err.splitlines() if e.startswith("error: ")]
    assert len(errors) == 1 and "cannot create the output folder" in errors[0]


def test_gbk_files_are_read_with_a_warning(work: Path, capsys):
    """B36: GBK-encoded Chinese names are read (as GB18030) and the user is told to re-save."""
    path = work / "tiny" / "townships.geojson"
    path.write_bytes(path.read_text(encoding="utf-8").encode("gb18030"))
    assert cli.main(["run", str(work / "s.toml"), "-o", str(work / "out"), "--no-map", "-q"]) == 0
    assert "townships.geojson is not UTF-8; read its text as GB18030" in capsys.readouterr().err
    centres = (work / "out" / "centres.csv").read_text(encoding="utf-8-sig")
    assert "一镇" in centres


def test_catalogue_is_documented():
    ids = [c.id for c in CASES] + ["B33", "B34", "B35", "B36", *(f"B{n}" for n in range(57, 65))]
    assert len(ids) >= 25
    for ident in ids:
        assert f"| {ident} |" in README, f"{ident} missing from the README's bad input catalogue"


def test_info_names_a_bad_dataset_in_one_line(work: Path, capsys):
    """`ruralnet info` reads through the same checks as `run` (B38 there)."""
    dataset_crs("EPSG:99999")(work)
    for source in (work / "tiny", work / "s.toml"):
        capsys.readouterr()
        assert cli.main(["info", str(source)]) == 2
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1 and "crs 'EPSG:99999' is not a known" in lines[0], lines


def test_a_bus_line_without_stops_is_legal_and_said(work: Path, capsys):
    """A line listed in bus_lines.csv with no stop carries nothing: the run goes on and says so."""
    add_bus([("L1", 1, 117.0, 36.4152), ("L1", 2, 117.05, 36.4152)])(work)
    lines = work / "tiny" / "bus_lines.csv"
    lines.write_text(lines.read_text(encoding="utf-8") + "L2,spare\n", encoding="utf-8")
    assert cli.main(["run", str(work / "s.toml"), "-o", str(work / "out"), "--no-map", "-q"]) == 0
    assert "warning: bus_lines.csv: 1 line(s) have no stops in the bus_stops layer (L2)" in (
        capsys.readouterr().err
    )
