"""Every person-facing text has its Chinese translation; --lang zh gives Chinese outputs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from ruralnet import cli
from ruralnet.i18n import LANGUAGES, catalogue_path, translator

SRC = Path(__file__).parents[1] / "src" / "ruralnet"
DATA = Path(__file__).parent / "data"
PLACEHOLDER = re.compile(r"\{(\w*)[^}]*\}")


def source_messages() -> set[str]:
    found = extract_from_dir(
        str(SRC), method_map=[("**.py", "python")], keywords={"_": None, "N_": None}
    )
    return {message for _file, _line, message, _comments, _context in found if message}


def catalogue(lang: str) -> dict[str, str]:
    with catalogue_path(lang).open("rb") as po:
        return {m.id: m.string for m in read_po(po) if m.id}


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_every_text_is_translated_with_the_same_placeholders(lang: str):
    texts, translated = source_messages(), catalogue(lang)
    assert len(texts) > 100
    missing = sorted(texts - {k for k, v in translated.items() if v})
    assert not missing, f"add translations for: {missing[:10]}"
    stale = sorted(set(translated) - texts)
    assert not stale, f"remove texts no longer in the code: {stale[:10]}"
    for english, text in translated.items():
        assert set(PLACEHOLDER.findall(english)) == set(PLACEHOLDER.findall(text)), english


def test_english_is_the_message_itself_and_chinese_differs():
    assert translator("en")("villages covered") == "villages covered"
    assert translator("zh")("villages covered") == "覆盖的行政村"
    assert translator("zh")("a text nobody translated") == "a text nobody translated"
    with pytest.raises(ValueError, match="language must be one of"):
        translator("fr")


def test_run_in_chinese(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    out = tmp_path / "plan"
    assert cli.main(["run", str(DATA / "tiny.toml"), "-o", str(out), "--lang", "zh"]) == 0
    printed = capsys.readouterr().out
    assert "覆盖的行政村" in printed and "年总成本" in printed
    assert "选址 → 排线 → 重新定价的迭代轮次" in printed  # the rounds, the kept one's routed total
    total = json.loads((out / "summary.json").read_text(encoding="utf-8"))[
        "total_cost_yuan_per_year"
    ]
    assert f"{total:,.0f}" in printed
    targets = (out / "targets.md").read_text(encoding="utf-8")
    assert targets.startswith("# 政策目标对照：")
    assert "| 目标项 | 统计口径 | 依据 | 目标 | 规划值 | 是否达标 |" in targets
    assert "每个乡镇都有快递共配中心" in targets
    page = (out / "report.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in page and "政策目标" in page and "<svg" in page
    assert "srcdoc=" in page  # the map is inside the page, nothing to fetch
    assert "乡镇快递共配中心" in (out / "map.html").read_text(encoding="utf-8")


def test_run_in_english_by_default(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    out = tmp_path / "plan"
    assert cli.main(["run", str(DATA / "tiny.toml"), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "villages covered" in printed
    assert "re-price rounds" in printed and "0 ✓" in printed  # round 0 kept, round 1 repeats it
    assert "1 =" in printed
    assert (out / "targets.md").read_text(encoding="utf-8").startswith("# Policy targets:")
    assert '<html lang="en">' in (out / "report.html").read_text(encoding="utf-8")


def test_unknown_language_is_one_error_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    code = cli.main(["run", str(DATA / "tiny.toml"), "-o", str(tmp_path / "p"), "--lang", "fr"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith("error:") and "[report].language" in err[0]
    assert not (tmp_path / "p").exists()
