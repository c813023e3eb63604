"""Rebuild tests/data/tiny: a hand-checkable 5-village county on one straight road.

Run ``python tests/data/make_tiny.py``. All positions are invented (generated test data).

Layout along one east-west road (km from the origin, UTM zone 50N):
hub H1 at -5; township T1 villages V1 0, V2 4, V3 10; township T2 villages V4 16, V5 20.
Station sites: a new site at every village and an existing 村邮站 at V2. Centre sites:
C1 at 2 (T1, new), C3 at 9 (T1, existing), C2 at 18 (T2, new).
"""

from __future__ import annotations

import itertools
from pathlib import Path

import geopandas as gpd
import shapely

HERE = Path(__file__).parent / "tiny"
X0, Y0 = 500_000.0, 4_030_000.0  # about 117.0 E, 36.4 N
CRS = "EPSG:32650"
SOURCE = "generated test data"


def pt(km: float, north_m: float = 0.0) -> shapely.Point:
    return shapely.Point(X0 + km * 1000, Y0 + north_m)


def write(name: str, rows: list[dict], geoms: list) -> None:
    frame = gpd.GeoDataFrame(rows, geometry=geoms, crs=CRS).to_crs(4326)
    path = HERE / f"{name}.geojson"
    path.unlink(missing_ok=True)
    frame.to_file(
        path, driver="GeoJSON", layer_options={"RFC7946": "YES", "COORDINATE_PRECISION": 7}
    )


def main() -> None:
    HERE.mkdir(exist_ok=True)
    villages = [
        ("V1", "甲村委会", "T1", 0),
        ("V2", "乙村委会", "T1", 4),
        ("V3", "丙村委会", "T1", 10),
        ("V4", "丁村委会", "T2", 16),
        ("V5", "戊村委会", "T2", 20),
    ]
    write(
        "villages",
        [
            {"village_id": v, "name": n, "township_id": t, "population": 700, "source": SOURCE}
            for v, n, t, _ in villages
        ],
        [pt(km) for *_, km in villages],
    )
    write(
        "townships",
        [
            {"township_id": "T1", "name": "一镇", "source": SOURCE},
            {"township_id": "T2", "name": "二镇", "source": SOURCE},
        ],
        [pt(2), pt(18)],
    )
    sites = [
        {"site_id": f"S{v}", "kind": "new", "village_id": v, "source": SOURCE} for v, *_ in villages
    ]
    sites.append({"site_id": "SV2x", "kind": "existing", "village_id": "V2", "source": SOURCE})
    write("station_sites", sites, [pt(km) for *_, km in villages] + [pt(4)])
    write(
        "centre_sites",
        [
            {"site_id": "C1", "township_id": "T1", "kind": "new", "source": SOURCE},
            {"site_id": "C2", "township_id": "T2", "kind": "new", "source": SOURCE},
            {"site_id": "C3", "township_id": "T1", "kind": "existing", "source": SOURCE},
        ],
        [pt(2), pt(18), pt(9)],
    )
    write(
        "hubs", [{"hub_id": "H1", "name": "县中心", "status": "fixed", "source": SOURCE}], [pt(-5)]
    )
    stops = [-5, 0, 2, 4, 9, 10, 16, 18, 20]
    write(
        "roads",
        [
            {"highway": "tertiary", "oneway": False, "name": "主路", "source": SOURCE}
            for _ in stops[:-1]
        ],
        [shapely.LineString([pt(a), pt(b)]) for a, b in itertools.pairwise(stops)],
    )
    write(
        "boundary", [{"name": "小县"}], [shapely.box(X0 - 8000, Y0 - 5000, X0 + 23000, Y0 + 5000)]
    )
    (HERE / "dataset.toml").write_text(
        'name = "小县 Tiny (test)"\ncrs = "EPSG:32650"\n'
        'generated = ["everything: invented test data"]\nattribution = []\n',
        encoding="utf-8",
    )


BUS_STOPS = [
    ("hub", -5),
    ("c1", 2),
    ("v2", 4),
    ("c3", 9),
    ("v3", 10),
    ("v4", 16),
    ("c2", 18),
    ("v5", 20),
]


def bus_copies() -> None:
    """tiny_bus: tiny + one bus line L1 along the road (2 trips a day each way).

    tiny_gtfs: tiny + the same line as a GTFS feed (2 trips each way on every day of 2024).
    """
    import shutil

    for name in ("tiny_bus", "tiny_gtfs"):
        target = HERE.parent / name
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(HERE, target)
    bus = HERE.parent / "tiny_bus"
    frame = gpd.GeoDataFrame(
        [
            {"line_id": "L1", "seq": i + 1, "stop_id": sid, "name": sid}
            for i, (sid, _) in enumerate(BUS_STOPS)
        ],
        geometry=[pt(km) for _, km in BUS_STOPS],
        crs=CRS,
    ).to_crs(4326)
    frame.to_file(
        bus / "bus_stops.geojson",
        driver="GeoJSON",
        layer_options={"RFC7946": "YES", "COORDINATE_PRECISION": 7},
    )
    (bus / "bus_lines.csv").write_text(
        "line_id,name,trips_per_day,capacity_parcels_per_trip,fee_yuan_per_parcel,source\n"
        "L1,一路,2,,,generated test data\n",
        encoding="utf-8",
    )
    gtfs = HERE.parent / "tiny_gtfs" / "gtfs"
    gtfs.mkdir()
    wgs = frame.geometry
    (gtfs / "agency.txt").write_text(
        "agency_id,agency_name,agency_url,agency_timezone\nA,县客运,http://example.org,Asia/Shanghai\n",
        encoding="utf-8",
    )
    (gtfs / "stops.txt").write_text(
        "stop_id,stop_name,stop_lat,stop_lon\n"
        + "".join(
            f"{sid},{sid},{p.y:.7f},{p.x:.7f}\n" for (sid, _), p in zip(BUS_STOPS, wgs, strict=True)
        ),
        encoding="utf-8",
    )
    (gtfs / "routes.txt").write_text(
        "route_id,agency_id,route_short_name,route_type\nL1,A,一路,3\n", encoding="utf-8"
    )
    (gtfs / "calendar.txt").write_text(
        "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\n"
        "daily,1,1,1,1,1,1,1,20240101,20241231\n",
        encoding="utf-8",
    )
    trips = ["route_id,service_id,trip_id,direction_id"]
    times = ["trip_id,arrival_time,departure_time,stop_id,stop_sequence"]
    for n, direction in enumerate([0, 0, 1, 1]):
        trip = f"t{n}"
        trips.append(f"L1,daily,{trip},{direction}")
        order = BUS_STOPS if direction == 0 else BUS_STOPS[::-1]
        for seq, (sid, _) in enumerate(order, start=1):
            clock = f"{7 + 3 * n:02d}:{seq * 4:02d}:00"
            times.append(f"{trip},{clock},{clock},{sid},{seq}")
    (gtfs / "trips.txt").write_text("\n".join(trips) + "\n", encoding="utf-8")
    (gtfs / "stop_times.txt").write_text("\n".join(times) + "\n", encoding="utf-8")


def no_centre_copy() -> None:
    """tiny_no_centre: tiny without township T2's only centre site C2 (an infeasible county)."""
    import json
    import shutil

    target = HERE.parent / "tiny_no_centre"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(HERE, target)
    path = target / "centre_sites.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["features"] = [f for f in data["features"] if f["properties"]["site_id"] != "C2"]
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
    bus_copies()
    no_centre_copy()
