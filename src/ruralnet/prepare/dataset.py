"""``ruralnet prepare``: build a county dataset from OpenStreetMap and the official village list.

:func:`prepare_dataset` reads an ``.osm.pbf`` extract (:mod:`ruralnet.prepare.osm`), the county
boundary, optionally the statistics bureau's village list, a points file with village positions
(WGS84, GCJ-02 or BD-09) and a bus-stop CSV, and writes a dataset folder in the format of
the README's "County dataset format". The folder is written to a temporary sibling and renamed into
place, so a failed run leaves the old dataset (or nothing); the same inputs give the same
bytes. See ``docs/prepare.md`` for the rules and defaults.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from shapely.geometry.base import BaseGeometry

from ruralnet._files import folder_lock, staged_folder
from ruralnet.data import LAYERS, CountyDataset, write_dataset
from ruralnet.errors import DataError, OutputError
from ruralnet.prepare.coords import normalise_crs
from ruralnet.prepare.inputs import (
    Boundary,
    read_boundary,
    read_bus_csv,
    read_points,
    read_village_list,
)
from ruralnet.prepare.osm import OsmExtract, OsmPoint, header_bbox, read_osm
from ruralnet.prepare.places import (
    Unlocated,
    detect_shift,
    metric_xy,
    named_places_inside,
    shift_pairs,
)
from ruralnet.prepare.roadgraph import ComponentInfo
from ruralnet.prepare.roads import RoadResult, build_roads
from ruralnet.prepare.sites import bus_from_csv, bus_from_osm, centre_sites, hub_site, station_sites
from ruralnet.prepare.towns import Places, TownContext, places_from_list, places_from_osm

__all__ = ["OSM_ATTRIBUTION", "PrepareOptions", "PrepareReport", "prepare_dataset"]

logger = logging.getLogger(__name__)

OSM_ATTRIBUTION = "© OpenStreetMap contributors, ODbL 1.0"
_COVERAGE_MIN = 0.99  # of the boundary inside the extract's header box
_COVERAGE_MIN_DATA = 0.9  # inside the box of the roads read, when the header has no box
_PLACE_MARGIN_M = 500.0
_MAX_LISTED = 10


@dataclass
class PrepareReport:
    """What :func:`prepare_dataset` wrote and what it could not do."""

    name: str
    out_dir: Path
    villages: int = 0
    villages_listed: int | None = None
    located_by: dict[str, int] = field(default_factory=dict)
    unlocated: list[Unlocated] = field(default_factory=list)
    townships: int = 0
    station_sites: dict[str, int] = field(default_factory=dict)
    centre_sites: dict[str, int] = field(default_factory=dict)
    hubs: int = 0
    road_lines: int = 0
    road_km: dict[str, float] = field(default_factory=dict)
    dropped_components: list[ComponentInfo] = field(default_factory=list)
    dropped_roads: gpd.GeoDataFrame | None = field(default=None, repr=False)
    service_kept: int = 0
    service_skipped: int = 0
    ways_closed_to_vans: int = 0
    bus_lines: int = 0
    bus_stops: int = 0
    bus_notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def road_km_total(self) -> float:
        """Kilometres of road written."""
        return sum(self.road_km.values())

    @property
    def dropped_km(self) -> float:
        """Kilometres of road left out as not strongly connected to the main network."""
        return sum(c.length_km for c in self.dropped_components)

    def summary_lines(self) -> list[str]:
        """
        Human-readable summary for the command line.

        Returns
        -------
        list of str
            One line per topic, then warnings and the first unlocated villages.
        """
        lines = [f"{self.name} → {self.out_dir}"]
        how = ", ".join(f"{n} by {k}" for k, n in sorted(self.located_by.items()))
        if self.villages_listed is None:
            lines.append(f"villages: {self.villages} (OSM places)")
        else:
            lines.append(
                f"villages: {self.villages} of {self.villages_listed} listed located ({how}); "
                f"{len(self.unlocated)} unlocated"
            )
        sites = ", ".join(f"{n} {k}" for k, n in sorted(self.station_sites.items()))
        centres = ", ".join(f"{n} {k}" for k, n in sorted(self.centre_sites.items()))
        lines.append(
            f"townships: {self.townships}; station sites: {sites}; centre sites: {centres}; "
            f"hubs: {self.hubs}"
        )
        top = sorted(self.road_km.items(), key=lambda kv: -kv[1])
        classes = ", ".join(f"{k} {v:.1f}" for k, v in top)
        lines.append(f"roads: {self.road_lines} lines, {self.road_km_total:.1f} km ({classes})")
        if self.dropped_components:
            big = self.dropped_components[0]
            lines.append(
                f"dropped: {len(self.dropped_components)} road parts not strongly connected to "
                f"the main network, {self.dropped_km:.1f} km (largest {big.length_km:.1f} km "
                f"{'/'.join(big.highways)} at {big.lon:.5f}, {big.lat:.5f})"
            )
        lines.append(
            f"service roads: {self.service_kept} kept near places, {self.service_skipped} "
            f"skipped; {self.ways_closed_to_vans} ways closed to vans"
        )
        lines.append(f"bus: {self.bus_lines} lines, {self.bus_stops} stops")
        lines += [f"  {note}" for note in self.bus_notes]
        lines += [f"warning: {w}" for w in self.warnings]
        for u in self.unlocated[:_MAX_LISTED]:
            lines.append(f"unlocated: {u.village_id} {u.name} ({u.township_name}): {u.reason}")
        if len(self.unlocated) > _MAX_LISTED:
            lines.append(
                f"… and {len(self.unlocated) - _MAX_LISTED} more in unlocated_villages.csv"
            )
        return lines


def _utm(geom: BaseGeometry) -> CRS:
    return gpd.GeoSeries([geom], crs="EPSG:4326").estimate_utm_crs()


def _check_coverage(osm_path: Path, boundary: Boundary) -> None:
    box = header_bbox(osm_path)
    if box is None:
        return  # checked after reading, from the data extent
    _coverage_error(osm_path, boundary, box, _COVERAGE_MIN)


def _coverage_error(
    osm_path: Path, boundary: Boundary, box: tuple[float, float, float, float], needed: float
) -> None:
    area = boundary.geometry.area
    share = boundary.geometry.intersection(shapely.box(*box)).area / area if area else 0.0
    if share >= needed:
        return
    b = boundary.geometry.bounds
    raise DataError(
        osm_path,
        f"the extract does not cover the boundary: it spans lon {box[0]:.3f}..{box[2]:.3f}, "
        f"lat {box[1]:.3f}..{box[3]:.3f} but {boundary.path.name} spans lon "
        f"{b[0]:.3f}..{b[2]:.3f}, lat {b[1]:.3f}..{b[3]:.3f} ({share:.1%} of its area inside)",
        "Download an extract that contains the whole county (e.g. the province extract) "
        "or pass the matching --boundary.",
    )


@dataclass(frozen=True)
class PrepareOptions:
    """Rules of :func:`prepare_dataset` beyond its input files (the CLI's other options).

    Attributes
    ----------
    points_crs
        ``wgs84``, ``gcj02`` (Amap, Tencent) or ``bd09`` (Baidu): the points file's datum
        (``--points-crs``).
    bus_crs
        Datum of the bus CSV; the points file's when None.
    include_tracks
        Keep ``highway=track`` roads (``--no-tracks`` drops them).
    buffer_m
        Roads are kept up to this far outside the boundary, m (``--buffer-m``).
    name
        County name for ``dataset.toml``; the boundary's ``name`` when None (``--name``).
    default_population
        Residents of a village without a ``population`` tag (OSM places scale it by class).
    township_admin_level
        OSM ``admin_level`` of townships.
    station_radius_m
        A post office or shop this close to a village becomes an ``existing`` station site.
    service_reach_m
        A ``highway=service`` way is kept when it comes this close to a place or site.
    hub_lonlat
        Put the fixed hub here instead of at the main town.
    """

    points_crs: str = "wgs84"
    bus_crs: str | None = None
    include_tracks: bool = True
    buffer_m: float = 2000.0
    name: str | None = None
    default_population: int = 1000
    township_admin_level: str = "8"
    station_radius_m: float = 300.0
    service_reach_m: float = 300.0
    hub_lonlat: tuple[float, float] | None = None


def prepare_dataset(
    osm_path: str | Path,
    boundary_path: str | Path,
    out_dir: str | Path,
    *,
    villages_csv: str | Path | None = None,
    points_csv: str | Path | None = None,
    bus_csv: str | Path | None = None,
    options: PrepareOptions | None = None,
) -> PrepareReport:
    """
    Build a county dataset folder from an OSM extract, a boundary and the village list.

    Parameters
    ----------
    osm_path
        ``.osm.pbf`` extract that covers the county (``--osm``).
    boundary_path
        County boundary polygon, GeoJSON in WGS84 (``--boundary``).
    out_dir
        Dataset folder to write (``-o``): new, empty, or a dataset folder written by ``prepare``
        (replaced whole). A folder holding any other file, or one of the inputs, is refused.
    villages_csv
        Official village list (统计用区划代码 CSV, ``--villages``); without it the OSM
        places are the villages.
    points_csv
        Village positions: ``code12`` or ``name``, ``lon``, ``lat`` (``--points``).
    bus_csv
        Bus stops ``line_id, seq, name, lon, lat``; replaces the OSM bus routes.
    options
        Coordinate systems of the planner's files, road and place rules
        (:class:`PrepareOptions`; its defaults when omitted).

    Returns
    -------
    PrepareReport
        Counts, road kilometres, dropped road parts, unlocated villages and warnings.

    Raises
    ------
    DataError
        For unreadable inputs, an extract that does not cover the boundary, an empty clip,
        or a village list none of whose villages can be located.
    """
    opt = PrepareOptions() if options is None else options
    osm_path, out = Path(osm_path), Path(out_dir)
    _check_out_dir(out, [osm_path, boundary_path, villages_csv, points_csv, bus_csv])
    points_crs = _crs_option(opt.points_crs, points_csv)
    boundary = read_boundary(boundary_path)
    listed, points, bus_table = _read_planner_files(villages_csv, points_csv, bus_csv, opt)
    _check_coverage(osm_path, boundary)
    area = _clip_area(boundary, opt.buffer_m)
    extract = _read_extract(osm_path, boundary, area)

    county = opt.name or boundary.name or osm_path.name.split(".")[0]
    report = PrepareReport(name=county, out_dir=out)
    places = named_places_inside(extract.places, area.margin_deg)
    context = TownContext(boundary, area.to_m, opt.township_admin_level, opt.default_population)
    found = _villages(
        extract,
        places,
        listed,
        points,
        context=context,
        accept_area=area.clip_deg,
        points_label=Path(points_csv).name if points_csv else "",
        points_crs=points_crs,
    )
    report.warnings += found.warnings

    roads = _prepared_roads(extract, area, found, opt)
    _check_found(osm_path, boundary, opt.buffer_m, roads, found, listed, villages_csv)
    sites = _site_layers(found, extract, places, boundary, county, area.to_m, opt)
    bus_stops, bus_lines, report.bus_notes = _bus_layers(bus_table, bus_csv, extract, area)

    layers = _layers(county, boundary, found, sites, roads, bus_stops)
    attribution = _attribution(osm_path, boundary, villages_csv, points_csv, points_crs, bus_csv)
    meta = _metadata(county, area.crs, found, attribution)
    _write(out, layers, bus_lines, meta, found.unlocated)
    _fill_report(report, layers, roads, found, listed)
    report.bus_lines = len(bus_lines)
    for line in report.summary_lines():
        logger.info("%s", line)
    return report


@dataclass(frozen=True)
class _ClipArea:
    """The county's metric projection and the areas cut out around its boundary."""

    crs: CRS
    to_m: Transformer
    clip_m: BaseGeometry  # the boundary grown by ``buffer_m``, metric
    clip_deg: BaseGeometry  # the same in WGS84
    margin_deg: BaseGeometry  # the boundary grown by the place margin, WGS84


def _clip_area(boundary: Boundary, buffer_m: float) -> _ClipArea:
    """Project the boundary to its UTM zone and grow it into the road clip and place margin."""
    crs = _utm(boundary.geometry)
    to_m = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    to_deg = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    boundary_m = shapely.transform(boundary.geometry, to_m.transform, interleaved=False)
    clip_m = boundary_m.buffer(buffer_m)
    clip_deg = shapely.transform(clip_m, to_deg.transform, interleaved=False)
    margin_deg = shapely.transform(
        boundary_m.buffer(_PLACE_MARGIN_M), to_deg.transform, interleaved=False
    )
    return _ClipArea(crs, to_m, clip_m, clip_deg, margin_deg)


def _read_extract(osm_path: Path, boundary: Boundary, area: _ClipArea) -> OsmExtract:
    """Read the extract within the clip's box; check coverage by its data when it has no box."""
    extract = read_osm(osm_path, bbox=area.clip_deg.bounds)
    if not extract.bbox_from_header and extract.bbox is not None:
        _coverage_error(osm_path, boundary, extract.bbox, _COVERAGE_MIN_DATA)
    return extract


def _prepared_roads(
    extract: OsmExtract, area: _ClipArea, found: Places, opt: PrepareOptions
) -> RoadResult:
    """Build the road layer inside the clip, keeping service roads near the anchors."""
    anchors = _anchors(found, extract, area.to_m)
    return build_roads(
        extract.ways,
        area.clip_m,
        to_metric=area.to_m,
        include_tracks=opt.include_tracks,
        anchors_xy=anchors,
        service_reach_m=opt.service_reach_m,
    )


def _check_found(
    osm_path: Path,
    boundary: Boundary,
    buffer_m: float,
    roads: RoadResult,
    found: Places,
    listed: pd.DataFrame | None,
    villages_csv: str | Path | None,
) -> None:
    """Refuse an empty road clip and a dataset without villages."""
    if roads.roads.empty:
        raise DataError(
            osm_path,
            f"no drivable road lies inside {boundary.path.name} or within {buffer_m:.0f} m of it "
            "(the clip is empty)",
            "Check that the boundary and the extract show the same place (and lon/lat order).",
        )
    if listed is not None and found.villages.empty:
        raise DataError(
            Path(villages_csv),  # type: ignore[arg-type]
            f"none of its {len(listed)} administrative villages could be located in "
            f"{boundary.path.name} (e.g. {found.unlocated[0].name}: {found.unlocated[0].reason})",
            "Pass a --points CSV (code12 or name, lon, lat) with the village positions.",
        )
    if found.villages.empty:
        raise DataError(
            osm_path,
            f"has no place=city/town/suburb/village/hamlet inside {boundary.path.name}",
            "Pass the official village list with --villages and their positions with --points.",
        )


def _site_layers(
    found: Places,
    extract: OsmExtract,
    places: list[OsmPoint],
    boundary: Boundary,
    county: str,
    to_m: Transformer,
    opt: PrepareOptions,
) -> dict[str, gpd.GeoDataFrame]:
    """Build the station-site, centre-site and hub layers around the located villages."""
    village_points = found.villages.assign(
        lon=found.villages.geometry.x, lat=found.villages.geometry.y
    )
    stations = station_sites(village_points, extract.pois, to_m, radius_m=opt.station_radius_m)
    centres = centre_sites(found.towns, village_points, places, extract.pois, to_m)
    shapely.prepare(boundary.geometry)
    inside = [p for p in places if shapely.contains_xy(boundary.geometry, p.lon, p.lat)]
    hubs = hub_site(inside, county, villages=village_points, hub_lonlat=opt.hub_lonlat)
    return {"station_sites": stations, "centre_sites": centres, "hubs": hubs}


def _bus_layers(
    bus_table: pd.DataFrame | None,
    bus_csv: str | Path | None,
    extract: OsmExtract,
    area: _ClipArea,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame, list[str]]:
    """Bus stops, lines and notes from the bus CSV when given, else from the OSM routes."""
    if bus_table is not None:
        bus_stops, bus_lines = bus_from_csv(bus_table, Path(bus_csv).name)  # type: ignore[arg-type]
        return bus_stops, bus_lines, []
    return bus_from_osm(extract.bus_routes, area.clip_deg)


def _layers(
    county: str,
    boundary: Boundary,
    found: Places,
    sites: dict[str, gpd.GeoDataFrame],
    roads: RoadResult,
    bus_stops: gpd.GeoDataFrame,
) -> dict[str, gpd.GeoDataFrame]:
    """Gather the dataset's layers in their file order."""
    return {
        "boundary": gpd.GeoDataFrame(
            {"name": [county]}, geometry=[boundary.geometry], crs="EPSG:4326"
        ),
        "townships": found.townships,
        "villages": found.villages,
        **sites,
        "roads": roads.roads,
        "bus_stops": bus_stops,
    }


def _metadata(county: str, crs: CRS, found: Places, attribution: list[str]) -> dict[str, object]:
    """Build the ``dataset.toml`` metadata: name, CRS, generated fields and attribution."""
    return {
        "name": county,
        "crs": crs.to_string(),
        "generated": _generated(found),
        "attribution": attribution,
    }


def _read_planner_files(
    villages_csv: str | Path | None,
    points_csv: str | Path | None,
    bus_csv: str | Path | None,
    opt: PrepareOptions,
) -> tuple[pd.DataFrame | None, pd.DataFrame | None, pd.DataFrame | None]:
    """Read the village list, points and bus CSV that were given (None for the others)."""
    points_crs = _crs_option(opt.points_crs, points_csv)
    listed = read_village_list(villages_csv) if villages_csv is not None else None
    points = read_points(points_csv, points_crs) if points_csv is not None else None
    if points is not None and listed is None:
        raise DataError(
            Path(points_csv),  # type: ignore[arg-type]
            "a points file locates the villages of a village list, but none was given",
            "Pass the village list with --villages.",
        )
    bus_table = read_bus_csv(bus_csv, opt.bus_crs or points_crs) if bus_csv is not None else None
    return listed, points, bus_table


def _fill_report(
    report: PrepareReport,
    layers: dict[str, gpd.GeoDataFrame],
    roads: RoadResult,
    found: Places,
    listed: pd.DataFrame | None,
) -> None:
    report.villages = len(found.villages)
    report.villages_listed = None if listed is None else len(listed)
    report.located_by = dict(Counter(found.villages["located_by"]))
    report.unlocated = found.unlocated
    report.townships = len(found.townships)
    report.station_sites = dict(Counter(layers["station_sites"]["kind"]))
    report.centre_sites = dict(Counter(layers["centre_sites"]["kind"]))
    report.hubs = len(layers["hubs"])
    report.bus_stops = len(layers["bus_stops"])
    report.road_lines = len(roads.roads)
    km = roads.roads.groupby("highway")["length_m"].sum() / 1000.0
    report.road_km = {str(k): round(float(v), 3) for k, v in km.items()}
    report.dropped_components = roads.dropped
    report.dropped_roads = roads.dropped_roads
    report.service_kept = roads.n_service_kept
    report.service_skipped = roads.n_service_skipped
    report.ways_closed_to_vans = roads.n_no_motor


def _villages(
    extract: OsmExtract,
    places: list[OsmPoint],
    listed: pd.DataFrame | None,
    points: pd.DataFrame | None,
    *,
    context: TownContext,
    accept_area: BaseGeometry,
    points_label: str,
    points_crs: str,
) -> Places:
    """Villages and townships from the list (or OSM places), with the datum-shift check."""
    if listed is None:
        return places_from_osm(extract, places, context=context)
    found = places_from_list(
        listed,
        extract,
        places,
        points,
        context=context,
        accept_area=accept_area,
        points_label=points_label,
    )
    if points is not None:
        shift = detect_shift(*shift_pairs(_named_points(points, listed), places), points_crs)
        if shift:
            logger.warning("%s", shift)
            found.warnings.append(shift)
    return found


def _named_points(points: pd.DataFrame, listed: pd.DataFrame | None) -> pd.DataFrame:
    """Fill empty point names from the village list (by ``code12``) for the shift check."""
    if listed is None:
        return points
    names = dict(zip(listed["code12"], listed["name"], strict=True))
    filled = [n or names.get(c, "") for n, c in zip(points["name"], points["code12"], strict=True)]
    return points.assign(name=filled)


def _crs_option(points_crs: str, points_csv: str | Path | None) -> str:
    try:
        return normalise_crs(points_crs)
    except ValueError as exc:
        raise DataError(
            Path(points_csv or "points"), str(exc), "Use --points-crs wgs84, gcj02 or bd09."
        ) from None


def _anchors(found: Places, extract: OsmExtract, to_m: Transformer) -> np.ndarray:
    """Metric points a service road must come near: villages, places, post offices, shops."""
    lon = list(found.villages.geometry.x) + [p.lon for p in extract.places + extract.pois]
    lat = list(found.villages.geometry.y) + [p.lat for p in extract.places + extract.pois]
    return metric_xy(to_m, lon, lat) if lon else np.zeros((0, 2))


def _generated(found: Places) -> list[str]:
    out = ["villages.population"] if found.population_defaulted else []
    if found.township_points:
        out.append("townships.geometry")
    return [*out, "station_sites", "centre_sites", "hubs", "roads.speed_kmh"]


def _attribution(
    osm_path: Path,
    boundary: Boundary,
    villages_csv: str | Path | None,
    points_csv: str | Path | None,
    points_crs: str,
    bus_csv: str | Path | None,
) -> list[str]:
    out = [f"{OSM_ATTRIBUTION} (extract {osm_path.name})", f"Boundary: {boundary.path.name}"]
    if villages_csv is not None:
        out.append(
            f"Village list: {Path(villages_csv).name} (国家统计局 统计用区划代码 village-level units)"
        )
    if points_csv is not None:
        out.append(f"Village positions: {Path(points_csv).name} ({points_crs}, converted to WGS84)")
    if bus_csv is not None:
        out.append(f"Bus lines: {Path(bus_csv).name}")
    return out


#: The files ``prepare`` writes into a dataset folder: the only ones it may replace.
PREPARED_FILES = frozenset(
    {"dataset.toml", "bus_lines.csv", "unlocated_villages.csv", *(f"{n}.geojson" for n in LAYERS)}
)


def _check_out_dir(out: Path, inputs: list[str | Path | None]) -> None:
    """Refuse an output folder whose replacement would delete anything but a prepared dataset."""
    if out.exists() and not out.is_dir():
        msg = f"{out}: is a file, not a folder; pass a folder for the dataset (-o)"
        raise OutputError(msg)
    if not out.parent.is_dir():
        msg = f"{out}: its parent folder does not exist; create the parent folder"
        raise OutputError(msg)
    home = out.resolve()
    for given in inputs:
        if given is not None and home in Path(given).resolve().parents:
            msg = (
                f"{out}: holds the input {Path(given).name}, which replacing the folder would "
                "delete; write the dataset to another folder (-o)"
            )
            raise OutputError(msg)
    if out.is_dir():
        foreign = sorted(
            p.name
            for p in out.iterdir()
            if p.name not in PREPARED_FILES or p.is_symlink() or not p.is_file()
        )
        if foreign:
            msg = (
                f"{out}: holds files ruralnet prepare did not write "
                f"({', '.join(foreign[:_MAX_LISTED])}); pass a new or empty folder, or a "
                "dataset folder written by ruralnet prepare"
            )
            raise OutputError(msg)


def _write(
    out: Path,
    layers: dict[str, gpd.GeoDataFrame],
    bus_lines: pd.DataFrame,
    meta: dict[str, object],
    unlocated: list[Unlocated],
) -> None:
    """Write every file into a staging folder beside ``out``, then swap it in.

    The folder is checked again under its lock: another writer may have been at work since.
    """
    with folder_lock(out):
        _check_out_dir(out, [])
        _write_staged(out, layers, bus_lines, meta, unlocated)


def _write_staged(
    out: Path,
    layers: dict[str, gpd.GeoDataFrame],
    bus_lines: pd.DataFrame,
    meta: dict[str, object],
    unlocated: list[Unlocated],
) -> None:
    with staged_folder(out) as tmp:
        write_dataset(CountyDataset(layers=layers, bus_lines=bus_lines, metadata=meta), tmp)
        if layers["bus_stops"].empty:
            (tmp / "bus_stops.geojson").unlink()
            (tmp / "bus_lines.csv").unlink()
        if unlocated:
            table = pd.DataFrame(
                {
                    "code12": [u.village_id for u in unlocated],
                    "name": [u.name for u in unlocated],
                    "township_code9": [u.township_id for u in unlocated],
                    "township_name": [u.township_name for u in unlocated],
                    "lon": "",
                    "lat": "",
                    "reason": [u.reason for u in unlocated],
                }
            )
            # with a BOM so that Excel shows the Chinese names when the planner fills it in
            table.to_csv(tmp / "unlocated_villages.csv", index=False, encoding="utf-8-sig")
