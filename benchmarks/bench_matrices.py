"""Road-distance matrices: ruralnet's bounded many-source Dijkstra against a networkx loop.

Usage::

    python benchmarks/bench_matrices.py [--repeats 5] [--sizes 2000 ...] [--seed 1]
        [--out benchmarks/results/matrices.md]

For the shipped county (``scenarios/dongchangfu.toml``) and synthetic counties of ``--sizes``
villages (``ruralnet.synth.generate_synthetic``), the three matrices of ``build_problem``:

- village -> station site within ``[service].max_access_km``,
- centre site -> station site within ``[service].max_feeder_km``,
- hub -> centre site (unbounded).

``ruralnet``: :func:`ruralnet.network.pair_distances` with ``limit_km`` on the graph of
:func:`~ruralnet.network.build_network` and the points of :func:`~ruralnet.network.snap_points`
(``scipy.sparse.csgraph.dijkstra`` over chunks of 256 sources). ``networkx``: the same graph as a
``networkx.DiGraph``; per origin, ``nx.single_source_dijkstra_path_length(G, s, cutoff=2 * limit)``
on the graph and on its reverse (the distance of a pair is half its round trip plus both snap
distances, as in ruralnet), then the same ``<= limit`` filter. ``prototype``: the proposed
change to ``pair_distances`` for large counties (:func:`sparse_distances`): it returns only the
pairs within the limit instead of dense ``origins x targets`` arrays, with a heap search per
origin that stops at the bound for short limits and csgraph over chunks of sources otherwise. Both must agree with
ruralnet's matrix within 1e-9 km, with the same pairs finite.

Rows per county: ``build_network`` + ``snap_points`` (for networkx: plus converting that graph to
a ``networkx.DiGraph``), the three matrices, their sum (the target: under a second for the
shipped county), and the bus legs of ``ruralnet.buses.build_bus_network`` (one unbounded
``pair_distances(stops, stops)`` per line) against a prototype with bounded searches
(:func:`bounded_legs`). Times are medians of ``--repeats`` runs in one process; peak MB is the
tracemalloc peak of one more call (numpy and scipy arrays are traced).
"""

from __future__ import annotations

import argparse
import datetime
import heapq
import math
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

from ruralnet.buses import BusNetwork, build_bus_network
from ruralnet.data import Inputs, load_inputs
from ruralnet.network import RoadNetwork, Snap, build_network, pair_distances, snap_points
from ruralnet.scenario import Scenario, load_scenario

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "scenarios" / "dongchangfu.toml"
TOLERANCE_KM = 1e-9
CHUNK = 256
HEAP_LIMIT_KM = 5.0


def snaps_of(scenario: Scenario, inputs: Inputs, network: RoadNetwork) -> dict[str, Snap]:
    """Snap villages, station sites, centre sites (of townships with villages) and hubs."""
    centres = inputs.centre_sites[
        inputs.centre_sites["township_id"].isin(set(inputs.villages["township_id"]))
    ]
    layers = {
        "villages": (inputs.villages, "village_id"),
        "stations": (inputs.station_sites, "site_id"),
        "centres": (centres, "site_id"),
        "hubs": (inputs.hubs, "hub_id"),
    }
    return {
        name: snap_points(
            network,
            frame.geometry,
            list(frame[column]),
            layer=name,
            warn_m=scenario.network.snap_warn_m,
            max_m=scenario.network.snap_max_m,
        )
        for name, (frame, column) in layers.items()
    }


def matrices(scenario: Scenario) -> dict[str, tuple[str, str, float]]:
    """The three matrices: name -> (origin layer, target layer, limit km)."""
    return {
        "village→station": ("villages", "stations", scenario.service.max_access_km),
        "centre→station": ("centres", "stations", scenario.service.max_feeder_km),
        "hub→centre": ("hubs", "centres", np.inf),
    }


# ---------------------------------------------------------------- networkx loop


def to_networkx(network: RoadNetwork) -> tuple[nx.DiGraph, nx.DiGraph]:
    """The road graph and its reverse as networkx graphs (edge attribute ``weight``, km)."""
    graph = nx.from_scipy_sparse_array(network.graph, create_using=nx.DiGraph)
    return graph, graph.reverse(copy=False)


def networkx_distances(
    graphs: tuple[nx.DiGraph, nx.DiGraph], origins: Snap, targets: Snap, limit_km: float
) -> np.ndarray:
    """Half round trip plus snaps, one networkx Dijkstra per origin and direction."""
    forward, backward = graphs
    cutoff = 2 * limit_km if np.isfinite(limit_km) else None
    out = np.full((len(origins.node), len(targets.node)), np.inf)
    targets_at: dict[int, list[int]] = {}
    for j, node in enumerate(targets.node):
        targets_at.setdefault(int(node), []).append(j)
    for i, source in enumerate(origins.node):
        there = nx.single_source_dijkstra_path_length(forward, int(source), cutoff=cutoff)
        back = nx.single_source_dijkstra_path_length(backward, int(source), cutoff=cutoff)
        for node, km_there in there.items():
            if node in targets_at and node in back:
                for j in targets_at[node]:
                    km = (km_there + back[node]) / 2 + origins.km[i] + targets.km[j]
                    if km <= limit_km:
                        out[i, j] = km
    return out


# ---------------------------------------------------------------- sparse prototype


def _bounded_search(
    indptr: list[int], indices: list[int], data: list[float], source: int, limit: float
) -> dict[int, float]:
    """Dijkstra from one node that visits only the nodes within ``limit`` (a binary heap)."""
    dist = {source: 0.0}
    heap = [(0.0, source)]
    while heap:
        d, u = heapq.heappop(heap)
        if d > dist[u]:
            continue
        for k in range(indptr[u], indptr[u + 1]):
            v, nd = indices[k], d + data[k]
            if nd <= limit and nd < dist.get(v, math.inf):
                dist[v] = nd
                heapq.heappush(heap, (nd, v))
    return dist


def _heap_pairs(
    network: RoadNetwork, origins: Snap, targets: Snap, limit_km: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    graph, back_graph = network.graph, sparse.csr_array(network.graph.T)
    there_csr = (graph.indptr.tolist(), graph.indices.tolist(), graph.data.tolist())
    back_csr = (back_graph.indptr.tolist(), back_graph.indices.tolist(), back_graph.data.tolist())
    targets_at: dict[int, list[int]] = {}
    for j, node in enumerate(targets.node.tolist()):
        targets_at.setdefault(node, []).append(j)
    target_km, origin_km = targets.km.tolist(), origins.km.tolist()
    reached: dict[int, list[tuple[float, int]]] = {}
    rows, cols, kms = [], [], []
    for i, source in enumerate(origins.node.tolist()):
        if source not in reached:
            there = _bounded_search(*there_csr, source, 2 * limit_km)
            back = _bounded_search(*back_csr, source, 2 * limit_km)
            reached[source] = [
                ((there[n] + back[n]) / 2, n) for n in there if n in back and n in targets_at
            ]
        for half, node in reached[source]:
            for j in targets_at[node]:
                km = half + origin_km[i] + target_km[j]
                if km <= limit_km:
                    rows.append(i)
                    cols.append(j)
                    kms.append(km)
    return (
        np.array(rows, dtype=np.int64),
        np.array(cols, dtype=np.int64),
        np.array(kms, dtype=float),
    )


def sparse_distances(
    network: RoadNetwork, origins: Snap, targets: Snap, limit_km: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """
    The pairs within ``limit_km`` only: ``(origin index, target index, km)``.

    Short bounds (``limit_km <= HEAP_LIMIT_KM``: the village access, the bus transfer) run one
    heap search per origin node that visits only the nodes within the bound; csgraph would
    fill a row over every node of the graph per source. Longer bounds run csgraph over chunks of
    source nodes with the same bound as ``pair_distances`` and keep only the finite pairs, so
    memory is ``chunk x targets`` instead of ``origins x targets``.
    """
    if limit_km <= HEAP_LIMIT_KM:
        return _heap_pairs(network, origins, targets, limit_km)
    limit = 2 * limit_km if np.isfinite(limit_km) else np.inf
    back_graph = sparse.csr_array(network.graph.T)
    uniq, inverse = np.unique(origins.node, return_inverse=True)
    rows, cols, kms = [], [], []
    for first in range(0, len(uniq), CHUNK):
        block = uniq[first : first + CHUNK]
        there = csgraph.dijkstra(network.graph, directed=True, indices=block, limit=limit)
        back = csgraph.dijkstra(back_graph, directed=True, indices=block, limit=limit)
        node_km = (there[:, targets.node] + back[:, targets.node]) / 2 + targets.km[None, :]
        members = np.flatnonzero((inverse >= first) & (inverse < first + len(block)))
        km = node_km[inverse[members] - first] + origins.km[members, None]
        r, c = np.nonzero(km <= limit_km)
        rows.append(members[r])
        cols.append(c)
        kms.append(km[r, c])
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(kms)


def bounded_legs(network: RoadNetwork, buses: BusNetwork) -> tuple[np.ndarray, ...]:
    """
    Road km of every bus leg, as ``build_bus_network`` measures them, with bounded searches.

    ``build_bus_network`` runs ``pair_distances(stops, stops)`` per line without a limit: two
    searches over the whole county per stop. Here each search from a leg's first stop stops at
    ``2 * (4 x straight-line km + 2)`` (the bound of a round trip; chunks of sources sorted by
    bound share the chunk's largest bound), and legs not reached within it are searched again
    without a limit, so the result is exact.
    """
    snap, line = buses.stop_snap, buses.stop_line
    first = np.flatnonzero(line[:-1] == line[1:])  # leg k: stop first[k] -> first[k] + 1
    a, b = snap.node[first], snap.node[first + 1]
    straight = np.hypot(*(network.xy[a] - network.xy[b]).T) / 1000.0
    bound = 2 * (4 * straight + 2.0)
    back_graph = sparse.csr_array(network.graph.T)
    km = np.full(len(first), np.inf)
    order = np.argsort(bound)
    for start in range(0, len(order), CHUNK):
        legs = order[start : start + CHUNK]
        limit = float(bound[legs].max())
        there = csgraph.dijkstra(network.graph, directed=True, indices=a[legs], limit=limit)
        back = csgraph.dijkstra(back_graph, directed=True, indices=a[legs], limit=limit)
        rows = np.arange(len(legs))
        km[legs] = (there[rows, b[legs]] + back[rows, b[legs]]) / 2
    missed = np.flatnonzero(~np.isfinite(km))
    if len(missed):
        there = csgraph.dijkstra(network.graph, directed=True, indices=a[missed])
        back = csgraph.dijkstra(back_graph, directed=True, indices=a[missed])
        rows = np.arange(len(missed))
        km[missed] = (there[rows, b[missed]] + back[rows, b[missed]]) / 2
    km = km + snap.km[first] + snap.km[first + 1]
    return tuple(km[line[first] == i] for i in range(len(buses.lines.ids)))


def dense_of(
    pairs: tuple[np.ndarray, np.ndarray, np.ndarray], shape: tuple[int, int]
) -> np.ndarray:
    """A dense matrix (``inf`` elsewhere) from ``(rows, cols, km)``, for the comparison."""
    out = np.full(shape, np.inf)
    out[pairs[0], pairs[1]] = pairs[2]
    return out


# ---------------------------------------------------------------- timing


def timed(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """Median seconds over ``repeats`` calls, and the last result."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def peak_mb(fn: Callable[[], Any]) -> float:
    """Peak of memory allocated through Python and numpy during one call, MB (tracemalloc)."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def check_same(name: str, ours: np.ndarray, other: np.ndarray, label: str) -> float:
    """Assert equal finiteness and values within the tolerance; return the largest difference."""
    same_pairs = np.array_equal(np.isfinite(ours), np.isfinite(other))
    assert same_pairs, f"{name}: {label} finds other pairs within the limit"
    finite = np.isfinite(ours)
    diff = float(np.max(np.abs(ours[finite] - other[finite]), initial=0.0))
    assert diff <= TOLERANCE_KM, f"{name}: {label} differs by {diff} km"
    return diff


def _row(label: str, matrix: str, size: str, **values: Any) -> dict[str, Any]:
    row = {"county": label, "matrix": matrix, "size": size, "pairs": "", "diff": ""}
    row.update({"networkx": None, "ours_mb": None, "sparse_mb": None})
    row.update(values)
    return row


def bench_county(label: str, scenario_path: Path, repeats: int, *, nx_repeats: int) -> list[dict]:
    """Time the graph and the three matrices three ways, then the bus legs; check all agree."""
    scenario = load_scenario(scenario_path)
    inputs = load_inputs(scenario.dataset_path)

    def graph_and_snaps() -> tuple[RoadNetwork, dict[str, Snap]]:
        network = build_network(inputs.roads)
        return network, snaps_of(scenario, inputs, network)

    graph_s, (network, snaps) = timed(graph_and_snaps, repeats)
    nx_graph_s, graphs = timed(lambda: to_networkx(network), nx_repeats)
    size = f"{network.xy.shape[0]:,} nodes, {network.graph.nnz:,} arcs"
    rows = [
        _row(
            label,
            "road graph + snapping",
            size,
            ruralnet=graph_s,
            sparse=graph_s,
            networkx=graph_s + nx_graph_s,
        )
    ]
    for name, (origin, target, limit) in matrices(scenario).items():
        o, t = snaps[origin], snaps[target]

        def ours(o: Snap = o, t: Snap = t, limit: float = limit) -> np.ndarray:
            return pair_distances(network, o, t, limit_km=limit)

        def prototype(o: Snap = o, t: Snap = t, limit: float = limit) -> tuple[np.ndarray, ...]:
            return sparse_distances(network, o, t, limit)

        ours_s, dense = timed(ours, repeats)
        theirs_s, theirs = timed(
            lambda o=o, t=t, limit=limit: networkx_distances(graphs, o, t, limit), nx_repeats
        )
        sparse_s, pairs = timed(prototype, repeats)
        diff = max(
            check_same(name, dense, theirs, "networkx"),
            check_same(name, dense, dense_of(pairs, dense.shape), "sparse"),
        )
        rows.append(
            _row(
                label,
                f"{name} ≤ {limit:g} km" if np.isfinite(limit) else name,
                f"{len(o.node):,} × {len(t.node):,}",
                pairs=f"{int(np.isfinite(dense).sum()):,}",
                ruralnet=ours_s,
                networkx=theirs_s,
                sparse=sparse_s,
                diff=f"{diff:.1e}",
                ours_mb=peak_mb(ours),
                sparse_mb=peak_mb(prototype),
            )
        )
    total = {key: sum(r[key] for r in rows) for key in ("ruralnet", "networkx", "sparse")}
    rows.append(_row(label, "**graph + the three matrices**", "", **total))
    if inputs.bus_stops is not None and len(inputs.bus_stops):

        def legs() -> BusNetwork:
            return build_bus_network(scenario, inputs.bus_stops, inputs.bus_lines, network)

        legs_s, buses = timed(legs, repeats)
        bounded_s, bounded = timed(lambda: bounded_legs(network, buses), repeats)
        ours_legs, other_legs = np.concatenate(buses.leg_km), np.concatenate(bounded)
        diff = check_same("bus legs", ours_legs, other_legs, "bounded")
        rows.append(
            _row(
                label,
                "bus legs (build_bus_network)",
                f"{len(buses.lines.ids):,} lines, {len(ours_legs):,} legs",
                ruralnet=legs_s,
                sparse=bounded_s,
                diff=f"{diff:.1e}",
                ours_mb=peak_mb(legs),
                sparse_mb=peak_mb(lambda: bounded_legs(network, buses)),
            )
        )
    return rows


def _s(value: float | None, digits: int = 4) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def markdown(rows: list[dict]) -> str:
    """The results as a Markdown table."""
    lines = [
        "| county | matrix | size | pairs kept | ruralnet s | networkx s | networkx / ruralnet "
        "| prototype s | ruralnet peak MB | prototype peak MB | max diff km |",
        "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in rows:
        nx_s = r["networkx"]
        ratio = f"{nx_s / r['ruralnet']:,.1f}×" if nx_s is not None and r["ruralnet"] else ""
        lines.append(
            f"| {r['county']} | {r['matrix']} | {r['size']} | {r['pairs']} "
            f"| {_s(r['ruralnet'])} | {_s(nx_s)} | {ratio} | {_s(r['sparse'])} "
            f"| {_s(r['ours_mb'], 1)} | {_s(r['sparse_mb'], 1)} | {r['diff']} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--nx-repeats", type=int, help="repeats of the networkx loop (default: --repeats)"
    )
    parser.add_argument("--sizes", type=int, nargs="*", default=[2000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/matrices.md")
    args = parser.parse_args()
    nx_repeats = args.nx_repeats or args.repeats
    started = datetime.datetime.now().astimezone()
    load_before = os.getloadavg()
    rows = bench_county("Dongchangfu (228)", SHIPPED, args.repeats, nx_repeats=nx_repeats)
    print(markdown(rows), flush=True)
    with tempfile.TemporaryDirectory(prefix="ruralnet-matrices-") as tmp:
        from ruralnet.synth import generate_synthetic, write_dataset

        for n in args.sizes:
            write_dataset(generate_synthetic(n, seed=args.seed), Path(tmp) / f"synthetic_{n}")
            toml = Path(tmp) / f"synthetic_{n}.toml"
            toml.write_text(
                f'[scenario]\nextends = "{SHIPPED.as_posix()}"\nname = "synthetic {n}"\n'
                f'dataset = "synthetic_{n}"\n',
                encoding="utf-8",
            )
            rows += bench_county(f"synthetic ({n:,})", toml, args.repeats, nx_repeats=nx_repeats)
            print(markdown(rows[-7:]), flush=True)
    load = os.getloadavg()
    text = markdown(rows)
    print(text)
    command = "python benchmarks/bench_matrices.py " + " ".join(sys.argv[1:])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        f"# Cost-matrix benchmark\n\n`{command.strip()}`, started {started:%Y-%m-%d %H:%M %Z}, "
        f"{os.cpu_count()} cores; load average {load_before[0]:.2f} at the start and "
        f"{load[0]:.2f} at the end (1 min).\n\n"
        f"Medians of {args.repeats} runs (networkx: {nx_repeats}) in one process. Distances are "
        f"checked equal within {TOLERANCE_KM:g} km (same pairs finite). The `pairs kept` are "
        "the finite entries.\n\n" + text,
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
