"""Open input files so that a broken one is one line: what the file is, what is wrong, the fix.

Every reader of ruralnet's inputs goes through here: a dataset layer (:func:`read_vector`,
GeoJSON or GeoPackage), a CSV table (:func:`read_csv`), a JSON file (:func:`read_json`) and a
TOML file (:func:`read_toml`). What stands at a path and is not a readable file (a folder, a
broken link, a link loop) is said as such (:func:`path_problem`), never as "missing". Each
problem is a :class:`~ruralnet.errors.DataError`: the file, the line or feature, the fix.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import logging
import math
import stat
import tomllib
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio

from ruralnet.errors import DataError, RuralnetWarning, os_reason

__all__ = ["path_problem", "read_csv", "read_json", "read_toml", "read_vector"]

log = logging.getLogger(__name__)


def path_problem(path: Path) -> str | None:
    """
    Say what stands at ``path`` when it is not a readable regular file.

    Parameters
    ----------
    path
        Where a file should be.

    Returns
    -------
    str or None
        ``"file is missing"``, ``"is a folder, not a file"``, ``"is a broken symbolic link"``,
        ``"is a symbolic link loop"``, ...; None when it is a regular file.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        return "is a broken symbolic link" if path.is_symlink() else "file is missing"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "is a symbolic link loop"
        return f"cannot be opened ({os_reason(exc)[0]})"
    if stat.S_ISDIR(info.st_mode):
        return "is a folder, not a file"
    if not stat.S_ISREG(info.st_mode):
        return "is not a regular file (a device, pipe or socket)"
    return None


def _read_bytes(path: Path, fix: str) -> bytes:
    problem = path_problem(path)
    if problem is not None:
        raise DataError(path, problem, fix)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise DataError(path, f"cannot be read ({os_reason(exc)[0]})", fix) from None


def _decode(raw: bytes, path: Path) -> str:
    """UTF-8 (a BOM is fine); otherwise GB18030 (GBK) with a warning."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError:
        raise DataError(
            path, "is neither UTF-8 nor GBK text", "Save it as UTF-8 (CSV UTF-8 in Excel)"
        ) from None
    warnings.warn(
        f"{path.name} is not UTF-8; read it as GB18030 (GBK). Save it as UTF-8 to silence this.",
        RuralnetWarning,
        stacklevel=4,
    )
    return text


def read_csv(path: str | Path, *, fix: str = "Fix the file") -> pd.DataFrame:
    """
    Read a CSV table with every cell as text (empty cells as ``""``).

    Parameters
    ----------
    path
        The file: UTF-8 (with or without BOM) or GBK.
    fix
        What to tell the user when the file itself is missing or unreadable.

    Returns
    -------
    pandas.DataFrame
        One column per header name; rows shorter than the header are padded with ``""``.

    Raises
    ------
    DataError
        For a missing, empty or undecodable file, a header with a repeated or blank name, a
        quoted field that is never closed, or a row with more fields than the header (naming
        the line).
    """
    path = Path(path)
    text = _decode(_read_bytes(path, fix), path)
    if not text.strip():
        raise DataError(path, "is empty (no header line)", "Give it a header line and its rows")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[list[str]] = []
    header: list[str] = []
    line = 0  # the last line read; the next record starts on line + 1
    try:
        header = [name.strip() for name in next(reader)]
        while True:
            line = reader.line_num
            row = next(reader, None)
            if row is None:
                break
            if len(row) > len(header):
                raise DataError(
                    path,
                    f"line {line + 1} has {len(row)} fields but the header has {len(header)}",
                    "Quote the fields that hold a comma, or remove the extra fields",
                )
            if any(cell.strip() for cell in row):  # blank lines are skipped
                rows.append(row + [""] * (len(header) - len(row)))
    except csv.Error as exc:
        raise DataError(
            path,
            f"line {line + 1}: {exc} (a quoted field is not closed?)",
            "Close the quote or remove it",
        ) from None
    frame = pd.DataFrame(rows, columns=range(len(header)), dtype=object)
    unnamed = [i for i, name in enumerate(header) if not name]
    if any(frame[i].str.strip().astype(bool).any() for i in unnamed):
        raise DataError(path, "a column with values has no name", "Name it in the header line")
    frame = frame.drop(columns=unnamed)  # trailing commas of a spreadsheet export
    header = [name for name in header if name]
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        names = ", ".join(repr(name) for name in repeated)
        raise DataError(path, f"the header repeats {names}", "Name each column once")
    frame.columns = header
    return frame


def read_json(path: str | Path, *, fix: str = "Fix the file") -> Any:
    """
    Read a JSON file.

    Parameters
    ----------
    path
        The file (UTF-8).
    fix
        What to tell the user when it cannot be read.

    Returns
    -------
    Any
        The parsed document.

    Raises
    ------
    DataError
        For a missing, unreadable or truncated file, naming the line.
    """
    path = Path(path)
    raw = _read_bytes(path, fix)
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise DataError(path, "is not UTF-8 text", fix) from None
    except json.JSONDecodeError as exc:
        whole = raw.rstrip().endswith((b"}", b"]", b'"')) or raw.strip().isdigit()
        where = exc.msg if whole else "it ends too early: the file seems cut off"
        raise DataError(path, f"is not valid JSON (line {exc.lineno}: {where})", fix) from None


def read_toml(path: str | Path, *, fix: str = "Fix the syntax") -> dict[str, Any]:
    """
    Read a TOML file.

    Parameters
    ----------
    path
        The file (UTF-8).
    fix
        What to tell the user when it cannot be read.

    Returns
    -------
    dict
        The parsed tables.

    Raises
    ------
    DataError
        For a missing, unreadable or invalid file.
    """
    path = Path(path)
    raw = _read_bytes(path, fix)
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DataError(path, f"not valid UTF-8 TOML ({exc})", fix) from None


def _non_finite_property(raw: bytes) -> tuple[int, str, str] | None:
    """Find a NaN or infinity token among a GeoJSON file's properties (JSON has neither)."""
    if b"NaN" not in raw and b"Infinity" not in raw:
        return None
    found: list[str] = []

    def constant(token: str) -> float:
        found.append(token)
        return math.nan

    try:
        data = json.loads(raw.decode("utf-8", "replace"), parse_constant=constant)
    except json.JSONDecodeError:
        return None  # not JSON at all: the GeoJSON reader reports it
    if not found or not isinstance(data, dict):
        return None
    for i, feature in enumerate(data.get("features") or []):
        props = feature.get("properties") if isinstance(feature, dict) else None
        for key, value in (props or {}).items():
            if isinstance(value, float) and math.isnan(value):
                return i, str(key), "NaN"
    return None  # only in coordinates: the geometry check names the feature


def _layer_name(path: Path) -> str | None:
    """Pick the layer to read: the only one, or the one named like the file among several."""
    try:
        names = [str(row[0]) for row in pyogrio.list_layers(path)]
    except Exception:  # unreadable: read_dataframe below says why
        return None
    if len(names) <= 1:
        return None
    if path.stem in names:
        log.info("%s: %d layers; reading the layer %s", path.name, len(names), path.stem)
        return path.stem
    raise DataError(
        path,
        f"holds {len(names)} layers ({', '.join(names)}) and none is named {path.stem!r}",
        f"Name the layer to use {path.stem!r}, or save it in a file of its own",
    )


def _gdal_message(exc: Exception, path: Path) -> str:
    text = str(exc).split(";")[0].replace(f"'{path}'", "").replace(str(path), "").strip(" .:")
    return text.splitlines()[0] if text else type(exc).__name__


def read_vector(path: str | Path) -> gpd.GeoDataFrame:
    """
    Read one layer of a GeoJSON or GeoPackage file.

    Parameters
    ----------
    path
        The file. A GeoPackage with several layers is read at the layer named like the file
        (``villages.gpkg`` -> layer ``villages``).

    Returns
    -------
    geopandas.GeoDataFrame
        At least one feature, with a CRS.

    Raises
    ------
    DataError
        For a file that is not a readable regular file, cannot be parsed, holds no feature or
        no CRS, holds several layers none named like the file, or has a NaN or infinity among
        its properties (JSON has neither; leave the value out or null for "not given").
    """
    path = Path(path)
    fix = "Re-export it as GeoJSON or GeoPackage"
    problem = path_problem(path)
    if problem is not None:
        raise DataError(path, problem, "Make it the layer's GeoJSON or GeoPackage file")
    layer = _layer_name(path)
    if path.suffix.lower() == ".geojson":
        bad = _non_finite_property(_read_bytes(path, fix))
        if bad is not None:
            row, key, token = bad
            raise DataError(
                path,
                f"{key}: {token} is not a number JSON allows",
                "Give a number, or null (or leave the key out) for the default",
                row=row + 1,
            )
    try:
        try:
            frame = pyogrio.read_dataframe(path, layer=layer)
        except UnicodeDecodeError:
            frame = pyogrio.read_dataframe(path, layer=layer, encoding="gb18030")
            warnings.warn(
                f"{path.name} is not UTF-8; read its text as GB18030 (GBK). Save it as UTF-8 to silence this.",
                RuralnetWarning,
                stacklevel=3,
            )
    except DataError:
        raise
    except Exception as exc:  # GDAL's own errors: say them in one line
        raise DataError(path, f"cannot be read ({_gdal_message(exc, path)})", fix) from None
    if len(frame) == 0:
        raise DataError(path, "has no features", "Add the features or remove the file")
    if frame.crs is None:
        raise DataError(
            path,
            "has no coordinate reference system",
            "Save it with a CRS (GeoJSON is always WGS84)",
        )
    return frame
