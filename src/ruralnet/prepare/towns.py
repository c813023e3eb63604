"""Village and township layers for ``prepare``, from the official list or from OSM places."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from ruralnet.prepare.inputs import Boundary
from ruralnet.prepare.names import township_key
from ruralnet.prepare.osm import OsmArea, OsmExtract, OsmPoint
from ruralnet.prepare.places import (
    PLACE_POPULATION_FACTOR,
    Unlocated,
    locate_listed,
    metric_xy,
    osm_id,
    place_rank,
    settlement_places,
    township_areas,
)
from ruralnet.prepare.sites import TownshipInfo

__all__ = ["Places", "TownContext", "places_from_list", "places_from_osm"]

logger = logging.getLogger(__name__)

_SEAT_PLACES = frozenset({"city", "town", "suburb", "village"})
_VILLAGE_COLUMNS = ("village_id", "name", "township_id", "population", "located_by", "source")


@dataclass
class Places:
    """Villages and townships ready to write, plus what went wrong."""

    villages: gpd.GeoDataFrame
    townships: gpd.GeoDataFrame
    towns: list[TownshipInfo]
    unlocated: list[Unlocated] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    population_defaulted: bool = False
    township_points: bool = False


def _population(point: OsmPoint, default: int) -> tuple[int, bool]:
    raw = point.tags.get("population", "").replace(",", "").strip()
    try:
        return int(float(raw)), False
    except ValueError:
        factor = PLACE_POPULATION_FACTOR.get(point.tags.get("place", ""), 1.0)
        return round(default * factor), True


@dataclass(frozen=True)
class _SeatIndex:
    """Places by the township key of their name, and their coordinates (built once per run)."""

    places: Sequence[OsmPoint]
    by_key: dict[str, list[int]]
    lon: np.ndarray
    lat: np.ndarray

    @classmethod
    def of(cls, places: Sequence[OsmPoint]) -> _SeatIndex:
        by_key: dict[str, list[int]] = {}
        for i, p in enumerate(places):
            if p.tags.get("place") in _SEAT_PLACES:
                by_key.setdefault(township_key(p.tags.get("name", "")), []).append(i)
        lon = np.array([p.lon for p in places], dtype=float)
        lat = np.array([p.lat for p in places], dtype=float)
        return cls(places, by_key, lon, lat)


def _seat(name: str, index: _SeatIndex, polygon: OsmArea | None) -> OsmPoint | None:
    """Find the place named like the township (in its polygon if known), else its biggest town."""
    places = index.places
    named = list(index.by_key.get(township_key(name), []))
    if polygon is not None:
        inside = set(np.flatnonzero(shapely.contains_xy(polygon.geometry, index.lon, index.lat)))
        named = [i for i in named if i in inside]
        if not named:
            named = [i for i in sorted(inside) if places[i].tags.get("place") in {"city", "town"}]
    if not named:
        return None
    return max((places[i] for i in named), key=lambda p: (place_rank(p), -p.id))


def _village_frame(records: list[dict[str, object]]) -> gpd.GeoDataFrame:
    records = sorted(records, key=lambda r: str(r["village_id"]))
    data = {c: [r[c] for r in records] for c in _VILLAGE_COLUMNS}
    geometry = [shapely.Point(r["lon"], r["lat"]) for r in records]  # type: ignore[arg-type]
    frame = gpd.GeoDataFrame(data, geometry=geometry, crs="EPSG:4326")
    frame["population"] = frame["population"].astype("int64")
    return frame


def _township_frame(records: list[dict[str, object]]) -> gpd.GeoDataFrame:
    records = sorted(records, key=lambda r: str(r["township_id"]))
    return gpd.GeoDataFrame(
        {c: [r[c] for r in records] for c in ("township_id", "name", "source")},
        geometry=[r["geometry"] for r in records],
        crs="EPSG:4326",
    )


@dataclass(frozen=True)
class TownContext:
    """What locating villages and townships needs besides the places themselves.

    Attributes
    ----------
    boundary
        County boundary.
    transformer
        WGS84 → the dataset's metric CRS.
    admin_level
        OSM ``admin_level`` of townships.
    default_population
        Residents of a village without a ``population`` tag (the list has none).
    """

    boundary: Boundary
    transformer: Transformer
    admin_level: str
    default_population: int


def places_from_list(
    listed: pd.DataFrame,
    extract: OsmExtract,
    places: Sequence[OsmPoint],
    points: pd.DataFrame | None,
    *,
    context: TownContext,
    accept_area: shapely.Geometry,
    points_label: str,
) -> Places:
    """
    Villages of the official list that could be located, and their townships.

    Parameters
    ----------
    listed
        Administrative villages of the list.
    extract
        The OSM extract (admin areas).
    places
        Named OSM places inside the boundary.
    points
        Points file rows, or None.
    context
        Boundary, OSM township level, default population and the metric transformer.
    accept_area
        Buffered boundary (WGS84) that points must lie in.
    points_label
        Points file name for messages.

    Returns
    -------
    Places
        Located villages (``population`` = ``default_population``), their townships
        (OSM polygon matched by name, else the seat place, else the villages' centre),
        unlocated villages with reasons.
    """
    boundary, transformer = context.boundary, context.transformer
    admin_level, default_population = context.admin_level, context.default_population
    areas = township_areas(extract.admin_areas, boundary.geometry, admin_level=admin_level)
    result = locate_listed(
        listed,
        places=places,
        admin_areas=areas,
        points=points,
        points_label=points_label,
        accept_area=accept_area,
    )
    records = [
        {
            "village_id": v.village_id,
            "name": v.name,
            "township_id": v.township_id,
            "population": default_population,
            "located_by": v.how,
            "lon": v.lon,
            "lat": v.lat,
            "source": f"village list; position: {v.source}; population: default",
        }
        for v in result.located
    ]
    villages = _village_frame(records)
    names = listed.groupby("township_code9")["township_name"].first()
    towns: list[TownshipInfo] = []
    trecords: list[dict[str, object]] = []
    township_points = False
    seats = _SeatIndex.of(places)
    for code in sorted(set(villages["township_id"])):
        name = str(names[code])
        polygon = result.township_polygons.get(code)
        seat = _seat(name, seats, polygon)
        if polygon is not None:
            geometry, source = polygon.geometry, f"village list; area: OSM {polygon.ref}"
        elif seat is not None:
            geometry, source = (
                shapely.Point(seat.lon, seat.lat),
                f"village list; seat: OSM {seat.ref}",
            )
            township_points = True
        else:
            mine = villages[villages["township_id"] == code]
            xy = metric_xy(transformer, mine.geometry.x, mine.geometry.y).mean(axis=0)
            lon, lat = transformer.transform(xy[0], xy[1], direction="INVERSE")
            geometry = shapely.Point(float(lon), float(lat))
            source = "village list; point: centre of its located villages"
            township_points = True
        towns.append(TownshipInfo(code, name, None if polygon is None else polygon.geometry, seat))
        trecords.append({"township_id": code, "name": name, "source": source, "geometry": geometry})
    return Places(
        villages=villages,
        townships=_township_frame(trecords),
        towns=towns,
        unlocated=result.unlocated,
        population_defaulted=True,
        township_points=township_points,
    )


def places_from_osm(
    extract: OsmExtract,
    places: Sequence[OsmPoint],
    *,
    context: TownContext,
) -> Places:
    """
    OSM settlement places inside the boundary as villages; OSM admin areas as townships.

    Parameters
    ----------
    extract
        The OSM extract (admin areas).
    places
        Named OSM places inside the boundary (with a margin).
    context
        Boundary (villages must lie inside it), OSM township level, default population and
        the metric transformer (a ``place=village`` without a ``population`` tag gets the
        default population, scaled by class).

    Returns
    -------
    Places
        Villages with generated ids ``osm-n…`` and townships ``osm-r…`` that hold a village.
    """
    boundary, transformer = context.boundary, context.transformer
    admin_level, default_population = context.admin_level, context.default_population
    shapely.prepare(boundary.geometry)
    settlements = [
        p for p in settlement_places(places) if shapely.contains_xy(boundary.geometry, p.lon, p.lat)
    ]
    areas = township_areas(extract.admin_areas, boundary.geometry, admin_level=admin_level)
    warnings: list[str] = []
    if not areas:
        warnings.append(
            f"no admin_level={admin_level} boundaries in the extract: the county is one township"
        )
    records = []
    defaulted = False
    for p in settlements:
        owner = _owner(p, areas, transformer, warnings)
        population, was_default = _population(p, default_population)
        defaulted |= was_default
        records.append(
            {
                "village_id": osm_id(p.ref),
                "name": p.tags.get("name", ""),
                "township_id": "county" if owner is None else osm_id(owner.ref),
                "population": population,
                "located_by": "osm",
                "lon": p.lon,
                "lat": p.lat,
                "source": f"OSM {p.ref} place={p.tags.get('place', '')}"
                + ("; population: default" if was_default else ""),
            }
        )
    villages = _village_frame(records)
    used = set(villages["township_id"])
    towns, trecords = [], []
    seats = _SeatIndex.of(places)
    for area in areas:
        tid = osm_id(area.ref)
        if tid not in used:
            warnings.append(f"township {area.tags.get('name')} ({tid}) has no place; not written")
            continue
        name = area.tags.get("name", tid)
        towns.append(TownshipInfo(tid, name, area.geometry, _seat(name, seats, area)))
        trecords.append(
            {
                "township_id": tid,
                "name": name,
                "source": f"OSM {area.ref}",
                "geometry": area.geometry,
            }
        )
    if "county" in used:
        name = boundary.name or "county"
        towns.append(TownshipInfo("county", name, boundary.geometry, None))
        trecords.append(
            {
                "township_id": "county",
                "name": name,
                "source": "county boundary (no township areas)",
                "geometry": boundary.geometry,
            }
        )
    return Places(
        villages,
        _township_frame(trecords),
        towns,
        warnings=warnings,
        population_defaulted=defaulted,
    )


def _owner(
    p: OsmPoint, areas: Sequence[OsmArea], transformer: Transformer, warnings: list[str]
) -> OsmArea | None:
    """Find the area containing ``p``, else the nearest one (with a warning); None without areas."""
    if not areas:
        return None
    point = shapely.Point(p.lon, p.lat)
    for area in areas:
        if area.geometry.contains(point):
            return area
    xy = metric_xy(transformer, [p.lon], [p.lat])[0]
    dists = []
    for area in areas:
        near = shapely.ops.nearest_points(area.geometry, point)[0]
        a = metric_xy(transformer, [near.x], [near.y])[0]
        dists.append(float(np.hypot(*(a - xy))))
    best = int(np.argmin(dists))
    warnings.append(
        f"place {p.tags.get('name')} ({p.ref}) lies in no township area; given to the nearest, "
        f"{areas[best].tags.get('name')} ({dists[best]:.0f} m away)"
    )
    return areas[best]
