"""Write a plan as one GeoPackage for QGIS and other GIS software: one layer per feature kind.

Layers (all in EPSG:4326, WGS84 lon/lat, like ``plan.geojson``):

============  ==================  ==========================================================
layer         geometry            content
============  ==================  ==========================================================
villages      Point               every village, its serving station and road km to it
stations      Point               opened village stations
centres       Point               opened township co-delivery centres
hubs          Point               open county hubs
links         LineString          links in use, hub → centre (trunk), centre → station (feeder)
routes        LineString          daily van loops of each centre (when routes are given)
bus_lines     LineString          bus lines with the parcels they carry (plans with bus lines)
boundary      MultiPolygon        the county boundary (datasets that have one)
roads         MultiLineString     the dataset's roads
============  ==================  ==========================================================

The fields are the columns of the plan's tables (:attr:`ruralnet.plan.Plan.villages` …,
the same as the CSV files) with GeoPackage types: counts as INTEGER, yuan, km and parcels
as REAL, flags (``covered``, ``oneway``) as BOOLEAN, ids, names and sources as UTF-8 TEXT;
missing values are NULL. Each layer's description names the scenario and the generated data.
A table without geometry, ``summary``, holds ``summary.json`` as ``key``/``value`` text rows
(nested keys joined with dots, e.g. ``cost_yuan_per_year.van``).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd
import pyogrio

from ruralnet._files import atomic_path
from ruralnet.errors import OutputError, os_reason

if TYPE_CHECKING:
    from ruralnet.plan import Plan
    from ruralnet.routes.data import RoutePlan

__all__ = ["GPKG_CRS", "GPKG_LAYERS", "plan_layers", "routes_frame", "write_geopackage"]

log = logging.getLogger(__name__)

_FIXED_DATE = "2000-01-01T00:00:00.000Z"

GPKG_CRS = "EPSG:4326"
"""CRS of every layer: WGS84 lon/lat, as in ``plan.geojson``."""

GPKG_LAYERS: dict[str, str] = {
    "villages": "Point",
    "stations": "Point",
    "centres": "Point",
    "hubs": "Point",
    "links": "LineString",
    "routes": "LineString",
    "bus_lines": "LineString",
    "boundary": "MultiPolygon",
    "roads": "MultiLineString",
}
"""Layer name → geometry type, in the order the layers are written."""

_TITLES = {
    "villages": "Administrative villages and their serving station",
    "stations": "Village delivery service stations (opened)",
    "centres": "Township co-delivery centres (opened)",
    "hubs": "County hubs (open)",
    "links": "Transport links in use (trunk: hub to centre, feeder: centre to station)",
    "routes": "Daily van loops from each centre along the roads",
    "bus_lines": "Bus lines and the parcels they carry",
    "boundary": "County boundary",
    "roads": "Roads of the county dataset",
}
_SUMMARY_TITLE = (
    "The plan's summary.json as key/value rows (costs in yuan/year, flows in parcels/day)"
)


def routes_frame(route_plan: RoutePlan) -> gpd.GeoDataFrame:
    """
    Turn van routes into a GeoDataFrame: one LineString per route, stops as text.

    Parameters
    ----------
    route_plan
        Routes from :func:`ruralnet.routes.build.build_routes`.

    Returns
    -------
    geopandas.GeoDataFrame
        The properties of :func:`ruralnet.routes.outputs.routes_geojson` (without ``role``), with
        ``stops`` joined by ``" → "``, in EPSG:4326.
    """
    from ruralnet.routes.outputs import routes_geojson

    features = routes_geojson(route_plan)["features"]
    frame = gpd.GeoDataFrame.from_features(features, crs=GPKG_CRS)
    if "stops" in frame.columns:
        frame["stops"] = frame["stops"].map(lambda ids: " → ".join(map(str, ids)))
    return frame.drop(columns=["role"], errors="ignore")


def plan_layers(plan: Plan, *, routes: RoutePlan | None = None) -> dict[str, gpd.GeoDataFrame]:
    """
    Collect the layers of a plan's GeoPackage, in WGS84, with plain column types.

    Parameters
    ----------
    plan
        A verified plan.
    routes
        Van routes of the plan, written as the ``routes`` layer.

    Returns
    -------
    dict of str to geopandas.GeoDataFrame
        Keyed by the names of :data:`GPKG_LAYERS`; ``routes`` only when given, ``bus_lines``
        only when the plan has bus lines, ``boundary`` only when the dataset has one.
    """
    frames: dict[str, gpd.GeoDataFrame | None] = {
        "villages": plan.villages,
        "stations": plan.stations,
        "centres": plan.centres,
        "hubs": plan.hubs,
        "links": plan.links,
        "routes": None if routes is None else routes_frame(routes),
        "bus_lines": getattr(plan, "bus_lines", None),
        "boundary": plan.inputs.boundary,
        "roads": plan.inputs.roads,
    }
    layers = {}
    for name, frame in frames.items():
        if frame is None or (name == "bus_lines" and len(frame) == 0):
            continue
        layers[name] = _typed(frame.to_crs(GPKG_CRS))
    return layers


def _typed(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Give each column a type GDAL maps to the right GeoPackage field type."""
    out = frame.copy()
    for col in out.columns:
        if col == out.geometry.name:
            continue
        series = out[col]
        has_na = bool(series.isna().any())
        if pd.api.types.is_bool_dtype(series):
            out[col] = series.astype("boolean" if has_na else bool)
        elif pd.api.types.is_integer_dtype(series):
            out[col] = series.astype("Int64" if has_na else "int64")
        elif pd.api.types.is_float_dtype(series):
            out[col] = series.astype("float64")
        else:
            out[col] = pd.Series(
                [None if pd.isna(v) else str(v) for v in series], index=out.index, dtype=object
            )
    return out


def _description(plan: Plan, layer: str) -> str:
    meta = plan.inputs.meta
    text = f"{_TITLES[layer]}. {meta.name}, scenario '{plan.scenario.scenario.name}' (ruralnet)."
    if meta.generated:
        text += f" GENERATED data: {', '.join(meta.generated)}."
    return text


def write_geopackage(plan: Plan, path: str | Path, *, routes: RoutePlan | None = None) -> Path:
    """
    Write the plan as a GeoPackage with one layer per feature kind, atomically.

    Parameters
    ----------
    plan
        A verified plan.
    path
        Destination ``.gpkg`` file; its folder must exist. An existing file is replaced
        only once the new one is complete.
    routes
        Van routes of the plan (:func:`ruralnet.routes.build.build_routes`), written as the
        ``routes`` layer.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    OutputError
        When GDAL cannot write the file.

    See Also
    --------
    GPKG_LAYERS : the layer names and geometry types.
    """
    path = Path(path)
    layers = plan_layers(plan, routes=routes)
    try:
        with atomic_path(path) as tmp:
            # GDAL wants the .gpkg extension; the finished file is renamed onto ``tmp``
            work = tmp.with_name(tmp.name + ".gpkg")
            # a fixed timestamp keeps the file byte-identical from run to run
            pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": _FIXED_DATE})
            try:
                for name, frame in layers.items():
                    pyogrio.write_dataframe(
                        frame,
                        work,
                        layer=name,
                        driver="GPKG",
                        geometry_type=GPKG_LAYERS[name],
                        promote_to_multi=GPKG_LAYERS[name].startswith("Multi"),
                        layer_options={"IDENTIFIER": name, "DESCRIPTION": _description(plan, name)},
                    )
                    log.info("%s: layer %s, %d features", path.name, name, len(frame))
                pyogrio.write_dataframe(
                    _summary_table(plan),
                    work,
                    layer="summary",
                    driver="GPKG",
                    layer_options={"IDENTIFIER": "summary", "DESCRIPTION": _SUMMARY_TITLE},
                )
                work.replace(tmp)
            finally:
                pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": None})
                work.unlink(missing_ok=True)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, OSError) as exc:
        why = os_reason(exc)[0] if isinstance(exc, OSError) and exc.errno else exc
        msg = f"{path}: cannot write the GeoPackage ({why}); choose another file"
        raise OutputError(msg) from None
    return path


def _flat(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(value, dict):
        return [row for k, v in value.items() for row in _flat(v, f"{prefix}{k}.")]
    if isinstance(value, list | tuple):
        return [(prefix[:-1], "; ".join(str(v) for v in value))]
    return [(prefix[:-1], "" if value is None else str(value))]


def _summary_table(plan: Plan) -> pd.DataFrame:
    """Turn the plan's ``summary.json`` into a key/value attribute table.

    Solve times (every ``….seconds`` key: the plan's solver, the cold-chain solve, the locker
    sizing) are left out so that the same plan gives the same file byte for byte.
    """
    rows = [(k, v) for k, v in _flat(plan.summary()) if k.rsplit(".", 1)[-1] != "seconds"]
    rows.append(("crs_for_distances", plan.inputs.crs.to_string()))
    return pd.DataFrame(rows, columns=["key", "value"])
