"""Province-wide batches on Dask: every job as a single run would give, failures per job."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pandas as pd
import pytest

import ruralnet as rn
from ruralnet.batch import SUMMARY_COLUMNS, SUMMARY_FILE, BatchResult, expand_scenarios, run_batch
from ruralnet.export import write_plan
from ruralnet.routes.pricing import solve_with_routes
from ruralnet.synth import generate_synthetic, write_dataset

ROOT = Path(__file__).parents[1]
BASE = (ROOT / "scenarios" / "dongchangfu.toml").as_posix()
TINY = (ROOT / "tests" / "data" / "tiny").as_posix()
GOOD = ("county_a", "county_b", "tiny_copy")


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of scenarios: two synthetic counties, the tiny county, one broken file."""
    folder = tmp_path_factory.mktemp("province")
    for name, n, seed in (("county_a", 35, 3), ("county_b", 50, 4)):
        write_dataset(generate_synthetic(n, seed=seed), folder / f"data_{name}")
        (folder / f"{name}.toml").write_text(
            f'[scenario]\nextends = "{BASE}"\nname = "{name}"\ndataset = "data_{name}"\n'
            "[solver]\ntime_limit_s = 60\n",
            encoding="utf-8",
        )
    (folder / "tiny_copy.toml").write_text(
        (ROOT / "tests/data/tiny.toml")
        .read_text(encoding="utf-8")
        .replace('dataset = "tiny"', f'dataset = "{TINY}"'),
        encoding="utf-8",
    )
    (folder / "broken.toml").write_text(
        f'[scenario]\nname = "broken"\ndataset = "{TINY}"\n[service]\nmax_acess_km = 3.0\n',
        encoding="utf-8",
    )
    return folder


@pytest.fixture(scope="module")
def batch(province: Path, tmp_path_factory: pytest.TempPathFactory) -> BatchResult:
    out = tmp_path_factory.mktemp("batch_out")
    return run_batch([province], out, n_workers=2, progress=False, with_map=False)


def test_every_job_matches_its_single_run(
    batch: BatchResult, province: Path, tmp_path: Path
) -> None:
    jobs = {job.scenario.stem: job for job in batch.jobs if job.ok}
    assert sorted(jobs) == sorted(GOOD)
    for stem, job in jobs.items():
        plan, routes, _rounds = solve_with_routes(province / f"{stem}.toml")  # as `ruralnet run`
        plan = dataclasses.replace(plan, routes=routes)
        single = plan.summary()
        assert job.summary["total_cost_yuan_per_year"] == single["total_cost_yuan_per_year"]
        assert job.summary["stations_opened"] == single["stations_opened"]
        write_plan(plan, tmp_path / stem, with_map=False)
        for name in ("plan.geojson", "villages.csv", "stations.csv", "links.csv"):
            written = (job.out_dir / name).read_bytes()
            assert written == (tmp_path / stem / name).read_bytes(), f"{stem}/{name}"
        assert job.out_dir == batch.summary_path.parent / stem
        assert not (job.out_dir / "map.html").exists()


def test_broken_scenario_fails_alone(batch: BatchResult) -> None:
    assert not batch.ok
    assert [job.scenario.name for job in batch.failed] == ["broken.toml"]
    (broken,) = batch.failed
    assert broken.error_type == "ScenarioError"
    assert "[service].max_acess_km: unknown key" in broken.error
    assert "did you mean 'max_access_km'" in broken.error
    assert "\n" not in broken.error
    assert broken.summary is None
    assert not broken.out_dir.exists()
    assert [job.scenario.name for job in batch.jobs] == sorted(
        ["broken.toml", *(f"{g}.toml" for g in GOOD)]
    )


def test_summary_csv(batch: BatchResult) -> None:
    raw = batch.summary_path.read_bytes()
    assert batch.summary_path.name == SUMMARY_FILE
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens it as UTF-8
    table = pd.read_csv(batch.summary_path, encoding="utf-8-sig", keep_default_na=False)
    assert tuple(table.columns) == SUMMARY_COLUMNS
    assert list(table["scenario"]) == ["broken", "county_a", "county_b", "tiny_copy"]
    assert list(table["status"]) == ["failed", "ok", "ok", "ok"]
    costs = {
        job.scenario.stem: job.summary["total_cost_yuan_per_year"] for job in batch.jobs if job.ok
    }
    for row in table.itertuples():
        if row.status == "ok":
            assert float(row.total_cost_yuan_per_year) == pytest.approx(
                costs[row.scenario], rel=1e-12
            )
            assert float(row.coverage_share) == 1.0
            assert int(row.stations_opened) >= 1
            assert row.error == ""
        else:
            assert row.total_cost_yuan_per_year == ""
            assert row.error_type == "ScenarioError"
            assert "max_acess_km" in row.error
    frame = batch.summary
    assert list(frame.columns) == list(SUMMARY_COLUMNS)
    assert frame.loc[frame["status"] == "ok", "solve_seconds"].notna().all()


def test_scenario_lists(province: Path, tmp_path: Path) -> None:
    files = expand_scenarios([province, province / "county_a.toml"])
    assert [p.name for p in files] == sorted(["broken.toml", *(f"{g}.toml" for g in GOOD)])
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(rn.ScenarioError, match="holds no scenario"):
        expand_scenarios([empty])
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(province / "county_a.toml", other / "county_a.toml")
    with pytest.raises(rn.OutputError, match="would both write to"):
        run_batch([province, other / "county_a.toml"], tmp_path / "out", progress=False)


def test_a_failed_job_says_what_run_says(tmp_path: Path, capsys):
    """Issue 14: a job's reason is the one line `ruralnet run` prints, not a Python message."""
    from ruralnet import batch, cli

    shutil.copytree(ROOT / "tests" / "data" / "tiny", tmp_path / "tiny")
    villages = tmp_path / "tiny" / "villages.geojson"
    villages.write_text(
        villages.read_text(encoding="utf-8").replace('"population": 700', '"population": NaN', 1),
        encoding="utf-8",
    )
    toml = tmp_path / "s.toml"
    toml.write_text((ROOT / "tests/data/tiny.toml").read_text(encoding="utf-8"), encoding="utf-8")
    capsys.readouterr()
    assert cli.main(["run", str(toml), "-o", str(tmp_path / "out"), "-q", "--no-map"]) == 2
    line = capsys.readouterr().err.strip().removeprefix("error: ")
    job = batch._run_job(str(toml), str(tmp_path / "job"), False)
    assert not job["ok"] and job["error"] == line and "population: NaN" in line
    assert not (tmp_path / "job").exists()
    died = batch._job(toml, tmp_path / "job", KeyError("worker-7"))  # the worker itself died
    assert died.error.startswith("the worker running this job stopped (KeyError: 'worker-7')")


def test_printed_table_has_a_row_per_county(batch: BatchResult) -> None:
    from rich.console import Console

    from ruralnet.summary_table import batch_table

    console = Console(width=120, record=True)
    console.print(batch_table(batch.summary))
    text = console.export_text()
    lines = {line.split("│")[1].strip(): line for line in text.splitlines() if line.count("│") > 2}
    assert set(lines) >= {"broken", *GOOD}
    assert "failed (ScenarioError)" in lines["broken"]
    for job in batch.jobs:
        if job.ok:
            row = lines[job.scenario.stem]
            assert f"{job.summary['total_cost_yuan_per_year']:,.0f}" in row and "ok" in row
