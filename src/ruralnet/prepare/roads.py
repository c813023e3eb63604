"""Roads for ``prepare``: drivable OSM ways → clipped, connected, simplified ``roads`` layer.

Which ways count, how fast a van drives on them and which direction is open are decided here
(see ``docs/prepare.md``); the graph work (strongly connected component, merging of degree-2
nodes) is in :mod:`ruralnet.prepare.roadgraph`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer
from scipy.spatial import cKDTree
from shapely.geometry.base import BaseGeometry

from ruralnet.prepare.osm import OsmWay
from ruralnet.prepare.roadgraph import (
    ComponentInfo,
    Edge,
    RoadLine,
    edge_lines,
    road_graph,
    simplify,
    split_strongly_connected,
)

__all__ = [
    "DRIVABLE_HIGHWAYS",
    "SPEED_KMH",
    "RoadResult",
    "build_roads",
    "motor_allowed",
    "way_direction",
    "way_speed_kmh",
]

logger = logging.getLogger(__name__)

#: Default van speeds in km/h by OSM highway class (a numeric ``maxspeed`` below it wins).
SPEED_KMH: dict[str, float] = {
    "motorway": 90.0,
    "motorway_link": 50.0,
    "trunk": 70.0,
    "trunk_link": 40.0,
    "primary": 60.0,
    "primary_link": 40.0,
    "secondary": 50.0,
    "secondary_link": 35.0,
    "tertiary": 40.0,
    "tertiary_link": 30.0,
    "unclassified": 30.0,
    "road": 30.0,
    "residential": 25.0,
    "living_street": 10.0,
    "service": 15.0,
    "track": 15.0,
}
#: Always-drivable classes; ``track`` and ``service`` are added under conditions.
DRIVABLE_HIGHWAYS: frozenset[str] = frozenset(SPEED_KMH) - {"track", "service"}
_NO = frozenset({"no"})
_ACCESS_KEYS = ("goods", "motor_vehicle", "vehicle", "access")
_MPH = 1.609344
_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?\s*$")


def way_direction(tags: dict[str, str]) -> int:
    """
    Driving direction of a way: 1 digitised order only, -1 reverse only, 0 both.

    Parameters
    ----------
    tags
        OSM tags. ``oneway=yes|true|1`` → 1, ``-1|reverse`` → -1, ``no`` → 0; roundabouts and
        motorways are one-way unless tagged ``oneway=no``; ``reversible``/``alternating``
        count as two-way.

    Returns
    -------
    int
        1, -1 or 0.
    """
    value = tags.get("oneway", "").strip().lower()
    if value in {"yes", "true", "1"}:
        return 1
    if value in {"-1", "reverse"}:
        return -1
    if value in {"no", "false", "0", "reversible", "alternating"}:
        return 0
    if tags.get("junction") in {"roundabout", "circular"} or tags.get("highway") == "motorway":
        return 1
    return 0


def way_speed_kmh(tags: dict[str, str]) -> float:
    """
    Van speed on a way: the class default, or a lower numeric ``maxspeed``.

    Parameters
    ----------
    tags
        OSM tags with ``highway``.

    Returns
    -------
    float
        km/h.
    """
    speed = SPEED_KMH.get(tags.get("highway", ""), 20.0)
    match = _NUMBER.match(tags.get("maxspeed", ""))
    if match:
        limit = float(match.group(1)) * (_MPH if match.group(2) == "mph" else 1.0)
        if 0 < limit < speed:
            speed = round(limit, 1)
    return speed


def motor_allowed(tags: dict[str, str]) -> bool:
    """
    Whether a light goods van may use a way under OSM's access hierarchy.

    Parameters
    ----------
    tags
        OSM tags. The most specific of ``goods``, ``motor_vehicle``, ``vehicle``, ``access``
        that is present decides; only an explicit ``no`` bans (``private``, ``agricultural``,
        ``forestry`` … are kept: rural delivery vans use such roads with permission).
        ``motorcar`` does not apply to vans.

    Returns
    -------
    bool
        False when the way is closed to the van.
    """
    for key in _ACCESS_KEYS:
        value = tags.get(key)
        if value:
            return value.strip().lower() not in _NO
    return True


@dataclass
class RoadResult:
    """The roads layer and what was left out on the way."""

    roads: gpd.GeoDataFrame
    dropped: list[ComponentInfo] = field(default_factory=list)
    dropped_roads: gpd.GeoDataFrame | None = None
    n_ways: int = 0
    n_service_kept: int = 0
    n_service_skipped: int = 0
    n_no_motor: int = 0


def _runs_inside(way: OsmWay, inside: np.ndarray) -> Iterable[tuple[int, int]]:
    """Index ranges [i, j] of consecutive nodes that all lie inside the clip area."""
    start = None
    for i, ok in enumerate(inside):
        if ok and start is None:
            start = i
        elif not ok and start is not None:
            if i - start >= 2:  # noqa: PLR2004 - a run needs two nodes
                yield start, i - 1
            start = None
    if start is not None and len(inside) - start >= 2:  # noqa: PLR2004
        yield start, len(inside) - 1


def _select_ways(
    ways: Sequence[OsmWay],
    *,
    include_tracks: bool,
    anchors_xy: np.ndarray,
    service_reach_m: float,
    to_metric: Transformer,
    result: RoadResult,
) -> list[tuple[OsmWay, np.ndarray]]:
    """Drivable ways with their node coordinates in metres."""
    tree = cKDTree(anchors_xy) if len(anchors_xy) else None
    chosen = []
    for way in ways:
        highway = way.tags.get("highway", "")
        if highway == "track" and not include_tracks:
            continue
        if highway not in DRIVABLE_HIGHWAYS and highway not in {"track", "service"}:
            continue
        if not motor_allowed(way.tags):
            result.n_no_motor += 1
            continue
        lon, lat = np.array(way.coords).T
        xy = np.column_stack(to_metric.transform(lon, lat))
        if highway == "service":
            near = (
                tree is not None
                and np.isfinite(tree.query(xy, k=1, distance_upper_bound=service_reach_m)[0]).any()
            )
            if not near:
                result.n_service_skipped += 1
                continue
            result.n_service_kept += 1
        chosen.append((way, xy))
    return chosen


def build_roads(
    ways: Sequence[OsmWay],
    clip_metric: BaseGeometry,
    *,
    to_metric: Transformer,
    include_tracks: bool = True,
    anchors_xy: np.ndarray | None = None,
    service_reach_m: float = 300.0,
) -> RoadResult:
    """
    Turn OSM ways into the ``roads`` layer.

    Parameters
    ----------
    ways
        Highway ways from :func:`ruralnet.prepare.osm.read_osm`.
    clip_metric
        The buffered boundary in the metric CRS of ``to_metric``; a segment is kept when both
        its nodes lie inside.
    to_metric
        WGS84 → metric CRS transformer (``always_xy``).
    include_tracks
        Keep ``highway=track``.
    anchors_xy
        Metric points (places, sites) that a ``service`` way must come within
        ``service_reach_m`` of to be kept.
    service_reach_m
        See ``anchors_xy``.

    Returns
    -------
    RoadResult
        Roads of the largest strongly connected component as LineStrings between junctions,
        with ``highway``, ``name``, ``ref``, ``oneway``, ``speed_kmh``, ``length_m``
        (haversine along the line) and ``source``; the dropped components.
    """
    result = RoadResult(roads=_empty_roads())
    anchors = np.zeros((0, 2)) if anchors_xy is None else np.asarray(anchors_xy)
    chosen = _select_ways(
        ways,
        include_tracks=include_tracks,
        anchors_xy=anchors,
        service_reach_m=service_reach_m,
        to_metric=to_metric,
        result=result,
    )
    shapely.prepare(clip_metric)
    lines = []
    for way, xy in chosen:
        inside = shapely.contains_xy(clip_metric, xy[:, 0], xy[:, 1])
        attrs = (
            ("highway", way.tags["highway"]),
            ("name", way.tags.get("name", "")),
            ("ref", way.tags.get("ref", "")),
            ("speed_kmh", way_speed_kmh(way.tags)),
        )
        for i, j in _runs_inside(way, inside):
            lines.append(
                RoadLine(
                    way.id,
                    way.node_ids[i : j + 1],
                    way.coords[i : j + 1],
                    way_direction(way.tags),
                    attrs,
                )
            )
    result.n_ways = len({line.way_id for line in lines})
    graph = road_graph(lines)
    if not graph.arcs:
        return result
    kept, dropped, result.dropped = split_strongly_connected(graph)
    result.dropped_roads = _frame(edge_lines(simplify(dropped)))
    result.roads = _frame(edge_lines(simplify(kept)))
    logger.info(
        "roads: %d lines, %.1f km; dropped %d parts (%.1f km)",
        len(result.roads),
        result.roads["length_m"].sum() / 1000.0,
        len(result.dropped),
        sum(c.length_km for c in result.dropped),
    )
    return result


def _frame(edges: list[Edge]) -> gpd.GeoDataFrame:
    if not edges:
        return _empty_roads()
    return gpd.GeoDataFrame(
        {
            "highway": [e.attrs["highway"] for e in edges],
            "name": [e.attrs.get("name") or "" for e in edges],
            "ref": [e.attrs.get("ref") or "" for e in edges],
            "oneway": [bool(e.attrs["oneway"]) for e in edges],
            "speed_kmh": [float(e.attrs["speed_kmh"]) for e in edges],  # type: ignore[arg-type]
            "length_m": [round(e.length_m, 2) for e in edges],
            "source": ["OSM " + ";".join(f"way/{w}" for w in e.way_ids) for e in edges],
        },
        geometry=[shapely.LineString(e.coords) for e in edges],
        crs="EPSG:4326",
    )


def _empty_roads() -> gpd.GeoDataFrame:
    columns = ["highway", "name", "ref", "oneway", "speed_kmh", "length_m", "source"]
    return gpd.GeoDataFrame({c: [] for c in columns}, geometry=[], crs="EPSG:4326")
