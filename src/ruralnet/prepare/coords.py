"""Chinese web-map coordinates: GCJ-02 (Amap, Tencent) and BD-09 (Baidu) to and from WGS84.

The forward transforms are the widely published GCJ-02 obfuscation formula and Baidu's
BD-09 offset on top of it. The inverses are iterative (fixed-point on the forward formula) and
reproduce the forward formula to better than 1 mm; the overall accuracy against the official
implementations is about 1 m, the accuracy of the published formula. Outside China (the
conventional bounding box used by the web maps) the shift is zero and points pass unchanged.

All functions take and return longitude first, in degrees, as floats or numpy arrays.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "POINT_CRS",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "haversine_m",
    "out_of_china",
    "to_wgs84",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

PointCrs = Literal["wgs84", "gcj02", "bd09"]
POINT_CRS: tuple[str, ...] = ("wgs84", "gcj02", "bd09")

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by GCJ-02
_EE = 0.00669342162296594323  # its first eccentricity squared
_X_PI = math.pi * 3000.0 / 180.0
_EARTH_RADIUS_M = 6371008.8
#: The box (lon/lat) inside which the web maps shift coordinates.
_CHINA_BOX = (72.004, 0.8293, 137.8347, 55.8271)
_MAX_ITER = 30
_TOL_DEG = 1e-10  # about 0.01 mm

FloatArray = NDArray[np.float64]


def _arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    x = np.asarray(lon, dtype=np.float64)
    y = np.asarray(lat, dtype=np.float64)
    x, y = np.broadcast_arrays(x, y)
    return x.astype(np.float64, copy=True), y.astype(np.float64, copy=True)


def _ret(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    if lon.ndim == 0:
        return float(lon), float(lat)  # type: ignore[return-value]
    return lon, lat


def out_of_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """
    Tell which points lie outside the box where the web maps apply the GCJ-02 shift.

    Parameters
    ----------
    lon, lat
        WGS84 or GCJ-02 degrees.

    Returns
    -------
    numpy.ndarray
        True where the point is outside China's box (no shift there).
    """
    x, y = _arrays(lon, lat)
    min_lon, min_lat, max_lon, max_lat = _CHINA_BOX
    return (x < min_lon) | (x > max_lon) | (y < min_lat) | (y > max_lat)


def _delta(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 minus WGS84 at a WGS84 point, in degrees (zero outside China)."""
    x = lon - 105.0
    y = lat - 35.0
    sx = np.sqrt(np.abs(x))
    pi = math.pi
    common = (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sx + common
    dlat += (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sx + common
    dlon += (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    radlat = lat / 180.0 * pi
    magic = 1.0 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrtmagic) * pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * pi)
    outside = out_of_china(lon, lat)
    return np.where(outside, 0.0, dlon), np.where(outside, 0.0, dlat)


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """
    Shift WGS84 coordinates to GCJ-02 (what Amap and Tencent maps display).

    Parameters
    ----------
    lon, lat
        WGS84 degrees.

    Returns
    -------
    tuple
        GCJ-02 ``(lon, lat)``.
    """
    x, y = _arrays(lon, lat)
    dx, dy = _delta(x, y)
    return _ret(x + dx, y + dy)


def _invert(
    forward: object, lon: ArrayLike, lat: ArrayLike, start: tuple[FloatArray, FloatArray]
) -> tuple[FloatArray, FloatArray]:
    """Solve ``forward(p) = (lon, lat)`` for ``p`` by fixed-point iteration from ``start``."""
    tx, ty = _arrays(lon, lat)
    x, y = start
    for _ in range(_MAX_ITER):
        fx, fy = forward(x, y)  # type: ignore[operator]
        ex = np.asarray(fx) - tx
        ey = np.asarray(fy) - ty
        x = x - ex
        y = y - ey
        if np.all(np.abs(ex) < _TOL_DEG) and np.all(np.abs(ey) < _TOL_DEG):
            break
    return _ret(x, y)


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """
    Convert GCJ-02 coordinates (Amap, Tencent) to WGS84 by iterating the forward formula.

    Parameters
    ----------
    lon, lat
        GCJ-02 degrees.

    Returns
    -------
    tuple
        WGS84 ``(lon, lat)``; about 1 m accurate (the accuracy of the published formula).
    """
    x, y = _arrays(lon, lat)
    dx, dy = _delta(x, y)
    return _invert(wgs84_to_gcj02, x, y, (x - dx, y - dy))


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """
    Convert GCJ-02 coordinates to Baidu's BD-09.

    Parameters
    ----------
    lon, lat
        GCJ-02 degrees.

    Returns
    -------
    tuple
        BD-09 ``(lon, lat)``.
    """
    x, y = _arrays(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return _ret(z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006)


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """
    Convert Baidu BD-09 coordinates to GCJ-02 (closed-form start, refined iteratively).

    Parameters
    ----------
    lon, lat
        BD-09 degrees.

    Returns
    -------
    tuple
        GCJ-02 ``(lon, lat)``.
    """
    x, y = _arrays(lon, lat)
    x0 = x - 0.0065
    y0 = y - 0.006
    z = np.sqrt(x0 * x0 + y0 * y0) - 0.00002 * np.sin(y0 * _X_PI)
    theta = np.arctan2(y0, x0) - 0.000003 * np.cos(x0 * _X_PI)
    return _invert(gcj02_to_bd09, x, y, (z * np.cos(theta), z * np.sin(theta)))


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """
    Convert WGS84 coordinates to BD-09 (via GCJ-02).

    Parameters
    ----------
    lon, lat
        WGS84 degrees.

    Returns
    -------
    tuple
        BD-09 ``(lon, lat)``.
    """
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """
    Convert Baidu BD-09 coordinates to WGS84 (via GCJ-02).

    Parameters
    ----------
    lon, lat
        BD-09 degrees.

    Returns
    -------
    tuple
        WGS84 ``(lon, lat)``, about 1 m accurate.
    """
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def to_wgs84(lon: ArrayLike, lat: ArrayLike, crs: str) -> tuple[FloatArray, FloatArray]:
    """
    Convert coordinates given in ``crs`` (``wgs84``, ``gcj02`` or ``bd09``) to WGS84.

    Parameters
    ----------
    lon, lat
        Degrees in ``crs``.
    crs
        One of :data:`POINT_CRS` (case-insensitive; ``-`` and ``_`` ignored).

    Returns
    -------
    tuple
        WGS84 ``(lon, lat)``.

    Raises
    ------
    ValueError
        For an unknown ``crs``.
    """
    key = normalise_crs(crs)
    if key == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if key == "bd09":
        return bd09_to_wgs84(lon, lat)
    return _ret(*_arrays(lon, lat))


def from_wgs84(lon: ArrayLike, lat: ArrayLike, crs: str) -> tuple[FloatArray, FloatArray]:
    """
    Convert WGS84 coordinates to ``crs`` (``wgs84``, ``gcj02`` or ``bd09``).

    Parameters
    ----------
    lon, lat
        WGS84 degrees.
    crs
        One of :data:`POINT_CRS`.

    Returns
    -------
    tuple
        ``(lon, lat)`` in ``crs``.
    """
    key = normalise_crs(crs)
    if key == "gcj02":
        return wgs84_to_gcj02(lon, lat)
    if key == "bd09":
        return wgs84_to_bd09(lon, lat)
    return _ret(*_arrays(lon, lat))


def normalise_crs(crs: str) -> str:
    """
    Return the canonical name of a point CRS (``wgs84``, ``gcj02`` or ``bd09``).

    Parameters
    ----------
    crs
        A spelling such as ``GCJ-02``, ``bd09``, ``WGS84``, ``EPSG:4326``.

    Returns
    -------
    str
        One of :data:`POINT_CRS`.

    Raises
    ------
    ValueError
        For an unknown name.
    """
    key = crs.strip().lower().replace("-", "").replace("_", "")
    if key in {"wgs84", "epsg:4326", "4326"}:
        return "wgs84"
    if key in {"gcj02", "gcj", "amap", "tencent", "mars"}:
        return "gcj02"
    if key in {"bd09", "bd", "baidu", "bd09ll"}:
        return "bd09"
    msg = f"unknown point CRS {crs!r}; use one of {', '.join(POINT_CRS)}"
    raise ValueError(msg)


def haversine_m(lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike) -> FloatArray:
    """
    Great-circle distance in metres on a sphere of the mean Earth radius.

    Parameters
    ----------
    lon1, lat1, lon2, lat2
        Degrees.

    Returns
    -------
    numpy.ndarray
        Distances in metres.
    """
    p1 = np.radians(np.asarray(lat1, dtype=np.float64))
    p2 = np.radians(np.asarray(lat2, dtype=np.float64))
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2, dtype=np.float64) - np.asarray(lon1, dtype=np.float64))
    h = np.sin(dp / 2.0) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2.0) ** 2
    return 2.0 * _EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
