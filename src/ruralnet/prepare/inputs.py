"""Read and check the planner's own files for ``prepare``: boundary, village list, points, bus CSV.

Every problem is raised as a :class:`~ruralnet.errors.DataError` naming the file, the row and
the fix. Coordinates in the points and bus files are converted to WGS84 here
(:mod:`ruralnet.prepare.coords`).
"""

from __future__ import annotations

import logging
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import shapely
from shapely.geometry.base import BaseGeometry

from ruralnet.errors import DataError, RuralnetWarning
from ruralnet.prepare.coords import normalise_crs, to_wgs84

__all__ = [
    "Boundary",
    "read_boundary",
    "read_bus_csv",
    "read_points",
    "read_village_list",
]

logger = logging.getLogger(__name__)

VILLAGE_COLUMNS = ("code12", "name", "township_code9", "township_name", "is_admin_village")
_CODE12 = re.compile(r"^\d{12}$")
_CODE9 = re.compile(r"^\d{9}$")
_LON_NAMES = ("lon", "lng", "longitude", "x")
_LAT_NAMES = ("lat", "latitude", "y")
_POLYGONS = ("Polygon", "MultiPolygon")


@dataclass(frozen=True)
class Boundary:
    """The county boundary in WGS84 with its name (from a ``name`` column, if any)."""

    path: Path
    geometry: BaseGeometry
    name: str | None


def read_boundary(path: str | Path) -> Boundary:
    """
    Read the county boundary: every (multi)polygon of the file, dissolved, in WGS84.

    Parameters
    ----------
    path
        GeoJSON, GeoPackage or any file GDAL reads.

    Returns
    -------
    Boundary
        The dissolved polygon and the first non-empty ``name``.

    Raises
    ------
    DataError
        When the file is missing, unreadable, empty or has no polygon.
    """
    src = Path(path)
    if not src.is_file():
        raise DataError(src, "the boundary file does not exist", "Check the --boundary path.")
    try:
        frame = pyogrio.read_dataframe(src)
    except Exception as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(
            src, f"cannot be read ({first})", "Save the boundary as GeoJSON (WGS84)."
        ) from None
    frame = frame[frame.geometry.notna()]
    frame = frame[frame.geom_type.isin(_POLYGONS)]
    if frame.empty:
        raise DataError(
            src, "holds no Polygon or MultiPolygon", "Pass the county outline as a polygon."
        )
    if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
        frame = frame.to_crs("EPSG:4326")
    geom = shapely.make_valid(shapely.union_all(frame.geometry.to_numpy()))
    minx, miny, maxx, maxy = geom.bounds
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:  # noqa: PLR2004
        raise DataError(
            src,
            "coordinates are not degrees but the file has no projected CRS",
            "Save the boundary with its CRS or reproject it to WGS84.",
        )
    name = None
    if "name" in frame.columns:
        names = [str(n).strip() for n in frame["name"] if isinstance(n, str) and n.strip()]
        name = names[0] if names else None
    return Boundary(src, geom, name)


def _read_csv(path: Path, what: str) -> pd.DataFrame:
    if not path.is_file():
        raise DataError(path, f"the {what} does not exist", "Check the path.")
    try:
        try:
            frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
        except UnicodeDecodeError:
            warnings.warn(
                f"{path.name} is not UTF-8; read it as GB18030. Save it as UTF-8 to silence this.",
                RuralnetWarning,
                stacklevel=3,
            )
            frame = pd.read_csv(path, dtype=str, encoding="gb18030", keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(path, f"cannot be read as CSV ({first})", "Save it as UTF-8 CSV.") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame.apply(lambda col: col.str.strip())


def read_village_list(path: str | Path) -> pd.DataFrame:
    """
    Read the statistics bureau's village list and keep the administrative villages.

    Parameters
    ----------
    path
        CSV with ``code12, name, township_code9, township_name, is_admin_village`` (the
        统计用区划代码 format; extra columns are ignored).

    Returns
    -------
    pandas.DataFrame
        Rows with ``is_admin_village == 1``, sorted by ``code12``; all columns str, plus
        ``row`` (1-based data row in the file).

    Raises
    ------
    DataError
        For a missing column, a malformed code, a duplicate code or no administrative village.
    """
    src = Path(path)
    frame = _read_csv(src, "village list")
    missing = [c for c in VILLAGE_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(
            src,
            f"column {', '.join(missing)} is missing",
            "Use the 统计用区划代码 layout: " + ", ".join(VILLAGE_COLUMNS) + ".",
        )
    frame["row"] = np.arange(1, len(frame) + 1)
    for column, pattern, digits in (("code12", _CODE12, 12), ("township_code9", _CODE9, 9)):
        bad = frame[~frame[column].str.match(pattern)]
        if not bad.empty:
            first = bad.iloc[0]
            raise DataError(
                src,
                f"{column} {first[column]!r} is not a {digits}-digit code",
                "Keep the codes as text with their leading digits.",
                row=int(first["row"]),
            )
    bad = frame[~frame["is_admin_village"].isin(["0", "1"])]
    if not bad.empty:
        first = bad.iloc[0]
        raise DataError(
            src,
            f"is_admin_village {first['is_admin_village']!r} is not 0 or 1",
            "Mark administrative villages with 1 and other units with 0.",
            row=int(first["row"]),
        )
    dup = frame[frame["code12"].duplicated()]
    if not dup.empty:
        first = dup.iloc[0]
        raise DataError(
            src,
            f"duplicate code12 {first['code12']}",
            "Keep one row per code.",
            row=int(first["row"]),
        )
    villages = frame[frame["is_admin_village"] == "1"]
    if villages.empty:
        raise DataError(
            src,
            "has no administrative village (is_admin_village = 1)",
            "Pass the village list of the county with is_admin_village filled in.",
        )
    return villages.sort_values("code12", ignore_index=True)


def _lonlat_columns(frame: pd.DataFrame, src: Path) -> tuple[str, str]:
    lower = {c.lower(): c for c in frame.columns}
    lon = next((lower[n] for n in _LON_NAMES if n in lower), None)
    lat = next((lower[n] for n in _LAT_NAMES if n in lower), None)
    if lon is None or lat is None:
        raise DataError(
            src, "columns lon and lat are missing", "Add lon and lat columns (degrees)."
        )
    return lon, lat


def _coordinates(frame: pd.DataFrame, src: Path, crs: str) -> pd.DataFrame:
    lon_col, lat_col = _lonlat_columns(frame, src)
    lon = pd.to_numeric(frame[lon_col], errors="coerce")
    lat = pd.to_numeric(frame[lat_col], errors="coerce")
    filled = (frame[lon_col] != "") | (frame[lat_col] != "")
    bad = filled & (lon.isna() | lat.isna() | lon.abs().gt(180) | lat.abs().gt(90))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(
            src,
            f"lon/lat {frame[lon_col].iloc[i]!r}, {frame[lat_col].iloc[i]!r} are not degrees",
            "Write longitude and latitude in decimal degrees.",
            row=i + 1,
        )
    out = frame.copy()
    out["row"] = np.arange(1, len(frame) + 1)
    out = out[filled.to_numpy()].copy()
    x, y = to_wgs84(lon[filled].to_numpy(), lat[filled].to_numpy(), crs)
    out["raw_lon"] = lon[filled].to_numpy()
    out["raw_lat"] = lat[filled].to_numpy()
    out["lon"] = np.atleast_1d(x)
    out["lat"] = np.atleast_1d(y)
    return out


def read_points(path: str | Path, crs: str = "wgs84") -> pd.DataFrame:
    """
    Read a village points file (e.g. positions copied from a web map).

    Parameters
    ----------
    path
        CSV with ``code12`` (or ``village_id``) and/or ``name``, and ``lon``, ``lat``;
        optional ``township_name`` to tell apart villages of the same name.
    crs
        ``wgs84``, ``gcj02`` (Amap, Tencent) or ``bd09`` (Baidu).

    Returns
    -------
    pandas.DataFrame
        ``code12``, ``name``, ``township_name`` (empty when absent), WGS84 ``lon``/``lat``,
        the file's ``raw_lon``/``raw_lat`` and the 1-based ``row``; rows without coordinates
        are dropped.

    Raises
    ------
    DataError
        For a missing column or a coordinate that is not in degrees.
    """
    src = Path(path)
    try:
        crs = normalise_crs(crs)
    except ValueError as exc:
        raise DataError(src, str(exc), "Pass --points-crs wgs84, gcj02 or bd09.") from None
    frame = _read_csv(src, "points file")
    if "code12" not in frame.columns and "village_id" in frame.columns:
        frame = frame.rename(columns={"village_id": "code12"})
    if "code12" not in frame.columns and "name" not in frame.columns:
        raise DataError(
            src,
            "needs a code12 or a name column to tell which village a point is",
            "Add code12 (12-digit code) or name.",
        )
    for column in ("code12", "name", "township_name"):
        if column not in frame.columns:
            frame[column] = ""
    out = _coordinates(frame, src, crs)
    logger.info("%s: %d points (%s)", src.name, len(out), crs)
    return out[["code12", "name", "township_name", "lon", "lat", "raw_lon", "raw_lat", "row"]]


def read_bus_csv(path: str | Path, crs: str = "wgs84") -> pd.DataFrame:
    """
    Read bus lines given as stops in order: ``line_id, seq, name, lon, lat``.

    Parameters
    ----------
    path
        CSV; ``stop_name`` is accepted for ``name``; optional ``line_name`` and ``stop_id``.
    crs
        ``wgs84``, ``gcj02`` or ``bd09``.

    Returns
    -------
    pandas.DataFrame
        ``line_id``, ``line_name``, ``seq`` (int), ``stop_id``, ``name``, ``lon``, ``lat``
        sorted by line and seq.

    Raises
    ------
    DataError
        For a missing column, a bad ``seq`` or a coordinate that is not in degrees.
    """
    src = Path(path)
    try:
        crs = normalise_crs(crs)
    except ValueError as exc:
        raise DataError(src, str(exc), "Use wgs84, gcj02 or bd09.") from None
    frame = _read_csv(src, "bus line file")
    if "name" not in frame.columns and "stop_name" in frame.columns:
        frame = frame.rename(columns={"stop_name": "name"})
    missing = [c for c in ("line_id", "seq") if c not in frame.columns]
    if missing:
        raise DataError(
            src, f"column {', '.join(missing)} is missing", "Use line_id, seq, name, lon, lat."
        )
    for column in ("name", "line_name", "stop_id"):
        if column not in frame.columns:
            frame[column] = ""
    seq = pd.to_numeric(frame["seq"], errors="coerce")
    bad = seq.isna() | (seq < 1) | (seq != seq.round())
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(
            src,
            f"seq {frame['seq'].iloc[i]!r} is not a whole number ≥ 1",
            "Number stops 1, 2, …",
            row=i + 1,
        )
    frame["seq"] = seq.astype(int)
    out = _coordinates(frame, src, crs)
    if len(out) < len(frame):
        i = int(np.setdiff1d(np.arange(1, len(frame) + 1), out["row"].to_numpy())[0])
        raise DataError(src, "stop has no lon/lat", "Give every stop its position.", row=i)
    return out.sort_values(["line_id", "seq"], ignore_index=True)[
        ["line_id", "line_name", "seq", "stop_id", "name", "lon", "lat", "row"]
    ]
