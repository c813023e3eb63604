"""Compare the OR-Tools MIP backends on the shipped county and synthetic ones.

Usage: python benchmarks/bench_backends.py [--repeats 3] [--time-limit 120] [--scenario PATH]
       [--synthetic N ...]

Prints, per instance and backend: median solve seconds over the repeats, the objective, the
proven gap, and the time ratio against HiGHS measured in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from ruralnet.assemble import build_problem
from ruralnet.data import load_inputs
from ruralnet.errors import RuralnetError
from ruralnet.model import build_model
from ruralnet.scenario import SolverSettings, load_scenario
from ruralnet.solve import SOLVERS, solve_model
from ruralnet.synth import generate_synthetic, write_dataset

ROOT = Path(__file__).parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, action="append", help="scenario TOML (repeatable)")
    parser.add_argument(
        "--synthetic",
        type=int,
        action="append",
        default=[],
        help="also a synthetic county of N villages",
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--time-limit", type=float, default=120.0)
    args = parser.parse_args()
    scenarios = args.scenario or [ROOT / "scenarios" / "dongchangfu.toml"]
    work = Path(tempfile.mkdtemp())
    for n in args.synthetic:
        write_dataset(generate_synthetic(n, seed=n), work / f"synthetic_{n}")
        toml = work / f"synthetic_{n}.toml"
        toml.write_text(
            f'[scenario]\nextends = "{(ROOT / "scenarios" / "dongchangfu.toml").as_posix()}"\n'
            f'name = "synthetic {n}"\ndataset = "synthetic_{n}"\n',
            encoding="utf-8",
        )
        scenarios.append(toml)
    print(
        "| instance | villages | backend | median s | objective (yuan/yr) | gap | ratio vs highs |"
    )
    print("|---|---|---|---|---|---|---|")
    for path in scenarios:
        scenario = load_scenario(path)
        problem = build_problem(scenario, load_inputs(scenario.dataset_path)).problem
        base = None
        for backend in SOLVERS:
            settings = SolverSettings(
                **{
                    **scenario.solver.model_dump(),
                    "backend": backend,
                    "time_limit_s": args.time_limit,
                }
            )
            times, result = [], None
            for _ in range(args.repeats):
                start = time.perf_counter()
                try:
                    result = solve_model(
                        build_model(problem), settings, seed=scenario.scenario.seed
                    )
                except RuralnetError as exc:
                    print(
                        f"| {path.stem} | {len(problem.village_ids)} | {backend} | failed: {exc} | | | |"
                    )
                    break
                times.append(time.perf_counter() - start)
            if not times:
                continue
            median = statistics.median(times)
            base = base or median
            print(
                f"| {path.stem} | {len(problem.village_ids)} | {backend} | {median:.2f} | "
                f"{result.objective:,.0f} | {result.gap:.1e} | {median / base:.2f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
