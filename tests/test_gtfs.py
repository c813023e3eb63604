"""Bus lines from a GTFS feed load into the same lines as the dataset's own layers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import ruralnet as rn
from ruralnet.errors import DataError
from ruralnet.gtfs import read_gtfs_lines

DATA = Path(__file__).parent / "data"


def scenario_for(tmp_path: Path, dataset: str) -> Path:
    (tmp_path / dataset).symlink_to(DATA / dataset)
    toml = tmp_path / f"{dataset}.toml"
    toml.write_text(
        f'[scenario]\nname = "{dataset}"\ndataset = "{dataset}"\nseed = 1\n[service]\nmax_access_km = 5.0\n',
        encoding="utf-8",
    )
    return toml


def test_gtfs_gives_the_same_line():
    stops, lines = read_gtfs_lines(DATA / "tiny_gtfs" / "gtfs")
    assert lines["line_id"].tolist() == ["L1"]
    assert lines["trips_per_day"].tolist() == [2.0]  # two trips each way on the busiest date
    assert lines["capacity_parcels_per_trip"].isna().all()  # not in GTFS: scenario default
    own = rn.load_inputs(DATA / "tiny_bus").bus_stops
    assert set(stops["stop_id"]) == set(own["stop_id"])
    assert len(stops) == len(own)


def test_gtfs_and_layers_plan_alike_and_buses_are_used(tmp_path):
    by_layers = rn.solve(scenario_for(tmp_path, "tiny_bus"))
    by_gtfs = rn.solve(scenario_for(tmp_path, "tiny_gtfs"))
    assert by_gtfs.summary()["total_cost_yuan_per_year"] == pytest.approx(
        by_layers.summary()["total_cost_yuan_per_year"]
    )
    summary = by_layers.summary()
    assert "bus" in summary["parcels_per_day_by_mode"]["trunk"]
    assert summary["saving_vs_all_van_yuan_per_year"] > 0
    assert 0 < summary["bus_load_factor"]["L1"] <= 1.0 + 1e-9
    assert by_layers.verification.ok


@pytest.mark.parametrize(
    ("file", "drop", "pattern"),
    [
        ("stop_times.txt", "stop_sequence", r"stop_times\.txt: column stop_sequence is missing"),
        ("stops.txt", "stop_lat", r"stops\.txt: column stop_lat is missing"),
    ],
)
def test_gtfs_with_missing_columns(tmp_path, file, drop, pattern):
    feed = tmp_path / "gtfs"
    shutil.copytree(DATA / "tiny_gtfs" / "gtfs", feed)
    rows = [line.split(",") for line in (feed / file).read_text(encoding="utf-8").splitlines()]
    col = rows[0].index(drop)
    (feed / file).write_text(
        "\n".join(",".join(r[:col] + r[col + 1 :]) for r in rows) + "\n", encoding="utf-8"
    )
    with pytest.raises(DataError, match=pattern):
        read_gtfs_lines(feed)


def test_gtfs_missing_file(tmp_path):
    feed = tmp_path / "gtfs"
    shutil.copytree(DATA / "tiny_gtfs" / "gtfs", feed)
    (feed / "trips.txt").unlink()
    with pytest.raises(DataError, match=r"trips\.txt: file is missing from the GTFS feed"):
        read_gtfs_lines(feed)
