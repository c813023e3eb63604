"""Measure ``ruralnet prepare`` on Chinese-style OSM extracts: a county and a prefecture.

Usage::

    python benchmarks/bench_prepare.py [--villages 5200] [--seed 0] [--repeats 3]
        [--out benchmarks/results/prepare.md]

Instances: the shipped Dongchangfu (225 villages, 1 031 km of road) and a synthetic prefecture
(``ruralnet.synth.generate_synthetic(--villages)``, sized by Dongchangfu's village density),
each written as an OSM extract the way Chinese OSM data looks by
``ruralnet.synth.osm_extract.write_osm_extract`` (place nodes for part of the villages, a
GCJ-02 points file for part of the others, admin levels 4/5/6/8, bus routes). Every run of
``prepare_dataset`` (village list, points file as ``gcj02``) is a fresh Python process, so its
peak resident set size (``ru_maxrss``) is its own; the time is the wall clock of the call,
imports excluded. Each run's located villages are checked against what the extract makes
findable (``expected.csv``). The machine's load average is recorded with the result: other
jobs share its cores.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "data" / "dongchangfu"


def _child(folder: Path, out: Path) -> None:
    """One prepare run; print seconds, peak RSS and the located counts as one JSON line."""
    import pandas as pd

    from ruralnet.prepare import PrepareOptions, prepare_dataset

    start = time.perf_counter()
    report = prepare_dataset(
        folder / "county.osm.pbf",
        folder / "county_boundary.geojson",
        out,
        villages_csv=folder / "villages_stats2022.csv",
        points_csv=folder / "village_points_gcj02.csv",
        options=PrepareOptions(points_crs="gcj02"),
    )
    seconds = time.perf_counter() - start
    expected = pd.read_csv(folder / "expected.csv", dtype=str, keep_default_na=False)
    want = expected.set_index("code12")["expect"]
    unlocated = {u.village_id for u in report.unlocated}
    agree = set(want.index[want == "unlocated"]) == unlocated and report.located_by == {
        k: int(n) for k, n in want[want != "unlocated"].value_counts().items()
    }
    print(
        json.dumps(
            {
                "seconds": seconds,
                "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
                "located_by": report.located_by,
                "unlocated": len(report.unlocated),
                "road_km": report.road_km_total,
                "road_lines": report.road_lines,
                "as_expected": bool(agree),
            }
        )
    )


def _extract(name: str, n: int | None, seed: int, folder: Path) -> dict[str, object]:
    """Generate (or read) the county and write its extract; return its figures."""
    import geopandas as gpd
    import pandas as pd

    from ruralnet.data import LAYERS, CountyDataset
    from ruralnet.synth import generate_synthetic
    from ruralnet.synth.osm_extract import write_osm_extract

    start = time.perf_counter()
    if n is None:
        layers = {layer: gpd.read_file(SHIPPED / f"{layer}.geojson") for layer in LAYERS}
        bus = pd.read_csv(SHIPPED / "bus_lines.csv", dtype={"line_id": str})
        meta = tomllib.loads((SHIPPED / "dataset.toml").read_text(encoding="utf-8"))
        dataset = CountyDataset(layers=layers, bus_lines=bus, metadata=meta)
    else:
        dataset = generate_synthetic(n, seed=seed)
    generated = time.perf_counter() - start
    start = time.perf_counter()
    extract = write_osm_extract(dataset, folder, seed=seed)
    return {
        "instance": name,
        "generate_s": generated,
        "extract_s": time.perf_counter() - start,
        "pbf_mb": extract.pbf.stat().st_size / 2**20,
        **extract.counts,
    }


def _run(folder: Path, out: Path) -> dict[str, object]:
    cmd = [sys.executable, __file__, "--child", str(folder), str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-2000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _table(rows: list[dict[str, object]]) -> str:
    head = (
        "| instance | villages | road km | OSM nodes / ways | .pbf MB | place nodes | points rows "
        "| prepare s (median) | runs s | peak RSS MB | located (osm + points) | unlocated "
        "| as expected |\n|---|--:|--:|--:|--:|--:|--:|--:|---|--:|--:|--:|---|\n"
    )
    lines = []
    for r in rows:
        located = r["located_by"]
        lines.append(
            f"| {r['instance']} | {r['villages']:,} | {r['road_km']:,.0f} "
            f"| {r['nodes']:,} / {r['ways']:,} | {r['pbf_mb']:.2f} | {r['place_nodes']:,} "
            f"| {r['points_rows']:,} | {r['prepare_s']:.1f} | {r['runs_s']} "
            f"| {r['maxrss_mb']:,.0f} | {located.get('osm', 0):,} + {located.get('points', 0):,} "
            f"| {r['unlocated']:,} | {'yes' if r['as_expected'] else '**no**'} |"
        )
    return head + "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the table and write it with the machine's details."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--villages", type=int, default=5200, help="prefecture size (5200)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "prepare.md")
    parser.add_argument("--child", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(*args.child)
        return 0
    rows = []
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        for name, n in (
            ("Dongchangfu (shipped)", None),
            (f"prefecture ({args.villages:,})", args.villages),
        ):
            folder = Path(tmp) / f"extract_{n or 'dcf'}"
            row = _extract(name, n, args.seed, folder)
            runs = [_run(folder, Path(tmp) / f"out_{n or 'dcf'}_{i}") for i in range(args.repeats)]
            row.update(runs[-1])
            row["prepare_s"] = statistics.median(r["seconds"] for r in runs)
            row["runs_s"] = ", ".join(f"{r['seconds']:.1f}" for r in runs)
            row["maxrss_mb"] = max(r["maxrss_mb"] for r in runs)
            row["as_expected"] = all(r["as_expected"] for r in runs)
            rows.append(row)
            print(json.dumps({k: v for k, v in row.items() if k != "located_by"}, default=str))
    load_after = os.getloadavg()
    table = _table(rows)
    print(table)
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = (
        "# `ruralnet prepare` on Chinese-style OSM extracts\n\n"
        f"Measured {stamp} on {platform.node() or 'this machine'} ({os.cpu_count()} cores, "
        f"Python {platform.python_version()}); load average before / after: "
        f"{load_before[0]:.2f} / {load_after[0]:.2f} (other jobs share the cores).\n\n"
        f"```\npython benchmarks/bench_prepare.py --villages {args.villages} --seed {args.seed} "
        f"--repeats {args.repeats}\n```\n\n" + table
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp_out = args.out.with_name(f".{args.out.name}.tmp")
    tmp_out.write_text(text, encoding="utf-8")
    tmp_out.replace(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
