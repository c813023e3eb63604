"""Real points a generated county keeps: township seats, village positions, the urban centre.

:class:`RealPoints` is what :func:`ruralnet.synth.county.generate_county` takes: a table of
WGS84 points with their kind and id (for the shipped counties it comes from
:func:`ruralnet.prepare.adcode.match_adcode_points`), the label its points carry in the
``position_source`` columns and the attribution line of their source. :func:`fix_points`
turns it into projected arrays aligned with the village and township lists; :func:`drop_urban`
leaves out the villages the official urban–rural class marks as urban.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

__all__ = ["GENERATED", "Fixed", "RealPoints", "drop_urban", "fix_points", "no_fixed"]

logger = logging.getLogger(__name__)

#: ``position_source`` of a generated point.
GENERATED = "generated"
_COLUMNS = ("kind", "id", "lon", "lat", "ur_code", "note")
_KINDS = ("seat", "village", "urban_centre")


@dataclass(frozen=True)
class RealPoints:
    """Real points for a generated county.

    Parameters
    ----------
    points
        ``kind`` (``seat``: ``id`` is a township id; ``village``: ``id`` is a village id;
        ``urban_centre``: the centre of the main urban area, where the hub and the village-free
        core go), WGS84 ``lon``/``lat`` (NaN for a village row that only carries an
        ``ur_code``), ``ur_code`` (the official 城乡分类代码, ``/``-joined when several) and
        ``note`` (where the point comes from; shown in the ``source`` columns).
    label
        The ``position_source`` value of these points, e.g. ``adcode2016``.
    attribution
        The attribution line of their source (kept in ``dataset.toml``).
    """

    points: pd.DataFrame
    label: str
    attribution: str

    def __post_init__(self) -> None:
        missing = [c for c in _COLUMNS if c not in self.points.columns]
        bad = sorted(set(self.points["kind"]) - set(_KINDS)) if not missing else []
        if missing or bad:
            msg = f"real points need columns {_COLUMNS} and kinds {_KINDS}; got {missing or bad}"
            raise ValueError(msg)


@dataclass(frozen=True)
class Fixed:
    """Real points aligned with the lists: NaN rows / empty notes where a point is unknown."""

    seat_xy: np.ndarray  # (k, 2) projected
    seat_note: np.ndarray  # (k,) str
    village_xy: np.ndarray  # (n, 2) projected
    village_note: np.ndarray  # (n,) str
    ur_code: np.ndarray  # (n,) str
    urban_xy: np.ndarray | None
    urban_note: str
    label: str

    @property
    def seat_fixed(self) -> np.ndarray:
        """Boolean per township: its seat is real."""
        return ~np.isnan(self.seat_xy[:, 0])

    @property
    def village_fixed(self) -> np.ndarray:
        """Boolean per village: its position is real."""
        return ~np.isnan(self.village_xy[:, 0])

    def seat_source(self) -> np.ndarray:
        """``position_source`` per township seat."""
        return np.where(self.seat_fixed, self.label, GENERATED)

    def village_source(self) -> np.ndarray:
        """``position_source`` per village."""
        return np.where(self.village_fixed, self.label, GENERATED)


def no_fixed(n: int, k: int) -> Fixed:
    """Nothing real: every position generated."""
    return Fixed(
        seat_xy=np.full((k, 2), np.nan),
        seat_note=np.full(k, "", dtype=object),
        village_xy=np.full((n, 2), np.nan),
        village_note=np.full(n, "", dtype=object),
        ur_code=np.full(n, "", dtype=object),
        urban_xy=None,
        urban_note="",
        label=GENERATED,
    )


def drop_urban(
    villages: pd.DataFrame, real: RealPoints | None, codes: tuple[str, ...]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """
    Leave out the villages whose ``ur_code`` is one of ``codes`` (urban units get no rural station).

    Parameters
    ----------
    villages
        ``village_id``, ``name``, ``township_id``.
    real
        The real points (their village rows carry the ``ur_code``); None drops nothing.
    codes
        Classes treated as urban, e.g. ``("111",)`` (主城区); a mixed class such as
        ``111/112`` is not dropped.

    Returns
    -------
    tuple of pandas.DataFrame
        The villages kept and the villages dropped (with their ``ur_code`` and ``note``).
    """
    if real is None or not codes:
        return villages, villages.iloc[:0]
    pts = real.points[real.points["kind"] == "village"]
    urban = pts[pts["ur_code"].isin(codes)].set_index("id")
    out = villages["village_id"].isin(urban.index)
    dropped = villages[out].copy()
    dropped["ur_code"] = dropped["village_id"].map(urban["ur_code"])
    dropped["note"] = dropped["village_id"].map(urban["note"])
    if len(dropped):
        logger.info(
            "%d village(s) classed urban (%s) left out: %s",
            len(dropped),
            "/".join(codes),
            ", ".join(dropped["name"]),
        )
    return villages[~out].reset_index(drop=True), dropped.reset_index(drop=True)


def _project(points: pd.DataFrame, crs: str) -> np.ndarray:
    tr = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    x, y = tr.transform(points["lon"].to_numpy(float), points["lat"].to_numpy(float))
    return np.column_stack([x, y])


def fix_points(
    real: RealPoints,
    villages: pd.DataFrame,
    townships: pd.DataFrame,
    crs: str,
    area: shapely.Geometry,
) -> Fixed:
    """
    Align real points with the village and township lists, projected to ``crs``.

    Parameters
    ----------
    real
        The real points.
    villages, townships
        The lists (``village_id``, ``township_id``), in generator order.
    crs
        Projected CRS of the generator.
    area
        County polygon in ``crs``; every real point must lie inside it.

    Returns
    -------
    Fixed
        Seats, village positions, classes and the urban centre. Points of units not in the
        lists (townships without administrative villages, villages left out) are not used.

    Raises
    ------
    ValueError
        When a point lies outside the county, or two real points coincide.
    """
    pts = real.points.copy()
    has = pts["lon"].notna().to_numpy()
    xy = np.full((len(pts), 2), np.nan)
    if has.any():
        xy[has] = _project(pts[has], crs)
    outside = has & ~shapely.contains_xy(area, xy[:, 0], xy[:, 1])
    if outside.any():
        msg = f"real points outside the county: {', '.join(pts.loc[outside, 'note'])}"
        raise ValueError(msg)
    fixed = no_fixed(len(villages), len(townships))
    seat = pts["kind"].eq("seat").to_numpy()
    village = pts["kind"].eq("village").to_numpy()
    t_row = pd.Series(np.arange(len(townships)), index=townships["township_id"].to_numpy())
    v_row = pd.Series(np.arange(len(villages)), index=villages["village_id"].to_numpy())
    for mask, rows, target_xy, notes in (
        (seat & has, t_row, fixed.seat_xy, fixed.seat_note),
        (village & has, v_row, fixed.village_xy, fixed.village_note),
    ):
        ids = pts.loc[mask, "id"].to_numpy()
        known = np.isin(ids, rows.index)
        at = rows.loc[ids[known]].to_numpy()
        target_xy[at] = xy[mask][known]
        notes[at] = pts.loc[mask, "note"].to_numpy()[known]
    known_v = pts.loc[village, "id"].isin(v_row.index).to_numpy()
    codes = pts.loc[village, "ur_code"].to_numpy()[known_v]
    fixed.ur_code[v_row.loc[pts.loc[village, "id"].to_numpy()[known_v]].to_numpy()] = codes
    used = np.vstack([fixed.seat_xy[fixed.seat_fixed], fixed.village_xy[fixed.village_fixed]])
    if len(np.unique(np.round(used, 1), axis=0)) < len(used):
        msg = "two real points coincide; keep one of them"
        raise ValueError(msg)
    centre = pts["kind"].eq("urban_centre").to_numpy() & has
    logger.info(
        "real points: %d of %d seats, %d of %d villages",
        int(fixed.seat_fixed.sum()),
        len(townships),
        int(fixed.village_fixed.sum()),
        len(villages),
    )
    return Fixed(
        seat_xy=fixed.seat_xy,
        seat_note=fixed.seat_note,
        village_xy=fixed.village_xy,
        village_note=fixed.village_note,
        ur_code=fixed.ur_code,
        urban_xy=xy[centre][0] if centre.any() else None,
        urban_note=str(pts.loc[centre, "note"].iloc[0]) if centre.any() else "",
        label=real.label,
    )
