"""Read bus lines from a GTFS feed (the format transit data comes in) with gtfs_kit.

A dataset may hold a ``gtfs/`` folder (or ``gtfs.zip``) instead of the ``bus_stops`` layer and
``bus_lines.csv``. Each GTFS route becomes one line: its stops are those of its most common
trip pattern (in ``stop_sequence`` order), and its trips per day are the trips of that
pattern's direction that run on the busiest date of the feed's first week. Hold capacity and fee are not in
GTFS: they take the scenario's ``[bus]`` defaults.
"""

from __future__ import annotations

import logging
import math
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from ruralnet.errors import DataError

__all__ = ["REQUIRED_COLUMNS", "read_gtfs_lines"]

log = logging.getLogger(__name__)

REQUIRED_COLUMNS = {
    "stops.txt": ("stop_id", "stop_lat", "stop_lon"),
    "routes.txt": ("route_id",),
    "trips.txt": ("route_id", "service_id", "trip_id"),
    "stop_times.txt": ("trip_id", "stop_id", "stop_sequence"),
}


def _feed(path: Path) -> Any:
    import gtfs_kit

    for name in REQUIRED_COLUMNS:
        if path.is_dir() and not (path / name).is_file():
            raise DataError(
                path / name, "file is missing from the GTFS feed", "Add it (see gtfs.org)"
            )
    try:
        feed = gtfs_kit.read_feed(path, dist_units="km")
    except Exception as exc:
        raise DataError(path, f"cannot be read as GTFS ({exc})", "Check the feed's files") from None
    for name, columns in REQUIRED_COLUMNS.items():
        table = getattr(feed, name.removesuffix(".txt"))
        if table is None:
            raise DataError(
                path / name, "file is missing from the GTFS feed", "Add it (see gtfs.org)"
            )
        missing = [c for c in columns if c not in table.columns]
        if missing:
            raise DataError(
                path / name, f"column {', '.join(missing)} is missing", "Add the GTFS column"
            )
    return feed


def _active_trips(feed: Any) -> pd.DataFrame:
    trips = feed.trips
    dates = feed.get_first_week()  # a week covers weekday and weekend services
    if not dates:
        return trips
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pd.errors.PerformanceWarning)
        busiest = feed.compute_busiest_date(dates)
        activity = feed.compute_trip_activity([busiest])
    active = activity.loc[activity[busiest] == 1, "trip_id"]
    return trips[trips["trip_id"].isin(active)]


def _stop(stops: pd.DataFrame, stop_id: Any, path: Path) -> pd.Series:
    """One stop of stops.txt, with finite coordinates."""
    if stop_id not in stops.index:
        raise DataError(
            path / "stop_times.txt",
            f"stop_id {stop_id!r} is not in stops.txt",
            "Add the stop to stops.txt or fix the stop_id",
        )
    stop = stops.loc[stop_id]
    if isinstance(stop, pd.DataFrame):
        raise DataError(
            path / "stops.txt", f"stop_id {stop_id!r} is listed twice", "Give every stop its own id"
        )
    try:
        lon, lat = float(stop["stop_lon"]), float(stop["stop_lat"])
    except (TypeError, ValueError):
        lon = lat = math.nan
    if not (math.isfinite(lon) and math.isfinite(lat) and abs(lon) <= 180 and abs(lat) <= 90):  # noqa: PLR2004
        raise DataError(
            path / "stops.txt",
            f"stop_id {stop_id!r} has no valid position (stop_lon {stop['stop_lon']!r}, "
            f"stop_lat {stop['stop_lat']!r})",
            "Give its longitude and latitude in degrees (WGS84)",
        )
    return stop


def read_gtfs_lines(path: str | Path) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """
    Turn a GTFS feed into bus stops and bus lines in the dataset format.

    Parameters
    ----------
    path
        A GTFS folder or zip file.

    Returns
    -------
    tuple
        ``(bus_stops, bus_lines)``: stops as WGS84 points with ``line_id``, ``seq``,
        ``stop_id``, ``name``; lines with ``line_id``, ``name``, ``trips_per_day`` and empty
        capacity and fee columns.

    Raises
    ------
    DataError
        Naming the GTFS file and the missing file or column.
    """
    path = Path(path)
    feed = _feed(path)
    trips = _active_trips(feed)
    times = feed.stop_times.merge(trips[["trip_id", "route_id"]], on="trip_id")
    times = times.sort_values(["trip_id", "stop_sequence"], kind="stable")
    pattern = times.groupby("trip_id")["stop_id"].agg(tuple).rename("pattern")
    trips = trips.merge(pattern, left_on="trip_id", right_index=True)
    if "direction_id" not in trips.columns:
        trips["direction_id"] = 0
    stops_xy = feed.stops.set_index("stop_id")
    stop_rows, line_rows = [], []
    routes = feed.routes.set_index("route_id")
    for route_id, group in trips.groupby("route_id", sort=True):
        counts = group.groupby("pattern").size().sort_values(ascending=False, kind="stable")
        best = counts.index[0]
        direction = group.loc[group["pattern"] == best, "direction_id"].iloc[0]
        per_day = int((group["direction_id"] == direction).sum())
        route = routes.loc[route_id]
        name = next(
            (
                str(route[c])
                for c in ("route_short_name", "route_long_name")
                if c in route and pd.notna(route[c])
            ),
            "",
        )
        line_rows.append({"line_id": str(route_id), "name": name, "trips_per_day": float(per_day),
                          "capacity_parcels_per_trip": None, "fee_yuan_per_parcel": None,
                          "source": f"GTFS {path.name}; capacity and fee from scenario defaults"})  # fmt: skip
        for seq, stop_id in enumerate(best, start=1):
            stop = _stop(stops_xy, stop_id, path)
            stop_rows.append({"line_id": str(route_id), "seq": seq, "stop_id": str(stop_id),
                              "name": str(stop.get("stop_name", "")), "lon": float(stop["stop_lon"]),
                              "lat": float(stop["stop_lat"])})  # fmt: skip
    if not stop_rows:
        raise DataError(
            path, "has no trips with stops on its busiest date", "Check trips.txt and calendar.txt"
        )
    frame = pd.DataFrame(stop_rows)
    stops = gpd.GeoDataFrame(
        frame.drop(columns=["lon", "lat"]),
        geometry=gpd.points_from_xy(frame["lon"], frame["lat"]),
        crs=4326,
    )
    log.info("GTFS %s: %d lines, %d stops", path.name, len(line_rows), len(stops))
    return stops, pd.DataFrame(line_rows)
