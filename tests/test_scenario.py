"""Scenario files: defaults, validation, one-line errors naming file, key and fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from ruralnet.errors import ScenarioError
from ruralnet.scenario import annuity_factor, load_scenario

DATA = Path(__file__).parent / "data"


def write(tmp_path: Path, body: str) -> Path:
    (tmp_path / "tiny").symlink_to(DATA / "tiny")
    path = tmp_path / "s.toml"
    path.write_text('[scenario]\nname = "x"\ndataset = "tiny"\n' + body, encoding="utf-8")
    return path


def test_defaults_load():
    s = load_scenario(DATA / "tiny.toml")
    assert s.service.max_access_km == 5.0
    assert s.station.new_build_yuan == 25_000  # DOMAIN.md C1-C3
    assert s.dataset_path.is_dir()


@pytest.mark.parametrize(
    ("body", "pattern"),
    [
        (
            "[service]\nmax_acess_km = 2\n",
            r"s\.toml \[service\]\.max_acess_km: unknown key; did you mean 'max_access_km'\?",
        ),
        (
            "[station]\nnew_build_yuan = -2\n",
            r"\[station\]\.new_build_yuan: .*greater than or equal to 0.*-2",
        ),
        ('[station]\nnew_build_yuan = "lots"\n', r"\[station\]\.new_build_yuan: .*valid number"),
        ("[station]\nnew_build_yuan = nan\n", r"new_build_yuan: must be a finite number"),
        ("[service]\ncoverage_target = 1.5\n", r"coverage_target: .*less than or equal to 1"),
        ('[solver]\nbackend = "gurobi"\n', r"\[solver\]\.backend: .*'highs'"),
        (
            '[solver]\nlp_screening = "maybe"\n',
            r"\[solver\]\.lp_screening: .*must be true, false or \"auto\", got 'maybe'; fix",
        ),
        ("[sevice]\nx = 1\n", r"\[sevice\]: unknown key; did you mean 'service'\?"),
    ],
)
def test_bad_values_name_file_and_key(tmp_path, body, pattern):
    with pytest.raises(ScenarioError, match=pattern):
        load_scenario(write(tmp_path, body))


def test_missing_dataset_folder(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('[scenario]\nname = "x"\ndataset = "nowhere"\n', encoding="utf-8")
    with pytest.raises(
        ScenarioError, match=r"\[scenario\]\.dataset: folder .*nowhere does not exist"
    ):
        load_scenario(path)


def test_missing_file_and_bad_toml(tmp_path):
    with pytest.raises(ScenarioError, match="scenario file not found"):
        load_scenario(tmp_path / "none.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[scenario\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="not a valid UTF-8 TOML"):
        load_scenario(bad)


def test_overrides_are_revalidated():
    s = load_scenario(DATA / "tiny.toml")
    assert s.with_overrides({"solver": {"time_limit_s": 5}}).solver.time_limit_s == 5
    with pytest.raises(ScenarioError, match="time_limit_s"):
        s.with_overrides({"solver": {"time_limit_s": -5}})


def test_annuity_factor():
    assert annuity_factor(0.0, 10) == pytest.approx(0.1)
    # 5 % over 10 years: 0.05 / (1 - 1.05**-10) = 0.129505
    assert annuity_factor(0.05, 10) == pytest.approx(0.129505, rel=1e-5)
