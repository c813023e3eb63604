"""Run the large p-median benchmark of this checkout and of an older one, interleaved.

Examples
--------
    git worktree add ../wt_old 3a60f8e
    .venv/bin/python benchmarks/bench_pmed_side_by_side.py --old ../wt_old --instances rl1304,vm1748
    git worktree remove ../wt_old

Each round runs ``bench_pmed_large.py --instances NAME --p P`` once with this checkout's code
and once with the old one's (its ``src`` first on ``PYTHONPATH``), alternating per row and
round, so both see the same machine: on this 2-core machine the speed moves by up to 2x
from hour to hour, more than most changes being measured. The table gives every run's wall
seconds, the medians and their ratio, and flags any row where the two codes' results differ.
Data: as ``bench_pmed_large.py`` (``../shared/benchmarks/pmed_large/`` or
``RURALNET_PMED_LARGE``).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_pmed_large import DATA, load_average, p_list, publish, read_optima  # noqa: E402

# "rl1304 p=10: p_median: optimal, objective 2134295, gap 0.00e+00, 10 open, 10.59 s bound ..."
LINE = re.compile(
    r"^(?P<inst>\S+) p=(?P<p>\d+): p_median: (?P<status>[\w ]+), objective (?P<obj>\S+), "
    r".*?, (?P<sec>[\d.]+) s bound"
)


@dataclass
class Side:
    """One code's runs of one row."""

    seconds: list[float] = field(default_factory=list)
    results: set[tuple[str, str]] = field(default_factory=set)


def one_run(root: Path, inst: str, p: int, time_limit: float) -> tuple[float, str, str]:
    """Run ``root``'s benchmark on one row; return (seconds, status, objective)."""
    env = dict(os.environ, PYTHONPATH=str(root / "src"))
    cmd = [sys.executable, str(root / "benchmarks" / "bench_pmed_large.py"),
           "--instances", inst, "--p", str(p), "--time-limit", str(time_limit)]  # fmt: skip
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    for line in out.stdout.splitlines():
        hit = LINE.match(line)
        if hit and hit["inst"] == inst and int(hit["p"]) == p:
            return float(hit["sec"]), hit["status"], hit["obj"]
    tail = (out.stderr.strip().splitlines() or ["no output"])[-1]
    msg = f"{root}: no result line for {inst} p={p} (exit {out.returncode}): {tail}"
    raise RuntimeError(msg)


def table(rows: dict[tuple[str, int], tuple[Side, Side]]) -> str:
    head = ["instance", "p", "old runs, s", "new runs, s", "old median", "new median",
            "ratio old/new", "status"]  # fmt: skip
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for (inst, p), (old, new) in rows.items():
        mo, mn = statistics.median(old.seconds), statistics.median(new.seconds)
        same = old.results == new.results and len(new.results) == 1
        status = next(iter(new.results))[0] if same else (
            f"differ: old {sorted(old.results)}, new {sorted(new.results)}"
        )  # fmt: skip
        lines.append(
            "| " + " | ".join([
                inst, str(p), ", ".join(f"{s:.2f}" for s in old.seconds),
                ", ".join(f"{s:.2f}" for s in new.seconds), f"{mo:.2f}", f"{mn:.2f}",
                f"{mo / mn:.2f}" if mn > 0 else "–", status,
            ]) + " |"
        )  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--old", type=Path, required=True, help="checkout of the older code")
    ap.add_argument("--instances", default="rl1304,vm1748")
    ap.add_argument("--p", type=p_list, help="comma list of p (default: every p in optima.csv)")
    ap.add_argument("--rounds", type=int, default=3, help="runs per code and row")
    ap.add_argument("--time-limit", type=float, default=60.0, help="seconds per run")
    ap.add_argument("--save", metavar="NAME", help="write the table to benchmarks/results/NAME.md")
    args = ap.parse_args(argv)
    if not (args.old / "benchmarks" / "bench_pmed_large.py").is_file():
        print(f"bench_pmed_side_by_side: {args.old} holds no benchmarks/bench_pmed_large.py; "
              "give a checkout or git worktree of the older commit", file=sys.stderr)  # fmt: skip
        return 2
    if not (DATA / "optima.csv").is_file():
        print(f"bench_pmed_side_by_side: no {DATA / 'optima.csv'}; put ../shared beside the "
              "checkout or set RURALNET_PMED_LARGE", file=sys.stderr)  # fmt: skip
        return 2
    optima = read_optima()
    wanted = set(args.p) if args.p else None
    rows: dict[tuple[str, int], tuple[Side, Side]] = {}
    for inst in args.instances.split(","):
        for p in sorted(q for (name, q) in optima if name == inst):
            if wanted is None or p in wanted:
                rows[inst, p] = (Side(), Side())
    header = (
        f"<!-- {' '.join(['bench_pmed_side_by_side.py', *(argv or sys.argv[1:])])} | "
        f"old = {args.old}, new = this checkout | load average at start "
        f"{load_average()} -->"
    )
    for (inst, p), (old, new) in rows.items():
        for _ in range(args.rounds):
            for side, root in ((new, HERE.parent), (old, args.old)):
                try:
                    sec, status, obj = one_run(root, inst, p, args.time_limit)
                except RuntimeError as exc:
                    print(f"bench_pmed_side_by_side: {exc}", file=sys.stderr)
                    return 1
                side.seconds.append(sec)
                side.results.add((status, obj))
        print(f"{inst} p={p}: old {old.seconds} new {new.seconds}", flush=True)
    title = (
        f"Large p-median, side by side: wall seconds of {args.rounds} interleaved run(s) per "
        f"code, {args.time_limit:.0f} s limit"
    )
    publish(title, header, table(rows), args.save)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
