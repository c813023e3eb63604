"""The README documents every scenario key, opens with the two set-up commands, and its section links resolve."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ruralnet.scenario import Phase, Scenario

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").glob("*.md"))


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


def _anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


@pytest.mark.parametrize("name", ["README.md", "README.zh-CN.md", *DOCS])
def test_every_link_to_a_section_finds_its_heading(name: str):
    path = ROOT / name
    text = path.read_text(encoding="utf-8")
    headings = {_anchor(h) for h in re.findall(r"^#{1,6} (.+)$", text, flags=re.MULTILINE)}
    for target, anchor in re.findall(r"\]\(([^)#\s]*)#([^)\s]+)\)", text):
        if target.startswith("http"):
            continue
        where = (path.parent / target) if target else path
        if where.suffix != ".md" or not where.exists():
            continue
        found = (
            headings
            if not target
            else {
                _anchor(h)
                for h in re.findall(
                    r"^#{1,6} (.+)$", where.read_text(encoding="utf-8"), flags=re.MULTILINE
                )
            }
        )
        assert anchor in found, f"{name}: link to {target}#{anchor} finds no heading"
