"""Capacitated location-routing against the literature: Prodhon (30) and Tuzun-Burke (36).

Run ``.venv/bin/python benchmarks/bench_lrp.py --seconds 60`` for every instance (over two
hours for both methods; ``--every k`` takes every k-th instance of each set, ``--sets``
one set). Prints instance, best-known total, ruralnet's location-routing search, its gap and
seconds, and the sequential "site first, then route" baseline, then the mean gaps per set.
Each solve runs on one thread; ``--jobs 2`` (default) runs two at a time on a 2-core machine.

Instances: ``../shared/benchmarks/lrp/`` beside the checkout, or ``$RURALNET_LRP`` (see its
README for the file format and cost conventions: Prodhon arcs ``ceil(100 x euclidean)``,
Tuzun real euclidean distances).
"""

from __future__ import annotations

import argparse
import csv
import os
from multiprocessing import Pool
from pathlib import Path

import numpy as np

from ruralnet.classic.location_routing import location_routing, location_routing_sequential

ROOT = Path(
    os.environ.get("RURALNET_LRP", Path(__file__).parents[2] / "shared" / "benchmarks" / "lrp")
)


def read_lrp(path: Path, set_name: str) -> dict:
    """Read one instance: the cost matrix (depots first) and the figures."""
    tokens = [float(t) for t in path.read_text().split()]
    pos = 0

    def take(k: int) -> np.ndarray:
        nonlocal pos
        out = np.asarray(tokens[pos : pos + k])
        pos += k
        return out

    n, m = int(take(1)[0]), int(take(1)[0])
    xy = np.vstack([take(2 * m).reshape(m, 2), take(2 * n).reshape(n, 2)])
    q_cap = take(1)[0]
    depot_cap, demands, depot_costs = take(m), take(n), take(m)
    route_cost, flag = take(1)[0], int(take(1)[0])
    dist = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    costs = np.ceil(100 * dist - 1e-9) if set_name == "prodhon" and flag == 0 else dist
    return {"costs": costs, "demands": demands, "depot_capacities": depot_cap,
            "depot_costs": depot_costs, "vehicle_capacity": q_cap, "vehicle_cost": route_cost}  # fmt: skip


def run(task: tuple) -> tuple:
    set_name, name, file, method, seconds, seed = task
    inst = read_lrp(ROOT / file, set_name)
    solver = location_routing if method == "ruralnet" else location_routing_sequential
    res = solver(
        inst["costs"],
        inst["demands"],
        depot_capacities=inst["depot_capacities"],
        depot_costs=inst["depot_costs"],
        vehicle_capacity=inst["vehicle_capacity"],
        vehicle_cost=inst["vehicle_cost"],
        time_limit_s=seconds,
        seed=seed,
    )
    return set_name, name, method, res.objective, res.seconds, len(res.open)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--sets", nargs="+", default=["prodhon", "tuzun"])
    parser.add_argument("--every", type=int, default=1)
    parser.add_argument("--instances", nargs="*", help="instance names (default: all)")
    parser.add_argument("--methods", nargs="+", default=["ruralnet", "sequential"])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with (ROOT / "bks.csv").open() as f:
        rows = [{**r, "set": r["set"].lower()} for r in csv.DictReader(f)]
        rows = [r for r in rows if r["set"] in args.sets]
    if args.instances:
        rows = [r for r in rows if r["instance"] in args.instances]
    rows = [r for s in args.sets for r in [x for x in rows if x["set"] == s][:: args.every]]
    tasks = [
        (r["set"], r["instance"], r["file"], m, args.seconds, args.seed)
        for r in rows
        for m in args.methods
    ]
    bks = {(r["set"], r["instance"]): float(r["bks"]) for r in rows}
    print(f"{len(rows)} instances, {args.seconds:g} s per solve, {args.jobs} solves at a time")
    print("| set | instance | BKS | method | total | gap % | depots | seconds |")
    print("|---|---|---:|---|---:|---:|---:|---:|")
    gaps: dict[tuple[str, str], list[float]] = {}
    with Pool(args.jobs) as pool:
        for set_name, name, method, total, secs, depots in pool.imap(run, tasks):
            best = bks[(set_name, name)]
            gap = 100 * (total - best) / best
            gaps.setdefault((set_name, method), []).append(gap)
            print(
                f"| {set_name} | {name} | {best:,.2f} | {method} | {total:,.2f} | {gap:.2f} | {depots} | {secs:.1f} |",
                flush=True,
            )
    for (set_name, method), g in sorted(gaps.items()):
        print(
            f"mean gap {set_name} {method}: {np.mean(g):.2f} % over {len(g)} instances (max {np.max(g):.2f} %)"
        )


if __name__ == "__main__":
    main()
