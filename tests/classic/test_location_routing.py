"""Location-routing: brute force on tiny instances, the verifier, bad input."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest

from ruralnet.classic import location_routing
from ruralnet.classic.location_routing import location_routing_sequential
from ruralnet.classic.lrp_verify import check_location_routing, route_cost
from ruralnet.errors import InfeasibleError


def instance(seed: int, m: int = 2, n: int = 5) -> dict:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 50, (m + n, 2))
    costs = np.ceil(np.hypot(*(xy[:, None] - xy[None]).transpose(2, 0, 1)))
    return {
        "costs": costs,
        "demands": rng.integers(5, 30, n).astype(float),
        "depot_capacities": np.full(m, 70.0),
        "depot_costs": rng.uniform(20, 80, m).round(),
        "vehicle_capacity": 50.0,
        "vehicle_cost": 10.0,
    }


def partitions(items: list[int]):
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for part in partitions(rest):
        for k in range(len(part)):
            yield [*part[:k], [first, *part[k]], *part[k + 1 :]]
        yield [[first], *part]


def brute_force(inst: dict) -> float:
    m, n = len(inst["depot_costs"]), len(inst["demands"])
    q = inst["demands"]

    def tour(depot: int, group: list[int]) -> float:
        return min(
            route_cost(inst["costs"], depot, list(p), m) for p in itertools.permutations(group)
        )

    best = np.inf
    for part in partitions(list(range(n))):
        if any(q[g].sum() > inst["vehicle_capacity"] for g in part):
            continue
        for depots in itertools.product(range(m), repeat=len(part)):
            load = np.zeros(m)
            for d, g in zip(depots, part, strict=True):
                load[d] += q[g].sum()
            if (load > inst["depot_capacities"]).any():
                continue
            total = inst["depot_costs"][sorted(set(depots))].sum() + inst["vehicle_cost"] * len(
                part
            )
            total += sum(tour(d, g) for d, g in zip(depots, part, strict=True))
            best = min(best, total)
    return float(best)


def solve(inst: dict, method=location_routing, **kw):
    return method(
        inst["costs"],
        inst["demands"],
        depot_capacities=inst["depot_capacities"],
        depot_costs=inst["depot_costs"],
        vehicle_capacity=inst["vehicle_capacity"],
        vehicle_cost=inst["vehicle_cost"],
        **kw,
    )


def check(inst: dict, result) -> list[str]:
    return check_location_routing(
        inst["costs"], inst["demands"], inst["depot_capacities"], inst["depot_costs"],
        inst["vehicle_capacity"], inst["vehicle_cost"], result,
    )  # fmt: skip


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_location_routing_matches_brute_force(seed):
    inst = instance(seed)
    result = solve(inst, time_limit_s=4)
    assert result.objective == pytest.approx(brute_force(inst), abs=1e-6)
    assert check(inst, result) == []
    assert sorted(c for _, cs in result.routes for c in cs) == list(range(5))


def test_depot_capacity_binds():
    """One depot is cheap but holds too little: routes must come from both."""
    inst = instance(5)
    inst["depot_capacities"] = np.array([40.0, 200.0])
    inst["depot_costs"] = np.array([0.0, 0.0])
    result = solve(inst, time_limit_s=4)
    load = np.zeros(2)
    for d, cs in result.routes:
        load[d] += inst["demands"][list(cs)].sum()
    assert (load <= inst["depot_capacities"]).all()
    assert result.objective == pytest.approx(brute_force(inst), abs=1e-6)


def test_sequential_baseline_is_sound_and_no_better():
    inst = instance(7, m=3, n=6)
    seq = solve(inst, location_routing_sequential, time_limit_s=3)
    full = solve(inst, time_limit_s=4)
    assert check(inst, seq) == []
    assert full.objective <= seq.objective + 1e-6


def test_verifier_catches_broken_results():
    inst = instance(0)
    result = solve(inst, time_limit_s=3)
    cheaper = dataclasses.replace(result, objective=result.objective - 1)
    assert any("objective" in p for p in check(inst, cheaper))
    depot, customers = result.routes[0]
    dropped = dataclasses.replace(result, routes=((depot, customers[1:]), *result.routes[1:]))
    assert any(f"customer {customers[0]} visited 0 times" in p for p in check(inst, dropped))
    shut = [j for j in range(2) if j not in result.open]
    if shut:
        moved = dataclasses.replace(result, routes=((shut[0], customers), *result.routes[1:]))
        assert any("not open" in p for p in check(inst, moved))


def test_bad_input_is_refused():
    inst = instance(0)
    with pytest.raises(ValueError, match="depots first"):
        location_routing(
            inst["costs"][1:, 1:], inst["demands"], depot_capacities=inst["depot_capacities"],
            depot_costs=inst["depot_costs"], vehicle_capacity=50, vehicle_cost=10,
        )  # fmt: skip
    with pytest.raises(InfeasibleError, match="together hold"):
        solve({**inst, "depot_capacities": np.array([10.0, 10.0])})
