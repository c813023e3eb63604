"""Chinese name normalisation and matching."""

from __future__ import annotations

import pytest

from ruralnet.prepare.names import NameIndex, name_key, normalise_text, osm_names, township_key


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("王屯村委会", "王屯村"),
        ("王屯村民委员会", "王屯"),
        ("古城社区居委会", "古城社区"),
        ("古城社区居民委员会", "古城"),
        ("张庄（东）村委会", "张庄(东)村"),
        ("ＡＢ村委会", "ab村"),
        (" 王 屯 村 ", "王屯"),
        ("Gamprin-Bendern", "gamprin bendern"),
    ],
)
def test_same_village_same_key(a, b):
    assert name_key(a) == name_key(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [("王屯村委会", "王庄村委会"), ("张庄(东)村", "张庄(西)村"), ("东村", "西村")],
)
def test_different_villages_differ(a, b):
    assert name_key(a) != name_key(b)


def test_short_names_keep_their_suffix():
    assert name_key("新村") == "新村"
    assert name_key("新村村委会") == "新村"
    assert name_key("") == ""


def test_township_key_matches_seat_and_boundary():
    assert township_key("沙镇镇") == township_key("沙镇")
    assert township_key("古楼街道") == township_key("古楼街道办事处") == "古楼"
    assert township_key("梁水镇镇") == township_key("梁水镇") == "梁水"
    assert township_key("Vaduz") == "vaduz"


def test_normalise_text_full_width():
    assert normalise_text("ＡＢＣ　１２３") == "abc123"


def test_osm_names_reads_chinese_tags():
    tags = {"name": "王屯", "name:zh": "王屯村", "name:zh-Hans": "王屯", "place": "village"}
    assert osm_names(tags) == ["王屯", "王屯村"]


def test_name_index_lookup_and_ambiguity():
    index = NameIndex()
    index.add("a", ["王屯"])
    index.add("b", ["李庄", "李庄村"])
    index.add("c", ["李庄村"])
    assert index.lookup("王屯村委会") == ["a"]
    assert index.lookup("李庄村民委员会") == ["b", "c"]
    assert index.lookup("赵楼") == []
    towns = NameIndex(key=township_key)
    towns.add(1, ["沙镇"])
    assert towns.lookup("沙镇镇") == [1]
