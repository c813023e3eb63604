"""Generated roads and bus lines for :mod:`ruralnet.synth.county` (layout: :mod:`~ruralnet.synth.layout`).

Roads
    Every road is an edge of one Delaunay triangulation of all points (hub, road gates, seats,
    centre sites, villages; real or generated). Delaunay edges never cross, so the network is
    planar and already split at every junction: each edge is one ``LineString`` whose ends
    are network nodes, and every village is a node.

    * ``primary``: shortest paths gate → hub → opposite gate (national roads through the hub).
    * ``secondary`` / ``tertiary``: county roads along the paths between seats (and the hub)
      that are neighbours in the seat-level Delaunay graph; its minimum spanning tree is
      ``secondary``, the shortest extra links (closing loops) are ``tertiary``.
    * ``unclassified``: a minimum spanning tree joining every other node to the network
      (links inside a township preferred), plus a random half of the remaining Gabriel edges
      (neighbour links with no other node in their diametral circle), which closes loops.
    * ``track``: a further random tenth of those Gabriel edges.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix, csr_matrix, diags
from scipy.sparse.csgraph import dijkstra, minimum_spanning_tree
from scipy.spatial import Delaunay

logger = logging.getLogger(__name__)

HIGHWAY_RANK: dict[str, int] = {
    "primary": 0,
    "secondary": 1,
    "tertiary": 2,
    "unclassified": 3,
    "track": 4,
}
_NONE = 99
_CHUNK = 64
_TOUR_VILLAGES = 6
_OUTSIDE_PENALTY = 5.0
_CROSS_TOWNSHIP_PENALTY = 1.5


@dataclass(frozen=True)
class RoadOptions:
    """Shape of the generated road network.

    Parameters
    ----------
    extra_link_share
        Extra (loop-closing) county links per township, as a share of the township count.
    loop_share
        Share of the Gabriel edges (direct neighbour links) not yet used by a road that
        become ``unclassified`` roads; closes loops so that road distances stay near the
        straight-line ones (median detour about 1.2).
    track_share
        Share of those edges that become ``track``.
    """

    extra_link_share: float = 0.4
    loop_share: float = 0.5
    track_share: float = 0.1


def delaunay_edges(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the unique undirected Delaunay edges and which of them are Gabriel edges.

    Parameters
    ----------
    xy
        ``(n, 2)`` projected coordinates, ``n >= 2``.

    Returns
    -------
    edges : numpy.ndarray
        ``(m, 2)`` int64 array of ``(i, j)``, ``i < j``, sorted.
    gabriel : numpy.ndarray
        ``(m,)`` bool: no other point lies in the circle on the edge as diameter (no
        triangle sees the edge at an obtuse angle), i.e. a "direct" neighbour link.
    """
    n = len(xy)
    if n <= 4:  # noqa: PLR2004 - tiny sets: all pairs (Delaunay fails on collinear points)
        i, j = np.triu_indices(n, k=1)
        return np.column_stack([i, j]).astype(np.int64), np.ones(len(i), bool)
    s = Delaunay(xy).simplices.astype(np.int64)
    sides = ((0, 1, 2), (1, 2, 0), (0, 2, 1))  # (end, end, opposite vertex)
    te = np.concatenate([np.sort(s[:, [a, b]], axis=1) for a, b, _ in sides])
    opp = np.concatenate([s[:, c] for _, _, c in sides])
    edges, inv = np.unique(te, axis=0, return_inverse=True)
    obtuse = np.einsum("ij,ij->i", xy[te[:, 0]] - xy[opp], xy[te[:, 1]] - xy[opp]) < 0
    return edges, np.bincount(inv.ravel(), weights=obtuse, minlength=len(edges)) == 0


def _graph(n: int, edges: np.ndarray, weight: np.ndarray) -> csr_matrix:
    """Symmetric sparse adjacency matrix with the given edge weights."""
    rows = np.concatenate([edges[:, 0], edges[:, 1]])
    cols = np.concatenate([edges[:, 1], edges[:, 0]])
    w = np.concatenate([weight, weight])
    return coo_matrix((w, (rows, cols)), shape=(n, n)).tocsr()


def _walk(pred: np.ndarray, source: int, target: int) -> np.ndarray | None:
    """Node path source → target from a predecessor row, or ``None`` if unreachable."""
    path = [target]
    node = target
    while node != source:
        node = int(pred[node])
        if node < 0:
            return None
        path.append(node)
    return np.array(path[::-1], dtype=np.int64)


def shortest_paths(graph: csr_matrix, pairs: np.ndarray) -> list[np.ndarray]:
    """Shortest node paths for ``(source, target)`` pairs, sources processed in chunks.

    Parameters
    ----------
    graph
        Weighted adjacency matrix (undirected).
    pairs
        ``(m, 2)`` node indices.

    Returns
    -------
    list of numpy.ndarray
        One node sequence per pair, from source to target.

    Raises
    ------
    ValueError
        If a target cannot be reached.
    """
    out: list[np.ndarray | None] = [None] * len(pairs)
    sources = np.unique(pairs[:, 0])
    for start in range(0, len(sources), _CHUNK):
        chunk = sources[start : start + _CHUNK]
        _, pred = dijkstra(graph, directed=False, indices=chunk, return_predecessors=True)
        row_of = {int(s): r for r, s in enumerate(chunk)}
        for k in np.flatnonzero(np.isin(pairs[:, 0], chunk)):
            s, t = int(pairs[k, 0]), int(pairs[k, 1])
            path = _walk(pred[row_of[s]], s, t)
            if path is None:
                msg = f"node {t} is not reachable from node {s}"
                raise ValueError(msg)
            out[k] = path
    return [p for p in out if p is not None]


def _edge_ids(edges: np.ndarray, n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Return the indices into ``edges`` (sorted, unique) of the undirected pairs ``(a, b)``."""
    keys = edges[:, 0] * n + edges[:, 1]
    q = np.minimum(a, b) * n + np.maximum(a, b)
    pos = np.searchsorted(keys, q)
    if np.any(pos >= len(keys)) or np.any(keys[np.minimum(pos, len(keys) - 1)] != q):
        msg = "path uses a pair that is not a Delaunay edge"
        raise ValueError(msg)
    return pos


def _county_links(xy: np.ndarray, extra_share: float) -> tuple[np.ndarray, np.ndarray]:
    """Seat-level links: MST of the seat Delaunay graph plus the shortest extra edges.

    Returns the ``(m, 2)`` local index pairs and a boolean "is in the MST" array.
    """
    m = len(xy)
    if m < 2:  # noqa: PLR2004
        return np.empty((0, 2), np.int64), np.empty(0, bool)
    e, _ = delaunay_edges(xy)
    length = np.hypot(*(xy[e[:, 0]] - xy[e[:, 1]]).T)
    tree = minimum_spanning_tree(coo_matrix((length, (e[:, 0], e[:, 1])), shape=(m, m)))
    t = tree.tocoo()
    in_tree = np.zeros(len(e), bool)
    in_tree[_edge_ids(e, m, t.row.astype(np.int64), t.col.astype(np.int64))] = True
    cap = 2.0 * np.median(length[in_tree]) if in_tree.any() else np.inf
    extra = np.flatnonzero(~in_tree & (length <= cap))
    extra = extra[np.argsort(length[extra], kind="stable")][: round(extra_share * m)]
    keep = np.sort(np.concatenate([np.flatnonzero(in_tree), extra]))
    return e[keep], in_tree[keep]


def build_roads(
    xy: np.ndarray,
    township: np.ndarray,
    *,
    hub: int,
    seats: np.ndarray,
    gate_pairs: list[tuple[int, int]],
    area: shapely.Geometry | None,
    rng: np.random.Generator,
    options: RoadOptions | None = None,
) -> pd.DataFrame:
    """Generate the road edges over the given nodes.

    Parameters
    ----------
    xy
        ``(n, 2)`` projected node coordinates (metres).
    township
        Township index of each node, ``-1`` for nodes outside any township (hub, gates).
    hub
        Node index of the county hub.
    seats
        Node index of each township seat.
    gate_pairs
        ``(gate_a, gate_b)`` node pairs; each becomes a ``primary`` road gate_a → hub → gate_b.
    area
        County polygon; edges leaving it are avoided. ``None`` disables the check.
    rng
        Random generator (used for loops and tracks).
    options
        Network shape; defaults to :class:`RoadOptions`.

    Returns
    -------
    pandas.DataFrame
        Columns ``u``, ``v`` (node indices, ``u < v``), ``highway``, ``name``, ``length_m``,
        sorted by class rank then ``(u, v)``.
    """
    opt = options or RoadOptions()
    n = len(xy)
    edges, gabriel = delaunay_edges(xy)
    a, b = xy[edges[:, 0]], xy[edges[:, 1]]
    length = np.hypot(*(a - b).T)
    cost = length.copy()
    if area is not None:
        inside = np.ones(len(edges), bool)
        for f in (0.25, 0.5, 0.75):
            p = a + f * (b - a)
            inside &= shapely.contains_xy(area, p[:, 0], p[:, 1])
        cost[~inside] *= _OUTSIDE_PENALTY
    graph = _graph(n, edges, cost)
    rank = np.full(len(edges), _NONE, dtype=np.int64)
    name = np.full(len(edges), None, dtype=object)

    def mark(path: np.ndarray, r: int, label: str | None) -> None:
        ids = _edge_ids(edges, n, path[:-1], path[1:])
        better = rank[ids] > r
        rank[ids[better]] = r
        if label is not None:
            name[ids[better]] = label

    # county roads between seats (and the hub)
    nodes = np.concatenate([[hub], seats]).astype(np.int64)
    pairs, in_tree = _county_links(xy[nodes], opt.extra_link_share)
    paths = shortest_paths(graph, nodes[pairs]) if len(pairs) else []
    for k in np.argsort(in_tree, kind="stable"):  # tertiary first, secondary overrides
        mark(paths[k], 1 if in_tree[k] else 2, f"X{k + 1:03d}")
    # primary roads through the hub
    for k, (ga, gb) in enumerate(gate_pairs):
        for path in shortest_paths(graph, np.array([[hub, ga], [hub, gb]])):
            mark(path, 0, f"G{k + 1}")
    # village roads: spanning tree over everything, existing roads free, same-township preferred
    hubside = (township[edges[:, 0]] < 0) | (township[edges[:, 1]] < 0)  # hub and gates
    cross = (township[edges[:, 0]] != township[edges[:, 1]]) | hubside
    mcost = cost * np.where(cross, _CROSS_TOWNSHIP_PENALTY, 1.0)
    mcost[rank < _NONE] = 1e-9
    t = minimum_spanning_tree(_graph(n, edges, mcost)).tocoo()
    tree_ids = _edge_ids(edges, n, t.row.astype(np.int64), t.col.astype(np.int64))
    rank[tree_ids[rank[tree_ids] == _NONE]] = HIGHWAY_RANK["unclassified"]
    # loops, then tracks: a random share of the remaining Gabriel edges between villages/sites
    cand = np.flatnonzero((rank == _NONE) & gabriel & (cost == length) & ~hubside)
    cand = cand[np.argsort(rng.uniform(size=len(cand)), kind="stable")]
    n_loop, n_track = round(opt.loop_share * len(cand)), round(opt.track_share * len(cand))
    rank[cand[:n_loop]] = HIGHWAY_RANK["unclassified"]
    rank[cand[n_loop : n_loop + n_track]] = HIGHWAY_RANK["track"]
    keep = np.flatnonzero(rank < _NONE)
    keep = keep[np.lexsort((edges[keep, 1], edges[keep, 0], rank[keep]))]
    classes = np.array(list(HIGHWAY_RANK), dtype=object)
    return pd.DataFrame(
        {
            "u": edges[keep, 0],
            "v": edges[keep, 1],
            "highway": classes[rank[keep]],
            "name": name[keep],
            "length_m": length[keep],
        }
    )


def build_bus_lines(
    xy: np.ndarray,
    roads: pd.DataFrame,
    *,
    hub: int,
    seats: np.ndarray,
    members: list[np.ndarray],
    chosen: np.ndarray,
    is_stop: np.ndarray,
    max_trunk_m: float,
) -> list[np.ndarray]:
    """Bus lines hub → township seat → villages of the township, along the roads.

    After the seat a line visits up to six villages of the township on the side away from
    the hub (greedy nearest neighbour); every village or seat passed on the way is a stop.

    Parameters
    ----------
    xy
        Node coordinates.
    roads
        Output of :func:`build_roads`.
    hub
        Hub node.
    seats
        Seat node per township.
    members
        Village nodes per township.
    chosen
        Township indices that get a line.
    is_stop
        Boolean per node: may be a stop (hub, seats, villages).
    max_trunk_m
        Lines start at the hub only if the seat is at most this far from it by road;
        otherwise they start at the seat.

    Returns
    -------
    list of numpy.ndarray
        Per line, the stop nodes in order (consecutive stops are joined by roads).
    """
    n = len(xy)
    e = roads[["u", "v"]].to_numpy(np.int64)
    graph = _graph(n, e, roads["length_m"].to_numpy(float))
    dist_hub, pred_hub = dijkstra(graph, directed=False, indices=hub, return_predecessors=True)
    lines = []
    for k in chosen:
        seat = int(seats[k])
        head = _walk(pred_hub, hub, seat) if dist_hub[seat] <= max_trunk_m else None
        head = np.array([seat], np.int64) if head is None else head
        path = _tour(graph, xy, head, members[k], hub)
        lines.append(path[is_stop[path]])
    return lines


def _tour(
    graph: csr_matrix, xy: np.ndarray, head: np.ndarray, members: np.ndarray, hub: int
) -> np.ndarray:
    """Extend ``head`` (ending at a seat) through up to ``_TOUR_VILLAGES`` nearby villages.

    Villages on the side of the seat away from the hub are visited greedily, nearest by road
    first, on roads that avoid every node the line has already passed.
    """
    seat = int(head[-1])
    away = (xy[members] - xy[seat]) @ (xy[seat] - xy[hub]) >= 0
    cand = members[away] if away.sum() >= 2 else members  # noqa: PLR2004
    if len(cand) == 0:
        return head
    reach = 3.0 * float(np.max(np.hypot(*(xy[cand] - xy[seat]).T))) + 1.0
    local = np.flatnonzero(np.hypot(*(xy - xy[seat]).T) <= reach)  # sorted node ids
    sub = graph[local][:, local].tocsr()
    free = np.ones(len(local), bool)
    free[np.searchsorted(local, head[np.isin(head, local)])] = False
    left = np.searchsorted(local, np.sort(cand))
    cur, path = int(np.searchsorted(local, seat)), [int(v) for v in head]
    for _ in range(_TOUR_VILLAGES):
        free[cur] = True
        mask = diags(free.astype(float))
        g = (mask @ sub @ mask).tocsr()
        g.eliminate_zeros()
        dist, pred = dijkstra(g, directed=False, indices=cur, return_predecessors=True)
        free[cur] = False
        left = left[free[left]]
        ok = left[np.isfinite(dist[left])]
        if len(ok) == 0:
            break
        nxt = int(ok[np.argmin(dist[ok])])
        hop = _walk(pred, cur, nxt)
        if hop is None:
            break
        free[hop] = False
        path += [int(v) for v in local[hop[1:]]]
        cur = nxt
    return np.array(path, np.int64)


def bus_tables(
    lines: list[np.ndarray],
    chosen: np.ndarray,
    townships: pd.DataFrame,
    villages: pd.DataFrame,
    *,
    hub_name: str,
    s0: int,
    v0: int,
    source: str,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Build the bus stop rows and the ``bus_lines.csv`` table.

    Parameters
    ----------
    lines
        Stop nodes per line (:func:`build_bus_lines`).
    chosen
        Township index of each line.
    townships, villages
        ``township_id``/``name`` and ``village_id``/``name`` tables in node order.
    hub_name
        Name of the hub stop (node 0).
    s0, v0
        First seat node and first village node.
    source
        Value of the ``source`` column.

    Returns
    -------
    tuple of pandas.DataFrame
        Stops (``line_id``, ``seq``, ``stop_id``, ``name``, ``village_id``, ``source``,
        ``node``) and lines (``line_id``, ``name``, empty ``trips_per_day``,
        ``capacity_parcels_per_trip``, ``fee_yuan_per_parcel``, ``source``, ``township_id``).
    """
    tid, tname = townships["township_id"].to_numpy(), townships["name"].to_numpy()
    vid, vname = villages["village_id"].to_numpy(), villages["name"].to_numpy()

    def label(node: int) -> tuple[str, str, str | None]:  # stop id suffix, name, village id
        if node >= v0:
            return vid[node - v0], vname[node - v0], vid[node - v0]
        if node >= s0:
            return tid[node - s0], f"{tname[node - s0]}驻地", None
        return "H1", hub_name, None

    width = max(2, len(str(len(lines))))
    stops, rows = [], []
    for i, nodes in enumerate(lines):
        lid = f"L{i + 1:0{width}d}"
        names = [label(int(s)) for s in nodes]
        t = chosen[i]
        rows.append((lid, f"{tname[t]}: {names[0][1]} — {names[-1][1]}", source, tid[t]))
        stops += [
            (lid, j + 1, f"BS-{a}", b, c, source, int(s))
            for j, ((a, b, c), s) in enumerate(zip(names, nodes, strict=True))
        ]
    cols = ["line_id", "seq", "stop_id", "name", "village_id", "source", "node"]
    table = pd.DataFrame(stops, columns=cols).astype({"seq": np.int64, "node": np.int64})
    bus_lines = pd.DataFrame(rows, columns=["line_id", "name", "source", "township_id"])
    for pos, col in enumerate(
        ("trips_per_day", "capacity_parcels_per_trip", "fee_yuan_per_parcel")
    ):
        bus_lines.insert(2 + pos, col, np.nan)
    return table, bus_lines
