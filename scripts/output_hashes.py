"""Record or check the sha256 of every shipped scenario's plan outputs.

A refactor that must not change behaviour runs ``record`` before and ``check`` after::

    python scripts/output_hashes.py record out/hashes.json
    python scripts/output_hashes.py check out/hashes.json

Each scenario under ``scenarios/`` is run with ``ruralnet run`` into a temporary folder; the
files hashed are ``plan.geojson``, ``plan.gpkg``, every CSV and ``targets.md`` (``summary.json``
holds the run time and is left out). ``check`` prints one line per file and exits 1 on any
difference.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HASHED = ("plan.geojson", "plan.gpkg", "targets.md")


def _hash_outputs(folder: Path) -> dict[str, str]:
    names = sorted({*HASHED, *(p.name for p in folder.glob("*.csv"))})
    return {
        name: hashlib.sha256((folder / name).read_bytes()).hexdigest()
        for name in names
        if (folder / name).is_file()
    }


def run_all(scenarios: list[Path]) -> dict[str, dict[str, str]]:
    """Run each scenario and return ``{scenario: {file: sha256}}``."""
    exe = Path(sys.executable).with_name("ruralnet")
    hashes = {}
    for toml in scenarios:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "plan"
            cmd = [str(exe), "run", str(toml), "-o", str(out), "--quiet"]
            subprocess.run(cmd, check=True, cwd=ROOT)
            hashes[toml.name] = _hash_outputs(out)
        print(f"{toml.name}: {len(hashes[toml.name])} files hashed", flush=True)
    return hashes


def main() -> int:
    """Command line: ``record FILE`` or ``check FILE``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["record", "check"])
    parser.add_argument("file", type=Path)
    args = parser.parse_args()
    scenarios = sorted((ROOT / "scenarios").glob("*.toml"))
    hashes = run_all(scenarios)
    if args.action == "record":
        args.file.parent.mkdir(parents=True, exist_ok=True)
        args.file.write_text(json.dumps(hashes, indent=2, sort_keys=True) + "\n")
        print(f"recorded {sum(map(len, hashes.values()))} hashes in {args.file}")
        return 0
    before = json.loads(args.file.read_text())
    differ = 0
    for scenario in sorted(set(before) | set(hashes)):
        old, new = before.get(scenario, {}), hashes.get(scenario, {})
        for name in sorted(set(old) | set(new)):
            same = old.get(name) == new.get(name)
            differ += not same
            print(f"{'same' if same else 'DIFFERS'}  {scenario}  {name}  {new.get(name, '-')[:16]}")
    print(f"{differ} of {sum(map(len, hashes.values()))} files differ")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
