"""Layout and layers of a generated county: what :mod:`ruralnet.synth.county` builds from a spec.

:func:`build_layers` places hub, seats, villages (real points stay put, see
:mod:`~ruralnet.synth.layout`), roads and bus lines (:mod:`~ruralnet.synth.roads`) and writes
every layer with its ``source`` and ``position_source`` columns.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from ruralnet.data import CountyDataset
from ruralnet.synth import layout as lay
from ruralnet.synth import roads as geo
from ruralnet.synth.real import GENERATED, Fixed
from ruralnet.synth.roads import RoadOptions

__all__ = ["CountySpec", "SynthOptions", "build_layers", "generated_source", "to_wgs84"]

logger = logging.getLogger(__name__)

WGS84 = "EPSG:4326"
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
    urban_ur_codes
        城乡分类代码 classes of real points (``ur_code``) whose villages are urban units, left
        out of the rural plan (no rural station); default 111, the main urban area (主城区).
    hub_name
        Name of the generated county hub; default ``<county>县级快递分拨中心 (generated)``.
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
    urban_ur_codes: tuple[str, ...] = ("111",)
    hub_name: str | None = None


@dataclass(frozen=True)
class CountySpec:
    """What the generator is asked for (villages and townships sorted by id)."""

    name: str
    crs: str
    area: shapely.Geometry  # county polygon in ``crs``
    boundary: gpd.GeoDataFrame  # boundary layer, EPSG:4326
    townships: pd.DataFrame  # township_id, name, kind, street
    villages: pd.DataFrame  # village_id, name, township_id
    hub_name: str
    seed: int
    fixed: Fixed  # real points aligned with the lists (none for a synthetic county)
    listed: bool  # names and codes come from a real list
    generated: list[str]
    attribution: list[str]


def generated_source(seed: int) -> str:
    """Return the ``source`` text of a generated feature."""
    return f"generated (ruralnet.synth seed {seed})"


def to_wgs84(geoms: np.ndarray, crs: str) -> np.ndarray:
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


def _hub_point(spec: CountySpec) -> np.ndarray:
    """Return the real urban centre when given and inside the county, else the centroid."""
    area = spec.area
    urban = spec.fixed.urban_xy
    if urban is not None and area.contains(shapely.Point(urban)):
        return np.asarray(urban, float)
    hub = np.asarray(area.centroid.coords[0])
    if not area.contains(shapely.Point(hub)):
        hub = np.asarray(area.representative_point().coords[0])
    return hub


def _lattice(
    rural: shapely.Geometry, n_points: int, opt: SynthOptions, rng: np.random.Generator
) -> tuple[np.ndarray, float]:
    """Lattice points over the rural area, tightened until ``n_points`` fit."""
    spacing = math.sqrt(2 * rural.area * opt.lattice_fill / (math.sqrt(3) * n_points))
    for _ in range(20):  # small or thin counties: tighten the lattice until everyone fits
        jitter = min(0.35 * spacing, (spacing - opt.min_spacing_m) / 2)
        if jitter < 0:
            msg = f"county too dense: lattice spacing {spacing:.0f} m < min_spacing_m"
            raise ValueError(msg)
        p = lay.hex_lattice(rural.buffer(-min(300.0, 0.2 * spacing)), spacing, jitter, rng)
        if len(p) >= 1.1 * n_points:
            break
        spacing *= 0.9
    return p, spacing


def _layout(
    spec: CountySpec,
    vt: np.ndarray,
    counts: np.ndarray,
    opt: SynthOptions,
    rng: np.random.Generator,
) -> _Layout:
    """Place hub, seats, villages, centre sites and road gates (real points stay put)."""
    k, n = len(counts), len(vt)
    area, fixed = spec.area, spec.fixed
    hub = _hub_point(spec)
    core_r = min(opt.core_radius_m, 0.2 * math.sqrt(area.area))
    rural = area.difference(shapely.Point(hub).buffer(core_r))
    p, spacing = _lattice(rural, n + k, opt, rng)
    vfix = fixed.village_fixed
    real_xy = np.vstack([fixed.seat_xy[fixed.seat_fixed], fixed.village_xy[vfix]])
    p = lay.drop_near(p, real_xy, opt.min_spacing_m)
    seat_xy, p = lay.anchor_seats(p, fixed.seat_xy, fixed.village_xy[vfix], vt[vfix])
    sfix = ~np.isnan(seat_xy[:, 0])  # real seats and seats anchored at real villages
    logger.info("%s: %d villages, %d townships, lattice %.0f m", spec.name, n, k, spacing)
    street = spec.townships["street"].to_numpy(bool)
    seats, lab = lay.place_seats(
        p,
        counts,
        street,
        hub,
        rural.area / len(p),
        rng,
        fixed=seat_xy if sfix.any() else None,
    )
    free_counts = counts - np.bincount(vt[vfix], minlength=k)
    seat_pt, take, town = lay.pick_points(p, lab, seats, free_counts, rng, fixed_seat=sfix)
    seats[~sfix] = p[seat_pt[~sfix]]
    # generated villages sorted by (township, id) take the chosen points in order
    free_v = np.flatnonzero(~vfix)
    v_order = free_v[np.lexsort((spec.villages["village_id"].to_numpy()[free_v], vt[free_v]))]
    vxy = fixed.village_xy.copy()
    vxy[v_order] = p[take]
    occupied = np.vstack([vxy, seats])
    cxy, ctown = lay.centre_extras(seats, occupied, area, opt.extra_centre_sites, rng)
    gxy = lay.road_gates(area, hub, opt.n_primary_roads, rng)
    s0 = 1 + len(gxy)
    labels = lab.copy()
    labels[take] = town
    labels[seat_pt[~sfix]] = np.flatnonzero(~sfix)
    cells = np.vstack([p, seat_xy[sfix], fixed.village_xy[vfix]])
    cell_town = np.concatenate([labels, np.flatnonzero(sfix), vt[vfix]])
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
        areas=lay.township_areas(cells, cell_town, k, rural),
    )


def build_layers(spec: CountySpec, rng: np.random.Generator, opt: SynthOptions) -> CountyDataset:
    """Generate every layer for ``spec``."""
    tws, vills = spec.townships, spec.villages
    k = len(tws)
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
    villages = _village_layer(spec, lay, opt, rng)
    gen = generated_source(spec.seed)
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
    nodes = bus_stops.pop("node").to_numpy()
    bus_stops["position_source"] = _node_sources(spec, lay)[nodes]
    layers = {
        "boundary": spec.boundary,
        "townships": _township_layer(spec, lay, counts),
        "villages": villages,
        "station_sites": _station_sites(villages, lay.vxy, opt, rng, spec.crs, gen),
        "centre_sites": _centre_sites(spec, lay, rng),
        "hubs": _hub_layer(spec, lay),
        "roads": _road_layer(roads, lay, spec.crs, gen),
        "bus_stops": _points(bus_stops.to_dict("list"), lay.xy[nodes], spec.crs),
    }
    meta = {
        "name": spec.name,
        "crs": spec.crs,
        "generated": spec.generated,
        "attribution": spec.attribution,
    }
    return CountyDataset(layers=layers, bus_lines=bus_lines, metadata=meta)


def _node_sources(spec: CountySpec, lay: _Layout) -> np.ndarray:
    """``position_source`` of every road node: hub, gates, seats, centre extras, villages."""
    k = len(spec.townships)
    out = np.full(len(lay.xy), GENERATED, dtype=object)
    out[lay.s0 : lay.s0 + k] = spec.fixed.seat_source()
    out[lay.v0 :] = spec.fixed.village_source()
    return out


def _village_layer(
    spec: CountySpec, lay: _Layout, opt: SynthOptions, rng: np.random.Generator
) -> gpd.GeoDataFrame:
    vills, fixed = spec.villages, spec.fixed
    n = len(vills)
    sigma = opt.population_sigma
    pop = rng.lognormal(math.log(opt.mean_population) - sigma**2 / 2, sigma, n)
    gen = generated_source(spec.seed)
    if spec.listed:
        position = np.where(
            fixed.village_fixed,
            [f"position {fixed.label} ({note})" for note in fixed.village_note],
            f"position {gen}",
        )
        source = [
            f"NBS 2022 list (code, name, township); {pos}; population generated" for pos in position
        ]
    else:
        source = [gen] * n
    return _points(
        {
            "village_id": vills["village_id"].to_numpy(),
            "name": vills["name"].to_numpy(),
            "township_id": vills["township_id"].to_numpy(),
            "population": np.maximum(np.round(pop), 50).astype(np.int64),
            "producing": rng.uniform(size=n) < opt.producing_share,
            "position_source": fixed.village_source(),
            "ur_code": fixed.ur_code,
            "source": source,
        },
        lay.vxy,
        spec.crs,
    )


def _township_layer(spec: CountySpec, lay: _Layout, counts: np.ndarray) -> gpd.GeoDataFrame:
    tws, fixed = spec.townships, spec.fixed
    gen = generated_source(spec.seed)
    if spec.listed:
        source = [
            f"NBS 2022 list (code, name); area {gen}; seat {fixed.label} ({note})"
            if real
            else f"NBS 2022 list (code, name); area and seat {gen}"
            for real, note in zip(fixed.seat_fixed, fixed.seat_note, strict=True)
        ]
    else:
        source = [gen] * len(tws)
    return gpd.GeoDataFrame(
        {
            "township_id": tws["township_id"].to_numpy(),
            "name": tws["name"].to_numpy(),
            "kind": tws["kind"].to_numpy(),
            "n_villages": counts.astype(np.int64),
            "seat_source": fixed.seat_source(),
            "source": source,
        },
        geometry=to_wgs84(lay.areas, spec.crs),
        crs=WGS84,
    )


def _road_layer(roads: pd.DataFrame, lay: _Layout, crs: str, gen: str) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "road_id": [f"R{i + 1:05d}" for i in range(len(roads))],
            "highway": roads["highway"].to_numpy(),
            "oneway": False,
            "name": roads["name"].fillna("").to_numpy(),
            "length_m": roads["length_m"].round(1).to_numpy(),
            "source": gen,
        },
        geometry=to_wgs84(
            shapely.linestrings(np.stack([lay.xy[roads["u"]], lay.xy[roads["v"]]], axis=1)), crs
        ),
        crs=WGS84,
    )


def _hub_layer(spec: CountySpec, lay: _Layout) -> gpd.GeoDataFrame:
    gen = generated_source(spec.seed)
    where = (
        f"at the urban centre ({spec.fixed.urban_note})"
        if spec.fixed.urban_xy is not None and np.allclose(lay.hub, spec.fixed.urban_xy)
        else "at the county boundary centroid"
    )
    return _points(
        {
            "hub_id": ["H1"],
            "name": [spec.hub_name],
            "status": ["fixed"],
            "position_source": [GENERATED],
            "source": [f"{where}, {gen}"],
        },
        lay.hub[None],
        spec.crs,
    )


def _points(data: dict[str, Any], xy: np.ndarray, crs: str) -> gpd.GeoDataFrame:
    """Point layer in EPSG:4326 from projected coordinates."""
    geom = to_wgs84(shapely.points(xy.reshape(-1, 2)), crs)
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
    at_village = villages["position_source"].to_numpy()
    sites = _points(
        {
            "site_id": [f"S-{v}-N" for v in vid] + [f"S-{v}-E" for v in vid[ex]],
            "kind": ["new"] * n + ["existing"] * len(ex),
            "village_id": np.concatenate([vid, vid[ex]]),
            "position_source": np.concatenate([at_village, np.full(len(ex), GENERATED)]),
            "source": [f"at the village point, {gen}"] * n
            + [f"existing 村邮站/shop (assumed), {gen}"] * len(ex),
        },
        np.vstack([vxy, exy]),
        crs,
    )
    return sites.sort_values("site_id", ignore_index=True)


def _centre_sites(spec: CountySpec, lay: _Layout, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Place an ``existing`` site at each seat plus the extra sites near it (30 % existing)."""
    tws, gen = spec.townships, generated_source(spec.seed)
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
            "position_source": np.concatenate([spec.fixed.seat_source(), np.full(m, GENERATED)]),
            "source": [f"at the township seat, {gen}"] * k + [f"near the seat, {gen}"] * m,
        },
        np.vstack([lay.seats, lay.cxy]),
        crs=spec.crs,
    )
    return sites.sort_values("site_id", ignore_index=True)
