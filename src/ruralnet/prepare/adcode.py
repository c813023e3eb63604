"""Real points from the statistics bureau's 2016 units (adcode), matched to the 2022 list.

``adcode2016_points.csv`` (GitHub ``Vonng/adcode``, CC BY 4.0) holds the NBS 统计用区划代码
**2016** units of a county, five levels, with an Amap (高德) point for some of them and the
official urban–rural class (城乡分类代码, ``ur_code``). Its points are **GCJ-02**; they are
converted to WGS84 here with :func:`ruralnet.prepare.coords.to_wgs84`.

2016 is before Shandong's village mergers (合村并居), so codes and names differ from the 2022
list. The match, in this order:

* **townships**: by :func:`~ruralnet.prepare.names.township_key` (镇/乡/街道办事处 removed,
  the variant 阎 read as 闫), else by the same nine-digit code;
* **villages**, among the 2022 administrative villages of the matched township, one rule at a
  time, a rule counting only when it finds exactly one 2022 village:
  ``same name`` (equal :func:`~ruralnet.prepare.names.name_key`), ``namesake`` (equal after
  also dropping a trailing 新 or Chinese numeral: 张炉集 → 张炉集新村, 夏格庄二村 → 夏格庄村),
  ``first part`` (the 2022 name starts with the 2016 one: 南关 → 南关油坊村).

A point is used only when it lies inside the county boundary and no other 2016 unit has the
very same coordinates (a shared point is a geocoder's fallback, not a place). A 2022 village
matched by several 2016 units with points takes their mean; its ``ur_code`` is the set of
their classes. The urban centre is the median of the used points classed 111 (主城区).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from ruralnet.errors import DataError
from ruralnet.prepare.coords import to_wgs84
from ruralnet.prepare.inputs import read_boundary, read_village_list
from ruralnet.prepare.names import name_key, township_key

__all__ = ["ADCODE_ATTRIBUTION", "ADCODE_LABEL", "AdcodeMatch", "match_adcode_points"]

logger = logging.getLogger(__name__)

#: The attribution the licence asks for, wherever the points are shown.
ADCODE_ATTRIBUTION = (
    "Township seats and village points: adcode by Vonng, CC BY 4.0 (GitHub Vonng/adcode): "
    "NBS 统计用区划代码 2016 with Amap (高德) points, converted from GCJ-02 to WGS84"
)
#: Value of the ``position_source`` columns for a point taken from this file.
ADCODE_LABEL = "adcode2016"
#: 城乡分类代码 of the main urban area (主城区).
URBAN_CORE_CODE = "111"
_COLUMNS = ("code12", "parent_code12", "name", "level", "ur_code", "lon_gcj02", "lat_gcj02")
_VARIANTS = str.maketrans({"阎": "闫"})
_NUMERALS = "一二三四五六七八九十"
_MIN_KEY = 2
RULES = ("same name", "namesake", "first part")


@dataclass(frozen=True)
class AdcodeMatch:
    """What the 2016 file gives a 2022 county.

    Attributes
    ----------
    points
        The real points in the form :func:`ruralnet.synth.county.generate_county` takes:
        ``kind`` (``seat``, ``village``, ``urban_centre``), ``id`` (2022 ``township_id`` or
        ``village_id``; empty for the urban centre), WGS84 ``lon``/``lat`` (NaN for a village
        that has only an ``ur_code``), ``ur_code`` (2016 classes of the village's
        counterparts, ``/``-joined) and ``note`` (which 2016 units and rule).
    report
        One row per 2016 unit with a point: ``code12``, ``name``, ``level``, ``ur_code``,
        ``outcome`` (``used``, ``no 2022 counterpart``, ``ambiguous``, ``outside boundary``,
        ``shared point``), ``rule``, the 2022 ``target_id`` and ``target_name``.
    matches
        Every 2016 village matched to a 2022 administrative village, with or without a point:
        ``code12``, ``name``, ``ur_code``, ``rule``, ``village_id``, ``village_name``.
    """

    points: pd.DataFrame
    report: pd.DataFrame
    matches: pd.DataFrame

    def counts(self) -> dict[str, int]:
        """Seats, village points and ur_codes found, and the 2016 points by outcome."""
        pts = self.points
        out = {
            "seats": int((pts["kind"] == "seat").sum()),
            "village_points": int(((pts["kind"] == "village") & pts["lon"].notna()).sum()),
            "villages_with_ur_code": int((pts["kind"] == "village").sum()),
        }
        for outcome, n in self.report["outcome"].value_counts().sort_index().items():
            out[f"2016 points {outcome}"] = int(n)
        return out


def _read_adcode(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise DataError(path, "the adcode points file does not exist", "Check the path")
    frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    missing = [c for c in _COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(
            path,
            f"column(s) {', '.join(missing)} missing",
            f"Use the columns {', '.join(_COLUMNS)}",
        )
    frame = frame.apply(lambda col: col.str.strip())
    lon = pd.to_numeric(frame["lon_gcj02"], errors="coerce")
    lat = pd.to_numeric(frame["lat_gcj02"], errors="coerce")
    bad = (frame["lon_gcj02"] != "") & (lon.isna() | lat.isna())
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0]) + 1
        raise DataError(path, "lon_gcj02/lat_gcj02 are not degrees", "Fix the row", row=row)
    has = lon.notna().to_numpy()
    frame["lon"], frame["lat"] = np.nan, np.nan
    if has.any():
        x, y = to_wgs84(lon[has].to_numpy(), lat[has].to_numpy(), "gcj02")
        frame.loc[has, "lon"], frame.loc[has, "lat"] = np.atleast_1d(x), np.atleast_1d(y)
    pair = frame["lon_gcj02"] + "," + frame["lat_gcj02"]
    frame["shared"] = has & pair.duplicated(keep=False).to_numpy()
    return frame


def _town_key(name: str) -> str:
    return township_key(name.translate(_VARIANTS))


def merger_key(name: str) -> str:
    """
    Key of a village name with a trailing 新 or Chinese numeral dropped as well.

    Parameters
    ----------
    name
        e.g. ``张炉集新村村委会``, ``夏格庄二村村委会``.

    Returns
    -------
    str
        e.g. ``张炉集``, ``夏格庄`` (never shorter than two characters).
    """
    key = name_key(name.translate(_VARIANTS))
    stripped = re.sub(f"(新|[{_NUMERALS}]+)$", "", key)
    return stripped if len(stripped) >= _MIN_KEY else key


def _townships(adcode: pd.DataFrame, townships_csv: Path) -> dict[str, str]:
    """Map each 2016 town's nine-digit code to its 2022 township code."""
    t22 = pd.read_csv(townships_csv, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    if "township_code9" not in t22.columns or "name" not in t22.columns:
        raise DataError(townships_csv, "columns township_code9, name missing", "See data/README.md")
    t22 = t22[t22["township_code9"] != ""]
    by_key = {_town_key(n): c for c, n in zip(t22["township_code9"], t22["name"], strict=True)}
    codes = set(t22["township_code9"])
    out = {}
    for code12, name in adcode.loc[adcode["level"] == "town", ["code12", "name"]].itertuples(
        index=False
    ):
        code9 = code12[:9]
        target = by_key.get(_town_key(name)) or (code9 if code9 in codes else None)
        if target is not None:
            out[code9] = target
    return out


def _match_village(
    name: str, candidates: pd.DataFrame
) -> tuple[str | None, str, str]:  # village_id, rule, outcome
    if candidates.empty:
        return None, "", "no 2022 counterpart"
    tests = (
        ("same name", candidates["key"] == name_key(name.translate(_VARIANTS))),
        ("namesake", candidates["mkey"] == merger_key(name)),
        ("first part", candidates["mkey"].str.startswith(merger_key(name))),
    )
    for rule, hit in tests:
        n = int(hit.sum())
        if n == 1:
            return str(candidates.loc[hit, "code12"].iloc[0]), rule, "used"
        if n > 1:
            return None, rule, "ambiguous"
    return None, "", "no 2022 counterpart"


def _village_matches(
    adcode: pd.DataFrame, villages: pd.DataFrame, town: dict[str, str]
) -> pd.DataFrame:
    """Match every 2016 village to a 2022 administrative village (one row per 2016 village)."""
    villages = villages.assign(
        key=villages["name"].map(lambda n: name_key(n.translate(_VARIANTS))),
        mkey=villages["name"].map(merger_key),
    )
    groups = dict(tuple(villages.groupby("township_code9")))
    rows = []
    for unit in adcode[adcode["level"] == "village"].itertuples(index=False):
        township = town.get(unit.parent_code12[:9])
        cand = groups.get(township, villages.iloc[:0]) if township else villages.iloc[:0]
        vid, rule, outcome = _match_village(unit.name, cand)
        rows.append((unit.code12, vid, rule, outcome))
    return pd.DataFrame(rows, columns=["code12", "village_id", "rule", "outcome"])


def _point_outcome(unit: pd.Series, inside: bool, matched: str) -> str:
    if unit["shared"]:
        return "shared point"
    if not inside:
        return "outside boundary"
    return matched


def match_adcode_points(
    points_csv: str | Path,
    villages_csv: str | Path,
    townships_csv: str | Path,
    boundary_path: str | Path,
) -> AdcodeMatch:
    """
    Match a county's 2016 adcode units to its 2022 townships and administrative villages.

    Parameters
    ----------
    points_csv
        ``adcode2016_points.csv``: ``code12``, ``parent_code12``, ``name``, ``level``
        (``town``/``village``), ``ur_code``, ``lon_gcj02``, ``lat_gcj02``.
    villages_csv
        The NBS 2022 village list (``villages_stats2022.csv``).
    townships_csv
        The 2022 township list (``townships.csv``: ``township_code9``, ``name``).
    boundary_path
        County boundary in WGS84; points outside it are not used.

    Returns
    -------
    AdcodeMatch
        The real points (WGS84), the report per 2016 point and every village match.

    Raises
    ------
    DataError
        For a missing file or column, or coordinates that are not degrees.
    """
    src = Path(points_csv)
    adcode = _read_adcode(src)
    villages = read_village_list(villages_csv)
    names22 = dict(zip(villages["code12"], villages["name"], strict=True))
    town = _townships(adcode, Path(townships_csv))
    area = read_boundary(boundary_path).geometry
    has = adcode["lon"].notna().to_numpy()
    inside = np.zeros(len(adcode), bool)
    inside[has] = shapely.contains_xy(area, adcode.loc[has, "lon"], adcode.loc[has, "lat"])
    vm = _village_matches(adcode, villages, town).set_index("code12")
    report, seats, vpts = [], [], []
    for i, unit in adcode.iterrows():
        if unit["level"] == "town":
            target = town.get(unit["code12"][:9])
            matched, rule = ("used", "township") if target else ("no 2022 counterpart", "")
        else:
            m = vm.loc[unit["code12"]]
            target = m["village_id"] if isinstance(m["village_id"], str) else None
            rule, matched = m["rule"], m["outcome"]
        if not has[i]:
            continue
        outcome = _point_outcome(unit, bool(inside[i]), matched)
        report.append(
            (
                unit["code12"],
                unit["name"],
                unit["level"],
                unit["ur_code"],
                outcome,
                rule,
                target or "",
                names22.get(target, "") if unit["level"] == "village" else "",
            )
        )
        if outcome == "used":
            (seats if unit["level"] == "town" else vpts).append((target, i, rule))
    report_df = pd.DataFrame(
        report,
        columns=[
            "code12",
            "name",
            "level",
            "ur_code",
            "outcome",
            "rule",
            "target_id",
            "target_name",
        ],
    )
    points = _points_frame(adcode, vm, seats, vpts, inside)
    matched = vm[vm["village_id"].notna()].reset_index()
    matched = matched.merge(adcode[["code12", "name", "ur_code"]], on="code12")
    matched["village_name"] = matched["village_id"].map(names22)
    matched = matched[["code12", "name", "ur_code", "rule", "village_id", "village_name"]]
    result = AdcodeMatch(points=points, report=report_df, matches=matched)
    logger.info("%s: %s", src.name, result.counts())
    return result


def _points_frame(
    adcode: pd.DataFrame,
    vm: pd.DataFrame,
    seats: list[tuple[str, int, str]],
    vpts: list[tuple[str, int, str]],
    inside: np.ndarray,
) -> pd.DataFrame:
    """Seats, villages (points and ur_codes) and the urban centre in the generator's form."""
    rows = []
    for tid, i, _ in sorted(seats):
        unit = adcode.loc[i]
        rows.append(("seat", tid, unit["lon"], unit["lat"], "", f"{unit['code12']} {unit['name']}"))
    with_point = {}
    for vid, i, rule in vpts:
        with_point.setdefault(vid, []).append((i, rule))
    matched = vm[vm["village_id"].notna()].reset_index()
    matched = matched.merge(adcode[["code12", "name", "ur_code"]], on="code12")
    for vid, group in matched.groupby("village_id", sort=True):
        codes = "/".join(sorted({c for c in group["ur_code"] if c}))
        own = with_point.get(vid, [])
        if own:
            idx = [i for i, _ in own]
            lon, lat = adcode.loc[idx, "lon"].mean(), adcode.loc[idx, "lat"].mean()
            note = "; ".join(
                f"{adcode.loc[i, 'code12']} {adcode.loc[i, 'name']} ({rule})" for i, rule in own
            )
        else:
            lon = lat = np.nan
            note = "; ".join(
                f"{c} {n} ({r})"
                for c, n, r in group[["code12", "name", "rule"]].itertuples(index=False)
            )
        rows.append(("village", vid, lon, lat, codes, note))
    core = (
        (adcode["ur_code"] == URBAN_CORE_CODE) & adcode["lon"].notna() & inside & ~adcode["shared"]
    )
    if core.any():
        rows.append(
            (
                "urban_centre",
                "",
                float(adcode.loc[core, "lon"].median()),
                float(adcode.loc[core, "lat"].median()),
                URBAN_CORE_CODE,
                f"median of {int(core.sum())} adcode 2016 points classed 111 (主城区)",
            )
        )
    return pd.DataFrame(rows, columns=["kind", "id", "lon", "lat", "ur_code", "note"])
