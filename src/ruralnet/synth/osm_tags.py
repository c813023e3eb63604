"""How Chinese OpenStreetMap data names and tags things, for :mod:`ruralnet.synth.osm_extract`.

Name keys as an importer compares them, the forms in which mappers write a village
committee's name, invented Chinese village and township names with NBS-style codes for
synthetic counties, road tags as rural Shandong is mapped, and the GCJ-02 shift web maps apply.
"""

from __future__ import annotations

import math
import re
import unicodedata

import numpy as np
import pandas as pd

from ruralnet.data import CountyDataset

__all__ = [
    "TOWN_SUFFIXES",
    "gcj02_forward",
    "name_key",
    "name_variant",
    "road_tags",
    "village_list",
]

_GCJ_A = 6378245.0  # Krasovsky 1940 semi-major axis used by GCJ-02
_GCJ_EE = 0.00669342162296594323
_SUFFIXES = ("村民委员会", "居民委员会", "社区居委会", "村委会", "居委会", "委员会", "社区", "村")
#: Township suffixes an importer ignores (沙镇镇 → 沙镇).
TOWN_SUFFIXES = ("街道办事处", "办事处", "街道", "民族乡", "镇", "乡")
_DROP = re.compile(r"[\s\-_.,·・'’\"“”、/()\[\]〔〕【】]+")
_MIN_KEY = 2
_STREET_SHARE = 0.15
#: Invented names: a prefix, a surname and an ending (王庄, 东李家屯 ...).
_SURNAMES = list(
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
)
_ENDINGS = (
    "庄",
    "家",
    "屯",
    "集",
    "楼",
    "寨",
    "店",
    "营",
    "官屯",
    "家庄",
    "家洼",
    "桥",
    "河",
    "岭",
    "坡",
    "堡",
    "园",
    "铺",
    "窑",
    "湖",
)
_PREFIXES = ("", "", "", "东", "西", "南", "北", "前", "后", "大", "小", "新")


def name_key(name: str, suffixes: tuple[str, ...] = _SUFFIXES) -> str:
    """Return the matching key of a name as the importer documents it (NFKC, case, suffixes)."""
    key = _DROP.sub("", unicodedata.normalize("NFKC", name).casefold())
    changed = True
    while changed:
        changed = False
        for s in suffixes:
            if key.endswith(s) and len(key) - len(s) >= _MIN_KEY:
                key, changed = key[: -len(s)], True
                break
    return key


def _stem(name: str) -> str:
    """Drop the committee suffix (王屯村委会 → 王屯村, 张炉集新村村委会 → 张炉集新村)."""
    for s in ("村民委员会", "居民委员会", "社区居委会", "村委会", "居委会", "委员会"):
        if name.endswith(s) and len(name) > len(s) + 1:
            stem = name[: -len(s)]
            return stem if stem.endswith(("村", "社区")) else stem + "村"
    return name


def name_variant(name: str, rng: np.random.Generator) -> str:
    """Return one of the forms OSM mappers write a listed village's name in."""
    stem = _stem(name)
    bare = (
        stem[:-1]
        if stem.endswith("村") and not stem.endswith("新村") and len(stem) > _MIN_KEY
        else stem
    )
    forms = (
        stem,
        bare,
        name,
        stem.removesuffix("村") + "村民委员会" if stem.endswith("村") else name,
    )
    return forms[int(rng.choice(4, p=[0.5, 0.25, 0.15, 0.1]))]


def gcj02_forward(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 → GCJ-02 as a web map shows a point: the published forward formula.

    Written here independently of :mod:`ruralnet.prepare.coords` (a wing does not import
    another), so an import test checks that importer's inverse against this forward formula.
    """
    x, y = lon - 105.0, lat - 35.0
    dlat = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * math.pi) + 20.0 * np.sin(2.0 * x * math.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(y * math.pi) + 40.0 * np.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * math.pi) + 320 * np.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    )
    dlon = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * np.sqrt(np.abs(x))
        + (20.0 * np.sin(6.0 * x * math.pi) + 20.0 * np.sin(2.0 * x * math.pi)) * 2.0 / 3.0
        + (20.0 * np.sin(x * math.pi) + 40.0 * np.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * math.pi) + 300.0 * np.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    )
    rad = lat / 180.0 * math.pi
    magic = 1 - _GCJ_EE * np.sin(rad) ** 2
    sq = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_GCJ_A * (1 - _GCJ_EE)) / (magic * sq) * math.pi)
    dlon = (dlon * 180.0) / (_GCJ_A / sq * np.cos(rad) * math.pi)
    return lon + dlon, lat + dlat


def village_list(dataset: CountyDataset, rng: np.random.Generator) -> pd.DataFrame:
    """Return the village list: real codes and names where the ids are codes, invented ones otherwise."""
    villages = dataset.layers["villages"]
    towns = dataset.layers["townships"].set_index("township_id")
    frame = pd.DataFrame(
        {
            "village_id": villages["village_id"].astype(str),
            "name": villages["name"].astype(str),
            "township_id": villages["township_id"].astype(str),
        }
    )
    frame["township_name"] = frame["township_id"].map(towns["name"]).astype(str)
    if frame["village_id"].str.fullmatch(r"\d{12}").all():
        frame["code12"] = frame["village_id"]
        frame["township_code9"] = frame["township_id"]
        return frame
    tids = sorted(frame["township_id"].unique())
    tcode = {t: f"379901{100 + i:03d}" for i, t in enumerate(tids)}
    frame["township_code9"] = frame["township_id"].map(tcode)
    frame["code12"] = frame["township_code9"] + (frame.groupby("township_id").cumcount() + 201).map(
        "{:03d}".format
    )
    tnames = _town_names(len(tids), rng)
    frame["township_name"] = frame["township_id"].map(dict(zip(tids, tnames, strict=True)))
    names = pd.Series("", index=frame.index)
    for _, group in frame.groupby("township_id", sort=True):
        taken: set[str] = set()
        for idx in group.index:
            while True:
                pre = _PREFIXES[int(rng.integers(len(_PREFIXES)))]
                sur = _SURNAMES[int(rng.integers(len(_SURNAMES)))]
                base = pre + sur + _ENDINGS[int(rng.integers(len(_ENDINGS)))]
                if base not in taken:
                    taken.add(base)
                    break
            names[idx] = base + "村委会"
    frame["name"] = names
    return frame


def _town_names(k: int, rng: np.random.Generator) -> list[str]:
    out: list[str] = []
    stems: set[str] = set()
    while len(out) < k:
        name = (
            _SURNAMES[int(rng.integers(len(_SURNAMES)))]
            + _ENDINGS[int(rng.integers(len(_ENDINGS)))]
        )
        if name not in stems:  # unique without the suffix: 王庄镇 and 王庄街道 would clash
            stems.add(name)
            out.append(name + ("街道" if rng.uniform() < _STREET_SHARE else "镇"))
    return out


def road_tags(
    highway: str, name: str, rng: np.random.Generator, refs: dict[str, str]
) -> dict[str, str]:
    """Return the tags of a road as rural Shandong is mapped, from the generated class and name."""
    if highway == "primary":
        ref = refs.setdefault(name, f"G{[105, 309, 220, 308][len(refs) % 4]}")
        cls = "trunk" if ref == "G105" else "primary"
        return {
            "highway": cls,
            "ref": ref,
            "name": f"国道{ref[1:]}线",
            "surface": "asphalt",
            "lanes": "4",
        }
    if highway == "secondary":
        ref = refs.setdefault(name, f"S{240 + len(refs)}")
        return {"highway": "secondary", "ref": ref, "name": f"{ref}省道", "surface": "asphalt"}
    if highway == "tertiary":
        ref = refs.setdefault(name, f"X{len(refs):03d}")
        return {"highway": "tertiary", "ref": ref, "surface": "asphalt"}
    if highway == "track":
        return {
            "highway": "track",
            "tracktype": f"grade{int(rng.integers(3, 6))}",
            "surface": "dirt",
        }
    return {"highway": "unclassified"}
