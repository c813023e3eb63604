"""Directed road graph for ``prepare``: build, keep the largest strongly connected part, simplify.

Nodes are OSM node ids with ``x`` (lon) and ``y`` (lat); every edge carries ``length_m``, its
vertex list ``coords`` and its node ``path``, plus the attributes named in ``attrs`` (highway,
oneway, speed, name). A two-way road is a pair of opposite edges. :func:`simplify_graph` merges
chains of degree-2 nodes whose edges share all ``attrs`` into one edge whose length is the sum
of the parts and whose ``coords`` keep every vertex, so shortest-path lengths between the
remaining nodes do not change.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np

from ruralnet.coords import haversine_m

__all__ = [
    "ComponentInfo",
    "RoadLine",
    "build_graph",
    "edge_lines",
    "largest_strongly_connected",
    "simplify_graph",
]

logger = logging.getLogger(__name__)

#: Edge attributes that must agree for two edges to be merged by default.
DEFAULT_ATTRS: tuple[str, ...] = ("highway", "oneway", "speed_kmh", "name")


@dataclass(frozen=True)
class RoadLine:
    """
    One drivable way: node ids, their (lon, lat), a direction and attributes.

    ``direction`` is 1 (drivable only in digitised order), -1 (only against it) or 0 (both).
    """

    way_id: int
    node_ids: tuple[int, ...]
    coords: tuple[tuple[float, float], ...]
    direction: int
    attrs: tuple[tuple[str, object], ...]


@dataclass(frozen=True)
class ComponentInfo:
    """A strongly connected component that was dropped."""

    n_nodes: int
    length_km: float
    lon: float
    lat: float
    highways: tuple[str, ...]


def build_graph(lines: Iterable[RoadLine]) -> nx.MultiDiGraph:
    """
    Build a directed multigraph with one edge per consecutive node pair and direction.

    Parameters
    ----------
    lines
        Drivable ways, already clipped.

    Returns
    -------
    networkx.MultiDiGraph
        Edges have ``length_m`` (haversine), ``coords``, ``path``, ``way_ids`` and the line's
        attributes, with ``oneway`` set from ``direction``.
    """
    graph = nx.MultiDiGraph()
    for line in lines:
        attrs = dict(line.attrs)
        attrs["oneway"] = line.direction != 0
        lon, lat = np.asarray(line.coords, dtype=np.float64).T
        lengths = haversine_m(lon[:-1], lat[:-1], lon[1:], lat[1:]).tolist()
        for i, length in enumerate(lengths):
            a, b = line.node_ids[i], line.node_ids[i + 1]
            if a == b:
                continue
            pa, pb = line.coords[i], line.coords[i + 1]
            graph.add_node(a, x=pa[0], y=pa[1])
            graph.add_node(b, x=pb[0], y=pb[1])
            if line.direction >= 0:
                _add(graph, a, b, length, [pa, pb], line.way_id, attrs)
            if line.direction <= 0:
                _add(graph, b, a, length, [pb, pa], line.way_id, attrs)
    return graph


def _add(
    graph: nx.MultiDiGraph,
    u: Hashable,
    v: Hashable,
    length: float,
    coords: list[tuple[float, float]],
    way_id: int,
    attrs: dict[str, object],
) -> None:
    graph.add_edge(u, v, length_m=length, coords=coords, path=(u, v), way_ids=(way_id,), **attrs)


def _edge_km(graph: nx.MultiDiGraph) -> float:
    """Road length in km, counting a two-way road (a pair of opposite edges) once."""
    total = 0.0
    for *_, data in graph.edges(data=True):
        total += data["length_m"] * (1.0 if data.get("oneway", False) else 0.5)
    return total / 1000.0


def largest_strongly_connected(
    graph: nx.MultiDiGraph,
) -> tuple[nx.MultiDiGraph, nx.MultiDiGraph, list[ComponentInfo]]:
    """
    Keep the strongly connected component with the most road length; describe the rest.

    Parameters
    ----------
    graph
        From :func:`build_graph`; it is reduced in place to the kept component.

    Returns
    -------
    tuple
        ``graph`` reduced to the kept component; a graph of every dropped edge (those with
        an end outside the kept component); the dropped parts (weakly connected pieces of
        that graph), longest first.
    """
    components = list(nx.strongly_connected_components(graph))
    if not components:
        return graph, nx.MultiDiGraph(), []
    sub_km: dict[int, float] = {}
    where = {}
    for i, comp in enumerate(components):
        for n in comp:
            where[n] = i
    for u, v, data in graph.edges(data=True):
        if where[u] == where[v]:
            w = 1.0 if data.get("oneway", False) else 0.5
            sub_km[where[u]] = sub_km.get(where[u], 0.0) + data["length_m"] * w
    best = min(
        range(len(components)),
        key=lambda i: (-sub_km.get(i, 0.0), -len(components[i]), min(map(repr, components[i]))),
    )
    kept = components[best]
    dropped = nx.MultiDiGraph()
    for u, v, k, data in graph.edges(keys=True, data=True):
        if u not in kept or v not in kept:
            dropped.add_node(u, **graph.nodes[u])
            dropped.add_node(v, **graph.nodes[v])
            dropped.add_edge(u, v, k, **data)
    graph.remove_nodes_from([n for n in list(graph.nodes) if n not in kept])
    infos = []
    for part in nx.weakly_connected_components(dropped):
        sub = dropped.subgraph(part)
        first = min(part, key=repr)
        node = dropped.nodes[first]
        classes = tuple(sorted({str(d.get("highway", "")) for *_, d in sub.edges(data=True)}))
        infos.append(
            ComponentInfo(len(part), _edge_km(sub), node.get("x", 0.0), node.get("y", 0.0), classes)
        )
    infos.sort(key=lambda c: (-c.length_km, -c.n_nodes, c.lon, c.lat))
    return graph, dropped, infos


def _edge_key(data: dict[str, object], attrs: Sequence[str]) -> tuple[object, ...]:
    return tuple(data.get(a) for a in attrs)


def _endpoints(graph: nx.MultiDiGraph, attrs: Sequence[str]) -> set[Hashable]:
    """Nodes that are not the interior of a uniform one-way or two-way chain."""
    preds: dict[Hashable, list[Hashable]] = {n: [] for n in graph.nodes}
    succs: dict[Hashable, list[Hashable]] = {n: [] for n in graph.nodes}
    keys: dict[Hashable, set[tuple[object, ...]]] = {n: set() for n in graph.nodes}
    for u, v, data in graph.edges(data=True):
        succs[u].append(v)
        preds[v].append(u)
        key = _edge_key(data, attrs)
        keys[u].add(key)
        keys[v].add(key)
    out = set()
    for node in graph.nodes:
        p, s = preds[node], succs[node]
        ps, ss = set(p), set(s)
        if node in ps or node in ss or len(ps | ss) != 2 or len(keys[node]) != 1:  # noqa: PLR2004
            out.add(node)
            continue
        one_way = len(p) == 1 and len(s) == 1 and ps != ss
        two_way = len(p) == 2 and len(s) == 2 and ps == ss  # noqa: PLR2004
        if not (one_way or two_way):
            out.add(node)
    return out


def simplify_graph(
    graph: nx.MultiDiGraph,
    *,
    attrs: Sequence[str] = DEFAULT_ATTRS,
    keep: Iterable[Hashable] = (),
) -> nx.MultiDiGraph:
    """
    Merge chains of degree-2 nodes into single edges, keeping shortest-path lengths.

    Parameters
    ----------
    graph
        Directed multigraph with ``length_m`` and ``coords`` on every edge.
    attrs
        Edge attributes that must be equal along a merged chain.
    keep
        Nodes never merged away (e.g. stop positions).

    Returns
    -------
    networkx.MultiDiGraph
        A new graph on the junction and dead-end nodes. Each edge has the summed
        ``length_m``, concatenated ``coords``, the node ``path`` and ``way_ids``, and ``attrs``.
        A closed ring without junctions keeps its smallest node.
    """
    protected = set(keep)
    endpoints = _endpoints(graph, attrs) | (protected & set(graph.nodes))
    out = nx.MultiDiGraph()
    for node in endpoints:
        out.add_node(node, **graph.nodes[node])
    visited_edges: set[tuple[Hashable, Hashable, int]] = set()
    for start in sorted(endpoints, key=repr):
        _walk_from(graph, start, endpoints, attrs, out, visited_edges)
    # rings made only of chain nodes: cut each at its smallest node
    leftover = [(u, v, k) for u, v, k in graph.edges(keys=True) if (u, v, k) not in visited_edges]
    while leftover:
        start = min((u for u, _, _ in leftover), key=repr)
        endpoints.add(start)
        out.add_node(start, **graph.nodes[start])
        _walk_from(graph, start, endpoints, attrs, out, visited_edges)
        leftover = [e for e in leftover if e not in visited_edges]
    return out


def _walk_from(
    graph: nx.MultiDiGraph,
    start: Hashable,
    endpoints: set[Hashable],
    attrs: Sequence[str],
    out: nx.MultiDiGraph,
    visited: set[tuple[Hashable, Hashable, int]],
) -> None:
    for _, first, key in sorted(graph.out_edges(start, keys=True), key=repr):
        if (start, first, key) in visited:
            continue
        visited.add((start, first, key))
        data = graph.edges[start, first, key]
        path = [start, first]
        coords = list(data["coords"])
        length = data["length_m"]
        way_ids = list(data.get("way_ids", ()))
        prev, node = start, first
        while node not in endpoints:
            nxt = [(v, k) for _, v, k in graph.out_edges(node, keys=True) if v != prev]
            (succ, k2), *_ = nxt
            visited.add((node, succ, k2))
            step = graph.edges[node, succ, k2]
            coords.extend(step["coords"][1:])
            length += step["length_m"]
            for w in step.get("way_ids", ()):
                if w not in way_ids:
                    way_ids.append(w)
            path.append(succ)
            prev, node = node, succ
        merged = {a: data.get(a) for a in attrs}
        out.add_edge(
            start,
            node,
            length_m=length,
            coords=coords,
            path=tuple(path),
            way_ids=tuple(way_ids),
            **merged,
        )


def edge_lines(graph: nx.MultiDiGraph) -> list[dict[str, object]]:
    """
    One record per road: one-way edges as they are, two-way edge pairs once.

    Parameters
    ----------
    graph
        A simplified graph.

    Returns
    -------
    list of dict
        Edge data with ``u`` and ``v``, digitised from the smaller end of the pair, sorted
        by node path so the order does not depend on the input order.
    """
    records: dict[tuple[object, ...], dict[str, object]] = {}
    for u, v, data in graph.edges(data=True):
        path = tuple(data["path"])
        if not data.get("oneway", False):
            rev = path[::-1]
            if [repr(n) for n in rev] < [repr(n) for n in path]:
                continue
        key = tuple(repr(n) for n in path)
        while key in records:  # parallel duplicates of the same path (duplicate ways)
            key = (*key, "+")
        records[key] = {"u": u, "v": v, **data}
    return [records[k] for k in sorted(records)]
