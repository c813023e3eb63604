"""Routing with and without reuse of unchanged depots across the re-pricing rounds.

Run ``.venv/bin/python benchmarks/bench_route_reuse.py [--repeats 3] [--villages 400]``.
For the shipped Dongchangfu scenario and a synthetic county of ``--villages`` villages (seed
3, every setting as ``scenarios/dongchangfu.toml``), it runs
:func:`ruralnet.routes.pricing.solve_with_routes` (as ``ruralnet run`` does) with the reuse
switched off (``CACHE_SIZE = 0``) and on, alternating within one run, and prints the median
wall seconds of each, their ratio, and whether both gave the same routed plan (the same
routed cost, vans and van-km: the reuse must not change a result).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from ruralnet.routes import engine
from ruralnet.routes.pricing import solve_with_routes
from ruralnet.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]


def _synthetic(folder: Path, villages: int) -> Path:
    from ruralnet.synth import generate_synthetic, write_dataset

    write_dataset(generate_synthetic(villages, seed=3), folder / "data")
    toml = folder / "synthetic.toml"
    toml.write_text(
        f'[scenario]\nextends = "{(ROOT / "scenarios" / "dongchangfu.toml").as_posix()}"\n'
        f'name = "synthetic ({villages} villages)"\ndataset = "data"\n',
        encoding="utf-8",
    )
    return toml


def _once(toml: Path, *, reuse: bool) -> tuple[float, tuple[float, int, float]]:
    engine._routed.clear()
    engine.CACHE_SIZE = 2048 if reuse else 0
    scenario = load_scenario(toml)
    start = time.perf_counter()
    _plan, routes, reports = solve_with_routes(scenario)
    seconds = time.perf_counter() - start
    best = min(reports, key=lambda r: r.route_based_cost)
    return seconds, (round(best.route_based_cost, 2), routes.vans, round(routes.km_per_day, 3))


def main() -> None:
    """Time both ways on both counties and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--villages", type=int, default=400)
    args = parser.parse_args()
    print("| county | without reuse, s (median) | with reuse, s (median) | ratio | same plan |")
    print("|---|--:|--:|--:|---|")
    with tempfile.TemporaryDirectory() as tmp:
        counties = {
            "Dongchangfu (shipped)": ROOT / "scenarios" / "dongchangfu.toml",
            f"synthetic, {args.villages} villages": _synthetic(Path(tmp), args.villages),
        }
        for name, toml in counties.items():
            times: dict[bool, list[float]] = {False: [], True: []}
            results = set()
            for _ in range(args.repeats):
                for reuse in (False, True):
                    seconds, result = _once(toml, reuse=reuse)
                    times[reuse].append(seconds)
                    results.add(result)
            off, on = statistics.median(times[False]), statistics.median(times[True])
            print(f"| {name} | {off:.1f} | {on:.1f} | {off / on:.2f} | {len(results) == 1} |")


if __name__ == "__main__":
    main()
