"""Capacitated location-routing: open depots and route vehicles from them, on a cost matrix.

:func:`location_routing` searches the open depot set by routing: every candidate set is
priced by a multi-depot vehicle routing solve (PyVRP, the van router of
:mod:`ruralnet.routes.engine`), not by a distance estimate. The steps:

1. **Start** from the set a site-first estimate likes best: a greedy + local search (the moves
   of step 2)
   over open sets, each priced as opening costs plus a radial estimate of its routes
   (customers assigned within capacity, at ``(c(j, i) + c(i, j)) q_i / Q`` each, plus a
   vehicle cost per van-load).
2. **Search by routing**: drop, add, swap and merge (two open depots for one shut one) moves
   on the open set, tried in the order the estimate ranks them, each priced by a short
   multi-depot routing solve; the first improving move is taken, until none improves or the
   search time runs out.
3. **Finish** the best set with a long routing solve.

Depot capacities: every vehicle of depot ``j`` pays ``lambda_j`` per unit of demand it
carries (PyVRP's duration cost, with the duration of an arc set to the demand of the
customer it enters); ``lambda`` rises at depots over capacity over a few solves. Routes are
then moved whole from a depot over capacity to an open depot with room, cheapest move first;
a set that still breaks a capacity is priced infinite.

:func:`location_routing_sequential` is the classic baseline: the site-first set of step 1,
routed once. Both return a :class:`LocationRoutingResult` checked by
:func:`~ruralnet.classic.lrp_verify.check_location_routing`.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ruralnet.classic.lrp_verify import check_location_routing, route_cost
from ruralnet.errors import InfeasibleError, VerificationError

__all__ = ["LocationRoutingResult", "location_routing", "location_routing_sequential"]

_PENALTY_ROUNDS = 4  # solves that raise the depot prices before routes are moved
_TOL = 1e-9


@dataclass(frozen=True)
class LocationRoutingResult:
    """A verified location-routing plan.

    ``open`` lists the open depots; ``routes`` holds ``(depot, [customers])`` with customers
    numbered from 0 (row ``m + c`` of the cost matrix); ``objective`` is opening costs plus a
    vehicle cost per route plus arc costs; ``evaluations`` counts routing solves.
    """

    objective: float
    open: tuple[int, ...]
    routes: tuple[tuple[int, tuple[int, ...]], ...]
    seconds: float
    evaluations: int = 0
    history: tuple[float, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class _Instance:
    costs: NDArray[np.float64]
    demands: NDArray[np.float64]
    capacities: NDArray[np.float64]
    depot_costs: NDArray[np.float64]
    vehicle_capacity: float
    vehicle_cost: float

    @property
    def m(self) -> int:
        return len(self.depot_costs)

    @property
    def n(self) -> int:
        return len(self.demands)


def _instance(costs: ArrayLike, demands: ArrayLike, figures: dict[str, Any]) -> _Instance:
    c = np.asarray(costs, dtype=float)
    q = np.asarray(demands, dtype=float)
    cap = np.asarray(figures["depot_capacities"], dtype=float)
    f = np.asarray(figures["depot_costs"], dtype=float)
    m, n = len(f), len(q)
    if c.shape != (m + n, m + n) or len(cap) != m:
        msg = (
            f"location_routing: costs must be ({m + n}, {m + n}) for {m} depots and {n} "
            f"customers (depots first), got {c.shape}; depot_capacities must have {m} values"
        )
        raise ValueError(msg)
    if not np.all(np.isfinite(c)) or (c < 0).any() or (q < 0).any():
        msg = "location_routing: costs and demands must be finite and non-negative"
        raise ValueError(msg)
    if q.max(initial=0.0) > figures["vehicle_capacity"]:
        msg = "location_routing: a customer's demand exceeds the vehicle capacity"
        raise InfeasibleError(msg)
    if q.sum() > cap.sum():
        msg = f"location_routing: all depots together hold {cap.sum():g} < demand {q.sum():g}"
        raise InfeasibleError(msg)
    return _Instance(
        c, q, cap, f, float(figures["vehicle_capacity"]), float(figures["vehicle_cost"])
    )


# --- the site-first estimate -----------------------------------------------------------


def _estimate(inst: _Instance, opened: tuple[int, ...]) -> float:
    """Estimate a set: opening costs plus radial routes, customers assigned within capacity."""
    m = inst.m
    if inst.capacities[list(opened)].sum() < inst.demands.sum():
        return math.inf
    radial = (inst.costs[list(opened), m:] + inst.costs[m:, list(opened)].T) * (
        inst.demands / inst.vehicle_capacity
    )
    room = inst.capacities[list(opened)].copy()
    total = float(inst.depot_costs[list(opened)].sum())
    order = np.argsort(-(np.sort(radial, axis=0)[-1] - radial.min(axis=0)), kind="stable")
    for i in order:  # largest regret first
        for k in np.argsort(radial[:, i], kind="stable"):
            if room[k] >= inst.demands[i] - 1e-9:
                room[k] -= inst.demands[i]
                total += radial[k, i]
                break
        else:
            return math.inf
    vans = math.ceil(inst.demands.sum() / inst.vehicle_capacity - 1e-9)
    return total + inst.vehicle_cost * vans


def _neighbours(opened: tuple[int, ...], m: int) -> list[tuple[int, ...]]:
    shut = [j for j in range(m) if j not in opened]
    drops = [tuple(j for j in opened if j != d) for d in opened if len(opened) > 1]
    adds = [tuple(sorted((*opened, a))) for a in shut]
    swaps = [tuple(sorted((*(j for j in opened if j != d), a))) for d in opened for a in shut]
    merges = [  # two open depots for one shut one: capacity moves to fewer, bigger depots
        tuple(sorted((*(j for j in opened if j not in pair), a)))
        for pair in itertools.combinations(opened, 2)
        for a in shut
    ]
    return drops + adds + swaps + merges


def site_first(inst: _Instance) -> tuple[int, ...]:
    """Find the open set the radial estimate likes best (greedy, then drop/add/swap descent)."""
    opened: tuple[int, ...] = ()
    by_capacity = np.argsort(-inst.capacities, kind="stable")
    while inst.capacities[list(opened)].sum() < inst.demands.sum():
        opened = tuple(sorted((*opened, int(next(j for j in by_capacity if j not in opened)))))
    best = _estimate(inst, opened)
    improved = True
    while improved:
        improved = False
        for cand in _neighbours(opened, inst.m):
            value = _estimate(inst, cand)
            if value < best - 1e-9:
                opened, best, improved = cand, value, True
                break
    return opened


# --- pricing an open set by routing ----------------------------------------------------


def _scale(inst: _Instance) -> float:
    integral = (
        np.allclose(inst.costs, np.rint(inst.costs)) and float(inst.vehicle_cost).is_integer()
    )
    return 1.0 if integral else 1000.0


def _solve(
    inst: _Instance,
    opened: tuple[int, ...],
    prices: NDArray[np.int64],
    run: dict,
    start: list | None = None,
) -> list:
    """One multi-depot routing solve (from ``start`` routes when given); routes as (depot, customers)."""
    import pyvrp
    from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria

    m, scale, k = inst.m, run["scale"], len(opened)
    nodes = [*opened, *range(m, m + inst.n)]
    locations = [pyvrp.Location(x=0, y=0) for _ in nodes]
    depots = [pyvrp.Depot(location=d) for d in range(k)]
    clients = [
        pyvrp.Client(location=k + i, delivery=[round(inst.demands[i])]) for i in range(inst.n)
    ]
    vehicles = [
        pyvrp.VehicleType(
            num_available=inst.n,
            capacity=[math.floor(inst.vehicle_capacity + 1e-9)],
            start_depot=d,
            end_depot=d,
            fixed_cost=round(inst.vehicle_cost * scale),
            unit_duration_cost=int(prices[d]),
        )
        for d in range(k)
    ]
    arc = np.rint(inst.costs[np.ix_(nodes, nodes)] * scale).astype(np.int64)
    np.fill_diagonal(arc, 0)
    entered = np.broadcast_to(
        np.concatenate([np.zeros(k), inst.demands]).astype(np.int64), arc.shape
    ).copy()  # the duration of an arc is the demand of the customer it enters
    np.fill_diagonal(entered, 0)
    data = pyvrp.ProblemData(locations, clients, depots, vehicles, [arc], [entered])
    stop = MultipleCriteria([MaxIterations(run["iterations"]), MaxRuntime(run["seconds"])])
    initial = None
    if start:
        initial = pyvrp.Solution(
            data, [pyvrp.Route(data, list(cs), opened.index(d)) for d, cs in start if cs]
        )
    result = pyvrp.solve(
        data,
        stop=stop,
        seed=run["seed"],
        display=False,
        collect_stats=False,
        initial_solution=initial,
    )
    routes = []
    for route in result.best.routes():
        depot = opened[route.vehicle_type()]
        routes.append((depot, [int(act.idx) for act in route if act.is_client()]))
    return routes


def _loads(inst: _Instance, routes: list) -> NDArray[np.float64]:
    load = np.zeros(inst.m)
    for depot, customers in routes:
        load[depot] += inst.demands[customers].sum()
    return load


def _move_routes(inst: _Instance, opened: tuple[int, ...], routes: list) -> list | None:
    """Move whole routes off depots over capacity, cheapest re-rooting first; None if stuck."""
    routes = [(d, list(c)) for d, c in routes]
    load = _loads(inst, routes)
    while True:
        over = [j for j in opened if load[j] > inst.capacities[j] + _TOL]
        if not over:
            return routes
        best = None
        for k, (depot, customers) in enumerate(routes):
            if depot not in over:
                continue
            q = inst.demands[customers].sum()
            here = route_cost(inst.costs, depot, customers, inst.m)
            for j in opened:
                if j != depot and load[j] + q <= inst.capacities[j] + _TOL:
                    delta = route_cost(inst.costs, j, customers, inst.m) - here
                    if best is None or delta < best[0]:
                        best = (delta, k, j, q)
        if best is None:
            return None
        _, k, j, q = best
        load[routes[k][0]] -= q
        load[j] += q
        routes[k] = (j, routes[k][1])


def _total(inst: _Instance, opened: tuple[int, ...], routes: list) -> float:
    arcs = sum(route_cost(inst.costs, d, c, inst.m) for d, c in routes)
    return float(inst.depot_costs[list(opened)].sum()) + inst.vehicle_cost * len(routes) + arcs


def _price(
    inst: _Instance, opened: tuple[int, ...], run: dict, rounds: int = _PENALTY_ROUNDS
) -> tuple[float, list]:
    """Route an open set within the depot capacities; its total (inf if it cannot)."""
    if inst.capacities[list(opened)].sum() < inst.demands.sum() - 1e-9:
        return math.inf, []
    prices = run["prices"][list(opened)].copy()  # learned per depot, across sets
    unit = max(1.0, 4 * run["scale"] * float(np.median(inst.costs)) / inst.vehicle_capacity)
    deadline = run.get("deadline")
    best: tuple[float, list] = (math.inf, [])
    for k in range(rounds):
        if deadline is not None:  # the finish: half the time left, all of it for the last
            left = max(0.5, deadline - time.perf_counter())
            run["seconds"] = left if k == rounds - 1 else left / 2
        routes = _solve(inst, opened, prices, run, run["found"].get(opened, (0, []))[1])
        run["evaluations"] += 1
        over = _loads(inst, routes)[list(opened)] - inst.capacities[list(opened)]
        fits = bool((over <= _TOL).all())
        moved = routes if fits else _move_routes(inst, opened, routes)
        if moved is not None:
            best = min(best, (_total(inst, opened, moved), moved), key=lambda t: t[0])
        if fits:
            run["clean"].add(opened)
            break
        prices += np.where(over > _TOL, np.ceil(unit + prices / 2), 0).astype(np.int64)
    run["prices"][list(opened)] = prices
    found = run["found"].get(opened, (math.inf, []))
    best = min(found, best, key=lambda t: t[0])  # the search's own routes count too
    run["found"][opened] = best
    return best


def _result(
    inst: _Instance, opened: tuple[int, ...], routes: list, started: float, run: dict
) -> LocationRoutingResult:
    used = tuple(sorted({d for d, _ in routes}))
    opened = used or opened
    result = LocationRoutingResult(
        objective=_total(inst, opened, routes),
        open=opened,
        routes=tuple((int(d), tuple(int(c) for c in cs)) for d, cs in routes),
        seconds=time.perf_counter() - started,
        evaluations=run["evaluations"],
        history=tuple(run["history"]),
    )
    problems = check_location_routing(
        inst.costs, inst.demands, inst.capacities, inst.depot_costs,
        inst.vehicle_capacity, inst.vehicle_cost, result,
    )  # fmt: skip
    if problems:
        msg = f"location_routing: the result failed verification: {'; '.join(problems[:5])}"
        raise VerificationError(msg)
    return result


def _runs(inst: _Instance, time_limit_s: float, seed: int) -> tuple[dict, dict]:
    scale = _scale(inst)
    short = {"iterations": max(200, 4 * inst.n), "seconds": max(0.2, time_limit_s / 40)}
    final = {"iterations": 10**9, "seconds": time_limit_s}
    for run in (short, final):
        run.update(
            scale=scale,
            seed=seed,
            evaluations=0,
            history=[],
            prices=np.zeros(inst.m, dtype=np.int64),
            found={},
            clean=set(),
        )
    return short, final


def location_routing(
    costs: ArrayLike,
    demands: ArrayLike,
    *,
    depot_capacities: ArrayLike,
    depot_costs: ArrayLike,
    vehicle_capacity: float,
    vehicle_cost: float,
    time_limit_s: float = 60.0,
    seed: int = 0,
) -> LocationRoutingResult:
    """
    Open depots and route capacitated vehicles from them at least total cost.

    Parameters
    ----------
    costs
        ``(m + n, m + n)`` arc costs: the ``m`` candidate depots first, then the ``n``
        customers.
    demands
        ``(n,)`` customer demands (whole units: each route's load is counted exactly).
    depot_capacities, depot_costs
        ``(m,)`` most demand routed from each depot and its opening cost.
    vehicle_capacity, vehicle_cost
        Load per route and fixed cost per route.
    time_limit_s
        Wall-clock budget: about half searches open sets, the rest finishes the best one
        (starting from the search's own routes for it).
        The result repeats for a seed as long as no solve stops at its time share.
    seed
        Seed of the routing searches.

    Returns
    -------
    LocationRoutingResult
        Verified by :func:`~ruralnet.classic.lrp_verify.check_location_routing`.

    Raises
    ------
    InfeasibleError
        When a customer's demand exceeds a vehicle or all depots together hold too little.
    VerificationError
        When the result fails the independent check.
    """
    started = time.perf_counter()
    inst = _instance(costs, demands, {"depot_capacities": depot_capacities,
                     "depot_costs": depot_costs, "vehicle_capacity": vehicle_capacity,
                     "vehicle_cost": vehicle_cost})  # fmt: skip
    short, final = _runs(inst, time_limit_s, seed)
    search_until = started + 0.5 * time_limit_s
    opened = site_first(inst)
    best, _ = _price(inst, opened, short)
    short["history"].append(best)
    seen = {opened}
    improved = True
    while improved and time.perf_counter() < search_until:
        improved = False
        ranked = sorted(_neighbours(opened, inst.m), key=lambda c: _estimate(inst, c))
        for cand in ranked:
            if cand in seen or time.perf_counter() >= search_until:
                continue
            seen.add(cand)
            value, _ = _price(inst, cand, short, rounds=2)
            if value < best - 1e-9:
                opened, best, improved = cand, value, True
                short["history"].append(best)
                break
    final["seconds"] = max(1.0, started + time_limit_s - time.perf_counter())
    final.update(
        evaluations=short["evaluations"],
        history=short["history"],
        prices=short["prices"],
        found=short["found"],
        clean=short["clean"],
    )
    final["deadline"] = started + time_limit_s
    rounds = 1 if opened in short["clean"] else 3  # one solve takes the time when prices hold
    value, routes = _price(inst, opened, final, rounds=rounds)
    if not math.isfinite(value):
        msg = "location_routing: no routes within the depot capacities were found"
        raise InfeasibleError(msg)
    return _result(inst, opened, routes, started, final)


def location_routing_sequential(
    costs: ArrayLike,
    demands: ArrayLike,
    *,
    depot_capacities: ArrayLike,
    depot_costs: ArrayLike,
    vehicle_capacity: float,
    vehicle_cost: float,
    time_limit_s: float = 60.0,
    seed: int = 0,
) -> LocationRoutingResult:
    """
    Site first, then route: the radial estimate's best set, routed once (the baseline).

    Parameters and results are those of :func:`location_routing`.

    Returns
    -------
    LocationRoutingResult
        Verified like :func:`location_routing`'s.
    """
    started = time.perf_counter()
    inst = _instance(costs, demands, {"depot_capacities": depot_capacities,
                     "depot_costs": depot_costs, "vehicle_capacity": vehicle_capacity,
                     "vehicle_cost": vehicle_cost})  # fmt: skip
    short, final = _runs(inst, time_limit_s, seed)
    opened = site_first(inst)
    _price(inst, opened, short)  # learns the depot prices on short solves
    final["seconds"] = max(1.0, started + time_limit_s - time.perf_counter())
    final.update(
        evaluations=short["evaluations"],
        prices=short["prices"],
        found=short["found"],
        clean=short["clean"],
    )
    final["deadline"] = started + time_limit_s
    rounds = 1 if opened in short["clean"] else 3  # one solve takes the time when prices hold
    value, routes = _price(inst, opened, final, rounds=rounds)
    if not math.isfinite(value):
        msg = "location_routing: no routes within the depot capacities were found"
        raise InfeasibleError(msg)
    return _result(inst, opened, routes, started, final)
