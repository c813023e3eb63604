"""Road graph, snapping and road-distance matrices.

The graph's nodes are the road vertices (rounded to the centimetre so lines that share an
end share a node); its edges are the straight pieces between them, weighted by length in km.
Only the largest strongly connected component is kept, and what was dropped is reported.
Distances are bounded many-source Dijkstra searches on a sparse matrix
(:func:`scipy.sparse.csgraph.dijkstra`), run in chunks so memory stays small.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from functools import cached_property

import geopandas as gpd
import numpy as np
import shapely
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from ruralnet.errors import NetworkError, RuralnetWarning

__all__ = [
    "Pairs",
    "RoadNetwork",
    "Snap",
    "build_network",
    "near_pairs",
    "pair_distances",
    "paired_distances",
    "road_path",
    "snap_points",
]

log = logging.getLogger(__name__)

_CHUNK = 256  # sources per Dijkstra call: bounds memory at CHUNK x nodes floats


@dataclass(frozen=True)
class RoadNetwork:
    """The kept road graph.

    Attributes
    ----------
    xy
        Node coordinates in the dataset's metric CRS, shape ``(n, 2)``.
    graph
        Directed sparse adjacency, edge weights in km.
    dropped_nodes, dropped_km
        What lay outside the largest strongly connected component.
    components
        How many strongly connected components the input had.
    """

    xy: np.ndarray
    graph: sparse.csr_array
    dropped_nodes: int
    dropped_km: float
    components: int
    dropped_xy: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))

    @cached_property
    def tree(self) -> cKDTree:
        """KD-tree of the node coordinates, for snapping and local searches."""
        return cKDTree(self.xy)

    @cached_property
    def reverse(self) -> sparse.csr_array:
        """The graph with every edge turned round (searches back to a node)."""
        return sparse.csr_array(self.graph.T)

    @property
    def length_km(self) -> float:
        """Total kept road length, counting a two-way road once."""
        return float(sparse.triu(self.graph.maximum(self.graph.T)).sum())


@dataclass(frozen=True)
class Snap:
    """Points snapped to their nearest road node: node index and snap distance (km)."""

    node: np.ndarray
    km: np.ndarray


def _segments(roads: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lines = roads[["geometry", "oneway"]].explode(index_parts=False, ignore_index=True)
    coords, line_index = shapely.get_coordinates(lines.geometry.to_numpy(), return_index=True)
    same_line = line_index[1:] == line_index[:-1]
    start = np.flatnonzero(same_line)
    oneway = lines["oneway"].to_numpy(dtype=bool)[line_index[start]]
    return coords, np.column_stack([start, start + 1]), oneway


def build_network(roads: gpd.GeoDataFrame) -> RoadNetwork:
    """
    Build the directed road graph from road lines in a metric CRS.

    Parameters
    ----------
    roads
        LineStrings or MultiLineStrings with a boolean ``oneway`` column.

    Returns
    -------
    RoadNetwork
        The largest strongly connected component.

    Raises
    ------
    NetworkError
        When the roads form no edge at all.
    """
    coords, seg, oneway = _segments(roads)
    if len(seg) == 0:
        msg = "roads: no road segment found; the roads layer needs LineStrings with 2+ points"
        raise NetworkError(msg)
    keys = np.round(coords, 2)
    uniq, node_of = np.unique(keys, axis=0, return_inverse=True)
    node_of = node_of.ravel()
    u, v = node_of[seg[:, 0]], node_of[seg[:, 1]]
    km = np.hypot(*(coords[seg[:, 1]] - coords[seg[:, 0]]).T) / 1000.0
    keep = u != v
    u, v, km, oneway = u[keep], v[keep], km[keep], oneway[keep]
    src = np.concatenate([u, v[~oneway]])
    dst = np.concatenate([v, u[~oneway]])
    w = np.concatenate([km, km[~oneway]])
    # parallel edges: keep the shortest (a sparse constructor would add them up)
    order = np.lexsort((w, dst, src))
    src, dst, w = src[order], dst[order], w[order]
    first = np.ones(len(src), dtype=bool)
    first[1:] = (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])
    n = len(uniq)
    graph = sparse.csr_array((w[first], (src[first], dst[first])), shape=(n, n))
    n_comp, labels = csgraph.connected_components(graph, directed=True, connection="strong")
    largest = np.argmax(np.bincount(labels))
    kept = np.flatnonzero(labels == largest)
    sub = graph[kept][:, kept]
    dropped_km = float(graph.sum() - sub.sum()) / 2
    if n_comp > 1:
        log.info("road network: kept %d of %d nodes; %d components", len(kept), n, n_comp)
    return RoadNetwork(
        xy=uniq[kept],
        graph=sparse.csr_array(sub),
        dropped_nodes=n - len(kept),
        dropped_km=dropped_km,
        dropped_xy=uniq[labels != largest],
        components=int(n_comp),
    )


def _listed(ids: list[str], rows: np.ndarray, most: int = 5) -> str:
    """Name the ids of the first ``most`` rows, and say how many more there are."""
    names = ", ".join(ids[i] for i in rows[:most])
    return names + (f" and {len(rows) - most} more" if len(rows) > most else "")


def snap_points(
    network: RoadNetwork,
    points: gpd.GeoSeries,
    ids: list[str],
    *,
    layer: str,
    warn_m: float,
    max_m: float,
) -> Snap:
    """
    Snap points to their nearest node of the kept road graph.

    Parameters
    ----------
    network
        The road graph.
    points
        Point geometries in the network's CRS.
    ids
        The points' ids, for messages.
    layer
        Layer name, for messages (e.g. ``"villages"``).
    warn_m, max_m
        Warn about points farther than ``warn_m`` from the graph; refuse any beyond ``max_m``.

    Returns
    -------
    Snap
        Node index and snap distance in km per point.

    Raises
    ------
    NetworkError
        When a point lies beyond ``max_m`` (usually: cut off from the kept road component).
    """
    xy = shapely.get_coordinates(points.to_numpy())
    dist, node = network.tree.query(xy)
    if len(network.dropped_xy):
        cut_dist, _ = cKDTree(network.dropped_xy).query(xy)
        cut_off = np.flatnonzero((cut_dist < dist) & (dist > warn_m))
        if len(cut_off):
            msg = (
                f"{layer}: {len(cut_off)} point(s) lie on roads cut off from the main road network "
                f"({_listed(ids, cut_off)}; the connected network is {dist[cut_off[0]]:.0f} m away); "
                "connect those roads to the network (or fix their one-way tags)"
            )
            raise NetworkError(msg)
    far = np.flatnonzero(dist > max_m)
    if len(far):
        msg = (
            f"{layer}: {len(far)} point(s) lie more than {max_m:.0f} m from the connected road "
            f"network ({_listed(ids, far)}; nearest {dist[far[0]]:.0f} m); add the roads that reach them "
            "or raise [network].snap_max_m"
        )
        raise NetworkError(msg)
    n_warn = int(np.sum(dist > warn_m))
    if n_warn:
        warnings.warn(
            f"{layer}: {n_warn} point(s) snapped more than {warn_m:.0f} m to the road network",
            RuralnetWarning,
            stacklevel=2,
        )
    return Snap(node=node.astype(np.int64), km=dist / 1000.0)


@dataclass(frozen=True)
class Pairs:
    """Origin-target pairs within a road distance, sorted by origin then target.

    Attributes
    ----------
    origin, target
        Indices into the origins and the targets.
    km
        Road distance of each pair (see :func:`near_pairs`).
    """

    origin: np.ndarray
    target: np.ndarray
    km: np.ndarray

    def dense(self, shape: tuple[int, int]) -> np.ndarray:
        """Return an ``origins x targets`` matrix, ``inf`` where no pair is listed."""
        out = np.full(shape, np.inf)
        out[self.origin, self.target] = self.km
        return out


def _reach(
    graph: sparse.csr_array,
    back_graph: sparse.csr_array,
    sources: np.ndarray,
    columns: np.ndarray,
    limit: float,
) -> np.ndarray:
    """Half the round trip from each source to each column node (``inf`` beyond ``limit``)."""
    there = csgraph.dijkstra(graph, directed=True, indices=sources, limit=limit)
    back = csgraph.dijkstra(back_graph, directed=True, indices=sources, limit=limit)
    return (there[:, columns] + back[:, columns]) / 2


def _source_groups(xy: np.ndarray, sources: np.ndarray, cell_m: float) -> list[np.ndarray]:
    """Sorted runs of source nodes, one square grid cell each, at most ``_CHUNK`` per run."""
    if not np.isfinite(cell_m):
        return [sources[i : i + _CHUNK] for i in range(0, len(sources), _CHUNK)]
    cell = np.floor(xy[sources] / cell_m).astype(np.int64)
    order = np.lexsort((sources, cell[:, 1], cell[:, 0]))
    cell, ordered = cell[order], sources[order]
    breaks = np.flatnonzero(np.any(cell[1:] != cell[:-1], axis=1)) + 1
    return [
        group[i : i + _CHUNK]
        for group in np.split(ordered, breaks)
        for i in range(0, len(group), _CHUNK)
    ]


def near_pairs(
    network: RoadNetwork, origins: Snap, targets: Snap, *, limit_km: float = np.inf
) -> Pairs:
    """
    Every origin-target pair within ``limit_km`` of road, without a dense matrix.

    The distance of a pair is half its round trip (there and back), so one-way streets count
    fairly in both directions, plus both snap distances.

    Sources are searched in groups of nearby road nodes. A round trip within ``limit_km``
    never leaves the disc of radius ``2 * limit_km`` around its origin, since an edge's
    weight is its straight length; so each group searches only the subgraph inside its
    discs (:func:`scipy.sparse.csgraph.dijkstra` with ``limit``), and the distances are
    exact. When the discs cover most of the graph the whole graph is searched instead.

    Parameters
    ----------
    network
        The road graph.
    origins, targets
        Snapped points.
    limit_km
        Keep pairs at most this far apart; ``inf`` keeps every reachable pair.

    Returns
    -------
    Pairs
        Sorted by origin, then target.
    """
    limit = 2 * limit_km
    n_nodes = len(network.xy)
    uniq, inverse = np.unique(origins.node, return_inverse=True)
    radius_m = 1000.0 * limit + 1.0  # one metre more for rounding
    # cells four disc diameters wide: fewer, larger searches (see benchmarks/bench_matrices.py)
    groups = _source_groups(network.xy, uniq, 8 * radius_m)
    tree = network.tree if np.isfinite(limit) else None
    back_graph = network.reverse
    group_of = np.empty(len(uniq), dtype=np.int64)
    for g, group in enumerate(groups):
        group_of[np.searchsorted(uniq, group)] = g
    origin_group = group_of[inverse]
    by_group = np.argsort(origin_group, kind="stable")
    members_of = np.split(by_group, np.searchsorted(origin_group[by_group], range(1, len(groups))))
    rows, cols, kms = [], [], []
    for group, members in zip(groups, members_of, strict=True):
        local = None
        if tree is not None:
            box = network.xy[group]
            centre = (box.min(axis=0) + box.max(axis=0)) / 2
            reach_m = float(np.max(np.hypot(*(box - centre).T))) + radius_m
            local = np.sort(np.asarray(tree.query_ball_point(centre, reach_m), dtype=np.int64))
            if len(local) > n_nodes // 2:
                local = None
        if local is None:
            half = _reach(network.graph, back_graph, group, targets.node, limit)
            cols_of = np.arange(len(targets.node))
        else:
            # targets whose node lies in the subgraph, in target order
            pos = np.searchsorted(local, targets.node)
            inside = (pos < len(local)) & (local[np.minimum(pos, len(local) - 1)] == targets.node)
            cols_of = np.flatnonzero(inside)
            sub = sparse.csr_array(network.graph[local][:, local])
            sub_back = sparse.csr_array(back_graph[local][:, local])
            half = _reach(sub, sub_back, np.searchsorted(local, group), pos[cols_of], limit)
        # groups are sorted node runs, so a member's row is found by bisection
        block = half[np.searchsorted(group, origins.node[members])]
        km = block + origins.km[members, None] + targets.km[cols_of][None, :]
        r, c = np.nonzero((km <= limit_km) & np.isfinite(km))
        rows.append(members[r])
        cols.append(cols_of[c])
        kms.append(km[r, c])
    if not rows:
        empty = np.zeros(0, dtype=np.int64)
        return Pairs(empty, empty.copy(), np.zeros(0))
    origin, target, km = np.concatenate(rows), np.concatenate(cols), np.concatenate(kms)
    order = np.lexsort((target, origin))
    return Pairs(origin[order], target[order].astype(np.int64), km[order])


def paired_distances(network: RoadNetwork, origins: Snap, targets: Snap) -> np.ndarray:
    """
    Road distance from each origin to the target of the same index (e.g. bus legs).

    Each pair is first searched within four times its straight-line distance plus 2 km,
    in groups of pairs with the same power-of-two bound (:func:`near_pairs`); pairs not
    reached within it are searched again without a bound, so the result is exact.

    Parameters
    ----------
    network
        The road graph.
    origins, targets
        Snapped points, as many of each.

    Returns
    -------
    numpy.ndarray
        Distance in km per pair, defined as in :func:`near_pairs`; ``inf`` if unreachable.
    """
    km = np.full(len(origins.node), np.inf)
    straight = np.hypot(*(network.xy[origins.node] - network.xy[targets.node]).T) / 1000.0
    bound = 2.0 ** np.ceil(np.log2(4 * (straight + origins.km + targets.km) + 2.0))
    rounds = [(bound, np.unique(bound)), (np.full(len(km), np.inf), np.array([np.inf]))]
    for limits, levels in rounds:
        for level in levels:
            legs = np.flatnonzero((limits == level) & ~np.isfinite(km))
            if len(legs) == 0:
                continue
            pairs = near_pairs(
                network,
                Snap(origins.node[legs], origins.km[legs]),
                Snap(targets.node[legs], targets.km[legs]),
                limit_km=float(level),
            )
            own = pairs.origin == pairs.target
            km[legs[pairs.origin[own]]] = pairs.km[own]
    return km


def pair_distances(
    network: RoadNetwork, origins: Snap, targets: Snap, *, limit_km: float = np.inf
) -> np.ndarray:
    """
    Road distance in km between every origin and every target, as a dense matrix.

    For large point sets with a short ``limit_km`` use :func:`near_pairs`, which lists only
    the pairs within the limit.

    Parameters
    ----------
    network
        The road graph.
    origins, targets
        Snapped points.
    limit_km
        Stop searching beyond this road distance; farther pairs are ``inf``.

    Returns
    -------
    numpy.ndarray
        Shape ``(len(origins.node), len(targets.node))``.
    """
    pairs = near_pairs(network, origins, targets, limit_km=limit_km)
    return pairs.dense((len(origins.node), len(targets.node)))


def road_path(network: RoadNetwork, source: int, target: int) -> np.ndarray:
    """
    Node coordinates of a shortest road path, for drawing.

    Parameters
    ----------
    network
        The road graph.
    source, target
        Node indices.

    Returns
    -------
    numpy.ndarray
        Shape ``(k, 2)`` coordinates from source to target (one row if they coincide).
    """
    _, pred = csgraph.dijkstra(
        network.graph, directed=True, indices=source, return_predecessors=True
    )
    path = [target]
    while path[-1] != source and pred[path[-1]] >= 0:
        path.append(int(pred[path[-1]]))
    return network.xy[path[::-1]]
