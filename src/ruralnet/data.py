"""Read and validate a county dataset folder into :class:`Inputs`; write one with :func:`write_dataset`.

The format is defined twice, once for people (README, "County dataset format") and once
for the machine: the pydantic row models in :mod:`ruralnet.dataset_rows`. Every problem found
is collected and raised once as a :class:`~ruralnet.errors.DataError` naming the file, row and
fix.
"""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely

from ruralnet._files import atomic_path, write_text_atomic
from ruralnet._readers import path_problem, read_csv, read_toml, read_vector
from ruralnet.dataset_rows import (
    LAYER_ROWS,
    BusLineRow,
    check_rows,
    check_unique,
    normalise_rows,
)
from ruralnet.errors import DataError, RuralnetWarning
from ruralnet.gtfs import read_gtfs_lines

__all__ = [
    "LAYERS",
    "CountyDataset",
    "DatasetMeta",
    "Inputs",
    "dataset_stats",
    "load_inputs",
    "write_dataset",
]

log = logging.getLogger(__name__)

_OPTIONAL = frozenset({"boundary", "bus_stops"})
_SUFFIXES = (".geojson", ".gpkg")


@dataclass(frozen=True)
class DatasetMeta:
    """What ``dataset.toml`` says: name, CRS, generated fields and attribution."""

    name: str
    folder: Path
    crs: str | None = None
    generated: tuple[str, ...] = ()
    attribution: tuple[str, ...] = ()


@dataclass(frozen=True)
class Inputs:
    """A validated county dataset, every layer in one metric CRS and sorted by id."""

    meta: DatasetMeta
    crs: pyproj.CRS
    villages: gpd.GeoDataFrame
    townships: gpd.GeoDataFrame
    station_sites: gpd.GeoDataFrame
    centre_sites: gpd.GeoDataFrame
    hubs: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame
    boundary: gpd.GeoDataFrame | None = None
    bus_stops: gpd.GeoDataFrame | None = None
    bus_lines: pd.DataFrame | None = None


def _read_meta(folder: Path) -> DatasetMeta:
    path = folder / "dataset.toml"
    if path_problem(path) == "file is missing":
        raise DataError(path, "file is missing", 'Add a dataset.toml with at least name = "..."')
    raw = read_toml(path)
    if not isinstance(raw.get("name"), str) or not raw["name"].strip():
        raise DataError(path, "key 'name' is missing", 'Add name = "County name"')
    lists = {}
    for key in ("generated", "attribution"):
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise DataError(
                path,
                f"{key} must be a list of text, got {value!r}",
                f'Write {key} = ["..."] (one string per item)',
            )
        lists[key] = tuple(value)
    return DatasetMeta(
        name=raw["name"],
        folder=folder,
        crs=_metric_crs(raw.get("crs"), path),
        generated=lists["generated"],
        attribution=lists["attribution"],
    )


def _metric_crs(value: object, path: Path) -> str | None:
    """Check ``crs`` of dataset.toml: a known, projected CRS in metres (distances need one)."""
    if value is None:
        return None
    fix = (
        'Give the county\'s projected CRS in metres, e.g. crs = "EPSG:32650" (UTM 50N), '
        "or remove the key to use the villages' UTM zone"
    )
    if not isinstance(value, str) or not value.strip():
        raise DataError(path, f"crs must be text such as 'EPSG:32650', got {value!r}", fix)
    try:
        crs = pyproj.CRS.from_user_input(value)
    except pyproj.exceptions.CRSError:
        raise DataError(
            path, f"crs {value!r} is not a known coordinate reference system", fix
        ) from None
    if not crs.is_projected:
        raise DataError(
            path, f"crs {value} is geographic (degrees); distances need a projected CRS", fix
        )
    units = sorted({axis.unit_name for axis in crs.axis_info} - {"metre"})
    if units:
        raise DataError(path, f"crs {value} measures in {', '.join(units)}, not metres", fix)
    return value


def _find_layer(folder: Path, layer: str) -> Path | None:
    found = [
        path
        for path in (folder / f"{layer}{suffix}" for suffix in _SUFFIXES)
        if path_problem(path) != "file is missing"
    ]
    if len(found) > 1:
        raise DataError(
            found[0],
            f"the layer is given twice ({' and '.join(p.name for p in found)})",
            "Keep one of the two files",
        )
    return found[0] if found else None


def _check_geometry(
    frame: gpd.GeoDataFrame, path: Path, allowed: frozenset[str], id_col: str | None
) -> list[DataError]:
    problems: list[DataError] = []
    kinds = frame.geometry.geom_type
    for i in np.flatnonzero(frame.geometry.isna() | frame.geometry.is_empty):
        feature = f"{id_col}={frame.iloc[i][id_col]}" if id_col and id_col in frame else None
        problems.append(
            DataError(
                path,
                "empty geometry",
                "Give the feature a location or drop it",
                row=i + 1,
                feature=feature,
            )
        )
    for i in np.flatnonzero(~kinds.isin(allowed) & kinds.notna()):
        feature = f"{id_col}={frame.iloc[i][id_col]}" if id_col and id_col in frame else None
        problems.append(
            DataError(
                path,
                f"geometry is {kinds.iloc[i]}, expected {' or '.join(sorted(allowed))}",
                "Convert the geometry",
                row=i + 1,
                feature=feature,
            )
        )
    problems += _check_finite(frame, path, id_col)
    if frame.crs is not None and frame.crs.is_geographic and not problems:
        problems += _check_degrees(frame, path, id_col)
    return problems


def _check_finite(frame: gpd.GeoDataFrame, path: Path, id_col: str | None) -> list[DataError]:
    coords, index = shapely.get_coordinates(frame.geometry.to_numpy(), return_index=True)
    bad = np.unique(index[~np.isfinite(coords).all(axis=1)])
    return [
        DataError(
            path,
            "coordinates are not finite numbers (NaN or infinity)",
            "Give the feature real coordinates or drop it",
            row=int(i) + 1,
            feature=f"{id_col}={frame.iloc[i][id_col]}" if id_col and id_col in frame else None,
        )
        for i in bad
    ]


def _check_degrees(frame: gpd.GeoDataFrame, path: Path, id_col: str | None) -> list[DataError]:
    bounds = frame.geometry.bounds
    bad_lon = (bounds["minx"] < -180) | (bounds["maxx"] > 180)  # noqa: PLR2004
    bad_lat = (bounds["miny"] < -90) | (bounds["maxy"] > 90)  # noqa: PLR2004
    problems = []
    for i in np.flatnonzero(bad_lon | bad_lat):
        feature = f"{id_col}={frame.iloc[i][id_col]}" if id_col and id_col in frame else None
        x, y = bounds["minx"].iloc[i], bounds["miny"].iloc[i]
        if abs(x) <= 90 and abs(y) <= 180:  # noqa: PLR2004
            problem, fix = (
                f"latitude {y:.4f} is beyond 90: longitude and latitude look swapped",
                "Swap the two coordinates",
            )
        else:
            problem = f"coordinates ({x:.0f}, {y:.0f}) are not degrees but the file says WGS84"
            fix = "Save the file with its real projected CRS (e.g. EPSG:32650) or reproject it to WGS84"
        problems.append(DataError(path, problem, fix, row=i + 1, feature=feature))
    return problems


def _read_layer(folder: Path, layer: str, crs: pyproj.CRS | None) -> gpd.GeoDataFrame | None:
    model, allowed, id_col = LAYER_ROWS[layer]
    path = _find_layer(folder, layer)
    if path is None:
        if layer in _OPTIONAL:
            return None
        raise DataError(
            folder / f"{layer}.geojson", "file is missing", "Add the layer as .geojson or .gpkg"
        )
    frame = read_vector(path)
    problems = _check_geometry(frame, path, allowed, id_col)
    row_problems, rows = check_rows(frame, path, model, id_col)
    problems += row_problems + check_unique(rows, path, id_col)
    if problems:
        raise DataError.combine(problems)
    frame = normalise_rows(frame, model, id_col, rows)
    if crs is not None:
        frame = frame.to_crs(crs)
    frame.attrs["path"] = str(path)
    return frame


def _read_bus_lines(folder: Path) -> pd.DataFrame | None:
    path = folder / "bus_lines.csv"
    if path_problem(path) == "file is missing":
        return None
    frame = read_csv(path, fix="Give bus_lines.csv as a CSV file, or remove it")
    problems, rows = check_rows(frame, path, BusLineRow, "line_id")
    problems += check_unique(rows, path, "line_id")
    if problems:
        raise DataError.combine(problems)
    frame = pd.DataFrame(normalise_rows(frame, BusLineRow, None, rows))
    return frame.sort_values("line_id").reset_index(drop=True)


def _check_references(inputs: Inputs) -> None:
    townships = set(inputs.townships["township_id"])
    villages = set(inputs.villages["village_id"])
    checks = [
        (inputs.villages, "township_id", townships, "village_id", "townships"),
        (inputs.centre_sites, "township_id", townships, "site_id", "townships"),
        (inputs.station_sites, "village_id", villages, "site_id", "villages"),
    ]
    problems = []
    for frame, column, known, id_col, target in checks:
        bad = frame[frame[column].notna() & ~frame[column].isin(known)]
        problems += [
            DataError(
                frame.attrs["path"],
                f"{column} {value!r} is not in {target}",
                f"Use an id from the {target} layer or add it there",
                feature=f"{id_col}={ident}",
            )
            for ident, value in zip(bad[id_col], bad[column], strict=True)
        ]
    if inputs.bus_stops is not None and inputs.bus_lines is not None:
        lines = set(inputs.bus_lines["line_id"])
        bad = inputs.bus_stops[~inputs.bus_stops["line_id"].isin(lines)]
        problems += [
            DataError(
                inputs.bus_stops.attrs["path"],
                f"line_id {v!r} is not in bus_lines.csv",
                "Add the line",
                feature=f"stop_id={s}",
            )
            for v, s in zip(bad["line_id"], bad["stop_id"], strict=True)
        ]
    if inputs.bus_stops is not None:
        problems += _check_stop_order(inputs.bus_stops)
        sizes = inputs.bus_stops.groupby("line_id").size()
        problems += [
            DataError(
                inputs.bus_stops.attrs["path"],
                f"has {n} stop; a bus line needs at least two",
                "Add the line's other stops or remove it",
                feature=f"line_id={line}",
            )
            for line, n in sizes[sizes < 2].items()  # noqa: PLR2004
        ]
    if problems:
        raise DataError.combine(problems)


def _check_stop_order(stops: gpd.GeoDataFrame) -> list[DataError]:
    """Two stops of one line with the same ``seq`` leave the line's order undefined."""
    twice = stops[stops.duplicated(["line_id", "seq"], keep=False)]
    return [
        DataError(
            stops.attrs["path"],
            f"stops {', '.join(group['stop_id'])} share seq {seq}, so the line's order is unclear",
            "Number the stops of each line 1, 2, 3, ... in the order the bus serves them",
            feature=f"line_id={line}",
        )
        for (line, seq), group in twice.groupby(["line_id", "seq"], sort=True)
    ]


def _warn_unused_lines(inputs: Inputs) -> None:
    """Lines in bus_lines.csv without stops are legal but carry nothing: say so."""
    if inputs.bus_lines is None or not len(inputs.bus_lines):
        return
    with_stops = set() if inputs.bus_stops is None else set(inputs.bus_stops["line_id"])
    idle = sorted(set(inputs.bus_lines["line_id"]) - with_stops)
    if idle:
        where = "the bus_stops layer" if inputs.bus_stops is not None else "any bus_stops layer"
        warnings.warn(
            f"bus_lines.csv: {len(idle)} line(s) have no stops in {where} "
            f"({', '.join(idle[:10])}); they carry no parcels. Add their stops or drop the rows.",
            RuralnetWarning,
            stacklevel=3,
        )


def _check_inside(inputs: Inputs) -> None:
    """Villages far outside the county boundary usually mean swapped lon/lat or a wrong CRS."""
    if inputs.boundary is None:
        return
    area = inputs.boundary.geometry.union_all().buffer(10_000)
    outside = inputs.villages[~inputs.villages.geometry.within(area)]
    if len(outside) == 0:
        return
    problems = [
        DataError(
            inputs.villages.attrs["path"],
            "lies more than 10 km outside the county boundary",
            "Check for swapped longitude/latitude or a wrong CRS",
            feature=f"village_id={ident}",
        )
        for ident in outside["village_id"]
    ]
    raise DataError.combine(problems)


def load_inputs(dataset: str | Path) -> Inputs:
    """
    Read every layer of a county dataset folder, validate it and project it to metres.

    Parameters
    ----------
    dataset
        The dataset folder (see the README's "County dataset format"). Bus lines come from
        the ``bus_stops`` layer and ``bus_lines.csv``, or else from a ``gtfs/`` folder or
        ``gtfs.zip`` GTFS feed.

    Returns
    -------
    Inputs
        Layers in the dataset's projected CRS (``dataset.toml`` ``crs``, else the UTM zone
        of the villages), each sorted by its id.

    Raises
    ------
    DataError
        Naming the file, the row or feature, what is wrong and how to fix it.
    """
    folder = Path(dataset)
    if not folder.is_dir():
        raise DataError(
            folder, "dataset folder not found", "Check [scenario].dataset in the scenario"
        )
    meta = _read_meta(folder)
    villages = _read_layer(folder, "villages", None)
    assert villages is not None  # required layer
    crs = pyproj.CRS.from_user_input(meta.crs) if meta.crs else villages.estimate_utm_crs()
    layers = {name: _read_layer(folder, name, crs) for name in LAYER_ROWS if name != "villages"}
    bus_lines = _read_bus_lines(folder)
    gtfs = next((p for p in (folder / "gtfs", folder / "gtfs.zip") if p.exists()), None)
    if layers["bus_stops"] is None and gtfs is not None:
        stops, bus_lines = read_gtfs_lines(gtfs)
        stops = stops.to_crs(crs)
        stops.attrs["path"] = str(gtfs)
        layers["bus_stops"] = stops
    inputs = Inputs(
        meta=meta,
        crs=crs,
        villages=_with_path(villages.to_crs(crs), villages),
        bus_lines=bus_lines,
        **layers,
    )
    _check_references(inputs)
    _check_inside(inputs)
    _warn_unused_lines(inputs)
    log.info(
        "loaded %s: %d villages, %d road lines", meta.name, len(inputs.villages), len(inputs.roads)
    )
    return inputs


def _with_path(frame: gpd.GeoDataFrame, original: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    frame.attrs["path"] = original.attrs["path"]
    return frame


def dataset_stats(inputs: Inputs) -> dict[str, Any]:
    """
    Count and total a dataset's layers, for ``ruralnet info``.

    Parameters
    ----------
    inputs
        A loaded dataset.

    Returns
    -------
    dict
        Name, layer counts, road km by class, population and notes on generated data.
    """
    road_km = (
        (inputs.roads.geometry.length / 1000)
        .groupby(inputs.roads["highway"])
        .sum()
        .sort_values(ascending=False)
    )
    stats: dict[str, Any] = {
        "name": inputs.meta.name,
        "crs": inputs.crs.to_string(),
        "villages": len(inputs.villages),
        "townships": len(inputs.townships),
        "station sites": f"{len(inputs.station_sites)} ({int((inputs.station_sites['kind'] == 'existing').sum())} existing)",
        "centre sites": len(inputs.centre_sites),
        "hubs": f"{len(inputs.hubs)} ({int((inputs.hubs['status'] == 'fixed').sum())} fixed)",
        "road km": f"{road_km.sum():,.1f} ("
        + ", ".join(f"{k} {v:,.1f}" for k, v in road_km.items())
        + ")",
        "population": f"{pd.to_numeric(inputs.villages['population'], errors='coerce').sum():,.0f}",
        "bus lines": 0 if inputs.bus_lines is None else len(inputs.bus_lines),
    }
    if inputs.meta.generated:
        stats["GENERATED data"] = ", ".join(inputs.meta.generated)
    if inputs.meta.attribution:
        stats["attribution"] = "; ".join(inputs.meta.attribution)
    return stats


# --- writing ---------------------------------------------------------------------------

#: Layer names of the dataset format, in writing order.
LAYERS = (
    "boundary",
    "townships",
    "villages",
    "station_sites",
    "centre_sites",
    "hubs",
    "roads",
    "bus_stops",
)
_LAYER_OPTIONS = {"RFC7946": "YES", "COORDINATE_PRECISION": "7"}


@dataclass(frozen=True)
class CountyDataset:
    """A county dataset in memory, as :func:`write_dataset` writes it.

    Parameters
    ----------
    layers
        GeoDataFrames in EPSG:4326 keyed by layer name (:data:`LAYERS`).
    bus_lines
        The ``bus_lines.csv`` table.
    metadata
        The ``dataset.toml`` keys: ``name``, ``crs``, ``generated``, ``attribution``.
    """

    layers: Mapping[str, gpd.GeoDataFrame]
    bus_lines: pd.DataFrame
    metadata: Mapping[str, Any]


def write_dataset(dataset: CountyDataset, folder: str | Path) -> Path:
    """Write a dataset folder: ``NAME.geojson`` per layer, ``bus_lines.csv``, ``dataset.toml``.

    The one writer of dataset folders (generated counties and ``ruralnet prepare`` alike).
    Each file is written atomically; the same dataset always gives the same bytes. Layers
    listed in :data:`LAYERS` but absent from ``dataset.layers`` are not written.

    Parameters
    ----------
    dataset
        What to write.
    folder
        Destination folder (created if missing; other files in it are left alone).

    Returns
    -------
    pathlib.Path
        ``folder``.
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    for name in LAYERS:
        if name not in dataset.layers:
            continue
        with atomic_path(out / f"{name}.geojson") as tmp:
            pyogrio.write_dataframe(
                dataset.layers[name], tmp, driver="GeoJSON", layer=name, **_LAYER_OPTIONS
            )
    if dataset.bus_lines is not None:
        write_text_atomic(out / "bus_lines.csv", dataset.bus_lines.to_csv(index=False))
    write_text_atomic(out / "dataset.toml", _toml(dataset.metadata))
    log.info("wrote dataset %s to %s", dataset.metadata["name"], out)
    return out


def _toml(meta: Mapping[str, Any]) -> str:
    """Serialise flat string / list-of-string keys as TOML."""
    lines = ["# County dataset written by ruralnet.data.write_dataset (see data/README.md)."]
    for key, value in meta.items():
        if isinstance(value, str):
            lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")
        else:
            items = "".join(f"    {json.dumps(str(v), ensure_ascii=False)},\n" for v in value)
            lines.append(f"{key} = [\n{items}]")
    return "\n".join(lines) + "\n"
