"""Rebuild a shipped county dataset (``data/<county>/``) from its real inputs.

The real inputs ship in ``data/<county>/source/`` (see ``data/README.md``): the NBS 2022
village and township lists, the county boundary and the 2016 adcode units with their Amap
points. The script matches the 2016 points to the 2022 list
(:func:`ruralnet.prepare.adcode.match_adcode_points`, GCJ-02 converted to WGS84), writes the
match report to ``data/<county>/adcode2016_matches.csv`` and generates everything that is not
real with :mod:`ruralnet.synth` and a fixed seed, so running it again gives the same files.

Usage::

    python scripts/build_county.py                    # all four counties
    python scripts/build_county.py pingdu [--seed 2024] [--out /tmp/pingdu]
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import NamedTuple

from ruralnet._files import write_text_atomic
from ruralnet.data import CountyDataset
from ruralnet.prepare.adcode import ADCODE_ATTRIBUTION, ADCODE_LABEL, match_adcode_points
from ruralnet.synth import RealPoints, dataset_summary, generate_county, write_dataset

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"


class County(NamedTuple):
    """A shipped county: dataset name and the projected CRS of its generation."""

    name: str
    crs: str


#: The four seed counties. UTM 50N for Liaocheng (115.5-116.3 E); UTM 51N for the Qingdao
#: county-level cities (119.5-120.7 E; one zone for the three of them).
COUNTIES = {
    "dongchangfu": County("东昌府区 Dongchangfu", "EPSG:32650"),
    "pingdu": County("平度市 Pingdu", "EPSG:32651"),
    "laixi": County("莱西市 Laixi", "EPSG:32651"),
    "jiaozhou": County("胶州市 Jiaozhou", "EPSG:32651"),
}
DEFAULT_SEED = 2024
MATCHES_FILE = "adcode2016_matches.csv"


def build(key: str, *, seed: int = DEFAULT_SEED, out: Path | None = None) -> CountyDataset:
    """
    Match the real points and generate one county's dataset; write it and its match report.

    Parameters
    ----------
    key
        A key of :data:`COUNTIES`.
    seed
        Generator seed.
    out
        Output folder; default ``data/<key>``.

    Returns
    -------
    CountyDataset
        What was written.
    """
    county = COUNTIES[key]
    source = DATA / key / "source"
    out = out or DATA / key
    files = (
        source / "villages_stats2022.csv",
        source / "townships.csv",
        source / "county_boundary.geojson",
    )
    match = match_adcode_points(source / "adcode2016_points.csv", *files)
    real = RealPoints(match.points, label=ADCODE_LABEL, attribution=ADCODE_ATTRIBUTION)
    dataset = generate_county(*files, real_points=real, seed=seed, name=county.name, crs=county.crs)
    write_dataset(dataset, out)
    write_text_atomic(
        out / MATCHES_FILE,
        match.report.to_csv(index=False, lineterminator="\n"),
        encoding="utf-8-sig",
    )
    return dataset


def main(argv: list[str] | None = None) -> int:
    """Build the named counties (default all); print a summary of each as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("county", nargs="*", help=f"any of {', '.join(COUNTIES)} (default: all)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (2024)")
    parser.add_argument("--out", type=Path, help="output folder (one county only)")
    args = parser.parse_args(argv)
    keys = args.county or list(COUNTIES)
    unknown = [k for k in keys if k not in COUNTIES]
    if unknown:
        parser.error(f"unknown county {unknown[0]!r}; choose from {', '.join(COUNTIES)}")
    if args.out is not None and len(keys) != 1:
        parser.error("--out needs exactly one county")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("pyogrio").setLevel(logging.WARNING)
    for key in keys:
        out = args.out or DATA / key
        dataset = build(key, seed=args.seed, out=out)
        summary = dataset_summary(dataset)
        summary["files"] = {p.name: p.stat().st_size for p in sorted(out.iterdir()) if p.is_file()}
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
