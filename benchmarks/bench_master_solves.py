"""Where the Benders master's HiGHS time goes: per-solve fixed cost against simplex iterations.

Examples
--------
    .venv/bin/python benchmarks/bench_master_solves.py --instances rl1304 --p 10
    .venv/bin/python benchmarks/bench_master_solves.py --instances rl1304,vm1748 --p 10,100,200

Runs ``p_median(formulation="benders")`` with every solve of the master LP
(:class:`ruralnet.classic.cut_master.CutMaster`) recorded: wall seconds, dual simplex
iterations and nonzeros of the model at that solve. At the end the final master is
re-solved three times with no change: zero iterations, so that time is what every
``Highs.run()`` pays whatever it does (HiGHS 1.16 assesses and copies the whole matrix in
each run). Scaled by each solve's nonzeros, that rate gives the fixed part of all solves;
the rest, per iteration, is the simplex work. Data as ``bench_pmed_large.py``
(``../shared/benchmarks/pmed_large/`` or ``RURALNET_PMED_LARGE``).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_pmed_large import DATA, RESULTS, load_average, p_list, read_tsp  # noqa: E402

# bench_pmed_large has put src/ on the path when ruralnet is not installed
from ruralnet import classic  # noqa: E402
from ruralnet._files import write_text_atomic  # noqa: E402
from ruralnet.classic import benders, cut_master  # noqa: E402


@dataclass
class Record:
    """The solves of the masters built during one ``p_median`` call."""

    seconds: list[float] = field(default_factory=list)
    iterations: list[int] = field(default_factory=list)
    nonzeros: list[int] = field(default_factory=list)
    masters: list[cut_master.CutMaster] = field(default_factory=list)

    def clear(self) -> None:
        """Forget the solves so far (before the next ``p_median`` call)."""
        for values in (self.seconds, self.iterations, self.nonzeros, self.masters):
            values.clear()


RECORD = Record()


class RecordingMaster(cut_master.CutMaster):
    """The package's master, with the time, iterations and size of every solve kept."""

    def __init__(self, dist: np.ndarray, p: int, near: object = None) -> None:
        super().__init__(dist, p, near)
        RECORD.masters.append(self)

    def solve(self, time_limit: float) -> cut_master.MasterPoint | None:
        t = time.perf_counter()
        point = super().solve(time_limit)
        RECORD.seconds.append(time.perf_counter() - t)
        RECORD.iterations.append(int(self._h.getInfo().simplex_iteration_count))
        RECORD.nonzeros.append(int(self._h.getNumNz()))
        return point


def no_change_resolve(master: cut_master.CutMaster) -> float:
    """Median seconds of three re-solves of the final master with nothing changed."""
    times = []
    for _ in range(3):
        t = time.perf_counter()
        master.solve(60.0)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def measure(name: str, d: np.ndarray, p: int, time_limit: float) -> str:
    RECORD.clear()
    res = classic.p_median(d, p, formulation="benders", time_limit_s=time_limit)
    secs, its = np.array(RECORD.seconds), np.array(RECORD.iterations, float)
    nnz = np.array(RECORD.nonzeros, float)
    if secs.size == 0:
        return (
            f"| {name} | {p} | 0 | – | – | – | – | – | – | – | {res.status}, {res.seconds:.1f} s |"
        )
    idle = no_change_resolve(RECORD.masters[-1])
    last = RECORD.masters[-1]._h.getNumNz()
    rate = idle / max(last, 1)  # seconds per nonzero of a run that does nothing
    fixed = float(rate * nnz.sum())
    per_iteration = (secs.sum() - fixed) / max(its.sum(), 1.0)
    return (
        f"| {name} | {p} | {secs.size} | {int(its.sum()):,} | {secs.sum():.2f} | "
        f"{nnz.mean():,.0f} | {idle * 1e3:.0f} at {last:,} | {rate * 1e8:.1f} | "
        f"{fixed:.2f} ({fixed / secs.sum():.0%}) | {per_iteration * 1e3:.3f} | "
        f"{res.status}, {res.seconds:.1f} s |"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--instances", default="rl1304")
    ap.add_argument("--p", type=p_list, default=[10], help="comma list of p")
    ap.add_argument("--time-limit", type=float, default=60.0, help="seconds per instance")
    ap.add_argument("--save", metavar="NAME", help="write the table to benchmarks/results/NAME.md")
    args = ap.parse_args(argv)
    missing = [n for n in args.instances.split(",") if not (DATA / f"{n}.tsp").is_file()]
    if missing:
        print(
            f"bench_master_solves: no {DATA / (missing[0] + '.tsp')}; put ../shared beside the "
            "checkout or set RURALNET_PMED_LARGE to the folder with the .tsp files",
            file=sys.stderr,
        )
        return 2
    benders.CutMaster = RecordingMaster  # the one name benders_lp builds its master with
    lines = [
        f"<!-- {' '.join(['bench_master_solves.py', *(argv or sys.argv[1:])])} | "
        f"{platform.machine()}, python {platform.python_version()}, highspy "
        f"{metadata.version('highspy')}, load average at start {load_average()} -->",
        "",
        f"## Benders master: HiGHS time per solve, {args.time_limit:.0f} s limit",
        "",
    ]
    head = ["instance", "p", "solves", "iterations", "HiGHS s", "mean nonzeros",
            "re-solve with no change, ms (nonzeros)", "ms per 100k nonzeros per run",
            "fixed part of all solves, s", "rest, ms per iteration", "result"]  # fmt: skip
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    print("\n".join(lines), flush=True)
    for name in args.instances.split(","):
        d = read_tsp(DATA / f"{name}.tsp")
        for p in args.p:
            lines.append(measure(name, d, p, args.time_limit))
            print(lines[-1], flush=True)
    lines += ["", f"Load average at the end: {load_average()} (1, 5, 15 min).", ""]
    print(lines[-2])
    if args.save:
        RESULTS.mkdir(exist_ok=True)
        write_text_atomic(RESULTS / f"{args.save}.md", "\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
