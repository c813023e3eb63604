"""Write a generated county as an OpenStreetMap extract that looks like Chinese OSM data.

:func:`write_osm_extract` turns a :class:`~ruralnet.data.CountyDataset` (e.g. the generated
Dongchangfu, or a synthetic prefecture) into the files a planner would bring to
``ruralnet prepare``, so that the importer can be tried at county and prefecture scale:

``county.osm.pbf``
    Roads as ways tagged the way rural Shandong is mapped: national roads ``trunk``/``primary``
    with ``ref=G…``, provincial ``secondary`` ``S…``, county ``tertiary`` ``X…``, township and
    village roads ``unclassified`` (some ``Y…``) or ``residential``, farm roads ``track`` with a
    ``tracktype``; ``name`` in Chinese. ``place=village``/``hamlet`` nodes for only part of the
    villages, their names in the forms OSM uses (王屯村, 王屯, 王屯村委会, 王屯村民委员会),
    ``name:zh`` on some; decoy places of the same name in another township and, for a few
    villages, two places of the same name in their own township. Township seats as
    ``place=town``/``suburb`` (沙镇 for 沙镇镇). The hub's town as ``place=city`` (with
    ``name:en``). Administrative boundaries at the levels Chinese OSM uses: 4 province,
    5 prefecture, 6 county, 8 township (乡镇/街道). Existing 村邮站/shops as
    ``shop=convenience``, existing centre sites as ``amenity=post_office``, bus lines as
    ``route=bus`` relations whose ``stop`` members are ``highway=bus_stop`` nodes.
``villages_stats2022.csv``
    The village list in the statistics bureau's layout (for a synthetic county: invented
    12-digit codes and Chinese names).
``village_points_gcj02.csv``
    Positions copied from a web map (GCJ-02) for part of the villages without a place node.
``county_boundary.geojson``
    The boundary, WGS84.
``expected.csv``
    What an importer should find for each listed village: ``points``, ``osm`` or
    ``unlocated`` (with the reason), from what was written.

Everything is generated (seeded) and labelled so: the extract's header says
``generator=ruralnet.synth.osm_extract``.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ruralnet._files import atomic_path, write_text_atomic
from ruralnet.data import CountyDataset
from ruralnet.synth.osm_tags import (
    TOWN_SUFFIXES,
    gcj02_forward,
    name_key,
    name_variant,
    road_tags,
    village_list,
)

__all__ = ["ExtractOptions", "OsmCountyExtract", "write_osm_extract"]

logger = logging.getLogger(__name__)

_SLACK_DEG = 0.002  # township polygon slack an importer allows (docs/prepare.md)
_PREFECTURES = {"3715": "聊城市", "3702": "青岛市", "3799": "合成市"}


@dataclass(frozen=True)
class ExtractOptions:
    """How much of the county the extract shows, and in what forms.

    Parameters
    ----------
    place_share
        Villages with a ``place`` node (the rest only in the points file, or nowhere).
    hamlet_share
        Of those, the share tagged ``place=hamlet`` (the others ``place=village``).
    name_zh_share
        Place and boundary objects that also carry ``name:zh``.
    points_share
        Of the villages without a place node, the share in the GCJ-02 points file.
    decoy_share
        Villages whose name also appears on a place in another township.
    twin_share
        Villages with two places of their name in their own township (cannot be told apart).
    residential_share
        Village roads (``unclassified``) tagged ``residential`` instead.
    shape_node_m
        A way gets a node at least every this many metres, on the straight line (so lengths
        stay those of the dataset), as mapped roads have shape nodes between junctions.
    """

    place_share: float = 0.6
    hamlet_share: float = 0.25
    name_zh_share: float = 0.3
    points_share: float = 0.6
    decoy_share: float = 0.05
    twin_share: float = 0.02
    residential_share: float = 0.3
    shape_node_m: float = 100.0


@dataclass(frozen=True)
class OsmCountyExtract:
    """The files written and what an importer should find."""

    folder: Path
    pbf: Path
    villages_csv: Path
    points_csv: Path
    boundary: Path
    expected: pd.DataFrame  # village_id, code12, name, township_code9, expect, reason
    counts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _Names:
    """Chinese names the extract uses: the county's (and its English name), each township's."""

    county: str
    county_en: str
    code6: str
    townships: dict[str, str]

    @classmethod
    def of(cls, dataset: CountyDataset, listed: pd.DataFrame) -> _Names:
        words = str(dataset.metadata["name"]).split()
        chinese = bool(words) and "\u4e00" <= words[0][0] <= "\u9fff"
        county = words[0] if chinese else "合成县"
        english = " ".join(words[1:]) if chinese else str(dataset.metadata["name"])
        towns = listed.groupby("township_id")["township_name"].first().astype(str).to_dict()
        return cls(county, english, str(listed["code12"].iloc[0])[:6], towns)


class _Ids:
    """OSM ids handed out in writing order, one counter per object type."""

    def __init__(self) -> None:
        self.next = {"n": 1, "w": 1, "r": 1}

    def take(self, kind: str) -> int:
        value = self.next[kind]
        self.next[kind] += 1
        return value


@dataclass
class _Osm:
    """Objects to write: nodes (id, lon, lat, tags), ways (id, node ids, tags), relations."""

    ids: _Ids = field(default_factory=_Ids)
    nodes: list[tuple[int, float, float, dict[str, str]]] = field(default_factory=list)
    ways: list[tuple[int, list[int], dict[str, str]]] = field(default_factory=list)
    relations: list[tuple[int, list[tuple[str, int, str]], dict[str, str]]] = field(
        default_factory=list
    )
    node_at: dict[tuple[float, float], int] = field(default_factory=dict)
    node_tags: dict[int, dict[str, str]] = field(default_factory=dict)

    def node(self, lon: float, lat: float, tags: dict[str, str] | None = None) -> int:
        nid = self.ids.take("n")
        self.nodes.append((nid, lon, lat, tags or {}))
        return nid

    def road_node(self, lon: float, lat: float) -> int:
        at = (round(lon, 7), round(lat, 7))
        if at not in self.node_at:
            self.node_at[at] = self.node(*at)
        return self.node_at[at]

    def way(self, node_ids: list[int], tags: dict[str, str]) -> int:
        wid = self.ids.take("w")
        self.ways.append((wid, node_ids, tags))
        return wid

    def area(self, geometry: shapely.Geometry, tags: dict[str, str]) -> int:
        """Add a boundary relation with one closed way per ring."""
        members = []
        for poly in shapely.get_parts(geometry):
            rings = [("outer", poly.exterior), *(("inner", r) for r in poly.interiors)]
            for role, ring in rings:
                coords = np.round(np.asarray(ring.coords), 7)
                ids = [self.node(float(x), float(y)) for x, y in coords[:-1]]
                members.append(("w", self.way([*ids, ids[0]], {}), role))
        rid = self.ids.take("r")
        self.relations.append((rid, members, {"type": "boundary", **tags}))
        return rid


def _roads(
    osm: _Osm, roads: gpd.GeoDataFrame, opt: ExtractOptions, rng: np.random.Generator
) -> None:
    """Ways: named roads chained into long ways, village roads one way per link."""
    refs: dict[str, str] = {}
    ends, inner = [], []
    for line, length in zip(roads.geometry, roads["length_m"], strict=True):
        (x0, y0), (x1, y1) = np.asarray(line.coords)[[0, -1]]
        ends.append((osm.road_node(x0, y0), osm.road_node(x1, y1)))
        k = int(float(length) // opt.shape_node_m)
        t = np.arange(1, k + 1) / (k + 1)
        inner.append(
            [
                osm.node(float(x), float(y))
                for x, y in zip(x0 + t * (x1 - x0), y0 + t * (y1 - y0), strict=True)
            ]
        )
    named: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, (hw, name) in enumerate(zip(roads["highway"], roads["name"].fillna(""), strict=True)):
        if name:
            named[(hw, name)].append(i)
            continue
        tags = road_tags(hw, name, rng, refs)
        if hw == "unclassified" and rng.uniform() < opt.residential_share:
            tags = {"highway": "residential"}
        elif hw == "unclassified" and rng.uniform() < 0.2:  # noqa: PLR2004
            tags["ref"] = f"Y{int(rng.integers(1, 400)):03d}"
        osm.way([ends[i][0], *inner[i], ends[i][1]], tags)
    for (hw, name), edges in sorted(named.items()):
        tags = road_tags(hw, name, rng, refs)
        for chain in _chains([ends[i] for i in edges]):
            nodes = [ends[edges[chain[0][0]]][0 if chain[0][1] else 1]]
            for k, forward in chain:
                mid = inner[edges[k]]
                nodes += [*(mid if forward else mid[::-1]), ends[edges[k]][1 if forward else 0]]
            osm.way(nodes, tags)


def _chains(pairs: list[tuple[int, int]]) -> list[list[tuple[int, bool]]]:
    """Split edges into paths between nodes of degree other than two: (edge, forward) lists."""
    adj: dict[int, list[int]] = defaultdict(list)
    for k, (a, b) in enumerate(pairs):
        adj[a].append(k)
        adj[b].append(k)
    used = [False] * len(pairs)
    out = []
    starts = sorted(n for n, ks in adj.items() if len(ks) != 2) + sorted(adj)  # noqa: PLR2004
    for start in starts:
        for k0 in adj[start]:
            if used[k0]:
                continue
            path, node, k = [], start, k0
            while True:
                used[k] = True
                a, b = pairs[k]
                path.append((k, a == node))
                node = b if a == node else a
                nxt = [j for j in adj[node] if not used[j]]
                if len(adj[node]) != 2 or not nxt:  # noqa: PLR2004
                    break
                k = nxt[0]
            out.append(path)
    return out


def _places(
    osm: _Osm,
    listed: pd.DataFrame,
    dataset: CountyDataset,
    names: _Names,
    opt: ExtractOptions,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, list[tuple[str, str, float, float]]]:
    """Village, seat, decoy and twin places; return the list with what was written per village."""
    villages = dataset.layers["villages"].set_index("village_id")
    polys = dataset.layers["townships"].set_index("township_id").geometry
    n = len(listed)
    lon = villages.loc[listed["village_id"]].geometry.x.to_numpy()
    lat = villages.loc[listed["village_id"]].geometry.y.to_numpy()
    has_place = rng.uniform(size=n) < opt.place_share
    twin = has_place & (rng.uniform(size=n) < opt.twin_share / max(opt.place_share, 1e-9))
    decoy = rng.uniform(size=n) < opt.decoy_share
    in_points = ~has_place & (rng.uniform(size=n) < opt.points_share)
    written: list[tuple[str, str, float, float]] = []  # (township, key, lon, lat) of every place

    def place(x: float, y: float, name: str, tags: dict[str, str], town: str) -> None:
        tags = {"name": name, **tags}
        if rng.uniform() < opt.name_zh_share:
            tags["name:zh"] = name
        osm.node(x, y, tags)
        written.append((town, name_key(name), x, y))

    for i in np.flatnonzero(has_place):
        kind = "hamlet" if rng.uniform() < opt.hamlet_share else "village"
        name = name_variant(listed["name"].iloc[i], rng)
        place(lon[i], lat[i], name, {"place": kind}, listed["township_id"].iloc[i])
        if twin[i]:
            ang = rng.uniform(0, 2 * math.pi)
            dx, dy = 0.004 * math.cos(ang), 0.004 * math.sin(ang)
            place(
                lon[i] + dx, lat[i] + dy, name, {"place": "hamlet"}, listed["township_id"].iloc[i]
            )
    towns = sorted(polys.index)
    keys_of = listed.assign(key=listed["name"].map(name_key)).groupby("township_id")["key"]
    town_keys = {t: set(k) for t, k in keys_of}
    for i in np.flatnonzero(decoy):
        own = listed["township_id"].iloc[i]
        key = name_key(listed["name"].iloc[i])
        others = [t for t in towns if t != own and key not in town_keys.get(t, set())]
        if not others:
            continue
        other = others[int(rng.integers(len(others)))]
        pt = polys[other].representative_point()
        jitter = rng.uniform(-0.003, 0.003, 2)
        place(
            pt.x + jitter[0],
            pt.y + jitter[1],
            name_variant(listed["name"].iloc[i], rng),
            {"place": "hamlet"},
            other,
        )
    seats = dataset.layers["centre_sites"]
    seats = seats[seats["at_seat"].astype(bool)].set_index("township_id")
    tname = names.townships
    for t in towns:
        seat_name = name_key(str(tname[t]), TOWN_SUFFIXES)
        street = str(tname[t]).endswith("街道")
        geom = seats.loc[t].geometry
        place(geom.x, geom.y, seat_name, {"place": "suburb" if street else "town"}, t)
    out = listed.copy()
    out["has_place"], out["twin"], out["decoy"], out["in_points"] = (
        has_place,
        twin,
        decoy,
        in_points,
    )
    out["lon"], out["lat"] = lon, lat
    return out, written


def _expect(
    listed: pd.DataFrame, written: list[tuple[str, str, float, float]], polys: gpd.GeoSeries
) -> pd.DataFrame:
    """List what an importer following docs/prepare.md should find for each listed village.

    A village in the points file is found there. Otherwise its candidates are the places of
    its name inside its township's boundary (200 m slack); one candidate that no other listed
    village also has as its only candidate locates it.
    """
    by_key: dict[str, list[int]] = defaultdict(list)
    for p, (_, key, _, _) in enumerate(written):
        by_key[key].append(p)
    px = np.array([w[2] for w in written])
    py = np.array([w[3] for w in written])
    areas = {t: shapely.buffer(g, _SLACK_DEG) for t, g in polys.items()}
    for area in areas.values():
        shapely.prepare(area)
    keys = listed["name"].map(name_key).to_numpy()
    cands: list[list[int]] = []
    for key, town, points in zip(keys, listed["township_id"], listed["in_points"], strict=True):
        same = by_key.get(key, [])
        inside = shapely.contains_xy(areas[town], px[same], py[same]) if same else []
        cands.append([] if points else [p for p, ok in zip(same, inside, strict=True) if ok])
    claims = defaultdict(int)
    for c in cands:
        if len(c) == 1:
            claims[c[0]] += 1
    rows = []
    for key, points, c in zip(keys, listed["in_points"], cands, strict=True):
        if points:
            rows.append(("points", ""))
        elif len(c) == 1 and claims[c[0]] == 1:
            rows.append(("osm", ""))
        elif len(c) == 1:
            rows.append(("unlocated", "the place also matches another listed village"))
        elif c:
            rows.append(("unlocated", "several places share the name"))
        elif by_key.get(key):
            rows.append(("unlocated", "places of that name lie outside the township"))
        else:
            rows.append(("unlocated", "no point and no place of that name"))
    out = listed[["village_id", "code12", "name", "township_code9"]].copy()
    out["expect"] = [r[0] for r in rows]
    out["reason"] = [r[1] for r in rows]
    return out


def _sites(osm: _Osm, dataset: CountyDataset) -> None:
    """Existing station sites as shops (村邮站), existing centre sites as post offices."""
    stations = dataset.layers["station_sites"]
    for row in stations[stations["kind"] == "existing"].itertuples():
        osm.node(row.geometry.x, row.geometry.y, {"shop": "convenience", "name": "村邮站便民超市"})
    centres = dataset.layers["centre_sites"]
    for row in centres[centres["kind"] == "existing"].itertuples():
        osm.node(
            row.geometry.x,
            row.geometry.y,
            {"amenity": "post_office", "name": "中国邮政", "operator": "中国邮政"},
        )


def _hub(osm: _Osm, dataset: CountyDataset, names: _Names) -> None:
    hub = dataset.layers["hubs"].geometry.iloc[0]
    osm.node(hub.x, hub.y, {"place": "city", "name": names.county, "name:en": names.county_en})


def _bus(osm: _Osm, dataset: CountyDataset) -> None:
    stops = dataset.layers["bus_stops"]
    lines = dataset.bus_lines.set_index("line_id")
    for line_id, group in stops.groupby("line_id", sort=True):
        members = []
        for row in group.sort_values("seq").itertuples():
            nid = osm.road_node(row.geometry.x, row.geometry.y)
            tags = osm.node_tags.setdefault(nid, {})
            tags.update(
                {
                    "highway": "bus_stop",
                    "public_transport": "stop_position",
                    "bus": "yes",
                    "name": f"{row.name}站",
                }
            )
            members.append(("n", nid, "stop"))
        rid = osm.ids.take("r")
        osm.relations.append(
            (
                rid,
                members,
                {
                    "type": "route",
                    "route": "bus",
                    "ref": str(line_id),
                    "name": str(lines.loc[line_id, "name"]),
                    "operator": "县公交公司",
                },
            )
        )


def _admin(
    osm: _Osm, dataset: CountyDataset, names: _Names, opt: ExtractOptions, rng: np.random.Generator
) -> None:
    boundary = shapely.union_all(dataset.layers["boundary"].geometry.to_numpy())
    osm.area(
        boundary.envelope.buffer(0.2).envelope,
        {"boundary": "administrative", "admin_level": "4", "name": "山东省"},
    )
    osm.area(
        boundary.buffer(0.05).simplify(0.01),
        {
            "boundary": "administrative",
            "admin_level": "5",
            "name": _PREFECTURES.get(names.code6[:4], "地级市"),
        },
    )
    osm.area(boundary, {"boundary": "administrative", "admin_level": "6", "name": names.county})
    for row in dataset.layers["townships"].itertuples():
        name = names.townships[str(row.township_id)]
        tags = {"boundary": "administrative", "admin_level": "8", "name": name}
        if rng.uniform() < opt.name_zh_share:
            tags["name:zh"] = name
        osm.area(row.geometry, tags)


def _write_pbf(osm: _Osm, path: Path, bounds: tuple[float, float, float, float]) -> None:
    import osmium

    header = osmium.io.Header()
    header.set("generator", "ruralnet.synth.osm_extract (GENERATED data)")
    header.add_box(osmium.osm.Box(bounds[0], bounds[1], bounds[2], bounds[3]))
    with atomic_path(path) as tmp:
        writer = osmium.SimpleWriter(osmium.io.File(str(tmp), "pbf"), header=header, overwrite=True)
        try:
            for nid, x, y, tags in osm.nodes:
                writer.add_node(
                    osmium.osm.mutable.Node(
                        id=nid,
                        location=(x, y),
                        tags={**tags, **osm.node_tags.get(nid, {})},
                        version=1,
                    )
                )
            for wid, nodes, tags in osm.ways:
                writer.add_way(osmium.osm.mutable.Way(id=wid, nodes=nodes, tags=tags, version=1))
            for rid, members, tags in osm.relations:
                writer.add_relation(
                    osmium.osm.mutable.Relation(id=rid, members=members, tags=tags, version=1)
                )
        finally:
            writer.close()


def write_osm_extract(
    dataset: CountyDataset,
    folder: str | Path,
    *,
    seed: int = 0,
    options: ExtractOptions | None = None,
) -> OsmCountyExtract:
    """
    Write a generated county as a Chinese-style OSM extract plus the planner's own files.

    Parameters
    ----------
    dataset
        A generated county (:func:`ruralnet.synth.county.generate_county` or
        :func:`~ruralnet.synth.county.generate_synthetic`).
    folder
        Output folder (created); the files are named in the module docstring.
    seed
        Random seed for what is shown and in which form; same inputs and seed, same files.
    options
        Shares of places, name forms, points, decoys.

    Returns
    -------
    OsmCountyExtract
        The paths, what an importer should find per village, and counts.
    """
    opt = options or ExtractOptions()
    rng = np.random.default_rng(seed)
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    listed = village_list(dataset, rng)
    names = _Names.of(dataset, listed)
    osm = _Osm()
    _roads(osm, dataset.layers["roads"], opt, rng)
    _bus(osm, dataset)
    listed, written = _places(osm, listed, dataset, names, opt, rng)
    _hub(osm, dataset, names)
    _sites(osm, dataset)
    _admin(osm, dataset, names, opt, rng)
    polys = dataset.layers["townships"].set_index("township_id").geometry
    expected = _expect(listed, written, polys)
    boundary = dataset.layers["boundary"]
    minx, miny, maxx, maxy = boundary.total_bounds
    pbf = out / "county.osm.pbf"
    _write_pbf(osm, pbf, (minx - 0.05, miny - 0.05, maxx + 0.05, maxy + 0.05))
    vl = pd.DataFrame(
        {
            "code12": listed["code12"],
            "name": listed["name"],
            "township_code9": listed["township_code9"],
            "township_name": listed["township_name"],
            "county_code6": names.code6,
            "county_name": names.county,
            "unit_type": "村委会",
            "is_admin_village": 1,
        }
    ).sort_values("code12")
    villages_csv = write_text_atomic(
        out / "villages_stats2022.csv", vl.to_csv(index=False, lineterminator="\n")
    )
    pts = listed[listed["in_points"]]
    glon, glat = gcj02_forward(pts["lon"].to_numpy(), pts["lat"].to_numpy())
    points = pd.DataFrame(
        {
            "code12": pts["code12"],
            "name": pts["name"],
            "lon": np.round(glon, 6),
            "lat": np.round(glat, 6),
        }
    )
    points_csv = write_text_atomic(
        out / "village_points_gcj02.csv", points.to_csv(index=False, lineterminator="\n")
    )
    boundary_path = out / "county_boundary.geojson"
    with atomic_path(boundary_path) as tmp:
        boundary[["geometry"]].assign(name=vl["county_name"].iloc[0]).to_file(tmp, driver="GeoJSON")
    write_text_atomic(out / "expected.csv", expected.to_csv(index=False, lineterminator="\n"))
    road_km = float(dataset.layers["roads"]["length_m"].sum()) / 1000.0
    counts = {
        "villages": len(listed),
        "place_nodes": int(listed["has_place"].sum()),
        "points_rows": len(points),
        "expect": expected["expect"].value_counts().to_dict(),
        "nodes": len(osm.nodes),
        "ways": len(osm.ways),
        "relations": len(osm.relations),
        "road_km": round(road_km, 1),
    }
    logger.info("OSM extract of %s: %s", dataset.metadata["name"], counts)
    return OsmCountyExtract(out, pbf, villages_csv, points_csv, boundary_path, expected, counts)
