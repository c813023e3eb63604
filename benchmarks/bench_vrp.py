"""The van router chosen by measurement: PyVRP against OR-Tools routing on published VRP sets.

Run ``.venv/bin/python benchmarks/bench_vrp.py --set cvrp_x --seconds 30`` (and ``--set
vrpspd``, ``--set mtvrptwr``). Each engine gets the same wall-clock time per instance and one
thread; ``--jobs 2`` (the default) runs two solves side by side, one per core of a 2-core
machine. Prints one Markdown row per instance and engine (cost, best-known solution, gap,
seconds) and the mean gap per engine.

Sets (``../shared/benchmarks/vrp/`` beside the checkout, or ``$RURALNET_VRP``; see its README):

* ``cvrp_x`` -- Uchoa et al. (2017) X instances with n <= 300, rounded Euclidean costs;
* ``vrpspd`` -- Dethloff (2001) simultaneous pickup and delivery, the load exact along a
  route (best-known: LKH-3's tours);
* ``mtvrptwr`` -- multi-trip VRP with time windows and release dates (Yang 2023), vans
  reload at the depot. PyVRP reads it natively; OR-Tools routing has no reloads or release
  dates, so that set runs PyVRP only.

The OR-Tools models are the routing library's (``pywrapcp``): arc cost, a capacity dimension
(for VRPSPD two dimensions tied at the start, exact in any order, as ruralnet's former
router), ``PATH_CHEAPEST_ARC`` then guided local search to the time limit. PyVRP is
``pyvrp.solve`` with ``MaxRuntime`` and seed 0.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import re
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np

ROOT = Path(
    os.environ.get("RURALNET_VRP", Path(__file__).parents[2] / "shared" / "benchmarks" / "vrp")
)
ENGINES = ("pyvrp", "ortools")


# --- reading --------------------------------------------------------------------------


def _bks(set_name: str) -> dict[str, float]:
    if set_name == "cvrp_x":
        with (ROOT / "cvrp_x" / "bks.csv").open() as f:
            return {r["instance"]: float(r["bks"]) for r in csv.DictReader(f)}
    if set_name == "vrpspd":
        with (ROOT / "vrpspd_dethloff" / "bks_dethloff_lkh3.csv").open() as f:
            return {r["instance"]: float(r["cost_scaled_x1e4"]) for r in csv.DictReader(f)}
    with (ROOT / "mtvrptwr" / "bks_MTVRPTWR.csv").open() as f:
        return {r["instance"]: float(r["bks_x10"]) for r in csv.DictReader(f)}


def _path(set_name: str, name: str) -> Path:
    folder = {"cvrp_x": "cvrp_x", "vrpspd": "vrpspd_dethloff", "mtvrptwr": "mtvrptwr"}[set_name]
    return ROOT / folder / (name + (".vrpspd" if set_name == "vrpspd" else ".vrp"))


def read_spd(path: Path) -> dict:
    """Dethloff VRPSPD in LKH-3 format: full integer matrix, per-node pickup and delivery."""
    lines = path.read_text().splitlines()
    head = {}
    for line in lines:
        if ":" in line and not line.strip().endswith("SECTION"):
            k, v = line.split(":", 1)
            head[k.strip()] = v.strip()
    n = int(head["DIMENSION"])
    start = next(i for i, text in enumerate(lines) if text.startswith("EDGE_WEIGHT_SECTION")) + 1
    values: list[int] = []
    i = start
    while len(values) < n * n:
        values += [int(x) for x in lines[i].split()]
        i += 1
    matrix = np.array(values, dtype=np.int64).reshape(n, n)
    start = (
        next(i for i, text in enumerate(lines) if text.startswith("PICKUP_AND_DELIVERY_SECTION"))
        + 1
    )
    pickup = np.zeros(n, dtype=np.int64)
    delivery = np.zeros(n, dtype=np.int64)
    for line in lines[start : start + n]:
        cols = line.split()
        node = int(cols[0]) - 1
        pickup[node], delivery[node] = int(cols[5]), int(cols[6])
    return {"matrix": matrix, "pickup": pickup, "delivery": delivery,
            "capacity": int(head["CAPACITY"]), "vehicles": int(head.get("VEHICLES", n))}  # fmt: skip


def read_cvrp(path: Path) -> dict:
    import vrplib

    inst = vrplib.read_instance(str(path))
    coords = np.asarray(inst["node_coord"], float)
    diff = coords[:, None, :] - coords[None, :, :]
    matrix = np.rint(np.hypot(diff[..., 0], diff[..., 1])).astype(np.int64)
    demand = np.asarray(inst["demand"], dtype=np.int64)
    k = int(re.search(r"-k(\d+)", path.stem).group(1))
    return {"matrix": matrix, "pickup": np.zeros_like(demand), "delivery": demand,
            "capacity": int(inst["capacity"]), "vehicles": k}  # fmt: skip


# --- engines --------------------------------------------------------------------------


def solve_pyvrp(set_name: str, path: Path, seconds: float, seed: int) -> float:
    import pyvrp
    from pyvrp.stop import MaxRuntime

    if set_name == "mtvrptwr":
        data = pyvrp.read(str(path), round_func="dimacs")
    elif set_name == "cvrp_x":
        data = pyvrp.read(str(path), round_func="round")
    else:
        inst = read_spd(path)
        m = pyvrp.Model()
        n = len(inst["matrix"])
        locs = [m.add_location(x=0, y=0) for _ in range(n)]
        m.add_depot(locs[0])
        for i in range(1, n):
            m.add_client(
                locs[i], delivery=[int(inst["delivery"][i])], pickup=[int(inst["pickup"][i])]
            )
        m.add_vehicle_type(num_available=n - 1, capacity=[inst["capacity"]])
        for i in range(n):
            for j in range(n):
                m.add_edge(locs[i], locs[j], distance=int(inst["matrix"][i, j]))
        data = m.data()
    result = pyvrp.solve(data, stop=MaxRuntime(seconds), seed=seed, display=False)
    return float(result.cost()) if result.is_feasible() else math.inf


def solve_ortools(set_name: str, path: Path, seconds: float, seed: int) -> float:
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    del seed  # the routing search has no seed
    inst = read_cvrp(path) if set_name == "cvrp_x" else read_spd(path)
    n = len(inst["matrix"])
    # CVRP: twice the minimum fleet; VRPSPD: one vehicle per customer, the fallback start
    vehicles = min(n - 1, 2 * inst["vehicles"] + 2) if set_name == "cvrp_x" else n - 1
    manager = pywrapcp.RoutingIndexManager(n, vehicles, 0)
    routing = pywrapcp.RoutingModel(manager)
    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitMatrix(inst["matrix"].tolist()))
    cap = inst["capacity"]
    deliver, pickup = inst["delivery"], inst["pickup"]
    net = (pickup - deliver).tolist()
    if set_name == "cvrp_x":
        routing.AddDimension(
            routing.RegisterUnaryTransitVector(deliver.tolist()), 0, cap, True, "load"
        )
    else:  # exact running load: load(start) == total delivery of the route
        routing.AddDimension(routing.RegisterUnaryTransitVector(net), 0, cap, False, "load")
        routing.AddDimension(
            routing.RegisterUnaryTransitVector(deliver.tolist()), 0, cap, True, "delivered"
        )
        load, delivered = routing.GetDimensionOrDie("load"), routing.GetDimensionOrDie("delivered")
        for v in range(vehicles):
            routing.solver().Add(
                load.CumulVar(routing.Start(v)) == delivered.CumulVar(routing.End(v))
            )
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    params.time_limit.FromMilliseconds(int(seconds * 1000))
    solution = routing.SolveWithParameters(params)
    if solution is None and vehicles == n - 1:  # one route per customer is always feasible
        initial = routing.ReadAssignmentFromRoutes([[i] for i in range(1, n)], True)
        solution = routing.SolveFromAssignmentWithParameters(initial, params)
    return float(solution.ObjectiveValue()) if solution is not None else math.inf


def run(task: tuple[str, str, str, float, int]) -> tuple[str, str, float, float]:
    engine, set_name, name, seconds, seed = task
    started = time.perf_counter()
    solver = solve_pyvrp if engine == "pyvrp" else solve_ortools
    cost = solver(set_name, _path(set_name, name), seconds, seed)
    return engine, name, cost, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=("cvrp_x", "vrpspd", "mtvrptwr"), default="cvrp_x")
    parser.add_argument("--seconds", type=float, default=30.0, help="per instance and engine")
    parser.add_argument("--instances", nargs="*", help="names; default: every instance of the set")
    parser.add_argument("--every", type=int, default=1, help="take every k-th instance (a subset)")
    parser.add_argument("--engines", nargs="+", default=list(ENGINES), choices=ENGINES)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    bks = _bks(args.set)
    names = args.instances or sorted(bks, key=lambda s: (len(s), s))[:: args.every]
    engines = [e for e in args.engines if not (e == "ortools" and args.set == "mtvrptwr")]
    tasks = [(e, args.set, n, args.seconds, args.seed) for n in names for e in engines]
    print(
        f"set {args.set}, {len(names)} instances, {args.seconds:g} s each, 1 thread per solve, {args.jobs} at a time"
    )
    print("| instance | BKS | engine | cost | gap % | seconds |")
    print("|---|---:|---|---:|---:|---:|")
    gaps: dict[str, list[float]] = {e: [] for e in engines}
    with Pool(args.jobs) as pool:
        for engine, name, cost, secs in pool.imap(run, tasks):
            gap = 100 * (cost - bks[name]) / bks[name]
            gaps[engine].append(gap)
            shown = (f"{cost:,.0f}", f"{gap:.2f}") if np.isfinite(cost) else ("no solution", "—")
            print(
                f"| {name} | {bks[name]:,.0f} | {engine} | {shown[0]} | {shown[1]} | {secs:.1f} |",
                flush=True,
            )
    for engine, g in gaps.items():
        solved = [x for x in g if np.isfinite(x)]
        missed = len(g) - len(solved)
        note = f"; no solution on {missed}" if missed else ""
        if solved:
            print(
                f"mean gap {engine}: {np.mean(solved):.2f} % over {len(solved)} instances "
                f"(max {np.max(solved):.2f} %){note}"
            )
        else:
            print(f"{engine}: no solution on any instance")


if __name__ == "__main__":
    main()
