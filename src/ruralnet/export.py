"""Write a plan: RFC 7946 GeoJSON, planner tables (CSV), summary.json and the map.

Every file is written under a temporary name first. :func:`write_plan` builds the whole
output folder beside the target and swaps it in, so a crash leaves the old outputs or the
new ones, never a mix.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import shapely

from ruralnet._files import atomic_path, folder_lock, staged_folder, write_text_atomic
from ruralnet.cold_chain import cold_chain_tables
from ruralnet.errors import OutputError
from ruralnet.gis import write_geopackage
from ruralnet.lockers import locker_villages_table, lockers_table
from ruralnet.report_html import write_report_html
from ruralnet.routes.data import RoutePlan
from ruralnet.routes.outputs import route_stops_table, routes_table, write_routes_geojson
from ruralnet.targets import targets_markdown

if TYPE_CHECKING:
    from ruralnet.plan import Plan

__all__ = ["OUTPUT_FILES", "plan_features", "write_geojson", "write_plan", "write_tables"]

OUTPUT_FILES = (
    "plan.geojson",
    "villages.csv",
    "stations.csv",
    "centres.csv",
    "links.csv",
    "plan.gpkg",
    "routes.geojson",
    "routes.csv",
    "route_stops.csv",
    "summary.json",
    "targets.md",
    "cold_chain.csv",
    "cold_legs.csv",
    "lockers.csv",
    "locker_villages.csv",
    "map.html",
    "report.html",
)
_DECIMALS = 7  # about 1 cm at the equator


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, float):
        return round(value, 6)
    return value


def _features(frame: gpd.GeoDataFrame, role: str) -> list[dict[str, Any]]:
    wgs = frame.to_crs(4326)
    geoms = shapely.transform(wgs.geometry.to_numpy(), lambda xy: np.round(xy, _DECIMALS))
    props = wgs.drop(columns="geometry")
    features = []
    for geom, row in zip(geoms, props.to_dict(orient="records"), strict=True):
        properties = {"role": role, **{k: _plain(v) for k, v in row.items()}}
        features.append(
            {
                "type": "Feature",
                "properties": properties,
                "geometry": json.loads(shapely.to_geojson(geom)),
            }
        )
    return features


def plan_features(plan: Plan) -> dict[str, Any]:
    """
    Build the plan as one GeoJSON FeatureCollection (RFC 7946: WGS84 lon/lat, no ``crs`` member).

    Parameters
    ----------
    plan
        A verified plan.

    Returns
    -------
    dict
        Features with ``role`` ``village``, ``station``, ``centre``, ``hub`` and ``link``.
    """
    features = _features(plan.villages, "village")
    features += _features(plan.stations, "station")
    features += _features(plan.centres, "centre")
    features += _features(plan.hubs, "hub")
    features += _features(plan.links, "link")
    if plan.lockers is not None:  # [lockers]: locker sites only when enabled
        features += _features(lockers_table(plan), "locker")
    return {
        "type": "FeatureCollection",
        "ruralnet": {
            "scenario": plan.scenario.scenario.name,
            "dataset": plan.inputs.meta.name,
            "generated_data": list(plan.inputs.meta.generated),
            "attribution": list(plan.inputs.meta.attribution),
        },
        "features": features,
    }


def write_geojson(plan: Plan, path: str | Path) -> Path:
    """
    Write the plan as an RFC 7946 GeoJSON file, atomically.

    Parameters
    ----------
    plan
        A verified plan.
    path
        Destination file; its folder must exist.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    text = json.dumps(plan_features(plan), ensure_ascii=False, separators=(",", ":"))
    return write_text_atomic(path, text + "\n")


def table_csv(frame: gpd.GeoDataFrame) -> str:
    """
    Write a plan table as the CSV text of its file (``lon``/``lat`` for points, 10 digits).

    Parameters
    ----------
    frame
        A table of :class:`~ruralnet.plan.Plan` (villages, stations, centres, links).

    Returns
    -------
    str
        The CSV text, without BOM.
    """
    table = frame.drop(columns="geometry").copy()
    if len(frame) and (frame.geom_type == "Point").all():
        wgs = frame.geometry.to_crs(4326)
        table["lon"] = wgs.x.round(_DECIMALS)
        table["lat"] = wgs.y.round(_DECIMALS)
    return table.to_csv(index=False, float_format="%.10g", lineterminator="\n")


def write_tables(plan: Plan, folder: str | Path) -> list[Path]:
    """
    Write the planner tables as CSV (UTF-8 with BOM, so Excel shows Chinese names).

    Parameters
    ----------
    plan
        A verified plan.
    folder
        Existing destination folder.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    folder = Path(folder)
    tables = {
        "villages.csv": plan.villages,
        "stations.csv": plan.stations,
        "centres.csv": plan.centres,
        "links.csv": plan.links,
    }
    return [
        write_text_atomic(folder / name, table_csv(frame), encoding="utf-8-sig")
        for name, frame in tables.items()
    ]


def write_plan(plan: Plan, folder: str | Path, *, with_map: bool = True) -> list[Path]:
    """
    Write every output of a plan into ``folder`` (see :data:`OUTPUT_FILES`).

    The files are first written into a fresh folder beside ``folder``, which then replaces
    ``folder`` by renames: an interrupted run leaves the previous outputs in place.

    Parameters
    ----------
    plan
        A verified plan.
    folder
        Output folder; created if missing, replaced if it exists.
    with_map
        Also write ``map.html`` and ``report.html`` (the meeting report, which embeds the map).

    Returns
    -------
    list of pathlib.Path
        The files written, in their final place.

    Raises
    ------
    OutputError
        When ``folder`` is not writable or holds files that are not ruralnet outputs
        (so a mistyped ``-o`` never wipes a folder of other files).
    """
    final = Path(folder).resolve()
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        msg = f"{final.parent}: cannot create the output folder ({exc.strerror}); choose another"
        raise OutputError(msg) from None
    with folder_lock(final):  # checked and written by one writer at a time
        _check_replaceable(final)
        with staged_folder(final) as staging:
            write_geojson(plan, staging / "plan.geojson")
            write_tables(plan, staging)
            if plan.routes is not None:
                _write_routes(plan.routes, staging)
            if plan.cold_chain is not None:  # [cold_chain]: its tables only when enabled
                _write_cold_chain(plan, staging)
            if plan.lockers is not None:  # [lockers]: its tables only when enabled
                _write_lockers(plan, staging)
            write_geopackage(plan, staging / "plan.gpkg", routes=plan.routes)
            summary = json.dumps(plan.summary(), ensure_ascii=False, indent=2)
            write_text_atomic(staging / "summary.json", summary + "\n")
            write_text_atomic(staging / "targets.md", targets_markdown(plan))
            if with_map:
                with atomic_path(staging / "map.html") as tmp:
                    plan.map().save(str(tmp))
                write_report_html(plan, staging / "report.html")
    return sorted(final / name for name in OUTPUT_FILES if (final / name).exists())


def _write_routes(routes: RoutePlan, folder: Path) -> None:
    """Routes as GeoJSON along the roads, a routes table and a stop-by-stop table."""
    write_routes_geojson(routes, folder / "routes.geojson")
    for name, table in (
        ("routes.csv", routes_table(routes)),
        ("route_stops.csv", route_stops_table(routes)),
    ):
        text = table.to_csv(index=False, float_format="%.10g", lineterminator="\n")
        write_text_atomic(folder / name, text, encoding="utf-8-sig")


def _write_cold_chain(plan: Plan, folder: Path) -> None:
    """Write the cold chain's villages and cold van legs as two tables."""
    villages, legs = cold_chain_tables(plan)
    for name, table in (("cold_chain.csv", villages), ("cold_legs.csv", legs)):
        text = table.to_csv(index=False, float_format="%.10g", lineterminator="\n")
        write_text_atomic(folder / name, text, encoding="utf-8-sig")


def _write_lockers(plan: Plan, folder: Path) -> None:
    """Write the locker sites (with lon/lat) and each village's locker parcels."""
    write_text_atomic(folder / "lockers.csv", table_csv(lockers_table(plan)), encoding="utf-8-sig")
    text = locker_villages_table(plan).to_csv(
        index=False, float_format="%.10g", lineterminator="\n"
    )
    write_text_atomic(folder / "locker_villages.csv", text, encoding="utf-8-sig")


def _check_replaceable(final: Path) -> None:
    if final.exists() and not final.is_dir():
        msg = f"{final}: exists and is not a folder; choose another output folder"
        raise OutputError(msg)
    if final.is_dir():
        foreign = sorted(
            p.name
            for p in final.iterdir()
            if p.name not in OUTPUT_FILES or p.is_symlink() or not p.is_file()
        )
        if foreign:
            msg = (
                f"{final}: holds files ruralnet did not write ({', '.join(foreign[:3])}); "
                "choose a new or empty output folder"
            )
            raise OutputError(msg)
    if not os.access(final.parent, os.W_OK):
        msg = f"{final.parent}: folder is not writable; choose another output folder"
        raise OutputError(msg)
