"""Solve the large TSPLIB-derived p-median instances (every node a client and a site).

Examples
--------
    .venv/bin/python benchmarks/bench_pmed_large.py --instances rl1304,vm1748 --time-limit 60
    .venv/bin/python benchmarks/bench_pmed_large.py --instances u1432 --p 5,10,20 --save pmed_large_u
    .venv/bin/python benchmarks/bench_pmed_large.py --instances rl1304 --formulation lagrangian

Data: ``../shared/benchmarks/pmed_large/`` beside the checkout (``RURALNET_PMED_LARGE``
overrides): ``NAME.tsp`` and ``optima.csv`` with the proven optima and the seconds of
Duran-Mateluna, Ales and Elloumi (EJOR 2023; 1 thread, CPLEX, Xeon W-2145). Cost = floor of
the Euclidean distance. Times: wall seconds of the whole ``p_median`` call (the matrix is
built outside) and CPU seconds of this process (HiGHS runs in-process, so CPU time is the
load-independent figure on a shared machine).
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

# one thread, as the paper's figures: numpy's BLAS would otherwise use every core
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
try:
    from ruralnet import classic
    from ruralnet._files import write_text_atomic
except ImportError:  # running from a checkout without `pip install -e .`
    sys.path.insert(0, str(HERE.parent / "src"))
    from ruralnet import classic
    from ruralnet._files import write_text_atomic

DATA = Path(
    os.environ.get(
        "RURALNET_PMED_LARGE",
        Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "pmed_large",
    )
)
RESULTS = HERE / "results"
INSTANCES = ["rl1304", "vm1748", "fl1400", "u1432", "d2103"]


def read_tsp(path: Path) -> np.ndarray:
    """Coordinates of a TSPLIB ``NODE_COORD_SECTION`` file -> floor-Euclidean n x n matrix."""
    xy, inside = [], False
    for line in path.read_text().splitlines():
        if line.startswith("NODE_COORD_SECTION"):
            inside = True
        elif line.startswith("EOF"):
            break
        elif inside and line.strip():
            _, x, y = line.split()[:3]
            xy.append((float(x), float(y)))
    pts = np.array(xy)
    diff = pts[:, None, :] - pts[None, :, :]
    return np.floor(np.sqrt((diff**2).sum(axis=-1)))


def p_list(text: str) -> list[int]:
    """Parse ``--p``: a comma list of positive integers."""
    try:
        values = [int(x) for x in text.split(",")]
    except ValueError:
        values = []
    if not values or min(values) < 1:
        msg = f"expected a comma list of positive integers such as 10,100, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return values


def read_optima() -> dict[tuple[str, int], dict[str, str]]:
    with (DATA / "optima.csv").open() as fh:
        return {(r["instance"], int(r["p"])): r for r in csv.DictReader(fh)}


@dataclass
class Row:
    instance: str
    p: int
    known: float
    known_status: str
    paper_s: str
    value: float
    bound: float
    gap: float
    status: str
    seconds: float
    cpu: float
    phases: str


def phases(res: classic.ClassicResult) -> str:
    st = res.stats
    if res.formulation == "lagrangian":
        return f"{st.get('nodes', 0):.0f} nodes"
    parts = [f"root {st.get('root_seconds', 0):.1f} s"]
    if "lp_rounds" in st:
        parts.append(f"LP {st['lp_rounds']} rounds {st['lp_seconds']:.1f} s")
    if "tree_seconds" in st:
        parts.append(f"tree {st['nodes']} nodes {st['tree_seconds']:.1f} s")
    return ", ".join(parts)


def fmt(x: float) -> str:
    return "–" if not math.isfinite(x) else f"{x:,.0f}"


def paper_value(r: Row) -> float:
    try:
        return float(r.paper_s)
    except ValueError:
        return math.nan


def run(args: argparse.Namespace) -> list[Row]:
    optima = read_optima()
    rows = []
    for name in args.instances.split(","):
        d = read_tsp(DATA / f"{name}.tsp")
        ps = [p for (inst, p) in optima if inst == name]
        if args.p:
            ps = [p for p in ps if p in set(args.p)]
        for p in sorted(ps):
            known = optima[name, p]
            walls, cpus, results = [], [], []
            for _ in range(args.repeat):
                t, c = time.perf_counter(), time.process_time()
                results.append(
                    classic.p_median(
                        d, p, formulation=args.formulation, time_limit_s=args.time_limit,
                        seed=args.seed,
                    )
                )  # fmt: skip
                walls.append(time.perf_counter() - t)
                cpus.append(time.process_time() - c)
            res = results[walls.index(statistics.median_low(walls))]  # the median run
            if len({(r.objective, str(r.status)) for r in results}) > 1:
                print(f"{name} p={p}: the runs differ (time limit reached in some)", flush=True)
            row = Row(
                name, p, float(known["value"]), known["status"], known["dm_Ttot_s"],
                res.objective, res.bound, res.gap, str(res.status),
                statistics.median(walls), statistics.median(cpus), phases(res),
            )  # fmt: skip
            rows.append(row)
            print(
                f"{name} p={p}: {res.summary()} bound {res.bound:.0f} known {row.known:.0f} "
                f"paper {row.paper_s} s cpu {row.cpu:.1f} [{row.phases}]",
                flush=True,
            )
    return rows


def table(rows: list[Row]) -> str:
    head = ["instance", "p", "optimum (DM2023)", "ruralnet", "bound", "proven gap", "status",
            "seconds", "cpu s", "paper s", "faster than paper", "phases"]  # fmt: skip
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        paper = paper_value(r)
        faster = (
            "–"
            if math.isnan(paper)
            else ("yes" if r.status == "optimal" and r.seconds < paper else "no")
        )
        known = fmt(r.known) + ("" if r.known_status.startswith("OPT") else " (best known)")
        lines.append(
            "| " + " | ".join([
                r.instance, str(r.p), known, fmt(r.value), fmt(r.bound), f"{r.gap:.2e}",
                r.status, f"{r.seconds:.2f}", f"{r.cpu:.2f}", r.paper_s, faster, r.phases,
            ]) + " |"
        )  # fmt: skip
    return "\n".join(lines)


def summary(rows: list[Row]) -> str:
    out = []
    for name in dict.fromkeys(r.instance for r in rows):
        rs = [r for r in rows if r.instance == name]
        proven = sum(r.status == "optimal" for r in rs)
        match = sum(abs(r.value - r.known) < 0.5 for r in rs)
        faster = sum(r.status == "optimal" and r.seconds < paper_value(r) for r in rs)
        ratios = [r.seconds / paper_value(r) for r in rs if paper_value(r) > 0]
        gaps = [r.gap for r in rs if r.status != "optimal"]
        out.append(
            f"- {name}: {proven}/{len(rs)} proven optimal, {match}/{len(rs)} equal to the "
            f"published value, {faster}/{len(rs)} proven faster than the paper; seconds median "
            f"{statistics.median(r.seconds for r in rs):.1f}, max {max(r.seconds for r in rs):.1f}"
            f" (cpu median {statistics.median(r.cpu for r in rs):.1f}); median time ratio "
            f"ruralnet/paper {statistics.median(ratios):.1f}"
            + (f"; open gaps up to {max(gaps):.2e}" if gaps else "")
        )
    return "\n".join(out)


def load_average() -> str:
    try:
        return ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def publish(title: str, header: str, body: str, save: str | None) -> None:
    """Print the report (header comment, title, body, end load) and save it as results/NAME.md."""
    text = (
        f"{header}\n\n## {title}\n\n{body}\n\n"
        f"Load average at the end: {load_average()} (1, 5, 15 min).\n"
    )
    print()
    print(text)
    if save:
        RESULTS.mkdir(exist_ok=True)
        write_text_atomic(RESULTS / f"{save}.md", text)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--instances", default=",".join(INSTANCES))
    ap.add_argument("--p", type=p_list, help="comma list of p (default: every p in optima.csv)")
    ap.add_argument("--time-limit", type=float, default=60.0, help="seconds per instance")
    ap.add_argument("--formulation", default="benders")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--repeat", type=int, default=1, help="runs per instance and p; seconds are their median"
    )
    ap.add_argument("--save", metavar="NAME", help="write the table to benchmarks/results/NAME.md")
    args = ap.parse_args(argv)
    if not (DATA / "optima.csv").is_file():
        print(
            f"bench_pmed_large: no {DATA / 'optima.csv'}; put ../shared beside the checkout "
            "or set RURALNET_PMED_LARGE to the folder with the .tsp files and optima.csv",
            file=sys.stderr,
        )
        return 2
    header = (
        f"<!-- {' '.join(['bench_pmed_large.py', *(argv or sys.argv[1:])])} | "
        f"{platform.node()} {platform.processor() or platform.machine()}, python "
        f"{platform.python_version()}, {os.cpu_count()} cores, 1 thread, "
        f"load average at start {load_average()} -->"
    )
    rows = run(args)
    title = (
        f"Large p-median (TSPLIB, floor-Euclidean), formulation `{args.formulation}`, "
        f"{args.time_limit:.0f} s limit, median seconds of {args.repeat} run(s)"
    )
    publish(title, header, f"{table(rows)}\n\n{summary(rows)}", args.save)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
