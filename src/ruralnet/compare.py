"""Compare two plans: stations and centres kept, dropped or added, and the change in every figure.

Works on :class:`~ruralnet.plan.Plan` objects (:func:`compare_plans`) and on folders written
by ``ruralnet run`` (:func:`compare_folders`), which need no re-solve: ``summary.json``,
``stations.csv`` and ``centres.csv`` are read, and ``plan.geojson`` when present (for the
villages that change station and for the links on the map).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ruralnet._readers import path_problem, read_json
from ruralnet.errors import DataError
from ruralnet.readback import PLAN_FIX, read_plan_csv, read_summary

if TYPE_CHECKING:
    import folium

    from ruralnet.plan import Plan

__all__ = [
    "PlanComparison",
    "PlanSnapshot",
    "compare_folders",
    "compare_plans",
    "read_plan_folder",
    "snapshot_plan",
]

log = logging.getLogger(__name__)

_ID_COLUMNS = ("site_id", "village_id", "centre_id", "township_id", "hub_id", "station_id")
_STATION_COLUMNS = ["site_id", "kind", "village_id", "lon", "lat"]
_CENTRE_COLUMNS = ["site_id", "township_id", "township_name", "kind", "lon", "lat"]

# summary.json figures in table order, with units; "prefix.*" takes every key below the prefix
_FIGURES: tuple[tuple[str, str], ...] = (
    ("total_cost_yuan_per_year", "yuan/year"),
    ("cost_yuan_per_year.*", "yuan/year"),
    ("all_van_cost_yuan_per_year", "yuan/year"),
    ("saving_vs_all_van_yuan_per_year", "yuan/year"),
    ("saving_vs_own_village_yuan_per_year", "yuan/year"),
    ("villages", "count"),
    ("villages_covered", "count"),
    ("coverage_share", "share"),
    ("villages_with_own_station", "count"),
    ("own_station_share", "share"),
    ("coverage_target", "share"),
    ("stations_opened", "count"),
    ("stations_upgraded_existing", "count"),
    ("stations_new", "count"),
    ("centres_opened", "count"),
    ("townships", "count"),
    ("hubs_open", "count"),
    ("parcels_per_day", "parcels/day"),
    ("parcels_per_day_by_mode.*", "parcels/day"),
    ("bus_load_factor.*", "share"),
    ("mean_access_km", "km"),
    ("longest_access_km", "km"),
    ("solver.gap", "share"),
    ("solver.seconds", "s"),
)
_UNIT_ENDINGS = (
    ("_yuan_per_year", "yuan/year"),
    ("_parcel_km_per_day", "parcel-km/day"),
    ("_km_per_day", "km/day"),
    ("_kg_per_day", "kg/day"),
    ("_parcels_per_day", "parcels/day"),
    ("_share", "share"),
    ("_km", "km"),
)
MIN_FLOW = 1e-6  # parcels/day; smaller link flows are solver round-off
_PCT_MAX = 10.0  # changes beyond ±1000 % are shown as such, not as huge numbers
_SKIPPED = ("solver.objective", "solver.best_bound", "road_network.")

COLOUR_A = "#0072b2"
"""Colour of what only plan A has (blue)."""
COLOUR_B = "#e69f00"
"""Colour of what only plan B has (orange)."""
COLOUR_BOTH = "#7f7f7f"
"""Colour of what both plans have (grey)."""


@dataclass(frozen=True)
class PlanSnapshot:
    """
    What a comparison needs of one plan, all positions in WGS84 lon/lat.

    Attributes
    ----------
    label
        Name shown in tables and on the map.
    summary
        The plan's ``summary.json`` content.
    stations, centres
        Opened stations and centres: ``site_id``, ``kind``, ids of the next tier, ``lon``, ``lat``.
    villages
        Villages with ``station_id`` and ``distance_km`` (None when ``plan.geojson`` is missing).
    links
        Links in use as a GeoDataFrame (None when ``plan.geojson`` is missing).
    hubs
        Open hubs as a GeoDataFrame (None when ``plan.geojson`` is missing).
    boundary
        County boundary (only for plans, not for folders).
    folder
        The plan folder it was read from (None for a plan in memory).
    """

    label: str
    summary: dict[str, Any]
    stations: pd.DataFrame
    centres: pd.DataFrame
    villages: gpd.GeoDataFrame | None = None
    links: gpd.GeoDataFrame | None = None
    hubs: gpd.GeoDataFrame | None = None
    boundary: gpd.GeoDataFrame | None = field(default=None, repr=False)
    folder: Path | None = None


def _with_lonlat(frame: gpd.GeoDataFrame) -> pd.DataFrame:
    wgs = frame.to_crs(4326)
    table = pd.DataFrame(wgs.drop(columns=wgs.geometry.name))
    table["lon"] = wgs.geometry.x.to_numpy()
    table["lat"] = wgs.geometry.y.to_numpy()
    return table


def _features_by_role(features: dict[str, Any]) -> dict[str, gpd.GeoDataFrame]:
    frame = gpd.GeoDataFrame.from_features(features["features"], crs=4326)
    if frame.empty:
        return {}
    return {
        role: part.dropna(axis=1, how="all").reset_index(drop=True)
        for role, part in frame.groupby("role", sort=False)
    }


def snapshot_plan(plan: Plan, *, label: str | None = None) -> PlanSnapshot:
    """
    Take what a comparison needs from a solved plan.

    Parameters
    ----------
    plan
        A verified plan.
    label
        Name for tables and the map; the scenario name when omitted.

    Returns
    -------
    PlanSnapshot
    """
    from ruralnet.export import plan_features

    summary = plan.summary()
    roles = _features_by_role(plan_features(plan))
    boundary = plan.inputs.boundary
    return PlanSnapshot(
        label=label or str(summary.get("scenario", "plan")),
        summary=summary,
        stations=_with_lonlat(plan.stations),
        centres=_with_lonlat(plan.centres),
        villages=roles.get("village"),
        links=roles.get("link"),
        hubs=roles.get("hub"),
        boundary=None if boundary is None else boundary[["geometry"]].to_crs(4326),
    )


_NUMBER_COLUMNS = ("lon", "lat")  # needed as numbers (the map); other columns as found


def _read_csv(folder: Path, name: str) -> pd.DataFrame:
    table = read_plan_csv(folder, name, ("site_id", *_NUMBER_COLUMNS))
    path = folder / name
    for column in table.columns:
        if column in _ID_COLUMNS:
            continue
        numbers = pd.to_numeric(table[column].replace("", None), errors="coerce")
        given = table[column].str.strip().astype(bool)
        bad = given & numbers.isna()
        if column in _NUMBER_COLUMNS and bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise DataError(
                path, f"{column} {table[column].iloc[row]!r} is not a number", PLAN_FIX, row=row + 1
            )
        if not bad.any():
            table[column] = numbers
    return table


def _read_geojson(path: Path) -> dict[str, gpd.GeoDataFrame]:
    try:
        return _features_by_role(read_json(path, fix=PLAN_FIX))
    except DataError:
        raise
    except Exception as exc:  # any shape that is not a plan's FeatureCollection
        text = " ".join(str(exc).split()) or type(exc).__name__
        raise DataError(path, f"not a plan GeoJSON ({text})", PLAN_FIX) from None


def read_plan_folder(folder: str | Path, *, label: str | None = None) -> PlanSnapshot:
    """
    Read a folder written by ``ruralnet run`` for a comparison, without re-solving.

    Parameters
    ----------
    folder
        Holds ``summary.json``, ``stations.csv`` and ``centres.csv``; ``plan.geojson`` is
        read too when present.
    label
        Name for tables and the map; the folder name when omitted.

    Returns
    -------
    PlanSnapshot

    Raises
    ------
    DataError
        When a required file is missing or damaged (one line naming the file and row).
    """
    folder = Path(folder)
    if not folder.is_dir():
        what = "does not exist" if not folder.exists() else "is not a folder"
        raise DataError(folder, what, PLAN_FIX)
    summary = read_summary(folder)
    stations = _read_csv(folder, "stations.csv")
    centres = _read_csv(folder, "centres.csv")
    roles: dict[str, gpd.GeoDataFrame] = {}
    geojson = folder / "plan.geojson"
    if path_problem(geojson) != "file is missing":
        roles = _read_geojson(geojson)
    else:
        log.info("%s: no plan.geojson; comparing stations and centres only", folder)
    return PlanSnapshot(
        label=label or folder.resolve().name,
        summary=summary,
        stations=stations,
        centres=centres,
        villages=roles.get("village"),
        links=roles.get("link"),
        hubs=roles.get("hub"),
        folder=folder.resolve(),
    )


def _flatten(value: Any, prefix: str = "") -> dict[str, float]:
    """Numeric leaves of a nested dict, keyed by dotted paths."""
    if isinstance(value, dict):
        out: dict[str, float] = {}
        for key, item in value.items():
            out.update(_flatten(item, f"{prefix}{key}."))
        return out
    if isinstance(value, bool) or not isinstance(value, int | float):
        return {}
    return {prefix[:-1]: float(value)}


def _unit(key: str) -> str:
    """Guess a figure's unit from its key's ending (for keys not in the known list)."""
    for ending, unit in _UNIT_ENDINGS:
        if key.endswith(ending) or f"{ending}." in key:
            return unit
    if "share" in key.rsplit(".", 1)[-1].split("_"):
        return "share"
    return ""


def _figure_rows(summary_a: dict[str, Any], summary_b: dict[str, Any]) -> pd.DataFrame:
    flat_a, flat_b = _flatten(summary_a), _flatten(summary_b)
    keys = [k for k in {**flat_a, **flat_b} if not k.startswith(_SKIPPED)]
    ordered: list[tuple[str, str]] = []
    for pattern, unit in _FIGURES:
        if pattern.endswith(".*"):
            ordered += [(k, unit) for k in keys if k.startswith(pattern[:-1])]
        elif pattern in keys:
            ordered.append((pattern, unit))
    seen = {k for k, _ in ordered}
    ordered += [(k, _unit(k)) for k in keys if k not in seen]
    rows = []
    for key, unit in ordered:
        a, b = flat_a.get(key, np.nan), flat_b.get(key, np.nan)
        change = (b - a) / abs(a) if a and math.isfinite(a) else np.nan
        rows.append((key, unit, a, b, b - a, change))
    return pd.DataFrame(rows, columns=["figure", "unit", "a", "b", "delta", "change"])


def _side_by_side(
    a: pd.DataFrame, b: pd.DataFrame, keep: list[str], per_side: tuple[str, ...]
) -> pd.DataFrame:
    """Outer join of two site tables on ``site_id``, with ``status`` and A/B columns."""
    cols_a = [c for c in [*keep, *per_side] if c in a.columns]
    cols_b = [c for c in [*keep, *per_side] if c in b.columns]
    left = a[cols_a].assign(_in_a=True)
    right = b[cols_b].assign(_in_b=True)
    merged = left.merge(right, on="site_id", how="outer", suffixes=("_a", "_b"), sort=True)
    in_a = merged["_in_a"].eq(True).to_numpy()
    in_b = merged["_in_b"].eq(True).to_numpy()
    status = np.where(in_a & in_b, "both", np.where(in_a, "only_a", "only_b"))
    out = pd.DataFrame({"site_id": merged["site_id"], "status": status})
    for col in keep:
        if col == "site_id":
            continue
        if f"{col}_a" in merged.columns:  # in both tables: A's value, else B's
            out[col] = merged[f"{col}_a"].where(in_a, merged[f"{col}_b"]).to_numpy()
        elif col in merged.columns:
            out[col] = merged[col].to_numpy()
    for col in per_side:
        for side, present in (("a", in_a), ("b", in_b)):
            source = f"{col}_{side}" if f"{col}_{side}" in merged.columns else col
            if source in merged.columns and col in (cols_a if side == "a" else cols_b):
                out[f"{col}_{side}"] = merged[source].where(present).to_numpy()
    return out


def _village_changes(a: PlanSnapshot, b: PlanSnapshot) -> pd.DataFrame | None:
    if a.villages is None or b.villages is None:
        return None
    cols = ["village_id", "station_id", "distance_km"]
    left = pd.DataFrame(a.villages.reindex(columns=[*cols, "name"]))
    right = pd.DataFrame(b.villages.reindex(columns=cols))
    merged = left.merge(right, on="village_id", how="outer", suffixes=("_a", "_b"), sort=True)
    sa = merged["station_id_a"].fillna("")
    sb = merged["station_id_b"].fillna("")
    merged["changed"] = (sa != sb).to_numpy()
    return merged[
        [
            "village_id",
            "name",
            "station_id_a",
            "station_id_b",
            "distance_km_a",
            "distance_km_b",
            "changed",
        ]
    ]


@dataclass(frozen=True)
class PlanComparison:
    """
    Two plans side by side; build it with :func:`compare_plans` or :func:`compare_folders`.

    Attributes
    ----------
    a, b
        The two plans' snapshots.
    figures
        One row per ``summary.json`` figure: ``figure`` (dotted key), ``unit``, ``a``, ``b``,
        ``delta`` (b − a) and ``change`` (delta / |a|).
    stations
        Every station opened in either plan: ``site_id``, ``status`` (``both``, ``only_a``,
        ``only_b``), ``kind``, ``village_id``, ``lon``, ``lat``, and for each plan
        ``centre_id_a``/``_b`` and ``villages_served_a``/``_b`` (empty where not opened).
    centres
        Every centre opened in either plan, likewise, with ``township_id``,
        ``township_name``, ``hub_id_a``/``_b`` and ``stations_served_a``/``_b``.
    villages
        Village by village: ``station_id_a``, ``station_id_b``, distances and ``changed``;
        None when a folder has no ``plan.geojson``.
    """

    a: PlanSnapshot
    b: PlanSnapshot
    figures: pd.DataFrame
    stations: pd.DataFrame
    centres: pd.DataFrame
    villages: pd.DataFrame | None = None

    def _ids(self, table: pd.DataFrame, status: str) -> list[str]:
        return table.loc[table["status"] == status, "site_id"].astype(str).tolist()

    @property
    def stations_only_a(self) -> list[str]:
        """Stations opened in plan A but not in plan B."""
        return self._ids(self.stations, "only_a")

    @property
    def stations_only_b(self) -> list[str]:
        """Stations opened in plan B but not in plan A."""
        return self._ids(self.stations, "only_b")

    @property
    def stations_both(self) -> list[str]:
        """Stations opened in both plans."""
        return self._ids(self.stations, "both")

    @property
    def centres_only_a(self) -> list[str]:
        """Centres opened in plan A but not in plan B."""
        return self._ids(self.centres, "only_a")

    @property
    def centres_only_b(self) -> list[str]:
        """Centres opened in plan B but not in plan A."""
        return self._ids(self.centres, "only_b")

    @property
    def centres_both(self) -> list[str]:
        """Centres opened in both plans."""
        return self._ids(self.centres, "both")

    @property
    def villages_changed(self) -> list[str]:
        """Villages served by another station (or covered in only one plan) in plan B."""
        if self.villages is None:
            return []
        return self.villages.loc[self.villages["changed"], "village_id"].astype(str).tolist()

    def figure(self, key: str) -> pd.Series:
        """
        One figure's row.

        Parameters
        ----------
        key
            Dotted ``summary.json`` key, e.g. ``total_cost_yuan_per_year`` or
            ``cost_yuan_per_year.van``.

        Returns
        -------
        pandas.Series
            ``unit``, ``a``, ``b``, ``delta``, ``change``.

        Raises
        ------
        KeyError
            When neither plan has the figure.
        """
        rows = self.figures[self.figures["figure"] == key]
        if rows.empty:
            raise KeyError(key)
        return rows.iloc[0].drop("figure")

    @property
    def total_cost_delta(self) -> float:
        """Total yearly cost of B minus A, yuan/year."""
        return float(self.figure("total_cost_yuan_per_year")["delta"])

    def sites_table(self) -> pd.DataFrame:
        """
        Count the stations and centres in both plans, only in A and only in B.

        Returns
        -------
        pandas.DataFrame
            Index ``stations``, ``centres``; columns ``both``, ``only_a``, ``only_b``.
        """
        rows = {
            name: table["status"].value_counts().reindex(["both", "only_a", "only_b"]).fillna(0)
            for name, table in (("stations", self.stations), ("centres", self.centres))
        }
        return pd.DataFrame(rows).T.astype(int)

    def to_markdown(self, *, max_ids: int = 12) -> str:
        """
        Write the comparison as Markdown: headline, figures table, sites added and dropped.

        Parameters
        ----------
        max_ids
            Most ids listed per group; the rest are counted.

        Returns
        -------
        str
        """
        a, b = self.a, self.b
        lines = [
            "# Plan comparison",
            "",
            _side_line("A", a),
            _side_line("B", b),
            "",
        ]
        dataset_a, dataset_b = a.summary.get("dataset"), b.summary.get("dataset")
        if dataset_a != dataset_b:
            lines += [f"**Different datasets:** A {dataset_a}, B {dataset_b}.", ""]
        if "total_cost_yuan_per_year" in set(self.figures["figure"]):
            row = self.figure("total_cost_yuan_per_year")
            lines += [
                f"Total cost: {_fmt(row['a'], row['unit'])} → {_fmt(row['b'], row['unit'])} "
                f"yuan/year ({format_signed(row['delta'], row['unit'])}, {format_change(row['change'])}).",
                "",
            ]
        lines += [
            "| figure | unit | A | B | B − A | change |",
            "|---|---|--:|--:|--:|--:|",
        ]
        for row in self.figures.itertuples():
            lines.append(
                f"| {row.figure} | {row.unit} | {_fmt(row.a, row.unit)} | {_fmt(row.b, row.unit)} "
                f"| {format_signed(row.delta, row.unit)} | {format_change(row.change)} |"
            )
        lines += ["", "| sites | in both | only in A | only in B |", "|---|--:|--:|--:|"]
        for name, row in self.sites_table().iterrows():
            lines.append(f"| {name} | {row['both']} | {row['only_a']} | {row['only_b']} |")
        lines.append("")
        groups = (
            ("Stations only in A", self.stations_only_a),
            ("Stations only in B", self.stations_only_b),
            ("Centres only in A", self.centres_only_a),
            ("Centres only in B", self.centres_only_b),
        )
        if self.villages is not None:
            groups += (("Villages served by another station in B", self.villages_changed),)
        for title, ids in groups:
            if ids:
                more = f" and {len(ids) - max_ids} more" if len(ids) > max_ids else ""
                lines.append(f"- {title} ({len(ids)}): {', '.join(ids[:max_ids])}{more}")
        return "\n".join(lines).rstrip() + "\n"

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def map(self, *, m: folium.Map | None = None) -> folium.Map:
        """Draw both plans on one folium map; see :func:`ruralnet.compare_map.comparison_map`."""
        from ruralnet.compare_map import comparison_map

        return comparison_map(self, m=m)

    def save_map(self, path: str | Path) -> Path:
        """Write :meth:`map` as a standalone HTML page; see :func:`ruralnet.compare_map.save_map`."""
        from ruralnet.compare_map import save_map

        return save_map(self, path)


def _side_line(tag: str, snap: PlanSnapshot) -> str:
    label = snap.label.removeprefix(f"{tag}: ")
    scenario = snap.summary.get("scenario")
    extra = f" (scenario: {scenario})" if scenario and scenario != label else ""
    return f"- {tag}: {label}{extra}"


def _fmt(value: float, unit: str) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    if unit in ("yuan/year", "parcels/day"):
        return f"{value:,.0f}"
    if unit == "count":
        return f"{value:,.0f}"
    if unit == "share":
        return f"{value:.4g}"
    if unit == "km":
        return f"{value:.3f}"
    return f"{value:.4g}"


def format_signed(value: float, unit: str) -> str:
    """Format a change with its sign (``+1,200``), ``—`` when not finite."""
    if value is None or not math.isfinite(value):
        return "—"
    text = _fmt(abs(value), unit)
    if value == 0 or text.strip("0.,") == "":  # rounds to zero
        return "0"
    return ("+" if value > 0 else "−") + text


def format_change(value: float) -> str:
    """Format a relative change as a signed percentage, ``—`` when not finite."""
    if value is None or not math.isfinite(value):
        return "—"
    if value == 0:
        return "0%"
    if abs(value) > _PCT_MAX:
        return (">+" if value > 0 else "<−") + f"{_PCT_MAX:.0%}"
    text = f"{value:+.2%}"
    if text[1:] == "0.00%":
        return "0%"
    return text.replace("-", "−")


def _compare(a: PlanSnapshot, b: PlanSnapshot) -> PlanComparison:
    if a.summary.get("dataset") != b.summary.get("dataset"):
        log.warning(
            "comparing plans of different datasets (%s, %s)",
            a.summary.get("dataset"),
            b.summary.get("dataset"),
        )
    return PlanComparison(
        a=a,
        b=b,
        figures=_figure_rows(a.summary, b.summary),
        stations=_side_by_side(
            a.stations, b.stations, _STATION_COLUMNS, ("centre_id", "villages_served")
        ),
        centres=_side_by_side(a.centres, b.centres, _CENTRE_COLUMNS, ("hub_id", "stations_served")),
        villages=_village_changes(a, b),
    )


def _labels(label_a: str, label_b: str) -> tuple[str, str]:
    if label_a == label_b:
        return f"A: {label_a}", f"B: {label_b}"
    return label_a, label_b


def compare_plans(
    plan_a: Plan, plan_b: Plan, *, labels: tuple[str, str] | None = None
) -> PlanComparison:
    """
    Compare two solved plans.

    Parameters
    ----------
    plan_a, plan_b
        Verified plans, usually of one dataset under two scenarios.
    labels
        Names for A and B; the scenario names when omitted (prefixed with ``A:`` and ``B:``
        when they are equal, as after :meth:`~ruralnet.scenario.Scenario.with_overrides`).

    Returns
    -------
    PlanComparison
    """
    names = labels or _labels(plan_a.scenario.scenario.name, plan_b.scenario.scenario.name)
    return _compare(snapshot_plan(plan_a, label=names[0]), snapshot_plan(plan_b, label=names[1]))


def compare_folders(
    dir_a: str | Path, dir_b: str | Path, *, labels: tuple[str, str] | None = None
) -> PlanComparison:
    """
    Compare two folders written by ``ruralnet run``, without re-solving.

    Parameters
    ----------
    dir_a, dir_b
        Plan folders (``summary.json``, ``stations.csv``, ``centres.csv``; ``plan.geojson``
        when present).
    labels
        Names for A and B; the folder names when omitted.

    Returns
    -------
    PlanComparison

    Raises
    ------
    DataError
        When a folder lacks a required file.
    """
    if labels is None:
        labels = _labels(Path(dir_a).resolve().name, Path(dir_b).resolve().name)
    return _compare(
        read_plan_folder(dir_a, label=labels[0]), read_plan_folder(dir_b, label=labels[1])
    )
