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
distances, as in ruralnet), then the same ``<= limit`` filter. ``sparse``: a prototype that
keeps only the pairs within the limit per chunk of sources instead of filling dense
``origins x targets`` arrays (the proposed change to ``pair_distances`` for large counties).
Both alternatives must agree with ruralnet's matrix within 1e-9 km, and the same pairs must be
finite. Times are medians of ``--repeats`` runs in the same process. The first row of a county
is ``build_network`` + ``snap_points`` (for networkx: plus the conversion of that graph to a
``networkx.DiGraph``); the last row adds up the county's rows.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

from ruralnet.data import Inputs, load_inputs
from ruralnet.network import RoadNetwork, Snap, build_network, pair_distances, snap_points
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
    for i, source in enumerate(origins.node):
        there = nx.single_source_dijkstra_path_length(forward, int(source), cutoff=cutoff)
        back = nx.single_source_dijkstra_path_length(backward, int(source), cutoff=cutoff)
        for j, target in enumerate(targets.node):
            t = int(target)
            if t in there and t in back:
                km = (there[t] + back[t]) / 2 + origins.km[i] + targets.km[j]
                if km <= limit_km:
                    out[i, j] = km
    return out


# ---------------------------------------------------------------- sparse prototype


def sparse_distances(
    network: RoadNetwork, origins: Snap, targets: Snap, limit_km: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """
    The pairs within ``limit_km`` only: ``(origin index, target index, km)``.

    Per chunk of unique source nodes, both directions are searched with the same bound as
    ``pair_distances`` and only the finite pairs are kept, so memory is
    ``chunk x targets`` instead of ``origins x targets``.
    """
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


def check_same(name: str, ours: np.ndarray, other: np.ndarray, label: str) -> float:
    """Assert equal finiteness and values within the tolerance; return the largest difference."""
    same_pairs = np.array_equal(np.isfinite(ours), np.isfinite(other))
    assert same_pairs, f"{name}: {label} finds other pairs within the limit"
    finite = np.isfinite(ours)
    diff = float(np.max(np.abs(ours[finite] - other[finite]), initial=0.0))
    assert diff <= TOLERANCE_KM, f"{name}: {label} differs by {diff} km"
    return diff


def bench_county(label: str, scenario_path: Path, repeats: int, *, nx_repeats: int) -> list[dict]:
    """Time the graph, the three matrices three ways, and check the distances agree."""
    scenario = load_scenario(scenario_path)
    inputs = load_inputs(scenario.dataset_path)

    def graph_and_snaps() -> tuple[RoadNetwork, dict[str, Snap]]:
        network = build_network(inputs.roads)
        return network, snaps_of(scenario, inputs, network)

    graph_s, (network, snaps) = timed(graph_and_snaps, repeats)
    nx_graph_s, graphs = timed(lambda: to_networkx(network), nx_repeats)
    rows = [
        {
            "county": label,
            "matrix": "road graph + snapping",
            "size": f"{network.xy.shape[0]:,} nodes, {network.graph.nnz:,} arcs",
            "pairs": "",
            "ruralnet": graph_s,
            "networkx": graph_s + nx_graph_s,
            "sparse": graph_s,
            "diff": "",
        }
    ]
    for name, (origin, target, limit) in matrices(scenario).items():
        o, t = snaps[origin], snaps[target]
        ours_s, ours = timed(
            lambda o=o, t=t, limit=limit: pair_distances(network, o, t, limit_km=limit), repeats
        )
        theirs_s, theirs = timed(
            lambda o=o, t=t, limit=limit: networkx_distances(graphs, o, t, limit), nx_repeats
        )
        sparse_s, pairs = timed(
            lambda o=o, t=t, limit=limit: sparse_distances(network, o, t, limit), repeats
        )
        diff = max(
            check_same(name, ours, theirs, "networkx"),
            check_same(name, ours, dense_of(pairs, ours.shape), "sparse"),
        )
        rows.append(
            {
                "county": label,
                "matrix": f"{name} ≤ {limit:g} km" if np.isfinite(limit) else name,
                "size": f"{len(o.node):,} × {len(t.node):,}",
                "pairs": f"{int(np.isfinite(ours).sum()):,}",
                "ruralnet": ours_s,
                "networkx": theirs_s,
                "sparse": sparse_s,
                "diff": f"{diff:.1e}",
            }
        )
    total = {key: sum(r[key] for r in rows) for key in ("ruralnet", "networkx", "sparse")}
    rows.append(
        {
            "county": label,
            "matrix": "**all three + graph**",
            "size": "",
            "pairs": "",
            **total,
            "diff": "",
        }
    )
    return rows


def markdown(rows: list[dict]) -> str:
    """The results as a Markdown table."""
    lines = [
        "| county | matrix | origins × targets | pairs kept | ruralnet s | networkx s | "
        "networkx / ruralnet | sparse prototype s | max diff km |",
        "|---|---|---|--:|--:|--:|--:|--:|--:|",
    ]
    for r in rows:
        ratio = r["networkx"] / r["ruralnet"] if r["ruralnet"] else float("nan")
        lines.append(
            f"| {r['county']} | {r['matrix']} | {r['size']} | {r['pairs']} | {r['ruralnet']:.4f} "
            f"| {r['networkx']:.4f} | {ratio:,.1f}× | {r['sparse']:.4f} | {r['diff']} |"
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
            print(markdown(rows[-5:]), flush=True)
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
