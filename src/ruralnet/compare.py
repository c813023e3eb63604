"""Compare two plans: stations and centres kept, dropped or added, and the change in every figure.

Works on :class:`~ruralnet.plan.Plan` objects (:func:`compare_plans`) and on folders written
by ``ruralnet run`` (:func:`compare_folders`), which need no re-solve: ``summary.json``,
``stations.csv`` and ``centres.csv`` are read, and ``plan.geojson`` when present (for the
villages that change station and for the links on the map).
"""

from __future__ import annotations

import html
import json
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ruralnet._files import atomic_path
from ruralnet.errors import DataError, OutputError

if TYPE_CHECKING:
    import folium

    from ruralnet.plan import Plan

__all__ = [
    "PlanComparison",
    "PlanSnapshot",
    "compare_folders",
    "compare_plans",
    "comparison_map",
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
    ("villages", "count"),
    ("villages_covered", "count"),
    ("coverage_share", "share"),
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
    ("max_access_km", "km"),
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
_MIN_FLOW = 1e-6  # parcels/day; smaller link flows are solver round-off
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
    """

    label: str
    summary: dict[str, Any]
    stations: pd.DataFrame
    centres: pd.DataFrame
    villages: gpd.GeoDataFrame | None = None
    links: gpd.GeoDataFrame | None = None
    hubs: gpd.GeoDataFrame | None = None
    boundary: gpd.GeoDataFrame | None = field(default=None, repr=False)


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


def _read_csv(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise DataError(path, "file is missing", "Point at a folder written by 'ruralnet run'")
    head = pd.read_csv(path, encoding="utf-8-sig", nrows=0)
    ids = {c: str for c in head.columns if c in _ID_COLUMNS}
    return pd.read_csv(path, encoding="utf-8-sig", dtype=ids, keep_default_na=True)


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
        When a required file is missing or is not valid JSON.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(folder, "is not a folder", "Point at a folder written by 'ruralnet run'")
    summary_path = folder / "summary.json"
    if not summary_path.is_file():
        raise DataError(
            summary_path, "file is missing", "Point at a folder written by 'ruralnet run'"
        )
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(summary_path, f"not valid JSON ({exc})", "Re-run 'ruralnet run'") from None
    stations = _read_csv(folder / "stations.csv")
    centres = _read_csv(folder / "centres.csv")
    roles: dict[str, gpd.GeoDataFrame] = {}
    geojson = folder / "plan.geojson"
    if geojson.is_file():
        try:
            roles = _features_by_role(json.loads(geojson.read_text(encoding="utf-8")))
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError) as exc:
            raise DataError(
                geojson, f"not a plan GeoJSON ({exc})", "Re-run 'ruralnet run'"
            ) from None
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
                f"yuan/year ({_signed(row['delta'], row['unit'])}, {_pct(row['change'])}).",
                "",
            ]
        lines += [
            "| figure | unit | A | B | B − A | change |",
            "|---|---|--:|--:|--:|--:|",
        ]
        for row in self.figures.itertuples():
            lines.append(
                f"| {row.figure} | {row.unit} | {_fmt(row.a, row.unit)} | {_fmt(row.b, row.unit)} "
                f"| {_signed(row.delta, row.unit)} | {_pct(row.change)} |"
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
        """Draw both plans on one folium map; see :func:`comparison_map`."""
        return comparison_map(self, m=m)

    def save_map(self, path: str | Path) -> Path:
        """
        Write :meth:`map` as a standalone HTML page, atomically.

        Parameters
        ----------
        path
            Destination ``.html`` file; its folder must exist.

        Returns
        -------
        pathlib.Path
            ``path``.

        Raises
        ------
        OutputError
            When the file cannot be written.
        """
        try:
            with atomic_path(path) as tmp:
                self.map().save(str(tmp))
        except OSError as exc:
            msg = f"{path}: cannot write the map ({exc.strerror or exc}); choose another file"
            raise OutputError(msg) from None
        return Path(path)


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


def _signed(value: float, unit: str) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    text = _fmt(abs(value), unit)
    if value == 0 or text.strip("0.,") == "":  # rounds to zero
        return "0"
    return ("+" if value > 0 else "−") + text


def _pct(value: float) -> str:
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


# ---------------------------------------------------------------------------------------- map

_STATION_STYLE = {
    "both": {"symbol": "&#9679;", "size": 12, "colour": COLOUR_BOTH},
    "only_a": {"symbol": "&#9679;", "size": 18, "colour": COLOUR_A},
    "only_b": {"symbol": "&#9650;", "size": 18, "colour": COLOUR_B},
}
_CENTRE_STYLE = {
    "both": {"symbol": "&#9632;", "size": 20, "colour": "#333333"},
    "only_a": {"symbol": "&#9632;", "size": 24, "colour": COLOUR_A},
    "only_b": {"symbol": "&#9670;", "size": 24, "colour": COLOUR_B},
}


def _div_marker(row: pd.Series, style: dict[str, Any], css: str, tooltip: str) -> folium.Marker:
    import folium

    size = style["size"]
    icon = folium.DivIcon(
        html=(
            f"<div class='{css}' style='font-size:{size}px;line-height:{size}px;"
            f"color:{style['colour']};text-shadow:0 0 2px #fff,0 0 2px #fff'>{style['symbol']}</div>"
        ),
        icon_size=(size, size),
        icon_anchor=(size // 2, size // 2),
    )
    return folium.Marker(location=(row["lat"], row["lon"]), icon=icon, tooltip=tooltip)


def _status_text(status: str, comparison: PlanComparison) -> str:
    return {
        "both": "in both plans",
        "only_a": f"only in A ({comparison.a.label})",
        "only_b": f"only in B ({comparison.b.label})",
    }[status]


def _add_sites(
    comparison: PlanComparison,
    table: pd.DataFrame,
    groups: dict[str, folium.FeatureGroup],
    styles: dict[str, dict[str, Any]],
    what: str,
) -> None:
    for row in table.to_dict(orient="records"):
        status = row["status"]
        if not (math.isfinite(row["lon"]) and math.isfinite(row["lat"])):
            continue
        name = row.get("township_name") or row["site_id"]
        tip = html.escape(f"{what} {name} ({row['site_id']}): {_status_text(status, comparison)}")
        _div_marker(row, styles[status], f"ruralnet-compare-{what}-{status}", tip).add_to(
            groups[status]
        )


def _link_key(row: dict[str, Any]) -> tuple[str, str, str, str]:
    line = row.get("line_id")
    line = "" if line is None or (isinstance(line, float) and math.isnan(line)) else str(line)
    return (str(row.get("from_id")), str(row.get("to_id")), str(row.get("mode")), line)


def _carrying(links: gpd.GeoDataFrame | None) -> list[dict[str, Any]]:
    """Links that carry parcels: flows of solver round-off size (< 1e-6 a day) are left out."""
    if links is None:
        return []
    if "parcels_per_day" in links.columns:
        links = links[links["parcels_per_day"].fillna(0.0) > _MIN_FLOW]
    return links.to_dict(orient="records")


def _add_links(comparison: PlanComparison, groups: dict[str, folium.FeatureGroup]) -> None:
    """Draw links in both plans grey, only in A blue, only in B orange dashed."""
    import folium

    rows_a = _carrying(comparison.a.links)
    rows_b = _carrying(comparison.b.links)
    keys_a = {_link_key(r) for r in rows_a}
    keys_b = {_link_key(r) for r in rows_b}
    drawn = [(r, "both" if _link_key(r) in keys_b else "only_a") for r in rows_a]
    drawn += [(r, "only_b") for r in rows_b if _link_key(r) not in keys_a]
    styles = {
        "both": (COLOUR_BOTH, None, 0.6),
        "only_a": (COLOUR_A, None, 0.9),
        "only_b": (COLOUR_B, "6 5", 0.9),
    }
    for row, status in drawn:
        colour, dash, opacity = styles[status]
        coords = [(y, x) for x, y in np.asarray(row["geometry"].coords)]
        folium.PolyLine(
            coords,
            color=colour,
            weight=3 if row.get("tier") == "trunk" else 1.5,
            opacity=opacity,
            dash_array=dash,
            tooltip=html.escape(
                f"{row.get('from_id')} → {row.get('to_id')} ({row.get('mode')}): "
                f"{_status_text(status, comparison)}"
            ),
        ).add_to(groups[status])


def _add_villages(comparison: PlanComparison, layer: folium.FeatureGroup) -> None:
    import folium

    source = comparison.a.villages if comparison.a.villages is not None else comparison.b.villages
    if source is None:
        return
    changed = set(comparison.villages_changed)
    for row in source.to_dict(orient="records"):
        point = row["geometry"]
        moved = row["village_id"] in changed
        detail = ""
        if comparison.villages is not None:
            match = comparison.villages[comparison.villages["village_id"] == row["village_id"]]
            if len(match):
                v = match.iloc[0]
                detail = f": station {v['station_id_a']} in A, {v['station_id_b']} in B"
        folium.CircleMarker(
            location=(point.y, point.x),
            radius=5 if moved else 3,
            color="#d7191c" if moved else "#555555",
            weight=2 if moved else 1,
            fill=True,
            fill_color="#ffffff" if moved else "#999999",
            fill_opacity=0.9,
            tooltip=html.escape(f"{row.get('name', row['village_id'])}{detail}"),
        ).add_to(layer)


def _legend(comparison: PlanComparison) -> str:
    a, b = comparison.a, comparison.b
    sites = comparison.sites_table()
    generated = sorted(
        set(a.summary.get("generated_data") or []) | set(b.summary.get("generated_data") or [])
    )
    rows = [
        (
            f"<span style='color:{COLOUR_A}'>&#9679;</span>",
            f"station only in A ({sites.loc['stations', 'only_a']})",
        ),
        (
            f"<span style='color:{COLOUR_B}'>&#9650;</span>",
            f"station only in B ({sites.loc['stations', 'only_b']})",
        ),
        (
            f"<span style='color:{COLOUR_BOTH}'>&#9679;</span>",
            f"station in both ({sites.loc['stations', 'both']})",
        ),
        (
            f"<span style='color:{COLOUR_A}'>&#9632;</span>",
            f"centre only in A ({sites.loc['centres', 'only_a']})",
        ),
        (
            f"<span style='color:{COLOUR_B}'>&#9670;</span>",
            f"centre only in B ({sites.loc['centres', 'only_b']})",
        ),
        (
            "<span style='color:#333'>&#9632;</span>",
            f"centre in both ({sites.loc['centres', 'both']})",
        ),
        (
            "<span style='color:#d7191c'>&#9675;</span>",
            f"village served by another station in B ({len(comparison.villages_changed)})",
        ),
        (f"<span style='color:{COLOUR_BOTH}'>&#9473;</span>", "link in both"),
        (f"<span style='color:{COLOUR_A}'>&#9473;</span>", "link only in A"),
        (f"<span style='color:{COLOUR_B}'>&#9476;</span>", "link only in B"),
    ]
    body = "".join(f"<div>{sym} {html.escape(text)}</div>" for sym, text in rows)
    cost = ""
    if "total_cost_yuan_per_year" in set(comparison.figures["figure"]):
        row = comparison.figure("total_cost_yuan_per_year")
        cost = (
            f"<div style='margin-top:4px'>total cost B − A: {html.escape(_signed(row['delta'], 'yuan/year'))}"
            f" yuan/year ({html.escape(_pct(row['change']))})</div>"
        )
    notice = (
        f"<div style='margin-top:4px;color:#b30000'><b>Generated data:</b> {html.escape(', '.join(generated))}</div>"
        if generated
        else ""
    )
    return (
        "<div id='ruralnet-compare-legend' style='position:fixed;bottom:24px;left:12px;z-index:9999;"
        "background:white;padding:8px 10px;border:1px solid #999;border-radius:4px;font:12px sans-serif;"
        f"max-width:340px'><b>{html.escape(a.label)}</b> (A) vs <b>{html.escape(b.label)}</b> (B)"
        f"{body}{cost}{notice}</div>"
    )


def _all_points(comparison: PlanComparison) -> tuple[np.ndarray, np.ndarray]:
    """Longitudes and latitudes of every site, village and hub of both plans."""
    lons = [comparison.stations["lon"], comparison.centres["lon"]]
    lats = [comparison.stations["lat"], comparison.centres["lat"]]
    for snap in (comparison.a, comparison.b):
        for frame in (snap.villages, snap.hubs):
            if frame is not None and len(frame):
                lons.append(frame.geometry.x)
                lats.append(frame.geometry.y)
    lon = np.concatenate([np.asarray(v, dtype=float) for v in lons])
    lat = np.concatenate([np.asarray(v, dtype=float) for v in lats])
    ok = np.isfinite(lon) & np.isfinite(lat)
    return lon[ok], lat[ok]


def comparison_map(comparison: PlanComparison, *, m: folium.Map | None = None) -> folium.Map:
    """
    Draw two plans on one folium map: sites and links in both, only in A, only in B.

    Only core Leaflet features are used (CircleMarker, PolyLine, DivIcon markers) and Leaflet
    is inlined, so the saved page works offline.

    Parameters
    ----------
    comparison
        From :func:`compare_plans` or :func:`compare_folders`.
    m
        An existing map to draw onto; a new one fitted to the sites when omitted.

    Returns
    -------
    folium.Map
        Layers "Stations only in A" (blue circles), "Stations only in B" (orange triangles),
        "Stations in both" (grey circles), the same for centres (squares; diamonds for B),
        "Links in both" (grey), "Links only in A" (blue), "Links only in B" (orange, dashed),
        "Villages …" (ringed red where the station changes) and, for plans, "County
        boundary"; a legend ``#ruralnet-compare-legend``.
    """
    import folium

    from ruralnet.maps import _inline_leaflet

    a, b = comparison.a, comparison.b
    if m is None:
        m = folium.Map(tiles=None, control_scale=True, zoom_snap=0.25)
        _inline_leaflet(m)
        attribution = html.escape("Map tiles © OpenStreetMap contributors | ruralnet comparison")
        folium.TileLayer("OpenStreetMap", attr=attribution, name="OpenStreetMap (online)").add_to(m)
        folium.TileLayer(
            tiles="data:image/gif;base64,R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==",
            attr=attribution,
            name="Blank (offline)",
            overlay=False,
            show=False,
        ).add_to(m)
    boundary = a.boundary if a.boundary is not None else b.boundary
    if boundary is not None:
        folium.GeoJson(
            boundary.to_json(),
            name="County boundary",
            style_function=lambda _f: {"color": "#333", "weight": 2, "fillOpacity": 0.0},
        ).add_to(m)
    names = {
        "villages": "Villages (ringed: station changes)",
        "links_both": "Links in both",
        "links_only_a": "Links only in A",
        "links_only_b": "Links only in B",
        "stations_both": "Stations in both",
        "stations_only_a": "Stations only in A",
        "stations_only_b": "Stations only in B",
        "centres_both": "Centres in both",
        "centres_only_a": "Centres only in A",
        "centres_only_b": "Centres only in B",
        "hubs": "Hub",
    }
    groups = {key: folium.FeatureGroup(name=name) for key, name in names.items()}
    _add_villages(comparison, groups["villages"])
    _add_links(comparison, {s: groups[f"links_{s}"] for s in ("both", "only_a", "only_b")})
    station_groups = {s: groups[f"stations_{s}"] for s in ("both", "only_a", "only_b")}
    centre_groups = {s: groups[f"centres_{s}"] for s in ("both", "only_a", "only_b")}
    _add_sites(comparison, comparison.stations, station_groups, _STATION_STYLE, "station")
    _add_sites(comparison, comparison.centres, centre_groups, _CENTRE_STYLE, "centre")
    hub_frames = [h for h in (a.hubs, b.hubs) if h is not None]
    if hub_frames:
        for row in pd.concat(hub_frames).drop_duplicates("hub_id").to_dict(orient="records"):
            point = row["geometry"]
            style = {"symbol": "&#9733;", "size": 28, "colour": "#000000"}
            marker_row = pd.Series({"lat": point.y, "lon": point.x})
            _div_marker(
                marker_row, style, "ruralnet-compare-hub", html.escape(str(row["hub_id"]))
            ).add_to(groups["hubs"])
    for group in groups.values():
        group.add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    m.get_root().html.add_child(folium.Element(_legend(comparison)))
    lons, lats = _all_points(comparison)
    if len(lons):
        m.fit_bounds([(lats.min(), lons.min()), (lats.max(), lons.max())])
    return m
