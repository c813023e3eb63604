"""Read what ``ruralnet prepare`` needs from an OpenStreetMap ``.osm.pbf`` extract.

The extract is streamed with pyosmium (libosmium): one pass over the relations for the
``route=bus`` relations, one pass over the whole file with a node-location cache and the
multipolygon assembler for ``boundary=administrative`` areas. Tag filters run inside libosmium,
so only candidate objects reach Python. Everything outside ``bbox`` is skipped.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path

import shapely
from shapely.geometry.base import BaseGeometry

from ruralnet.errors import DataError

__all__ = [
    "ROUTE_HIGHWAYS",
    "OsmArea",
    "OsmExtract",
    "OsmPoint",
    "OsmRoute",
    "OsmWay",
    "read_osm",
]

logger = logging.getLogger(__name__)

#: Every highway class read from the file; prepare decides which of them become roads.
ROUTE_HIGHWAYS: tuple[str, ...] = (
    "motorway",
    "motorway_link",
    "trunk",
    "trunk_link",
    "primary",
    "primary_link",
    "secondary",
    "secondary_link",
    "tertiary",
    "tertiary_link",
    "unclassified",
    "residential",
    "living_street",
    "road",
    "service",
    "track",
    "busway",
)
_POINT_KEYS = ("place", "amenity", "shop", "highway", "public_transport")
_POI_AMENITIES = frozenset({"post_office", "townhall", "parcel_locker"})
_STOP_ROLES = ("stop", "stop_entry_only", "stop_exit_only", "forward_stop", "backward_stop")
_PLATFORM_ROLES = ("platform", "platform_entry_only", "platform_exit_only")

_MIN_NODES = 2

BBox = tuple[float, float, float, float]


@dataclass(frozen=True)
class OsmWay:
    """A highway way: id, tags, node ids and their (lon, lat)."""

    id: int
    tags: dict[str, str]
    node_ids: tuple[int, ...]
    coords: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class OsmPoint:
    """A tagged point: a node, or the centroid of a closed way or multipolygon (``osm_type``)."""

    osm_type: str
    id: int
    tags: dict[str, str]
    lon: float
    lat: float

    @property
    def ref(self) -> str:
        """``node/123``-style reference for ``source`` columns."""
        return f"{self.osm_type}/{self.id}"


@dataclass(frozen=True)
class OsmArea:
    """A ``boundary=administrative`` (multi)polygon."""

    osm_type: str
    id: int
    tags: dict[str, str]
    geometry: BaseGeometry

    @property
    def ref(self) -> str:
        """``relation/123``-style reference."""
        return f"{self.osm_type}/{self.id}"


@dataclass
class OsmRoute:
    """A ``route=bus`` relation with its stops in member order."""

    id: int
    tags: dict[str, str]
    stops: list[OsmPoint] = field(default_factory=list)
    n_stop_members: int = 0
    way_ids: list[int] = field(default_factory=list)
    geometry: BaseGeometry | None = None
    n_ways_missing: int = 0


@dataclass
class OsmExtract:
    """What :func:`read_osm` found in the extract."""

    path: Path
    bbox: BBox | None
    bbox_from_header: bool
    ways: list[OsmWay] = field(default_factory=list)
    places: list[OsmPoint] = field(default_factory=list)
    pois: list[OsmPoint] = field(default_factory=list)
    admin_areas: list[OsmArea] = field(default_factory=list)
    bus_routes: list[OsmRoute] = field(default_factory=list)
    #: Box of the end nodes of every highway way in the file (also those outside ``bbox``).
    data_extent: list[float] = field(
        default_factory=lambda: [math.inf, math.inf, -math.inf, -math.inf]
    )

    def extend(self, lon: float, lat: float) -> None:
        """Grow :attr:`data_extent` to include a point."""
        e = self.data_extent
        e[0], e[1], e[2], e[3] = min(e[0], lon), min(e[1], lat), max(e[2], lon), max(e[3], lat)


def _in_box(lon: float, lat: float, box: BBox | None) -> bool:
    return box is None or (box[0] <= lon <= box[2] and box[1] <= lat <= box[3])


def header_bbox(path: str | Path) -> BBox | None:
    """
    Return the bounding box recorded in the extract's header, if any.

    Parameters
    ----------
    path
        The ``.osm.pbf`` file.

    Returns
    -------
    tuple or None
        ``(min_lon, min_lat, max_lon, max_lat)``, or None when the header has no valid box.

    Raises
    ------
    DataError
        When the file is missing or not an OSM file.
    """
    import osmium

    src = _check_file(path)
    try:
        reader = osmium.io.Reader(str(src), osmium.osm.osm_entity_bits.NOTHING)
        try:
            box = reader.header().box()
        finally:
            reader.close()
    except RuntimeError as exc:
        raise DataError(
            src, f"cannot be read as an OSM extract ({exc})", "Pass an .osm.pbf file."
        ) from exc
    if not box.valid():
        return None
    return (box.bottom_left.lon, box.bottom_left.lat, box.top_right.lon, box.top_right.lat)


def _check_file(path: str | Path) -> Path:
    src = Path(path)
    if not src.is_file():
        raise DataError(src, "the OSM extract does not exist", "Check the --osm path.")
    return src


def _read_routes(path: Path) -> dict[int, tuple[dict[str, str], list[tuple[str, int, str]]]]:
    """Pass 1: ``route=bus`` relations as ``id -> (tags, [(type, ref, role), ...])``."""
    import osmium

    routes: dict[int, tuple[dict[str, str], list[tuple[str, int, str]]]] = {}
    fp = osmium.FileProcessor(str(path), osmium.osm.RELATION).with_filter(
        osmium.filter.TagFilter(("route", "bus"))
    )
    for rel in fp:
        members = [(m.type, m.ref, m.role) for m in rel.members]
        routes[rel.id] = (dict(rel.tags), members)
    return routes


def read_osm(path: str | Path, *, bbox: BBox | None = None) -> OsmExtract:
    """
    Read highways, places, candidate-site POIs, admin boundaries and bus routes.

    Parameters
    ----------
    path
        The ``.osm.pbf`` (or ``.osm``/``.osm.bz2``) extract.
    bbox
        ``(min_lon, min_lat, max_lon, max_lat)``; objects entirely outside are skipped
        (bus routes are kept, with their stops and ways outside ``bbox`` counted as missing).

    Returns
    -------
    OsmExtract
        Ways of :data:`ROUTE_HIGHWAYS`, ``place=*`` points, POIs (``amenity`` post office,
        townhall, parcel locker; any ``shop``), ``boundary=administrative`` areas and
        ``route=bus`` relations.

    Raises
    ------
    DataError
        When the file is missing or cannot be parsed.
    """
    src = _check_file(path)
    box = header_bbox(src)
    extract = OsmExtract(path=src, bbox=box, bbox_from_header=box is not None)
    try:
        route_members = _read_routes(src)
        _read_main(src, extract, bbox, route_members)
    except RuntimeError as exc:
        raise DataError(
            src, f"cannot be read as an OSM extract ({exc})", "Pass a valid .osm.pbf file."
        ) from exc
    if extract.bbox is None and math.isfinite(extract.data_extent[0]):
        e = extract.data_extent
        extract.bbox = (e[0], e[1], e[2], e[3])
    logger.info(
        "%s: %d highway ways, %d places, %d POIs, %d admin areas, %d bus routes",
        src.name,
        len(extract.ways),
        len(extract.places),
        len(extract.pois),
        len(extract.admin_areas),
        len(extract.bus_routes),
    )
    return extract


def _processor(path: Path) -> object:
    import osmium
    from osmium.osm import AREA, NODE, RELATION, WAY

    way_pairs = [("highway", h) for h in (*ROUTE_HIGHWAYS, "platform", "bus_stop")]
    way_pairs.append(("public_transport", "platform"))
    return (
        osmium.FileProcessor(str(path))
        .with_locations()
        .with_areas(osmium.filter.TagFilter(("boundary", "administrative")))
        .with_filter(osmium.filter.KeyFilter(*_POINT_KEYS).enable_for(NODE))
        .with_filter(osmium.filter.TagFilter(*way_pairs).enable_for(WAY))
        .with_filter(
            osmium.filter.KeyFilter("boundary", "amenity", "shop", "place").enable_for(AREA)
        )
        .with_filter(osmium.filter.KeyFilter("__none__").enable_for(RELATION))
    )


def _read_main(
    path: Path,
    extract: OsmExtract,
    bbox: BBox | None,
    route_members: dict[int, tuple[dict[str, str], list[tuple[str, int, str]]]],
) -> None:
    """Pass 2: nodes, ways and areas."""
    import osmium

    wanted_ways = {ref for _, ms in route_members.values() for t, ref, _ in ms if t == "w"}
    member_ways: dict[int, tuple[list[tuple[float, float]], dict[str, str]]] = {}
    tagged_nodes: dict[int, OsmPoint] = {}
    fab = osmium.geom.WKBFactory()
    fp = _processor(path)
    for obj in fp:  # type: ignore[attr-defined]
        if obj.is_node():
            _take_node(obj, bbox, extract, tagged_nodes)
        elif obj.is_way():
            _take_way(obj, bbox, extract, wanted_ways, member_ways)
        elif obj.is_area():
            _take_area(obj, bbox, extract, fab)
    locations = fp.node_location_storage  # type: ignore[attr-defined]
    for rid in sorted(route_members):
        tags, members = route_members[rid]
        extract.bus_routes.append(
            _build_route(rid, tags, members, tagged_nodes, member_ways, locations, bbox)
        )


def _take_node(obj: object, bbox: BBox | None, extract: OsmExtract, nodes: dict) -> None:
    loc = obj.location  # type: ignore[attr-defined]
    if not loc.valid() or not _in_box(loc.lon, loc.lat, bbox):
        return
    tags = dict(obj.tags)  # type: ignore[attr-defined]
    point = OsmPoint("node", obj.id, tags, loc.lon, loc.lat)  # type: ignore[attr-defined]
    if "place" in tags:
        extract.places.append(point)
    if tags.get("amenity") in _POI_AMENITIES or "shop" in tags:
        extract.pois.append(point)
    if "public_transport" in tags or tags.get("highway") == "bus_stop":
        nodes[point.id] = point


def _take_way(
    obj: object,
    bbox: BBox | None,
    extract: OsmExtract,
    wanted: set[int],
    member_ways: dict[int, tuple[list[tuple[float, float]], dict[str, str]]],
) -> None:
    import osmium

    try:
        coords = [(n.lon, n.lat) for n in obj.nodes]  # type: ignore[attr-defined]
    except osmium.InvalidLocationError:
        logger.debug("way %s has nodes missing from the extract; skipped", obj.id)  # type: ignore[attr-defined]
        return
    if len(coords) < _MIN_NODES:
        return
    extract.extend(*coords[0])
    extract.extend(*coords[-1])
    if not any(_in_box(x, y, bbox) for x, y in coords):
        return
    tags = dict(obj.tags)  # type: ignore[attr-defined]
    if obj.id in wanted:  # type: ignore[attr-defined]
        member_ways[obj.id] = (coords, tags)  # type: ignore[attr-defined]
    if tags.get("area") == "yes" or tags.get("highway") not in ROUTE_HIGHWAYS:
        return
    node_ids = tuple(n.ref for n in obj.nodes)  # type: ignore[attr-defined]
    extract.ways.append(OsmWay(obj.id, tags, node_ids, tuple(coords)))  # type: ignore[attr-defined]


def _take_area(obj: object, bbox: BBox | None, extract: OsmExtract, fab: object) -> None:
    try:
        geom = shapely.from_wkb(fab.create_multipolygon(obj))  # type: ignore[attr-defined]
    except RuntimeError:
        return
    if geom.is_empty:
        return
    if bbox is not None and not geom.intersects(shapely.box(*bbox)):
        return
    tags = dict(obj.tags)  # type: ignore[attr-defined]
    osm_type = "way" if obj.from_way() else "relation"  # type: ignore[attr-defined]
    oid = obj.orig_id()  # type: ignore[attr-defined]
    if tags.get("boundary") == "administrative" and "admin_level" in tags:
        if not geom.is_valid:
            geom = shapely.make_valid(geom)
        extract.admin_areas.append(OsmArea(osm_type, oid, tags, geom))
    if tags.get("amenity") in _POI_AMENITIES or "shop" in tags or "place" in tags:
        centre = geom.representative_point()
        point = OsmPoint(osm_type, oid, tags, centre.x, centre.y)
        if "place" in tags:
            extract.places.append(point)
        if tags.get("amenity") in _POI_AMENITIES or "shop" in tags:
            extract.pois.append(point)


def _build_route(
    rid: int,
    tags: dict[str, str],
    members: list[tuple[str, int, str]],
    tagged_nodes: dict[int, OsmPoint],
    member_ways: dict[int, tuple[list[tuple[float, float]], dict[str, str]]],
    locations: object,
    bbox: BBox | None,
) -> OsmRoute:
    """Collect stops from ``stop*`` members, or from ``platform*`` members when there are none."""
    route = OsmRoute(id=rid, tags=tags)
    stop_members = [(t, ref) for t, ref, role in members if role in _STOP_ROLES]
    if not stop_members:
        stop_members = [(t, ref) for t, ref, role in members if role in _PLATFORM_ROLES]
    route.n_stop_members = len(stop_members)
    for mtype, ref in stop_members:
        point = _member_point(mtype, ref, tagged_nodes, member_ways, locations)
        if point is not None and _in_box(point.lon, point.lat, bbox):
            route.stops.append(point)
    lines = []
    for mtype, ref, role in members:
        if mtype != "w" or role not in ("", "forward", "backward"):
            continue
        route.way_ids.append(ref)
        if ref in member_ways:
            lines.append(shapely.LineString(member_ways[ref][0]))
        else:
            route.n_ways_missing += 1
    route.geometry = shapely.MultiLineString(lines) if lines else None
    return route


def _member_point(
    mtype: str,
    ref: int,
    tagged_nodes: dict[int, OsmPoint],
    member_ways: dict[int, tuple[list[tuple[float, float]], dict[str, str]]],
    locations: object,
) -> OsmPoint | None:
    if mtype == "n":
        if ref in tagged_nodes:
            return tagged_nodes[ref]
        try:
            loc = locations.get(ref)  # type: ignore[attr-defined]
        except (KeyError, RuntimeError):
            return None
        return OsmPoint("node", ref, {}, loc.lon, loc.lat) if loc.valid() else None
    if mtype == "w" and ref in member_ways:
        coords, tags = member_ways[ref]
        centre = shapely.LineString(coords).centroid
        return OsmPoint("way", ref, tags, centre.x, centre.y)
    return None
