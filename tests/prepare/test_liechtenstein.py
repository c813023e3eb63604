"""The fully real chain: prepare the OSM extract, then plan it with its real bus routes."""

from __future__ import annotations

from pathlib import Path

import ruralnet as rn
from ruralnet import cli

ROOT = Path(__file__).resolve().parents[2]
LI = Path(__file__).parents[1] / "data" / "liechtenstein"


def test_prepare_cli_rebuilds_the_shipped_dataset(tmp_path, capsys):
    out = tmp_path / "li"
    code = cli.main([
        "prepare",
        "--osm", str(LI / "liechtenstein-2013-08-03.osm.pbf"),
        "--boundary", str(LI / "country_boundary.geojson"),
        "-o", str(out),
    ])  # fmt: skip
    assert code == 0
    assert "bus: 17 lines" in capsys.readouterr().out
    shipped = ROOT / "data" / "liechtenstein"
    for name in (
        "roads.geojson",
        "villages.geojson",
        "bus_stops.geojson",
        "bus_lines.csv",
        "dataset.toml",
    ):
        assert (out / name).read_bytes() == (shipped / name).read_bytes(), name


def test_liechtenstein_plan_uses_real_buses():
    plan = rn.solve(ROOT / "scenarios" / "liechtenstein.toml")
    summary = plan.summary()
    assert summary["verified"] and summary["coverage_share"] == 1.0
    rides = summary["parcels_per_day_by_mode"]
    assert rides["feeder"].get("bus", 0) > 0 or rides["trunk"].get("bus", 0) > 0
    assert summary["saving_vs_all_van_yuan_per_year"] > 0
    used = plan.bus_lines[plan.bus_lines["parcels_per_day"] > 0]
    assert len(used) >= 2
    assert (used["load_factor"] <= 1 + 1e-9).all()
