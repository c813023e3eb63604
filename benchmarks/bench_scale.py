"""Time every stage of a plan on the shipped county and on synthetic counties of growing size.

Usage::

    python benchmarks/bench_scale.py [--sizes 500 2000 10000] [--time-limit 600] [--gap 0.01]
        [--repeats 3] [--repeat-below 5000] [--out benchmarks/results/scale.md]
        [--plot docs/img/scaling.png] [--compare-screening]
    python benchmarks/bench_scale.py --plot-only benchmarks/results/scale.md

Instances: ``scenarios/dongchangfu.toml`` as shipped (its own ``relative_gap``; ``--time-limit``
overrides the time limit) and, per ``--sizes``, a county from
``ruralnet.synth.generate_synthetic(n, seed=--seed)`` written to a temporary folder with a
scenario that extends ``scenarios/dongchangfu.toml`` and sets ``[solver].relative_gap = --gap``
and ``time_limit_s = --time-limit``.

Each run is a fresh Python process (``--child``), so its peak memory is its own: the peak
resident set size from ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` after each stage, which
includes the memory of OR-Tools and HiGHS (tracemalloc would see Python objects only). The child
prints one JSON line per finished stage, so a run stopped by ``--hard-timeout`` still reports
the stages it finished.

With ``--compare-screening`` every instance runs with ``[solver].lp_screening = true`` and
then with ``false`` (the full MIP at once: the baseline), and the table gains the ratio of
their solve times. Without it the scenario's setting holds (``auto`` by default: screening
for gap targets of 0.1 % and more, so the synthetic counties' 1 % screens).

Stages: ``load`` (scenario and dataset), ``matrices`` (``build_problem``: road graph, snapping,
distance matrices, options; plus ``check_feasible``), ``build`` (``build_model``), ``solve``
(``solve_model``, wall clock including MathOpt's hand-over to HiGHS), ``verify``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "scenarios" / "dongchangfu.toml"
STAGES = ("load", "matrices", "build", "solve", "verify")
TARGET_S = 600.0
BASELINE = ", lp_screening = false"


# ---------------------------------------------------------------- child: one run, one process


_CPU = [0.0]


def _emit(record: dict[str, Any]) -> None:
    cpu = time.process_time()
    record["cpu_seconds"], _CPU[0] = cpu - _CPU[0], cpu
    record["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps(record), flush=True)


def child(path: Path, overrides: dict[str, Any]) -> None:
    """Run the stages of one scenario and print one JSON line per finished stage."""
    import numpy as np

    from ruralnet.assemble import build_problem
    from ruralnet.data import load_inputs
    from ruralnet.model import build_model
    from ruralnet.pipeline import check_feasible
    from ruralnet.scenario import load_scenario
    from ruralnet.solve import solve_model
    from ruralnet.verify import verify

    _CPU[0] = time.process_time()
    start = time.perf_counter()
    scenario = load_scenario(path).with_overrides(overrides)
    inputs = load_inputs(scenario.dataset_path)
    _emit({"stage": "load", "seconds": time.perf_counter() - start})

    start = time.perf_counter()
    assembly = build_problem(scenario, inputs)
    check_feasible(assembly)
    p = assembly.problem
    _emit(
        {
            "stage": "matrices",
            "seconds": time.perf_counter() - start,
            "villages": len(p.village_ids),
            "station_sites": len(p.station_ids),
            "centre_sites": len(p.centre_ids),
            "access_arcs": len(p.access.village),
            "feeder_options": len(p.feeder),
            "bus_feeder_options": int(np.sum(p.feeder.line >= 0)),
            "trunk_options": len(p.trunk),
            "road_nodes": int(assembly.network.xy.shape[0]),
        }
    )

    start = time.perf_counter()
    built = build_model(p)
    _emit(
        {
            "stage": "build",
            "seconds": time.perf_counter() - start,
            "variables": built.model.get_num_variables(),
            "constraints": built.model.get_num_linear_constraints(),
        }
    )

    start = time.perf_counter()
    solution = solve_model(built, scenario.solver, seed=scenario.scenario.seed)
    _emit(
        {
            "stage": "solve",
            "seconds": time.perf_counter() - start,
            "solver_seconds": solution.seconds,
            "status": solution.status.value,
            "objective": solution.objective,
            "best_bound": solution.best_bound,
            "gap": solution.gap,
            "relative_gap_setting": scenario.solver.relative_gap,
            "time_limit_s": scenario.solver.time_limit_s,
        }
    )

    start = time.perf_counter()
    report = verify(p, solution)
    _emit({"stage": "verify", "seconds": time.perf_counter() - start, "verified": report.ok})


# ---------------------------------------------------------------- parent: instances and runs


def make_instances(
    sizes: list[int], seed: int, gap: float, workdir: Path, *, shipped: bool
) -> list[tuple[str, Path, dict[str, Any]]]:
    """Write the synthetic datasets and scenarios; return (label, scenario, overrides)."""
    from ruralnet.synth import generate_synthetic, write_dataset

    instances: list[tuple[str, Path, dict[str, Any]]] = []
    if shipped:
        instances.append(("dongchangfu", SHIPPED, {}))
    for n in sizes:
        folder = workdir / f"synthetic_{n}"
        if not (folder / "dataset.toml").exists():
            start = time.perf_counter()
            write_dataset(generate_synthetic(n, seed=seed), folder)
            print(f"# generated {n} villages in {time.perf_counter() - start:.1f} s", flush=True)
        toml = workdir / f"synthetic_{n}.toml"
        toml.write_text(
            "[scenario]\n"
            f'extends = "{SHIPPED.as_posix()}"\n'
            f'name = "synthetic {n} villages (seed {seed})"\n'
            f'dataset = "{folder.name}"\n\n'
            "[solver]\n"
            f"relative_gap = {gap}\n",
            encoding="utf-8",
        )
        instances.append((f"synthetic {n}", toml, {}))
    return instances


def run_once(path: Path, overrides: dict[str, Any], hard_timeout: float) -> dict[str, Any]:
    """Run one child process; merge its stage lines into one record."""
    cmd = [sys.executable, __file__, "--child", str(path), json.dumps(overrides)]
    record: dict[str, Any] = {"stages": {}, "maxrss_mb": 0.0, "error": ""}
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=hard_timeout, check=False
        )
        stdout, stderr, code = proc.stdout, proc.stderr, proc.returncode
    except subprocess.TimeoutExpired as exc:
        stdout = exc.stdout.decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
        stderr, code = "", None
        record["error"] = f"stopped after {hard_timeout:.0f} s (--hard-timeout)"
    record["wall_seconds"] = time.perf_counter() - start
    for line in stdout.splitlines():
        if line.startswith("{"):
            item = json.loads(line)
            line_stage = item.pop("stage")
            record["stages"][line_stage] = item["seconds"]
            record[f"rss_after_{line_stage}_mb"] = item["maxrss_mb"]
            record.setdefault("cpu", {})[line_stage] = item.pop("cpu_seconds")
            record["maxrss_mb"] = max(record["maxrss_mb"], item.pop("maxrss_mb"))
            record.update({k: v for k, v in item.items() if k != "seconds"})
    if code not in (0, None):
        last = [x for x in stderr.strip().splitlines() if x.strip()]
        record["error"] = last[-1] if last else f"exit code {code}"
    return record


def _median_record(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median of each stage over the runs that reached it; the rest from the slowest run."""
    out = dict(max(runs, key=lambda r: r["wall_seconds"]))
    out["stages"] = {
        s: statistics.median(r["stages"][s] for r in runs if s in r["stages"])
        for s in STAGES
        if any(s in r["stages"] for r in runs)
    }
    out["cpu"] = {
        s: statistics.median(r["cpu"][s] for r in runs if s in r.get("cpu", {}))
        for s in STAGES
        if any(s in r.get("cpu", {}) for r in runs)
    }
    out["maxrss_mb"] = statistics.median(r["maxrss_mb"] for r in runs)
    gaps = [r["gap"] for r in runs if "gap" in r]
    if gaps:
        out["gap"] = max(gaps)
    out["repeats"] = len(runs)
    return out


def _num(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else ""


def _fmt_s(record: dict[str, Any], stage: str) -> str:
    if stage in record["stages"]:
        return f"{record['stages'][stage]:.2f}"
    return "—" if record.get("error") else ""


def table(records: list[dict[str, Any]]) -> str:
    """Markdown table of the median records."""
    head = (
        "| instance | villages | feeder options | variables | constraints | load s | matrices s "
        "| build s | solve s | total s | total CPU s | status | gap target | proven gap | objective (yuan/yr) "
        "| peak RSS MB | runs |\n"
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|--:|--:|--:|--:|--:|\n"
    )
    rows = []
    for r in records:
        total = sum(r["stages"].get(s, 0.0) for s in STAGES)
        status = r.get("status", "") or ""
        if r.get("error"):
            status = f"{status} {r['error']}".strip()
        solved = "gap" in r
        cells = [
            r["label"],
            _num(r.get("villages")),
            _num(r.get("feeder_options")),
            _num(r.get("variables")),
            _num(r.get("constraints")),
            *(_fmt_s(r, s) for s in ("load", "matrices", "build", "solve")),
            f"{total:.1f}",
            f"{sum(r.get('cpu', {}).values()):.1f}",
            status,
            str(r.get("relative_gap_setting", "")),
            f"{r['gap']:.2e}" if solved else "",
            f"{r['objective']:,.0f}" if solved else "",
            f"{r['maxrss_mb']:,.0f}",
            str(r["repeats"]),
        ]
        rows.append("| " + " | ".join(cells) + " |")
    return head + "\n".join(rows) + "\n"


def screening_table(records: list[dict[str, Any]]) -> str:
    """Solve seconds with and without LP screening, per instance, and their ratio."""
    by_label = {r["label"]: r for r in records}
    lines = [
        "| instance | solve s, screened | solve s, full MIP | full / screened "
        "| objective, screened | objective, full MIP |",
        "|---|--:|--:|--:|--:|--:|",
    ]
    for label, base in by_label.items():
        screened = by_label.get(label.removesuffix(BASELINE)) if label.endswith(BASELINE) else None
        if screened is None or "solve" not in screened["stages"] or "solve" not in base["stages"]:
            continue
        fast, slow = screened["stages"]["solve"], base["stages"]["solve"]
        lines.append(
            f"| {screened['label']} | {fast:.2f} | {slow:.2f} | {slow / fast:.1f}× "
            f"| {screened.get('objective', float('nan')):,.0f} "
            f"| {base.get('objective', float('nan')):,.0f} |"
        )
    return "\n".join(lines) + "\n" if len(lines) > 2 else ""


def _revision() -> str:
    def git(*args: str) -> str:
        result = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False
        )
        return result.stdout

    dirty = [line for line in git("status", "--porcelain", "--", "src").splitlines() if line]
    changed = ", ".join(line[3:] for line in dirty) or "none"
    return f"ruralnet at commit {git('rev-parse', '--short', 'HEAD').strip()} (uncommitted in src: {changed})"


def _machine() -> str:
    load = os.getloadavg()
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import ortools

    return (
        f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
        f"OR-Tools {ortools.__version__}; load average at the end "
        f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} (1/5/15 min)"
    )


# ---------------------------------------------------------------- plot


def plot(records: list[dict[str, Any]], path: Path) -> None:
    """Log-log plot of seconds per stage against villages."""
    import matplotlib as mpl

    mpl.use("Agg")
    import matplotlib.pyplot as plt

    sized = sorted((r for r in records if r.get("villages")), key=lambda r: r["villages"])
    rows = [r for r in sized if not r["label"].endswith(BASELINE)]
    baseline = [r for r in sized if r["label"].endswith(BASELINE) and "solve" in r["stages"]]
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    if baseline:
        ax.plot(
            [r["villages"] for r in baseline],
            [r["stages"]["solve"] for r in baseline],
            marker="^",
            linestyle=":",
            color="grey",
            label="solve, lp_screening = false",
        )
    for stage, marker in (("matrices", "o"), ("build", "s"), ("solve", "^"), ("total", "D")):
        xs, ys = [], []
        for r in rows:
            value = sum(r["stages"].values()) if stage == "total" else r["stages"].get(stage)
            if value:
                xs.append(r["villages"])
                ys.append(max(value, 1e-2))
        ax.plot(xs, ys, marker=marker, label=stage)
    for r in rows:
        if not r["label"].startswith("synthetic"):
            ax.annotate(
                r["label"].capitalize(),
                (r["villages"], sum(r["stages"].values())),
                textcoords="offset points",
                xytext=(4, 8),
                fontsize=8,
            )
    ax.axhline(TARGET_S, color="grey", linestyle="--", linewidth=1)
    ax.text(rows[0]["villages"], TARGET_S * 1.1, "10 min", color="grey")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("administrative villages")
    ax.set_ylabel("seconds (median)")
    ax.set_title("ruralnet: time per stage vs county size (2 cores, HiGHS)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


def read_records(md: Path) -> list[dict[str, Any]]:
    """Read the records back from the JSON block of a results file (for ``--plot-only``)."""
    text = md.read_text(encoding="utf-8")
    block = re.search(r"```json\n(.*?)\n```", text, re.DOTALL)
    if block is None:
        msg = f"{md}: no ```json block of records"
        raise SystemExit(msg)
    return json.loads(block.group(1))["median"]


# ---------------------------------------------------------------- main


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[500, 2000, 10000])
    parser.add_argument("--time-limit", type=float, default=600.0, help="solver limit, s")
    parser.add_argument("--gap", type=float, default=0.01, help="relative_gap of synthetic runs")
    parser.add_argument("--seed", type=int, default=1, help="generate_synthetic seed")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--repeat-below", type=int, default=5000, help="run larger instances only once"
    )
    parser.add_argument("--hard-timeout", type=float, default=3600.0, help="per run, s")
    parser.add_argument("--no-dongchangfu", action="store_true")
    parser.add_argument(
        "--compare-screening",
        action="store_true",
        help="also run each instance with [solver].lp_screening = false (the baseline)",
    )
    parser.add_argument("--workdir", type=Path, help="keep generated datasets here")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/scale.md")
    parser.add_argument("--plot", type=Path, default=ROOT / "docs/img/scaling.png")
    parser.add_argument("--no-plot", action="store_true", help="do not draw the plot")
    parser.add_argument("--plot-only", type=Path, help="redraw the plot from a results file")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    return parser


def run_all(
    instances: list[tuple[str, Path, dict[str, Any]]], args: argparse.Namespace
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Run every instance (repeated below ``--repeat-below`` villages); median and all runs."""
    overrides = {"solver": {"time_limit_s": args.time_limit}}
    if args.compare_screening:
        on = {"solver": {"time_limit_s": args.time_limit, "lp_screening": True}}
        off = {"solver": {"time_limit_s": args.time_limit, "lp_screening": False}}
        instances = [
            item
            for label, path, _extra in instances
            for item in ((label, path, on), (f"{label}{BASELINE}", path, off))
        ]
    records, all_runs = [], []
    for label, path, extra in instances:
        runs = []
        for k in range(args.repeats):
            record = run_once(path, {**overrides, **extra}, args.hard_timeout)
            record["label"] = label
            runs.append(record)
            all_runs.append({**record, "run": k + 1})
            stages = ", ".join(f"{s} {v:.2f}" for s, v in record["stages"].items())
            print(
                f"# {label} run {k + 1}: {stages}; {record.get('status', '')} "
                f"gap {record.get('gap', float('nan')):.2e} rss {record['maxrss_mb']:.0f} MB "
                f"{record['error']}",
                flush=True,
            )
            if record.get("error") or record.get("villages", 0) >= args.repeat_below:
                break
        records.append(_median_record(runs))
    return records, all_runs


def main() -> None:
    args = _parser().parse_args()
    if args.child:
        child(Path(args.child[0]), json.loads(args.child[1]))
        return
    if args.plot_only:
        plot(read_records(args.plot_only), args.plot)
        return
    with tempfile.TemporaryDirectory(prefix="ruralnet-scale-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        instances = make_instances(
            args.sizes, args.seed, args.gap, workdir, shipped=not args.no_dongchangfu
        )
        started = datetime.datetime.now().astimezone()
        load_before = os.getloadavg()
        records, all_runs = run_all(instances, args)
    text = table(records)
    ratios = screening_table(records)
    if ratios:
        text += "\n" + ratios
    print(text)
    command = "python benchmarks/bench_scale.py " + " ".join(sys.argv[1:])
    from ruralnet._files import write_text_atomic

    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(
        args.out,
        f"# Scale benchmark\n\n`{command.strip()}`, started {started:%Y-%m-%d %H:%M %Z}.\n\n"
        f"Machine: {_machine()}; load average at the start {load_before[0]:.2f} / "
        f"{load_before[1]:.2f} / {load_before[2]:.2f}. {_revision()}.\n\n"
        "Seconds are medians over the runs (`runs`); instances of "
        f"{args.repeat_below:,}+ villages run once. Peak RSS: `ru_maxrss` of a fresh process "
        "per run (includes OR-Tools/HiGHS), median over runs. `gap target` is "
        "`[solver].relative_gap`; `proven gap` is the largest over the runs; solver time limit "
        f"{args.time_limit:.0f} s.\n\n{text}\n"
        "## Records\n\n```json\n"
        + json.dumps({"median": records, "runs": all_runs}, indent=1)
        + "\n```\n",
        encoding="utf-8",
    )
    if not args.no_plot:
        plot(records, args.plot)


if __name__ == "__main__":
    main()
