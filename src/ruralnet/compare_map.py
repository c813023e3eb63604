"""folium map of two plans: stations and centres kept, dropped or added, links and villages.

The map face of :mod:`ruralnet.compare` (folium is imported inside the functions, as in
:mod:`ruralnet.maps`).
"""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ruralnet._files import atomic_path
from ruralnet.compare import (
    COLOUR_A,
    COLOUR_B,
    COLOUR_BOTH,
    MIN_FLOW,
    PlanComparison,
    format_change,
    format_signed,
)
from ruralnet.errors import OutputError, os_reason
from ruralnet.map_base import new_map

if TYPE_CHECKING:
    import folium
    import geopandas as gpd

__all__ = ["comparison_map", "save_map"]


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
        links = links[links["parcels_per_day"].fillna(0.0) > MIN_FLOW]
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
            f"<div style='margin-top:4px'>total cost B − A: {html.escape(format_signed(row['delta'], 'yuan/year'))}"
            f" yuan/year ({html.escape(format_change(row['change']))})</div>"
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

    a, b = comparison.a, comparison.b
    if m is None:
        m = new_map("Map tiles © OpenStreetMap contributors | ruralnet comparison")
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


def save_map(comparison: PlanComparison, path: str | Path) -> Path:
    """
    Write :func:`comparison_map` as a standalone HTML page, atomically.

    Parameters
    ----------
    comparison
        The two plans.
    path
        Destination ``.html`` file; its folder must exist.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    OutputError
        When the file cannot be written, is a folder, or lies inside one of the compared plan
        folders (it would replace a plan file, or make the folder one that ``ruralnet run``
        refuses to replace).
    """
    target = Path(path)
    if target.is_dir():
        msg = f"{path}: is a folder; give a file name such as both.html"
        raise OutputError(msg)
    for snapshot in (comparison.a, comparison.b):
        if snapshot.folder is not None and target.resolve().parent == snapshot.folder:
            msg = (
                f"{path}: lies in the plan folder {snapshot.folder.name} being compared; "
                "write the map outside it"
            )
            raise OutputError(msg)
    try:
        with atomic_path(target) as tmp:
            comparison_map(comparison).save(str(tmp))
    except OSError as exc:
        reason = os_reason(exc)[0] if exc.errno else str(exc)
        msg = f"{path}: cannot write the map ({reason}); choose another file"
        raise OutputError(msg) from None
    return target
