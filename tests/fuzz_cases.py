"""The fuzzer's catalogue: every way it breaks the tiny county, and what each must give.

``tests/test_fuzz.py`` runs every case through ``ruralnet run``. A case copies the tiny county
with its bus line (``tests/data/tiny_bus``) and a scenario into a work folder, breaks one thing
(:attr:`Case.breaks`) and states the outcome: ``refused`` (exit 2, one ``error:`` line matching
:attr:`Case.pattern`), ``legal`` (exit 0, warnings allowed) or ``either`` (legal or refused,
for values whose meaning is up to the planner, e.g. a 1e308 used as a free-text name).

The cases are built from the row models of :mod:`ruralnet.data` and the scenario models of
:mod:`ruralnet.scenario`, so a new column or key is fuzzed as soon as it exists:

* every layer and column x {missing on one row, column gone, null, empty, blanks, object,
  list, NaN, +inf, -inf, huge, negative, zero, text, duplicate, padded id, ids differing only by
  blanks, true}; every layer's geometry x {wrong type, null, NaN, inf, huge, swapped, wrong
  CRS}; every layer file x {gone, 0 bytes, not JSON, no features, a folder, a link loop, a
  broken link, given twice, GeoPackage with other layers, GBK text};
* ``bus_lines.csv`` and ``dataset.toml`` likewise;
* every scenario key x {wrong types, out of range, NaN, infinities, huge} and the shapes of
  the file itself (tables, lists, ``extends`` chains).
"""

from __future__ import annotations

import json
import math
import shutil
import typing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio
from pydantic import BaseModel

from ruralnet.dataset_rows import LAYER_ROWS, BusLineRow
from ruralnet.scenario import Phase, Scenario, ScenarioMeta

DATA = Path(__file__).parent / "data"
BASE = DATA / "tiny_bus"
SCENARIO: dict[str, Any] = {
    "scenario": {"name": "fuzz", "dataset": "county", "seed": 1},
    "service": {"max_access_km": 5.0},
    "solver": {"time_limit_s": 30},
}
REFUSED, LEGAL, EITHER = "refused", "legal", "either"


@dataclass(frozen=True)
class Case:
    """One way to break the county or its scenario, and the outcome it must have."""

    id: str
    breaks: Callable[[Path], None]  # gets the work folder: s.toml and county/
    expect: str  # REFUSED, LEGAL or EITHER
    pattern: str | None = None  # a regex the error line must match when refused
    fast: bool = False  # in the quick suite; the others are marked slow


# --- writing the scenario --------------------------------------------------------------


def toml_value(value: Any) -> str:  # noqa: PLR0911 - one return per TOML type
    """Write one TOML value; floats keep nan/inf, dicts become inline tables."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + "}"
    return "[" + ", ".join(toml_value(v) for v in value) + "]"


def toml_text(raw: dict[str, Any]) -> str:
    """Write a scenario dict as TOML: top-level values, then tables, then [[phases]]."""

    def is_table_list(value: Any) -> bool:
        return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)

    lines = [
        f"{k} = {toml_value(v)}"
        for k, v in raw.items()
        if not isinstance(v, dict) and not is_table_list(v)
    ]
    for section, values in raw.items():
        if isinstance(values, dict):
            lines.append(f"[{section}]")
            lines += [f"{k} = {toml_value(v)}" for k, v in values.items()]
    for section, values in raw.items():
        if is_table_list(values):
            for table in values:
                lines.append(f"[[{section}]]")
                lines += [f"{k} = {toml_value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


def write_scenario(work: Path, raw: dict[str, Any], name: str = "s.toml") -> None:
    (work / name).write_text(toml_text(raw), encoding="utf-8")


def scenario_with(section: str, key: str, value: Any) -> Callable[[Path], None]:
    def apply(work: Path) -> None:
        raw = json.loads(json.dumps(SCENARIO))
        if section == "phases":
            raw["phases"] = [{"name": "2025", "coverage_target": 1.0, key: value}]
        else:
            raw.setdefault(section, {})[key] = value
        write_scenario(work, raw)

    return apply


# --- editing layers --------------------------------------------------------------------


def layer_path(work: Path, layer: str) -> Path:
    return work / "county" / f"{layer}.geojson"


def edit_features(layer: str, change: Callable[[list[dict]], None]) -> Callable[[Path], None]:
    def apply(work: Path) -> None:
        path = layer_path(work, layer)
        data = json.loads(path.read_text(encoding="utf-8"))
        change(data["features"])
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    return apply


def _row(features: list[dict]) -> int:
    return 1 if len(features) > 1 else 0


_MISSING = object()


def set_property(layer: str, column: str, value: Any, *, every_row: bool = False):
    def change(features: list[dict]) -> None:
        rows = features if every_row else [features[_row(features)]]
        for feature in rows:
            if value is _MISSING:
                feature["properties"].pop(column, None)
            else:
                feature["properties"][column] = value

    return edit_features(layer, change)


def copy_from_first(layer: str, column: str, suffix: str = ""):
    def change(features: list[dict]) -> None:
        first = features[0]["properties"].get(column)
        features[_row(features)]["properties"][column] = (
            f"{first}{suffix}" if suffix or isinstance(first, str) else first
        )

    return edit_features(layer, change)


def pad_value(layer: str, column: str):
    def change(features: list[dict]) -> None:
        props = features[_row(features)]["properties"]
        props[column] = f"  {props.get(column, 'x')} "

    return edit_features(layer, change)


# --- the column catalogue --------------------------------------------------------------

REFERENCES = {  # columns that must name a row of another layer
    ("villages", "township_id"),
    ("centre_sites", "township_id"),
    ("station_sites", "village_id"),
    ("bus_stops", "line_id"),
}
NEEDED = {("villages", "population")}  # optional in the model, needed by the tiny county


def _inner(annotation: Any) -> Any:
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) is typing.Union and args:
        return _inner(args[0])
    if typing.get_origin(annotation) is typing.Annotated:
        return _inner(args[0])
    return annotation


def column_kind(layer: str, column: str, id_col: str | None, model: type[BaseModel]) -> str:
    """id, ref, ref_opt, text_req, text, num, num_req, bool or cat."""
    field = model.model_fields[column]
    inner = _inner(field.annotation)
    required = field.is_required() or (layer, column) in NEEDED
    if column == id_col:
        return "id"
    if (layer, column) in REFERENCES:
        return "ref" if required else "ref_opt"
    if typing.get_origin(inner) is typing.Literal:
        return "cat"
    if inner is bool:
        return "bool"
    if inner in (int, float):
        return "num_req" if required else "num"
    return "text_req" if required else "text"


R, L, E = REFUSED, LEGAL, EITHER
# mutation -> outcome per kind:     id ref ref_opt text_req text num num_req bool cat
_TABLE = {
    "missing": "R R L R L L R L R",
    "column_gone": "R R L R L L R L R",
    "null": "R R L R L L R L R",
    "empty": "R R L R L L R L R",
    "blanks": "R R L R L L R L R",
    "object": "E R R E E R R R R",
    "list": "E R R E E R R R R",
    "nan": "R R R R R R R R R",
    "inf": "R R R R R R R R R",
    "-inf": "R R R R R R R R R",
    "huge": "E R R E E R R R R",
    "negative": "E R R E E R R R R",
    "zero": "E R R E E E E E R",
    "text": "E R R E L R R R R",
    "duplicate": "R L L L L L E L L",
    "padded": "L L L L L E E E E",
    "true": "E R R E E E E L R",
}
_KINDS = ["id", "ref", "ref_opt", "text_req", "text", "num", "num_req", "bool", "cat"]
_VALUES: dict[str, Any] = {
    "null": None,
    "empty": "",
    "blanks": "   ",
    "object": {"a": 1},
    "list": [1, 2],
    "nan": math.nan,
    "inf": math.inf,
    "-inf": -math.inf,
    "huge": 1e308,
    "negative": -1,
    "zero": 0,
    "text": "lots",
    "true": True,
}


def expectation(mutation: str, kind: str) -> str:
    code = _TABLE[mutation].split()[_KINDS.index(kind)]
    return {"R": REFUSED, "L": LEGAL, "E": EITHER}[code]


def _column_breaker(layer: str, column: str, mutation: str) -> Callable[[Path], None]:
    if mutation == "missing":
        return set_property(layer, column, _MISSING)
    if mutation == "column_gone":
        return set_property(layer, column, _MISSING, every_row=True)
    if mutation == "duplicate":
        return copy_from_first(layer, column)
    if mutation == "padded":
        return pad_value(layer, column)
    return set_property(layer, column, _VALUES[mutation])


def _file_pattern(layer: str) -> str:
    return rf"{layer}\.geojson"


# the quick suite's sample: one column of each kind, the mutations that found bugs
_QUICK_COLUMNS = {
    ("villages", "village_id"),
    ("villages", "population"),
    ("roads", "oneway"),
    ("bus_stops", "seq"),
    ("station_sites", "kind"),
}
_QUICK_MUTATIONS = {
    "missing",
    "empty",
    "nan",
    "inf",
    "huge",
    "negative",
    "text",
    "duplicate",
    "padded",
}


def column_cases() -> list[Case]:
    """Every layer and column of the row models x every value mutation."""
    cases = []
    for layer, (model, _geoms, id_col) in LAYER_ROWS.items():
        for column in model.model_fields:
            kind = column_kind(layer, column, id_col, model)
            for mutation in _TABLE:
                expect = expectation(mutation, kind)
                if layer == "hubs" and mutation == "duplicate":
                    continue  # one hub: nothing to duplicate
                if (layer, column, mutation) == ("bus_stops", "seq", "duplicate"):
                    expect = REFUSED  # two stops of line L1 with one number: order unclear
                if (layer, column) == ("roads", "oneway") and mutation in {"true", "padded"}:
                    expect = EITHER  # a one-way segment may cut a village off: legal, refused
                cases.append(
                    Case(
                        f"{layer}.{column}.{mutation}",
                        _column_breaker(layer, column, mutation),
                        expect,
                        _file_pattern(layer) if expect == REFUSED else None,
                        fast=(layer, column) in _QUICK_COLUMNS and mutation in _QUICK_MUTATIONS,
                    )
                )
        if id_col is not None and layer != "hubs":
            cases.append(
                Case(
                    f"{layer}.{id_col}.differs_only_by_blanks",
                    copy_from_first(layer, id_col, suffix=" "),
                    REFUSED,
                    rf"{layer}\.geojson row \d+: duplicate {id_col}",
                    fast=True,
                )
            )
    return cases


# --- geometries ------------------------------------------------------------------------


def _geometry(change: Callable[[dict], dict | None]):
    def edit(features: list[dict]) -> None:
        feature = features[_row(features)]
        feature["geometry"] = change(feature["geometry"])

    return edit


def _first_xy(geometry: dict) -> list[float]:
    coords = geometry["coordinates"]
    while isinstance(coords[0], list):
        coords = coords[0]
    return coords


def _set_first_xy(value: Callable[[list[float]], list[float]]):
    def change(geometry: dict) -> dict:
        xy = _first_xy(geometry)
        xy[:] = value(list(xy))
        return geometry

    return change


def _other_type(geometry: dict) -> dict:
    x, y = _first_xy(geometry)
    if geometry["type"] == "Point":
        return {"type": "LineString", "coordinates": [[x, y], [x + 0.01, y]]}
    if geometry["type"] in {"LineString", "MultiLineString"}:
        return {"type": "Point", "coordinates": [x, y]}
    return {"type": "LineString", "coordinates": [[x, y], [x + 0.01, y]]}


def _wrong_crs(work: Path, layer: str) -> None:
    """Degrees in the file, but a projected CRS declared (the old GeoJSON ``crs`` member)."""
    path = layer_path(work, layer)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32650"}}
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


GEOMETRY_MUTATIONS: dict[str, Callable[[dict], dict | None]] = {
    "wrong_type": _other_type,
    "null": lambda _g: None,
    "nan": _set_first_xy(lambda xy: [math.nan, xy[1]]),
    "inf": _set_first_xy(lambda xy: [xy[0], math.inf]),
    "huge": _set_first_xy(lambda xy: [1e308, xy[1]]),
    "swapped": _set_first_xy(lambda xy: [xy[1], xy[0]]),
}


def geometry_cases() -> list[Case]:
    """Every layer's geometry x wrong type, null, NaN, inf, huge, swapped and wrong CRS."""
    cases = []
    for layer, (_model, _geoms, _id) in LAYER_ROWS.items():
        for mutation, change in GEOMETRY_MUTATIONS.items():
            expect = REFUSED
            if layer == "townships" and mutation == "wrong_type":
                expect = REFUSED  # a line is neither a point nor an area
            cases.append(
                Case(
                    f"{layer}.geometry.{mutation}",
                    edit_features(layer, _geometry(change)),
                    expect,
                    r"\.geojson|villages|bus_stops|roads|hubs|station_sites|centre_sites",
                    fast=layer == "villages",
                )
            )
        expect = EITHER if layer == "townships" else REFUSED  # township points are labels
        cases.append(
            Case(
                f"{layer}.geometry.wrong_crs",
                lambda work, layer=layer: _wrong_crs(work, layer),
                expect,
                fast=layer == "villages",
            )
        )
    return cases


# --- whole files -----------------------------------------------------------------------


def _replace_file(layer: str, content: bytes | None):
    def apply(work: Path) -> None:
        path = layer_path(work, layer)
        path.unlink()
        if content is not None:
            path.write_bytes(content)

    return apply


def _as_folder(layer: str):
    def apply(work: Path) -> None:
        path = layer_path(work, layer)
        path.unlink()
        path.mkdir()
        (path / "inside.txt").write_text("x", encoding="utf-8")

    return apply


def _link_loop(layer: str):
    def apply(work: Path) -> None:
        path = layer_path(work, layer)
        path.unlink()
        path.symlink_to(path.name)

    return apply


def _broken_link(layer: str):
    def apply(work: Path) -> None:
        path = layer_path(work, layer)
        path.unlink()
        path.symlink_to("nowhere.geojson")

    return apply


def _gpkg(layer: str, *, twice: bool = False, layer_names: tuple[str, ...] = ()):
    """The layer as a GeoPackage (and the GeoJSON kept, when ``twice``)."""

    def apply(work: Path) -> None:
        path = layer_path(work, layer)
        frame = gpd.read_file(path)
        target = path.with_suffix(".gpkg")
        for name in layer_names or (layer,):
            pyogrio.write_dataframe(
                frame, target, layer=name, driver="GPKG", append=target.exists()
            )
        if not twice:
            path.unlink()

    return apply


def _gbk(layer: str):
    def apply(work: Path) -> None:
        path = layer_path(work, layer)
        path.write_bytes(path.read_text(encoding="utf-8").encode("gb18030"))

    return apply


def file_cases() -> list[Case]:
    """Every layer file x gone, empty, broken, a folder, links, twice, GeoPackage, GBK."""
    cases = []
    empty_collection = b'{"type": "FeatureCollection", "features": []}'
    for layer in LAYER_ROWS:
        optional = layer in {"boundary", "bus_stops"}
        name = rf"{layer}\.(geojson|gpkg)"
        variants = [
            ("gone", _replace_file(layer, None), LEGAL if optional else REFUSED, rf"{layer}\.geojson: file is missing"),
            ("zero_bytes", _replace_file(layer, b""), REFUSED, name),
            ("not_json", _replace_file(layer, b"{not json"), REFUSED, rf"{name}: cannot be read"),
            ("binary", _replace_file(layer, bytes(range(256)) * 4), REFUSED, name),
            ("no_features", _replace_file(layer, empty_collection), REFUSED, rf"{name}: has no features"),
            ("folder", _as_folder(layer), REFUSED, rf"{name}: is a folder, not a file"),
            ("link_loop", _link_loop(layer), REFUSED, rf"{name}: is a symbolic link loop"),
            ("broken_link", _broken_link(layer), REFUSED, rf"{name}: is a broken symbolic link"),
            ("twice", _gpkg(layer, twice=True), REFUSED, r"the layer is given twice"),
            ("gpkg", _gpkg(layer), LEGAL, None),
            ("gpkg_extra_layer", _gpkg(layer, layer_names=(layer, "notes")), LEGAL, None),
            ("gpkg_other_layers", _gpkg(layer, layer_names=("a", "b")), REFUSED, r"holds 2 layers \(a, b\) and none is named"),
            ("gbk", _gbk(layer), LEGAL, None),
        ]  # fmt: skip
        cases += [
            Case(f"{layer}.file.{what}", breaks, expect, pattern, fast=layer == "villages")
            for what, breaks, expect, pattern in variants
        ]
    return cases


# --- bus_lines.csv ---------------------------------------------------------------------


def _bus_csv(text: str | bytes):
    def apply(work: Path) -> None:
        path = work / "county" / "bus_lines.csv"
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")

    return apply


_HEADER = list(BusLineRow.model_fields)
_ROW = {"line_id": "L1", "name": "一路", "trips_per_day": "2", "capacity_parcels_per_trip": "",
        "fee_yuan_per_parcel": "", "source": "generated test data"}  # fmt: skip


def _bus_row(column: str, value: str | None) -> str:
    header = [c for c in _HEADER if value is not None or c != column]
    row = {**_ROW, column: value}
    return ",".join(header) + "\n" + ",".join(str(row[c]) for c in header) + "\n"


def bus_line_cases() -> list[Case]:
    """bus_lines.csv: every column x bad cells, and the file's own breakages."""
    cells = {"nan": "nan", "inf": "inf", "-inf": "-inf", "huge": "1e308", "negative": "-1",
             "zero": "0", "text": "lots", "empty": "", "padded": " L1 "}  # fmt: skip
    cases = []
    for column in _HEADER:
        numeric = column in {"trips_per_day", "capacity_parcels_per_trip", "fee_yuan_per_parcel"}
        for what, cell in cells.items():
            if column == "line_id":
                expect = LEGAL if what == "padded" else REFUSED
            elif numeric:
                expect = LEGAL if what in {"empty"} else REFUSED
                if what == "zero" and column == "fee_yuan_per_parcel":
                    expect = LEGAL
                if what == "padded":
                    expect = REFUSED  # " L1 " is not a number
            else:
                expect = LEGAL
            cases.append(
                Case(
                    f"bus_lines.{column}.{what}",
                    _bus_csv(_bus_row(column, cell)),
                    expect,
                    r"bus_lines\.csv|bus_stops" if expect == REFUSED else None,
                    fast=column == "trips_per_day",
                )
            )
        required = column == "line_id"
        cases.append(
            Case(
                f"bus_lines.{column}.column_gone",
                _bus_csv(_bus_row(column, None)),
                REFUSED if required else LEGAL,
                r"bus_lines\.csv: column line_id is missing" if required else None,
            )
        )
    header = ",".join(_HEADER) + "\n"
    row = ",".join(_ROW.values()) + "\n"
    files = [
        ("zero_bytes", b"", REFUSED, r"bus_lines\.csv: is empty"),
        ("header_only", header, REFUSED, r"line_id 'L1' is not in bus_lines\.csv"),
        ("open_quote", header + 'L1,"一路,2,,,x\n', REFUSED, r"bus_lines\.csv: line 2: .*quote"),
        ("extra_field", header + row.strip() + ",extra\n", REFUSED, r"bus_lines\.csv: line 2 has 7 fields"),
        ("duplicate_line", header + row + row, REFUSED, r"bus_lines\.csv row 2: duplicate line_id 'L1'"),
        ("blanks_duplicate", header + row + row.replace("L1", "L1 ", 1), REFUSED, r"duplicate line_id 'L1'"),
        ("repeated_header", header.replace("name", "line_id") + row, REFUSED, r"the header repeats 'line_id'"),
        ("line_without_stops", header + row + row.replace("L1", "L2", 1), LEGAL, None),
        ("gbk", (header + row).encode("gb18030"), LEGAL, None),
        ("short_row", header + "L1,一路,2\n", LEGAL, None),
    ]  # fmt: skip
    cases += [
        Case(f"bus_lines.file.{what}", _bus_csv(text), expect, pattern, fast=True)
        for what, text, expect, pattern in files
    ]
    cases.append(
        Case("bus_lines.file.folder", _bus_csv_folder, REFUSED, r"bus_lines\.csv: is a folder")
    )
    return cases


def _bus_csv_folder(work: Path) -> None:
    path = work / "county" / "bus_lines.csv"
    path.unlink()
    path.mkdir()


# --- a GTFS feed instead of the bus layers --------------------------------------------


def _gtfs(change: Callable[[Path], None] | None = None):
    """Replace the bus layers by the tiny GTFS feed, then break one of its files."""

    def apply(work: Path) -> None:
        (work / "county" / "bus_stops.geojson").unlink()
        (work / "county" / "bus_lines.csv").unlink()
        feed = work / "county" / "gtfs"
        shutil.copytree(DATA / "tiny_gtfs" / "gtfs", feed)
        if change is not None:
            change(feed)

    return apply


def _gtfs_edit(name: str, old: str, new: str):
    def change(feed: Path) -> None:
        path = feed / name
        text = path.read_text(encoding="utf-8")
        assert old in text, (name, old)
        path.write_text(text.replace(old, new), encoding="utf-8")  # every trip alike

    return change


def _gtfs_file(name: str, content: str | None):
    def change(feed: Path) -> None:
        if content is None:
            (feed / name).unlink()
        else:
            (feed / name).write_text(content, encoding="utf-8")

    return change


def _one_stop_route(feed: Path) -> None:
    path = feed / "stop_times.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([lines[0], *[x for x in lines[1:] if x.endswith(",1")]]) + "\n")


def gtfs_cases() -> list[Case]:
    """A GTFS feed: unknown or misplaced stops, one-stop routes, broken or missing files."""
    variants = [
        ("valid", None, LEGAL, None),
        ("unknown_stop", _gtfs_edit("stop_times.txt", ",c1,", ",c9,"), REFUSED, r"stop_times\.txt: stop_id 'c9' is not in stops\.txt"),
        ("stop_without_position", _gtfs_edit("stops.txt", "c1,c1,36.4151817,117.0223083", "c1,c1,,"), REFUSED, r"stops\.txt: stop_id 'c1' has no valid position"),
        ("stop_position_text", _gtfs_edit("stops.txt", "36.4151817", "north"), REFUSED, r"gtfs|stops\.txt"),
        ("stop_swapped", _gtfs_edit("stops.txt", "36.4151817,117.0223083", "117.0223083,36.4151817"), REFUSED, r"stops\.txt: stop_id 'c1' has no valid position"),
        ("one_stop_route", _one_stop_route, REFUSED, r"\(line_id=L1\): has 1 stop"),
        ("stop_times_empty", _gtfs_file("stop_times.txt", ""), REFUSED, r"gtfs"),
        ("stop_times_open_quote", _gtfs_file("stop_times.txt", 'trip_id,stop_id,stop_sequence\n"t0,hub,1\n'), REFUSED, r"gtfs|stop_times"),
        ("stops_missing", _gtfs_file("stops.txt", None), REFUSED, r"stops\.txt: file is missing from the GTFS feed"),
        ("no_trips_today", _gtfs_edit("calendar.txt", "daily,1,1,1,1,1,1,1", "daily,0,0,0,0,0,0,0"), EITHER, None),
    ]  # fmt: skip
    return [
        Case(f"gtfs.{what}", _gtfs(change), expect, pattern, fast=True)
        for what, change, expect, pattern in variants
    ]


# --- dataset.toml ----------------------------------------------------------------------


def _dataset_toml(text: str | None):
    def apply(work: Path) -> None:
        path = work / "county" / "dataset.toml"
        if text is None:
            path.unlink()
        else:
            path.write_text(text, encoding="utf-8")

    return apply


def dataset_toml_cases() -> list[Case]:
    """dataset.toml: its CRS, lists and name, wrong in every way found."""
    ok = 'name = "小县"\n'
    variants = [
        ("crs_geographic", ok + 'crs = "EPSG:4326"\n', REFUSED, r"crs EPSG:4326 is geographic"),
        ("crs_unknown", ok + 'crs = "EPSG:99999"\n', REFUSED, r"crs 'EPSG:99999' is not a known"),
        ("crs_feet", ok + 'crs = "EPSG:2263"\n', REFUSED, r"crs EPSG:2263 measures in .*foot"),
        ("crs_number", ok + "crs = 5\n", REFUSED, r"crs must be text"),
        ("crs_empty", ok + 'crs = ""\n', REFUSED, r"crs must be text"),
        ("crs_utm", ok + 'crs = "EPSG:32650"\n', LEGAL, None),
        ("generated_text", ok + 'generated = "everything"\n', REFUSED, r"generated must be a list of text, got 'everything'"),
        ("generated_numbers", ok + "generated = [1]\n", REFUSED, r"generated must be a list"),
        ("attribution_text", ok + 'attribution = "OSM"\n', REFUSED, r"attribution must be a list"),
        ("name_number", "name = 5\n", REFUSED, r"dataset\.toml: key 'name' is missing"),
        ("name_empty", 'name = ""\n', REFUSED, r"key 'name' is missing"),
        ("syntax", "name = \n", REFUSED, r"dataset\.toml: not valid UTF-8 TOML"),
        ("gone", None, REFUSED, r"dataset\.toml: file is missing"),
        ("other_key", ok + 'note = "kept"\n', LEGAL, None),
    ]  # fmt: skip
    return [
        Case(f"dataset_toml.{what}", _dataset_toml(text), expect, pattern, fast=True)
        for what, text, expect, pattern in variants
    ]


# --- scenario keys ---------------------------------------------------------------------


def _key_kind(model: type[BaseModel], key: str) -> str:  # noqa: PLR0911 - one per kind
    annotation = model.model_fields[key].annotation
    if key == "lp_screening":
        return "screening"
    inner = _inner(annotation)
    if typing.get_origin(inner) is dict:
        return "mapping"
    if typing.get_origin(inner) in (tuple, list):
        return "sequence"
    if inner is Path:
        return "path"
    if typing.get_origin(inner) is typing.Literal:
        return "literal"
    if inner is bool:
        return "bool"
    if inner in (int, float):
        return "number"
    return "text"


_BAD_VALUES = {  # kind -> mutation -> value; every one must be refused
    "number": {"negative": -1, "huge": 1e308, "nan": math.nan, "inf": math.inf,
               "-inf": -math.inf, "big_int": 2**40, "text": "5", "table": {"x": 1},
               "list": [1], "bool": True},
    "bool": {"text": "no", "int": 1, "table": {"x": 1}},
    "text": {"int": 5, "table": {"x": 1}, "list": ["a"]},
    "literal": {"unknown": "zzz", "int": 5},
    "path": {"int": 5, "table": {"x": 1}, "list": []},
    "screening": {"text": "maybe", "int": 5},
    "mapping": {"int": 5, "text": "x", "list": [1], "nan_inside": {"a": math.nan},
                "negative_inside": {"a": -1}, "text_inside": {"a": "x"}},
    "sequence": {"int": 5, "text": "everything", "table": {"x": 1}, "numbers_inside": [1]},
}  # fmt: skip


def scenario_key_cases() -> list[Case]:
    """Every scenario key (every section, [scenario] and [[phases]]) x wrong type and range."""
    sections: list[tuple[str, type[BaseModel]]] = [("scenario", ScenarioMeta)]
    for section, field in Scenario.model_fields.items():
        model = field.annotation
        if isinstance(model, type) and issubclass(model, BaseModel) and section != "scenario":
            sections.append((section, model))
    sections.append(("phases", Phase))
    cases = []
    for section, model in sections:
        for key in model.model_fields:
            for what, value in _BAD_VALUES[_key_kind(model, key)].items():
                where = rf"\[{section}\]" + (r"\.0" if section == "phases" else "")
                cases.append(
                    Case(
                        f"scenario.{section}.{key}.{what}",
                        scenario_with(section, key, value),
                        REFUSED,
                        rf"s\.toml {where}\.{key}(\.\w+)?: ",
                        fast=section == "solver" or (section, key) == ("phases", "demand_factor"),
                    )
                )
    return cases


def _chain(base_text: str, child: dict[str, Any]):
    def apply(work: Path) -> None:
        (work / "base.toml").write_text(base_text, encoding="utf-8")
        write_scenario(work, child)

    return apply


def scenario_shape_cases() -> list[Case]:
    """The scenario file's own shape: tables that are values, lists, extends chains."""
    meta = SCENARIO["scenario"]
    child = {"scenario": {"extends": "base.toml", "name": "child"}}
    shapes = [
        ("scenario_is_text", {"scenario": "x"}, r"\[scenario\]: must be a table"),
        ("section_is_number", {**SCENARIO, "van": 5}, r"\[van\]: must be a table"),
        ("phases_is_number", {**SCENARIO, "phases": 5}, r"\[phases\]: must be a list of \[\[phases\]\] tables"),
        ("phases_of_numbers", {**SCENARIO, "phases": [5]}, r"\[phases\]\.0: must be a table"),
        ("phase_without_target", {**SCENARIO, "phases": [{"name": "a"}]}, r"\[phases\]\.0\.coverage_target: required"),
        ("key_at_top", {"seed": 3, **SCENARIO}, r"\[seed\]: unknown key; 'seed' belongs in \[scenario\]"),
        ("no_scenario_table", {"service": {"max_access_km": 2.0}}, r"\[scenario\]: required key is missing"),
        ("dataset_is_a_file", {**SCENARIO, "scenario": {**meta, "dataset": "s.toml"}}, r"\[scenario\]\.dataset: folder .* is not a folder"),
        ("dataset_missing", {**SCENARIO, "scenario": {**meta, "dataset": "nowhere"}}, r"\[scenario\]\.dataset: folder .* does not exist"),
        ("extends_missing", {**SCENARIO, "scenario": {**meta, "extends": "nowhere.toml"}}, r"\[scenario\]\.extends: .*nowhere\.toml not found"),
        ("extends_folder", {**SCENARIO, "scenario": {**meta, "extends": "county"}}, r"\[scenario\]\.extends: .*county is a folder"),
        ("extends_itself", {**SCENARIO, "scenario": {**meta, "extends": "s.toml"}}, r"extend each other in a loop"),
    ]  # fmt: skip
    cases = [
        Case(f"scenario.shape.{what}", lambda work, raw=raw: write_scenario(work, raw), REFUSED, pattern, fast=True)
        for what, raw, pattern in shapes
    ]  # fmt: skip
    base = toml_text(SCENARIO)
    chains = [
        ("extends_bad_key_in_base", base + "[van]\nyuan_per_km = \"x\"\n", child, REFUSED, r"base\.toml \[van\]\.yuan_per_km: input should be a valid number"),
        ("extends_nan_in_base", base + "[van]\nyuan_per_km = nan\n", child, REFUSED, r"base\.toml \[van\]\.yuan_per_km: must be a finite number"),
        ("extends_bad_key_in_child", base, {**child, "van": {"yuan_per_km": -1}}, REFUSED, r"s\.toml \[van\]\.yuan_per_km: input should be greater"),
        ("extends_base_not_toml", "[scenario\n", child, REFUSED, r"base\.toml: not a valid UTF-8 TOML file"),
        ("extends_ok", base, child, LEGAL, None),
    ]  # fmt: skip
    cases += [
        Case(f"scenario.chain.{what}", _chain(text, raw), expect, pattern, fast=True)
        for what, text, raw, expect, pattern in chains
    ]
    extremes = [  # legal values at the edge of their range (a tiny rate once divided by zero)
        ("discount_rate_tiny", "finance", "discount_rate", 2.2e-159),
        ("discount_rate_one", "finance", "discount_rate", 1.0),
        ("lifetime_longest", "station", "lifetime_years", 100),
        ("coverage_tiny", "service", "coverage_target", 1e-300),
        ("max_access_tiny", "service", "max_access_km", 1e-300),
    ]
    cases += [
        Case(f"scenario.edge.{what}", scenario_with(section, key, value), EITHER if "tiny" in what and section == "service" else LEGAL, fast=True)
        for what, section, key, value in extremes
    ]  # fmt: skip
    files = [
        ("empty_file", b"", r"\[scenario\]: required key is missing"),
        ("utf16_file", toml_text(SCENARIO).encode("utf-16"), r"s\.toml: not a valid UTF-8 TOML file"),
        ("syntax", b"[scenario\n", r"s\.toml: not a valid UTF-8 TOML file"),
    ]  # fmt: skip
    cases += [
        Case(f"scenario.file.{what}", lambda work, b=raw: (work / "s.toml").write_bytes(b), REFUSED, pattern, fast=True)
        for what, raw, pattern in files
    ]  # fmt: skip
    return cases


def all_cases() -> list[Case]:
    """The whole catalogue (ids are unique)."""
    cases = (
        column_cases()
        + geometry_cases()
        + file_cases()
        + bus_line_cases()
        + gtfs_cases()
        + dataset_toml_cases()
        + scenario_key_cases()
        + scenario_shape_cases()
    )
    ids = [c.id for c in cases]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    return cases
