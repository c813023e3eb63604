"""`ruralnet verify`, `compare` and `info` on damaged or tampered plan folders.

A figure edited by hand is a plan that breaks a rule (exit 1, a ``violation:`` line naming the
file, row and both values); a damaged file is bad input (exit 2, one ``error:`` line). Never a
traceback, never "ok" for a tampered plan.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from ruralnet import cli

DATA = Path(__file__).parent / "data"
SCENARIO = DATA / "tiny.toml"


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("plan") / "out"
    assert cli.main(["run", str(SCENARIO), "-o", str(out), "-q", "--no-map"]) == 0
    return out


def edit_csv(name: str, row: int, column: str, value: str) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        path = folder / name
        lines = path.read_text(encoding="utf-8-sig").splitlines()
        header = lines[0].split(",")
        cells = lines[row].split(",")
        cells[header.index(column)] = value
        lines[row] = ",".join(cells)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")

    return apply


def edit_summary(change: Callable[[dict], None]) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        path = folder / "summary.json"
        summary = json.loads(path.read_text(encoding="utf-8"))
        change(summary)
        path.write_text(json.dumps(summary), encoding="utf-8")

    return apply


def write(name: str, text: str) -> Callable[[Path], None]:
    return lambda folder: (folder / name).write_text(text, encoding="utf-8")


def rename_column(name: str, old: str, new: str) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        path = folder / name
        lines = path.read_text(encoding="utf-8-sig").splitlines()
        lines[0] = lines[0].replace(old, new)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")

    return apply


def repeat_row(name: str, row: int) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        path = folder / name
        lines = path.read_text(encoding="utf-8-sig").splitlines()
        path.write_text("\n".join([*lines, lines[row]]) + "\n", encoding="utf-8-sig")

    return apply


TAMPERED = [  # (id, how, pattern of a violation line): exit 1
    ("station_cost", edit_csv("stations.csv", 2, "yearly_cost_yuan", "9999"),
     r"stations\.csv row 2 \(site_id=\w+\): yearly_cost_yuan is '9999', recomputed"),
    ("village_distance", edit_csv("villages.csv", 2, "distance_km", "0.5"),
     r"villages\.csv row 2 \(village_id=V2\): distance_km is '0\.5', recomputed"),
    ("village_parcels", edit_csv("villages.csv", 1, "inbound_parcels_per_day", "1"),
     r"villages\.csv row 1 \(village_id=V1\): inbound_parcels_per_day is '1'"),
    ("link_cost", edit_csv("links.csv", 1, "yuan_per_year", "1"),
     r"links\.csv row 1 .*: yuan_per_year is '1', recomputed"),
    ("centre_capacity", edit_csv("centres.csv", 1, "capacity_parcels_per_day", "1e9"),
     r"centres\.csv row 1 .*capacity_parcels_per_day is '1e9'"),
    ("station_position", edit_csv("stations.csv", 1, "lon", "118"),
     r"stations\.csv row 1 .*: lon is '118'"),
    ("summary_part", edit_summary(lambda s: s["cost_yuan_per_year"].update(stations=1.0)),
     r"summary\.json: cost_yuan_per_year\.stations is 1\.0, recomputed"),
    ("summary_total", edit_summary(lambda s: s.update(total_cost_yuan_per_year=1.0)),
     r"summary\.json: total_cost_yuan_per_year is 1\.0"),
    ("summary_count", edit_summary(lambda s: s.update(stations_opened=99)),
     r"summary\.json: stations_opened is 99, recomputed 5"),
    ("summary_access", edit_summary(lambda s: s.update(longest_access_km=0.1)),
     r"summary\.json: longest_access_km is 0\.1"),
    ("summary_unverified", edit_summary(lambda s: s.update(verified=False)),
     r"summary\.json: verified is not true"),
]  # fmt: skip

DAMAGED = [  # (id, how, pattern of the error line): exit 2
    ("village_twice", repeat_row("villages.csv", 1), r"villages\.csv row \d+: village_id 'V1' is listed twice"),
    ("village_gone", lambda f: edit_csv("villages.csv", 3, "village_id", "V1")(f), r"village_id 'V1' is listed twice"),
    ("renamed_column", rename_column("stations.csv", "yearly_cost_yuan", "cost"), r"stations\.csv: column yearly_cost_yuan is missing \(renamed\?\)"),
    ("renamed_key_column", rename_column("links.csv", "parcels_in_per_day", "in"), r"links\.csv: column parcels_in_per_day is missing"),
    ("text_flow", edit_csv("links.csv", 1, "parcels_in_per_day", "lots"), r"links\.csv row 1: parcels_in_per_day 'lots' is not a number"),
    ("empty_csv", write("centres.csv", ""), r"centres\.csv: is empty"),
    ("open_quote", write("stations.csv", 'site_id,centre_id\n"SV1,C1\n'), r"stations\.csv: line 2: .*quote"),
    ("unknown_id", edit_csv("stations.csv", 1, "site_id", "S999"), r"stations\.csv row 1: site_id 'S999' is not in the scenario's data"),
    ("truncated_summary", lambda f: (f / "summary.json").write_bytes((f / "summary.json").read_bytes()[:200]), r"summary\.json: is not valid JSON \(line \d+: it ends too early"),
    ("summary_list", write("summary.json", "[1, 2]"), r"summary\.json: is not a JSON object"),
    ("unknown_status", edit_summary(lambda s: s["solver"].update(status="great")), r"summary\.json: solver\.status 'great' is not one of"),
    ("text_objective", edit_summary(lambda s: s.update(siting_model_cost_yuan_per_year="x")), r"summary\.json: siting_model_cost_yuan_per_year 'x' is not a number"),
    ("missing_file", lambda f: (f / "links.csv").unlink(), r"links\.csv: file is missing"),
    ("file_is_folder", lambda f: ((f / "links.csv").unlink(), (f / "links.csv").mkdir()), r"links\.csv: is a folder, not a file"),
]  # fmt: skip


def run_verify(folder: Path, capsys) -> tuple[int, list[str]]:
    capsys.readouterr()
    code = cli.main(["verify", str(SCENARIO), str(folder)])
    err = capsys.readouterr().err
    assert "Traceback" not in err and "internal error" not in err, err
    return code, err.strip().splitlines()


def test_untouched_folder_verifies(written: Path, capsys):
    capsys.readouterr()
    assert cli.main(["verify", str(SCENARIO), str(written)]) == 0
    assert re.search(r"ok: .* meets every rule; .*; \d+ figures match", capsys.readouterr().out)


@pytest.mark.parametrize(
    ("how", "pattern"), [c[1:] for c in TAMPERED], ids=[c[0] for c in TAMPERED]
)
def test_a_tampered_figure_is_a_violation(how, pattern, written, tmp_path, capsys):
    folder = tmp_path / "out"
    shutil.copytree(written, folder)
    how(folder)
    code, lines = run_verify(folder, capsys)
    assert code == 1, lines
    assert any(re.search(pattern, line) for line in lines if line.startswith("violation: ")), lines
    assert len([line for line in lines if line.startswith("error: ")]) == 1


@pytest.mark.parametrize(("how", "pattern"), [c[1:] for c in DAMAGED], ids=[c[0] for c in DAMAGED])
def test_a_damaged_file_is_one_line(how, pattern, written, tmp_path, capsys):
    folder = tmp_path / "out"
    shutil.copytree(written, folder)
    how(folder)
    code, lines = run_verify(folder, capsys)
    errors = [line for line in lines if line.startswith("error: ")]
    assert code == 2, lines
    assert len(errors) == 1 and re.search(pattern, errors[0]), lines


@pytest.mark.parametrize(
    ("how", "pattern"),
    [
        (write("summary.json", "{"), r"summary\.json: is not valid JSON"),
        (write("stations.csv", ""), r"stations\.csv: is empty"),
        (edit_csv("stations.csv", 1, "lon", "east"), r"stations\.csv row 1: lon 'east' is not a number"),
        (repeat_row("centres.csv", 1), r"centres\.csv row \d+: site_id '\w+' is listed twice"),
        (write("plan.geojson", '{"type": "FeatureCollection", "features": [1]}'), r"plan\.geojson: not a plan GeoJSON"),
        (edit_summary(lambda s: s["solver"].update(status=5)), r"solver\.status 5 is not one of"),
    ],
    ids=["truncated_summary", "empty_csv", "text_lon", "centre_twice", "bad_geojson", "bad_status"],
)  # fmt: skip
def test_compare_on_a_damaged_folder(how, pattern, written, tmp_path, capsys):
    folder = tmp_path / "b"
    shutil.copytree(written, folder)
    how(folder)
    capsys.readouterr()
    code = cli.main(["compare", str(written), str(folder)])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and re.search(pattern, lines[0]), lines


def test_compare_map_never_lands_in_a_plan_folder(written, tmp_path, capsys):
    other = tmp_path / "b"
    shutil.copytree(written, other)
    before = sorted(p.name for p in other.iterdir())
    for target, pattern in (
        (other / "both.html", r"lies in the plan folder b being compared"),
        (other / "summary.json", r"lies in the plan folder b"),
        (tmp_path, r"is a folder"),
    ):
        capsys.readouterr()
        assert cli.main(["compare", str(written), str(other), "--map", str(target)]) == 2
        errors = [e for e in capsys.readouterr().err.splitlines() if e.startswith("error: ")]
        assert len(errors) == 1 and re.search(pattern, errors[0]), errors
    assert sorted(p.name for p in other.iterdir()) == before
    assert cli.main(["compare", str(written), str(other), "--map", str(tmp_path / "m.html")]) == 0


def test_info_on_a_plan_folder_says_what_is_missing(written, capsys):
    capsys.readouterr()
    assert cli.main(["info", str(written)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "dataset.toml: file is missing" in lines[0], lines
