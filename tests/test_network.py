"""Road graph, snapping and distance matrices against hand-computed values and networkx."""

from __future__ import annotations

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely

from ruralnet import network
from ruralnet.errors import NetworkError
from ruralnet.network import (
    build_network,
    near_pairs,
    pair_distances,
    paired_distances,
    snap_points,
)


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


def _oneway_grid(size: int, step: float, seed: int):
    """A size x size grid of roads, some one-way, some missing; and the same as networkx."""
    rng = np.random.default_rng(seed)
    lines, oneway, graph = [], [], nx.DiGraph()
    for i in range(size):
        for j in range(size):
            for di, dj in ((1, 0), (0, 1)):
                if i + di < size and j + dj < size and rng.random() < 0.85:
                    a, b = (i * step, j * step), ((i + di) * step, (j + dj) * step)
                    one = bool(rng.random() < 0.2)
                    lines.append([a, b])
                    oneway.append(one)
                    graph.add_edge(a, b, weight=step / 1000)
                    if not one:
                        graph.add_edge(b, a, weight=step / 1000)
    return build_network(roads(lines, oneway)), graph


def _reference_km(graph, xy, origins, targets):
    """Half the networkx round trip plus both snap distances; inf when either way is missing."""
    reverse = graph.reverse()
    out = np.full((len(origins.node), len(targets.node)), np.inf)
    for i, node in enumerate(origins.node):
        there = nx.single_source_dijkstra_path_length(graph, tuple(xy[node]), weight="weight")
        back = nx.single_source_dijkstra_path_length(reverse, tuple(xy[node]), weight="weight")
        for j, target in enumerate(targets.node):
            key = tuple(xy[target])
            if key in there and key in back:
                out[i, j] = (there[key] + back[key]) / 2 + origins.km[i] + targets.km[j]
    return out


def test_near_pairs_match_networkx_on_a_large_one_way_grid(monkeypatch):
    """Short bounds search local subgraphs per group of origins; the pairs must not change."""
    net, graph = _oneway_grid(60, 500.0, seed=7)
    rng = np.random.default_rng(8)
    snapped = [
        snap_points(
            net,
            points(rng.uniform(0, 59 * 500.0, size=(n, 2))),
            list(map(str, range(n))),
            layer="t",
            warn_m=1e4,
            max_m=1e4,
        )
        for n in (100, 150)
    ]
    origins, targets = snapped
    reference = _reference_km(graph, net.xy, origins, targets)
    searched = []
    dijkstra = network.csgraph.dijkstra

    def spy(graph, **kwargs):
        searched.append(graph.shape[0])
        return dijkstra(graph, **kwargs)

    monkeypatch.setattr(network.csgraph, "dijkstra", spy)
    for limit in (0.8, 3.0, np.inf):
        searched.clear()
        pairs = near_pairs(net, origins, targets, limit_km=limit)
        assert np.all(np.diff(pairs.origin * 150 + pairs.target) > 0)  # sorted, no repeats
        if limit == 0.8:
            assert max(searched) < len(net.xy) / 2  # local subgraphs were searched
        expected = np.where(reference <= limit, reference, np.inf)
        got = pairs.dense((100, 150))
        assert np.array_equal(np.isfinite(got), np.isfinite(expected)), limit
        finite = np.isfinite(expected)
        assert finite.sum() > 0
        np.testing.assert_allclose(got[finite], expected[finite], rtol=0, atol=1e-9)


def test_paired_distances_fall_back_beyond_the_first_bound():
    """A wall with one far gap: the road detour is longer than the first bound searched."""
    rungs = [[(-100, 19000), (0, 20000)], [(100, 19000), (0, 20000)]]
    sides = [[(x, y), (x, y + 1000)] for x in (-100, 100) for y in range(0, 19000, 1000)]
    net = build_network(roads(rungs + sides))
    snap_a = snap_points(
        net, points([(-100, 0), (100, 0)]), ["a", "b"], layer="o", warn_m=1, max_m=1
    )
    snap_b = snap_points(
        net, points([(100, 0), (100, 3000)]), ["c", "d"], layer="t", warn_m=1, max_m=1
    )
    km = paired_distances(net, snap_a, snap_b)
    detour = 2 * (19 + np.hypot(0.1, 1.0))
    assert km[0] == pytest.approx(detour)  # 200 m apart in a straight line, ~40 km by road
    assert km[1] == pytest.approx(3.0)
    dense = pair_distances(net, snap_a, snap_b)
    np.testing.assert_allclose(km, np.diag(dense), rtol=0, atol=1e-9)
