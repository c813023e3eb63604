"""Infeasible scenarios shipped in tests/data/infeasible get explanations in planner terms."""

from __future__ import annotations

from pathlib import Path

import pytest

import ruralnet as rn
from ruralnet import cli

INFEASIBLE = Path(__file__).parent / "data" / "infeasible"


@pytest.mark.parametrize(
    ("name", "pattern"),
    [
        ("centre_capacity", r"at most 3 of 5 villages can be served \(the target needs 5; left out: V1, V5\)"),
        ("station_capacity", r"5 village\(s\) send more parcels per day than any station within reach can hold \(V1 \(77 > 50\)"),
        ("budget", r"phase 2024: its budget of 600,000 yuan cannot pay for a co-delivery centre in each of the 2 townships"),
        ("coverage_budget", r"at most 2 of 5 villages can be served in 2024 \(the target needs 4; left out: V1, V4, V5\)"),
        ("no_centre", r"township\(s\) T2 have villages but no candidate centre site"),
    ],
)  # fmt: skip
def test_explanations_name_the_villages_or_townships(name, pattern):
    with pytest.raises(rn.InfeasibleError, match=pattern):
        rn.solve(INFEASIBLE / f"{name}.toml")


def test_cli_exits_1_with_the_explanation(tmp_path, capsys):
    assert (
        cli.main(["run", str(INFEASIBLE / "centre_capacity.toml"), "-o", str(tmp_path / "o")]) == 1
    )
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 1 and "left out: V1, V5" in errors[0]
    assert not (tmp_path / "o").exists()
