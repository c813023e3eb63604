"""Road graph, snapping and distance matrices against hand-computed values and networkx."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely

from ruralnet.errors import NetworkError
from ruralnet.network import build_network, pair_distances, snap_points


def roads(lines, oneway=None):
    geoms = [shapely.LineString(line) for line in lines]
    return gpd.GeoDataFrame({"oneway": oneway or [False] * len(geoms)}, geometry=geoms, crs=32650)


def points(xy):
    return gpd.GeoSeries([shapely.Point(p) for p in xy], crs=32650)


def test_square_with_tail_and_island():
    """A 1 km square, a 500 m tail and a disconnected 2 km island road."""
    net = build_network(
        roads(
            [
                [(0, 0), (1000, 0), (1000, 1000), (0, 1000), (0, 0)],
                [(1000, 0), (1500, 0)],
                [(9000, 0), (11000, 0)],
            ]
        )
    )
    assert net.components == 2
    assert net.dropped_km == pytest.approx(2.0)
    assert net.length_km == pytest.approx(4.5)
    snap = snap_points(
        net,
        points([(0, 0), (1500, 0), (0, 1000)]),
        ["a", "b", "c"],
        layer="t",
        warn_m=100,
        max_m=1000,
    )
    km = pair_distances(net, snap, snap)
    assert km[0, 1] == pytest.approx(1.5)
    assert km[0, 2] == pytest.approx(1.0)
    assert km[1, 2] == pytest.approx(2.5)
    bounded = pair_distances(net, snap, snap, limit_km=1.2)
    assert np.isinf(bounded[0, 1])
    assert bounded[0, 2] == pytest.approx(1.0)


def test_oneway_counts_half_the_round_trip():
    """A one-way 1 km road A->B and a 3 km two-way detour: A->B 1 km, B->A 3 km, mean 2."""
    net = build_network(
        roads(
            [[(0, 0), (1000, 0)], [(0, 0), (0, 1000), (1000, 1000), (1000, 0)]],
            oneway=[True, False],
        )
    )
    snap = snap_points(net, points([(0, 0), (1000, 0)]), ["a", "b"], layer="t", warn_m=10, max_m=10)
    assert pair_distances(net, snap, snap)[0, 1] == pytest.approx(2.0)


def test_far_point_is_refused():
    net = build_network(roads([[(0, 0), (1000, 0)]]))
    with pytest.raises(
        NetworkError, match=r"villages: 1 point\(s\) lie more than 500 m .*\(far; nearest 5000 m\)"
    ):
        snap_points(net, points([(1000, 5000)]), ["far"], layer="villages", warn_m=100, max_m=500)


def test_matches_networkx_on_a_random_grid():
    rng = np.random.default_rng(3)
    lines = []
    graph = nx.Graph()
    for i in range(6):
        for j in range(6):
            for di, dj in ((1, 0), (0, 1)):
                if i + di < 6 and j + dj < 6 and rng.random() < 0.8:
                    a, b = (i * 700.0, j * 700.0), ((i + di) * 700.0, (j + dj) * 700.0)
                    lines.append([a, b])
                    graph.add_edge(a, b, weight=0.7)
    net = build_network(roads(lines))
    largest = max(nx.connected_components(graph), key=len)
    nodes = sorted(largest)[:8]
    snap = snap_points(net, points(nodes), [str(n) for n in nodes], layer="t", warn_m=1, max_m=1)
    km = pair_distances(net, snap, snap)
    for a in range(len(nodes)):
        for b in range(len(nodes)):
            assert km[a, b] == pytest.approx(
                nx.shortest_path_length(graph, nodes[a], nodes[b], weight="weight")
            )
