"""Directed road graph for ``prepare``: build, keep the largest strongly connected part, simplify.

A :class:`RoadGraph` holds node positions and *arcs* ``(u, v, length_m, attr, way_id)``: one per
consecutive node pair of a way and driving direction, so a two-way road is a pair of opposite
arcs. ``attr`` indexes an interned attribute dict (highway, oneway, speed, name …), so arcs with
equal attributes share one index.

* :func:`split_strongly_connected` keeps the strongly connected component with the most road
  length (scipy's C implementation; networkx is about ten times slower on a county) and
  describes what it drops.
* :func:`simplify` merges chains of degree-2 nodes whose arcs share ``attr`` into one edge whose
  length is the sum of its arcs and whose vertex list keeps every node, so shortest-path lengths
  between the remaining nodes do not change (tests check this with networkx).
* :func:`edge_lines` lists the merged edges once per road (a two-way pair once).
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components

from ruralnet.prepare.coords import haversine_m

__all__ = [
    "Arc",
    "ComponentInfo",
    "Edge",
    "RoadGraph",
    "RoadLine",
    "edge_lines",
    "road_graph",
    "simplify",
    "split_strongly_connected",
]

logger = logging.getLogger(__name__)

#: ``(u, v, length_m, attr index, way id)``
Arc = tuple[Hashable, Hashable, float, int, int]


@dataclass(frozen=True)
class RoadLine:
    """
    One drivable way: node ids, their (lon, lat), a direction and attributes.

    ``direction`` is 1 (drivable only in digitised order), -1 (only against it) or 0 (both).
    """

    way_id: int
    node_ids: tuple[Hashable, ...]
    coords: tuple[tuple[float, float], ...]
    direction: int
    attrs: tuple[tuple[str, object], ...]


@dataclass
class RoadGraph:
    """Node positions, arcs and the interned arc attributes (each with ``oneway``)."""

    pos: dict[Hashable, tuple[float, float]] = field(default_factory=dict)
    arcs: list[Arc] = field(default_factory=list)
    attrs: list[dict[str, object]] = field(default_factory=list)

    def arc_km(self, arc: Arc) -> float:
        """Kilometres an arc adds to a road total (half for each arc of a two-way road)."""
        return arc[2] / 1000.0 * (1.0 if self.attrs[arc[3]]["oneway"] else 0.5)

    def with_arcs(self, arcs: list[Arc]) -> RoadGraph:
        """Return a graph on the same attributes with only ``arcs`` and their nodes."""
        pos = {}
        for u, v, *_ in arcs:
            pos[u] = self.pos[u]
            pos[v] = self.pos[v]
        return RoadGraph(pos, arcs, self.attrs)


@dataclass(frozen=True)
class Edge:
    """A merged chain of arcs from ``u`` to ``v``."""

    u: Hashable
    v: Hashable
    length_m: float
    path: tuple[Hashable, ...]
    coords: tuple[tuple[float, float], ...]
    way_ids: tuple[int, ...]
    attrs: dict[str, object]


@dataclass(frozen=True)
class ComponentInfo:
    """A dropped part of the network (weakly connected), its size, classes and a position."""

    n_nodes: int
    length_km: float
    lon: float
    lat: float
    highways: tuple[str, ...]


def road_graph(lines: Iterable[RoadLine]) -> RoadGraph:
    """
    Build the arcs of the drivable ways.

    Parameters
    ----------
    lines
        Drivable ways, already clipped.

    Returns
    -------
    RoadGraph
        One arc per consecutive node pair and open direction, with its haversine length;
        ``oneway`` is added to the attributes from ``direction``.
    """
    graph = RoadGraph()
    interned: dict[tuple[tuple[str, object], ...], int] = {}
    for line in lines:
        key = (*line.attrs, ("oneway", line.direction != 0))
        if key not in interned:
            interned[key] = len(graph.attrs)
            graph.attrs.append(dict(key))
        attr = interned[key]
        lon, lat = np.asarray(line.coords, dtype=np.float64).T
        lengths = haversine_m(lon[:-1], lat[:-1], lon[1:], lat[1:]).tolist()
        for i, length in enumerate(lengths):
            a, b = line.node_ids[i], line.node_ids[i + 1]
            if a == b:
                continue
            graph.pos[a], graph.pos[b] = line.coords[i], line.coords[i + 1]
            if line.direction >= 0:
                graph.arcs.append((a, b, length, attr, line.way_id))
            if line.direction <= 0:
                graph.arcs.append((b, a, length, attr, line.way_id))
    return graph


def _labels(nodes: list[Hashable], arcs: list[Arc], connection: str) -> np.ndarray:
    index = {n: i for i, n in enumerate(nodes)}
    u = np.fromiter((index[a[0]] for a in arcs), dtype=np.int64, count=len(arcs))
    v = np.fromiter((index[a[1]] for a in arcs), dtype=np.int64, count=len(arcs))
    matrix = coo_array((np.ones(len(arcs)), (u, v)), shape=(len(nodes), len(nodes))).tocsr()
    _, labels = connected_components(matrix, directed=True, connection=connection)
    return labels


def split_strongly_connected(
    graph: RoadGraph,
) -> tuple[RoadGraph, RoadGraph, list[ComponentInfo]]:
    """
    Keep the strongly connected component with the most road length; describe the rest.

    Parameters
    ----------
    graph
        From :func:`road_graph`.

    Returns
    -------
    tuple
        The kept graph; a graph of every dropped arc (those with an end outside the kept
        component); the dropped parts (weakly connected pieces of it), longest first.
    """
    if not graph.arcs:
        return graph, RoadGraph(attrs=graph.attrs), []
    nodes = list(graph.pos)
    labels = dict(zip(nodes, _labels(nodes, graph.arcs, "strong").tolist(), strict=True))
    km: dict[int, float] = {}
    size: dict[int, int] = {}
    first: dict[int, str] = {}
    for n, lab in labels.items():
        size[lab] = size.get(lab, 0) + 1
        first[lab] = min(first.get(lab, repr(n)), repr(n))
    for arc in graph.arcs:
        if labels[arc[0]] == labels[arc[1]]:
            km[labels[arc[0]]] = km.get(labels[arc[0]], 0.0) + graph.arc_km(arc)
    best = min(size, key=lambda lab: (-km.get(lab, 0.0), -size[lab], first[lab]))
    kept = [a for a in graph.arcs if labels[a[0]] == best and labels[a[1]] == best]
    dropped = [a for a in graph.arcs if labels[a[0]] != best or labels[a[1]] != best]
    kept_graph, dropped_graph = graph.with_arcs(kept), graph.with_arcs(dropped)
    return kept_graph, dropped_graph, _describe(dropped_graph)


def _describe(graph: RoadGraph) -> list[ComponentInfo]:
    """Weakly connected parts of ``graph``, longest first."""
    if not graph.arcs:
        return []
    nodes = list(graph.pos)
    part = dict(zip(nodes, _labels(nodes, graph.arcs, "weak").tolist(), strict=True))
    km: dict[int, float] = {}
    classes: dict[int, set[str]] = {}
    members: dict[int, list[Hashable]] = {}
    for n, p in part.items():
        members.setdefault(p, []).append(n)
    for arc in graph.arcs:
        p = part[arc[0]]
        km[p] = km.get(p, 0.0) + graph.arc_km(arc)
        classes.setdefault(p, set()).add(str(graph.attrs[arc[3]].get("highway", "")))
    infos = []
    for p, ns in members.items():
        x, y = graph.pos[min(ns, key=repr)]
        infos.append(ComponentInfo(len(ns), km.get(p, 0.0), x, y, tuple(sorted(classes[p]))))
    infos.sort(key=lambda c: (-c.length_km, -c.n_nodes, c.lon, c.lat))
    return infos


_Out = dict[Hashable, list[tuple[Hashable, int]]]


def _adjacency(graph: RoadGraph) -> tuple[_Out, dict[Hashable, list[Hashable]]]:
    """Out-arcs ``(v, arc index)`` sorted by target, and in-neighbours, per node."""
    out: _Out = {n: [] for n in graph.pos}
    preds: dict[Hashable, list[Hashable]] = {n: [] for n in graph.pos}
    for i, (u, v, *_) in enumerate(graph.arcs):
        out[u].append((v, i))
        preds[v].append(u)
    for arcs in out.values():
        if len(arcs) > 1:
            arcs.sort(key=lambda e: (repr(e[0]), e[1]))
    return out, preds


def _endpoints(graph: RoadGraph, out: _Out, preds: dict[Hashable, list[Hashable]]) -> set:
    """Nodes that are not the interior of a uniform one-way or two-way chain."""
    attrs: dict[Hashable, set[int]] = {n: set() for n in out}
    for u, v, _, attr, _ in graph.arcs:
        attrs[u].add(attr)
        attrs[v].add(attr)
    ends = set()
    for node, arcs in out.items():
        p = preds[node]
        s = [v for v, _ in arcs]
        ps, ss = set(p), set(s)
        if node in ps or node in ss or len(ps | ss) != 2 or len(attrs[node]) != 1:  # noqa: PLR2004
            ends.add(node)
            continue
        one_way = len(p) == 1 and len(s) == 1 and ps != ss
        two_way = len(p) == 2 and len(s) == 2 and ps == ss  # noqa: PLR2004
        if not (one_way or two_way):
            ends.add(node)
    return ends


def simplify(graph: RoadGraph, *, keep: Iterable[Hashable] = ()) -> list[Edge]:
    """
    Merge chains of degree-2 nodes into single edges, keeping shortest-path lengths.

    Parameters
    ----------
    graph
        Arcs to merge; arcs merge only when their attributes are equal.
    keep
        Nodes never merged away (e.g. stop positions).

    Returns
    -------
    list of Edge
        Edges between junctions and dead ends, each with the summed length, every vertex,
        the node path and the way ids. A closed ring without junctions keeps its smallest
        node. Deterministic order.
    """
    out, preds = _adjacency(graph)
    endpoints = _endpoints(graph, out, preds) | (set(keep) & set(out))
    edges: list[Edge] = []
    visited: set[int] = set()
    for start in sorted(endpoints, key=repr):
        edges += _walk_from(graph, out, start, endpoints, visited)
    # rings made only of chain nodes: cut each at its smallest node
    for start in sorted({graph.arcs[i][0] for i in range(len(graph.arcs))} - endpoints, key=repr):
        if all(i in visited for _, i in out[start]):
            continue
        endpoints.add(start)
        edges += _walk_from(graph, out, start, endpoints, visited)
    return edges


def _walk_from(
    graph: RoadGraph, out: _Out, start: Hashable, endpoints: set, visited: set[int]
) -> list[Edge]:
    """Follow every unvisited out-arc of ``start`` through chain nodes to the next endpoint."""
    found = []
    for first, i in out[start]:
        if i in visited:
            continue
        visited.add(i)
        path = [start, first]
        length = graph.arcs[i][2]
        way_ids = [graph.arcs[i][4]]
        prev, node = start, first
        while node not in endpoints:
            succ, j = next(e for e in out[node] if e[0] != prev)
            visited.add(j)
            length += graph.arcs[j][2]
            if graph.arcs[j][4] != way_ids[-1] and graph.arcs[j][4] not in way_ids:
                way_ids.append(graph.arcs[j][4])
            path.append(succ)
            prev, node = node, succ
        coords = tuple(graph.pos[n] for n in path)
        attrs = graph.attrs[graph.arcs[i][3]]
        found.append(Edge(start, node, length, tuple(path), coords, tuple(way_ids), attrs))
    return found


def edge_lines(edges: Iterable[Edge]) -> list[Edge]:
    """
    One edge per road: one-way edges as they are, two-way pairs once.

    Parameters
    ----------
    edges
        From :func:`simplify`.

    Returns
    -------
    list of Edge
        Two-way roads digitised from the smaller end, sorted by node path so the order does
        not depend on the input order.
    """
    records = []
    for i, edge in enumerate(edges):
        order = _order(edge.path)
        if not edge.attrs.get("oneway", False) and _order(edge.path[::-1]) < order:
            continue
        records.append((order, i, edge))
    records.sort(key=lambda r: (r[0], r[1]))
    return [r[2] for r in records]


def _order(path: tuple[Hashable, ...]) -> tuple[object, ...]:
    """Sort key of a node path: the ids when they are all ints, else their repr."""
    if all(type(n) is int for n in path):
        return path
    return tuple(repr(n) for n in path)
