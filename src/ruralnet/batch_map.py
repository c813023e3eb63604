"""One map of many written plans (a batch's counties), a layer per county.

It reads the plan folders back (``plan.geojson``, ``plan.gpkg``, ``summary.json``), so it draws
what was written; folium is imported inside the functions, as in :mod:`ruralnet.maps`.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np

from ruralnet.map_base import (
    CENTRE_COLOUR,
    HUB_COLOUR,
    MODE_STYLE,
    STATION_COLOURS,
    UNCOVERED_COLOUR,
    new_map,
    to_wgs84,
)

if TYPE_CHECKING:
    import folium

__all__ = ["counties_map"]


def _county_layer(
    frame: gpd.GeoDataFrame, fields: list[str], style: dict[str, Any], **marker: Any
) -> folium.GeoJson:
    """One GeoJson element for many features (folium builds one template per marker otherwise)."""
    import folium

    keep = [c for c in fields if c in frame.columns]
    data = frame[[*keep, "geometry"]].copy()
    for column in keep:
        data[column] = data[column].astype(str)
    return folium.GeoJson(
        data.to_json(),
        marker=folium.CircleMarker(**marker) if marker else None,
        style_function=lambda _f, style=style: style,
        tooltip=folium.GeoJsonTooltip(keep) if keep else None,
    )


def _add_county(folder: Path, m: folium.Map, summary: dict[str, Any]) -> tuple[float, ...]:
    """Draw one written plan (boundary, villages, trunk links, stations, centres, hub) as a layer."""
    import folium
    import pyogrio

    group = folium.FeatureGroup(name=f"{summary['dataset']}: {summary['scenario']}")
    if "boundary" in {str(n) for n, _ in pyogrio.list_layers(folder / "plan.gpkg")}:
        boundary = gpd.read_file(folder / "plan.gpkg", layer="boundary")[["geometry"]]
        folium.GeoJson(
            to_wgs84(boundary).to_json(),
            style_function=lambda _f: {"color": "#333", "weight": 2, "fillOpacity": 0.0},
        ).add_to(group)
    feats = gpd.read_file(folder / "plan.geojson")
    role = feats["role"]
    villages = feats[role == "village"]
    covered = villages["station_id"].notna() & (villages["station_id"].astype(str) != "")
    dot = {"fillOpacity": 0.8, "weight": 1}
    parts = ((villages[covered], "#888", 3), (villages[~covered], UNCOVERED_COLOUR, 6))
    for part, colour, radius in parts:
        if len(part):
            style = {**dot, "color": colour, "fillColor": colour}
            _county_layer(part, ["name", "station_id"], style, radius=radius).add_to(group)
    trunk = feats[(role == "link") & (feats["tier"] == "trunk")]
    for mode, links in trunk.groupby("mode"):
        look = MODE_STYLE.get(str(mode), MODE_STYLE["van"])
        style = {"color": look["color"], "weight": 2, "dashArray": look["dash_array"]}
        _county_layer(links, ["from_id", "to_id", "mode"], style).add_to(group)
    stations = feats[role == "station"]
    for kind, colour in STATION_COLOURS.items():
        part = stations[stations["kind"] == kind]
        if len(part):
            style = {**dot, "color": colour, "fillColor": colour}
            _county_layer(part, ["site_id", "kind"], style, radius=4).add_to(group)
    for kind, colour, radius in (("centre", CENTRE_COLOUR, 7), ("hub", HUB_COLOUR, 9)):
        part = feats[role == kind]
        if len(part):
            style = {"color": colour, "fillColor": colour, "fillOpacity": 1.0, "weight": 2}
            fields = ["site_id", "township_id", "kind"] if kind == "centre" else ["hub_id", "name"]
            _county_layer(part, fields, style, radius=radius).add_to(group)
    group.add_to(m)
    return tuple(villages.total_bounds)


def _counties_legend(title: str, summaries: list[dict[str, Any]]) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(s['dataset'])}</td>"
        f"<td style='text-align:right'>{s['total_cost_yuan_per_year']:,.0f}</td>"
        f"<td style='text-align:right'>{s['villages_covered']}/{s['villages']}</td>"
        f"<td style='text-align:right'>{s['centres_opened']}/{s['townships']}</td></tr>"
        for s in summaries
    )
    generated = sorted({g for s in summaries for g in s.get("generated_data") or []})
    sources = sorted({a for s in summaries for a in s.get("attribution") or []})
    notice = (
        "<div style='margin-top:4px;color:#b30000'><b>Generated data:</b> "
        f"{html.escape('; '.join(generated))}</div>"
        if generated
        else ""
    )
    items = "".join(f"<li>{html.escape(line)}</li>" for line in sources)
    return (
        "<div id='ruralnet-legend' style='position:fixed;bottom:24px;left:12px;z-index:9999;"
        "background:white;padding:8px 10px;border:1px solid #999;border-radius:4px;"
        f"font:12px sans-serif;max-width:420px'><b>{html.escape(title)}</b>"
        "<table><tr><th>county</th><th>yuan/year</th><th>villages</th><th>centres/towns</th></tr>"
        f"{rows}</table>"
        f"<div><span style='color:{STATION_COLOURS['existing']}'>&#9679;</span>/"
        f"<span style='color:{STATION_COLOURS['new']}'>&#9679;</span> station upgraded/new, "
        f"<span style='color:{CENTRE_COLOUR}'>&#11044;</span> centre, "
        f"<span style='color:{HUB_COLOUR}'>&#11044;</span> county hub (largest), grey: villages, "
        f"<span style='color:{UNCOVERED_COLOUR}'>&#9679;</span> not covered; lines: trunk links</div>"
        f"{notice}<details><summary>Data sources</summary>"
        f"<ul style='padding-left:14px;margin:2px'>{items}</ul></details></div>"
    )


def counties_map(folders: Sequence[str | Path], *, title: str = "Counties") -> folium.Map:
    """
    Draw several written plans (one county each, e.g. a batch) on one map, a layer per county.

    Parameters
    ----------
    folders
        Plan folders written by ``ruralnet run`` or ``ruralnet batch`` (``plan.geojson``,
        ``plan.gpkg``, ``summary.json``).
    title
        Legend title.

    Returns
    -------
    folium.Map
        Boundaries, villages, trunk links, stations, centres and hubs of every county; the
        legend lists each county's cost, coverage and centres, and the generated data.
    """
    import folium

    m = new_map("Map tiles © OpenStreetMap contributors | ruralnet plans")
    summaries, bounds = [], []
    for folder in map(Path, folders):
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        summaries.append(summary)
        bounds.append(_add_county(folder, m, summary))
    folium.LayerControl(collapsed=False).add_to(m)
    m.get_root().html.add_child(folium.Element(_counties_legend(title, summaries)))
    if bounds:
        box = np.array(bounds)
        m.fit_bounds([(box[:, 1].min(), box[:, 0].min()), (box[:, 3].max(), box[:, 2].max())])
    return m
