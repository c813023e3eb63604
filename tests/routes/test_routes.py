"""Daily van routes: optimal on tiny instances, exact loads, the split rule, the verifier."""

from __future__ import annotations

import dataclasses
import itertools
import json
from pathlib import Path

import numpy as np
import pytest

import ruralnet as rn
from ruralnet.errors import InfeasibleError, VerificationError
from ruralnet.maps import add_routes_layer
from ruralnet.routes import (
    build_routes,
    centre_stops,
    route_instances,
    route_kpis,
    route_stops_table,
    routes_geojson,
    routes_table,
    write_routes_geojson,
)
from ruralnet.routes.data import CentreStops, Route, RoutePlan, RouteSettings
from ruralnet.routes.verify import expected_visits, verify_routes

DATA = Path(__file__).parents[1] / "data"


def euclid(points: np.ndarray) -> np.ndarray:
    return np.hypot(*(points[:, None, :] - points[None, :, :]).transpose(2, 0, 1))


def instance(
    points: np.ndarray, deliveries: list[float], pickups: list[float] | None = None
) -> CentreStops:
    n = len(points) - 1
    return CentreStops(
        centre_id="C",
        station_ids=tuple(f"S{i}" for i in range(n)),
        deliveries=np.asarray(deliveries, float),
        pickups=np.zeros(n) if pickups is None else np.asarray(pickups, float),
        km=euclid(np.asarray(points, float)),
    )


def settings(**kw) -> RouteSettings:
    base = {"capacity_parcels": 400.0, "yuan_per_km": 1.5, "fixed_yuan_per_day": 350.0}
    return RouteSettings(**{**base, **kw})


def tour_km(km: np.ndarray, order: tuple[int, ...]) -> float:
    nodes = [0, *(i + 1 for i in order), 0]
    return float(sum(km[a, b] for a, b in itertools.pairwise(nodes)))


def max_load(d: np.ndarray, p: np.ndarray, order: tuple[int, ...]) -> float:
    load = best = float(sum(d[i] for i in order))
    for i in order:
        load += p[i] - d[i]
        best = max(best, load)
    return best


def best_tour(c: CentreStops, s: RouteSettings, subset: tuple[int, ...]) -> float:
    """Cheapest feasible loop through ``subset`` (inf if none), by enumeration."""
    best = np.inf
    for order in itertools.permutations(subset):
        km = tour_km(c.km, order)
        handled = [c.deliveries[i] + c.pickups[i] for i in order]
        if max_load(c.deliveries, c.pickups, order) <= s.capacity_parcels + 1e-9 and (
            s.route_hours(km, handled) <= s.shift_hours + 1e-9
        ):
            best = min(best, km)
    return best


def brute_force_cost(c: CentreStops, s: RouteSettings) -> float:
    """Exact cheapest set of loops (fixed cost per loop plus km cost) over all partitions."""
    n = len(c)
    cost = {}
    for mask in range(1, 1 << n):
        subset = tuple(i for i in range(n) if mask >> i & 1)
        cost[mask] = s.fixed_yuan_per_day + s.yuan_per_km * best_tour(c, s, subset)
    best = {0: 0.0}
    for mask in range(1, 1 << n):
        low = mask & -mask  # the lowest station is in some loop: enumerate that loop
        sub, value = mask, np.inf
        while sub:
            if sub & low:
                value = min(value, cost[sub] + best[mask ^ sub])
            sub = (sub - 1) & mask
        best[mask] = value
    return best[(1 << n) - 1]


# --- optimality on tiny instances ------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_single_loop_is_the_best_tour(seed):
    rng = np.random.default_rng(seed)
    c = instance(rng.uniform(0, 20, (7, 2)), list(rng.uniform(10, 50, 6)))
    s = settings()
    plan = route_instances([c], s)
    assert len(plan.routes) == 1
    best = min(tour_km(c.km, order) for order in itertools.permutations(range(6)))
    assert plan.routes[0].km == pytest.approx(best, abs=1e-3)


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_several_loops_match_brute_force(seed):
    """Capacity and pickups bind: the routes cost what the best partition into loops costs."""
    rng = np.random.default_rng(100 + seed)
    c = instance(
        rng.uniform(0, 30, (7, 2)), list(rng.uniform(60, 220, 6)), list(rng.uniform(0, 120, 6))
    )
    s = settings(fixed_yuan_per_day=50.0, trips_per_van=1)  # one loop per van, low fixed cost
    plan = route_instances([c], s)
    assert plan.cost_yuan_per_day == pytest.approx(brute_force_cost(c, s), abs=0.01)


def fewest_vans(hours: list[float], shift: float, most_loops: int) -> int:
    """Fewest vans whose days (loops back to back) hold loops of these hours, by enumeration."""
    n = len(hours)
    for vans in range(1, n + 1):
        for assign in itertools.product(range(vans), repeat=n):
            if len(set(assign)) != vans:
                continue
            days = [[h for h, a in zip(hours, assign, strict=True) if a == v] for v in range(vans)]
            if all(
                sum(d) <= shift + 1e-9 and (not most_loops or len(d) <= most_loops) for d in days
            ):
                return vans
    return n


def partitions(items: list[int]):
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for part in partitions(rest):
        for k in range(len(part)):
            yield [*part[:k], [first, *part[k]], *part[k + 1 :]]
        yield [[first], *part]


def brute_force_multi_trip(c: CentreStops, s: RouteSettings) -> float:
    """Exact cheapest fleet: every partition into loops, each loop's best tour, fewest vans."""
    best = np.inf
    for part in partitions(list(range(len(c)))):
        loops = [tuple(loop) for loop in part]
        kms = [best_tour(c, s, loop) for loop in loops]
        if not np.all(np.isfinite(kms)):
            continue
        hours = [
            s.route_hours(km, [c.deliveries[i] + c.pickups[i] for i in loop])
            for km, loop in zip(kms, loops, strict=True)
        ]
        vans = fewest_vans(hours, s.shift_hours, s.trips_per_van)
        best = min(best, s.fixed_yuan_per_day * vans + s.yuan_per_km * sum(kms))
    return best


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4, 5])
def test_multi_trip_fleet_matches_brute_force(seed):
    """Vans reload and go again within the shift: the fleet and km cost what the best plan does."""
    rng = np.random.default_rng(300 + seed)
    c = instance(
        rng.uniform(-12, 12, (7, 2)), list(rng.uniform(80, 250, 6)), list(rng.uniform(0, 60, 6))
    )
    s = settings(shift_hours=float(rng.choice([4.0, 6.0, 8.0])))
    plan = route_instances([c], s)
    want = brute_force_multi_trip(c, s)
    assert plan.cost_yuan_per_day == pytest.approx(want, abs=0.01)
    assert len(plan.routes) > plan.vans  # the instances are built so that vans reload


def test_loop_limit_per_van_matches_brute_force():
    rng = np.random.default_rng(9)
    c = instance(rng.uniform(-10, 10, (7, 2)), list(rng.uniform(150, 250, 6)))
    s = settings(trips_per_van=2)
    plan = route_instances([c], s)
    assert plan.cost_yuan_per_day == pytest.approx(brute_force_multi_trip(c, s), abs=0.01)
    assert max(r.trip for r in plan.routes) <= 2


def test_capacity_forces_two_loops_of_one_van():
    points = np.array([[0, 0], [1, 0], [2, 0], [0, 1], [0, 2]], float)
    c = instance(points, [150, 150, 150, 150])
    plan = route_instances([c], settings())
    assert (len(plan.routes), plan.vans) == (2, 1)
    first, second = sorted(plan.routes, key=lambda r: r.trip)
    assert second.start_hours >= first.start_hours + first.hours - 1e-9
    assert all(r.parcels_delivered == pytest.approx(300) for r in plan.routes)
    assert all(r.max_load <= 400 for r in plan.routes)
    one_loop = route_instances([c], settings(trips_per_van=1))
    assert one_loop.vans == 2


def test_stop_and_loading_times_count():
    """20 min loading, 10 min per stop and 0.1 min per parcel handed over (T20, T21)."""
    points = np.array([[0, 0], [20, 0]], float)
    c = instance(points, [100], [50])
    (route,) = route_instances([c], settings()).routes
    assert route.hours == pytest.approx(20 / 60 + 40 / 40 + (10 + 0.1 * 150) / 60)


def test_pickups_force_a_second_loop():
    """Deliveries fit one van (380 of 400) but 420 pickups do not come back in one."""
    points = np.array([[0, 0], [1, 0], [2, 0], [3, 0]], float)
    c = instance(points, [130, 130, 120], [140, 140, 140])
    plan = route_instances([c], settings())
    assert sum(c.deliveries) <= 400 < sum(c.pickups)
    assert len(plan.routes) == 2
    assert all(r.max_load <= 400 + 1e-9 for r in plan.routes)


def test_release_times_hold_back_a_loop():
    """Parcels that a bus brings at 3 h leave on a loop that starts loading then or later."""
    points = np.array([[0, 0], [5, 0], [-5, 0]], float)
    c = dataclasses.replace(instance(points, [300, 300]), release_hours=np.array([0.0, 3.0]))
    plan = route_instances([c], settings())
    late = next(r for r in plan.routes if "S1" in r.stops)
    assert late.start_hours >= 3.0 - 1e-9
    early = dataclasses.replace(late, start_hours=1.0)
    routes = tuple(early if r is late else r for r in plan.routes)
    found = verify_routes(dataclasses.replace(plan, routes=routes))
    assert "release" in {v.rule for v in found}


def test_pickups_set_the_visiting_order():
    """A tour and its reverse drive the same km; only one keeps the load within capacity."""
    # centre at 0; A at (10, 0) sends much back, B at (10, 1) receives much.
    points = np.array([[0, 0], [10, 0], [10, 1]], float)
    c = instance(points, [100, 290], [250, 0])
    s = settings()
    plan = route_instances([c], s)
    (route,) = plan.routes
    # A first: 390 out, after A 390 - 100 + 250 = 540 > 400. B first: 390, 100, 250.
    assert route.stops == ("S1", "S0")
    assert route.max_load == pytest.approx(390)
    np.testing.assert_allclose(route.loads, [390, 100, 250])


def test_station_bigger_than_a_van_gets_equal_visits():
    points = np.array([[0, 0], [5, 0], [5, 1]], float)
    c = instance(points, [900, 100], [50, 10])
    plan = route_instances([c], settings())
    big = [r for r in plan.routes if "S0" in r.stops]
    assert len(big) == 3
    for r in big:
        assert r.delivered[r.stops.index("S0")] == pytest.approx(300)
    got = dict.fromkeys(c.station_ids, 0.0)
    for r in plan.routes:
        for sid, dl in zip(r.stops, r.delivered, strict=True):
            got[sid] += dl
    assert got == {"S0": pytest.approx(900), "S1": pytest.approx(100)}
    assert expected_visits(900, 50, 400) == 3
    assert expected_visits(800, 50, 400) == 2
    assert expected_visits(100, 450, 400) == 2
    assert expected_visits(0, 0, 400) == 0


def test_shift_limit_splits_long_loops():
    # four far stations in different directions: one loop would take 4 x 2 x 100 km
    points = np.array([[0, 0], [100, 0], [0, 100], [-100, 0], [0, -100]], float)
    c = instance(points, [10, 10, 10, 10])
    s = settings(shift_hours=6.0, speed_kmh=40.0)  # 240 km a day
    plan = route_instances([c], s)
    assert plan.vans == 4
    assert all(r.hours <= 6.0 for r in plan.routes)


def test_unreachable_station_is_named():
    points = np.array([[0, 0], [5, 0], [200, 0]], float)
    with pytest.raises(InfeasibleError, match="S1"):
        route_instances([instance(points, [10, 10])], settings())


def test_two_trips_per_van_share_the_van():
    points = np.array([[0, 0], [1, 0], [2, 0], [0, 1], [0, 2]], float)
    c = instance(points, [150, 150, 150, 150])
    plan = route_instances([c], settings(trips_per_van=2))
    assert len(plan.routes) == 2
    assert plan.vans == 1
    assert sorted(r.trip for r in plan.routes) == [1, 2]
    assert plan.cost_yuan_per_day == pytest.approx(350 + 1.5 * plan.km_per_day)


def test_same_seed_same_routes_and_other_seeds_still_sound():
    rng = np.random.default_rng(7)
    c = instance(rng.uniform(0, 25, (21, 2)), list(rng.uniform(50, 200, 20)), [5.0] * 20)
    s = settings()
    first = route_instances([c], s, seed=3)
    again = route_instances([c], s, seed=3)
    assert first.routes == again.routes
    other = route_instances([c], s, seed=4)
    assert not verify_routes(other)
    assert other.cost_yuan_per_day == pytest.approx(first.cost_yuan_per_day, rel=0.05)


# --- the verifier ----------------------------------------------------------------------


@pytest.fixture
def two_loops() -> RoutePlan:
    points = np.array([[0, 0], [1, 0], [2, 0], [0, 1], [0, 2]], float)
    return route_instances([instance(points, [150, 150, 150, 150], [10, 10, 10, 10])], settings())


def _with_route(plan: RoutePlan, k: int, route: Route) -> RoutePlan:
    routes = list(plan.routes)
    routes[k] = route
    return dataclasses.replace(plan, routes=tuple(routes))


def _km(plan: RoutePlan, stops: tuple[str, ...]) -> float:
    c = plan.centres[0]
    return tour_km(c.km, tuple(c.station_ids.index(s) for s in stops))


def test_verifier_accepts_the_router(two_loops):
    assert verify_routes(two_loops) == []


def test_verifier_catches_a_skipped_station(two_loops):
    r = two_loops.routes[0]
    skipped = r.stops[-1]
    stops = r.stops[:-1]
    km = _km(two_loops, stops)
    broken = dataclasses.replace(
        r,
        stops=stops,
        delivered=r.delivered[:-1],
        picked_up=r.picked_up[:-1],
        km=km,
        hours=settings().route_hours(
            km, [a + b for a, b in zip(r.delivered, r.picked_up, strict=True)][:-1]
        ),
        cost_yuan_per_day=175 + 1.5 * km,
    )
    found = verify_routes(_with_route(two_loops, 0, broken))
    assert {v.rule for v in found} >= {"visits", "delivered"}
    assert all(v.station_id == skipped for v in found)
    assert skipped in str(found[0])


def test_verifier_catches_an_overload(two_loops):
    a, b = two_loops.routes
    stops = a.stops + b.stops
    km = _km(two_loops, stops)
    handled = [
        x + y for x, y in zip(a.delivered + b.delivered, a.picked_up + b.picked_up, strict=True)
    ]
    merged = Route(
        "C", 1, 1, "loop", stops, a.delivered + b.delivered, a.picked_up + b.picked_up, km,
        settings().route_hours(km, handled), 350 + 1.5 * km,
    )  # fmt: skip
    found = verify_routes(dataclasses.replace(two_loops, routes=(merged,)))
    assert {v.rule for v in found} == {"capacity"}
    assert "600.00" in str(found[0])
    assert found[0].route_id == "C/1.1"


def test_verifier_catches_wrong_km_shift_and_cost(two_loops):
    r = two_loops.routes[0]
    found = verify_routes(_with_route(two_loops, 0, dataclasses.replace(r, km=r.km + 1)))
    assert {v.rule for v in found} == {"km", "cost"}
    short = dataclasses.replace(two_loops, settings=settings(shift_hours=0.01))
    assert "shift" in {v.rule for v in verify_routes(short)}
    cheap = dataclasses.replace(r, cost_yuan_per_day=1.0)
    assert [v.rule for v in verify_routes(_with_route(two_loops, 0, cheap))] == ["cost"]


def test_verifier_catches_a_station_of_another_centre(two_loops):
    r = two_loops.routes[0]
    stranger = dataclasses.replace(r, stops=("X9", *r.stops[1:]))
    found = verify_routes(_with_route(two_loops, 0, stranger))
    assert any(v.rule == "station" and v.station_id == "X9" for v in found)


def test_router_raises_when_its_routes_fail(monkeypatch):
    import ruralnet.routes.engine as routes_module

    monkeypatch.setattr(routes_module, "verify_routes", lambda _plan: ["broken"])
    points = np.array([[0, 0], [1, 0]], float)
    with pytest.raises(VerificationError, match="broken"):
        route_instances([instance(points, [10])], settings())


def test_verify_routes_needs_neither_router_nor_ortools():
    import ast

    src = Path(rn.__file__).parent
    for name in ("routes/verify.py", "routes/data.py"):
        imported = set()
        for node in ast.walk(ast.parse((src / name).read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(a.name for a in node.names)
        assert imported <= {
            "__future__",
            "collections",
            "dataclasses",
            "itertools",
            "math",
            "numpy",
            "ruralnet.routes.data",
        }, name


# --- on a solved plan ------------------------------------------------------------------


@pytest.fixture(scope="module")
def plan() -> rn.Plan:
    return rn.solve(DATA / "tiny.toml")


@pytest.fixture(scope="module")
def routes(plan) -> RoutePlan:
    return build_routes(plan)


def test_instances_use_the_plans_van_links(plan):
    links = plan.links
    feeder = links[(links["tier"] == "feeder") & (links["mode"] == "van")]
    centres = centre_stops(plan)
    assert sum(len(c) for c in centres) == len(feeder)
    for c in centres:
        rows = feeder[feeder["from_id"] == c.centre_id].set_index("to_id")
        np.testing.assert_allclose(c.km[0, 1:], rows.loc[list(c.station_ids), "km"])
        np.testing.assert_allclose(
            c.deliveries, rows.loc[list(c.station_ids), "parcels_in_per_day"]
        )
        np.testing.assert_allclose(c.km, c.km.T)


def test_plan_routes_are_verified_and_deterministic(plan, routes):
    assert verify_routes(routes) == []
    assert build_routes(plan).routes == routes.routes
    served = {s for r in routes.routes for s in r.stops}
    assert served == {s for c in routes.centres for s in c.station_ids}


def test_geojson_is_rfc7946_along_the_roads(routes, tmp_path):
    fc = routes_geojson(routes)
    assert fc["type"] == "FeatureCollection"
    assert "crs" not in fc
    assert len(fc["features"]) == len(routes.routes)
    for feature, route in zip(fc["features"], routes.routes, strict=True):
        props = feature["properties"]
        assert feature["geometry"]["type"] == "LineString"
        coords = np.array(feature["geometry"]["coordinates"])
        assert np.all((coords[:, 0] > 116.9) & (coords[:, 0] < 117.4))  # lon first
        assert np.all((coords[:, 1] > 36.3) & (coords[:, 1] < 36.5))
        np.testing.assert_allclose(coords[0], coords[-1], atol=1e-7)  # back at the centre
        assert props["stops"] == list(route.stops)
        for key in (
            "centre_id",
            "vehicle",
            "km",
            "parcels_delivered",
            "parcels_picked_up",
            "max_load",
            "cost_yuan_per_day",
        ):
            assert key in props
    path = write_routes_geojson(routes, tmp_path / "routes.geojson")
    assert json.loads(path.read_text(encoding="utf-8")) == json.loads(json.dumps(fc))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["routes.geojson"]


def test_tables_and_kpis(routes):
    table = routes_table(routes)
    assert len(table) == len(routes.routes)
    assert table["km"].sum() == pytest.approx(routes.km_per_day, abs=1e-3)
    stops = route_stops_table(routes)
    assert len(stops) == sum(len(r.stops) for r in routes.routes)
    assert (stops["load_after"] <= routes.settings.capacity_parcels).all()
    kpis = route_kpis(routes)
    assert kpis["vans"] == routes.vans
    assert kpis["co2_kg_per_day"] == pytest.approx(0.30 * routes.km_per_day, abs=1e-2)
    assert kpis["cost_yuan_per_year"] == pytest.approx(routes.cost_yuan_per_day * 365, abs=0.1)


def test_map_layer_is_core_leaflet(plan, routes):
    m = plan.map()
    layer = add_routes_layer(routes, m)
    page = m.get_root().render()
    assert "Van routes" in page
    assert page.count("L.polyline") >= len(routes.routes)
    assert routes.routes[0].route_id in page
    assert layer._parent is m


def test_solve_with_routes_reports_each_round():
    from ruralnet.routes.pricing import rounds_table, solve_with_routes

    ordinary = rn.solve(DATA / "tiny.toml")
    scenario = rn.load_scenario(DATA / "tiny.toml").with_overrides(
        {"routes": {"pricing": "two_part"}}
    )
    best, routes, reports = solve_with_routes(scenario, rounds=2)
    assert reports[0].siting_cost == pytest.approx(ordinary.verification.total_yuan)
    for r in reports:
        assert r.route_based_cost == pytest.approx(
            r.siting_cost
            - r.siting_van_feeder_cost
            - r.siting_van_trunk_cost
            + r.route_van_feeder_cost
            + r.route_van_trunk_cost
        )
    assert reports[-1].repeated or len(reports) == 3
    table = rounds_table(reports)
    chosen = reports[int(table.index[table["best"]][0])]
    assert chosen.route_based_cost == min(r.route_based_cost for r in reports)
    assert verify_routes(routes) == []
    assert best.verification.ok


def test_routes_table_refuses_unknown_pricing():
    from ruralnet.errors import ScenarioError

    with pytest.raises(ScenarioError, match=r"\[routes\]\.pricing"):
        rn.load_scenario(DATA / "tiny.toml").with_overrides({"routes": {"pricing": "per_stop"}})


def test_route_rules_come_from_the_scenario(plan: rn.Plan):
    from ruralnet.routes import route_settings

    scenario = plan.scenario.with_overrides({"routes": {"shift_hours": 6, "trips_per_van": 3}})
    settings = route_settings(scenario)
    assert (settings.shift_hours, settings.trips_per_van, settings.speed_kmh) == (6.0, 3, 40.0)


# --- ruralnet verify re-checks written routes ------------------------------------------


def test_verify_rechecks_written_routes(tmp_path, capsys):
    import pandas as pd

    from ruralnet import cli

    out = tmp_path / "out"
    assert cli.main(["run", str(DATA / "tiny.toml"), "-o", str(out), "-q", "--no-map"]) == 0
    assert cli.main(["verify", str(DATA / "tiny.toml"), str(out)]) == 0
    assert "van routes serve every van-fed stop" in capsys.readouterr().out
    stops = pd.read_csv(out / "route_stops.csv", encoding="utf-8-sig")
    skipped = stops.iloc[0]["station_id"]
    stops.iloc[1:].to_csv(out / "route_stops.csv", index=False, encoding="utf-8-sig")
    assert cli.main(["verify", str(DATA / "tiny.toml"), str(out)]) == 1
    err = capsys.readouterr().err
    assert f"visits[{stops.iloc[0]['centre_id']} at {skipped}]" in err
    assert "routes.csv[" in err  # its loop's km no longer match the written km


def test_verify_catches_a_dearer_written_route_cost(tmp_path, capsys):
    import pandas as pd

    from ruralnet import cli

    out = tmp_path / "out"
    assert cli.main(["run", str(DATA / "tiny.toml"), "-o", str(out), "-q", "--no-map"]) == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    summary["cost_yuan_per_year"]["van_feeder"] -= 1000.0
    (out / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    table = pd.read_csv(out / "routes.csv", encoding="utf-8-sig")
    table.loc[0, "km"] += 1.0
    table.to_csv(out / "routes.csv", index=False, encoding="utf-8-sig")
    assert cli.main(["verify", str(DATA / "tiny.toml"), str(out)]) == 1
    err = capsys.readouterr().err
    assert "summary.json: van_feeder" in err
    assert f"routes.csv[{table.loc[0, 'route_id']}]: km" in err


def test_an_unchanged_depot_is_routed_once_and_a_changed_one_again(monkeypatch):
    from ruralnet.routes import engine

    calls = []
    solve_depot = engine._solve_depot

    def counting(centre, s, search):
        calls.append(centre.centre_id)
        return solve_depot(centre, s, search)

    monkeypatch.setattr(engine, "_solve_depot", counting)
    monkeypatch.setattr(engine, "_routed", engine.OrderedDict())
    rng = np.random.default_rng(7)
    c = instance(rng.uniform(0, 10, (7, 2)), list(rng.uniform(20, 90, 6)))
    first = route_instances([c], settings())
    again = route_instances([c], settings())
    assert calls == ["C"]  # the second call reused the loops
    assert again.routes == first.routes
    assert [i.seconds for i in again.searches] == [0.0]
    more = dataclasses.replace(c, deliveries=c.deliveries + 1.0)
    route_instances([more], settings())
    route_instances([c], settings(yuan_per_km=2.0))
    route_instances([c], settings(), seed=1)
    assert calls == ["C"] * 4  # other loads, other prices, another seed: searched anew


def test_ctrl_c_in_the_first_solve_returns_the_incumbent_unrouted(monkeypatch):
    from ruralnet.problem import SolveStatus
    from ruralnet.routes import pricing

    plan = rn.solve(DATA / "tiny.toml")
    stopped = dataclasses.replace(
        plan, solution=dataclasses.replace(plan.solution, status=SolveStatus.INTERRUPTED)
    )
    monkeypatch.setattr(pricing, "solve", lambda *a, **k: stopped)
    monkeypatch.setattr(pricing, "build_routes", lambda *a, **k: pytest.fail("routed anyway"))
    assert pricing.solve_with_routes(rn.load_scenario(DATA / "tiny.toml")) == (stopped, None, [])


def test_ctrl_c_in_a_re_pricing_round_stops_the_run(monkeypatch):
    from ruralnet.problem import SolveStatus
    from ruralnet.routes import pricing

    solve_model = pricing.solve_model

    def interrupted(*args, **kwargs):
        solution = solve_model(*args, **kwargs)
        return dataclasses.replace(solution, status=SolveStatus.INTERRUPTED)

    monkeypatch.setattr(pricing, "solve_model", interrupted)  # only the rounds' re-solves use it
    with pytest.raises(KeyboardInterrupt):
        pricing.solve_with_routes(rn.load_scenario(DATA / "tiny.toml"), rounds=1)
