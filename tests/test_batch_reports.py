"""A batch's combined reports: targets per county (targets.md) and every county on one map."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import ruralnet as rn
from ruralnet import cli
from ruralnet.batch import MAP_FILE, TARGETS_FILE, JobResult, write_batch_reports
from ruralnet.export import write_plan
from ruralnet.synth import generate_synthetic, write_dataset

ROOT = Path(__file__).parents[1]
BASE = (ROOT / "scenarios" / "dongchangfu.toml").as_posix()


@pytest.fixture(scope="module")
def jobs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[JobResult]]:
    """Two synthetic counties planned and written, and one failed job."""
    root = tmp_path_factory.mktemp("batch_reports")
    out = root / "out"
    results = []
    for name, n, seed in (("county_a", 30, 3), ("county_b", 45, 4)):
        write_dataset(generate_synthetic(n, seed=seed), root / f"data_{name}")
        toml = root / f"{name}.toml"
        toml.write_text(
            f'[scenario]\nextends = "{BASE}"\nname = "{name}"\ndataset = "data_{name}"\n',
            encoding="utf-8",
        )
        plan = rn.solve(toml)
        write_plan(plan, out / name, with_map=False)
        results.append(JobResult(toml, True, out / name, summary=plan.summary(), seconds=1.0))
    broken = JobResult(root / "broken.toml", False, out / "broken", error_type="X", error="bad")
    return out, [*results, broken]


def test_targets_table_per_county(jobs: tuple[Path, list[JobResult]]) -> None:
    out, results = jobs
    written = write_batch_reports(results, out, with_map=True)
    assert written == [out / TARGETS_FILE, out / MAP_FILE]
    text = (out / TARGETS_FILE).read_text(encoding="utf-8")
    assert "County distribution centre coverage: 2 of 3 counties" in text
    assert "; 1 failed" in text
    for job in results[:2]:
        s = job.summary
        row = next(line for line in text.splitlines() if f"| {job.scenario.stem} |" in line)
        assert f"| {s['centres_opened']} / {s['townships']} | yes | yes |" in row
        assert f"## {s['dataset']} — {s['scenario']}" in text
        assert f"[{job.scenario.stem}/targets.md]" in text
    assert "| broken | failed: X: bad |" in text
    assert text.count("| co-delivery centre in every township |") == 2
    assert text.count("> Generated data:") == 2


def test_one_map_of_every_county(jobs: tuple[Path, list[JobResult]]) -> None:
    out, results = jobs
    write_batch_reports(results, out, with_map=True)
    page = (out / MAP_FILE).read_text(encoding="utf-8")
    assert "unpkg.com" not in page and "cdn.jsdelivr" not in page  # works offline
    for job in results[:2]:
        s = job.summary
        assert f"<td>{s['dataset']}</td>" in page  # a legend row per county
        assert f"{s['villages_covered']}/{s['villages']}" in page
    assert "Generated data:" in page
    assert page.count('"hub_id": "H1"') == 2  # one hub per county, in its layer


def test_no_map_when_asked(jobs: tuple[Path, list[JobResult]], tmp_path: Path) -> None:
    _, results = jobs
    assert write_batch_reports(results, tmp_path, with_map=False) == [tmp_path / TARGETS_FILE]
    assert not (tmp_path / MAP_FILE).exists()


def test_qingdao_scenarios_need_only_the_repository() -> None:
    """A fresh clone has no ../shared: every file the Qingdao batch reads is in the repo."""
    folder = ROOT / "scenarios" / "qingdao"
    assert sorted(p.stem for p in folder.glob("*.toml")) == ["jiaozhou", "laixi", "pingdu"]
    for toml in folder.glob("*.toml"):
        scenario = rn.load_scenario(toml)
        dataset = Path(scenario.dataset_path).resolve()
        assert dataset.is_relative_to(ROOT), toml
        assert (dataset / "dataset.toml").is_file()
        for name in ("villages_stats2022.csv", "adcode2016_points.csv", "county_boundary.geojson"):
            assert (dataset / "source" / name).is_file()


@pytest.mark.slow
def test_qingdao_batch_from_the_command_line(tmp_path: Path) -> None:
    """``ruralnet batch scenarios/qingdao -o out/qingdao``: three plans, one summary, one map."""
    out = tmp_path / "qingdao"
    code = cli.main(["batch", str(ROOT / "scenarios" / "qingdao"), "-o", str(out), "--quiet"])
    assert code == 0
    summary = (out / "batch_summary.csv").read_text(encoding="utf-8-sig").splitlines()
    assert [line.split(",")[:2] for line in summary[1:]] == [
        ["jiaozhou", "ok"],
        ["laixi", "ok"],
        ["pingdu", "ok"],
    ]
    text = (out / TARGETS_FILE).read_text(encoding="utf-8")
    assert "County distribution centre coverage: 3 of 3 counties" in text
    for county, towns in (("jiaozhou", 10), ("laixi", 11), ("pingdu", 18)):
        s = json.loads((out / county / "summary.json").read_text(encoding="utf-8"))
        assert s["verified"] is True
        assert s["townships"] == s["centres_opened"] == towns
        assert any("adcode2016" in g for g in s["generated_data"])
        assert any("CC BY 4.0" in a for a in s["attribution"])
    assert (out / MAP_FILE).is_file()
