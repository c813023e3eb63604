"""Road-distance matrices: ruralnet's bounded many-source Dijkstra against a networkx loop.

Usage::

    python benchmarks/bench_matrices.py [--repeats 5] [--sizes 2000 ...] [--seed 1]
        [--out benchmarks/results/matrices.md]

For the shipped county (``scenarios/dongchangfu.toml``) and synthetic counties of ``--sizes``
villages (``ruralnet.synth.generate_synthetic``), the three matrices of ``build_problem``:

- village -> station site within ``[service].max_access_km``,
- centre site -> station site within ``[service].max_feeder_km``,
- hub -> centre site (unbounded).

``ruralnet``: :func:`ruralnet.network.near_pairs` with ``limit_km`` on the graph of
:func:`~ruralnet.network.build_network` and the points of :func:`~ruralnet.network.snap_points`:
sources grouped by grid cell, each group searched by ``scipy.sparse.csgraph.dijkstra`` on the
subgraph within ``2 x limit`` of it, only the pairs within the limit kept. ``networkx``: the same
graph as a ``networkx.DiGraph``; per origin, ``nx.single_source_dijkstra_path_length(G, s,
cutoff=2 * limit)`` on the graph and on its reverse (the distance of a pair is half its round
trip plus both snap distances, as in ruralnet), then the same ``<= limit`` filter. ``dense
csgraph``: the method ruralnet used before, kept here as a baseline (:func:`dense_csgraph`):
``csgraph.dijkstra`` on the whole graph over chunks of 256 sources, into a dense ``origins x
targets`` array. All three must agree within 1e-9 km, with the same pairs finite.

Rows per county: ``build_network`` + ``snap_points`` (for networkx: plus converting that graph to
a ``networkx.DiGraph``), the three matrices, their sum (the target: under a second for the
shipped county), and the bus legs of ``ruralnet.buses.build_bus_network``
(:func:`~ruralnet.network.paired_distances`: bounded searches, exact fallback) against the
former unbounded dense search per line (:func:`dense_legs`). Times are medians of ``--repeats`` runs in one process; peak MB is the
tracemalloc peak of one more call (numpy and scipy arrays are traced).
"""

from __future__ import annotations

import argparse
import datetime
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

from ruralnet._files import write_text_atomic
from ruralnet.buses import BusNetwork, build_bus_network
from ruralnet.data import Inputs, load_inputs
from ruralnet.network import RoadNetwork, Snap, build_network, near_pairs, snap_points
from ruralnet.scenario import Scenario, load_scenario

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "scenarios" / "dongchangfu.toml"
TOLERANCE_KM = 1e-9
CHUNK = 256


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


# ---------------------------------------------------------------- dense baseline


def _one_way(graph: sparse.csr_array, sources: np.ndarray, targets: np.ndarray, limit: float):
    out = np.full((len(sources), len(targets)), np.inf)
    uniq, inverse = np.unique(sources, return_inverse=True)
    for start in range(0, len(uniq), CHUNK):
        block = uniq[start : start + CHUNK]
        dist = csgraph.dijkstra(graph, directed=True, indices=block, limit=limit)
        rows = np.flatnonzero((inverse >= start) & (inverse < start + len(block)))
        out[rows] = dist[inverse[rows] - start][:, targets]
    return out


def dense_csgraph(network: RoadNetwork, origins: Snap, targets: Snap, limit_km: float):
    """The former ``pair_distances``: whole-graph csgraph rows into a dense array."""
    limit = 2 * limit_km if np.isfinite(limit_km) else np.inf
    there = _one_way(network.graph, origins.node, targets.node, limit)
    back = _one_way(sparse.csr_array(network.graph.T), origins.node, targets.node, limit)
    km = (there + back) / 2 + origins.km[:, None] + targets.km[None, :]
    km[km > limit_km] = np.inf
    return km


def dense_legs(network: RoadNetwork, buses: BusNetwork) -> tuple[np.ndarray, ...]:
    """The former bus-leg measure: an unbounded dense search among each line's stops."""
    out = []
    for i in range(len(buses.lines.ids)):
        rows = np.flatnonzero(buses.stop_line == i)
        here = Snap(buses.stop_snap.node[rows], buses.stop_snap.km[rows])
        km = dense_csgraph(network, here, here, np.inf)
        out.append(np.array([km[k, k + 1] for k in range(len(rows) - 1)]))
    return tuple(out)


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
    row.update({"networkx": None, "ours_mb": None, "dense_mb": None})
    row.update(values)
    return row


def bench_county(
    label: str, scenario_path: Path, repeats: int, *, nx_repeats: int, dense_repeats: int
) -> list[dict]:
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
            dense=graph_s,
            networkx=graph_s + nx_graph_s,
        )
    ]
    for name, (origin, target, limit) in matrices(scenario).items():
        o, t = snaps[origin], snaps[target]

        def ours(o: Snap = o, t: Snap = t, limit: float = limit) -> np.ndarray:
            return near_pairs(network, o, t, limit_km=limit)

        def dense(o: Snap = o, t: Snap = t, limit: float = limit) -> np.ndarray:
            return dense_csgraph(network, o, t, limit)

        ours_s, pairs = timed(ours, repeats)
        mine = pairs.dense((len(o.node), len(t.node)))
        theirs_s, theirs = timed(
            lambda o=o, t=t, limit=limit: networkx_distances(graphs, o, t, limit), nx_repeats
        )
        dense_s, before = timed(dense, dense_repeats)
        diff = max(
            check_same(name, mine, theirs, "networkx"),
            check_same(name, mine, before, "dense csgraph"),
        )
        rows.append(
            _row(
                label,
                f"{name} ≤ {limit:g} km" if np.isfinite(limit) else name,
                f"{len(o.node):,} × {len(t.node):,}",
                pairs=f"{len(pairs.km):,}",
                ruralnet=ours_s,
                networkx=theirs_s,
                dense=dense_s,
                diff=f"{diff:.1e}",
                ours_mb=peak_mb(ours),
                dense_mb=peak_mb(dense),
            )
        )
    total = {key: sum(r[key] for r in rows) for key in ("ruralnet", "networkx", "dense")}
    rows.append(_row(label, "**graph + the three matrices**", "", **total))
    if inputs.bus_stops is not None and len(inputs.bus_stops):

        def legs() -> BusNetwork:
            return build_bus_network(scenario, inputs.bus_stops, inputs.bus_lines, network)

        legs_s, buses = timed(legs, repeats)
        dense_s, before = timed(lambda: dense_legs(network, buses), dense_repeats)
        ours_legs, other_legs = np.concatenate(buses.leg_km), np.concatenate(before)
        diff = check_same("bus legs", ours_legs, other_legs, "dense csgraph")
        rows.append(
            _row(
                label,
                "bus legs (build_bus_network)",
                f"{len(buses.lines.ids):,} lines, {len(ours_legs):,} legs",
                ruralnet=legs_s,
                dense=dense_s,
                diff=f"{diff:.1e}",
                ours_mb=peak_mb(legs),
                dense_mb=peak_mb(lambda: dense_legs(network, buses)),
            )
        )
    return rows


def _s(value: float | None, digits: int = 4) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def markdown(rows: list[dict]) -> str:
    """The results as a Markdown table."""
    lines = [
        "| county | matrix | size | pairs kept | ruralnet s | networkx s | networkx / ruralnet "
        "| dense csgraph s | dense / ruralnet | ruralnet peak MB | dense peak MB | max diff km |",
        "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in rows:
        nx_s = r["networkx"]
        ratio = f"{nx_s / r['ruralnet']:,.1f}×" if nx_s is not None and r["ruralnet"] else ""
        dense_ratio = f"{r['dense'] / r['ruralnet']:,.1f}×" if r["ruralnet"] else ""
        lines.append(
            f"| {r['county']} | {r['matrix']} | {r['size']} | {r['pairs']} "
            f"| {_s(r['ruralnet'])} | {_s(nx_s)} | {ratio} | {_s(r['dense'])} | {dense_ratio} "
            f"| {_s(r['ours_mb'], 1)} | {_s(r['dense_mb'], 1)} | {r['diff']} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--nx-repeats", type=int, help="repeats of the networkx loop (default: --repeats)"
    )
    parser.add_argument(
        "--dense-repeats", type=int, help="repeats of the dense baseline (default: --repeats)"
    )
    parser.add_argument("--sizes", type=int, nargs="*", default=[2000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/matrices.md")
    args = parser.parse_args()
    nx_repeats = args.nx_repeats or args.repeats
    dense_repeats = args.dense_repeats or args.repeats
    started = datetime.datetime.now().astimezone()
    load_before = os.getloadavg()
    counts = {"nx_repeats": nx_repeats, "dense_repeats": dense_repeats}
    rows = bench_county("Dongchangfu (228)", SHIPPED, args.repeats, **counts)
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
            rows += bench_county(f"synthetic ({n:,})", toml, args.repeats, **counts)
            print(markdown(rows[-7:]), flush=True)
    load = os.getloadavg()
    text = markdown(rows)
    print(text)
    command = "python benchmarks/bench_matrices.py " + " ".join(sys.argv[1:])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(
        args.out,
        f"# Cost-matrix benchmark\n\n`{command.strip()}`, started {started:%Y-%m-%d %H:%M %Z}, "
        f"{os.cpu_count()} cores; load average {load_before[0]:.2f} at the start and "
        f"{load[0]:.2f} at the end (1 min).\n\n"
        f"Medians of {args.repeats} runs (networkx: {nx_repeats}, dense: {dense_repeats}) in one "
        "process. Distances are "
        f"checked equal within {TOLERANCE_KM:g} km (same pairs finite). The `pairs kept` are "
        "the finite entries.\n\n" + text,
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
