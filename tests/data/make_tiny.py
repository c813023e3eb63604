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


if __name__ == "__main__":
    main()
