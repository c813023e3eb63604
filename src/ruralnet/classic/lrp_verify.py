"""Independent check of a capacitated location-routing result (numpy only, no solver).

Recomputes the total from the cost matrix: opening costs of the open depots, the vehicle
cost per route, and every arc of every route (depot -> customers -> the same depot); and
checks that every customer is visited exactly once, every route's load fits the vehicle,
every depot's routed demand fits its capacity, and routes start only at open depots.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["check_location_routing", "route_cost"]

TOL = 1e-6


def route_cost(costs: NDArray[np.float64], depot: int, customers: list[int], m: int) -> float:
    """Arc cost of one route from ``depot`` through ``customers`` (0-based) and back."""
    nodes = [depot, *(m + c for c in customers), depot]
    return float(sum(costs[a, b] for a, b in itertools.pairwise(nodes)))


def check_location_routing(
    costs: NDArray[np.float64],
    demands: NDArray[np.float64],
    depot_capacities: NDArray[np.float64],
    depot_costs: NDArray[np.float64],
    vehicle_capacity: float,
    vehicle_cost: float,
    result: Any,
) -> list[str]:
    """
    List every way a location-routing result breaks the instance's rules or misstates its cost.

    Parameters
    ----------
    costs
        ``(m + n, m + n)`` arc costs, depots first.
    demands
        ``(n,)`` customer demands.
    depot_capacities, depot_costs
        ``(m,)`` depot capacities and opening costs.
    vehicle_capacity, vehicle_cost
        Load per route and fixed cost per route.
    result
        Has ``objective``, ``open`` (depot indices) and ``routes`` (``(depot, [customers])``
        with customers numbered from 0).

    Returns
    -------
    list of str
        Empty when the result is sound.
    """
    m, n = len(depot_costs), len(demands)
    out: list[str] = []
    opened = {int(j) for j in result.open}
    if any(not 0 <= j < m for j in opened):
        out.append(f"open depots out of range: {sorted(opened)}")
    seen = np.zeros(n, dtype=np.int64)
    load = np.zeros(m)
    total = float(np.sum(depot_costs[[j for j in opened if 0 <= j < m]]))
    for k, (depot, customers) in enumerate(result.routes):
        if depot not in opened:
            out.append(f"route {k} starts at depot {depot}, which is not open")
            continue
        if not customers or any(not 0 <= c < n for c in customers):
            out.append(f"route {k}: no customers or a customer out of range")
            continue
        idx = np.asarray(customers, dtype=np.int64)
        np.add.at(seen, idx, 1)
        q = float(np.sum(demands[idx]))
        load[depot] += q
        if q > vehicle_capacity * (1 + TOL) + TOL:
            out.append(f"route {k}: load {q:g} > vehicle capacity {vehicle_capacity:g}")
        total += vehicle_cost + route_cost(costs, depot, list(customers), m)
    for c in np.flatnonzero(seen != 1):
        out.append(f"customer {c} visited {seen[c]} times")
    for j in np.flatnonzero(load > depot_capacities * (1 + TOL) + TOL):
        out.append(f"depot {j}: routed demand {load[j]:g} > capacity {depot_capacities[j]:g}")
    if abs(total - float(result.objective)) > 1e-6 * max(1.0, abs(total)) + 1e-6:
        out.append(f"objective {result.objective:.4f} but the routes cost {total:.4f}")
    return out
