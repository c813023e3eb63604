"""Van routes on the shipped Dongchangfu scenario: re-pricing rounds and their effect.

Run ``.venv/bin/python benchmarks/bench_routes.py`` (a few minutes: one siting solve and one
routing of every centre and the hub per round). For each pricing scheme and scope it prints, per round, the siting
model's cost, the cost with the van feeders priced by their routes, stations and centres
opened, vans and van-km per day; then the ordinary per-parcel-km plan against the returned
route-priced plan.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from ruralnet.routes import route_kpis
from ruralnet.routes.pricing import RoundReport, solve_with_routes
from ruralnet.scenario import load_scenario

SCENARIO = Path(__file__).parents[1] / "scenarios" / "dongchangfu.toml"


def _row(pricing: str, r: RoundReport) -> str:
    return (
        f"| {pricing} | {r.round}{' (repeat)' if r.repeated else ''} | {r.siting_cost:,.0f} | "
        f"{r.siting_van_feeder_cost + r.siting_van_trunk_cost:,.0f} | "
        f"{r.route_van_feeder_cost:,.0f} + {r.route_van_trunk_cost:,.0f} | "
        f"{r.route_based_cost:,.0f} | {r.stations} | {r.centres} | {r.vans} | "
        f"{r.van_km_per_day:,.1f} | {r.yuan_per_parcel_km:.4f} | {r.solve_seconds:.0f} + "
        f"{r.route_seconds:.0f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=SCENARIO)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--schemes",
        nargs="+",
        default=["parcel_km/centre", "parcel_km/county", "two_part/centre", "two_part/county"],
        help="pricing/scope pairs: pricing parcel_km or two_part, scope centre or county",
    )
    parser.add_argument("--trips-per-van", type=int, default=None, help="default: the scenario's")
    parser.add_argument("--stop-minutes", type=float, default=None, help="default: the scenario's")
    parser.add_argument(
        "--across-townships",
        action="store_true",
        help="let stations be fed by a centre of another township ([service].feed_within_township = false)",
    )
    parser.add_argument("-v", action="store_true", help="log each step")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO if args.v else logging.WARNING)
    print(
        "| pricing | round | siting cost | siting vans | routed vans (feeder + trunk) | "
        "route-based cost | stations | centres | vans | van-km/day | yuan/parcel-km | "
        "seconds (solve + route) |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    scenario = load_scenario(args.scenario)
    if args.across_townships:
        scenario = scenario.with_overrides({"service": {"feed_within_township": False}})
    summary = []
    for pricing in args.schemes:
        kind, scope = pricing.split("/")
        start = time.perf_counter()
        rules = {"pricing": kind, "per_centre": scope == "centre"}
        if args.trips_per_van is not None:
            rules["trips_per_van"] = args.trips_per_van
        if args.stop_minutes is not None:
            rules["stop_minutes"] = args.stop_minutes
        _plan, routes, reports = solve_with_routes(
            scenario.with_overrides({"routes": rules}),
            rounds=args.rounds,
            on_round=lambda r, p=pricing: print(_row(p, r), flush=True),
        )
        best = min(reports, key=lambda r: (r.route_based_cost, r.round))
        summary.append((pricing, reports[0], best, route_kpis(routes), time.perf_counter() - start))
    print()
    print(
        "| pricing | per-parcel-km plan: siting cost | its route-based cost | stations | "
        "returned round | route-based cost | change vs per-parcel-km plan | stations | vans | "
        "van-km/day | CO2 kg/day | total seconds |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for pricing, first, best, kpis, seconds in summary:
        change = best.route_based_cost - first.route_based_cost
        print(
            f"| {pricing} | {first.siting_cost:,.0f} | {first.route_based_cost:,.0f} | "
            f"{first.stations} | {best.round} | {best.route_based_cost:,.0f} | "
            f"{change:+,.0f} ({change / first.route_based_cost:+.2%}) | {best.stations} | "
            f"{kpis['vans']} | {kpis['van_km_per_day']:,.1f} | {kpis['co2_kg_per_day']:,.1f} | "
            f"{seconds:.0f} |"
        )


if __name__ == "__main__":
    main()
