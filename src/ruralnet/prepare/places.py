"""Villages and townships for ``prepare``: locate the official list, or take OSM places.

A listed village is located by the points file (by ``code12``, else by name) or by an OSM
``place=*`` of the same name (:mod:`ruralnet.prepare.names`) inside the boundary. When several places
share the name, the township's OSM boundary (``admin_level=8`` matched by name) decides;
otherwise the village is reported as unlocated, never guessed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

from ruralnet.prepare.coords import POINT_CRS, haversine_m, to_wgs84
from ruralnet.prepare.names import NameIndex, name_key, osm_names, township_key
from ruralnet.prepare.osm import OsmArea, OsmPoint

__all__ = [
    "SETTLEMENT_PLACES",
    "LocateResult",
    "Located",
    "Unlocated",
    "detect_shift",
    "locate_listed",
    "metric_xy",
    "named_places_inside",
    "osm_id",
    "place_rank",
    "settlement_places",
    "shift_pairs",
    "township_areas",
]

logger = logging.getLogger(__name__)

#: ``place=*`` values that count as villages when no official list is given.
SETTLEMENT_PLACES: tuple[str, ...] = ("city", "town", "suburb", "village", "hamlet")
#: Default population by place class relative to ``default_population`` (no list mode).
PLACE_POPULATION_FACTOR: dict[str, float] = {
    "city": 20.0,
    "town": 10.0,
    "suburb": 5.0,
    "village": 1.0,
    "hamlet": 0.2,
}
_RANK = {"city": 6, "town": 5, "suburb": 4, "village": 3, "hamlet": 2, "neighbourhood": 1}
_DUPLICATE_M = 150.0
_SHIFT_WINDOW_M = (300.0, 700.0)
_MIN_SHIFT_PAIRS = 3
_POLYGON_SLACK_DEG = 0.002


def osm_id(ref: str) -> str:
    """
    Turn ``node/123`` into the dataset id ``osm-n123`` (``osm-w``, ``osm-r``).

    Parameters
    ----------
    ref
        An OSM reference ``type/id``.

    Returns
    -------
    str
        A compact id safe in file names and URLs.
    """
    kind, _, number = ref.partition("/")
    return f"osm-{kind[:1]}{number}"


def place_rank(point: OsmPoint) -> tuple[int, int]:
    """
    Sort key of a place's importance: class rank, then the ``population`` tag.

    Parameters
    ----------
    point
        An OSM place.

    Returns
    -------
    tuple
        Larger is more important.
    """
    try:
        population = int(float(point.tags.get("population", "0").replace(",", "")))
    except ValueError:
        population = 0
    return _RANK.get(point.tags.get("place", ""), 0), population


def _dedupe(points: Sequence[OsmPoint]) -> list[OsmPoint]:
    """Drop a place that repeats the name of another within 150 m (keep the smaller id)."""
    out: list[OsmPoint] = []
    seen: dict[str, list[OsmPoint]] = {}
    for p in sorted(points, key=lambda q: (q.osm_type, q.id)):
        same = seen.setdefault(name_key(p.tags.get("name", "")), [])
        if any(float(haversine_m(p.lon, p.lat, q.lon, q.lat)) < _DUPLICATE_M for q in same):
            continue
        same.append(p)
        out.append(p)
    return out


def named_places_inside(places: Sequence[OsmPoint], area: BaseGeometry) -> list[OsmPoint]:
    """
    Named OSM places inside ``area`` (WGS84), duplicates removed.

    Parameters
    ----------
    places
        From the extract.
    area
        The boundary, possibly buffered, in WGS84.

    Returns
    -------
    list of OsmPoint
        Sorted by OSM type and id.
    """
    shapely.prepare(area)
    named = [p for p in places if osm_names(p.tags)]
    if not named:
        return []
    inside = shapely.contains_xy(area, [p.lon for p in named], [p.lat for p in named])
    return _dedupe([p for p, ok in zip(named, inside, strict=True) if ok])


def settlement_places(places: Sequence[OsmPoint]) -> list[OsmPoint]:
    """
    Keep the places that are villages when there is no official list.

    Parameters
    ----------
    places
        Named places inside the boundary.

    Returns
    -------
    list of OsmPoint
        Those with ``place`` in :data:`SETTLEMENT_PLACES`.
    """
    return [p for p in places if p.tags.get("place") in SETTLEMENT_PLACES]


def township_areas(
    areas: Sequence[OsmArea], boundary: BaseGeometry, *, admin_level: str = "8"
) -> list[OsmArea]:
    """
    Named admin areas of ``admin_level`` mostly (≥ 50 %) inside the boundary.

    Parameters
    ----------
    areas
        ``boundary=administrative`` areas from the extract.
    boundary
        County boundary, WGS84.
    admin_level
        OSM level of townships (8 in China; municipalities in Liechtenstein).

    Returns
    -------
    list of OsmArea
        Sorted by OSM type and id.
    """
    out = []
    for area in areas:
        if area.tags.get("admin_level") != admin_level or not area.tags.get("name"):
            continue
        share = area.geometry.intersection(boundary).area / max(area.geometry.area, 1e-15)
        if share >= 0.5:  # noqa: PLR2004
            shapely.prepare(area.geometry)
            out.append(area)
    return sorted(out, key=lambda a: (a.osm_type, a.id))


@dataclass(frozen=True)
class Located:
    """A listed village with its WGS84 position and how it was found."""

    village_id: str
    name: str
    township_id: str
    lon: float
    lat: float
    how: str
    source: str


@dataclass(frozen=True)
class Unlocated:
    """A listed village that could not be placed, with its township and the reason."""

    village_id: str
    name: str
    township_id: str
    township_name: str
    reason: str


@dataclass
class LocateResult:
    """Outcome of :func:`locate_listed`."""

    located: list[Located] = field(default_factory=list)
    unlocated: list[Unlocated] = field(default_factory=list)
    township_polygons: dict[str, OsmArea] = field(default_factory=dict)


def _points_lookup(
    points: pd.DataFrame | None, listed_codes: set[str]
) -> tuple[dict[str, int], dict[str, list[int]]]:
    """Points rows by code, and by name key; a row whose code is listed is that village's only."""
    by_code: dict[str, int] = {}
    by_name: dict[str, list[int]] = {}
    if points is None:
        return by_code, by_name
    for i, (code, name) in enumerate(zip(points["code12"], points["name"], strict=True)):
        if code:
            by_code.setdefault(code, i)
        if name and code not in listed_codes:
            by_name.setdefault(name_key(name), []).append(i)
    return by_code, by_name


def _from_points(
    row: pd.Series,
    points: pd.DataFrame | None,
    lookups: tuple[dict[str, int], dict[str, list[int]]],
    points_label: str,
) -> tuple[int | None, str | None]:
    """Row index into ``points`` for a listed village, or a reason it is ambiguous."""
    if points is None:
        return None, None
    by_code, by_name = lookups
    if row["code12"] in by_code:
        return by_code[row["code12"]], None
    hits = by_name.get(name_key(row["name"]), [])
    if len(hits) > 1:
        tk = township_key(row["township_name"])
        hits = [i for i in hits if township_key(points["township_name"].iloc[i] or "") == tk]
    if len(hits) == 1:
        return hits[0], None
    if len(hits) > 1:
        return None, f"{len(hits)} rows of {points_label} share the name"
    return None, None


def locate_listed(
    villages: pd.DataFrame,
    *,
    places: Sequence[OsmPoint],
    admin_areas: Sequence[OsmArea],
    points: pd.DataFrame | None,
    points_label: str,
    accept_area: BaseGeometry,
) -> LocateResult:
    """
    Locate every listed village by the points file, else by an OSM place of the same name.

    Parameters
    ----------
    villages
        From :func:`ruralnet.prepare.inputs.read_village_list`.
    places
        Named OSM places inside the boundary (any ``place`` value).
    admin_areas
        Township-level OSM areas (to tell apart places of the same name).
    points
        From :func:`ruralnet.prepare.inputs.read_points`, or None.
    points_label
        File name for messages.
    accept_area
        Points outside this WGS84 area (the buffered boundary) are not accepted.

    Returns
    -------
    LocateResult
        Located and unlocated villages (in list order) and township polygons by code.
    """
    result = LocateResult()
    index = NameIndex()
    for i, p in enumerate(places):
        index.add(i, osm_names(p.tags))
    area_index = NameIndex(key=township_key)
    for i, a in enumerate(admin_areas):
        area_index.add(i, osm_names(a.tags))
    for code, name in villages.groupby("township_code9")["township_name"].first().items():
        hits = area_index.lookup(name)
        if len(hits) == 1:
            result.township_polygons[str(code)] = admin_areas[int(hits[0])]  # type: ignore[arg-type]
    lookups = _points_lookup(points, set(villages["code12"]))
    shapely.prepare(accept_area)
    claimed: dict[int, list[int]] = {}
    pending: list[tuple[pd.Series, int | None, str]] = []
    for _, row in villages.iterrows():
        hit, why = _from_points(row, points, lookups, points_label)
        if hit is not None:
            assert points is not None
            pt = points.iloc[hit]
            if not shapely.contains_xy(accept_area, pt["lon"], pt["lat"]):
                why_not = f"{points_label} row {pt['row']} lies outside the boundary"
                result.unlocated.append(_unlocated(row, why_not))
                continue
            result.located.append(
                Located(
                    row["code12"],
                    row["name"],
                    row["township_code9"],
                    float(pt["lon"]),
                    float(pt["lat"]),
                    "points",
                    f"{points_label} row {pt['row']}",
                )
            )
            continue
        named = [int(c) for c in index.lookup(row["name"])]  # type: ignore[call-overload]
        polygon = result.township_polygons.get(row["township_code9"])
        cand, reason = _osm_match(named, _in_polygon(named, places, polygon), why, places)
        if cand is not None:
            claimed.setdefault(cand, []).append(len(pending))
        pending.append((row, cand, reason))
    for row, cand, reason in pending:
        if cand is None:
            result.unlocated.append(_unlocated(row, reason))
            continue
        if len(claimed[cand]) > 1:
            why_not = f"the OSM place {places[cand].ref} also matches another listed village"
            result.unlocated.append(_unlocated(row, why_not))
            continue
        p = places[cand]
        result.located.append(
            Located(
                row["code12"],
                row["name"],
                row["township_code9"],
                p.lon,
                p.lat,
                "osm",
                f"OSM {p.ref} place={p.tags.get('place', '')} matched by name",
            )
        )
    result.unlocated.sort(key=lambda u: u.village_id)
    return result


def _osm_match(
    named: list[int], candidates: list[int], why: str | None, places: Sequence[OsmPoint]
) -> tuple[int | None, str]:
    """Return the single candidate place, or None and why the village cannot be placed."""
    if len(candidates) == 1:
        return candidates[0], ""
    if why:
        return None, why
    if candidates:
        refs = ", ".join(places[c].ref for c in candidates)
        return None, f"{len(candidates)} OSM places share the name ({refs})"
    if named:
        refs = ", ".join(places[c].ref for c in named)
        return None, f"the OSM place(s) of that name ({refs}) lie outside the township's boundary"
    return None, "no points-file row and no OSM place of that name inside the boundary"


def _in_polygon(
    candidates: list[int], places: Sequence[OsmPoint], polygon: OsmArea | None
) -> list[int]:
    """Candidates inside the township's polygon (with about 200 m slack), when it is known."""
    if polygon is None:
        return candidates
    if not candidates:
        return candidates
    area = polygon.geometry.buffer(_POLYGON_SLACK_DEG)
    lon = [places[c].lon for c in candidates]
    lat = [places[c].lat for c in candidates]
    inside = shapely.contains_xy(area, lon, lat)
    return [c for c, ok in zip(candidates, inside, strict=True) if ok]


def _unlocated(row: pd.Series, reason: str) -> Unlocated:
    return Unlocated(
        row["code12"], row["name"], row["township_code9"], row["township_name"], reason
    )


def detect_shift(
    raw_lon: Sequence[float] | np.ndarray,
    raw_lat: Sequence[float] | np.ndarray,
    ref_lon: Sequence[float] | np.ndarray,
    ref_lat: Sequence[float] | np.ndarray,
    declared: str,
) -> str | None:
    """
    Warn when points look like another datum than declared (the GCJ-02 / BD-09 signature).

    Parameters
    ----------
    raw_lon, raw_lat
        Coordinates as written in the points file.
    ref_lon, ref_lat
        WGS84 positions of the same places (OSM places of the same name).
    declared
        The CRS the file was declared in.

    Returns
    -------
    str or None
        A warning sentence when the median offset under ``declared`` is 300–700 m (GCJ-02's
        size) or when another reading brings the points more than twice as close; else None.
    """
    raw_lon = np.asarray(raw_lon, dtype=float)
    raw_lat = np.asarray(raw_lat, dtype=float)
    if len(raw_lon) < _MIN_SHIFT_PAIRS:
        return None
    medians = {}
    for crs in POINT_CRS:
        lon, lat = to_wgs84(raw_lon, raw_lat, crs)
        medians[crs] = float(np.median(haversine_m(lon, lat, ref_lon, ref_lat)))
    got = medians[declared]
    best = min(medians, key=lambda c: medians[c])
    if best != declared and medians[best] < got / 2.0 and got > 100.0:  # noqa: PLR2004
        return (
            f"points look like {best}, not {declared}: median offset to OSM places of the same "
            f"name is {got:.0f} m as {declared} but {medians[best]:.0f} m as {best} "
            f"({len(raw_lon)} places); pass points_crs={best!r} (--points-crs {best})"
        )
    low, high = _SHIFT_WINDOW_M
    if low <= got <= high:
        return (
            f"points are a median {got:.0f} m from OSM places of the same name "
            f"({len(raw_lon)} places), the size of the GCJ-02 shift; check --points-crs"
        )
    return None


def shift_pairs(
    points: pd.DataFrame, places: Sequence[OsmPoint]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """
    Pair points-file rows with the single OSM place of the same name.

    Parameters
    ----------
    points
        From :func:`ruralnet.prepare.inputs.read_points` (``name``, ``raw_lon``, ``raw_lat``).
    places
        Named OSM places.

    Returns
    -------
    tuple of numpy.ndarray
        raw lon, raw lat, place lon, place lat.
    """
    index = NameIndex()
    for i, p in enumerate(places):
        index.add(i, osm_names(p.tags))
    out: list[tuple[float, float, float, float]] = []
    for name, x, y in zip(points["name"], points["raw_lon"], points["raw_lat"], strict=True):
        hits = index.lookup(name) if name else []
        if len(hits) == 1:
            p = places[int(hits[0])]  # type: ignore[call-overload]
            out.append((float(x), float(y), p.lon, p.lat))
    arr = np.array(out, dtype=float).reshape(-1, 4)
    return arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3]


def metric_xy(transformer: Transformer, lon: Sequence[float], lat: Sequence[float]) -> np.ndarray:
    """
    Project WGS84 points to the metric CRS as an ``(n, 2)`` array.

    Parameters
    ----------
    transformer
        WGS84 → metric (``always_xy``).
    lon, lat
        Degrees.

    Returns
    -------
    numpy.ndarray
        Metres.
    """
    x, y = transformer.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.column_stack([np.atleast_1d(x), np.atleast_1d(y)])
