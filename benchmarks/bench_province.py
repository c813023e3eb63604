"""A province in one batch: Shandong's 136 county-level units as synthetic counties on Dask.

Usage::

    python benchmarks/bench_province.py [--counties 136] [--villages 55000] [--workers 2]
        [--scaling 1 2 3 --scaling-counties 34] [--no-map] [--out benchmarks/results/province.md]

Sizes. Shandong has 136 county-level units and about 55 000 village committees (DOMAIN.md
G10: "~55 000 village committees (NBS: 62 074 village- and residents'-committee units in
Shandong, 2023)", EST). The benchmark splits ``--villages`` over ``--counties`` counties by a
seeded log-normal draw (σ = 0.5, each county 60–1 500 villages, rounded so the total is
exact): about 404 villages per county (the merged 2022 lists of the seed counties have 111-298
administrative villages, their 2016 lists 884-1 851 village-level units). Each county is ``ruralnet.synth.generate_synthetic(n, seed=i)`` with a
scenario that extends ``scenarios/dongchangfu.toml`` (every cost and rule as shipped).

Run. One ``ruralnet.batch.run_batch`` over the whole folder on a ``distributed.LocalCluster``
of ``--workers`` single-thread worker processes, as ``ruralnet batch`` runs it (the cluster is
started here so that each worker's peak resident set size can be read at the end with
``Client.run``). Reported: total wall time of the batch, per-county job seconds (from
``batch_summary.csv``), peak RSS per worker, and the machine's load average before and after
(other jobs share its cores). ``--scaling`` repeats the batch on the first
``--scaling-counties`` counties with each worker count. Dataset generation is not timed.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import resource
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
BASE = (ROOT / "scenarios" / "dongchangfu.toml").as_posix()
TARGET_S = 600.0


def county_sizes(counties: int, villages: int, seed: int) -> list[int]:
    """Villages per county: a log-normal split of ``villages`` over ``counties`` (60-1500 each)."""
    rng = np.random.default_rng(seed)
    raw = np.clip(rng.lognormal(0.0, 0.5, counties), 60 / 404, 1500 / 404)
    sizes = np.clip(np.round(raw / raw.sum() * villages), 60, 1500).astype(int)
    sizes[np.argmax(sizes)] += villages - int(sizes.sum())  # exact total
    return [int(s) for s in sizes]


def write_province(folder: Path, sizes: list[int], route_rounds: int | None = None) -> list[Path]:
    """One dataset and one scenario per county; return the scenario files."""
    from ruralnet.synth import generate_synthetic, write_dataset

    files = []
    for i, n in enumerate(sizes):
        name = f"county_{i + 1:03d}"
        write_dataset(generate_synthetic(n, seed=i + 1), folder / "data" / name)
        toml = folder / "scenarios" / f"{name}.toml"
        toml.parent.mkdir(parents=True, exist_ok=True)
        toml.write_text(
            f'[scenario]\nextends = "{BASE}"\nname = "{name} ({n} villages)"\n'
            f'dataset = "../data/{name}"\n'
            + ("" if route_rounds is None else f"\n[routes]\nrounds = {route_rounds}\n"),
            encoding="utf-8",
        )
        files.append(toml)
    return files


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run(files: list[Path], out: Path, workers: int, *, with_map: bool) -> dict[str, object]:
    """One batch on a fresh local cluster; return wall time, job times and worker peaks."""
    import logging

    from distributed import Client, LocalCluster

    from ruralnet.batch import run_batch

    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        silence_logs=logging.WARNING,
    )
    try:
        with Client(cluster) as client:
            load = os.getloadavg()[0]
            start = time.perf_counter()
            result = run_batch(
                files, out, scheduler=cluster.scheduler_address, progress=False, with_map=with_map
            )
            wall = time.perf_counter() - start
            peaks = sorted(client.run(_peak_rss_mb).values())
    finally:
        cluster.close()
    seconds = result.summary["job_seconds"].astype(float)
    return {
        "workers": workers,
        "counties": len(files),
        "ok": int((result.summary["status"] == "ok").sum()),
        "wall_s": wall,
        "job_s": seconds.tolist(),
        "job_sum_s": float(seconds.sum()),
        "worker_peak_mb": peaks,
        "load_before": load,
        "load_after": os.getloadavg()[0],
        "summary": result.summary,
    }


def _row(r: dict[str, object], base: float | None) -> str:
    jobs = r["job_s"]
    speedup = f"{base / r['wall_s']:.2f}" if base else "1.00"
    peaks = ", ".join(f"{p:,.0f}" for p in r["worker_peak_mb"])
    return (
        f"| {r['counties']} | {r['workers']} | {r['ok']} | {r['wall_s']:.0f} "
        f"| {r['job_sum_s']:.0f} | {min(jobs):.1f} / {statistics.median(jobs):.1f} / {max(jobs):.1f} "
        f"| {speedup} | {peaks} | {r['load_before']:.2f} / {r['load_after']:.2f} |"
    )


HEAD = (
    "| counties | workers | ok | wall s | sum of job s | job s min / median / max | speed-up "
    "| peak RSS per worker, MB | load avg before / after |\n"
    "|--:|--:|--:|--:|--:|---|--:|---|---|\n"
)


def _markdown(frame: object) -> str:
    cols = list(frame.columns)  # type: ignore[attr-defined]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in frame.itertuples(index=False):  # type: ignore[attr-defined]
        lines.append("| " + " | ".join(str(v) for v in row) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Generate the province, run the batches, print and write the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counties", type=int, default=136)
    parser.add_argument("--villages", type=int, default=55000, help="total (DOMAIN.md G10)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scaling", type=int, nargs="*", default=[])
    parser.add_argument("--scaling-counties", type=int, default=34)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-map", action="store_true", help="skip each county's map.html")
    parser.add_argument(
        "--route-rounds", type=int, default=None, help="[routes].rounds (default: as shipped, 4)"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "province.md")
    args = parser.parse_args(argv)
    sizes = county_sizes(args.counties, args.villages, args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        files = write_province(Path(tmp), sizes, args.route_rounds)
        print(
            f"generated {len(files)} counties, {sum(sizes):,} villages in {time.perf_counter() - start:.0f} s"
        )
        full = run(files, Path(tmp) / "out", args.workers, with_map=not args.no_map)
        print(HEAD + _row(full, None))
        scaling = []
        for w in args.scaling:
            r = run(
                files[: args.scaling_counties], Path(tmp) / f"out_w{w}", w, with_map=not args.no_map
            )
            scaling.append(r)
            print(_row(r, scaling[0]["wall_s"]))
    summary = full["summary"]
    per_county = summary.assign(villages=sizes)[
        [
            "scenario",
            "villages",
            "status",
            "job_seconds",
            "solve_seconds",
            "total_cost_yuan_per_year",
        ]
    ]
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    met = "met" if full["wall_s"] < TARGET_S and full["ok"] == len(files) else "**not met**"
    text = (
        "# A province in one batch\n\n"
        f"Measured {stamp} on {platform.node() or 'this machine'} ({os.cpu_count()} cores, "
        f"Python {platform.python_version()}); other jobs share the cores (load average in the "
        "tables).\n\n"
        f"```\npython benchmarks/bench_province.py --counties {args.counties} --villages "
        f"{args.villages} --workers {args.workers}"
        + (
            f" --scaling {' '.join(map(str, args.scaling))} --scaling-counties {args.scaling_counties}"
            if args.scaling
            else ""
        )
        + (" --no-map" if args.no_map else "")
        + ("" if args.route_rounds is None else f" --route-rounds {args.route_rounds}")
        + "\n```\n\n"
        f"{len(files)} synthetic counties, {sum(sizes):,} villages ({min(sizes)}–{max(sizes)} per county, "
        f"median {int(statistics.median(sizes))}); maps {'off' if args.no_map else 'on'}; route rounds {'as shipped (4)' if args.route_rounds is None else args.route_rounds}. "
        f"Target: the whole province under {TARGET_S / 60:.0f} minutes on 2 cores: {met}.\n\n"
        "## The province\n\n" + HEAD + _row(full, None) + "\n"
    )
    if scaling:
        text += (
            f"\n## Scaling with workers ({args.scaling_counties} counties)\n\n"
            + HEAD
            + "\n".join(_row(r, scaling[0]["wall_s"]) for r in scaling)
            + "\n"
        )
    text += "\n## Every county\n\n" + _markdown(per_county) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp_out = args.out.with_name(f".{args.out.name}.tmp")
    tmp_out.write_text(text, encoding="utf-8")
    tmp_out.replace(args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
