"""Candidate sites and bus lines for ``prepare``.

* Station sites: a ``new`` site at every village point, plus an ``existing`` one at the
  nearest post office (else the nearest everyday shop) within ``station_radius_m``.
* Centre sites: per township the seat (OSM place named like the township, or a town/city in
  it), its townhall and post offices; at least one, falling back to the largest place or the
  most central village.
* Hub: one ``fixed`` hub at the main town (a place named like the county, else the
  highest-ranking place inside the boundary).
* Bus lines from OSM ``route=bus`` relations or from a stops CSV; trips, capacity and fee are
  left empty so the scenario defaults apply.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from scipy.spatial import cKDTree
from shapely.geometry.base import BaseGeometry

from ruralnet.prepare.names import township_key
from ruralnet.prepare.osm import OsmPoint, OsmRoute
from ruralnet.prepare.places import metric_xy, osm_id, place_rank

__all__ = [
    "STATION_SHOPS",
    "TownshipInfo",
    "bus_from_csv",
    "bus_from_osm",
    "centre_sites",
    "hub_site",
    "station_sites",
]

logger = logging.getLogger(__name__)

#: ``shop=*`` values that can host a village station (村邮站 in a shop).
STATION_SHOPS: frozenset[str] = frozenset(
    {"convenience", "supermarket", "general", "kiosk", "variety_store", "department_store", "yes"}
)
_SEAT_RADIUS_M = 2000.0
_SAME_SITE_M = 50.0
_MAX_CENTRES = 4
DEFAULTS_NOTE = "trips/day, capacity and fee: scenario defaults"


@dataclass(frozen=True)
class TownshipInfo:
    """A township as ``prepare`` knows it: id, name, WGS84 polygon (or None), seat place."""

    township_id: str
    name: str
    polygon: BaseGeometry | None
    seat: OsmPoint | None


def _points_frame(records: list[dict[str, object]], columns: Sequence[str]) -> gpd.GeoDataFrame:
    data = {c: [r[c] for r in records] for c in columns}
    geometry = [shapely.Point(r["lon"], r["lat"]) for r in records]  # type: ignore[arg-type]
    return gpd.GeoDataFrame(data, geometry=geometry, crs="EPSG:4326")


def station_sites(
    villages: pd.DataFrame,
    pois: Sequence[OsmPoint],
    transformer: Transformer,
    *,
    radius_m: float = 300.0,
) -> gpd.GeoDataFrame:
    """
    Candidate village stations.

    Parameters
    ----------
    villages
        ``village_id``, ``lon``, ``lat``.
    pois
        OSM post offices and shops.
    transformer
        WGS84 → metric.
    radius_m
        How near a post office or shop must be to count for a village.

    Returns
    -------
    geopandas.GeoDataFrame
        ``site_id``, ``kind``, ``village_id``, ``source``; sorted by ``site_id``.
    """
    records: list[dict[str, object]] = []
    for vid, lon, lat in zip(villages["village_id"], villages["lon"], villages["lat"], strict=True):
        records.append(
            {
                "site_id": f"{vid}-new",
                "kind": "new",
                "village_id": vid,
                "lon": lon,
                "lat": lat,
                "source": "village point",
            }
        )
    usable = [
        p
        for p in pois
        if p.tags.get("amenity") == "post_office" or p.tags.get("shop") in STATION_SHOPS
    ]
    if usable and len(villages):
        vxy = metric_xy(transformer, villages["lon"], villages["lat"])
        pxy = metric_xy(transformer, [p.lon for p in usable], [p.lat for p in usable])
        dist, nearest = cKDTree(vxy).query(pxy, k=1, distance_upper_bound=radius_m)
        best: dict[int, tuple[tuple[int, float], OsmPoint]] = {}
        for poi, d, v in zip(usable, dist, nearest, strict=True):
            if not np.isfinite(d):
                continue
            score = (0 if poi.tags.get("amenity") == "post_office" else 1, float(d))
            if int(v) not in best or score < best[int(v)][0]:
                best[int(v)] = (score, poi)
        for v, (_, poi) in sorted(best.items()):
            vid = villages["village_id"].iloc[v]
            what = (
                "amenity=post_office"
                if poi.tags.get("amenity") == "post_office"
                else (f"shop={poi.tags.get('shop')}")
            )
            records.append(
                {
                    "site_id": f"{vid}-{osm_id(poi.ref)}",
                    "kind": "existing",
                    "village_id": vid,
                    "lon": poi.lon,
                    "lat": poi.lat,
                    "source": f"OSM {poi.ref} {what}",
                }
            )
    records.sort(key=lambda r: str(r["site_id"]))
    return _points_frame(records, ("site_id", "kind", "village_id", "source"))


def _in_township(
    point: OsmPoint, town: TownshipInfo, centre: tuple[float, float] | None, tm: Transformer
) -> bool:
    if town.polygon is not None:
        return bool(town.polygon.contains(shapely.Point(point.lon, point.lat)))
    if centre is None:
        return False
    a = metric_xy(tm, [point.lon, centre[0]], [point.lat, centre[1]])
    return float(np.hypot(*(a[0] - a[1]))) <= _SEAT_RADIUS_M


def centre_sites(
    townships: Sequence[TownshipInfo],
    villages: pd.DataFrame,
    places: Sequence[OsmPoint],
    pois: Sequence[OsmPoint],
    transformer: Transformer,
) -> gpd.GeoDataFrame:
    """
    Candidate township co-delivery centres, at least one per township.

    Parameters
    ----------
    townships
        Townships with polygon and seat where known.
    villages
        ``village_id``, ``township_id``, ``lon``, ``lat``.
    places
        Named OSM places inside the boundary.
    pois
        OSM post offices, townhalls, shops.
    transformer
        WGS84 → metric.

    Returns
    -------
    geopandas.GeoDataFrame
        ``site_id``, ``township_id``, ``kind``, ``source``; sorted by ``site_id``.
    """
    records: list[dict[str, object]] = []
    for town in townships:
        mine = villages[villages["township_id"] == town.township_id]
        centre = (town.seat.lon, town.seat.lat) if town.seat is not None else None
        found: list[tuple[float, float, str, str]] = []
        if town.seat is not None:
            seat = town.seat
            found.append(
                (
                    seat.lon,
                    seat.lat,
                    "new",
                    f"OSM {seat.ref} place={seat.tags.get('place', '')} (township seat)",
                )
            )
        for amenity, kind in (("townhall", "new"), ("post_office", "existing")):
            for poi in pois:
                if poi.tags.get("amenity") == amenity and _in_township(
                    poi, town, centre, transformer
                ):
                    found.append((poi.lon, poi.lat, kind, f"OSM {poi.ref} amenity={amenity}"))
        if not found:
            found.append(_fallback_centre(town, mine, places, transformer))
        kept: list[tuple[float, float, str, str]] = []
        for cand in found:
            xy = metric_xy(
                transformer, [cand[0]] + [k[0] for k in kept], [cand[1]] + [k[1] for k in kept]
            )
            near = np.hypot(*(xy[1:] - xy[0]).T) if len(kept) else np.empty(0)
            if len(near) and near.min() < _SAME_SITE_M:
                j = int(np.argmin(near))  # one site; an existing facility there makes it existing
                if cand[2] == "existing" and kept[j][2] == "new":
                    kept[j] = (*kept[j][:2], "existing", f"{kept[j][3]}; {cand[3]}")
                continue
            kept.append(cand)
        for i, (lon, lat, kind, source) in enumerate(kept[:_MAX_CENTRES], start=1):
            records.append(
                {
                    "site_id": f"{town.township_id}-c{i}",
                    "township_id": town.township_id,
                    "kind": kind,
                    "lon": lon,
                    "lat": lat,
                    "source": source,
                }
            )
    records.sort(key=lambda r: str(r["site_id"]))
    return _points_frame(records, ("site_id", "township_id", "kind", "source"))


def _fallback_centre(
    town: TownshipInfo, mine: pd.DataFrame, places: Sequence[OsmPoint], tm: Transformer
) -> tuple[float, float, str, str]:
    """Pick the largest place in the township, else its most central village."""
    inside = [
        p
        for p in places
        if town.polygon is not None and town.polygon.contains(shapely.Point(p.lon, p.lat))
    ]
    if inside:
        best = max(inside, key=lambda p: (place_rank(p), -p.id))
        return (
            best.lon,
            best.lat,
            "new",
            (f"OSM {best.ref} place={best.tags.get('place', '')} (largest place; no seat found)"),
        )
    if len(mine):
        xy = metric_xy(tm, mine["lon"], mine["lat"])
        i = int(np.argmin(np.hypot(*(xy - xy.mean(axis=0)).T)))
        row = mine.iloc[i]
        return (
            float(row["lon"]),
            float(row["lat"]),
            "new",
            (f"village {row['village_id']} (most central village; no seat found)"),
        )
    centre = town.polygon.representative_point() if town.polygon is not None else None
    if centre is None:
        msg = f"township {town.township_id} has no village, seat or polygon"
        raise ValueError(msg)
    return centre.x, centre.y, "new", "township polygon (no seat or village found)"


def hub_site(
    places: Sequence[OsmPoint],
    county_name: str | None,
    *,
    villages: pd.DataFrame,
    hub_lonlat: tuple[float, float] | None = None,
) -> gpd.GeoDataFrame:
    """
    Place the county hub: one ``fixed`` hub at the main town.

    Parameters
    ----------
    places
        Named OSM places inside the boundary.
    county_name
        The boundary's name; a place with the same name key (e.g. ``胶州`` for ``胶州市``)
        wins.
    villages
        Fallback when there is no place: the first village.
    hub_lonlat
        Explicit WGS84 position, overriding the search.

    Returns
    -------
    geopandas.GeoDataFrame
        One row: ``hub_id``, ``name``, ``status``, ``source``.
    """
    if hub_lonlat is not None:
        rec = {
            "hub_id": "hub-1",
            "name": "",
            "status": "fixed",
            "lon": hub_lonlat[0],
            "lat": hub_lonlat[1],
            "source": "given position (hub_lonlat)",
        }
    elif places:
        county = township_key(_county_stem(county_name or ""))
        best = max(
            places,
            key=lambda p: (
                county != "" and township_key(p.tags.get("name", "")) == county,
                place_rank(p),
                -p.id,
            ),
        )
        rec = {
            "hub_id": "hub-1",
            "name": best.tags.get("name", ""),
            "status": "fixed",
            "lon": best.lon,
            "lat": best.lat,
            "source": f"OSM {best.ref} place={best.tags.get('place', '')} (main town)",
        }
    else:
        row = villages.iloc[0]
        rec = {
            "hub_id": "hub-1",
            "name": str(row["name"]),
            "status": "fixed",
            "lon": float(row["lon"]),
            "lat": float(row["lat"]),
            "source": f"village {row['village_id']} (no OSM place found; set the hub)",
        }
    return _points_frame([rec], ("hub_id", "name", "status", "source"))


def _county_stem(name: str) -> str:
    for suffix in ("自治县", "市", "县", "区", "旗"):
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:  # noqa: PLR2004
            return name[: -len(suffix)]
    return name


def _line_table(records: list[dict[str, object]]) -> pd.DataFrame:
    columns = [
        "line_id",
        "name",
        "trips_per_day",
        "capacity_parcels_per_trip",
        "fee_yuan_per_parcel",
        "source",
    ]
    frame = pd.DataFrame(records, columns=columns)
    for c in ("trips_per_day", "capacity_parcels_per_trip", "fee_yuan_per_parcel"):
        frame[c] = pd.Series([np.nan] * len(frame), dtype="float64")
    return frame.sort_values("line_id", ignore_index=True)


_STOP_COLUMNS = ("line_id", "seq", "stop_id", "name")


def bus_from_osm(
    routes: Sequence[OsmRoute], area: BaseGeometry
) -> tuple[gpd.GeoDataFrame, pd.DataFrame, list[str]]:
    """
    Bus lines from ``route=bus`` relations, cut to the stops inside ``area``.

    Parameters
    ----------
    routes
        From the extract.
    area
        The buffered boundary (WGS84).

    Returns
    -------
    tuple
        ``bus_stops`` layer, ``bus_lines`` table, and a note per line that lost stops
        (outside the extract or ``area``). Lines with fewer than two stops left are skipped.
    """
    stops: list[dict[str, object]] = []
    lines: list[dict[str, object]] = []
    notes: list[str] = []
    shapely.prepare(area)
    for route in routes:
        line_id = osm_id(f"relation/{route.id}")
        inside = [s for s in route.stops if shapely.contains_xy(area, s.lon, s.lat)]
        ordered = [s for i, s in enumerate(inside) if i == 0 or s.ref != inside[i - 1].ref]
        label = route.tags.get("ref") or route.tags.get("name") or line_id
        if len(ordered) < 2:  # noqa: PLR2004
            notes.append(f"bus line {label}: skipped, {len(ordered)} stop(s) inside the area")
            continue
        lost = route.n_stop_members - len(inside)
        if lost > 0:
            notes.append(
                f"bus line {label}: {lost} of {route.n_stop_members} stops missing from the "
                "extract or outside the area"
            )
        for seq, s in enumerate(ordered, start=1):
            stops.append(
                {
                    "line_id": line_id,
                    "seq": seq,
                    "stop_id": osm_id(s.ref),
                    "name": s.tags.get("name", ""),
                    "lon": s.lon,
                    "lat": s.lat,
                }
            )
        name = route.tags.get("name") or " ".join(
            x for x in (route.tags.get("ref"), route.tags.get("from"), route.tags.get("to")) if x
        )
        truncated = "; truncated" if lost > 0 else ""
        lines.append(
            {
                "line_id": line_id,
                "name": name,
                "source": f"OSM relation/{route.id}{truncated}; {DEFAULTS_NOTE}",
            }
        )
    return _points_frame(stops, _STOP_COLUMNS), _line_table(lines), notes


def bus_from_csv(frame: pd.DataFrame, label: str) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """
    Bus lines from a stops CSV read by :func:`ruralnet.prepare.inputs.read_bus_csv`.

    Parameters
    ----------
    frame
        ``line_id``, ``line_name``, ``seq``, ``stop_id``, ``name``, ``lon``, ``lat``.
    label
        File name for the ``source`` column.

    Returns
    -------
    tuple
        ``bus_stops`` layer and ``bus_lines`` table (stops renumbered 1… in ``seq`` order).
    """
    stops: list[dict[str, object]] = []
    lines: list[dict[str, object]] = []
    for line_id, group in frame.groupby("line_id", sort=True):
        group = group.sort_values("seq")
        for seq, (_, row) in enumerate(group.iterrows(), start=1):
            stop_id = row["stop_id"] or f"{line_id}-{seq}"
            stops.append(
                {
                    "line_id": str(line_id),
                    "seq": seq,
                    "stop_id": stop_id,
                    "name": row["name"],
                    "lon": row["lon"],
                    "lat": row["lat"],
                }
            )
        name = next((n for n in group["line_name"] if n), str(line_id))
        lines.append({"line_id": str(line_id), "name": name, "source": f"{label}; {DEFAULTS_NOTE}"})
    return _points_frame(stops, _STOP_COLUMNS), _line_table(lines)
