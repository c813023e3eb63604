"""The README documents every scenario key and opens with the two set-up commands."""

from __future__ import annotations

from pathlib import Path

from ruralnet.scenario import Phase, Scenario

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")


def test_every_scenario_key_is_in_the_readme_table():
    for section, field in Scenario.model_fields.items():
        if section in {"source", "phases"}:
            continue
        for key in field.annotation.model_fields:
            assert f"| `[{section}]` | `{key}` |" in README, f"[{section}].{key} undocumented"
    for key in Phase.model_fields:
        assert f"| `[[phases]]` | `{key}` |" in README, f"[[phases]].{key} undocumented"


def test_readme_opens_with_two_commands():
    block = README.split("```")[1].strip().splitlines()[1:]
    assert len(block) == 2
    assert "ruralnet run scenarios/dongchangfu.toml" in block[0]
    assert "pytest" in block[1]
