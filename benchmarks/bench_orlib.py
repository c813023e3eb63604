"""Solve OR-Library p-median and warehouse-location instances with ruralnet.classic.

Examples
--------
    .venv/bin/python benchmarks/bench_orlib.py --family pmed
    .venv/bin/python benchmarks/bench_orlib.py --family cap --time-limit 60
    .venv/bin/python benchmarks/bench_orlib.py --family pmed --instances pmed1-10 --with-spopt
    .venv/bin/python benchmarks/bench_orlib.py --compare-formulations --instances pmed1,pmed35

Each run prints markdown tables and, with ``--save NAME``, writes them to
``benchmarks/results/NAME.md``. Times are wall-clock seconds of the whole call (reading the
file and the shortest paths excluded) and CPU seconds of this process.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import platform
import re
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
try:
    from ruralnet import classic
    from ruralnet._files import write_text_atomic
except ImportError:  # running from a checkout without `pip install -e .`
    sys.path.insert(0, str(HERE.parent / "src"))
    from ruralnet import classic
    from ruralnet._files import write_text_atomic

import orlib_io  # noqa: E402

RESULTS = HERE / "results"
PMED = [f"pmed{k}" for k in range(1, 41)]
UFLP = [f"cap{k}" for k in (71, 72, 73, 74, 101, 102, 103, 104, 131, 132, 133, 134)]
CFLP = [
    f"cap{k}"
    for k in (
        *(41, 42, 43, 44, 51, 61, 62, 63, 64, 71, 72, 73, 74, 81, 82, 83, 84, 91, 92, 93, 94),
        *(101, 102, 103, 104, 111, 112, 113, 114, 121, 122, 123, 124, 131, 132, 133, 134),
    )
]
VARIANTS = {
    "assignment": {"formulation": "assignment", "reduce": False},
    "radius-cumulative": {"formulation": "radius_cumulative", "reduce": False},
    "radius-chained": {"formulation": "radius", "reduce": False},
    "radius-chained + heuristic + levels + fixing": {"formulation": "radius", "reduce": True},
    "lagrangian B&B, no local search": {"formulation": "lagrangian", "reduce": False},
    "lagrangian B&B + interchange (default)": {"formulation": "lagrangian", "reduce": True},
}


@dataclass
class Row:
    instance: str
    size: str
    known: float
    value: float
    gap: float
    seconds: float
    cpu: float
    status: str
    extra: str = ""

    def match(self) -> bool:
        return abs(self.value - self.known) <= 1e-3 * max(1.0, 1e-6 * abs(self.known)) + 1e-3


def expand(spec: str | None, default: list[str]) -> list[str]:
    """``pmed1-5,pmed35`` -> names; None -> default."""
    if not spec:
        return default
    out: list[str] = []
    for part in spec.split(","):
        m = re.fullmatch(r"([a-z]+)(\d+)-(?:[a-z]+)?(\d+)", part.strip())
        if m:
            out += [f"{m.group(1)}{k}" for k in range(int(m.group(2)), int(m.group(3)) + 1)]
        elif part.strip():
            out.append(part.strip())
    return out


def fmt(x: float, digits: int = 3) -> str:
    if isinstance(x, float) and math.isnan(x):
        return "–"
    if float(x).is_integer():
        return f"{int(x)}"
    return f"{x:.{digits}f}"


def yes(flag: bool) -> str:
    return "yes" if flag else "**no**"


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def timed(fn, *args, **kwargs):
    t, c = time.perf_counter(), time.process_time()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t, time.process_time() - c


# ----------------------------------------------------------------------------------------


def run_pmed(names: list[str], args: argparse.Namespace) -> tuple[str, list[Row], list[Row]]:
    opt = orlib_io.pmed_optima()
    rows, peer = [], []
    for name in names:
        inst = orlib_io.read_pmed(orlib_io.ORLIB / "pmed" / f"{name}.txt")
        res, wall, cpu = timed(
            classic.p_median, inst.costs, inst.p, solver=args.solver,
            time_limit_s=args.time_limit, threads=args.threads, seed=args.seed,
        )  # fmt: skip
        extra = phases(res)
        n = inst.costs.shape[0]
        row = Row(name, f"{n}, {inst.p}", opt[name], res.objective, res.gap, wall, cpu,
                  str(res.status), extra)  # fmt: skip
        rows.append(row)
        print(f"{name}: {res.summary()}  [{extra}] match={row.match()}", flush=True)
        if args.with_spopt:
            peer.append(run_spopt(name, inst, opt[name], args.time_limit))
    header = ["instance", "n, p", "known opt", "ruralnet", "proven gap", "seconds", "cpu s",
              "value = known", "proven optimal", "phases"]  # fmt: skip
    body = [
        [r.instance, r.size, fmt(r.known), fmt(r.value), f"{r.gap:.1e}", f"{r.seconds:.2f}",
         f"{r.cpu:.2f}", yes(r.match()), yes(r.status == "optimal"), r.extra]
        for r in rows
    ]  # fmt: skip
    text = table(header, body)
    text += "\n\n" + summary_line(rows)
    if peer:
        text += "\n\n" + spopt_table(rows, peer)
    return text, rows, peer


def phases(res: classic.ClassicResult) -> str:
    """What each phase did: Lagrangian search or LP/MIP rounds."""
    st = res.stats
    if res.formulation == "lagrangian":
        return (
            f"root L {fmt(st.get('root_lagrangian', math.nan), 1)}, "
            f"{fmt(st.get('root_free', math.nan))} sites left, "
            f"{fmt(st.get('nodes', math.nan))} nodes"
        )
    return (
        f"closed {st.get('sites_fixed_closed', '–')}, LP {fmt(st.get('lp_seconds', 0.0), 1)} s, "
        f"MIP {fmt(st.get('mip_seconds', 0.0), 1)} s"
    )


def summary_line(rows: list[Row]) -> str:
    ok = sum(r.match() and r.status == "optimal" for r in rows)
    same = sum(r.match() for r in rows)
    secs = [r.seconds for r in rows]
    return (
        f"{same}/{len(rows)} equal to the known optimum, {ok}/{len(rows)} also proven optimal "
        "within the time limit; "
        f"wall seconds: median {statistics.median(secs):.2f}, max {max(secs):.2f}, "
        f"total {sum(secs):.1f}; instances over 60 s: {sum(s > 60 for s in secs)}."
    )


def run_spopt(name: str, inst, known: float, limit: float) -> Row:
    import pulp
    from spopt.locate import PMedian

    n = inst.costs.shape[0]
    solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=limit, threads=1)
    t, c = time.perf_counter(), time.process_time()
    try:
        model = PMedian.from_cost_matrix(inst.costs, np.ones(n), p_facilities=inst.p)
        model = model.solve(solver)
        value = float(pulp.value(model.problem.objective))
        status = pulp.LpStatus[model.problem.status].lower()
    except Exception as exc:  # report, don't crash the benchmark
        value, status = math.nan, f"error: {type(exc).__name__}"
    wall = time.perf_counter() - t
    # CBC runs in a child process: CPU time of this process misses it
    row = Row(name, f"{n}, {inst.p}", known, value, math.nan, wall, time.process_time() - c, status)
    print(f"  spopt {name}: {value} {status} {wall:.2f} s", flush=True)
    return row


def spopt_table(rows: list[Row], peer: list[Row]) -> str:
    body, ratios = [], []
    for r, s in zip(rows, peer, strict=True):
        ratio = s.seconds / r.seconds if r.seconds > 0 else math.nan
        ratios.append(ratio)
        body.append([r.instance, r.size, fmt(r.known), fmt(r.value), f"{r.seconds:.2f}",
                     fmt(s.value), s.status, f"{s.seconds:.2f}",
                     yes(s.match()), f"{ratio:.1f}"])  # fmt: skip
    header = ["instance", "n, p", "known opt", "ruralnet", "ruralnet s", "spopt (CBC)",
              "spopt status", "spopt s", "spopt match", "time ratio spopt/ruralnet"]  # fmt: skip
    med = statistics.median([x for x in ratios if not math.isnan(x)])
    solved = [(r, s) for r, s in zip(rows, peer, strict=True) if s.match() and r.seconds > 0]
    text = table(header, body) + f"\n\nMedian time ratio spopt/ruralnet, all rows: {med:.1f}x."
    if solved:
        ours, theirs = sum(r.seconds for r, _ in solved), sum(s.seconds for _, s in solved)
        med_solved = statistics.median(s.seconds / r.seconds for r, s in solved)
        text += (
            f" On the {len(solved)} instances spopt solves to the known optimum: total "
            f"{theirs:.2f} s (spopt) / {ours:.2f} s (ruralnet) = {theirs / ours:.1f}x, "
            f"median per-instance ratio {med_solved:.1f}x."
        )
    return text


# ----------------------------------------------------------------------------------------


def cap_known() -> tuple[dict[str, float], dict[str, float]]:
    cap = orlib_io.read_optima(orlib_io.ORLIB / "cap" / "capopt.txt")
    unc = orlib_io.read_optima(orlib_io.ORLIB / "cap" / "uncapopt.txt")
    return unc, cap


def run_cap(names: list[str] | None, args: argparse.Namespace) -> str:
    unc, cap = cap_known()
    parts = []
    for kind, default, known in (("UFLP", UFLP, unc), ("CFLP", CFLP, cap)):
        todo = [x for x in (names or default) if x in known or x in default]
        if kind == "UFLP":
            todo = [x for x in todo if x in unc]
        rows = []
        for name in todo:
            inst = orlib_io.read_cap(orlib_io.ORLIB / "cap" / f"{name}.txt")
            kw = {"solver": args.solver, "time_limit_s": args.time_limit,
                  "threads": args.threads, "seed": args.seed}  # fmt: skip
            if kind == "CFLP":
                kw.update(capacities=inst.capacities, demands=inst.demands)
            res, wall, cpu = timed(classic.facility_location, inst.costs, inst.fixed, **kw)
            m, n = inst.costs.shape[1], inst.costs.shape[0]
            row = Row(name, f"{m}x{n}", known[name], res.objective, res.gap, wall, cpu,
                      str(res.status))  # fmt: skip
            rows.append(row)
            print(f"{kind} {name}: {res.summary()} known {known[name]} match={row.match()}",
                  flush=True)  # fmt: skip
        body = [
            [r.instance, r.size, fmt(r.known), fmt(r.value), f"{r.gap:.1e}", f"{r.seconds:.2f}",
             f"{r.cpu:.2f}", yes(r.match()), yes(r.status == "optimal")]
            for r in rows
        ]  # fmt: skip
        if rows:
            head = ["instance", "m x n", "known opt", "ruralnet", "proven gap", "seconds",
                    "cpu s", "value = known", "proven optimal"]  # fmt: skip
            parts.append(f"### {kind}\n\n" + table(head, body) + "\n\n" + summary_line(rows))
    return "\n\n".join(parts)


def run_formulations(names: list[str], args: argparse.Namespace) -> str:
    opt = orlib_io.pmed_optima()
    header = ["instance", "n, p", *VARIANTS]
    body = []
    for name in names:
        inst = orlib_io.read_pmed(orlib_io.ORLIB / "pmed" / f"{name}.txt")
        cells = [name, f"{inst.costs.shape[0]}, {inst.p}"]
        for label, kw in VARIANTS.items():
            try:
                res, wall, _ = timed(
                    classic.p_median, inst.costs, inst.p, solver=args.solver,
                    time_limit_s=args.time_limit, seed=args.seed, **kw,
                )  # fmt: skip
            except Exception as exc:  # e.g. out of memory for the biggest assignment models
                cells.append(f"error ({type(exc).__name__})")
                print(f"{name} {label}: {exc}", flush=True)
                continue
            ok = res.status == "optimal" and abs(res.objective - opt[name]) < 1e-6
            cell = f"{wall:.1f}" if ok else f">{args.time_limit:.0f} (gap {res.gap:.1%})"
            if res.status == "optimal" and not ok:
                cell = f"{wall:.1f} **WRONG {fmt(res.objective)}**"
            if res.formulation == "lagrangian":
                size = f"{res.stats.get('nodes', 0):.0f} nodes"
            else:
                nz = res.stats.get("mip_nonzeros", res.stats.get("lp_nonzeros", 0))
                size = f"{nz / 1e3:.0f}k nz"
            cells.append(f"{cell} [{size}]")
            print(f"{name} {label}: {res.summary()} [{size}]", flush=True)
        body.append(cells)
    legend = (
        "Cells: wall seconds to the proven optimum (>limit: not proven, with the gap). "
        "[k nz]: nonzeros of the last LP/MIP model; [nodes]: branch-and-bound nodes of the "
        "Lagrangian search (no LP or MIP solver). The radius-chained + fixing column is the "
        "previous default; lagrangian + interchange is the default now."
    )
    return table(header, body) + "\n\n" + legend


def load_average() -> str:
    """1, 5 and 15 minute load averages (the machine is shared), or "n/a"."""
    try:
        return ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--family", choices=["pmed", "cap", "all"], default="pmed")
    ap.add_argument("--instances", help="comma list, ranges allowed: pmed1-10,pmed35,cap71")
    ap.add_argument("--time-limit", type=float, default=60.0, help="seconds per instance")
    ap.add_argument("--solver", default="highs", choices=["highs", "scip", "cpsat"])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--with-spopt", action="store_true", help="also solve with PySAL spopt (CBC)")
    ap.add_argument("--compare-formulations", action="store_true")
    ap.add_argument("--save", metavar="NAME", help="write the tables to benchmarks/results/NAME.md")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING)
    names = expand(args.instances, [])
    out = [
        f"<!-- {' '.join(['bench_orlib.py', *(argv or sys.argv[1:])])} | "
        f"{platform.node()} {platform.processor() or platform.machine()}, "
        f"python {platform.python_version()}, {os.cpu_count()} cores, "
        f"load average at start {load_average()} -->"
    ]
    if args.compare_formulations:
        out.append("## Formulation comparison (wall seconds to proven optimum)\n\n"
                   + run_formulations(names or ["pmed1", "pmed35", "pmed40"], args))  # fmt: skip
    else:
        if args.family in ("pmed", "all"):
            pm = [x for x in names if x.startswith("pmed")] or (PMED if not names else [])
            if pm:
                text, _, _ = run_pmed(pm, args)
                out.append("## p-median (OR-Library pmed)\n\n" + text)
        if args.family in ("cap", "all"):
            cp = [x for x in names if x.startswith("cap")] or None
            if cp or not names or args.family == "all":
                out.append("## Warehouse location (OR-Library cap)\n\n" + run_cap(cp, args))
    out.append(f"Load average at the end: {load_average()} (1, 5, 15 min).")
    text = "\n\n".join(out) + "\n"
    print()
    print(text)
    if args.save:
        RESULTS.mkdir(exist_ok=True)
        write_text_atomic(RESULTS / f"{args.save}.md", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
