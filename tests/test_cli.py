"""The command line: exit codes, one-line errors, nothing written on failure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ruralnet import cli

DATA = Path(__file__).parent / "data"


def test_run_verify_info(tmp_path, capsys):
    out = tmp_path / "out"
    assert cli.main(["run", str(DATA / "tiny.toml"), "-o", str(out), "--quiet"]) == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["verified"] is True
    assert (out / "map.html").stat().st_size > 1000
    # van routes are planned by default: files, KPIs from the routes, a map layer
    routes = json.loads((out / "routes.geojson").read_text(encoding="utf-8"))
    assert routes["features"] and summary["routes"]["vans"] >= 1
    assert summary["transport_per_day"]["van_km_source"].startswith("routes")
    stations = {
        f["properties"]["site_id"]
        for f in json.loads((out / "plan.geojson").read_text(encoding="utf-8"))["features"]
        if f["properties"]["role"] == "station"
    }
    visited = {
        s
        for f in routes["features"]
        if f["properties"]["tier"] == "feeder"
        for s in f["properties"]["stops"]
    }
    assert visited == stations  # every van-served station is on a route
    assert "Van routes" in (out / "map.html").read_text(encoding="utf-8")
    assert cli.main(["verify", str(DATA / "tiny.toml"), str(out)]) == 0
    assert "meets every rule" in capsys.readouterr().out
    assert cli.main(["info", str(DATA / "tiny")]) == 0
    assert "road km" in capsys.readouterr().out


def test_verify_catches_an_edited_plan(tmp_path, capsys):
    out = tmp_path / "out"
    assert cli.main(["run", str(DATA / "tiny.toml"), "--out", str(out), "-q", "--no-map"]) == 0
    villages = (out / "villages.csv").read_text(encoding="utf-8-sig").splitlines()
    villages[1] = villages[1].replace(",SV1,", ",SV5,")  # V1 to V5's station, 20 km away
    (out / "villages.csv").write_text("\n".join(villages), encoding="utf-8-sig")
    assert cli.main(["verify", str(DATA / "tiny.toml"), str(out)]) == 1
    err = capsys.readouterr().err
    assert "violation: own_village[V1]: served by station SV5, which stands in village V5" in err


@pytest.mark.parametrize(
    ("body", "pattern"),
    [
        ("[service]\nmax_acess_km = 2\n", "did you mean 'max_access_km'"),
        ("[station]\nupgrade_yuan = -1\n", "[station].upgrade_yuan"),
    ],
)
def test_bad_scenario_exits_2_with_one_line(tmp_path, capsys, body, pattern):
    (tmp_path / "tiny").symlink_to(DATA / "tiny")
    toml = tmp_path / "bad.toml"
    toml.write_text('[scenario]\nname = "x"\ndataset = "tiny"\n' + body, encoding="utf-8")
    out = tmp_path / "out"
    assert cli.main(["run", str(toml), "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("error: bad.toml") and pattern in err[0]
    assert not out.exists()


def test_missing_scenario_and_infeasible(tmp_path, capsys):
    assert cli.main(["run", str(tmp_path / "none.toml"), "-o", str(tmp_path / "o")]) == 2
    assert "scenario file not found" in capsys.readouterr().err
    (tmp_path / "tiny").symlink_to(DATA / "tiny")
    toml = tmp_path / "s.toml"
    toml.write_text(
        '[scenario]\nname = "x"\ndataset = "tiny"\n[station]\ncapacity_parcels_per_day = 10\n',
        encoding="utf-8",
    )
    assert cli.main(["run", str(toml), "-o", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "raise [station].capacity_parcels_per_day" in err[0]
    assert not (tmp_path / "o").exists()


def test_compare_two_written_plans(tmp_path, capsys):
    a, b = tmp_path / "a", tmp_path / "b"
    assert cli.main(["run", str(DATA / "tiny.toml"), "-o", str(a), "-q", "--no-map"]) == 0
    (tmp_path / "tiny").symlink_to(DATA / "tiny")
    toml = tmp_path / "wide.toml"
    toml.write_text(
        f'[scenario]\nextends = "{(DATA / "tiny.toml").as_posix()}"\nname = "wide"\n'
        "[station]\noperating_yuan_per_year = 60000\n[service]\nmax_access_km = 12.0\n",
        encoding="utf-8",
    )
    assert cli.main(["run", str(toml), "-o", str(b), "-q", "--no-map"]) == 0
    capsys.readouterr()
    assert cli.main(["compare", str(a), str(b), "--map", str(tmp_path / "both.html")]) == 0
    text = capsys.readouterr().out
    assert "total_cost_yuan_per_year" in text and "only in A" in text
    assert (tmp_path / "both.html").stat().st_size > 10_000
    assert cli.main(["compare", str(a), str(tmp_path / "nothing")]) == 2


def test_batch_reports_each_job(tmp_path, capsys):
    (tmp_path / "tiny").symlink_to(DATA / "tiny")
    (tmp_path / "good.toml").write_text(
        '[scenario]\nname = "good"\ndataset = "tiny"\n', encoding="utf-8"
    )
    (tmp_path / "bad.toml").write_text(
        '[scenario]\nname = "bad"\ndataset = "tiny"\n[service]\nmax_acess_km = 2\n',
        encoding="utf-8",
    )
    code = cli.main(
        [
            "batch",
            str(tmp_path / "good.toml"),
            str(tmp_path / "bad.toml"),
            "-o",
            str(tmp_path / "out"),
            "--no-map",
            "-q",
        ]
    )
    assert code == 1
    errors = [e for e in capsys.readouterr().err.splitlines() if e.startswith("error: ")]
    assert errors == [
        "error: bad.toml [service].max_acess_km: unknown key; did you mean 'max_access_km'?"
    ]
    assert json.loads((tmp_path / "out" / "good" / "summary.json").read_text(encoding="utf-8"))[
        "verified"
    ]
    assert (tmp_path / "out" / "batch_summary.csv").exists()
