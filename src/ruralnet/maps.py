"""folium maps of a plan: villages by serving station, stations by kind, centres, hubs, links.

folium is imported inside the functions (as geopandas does for ``explore``), so the rest of
ruralnet works without it.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np

from ruralnet.i18n import N_, translator
from ruralnet.routes.outputs import fleet_table, route_row

if TYPE_CHECKING:
    import folium

    from ruralnet.plan import Plan
    from ruralnet.routes.data import RoutePlan

__all__ = ["add_routes_layer", "counties_map", "plan_map"]

_PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#7f7f7f",
    "#393b79",
)
_STATION = {"existing": "#3182bd", "new": "#e6550d"}
_CENTRE = "#6a3d9a"
_HUB = "#000000"
_COLD = "#00acc1"  # [cold_chain]: cold-capable sites and cold van legs
_LOCKER = "#ff7f00"  # [lockers]: sites with smart-locker groups
_UNCOVERED = "#d7191c"
_BUS_LINE = "#1a9850"
_MAJOR_ROADS = {"motorway", "trunk", "primary", "secondary", "tertiary"}
_MODE_STYLE = {
    "van": {"color": "#444444", "dash_array": None},
    "bus": {"color": "#1a9850", "dash_array": "8 6"},
}


def _popup_html(title: str, row: dict[str, Any], keys: list[str]) -> str:
    cells = []
    for key in keys:
        value = row.get(key)
        if isinstance(value, float):
            value = f"{value:,.1f}"
        cells.append(
            f"<tr><th style='text-align:left;padding-right:6px'>{html.escape(key)}</th><td>{html.escape(str(value))}</td></tr>"
        )
    return f"<b>{html.escape(title)}</b><table>{''.join(cells)}</table>"


def _wgs(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return frame.to_crs(4326)


def _legend(plan: Plan) -> str:
    _ = translator(plan.scenario.report.language)
    generated = plan.inputs.meta.generated
    generated_label, sources_label = _("Generated data:"), _("Data sources")
    notice = (
        f"<div style='margin-top:4px;color:#b30000'><b>{html.escape(generated_label)}</b> {html.escape(', '.join(generated))}</div>"
        if generated
        else ""
    )
    sources = "".join(f"<li>{html.escape(line)}</li>" for line in plan.inputs.meta.attribution)
    if sources:
        notice += f"<details><summary>{html.escape(sources_label)}</summary><ul style='padding-left:14px;margin:2px'>{sources}</ul></details>"
    rows = [
        (
            f"<span style='color:{_STATION['existing']}'>&#9679;</span>",
            N_("station, upgraded existing 村邮站"),
        ),
        (f"<span style='color:{_STATION['new']}'>&#9679;</span>", N_("station, new")),
        (f"<span style='color:{_CENTRE}'>&#9632;</span>", N_("township co-delivery centre")),
        (f"<span style='color:{_HUB}'>&#9733;</span>", N_("county hub")),
        ("<span style='color:#888'>&#8226;</span>", N_("village (colour of its station)")),
        (f"<span style='color:{_UNCOVERED}'>&#10006;</span>", N_("village not covered")),
        ("<span style='color:#444'>&#9473;</span>", N_("van link (straight line)")),
        (
            "<span style='color:#d95f02'>&#9473;</span>",
            N_("van route along the roads (when routed)"),
        ),
        ("<span style='color:#1a9850'>&#9476;</span>", N_("bus link (parcels riding a bus line)")),
        ("<span style='color:#1a9850;opacity:0.5'>&#9473;</span>", N_("bus line (客货邮融合)")),
    ]
    if plan.cold_chain is not None:  # the optional layers' rows only when they are drawn
        rows.append(
            (
                f"<span style='color:{_COLD}'>&#9711;</span>",
                N_("cold chain: cold-capable site, cold van leg (EST)"),
            )
        )
    if plan.lockers is not None:
        rows.append(
            (f"<span style='color:{_LOCKER}'>&#9638;</span>", N_("smart-locker groups at a site"))
        )
    rows = [(sym, _(text)) for sym, text in rows]
    rows += _real_point_rows(plan)
    body = "".join(f"<div>{sym} {html.escape(text)}</div>" for sym, text in rows)
    title = html.escape(f"{plan.inputs.meta.name} — {plan.scenario.scenario.name}")
    return (
        "<div id='ruralnet-legend' style='position:fixed;bottom:24px;left:12px;z-index:9999;"
        "background:white;padding:8px 10px;border:1px solid #999;border-radius:4px;font:12px sans-serif;"
        f"max-width:320px'><b>{title}</b>{body}{notice}</div>"
    )


def _position_sources(plan: Plan) -> dict[str, str]:
    """``village_id`` -> ``position_source`` of the dataset (empty when it has no such column)."""
    villages = plan.inputs.villages
    if "position_source" not in villages.columns:
        return {}
    return dict(zip(villages["village_id"], villages["position_source"], strict=True))


def _real_point_rows(plan: Plan) -> list[tuple[str, str]]:
    """Legend rows saying how many village points and township seats are real."""
    _ = translator(plan.scenario.report.language)
    sources = _position_sources(plan)
    real = {s for s in sources.values() if s and s != "generated"}
    rows = []
    for label in sorted(real):
        n = sum(1 for s in sources.values() if s == label)
        text = _(
            "village at its real {source} point, black ring ({n} of {total}; the others are "
            "generated)"
        )
        rows.append(
            (
                "<span style='color:#888;-webkit-text-stroke:1px #000'>&#9679;</span>",
                text.format(source=label, n=n, total=len(sources)),
            )
        )
    towns = plan.inputs.townships
    if "seat_source" in towns.columns:
        seats = towns["seat_source"].fillna("generated")
        for label in sorted(set(seats) - {"generated"}):
            text = _(
                "township seat at its real {source} point: {n} of {total} (centre sites C-…-1)"
            )
            rows.append(
                (
                    f"<span style='color:{_CENTRE}'>&#9632;</span>",
                    text.format(source=label, n=int((seats == label).sum()), total=len(seats)),
                )
            )
    return rows


def _add_villages(plan: Plan, layer: folium.FeatureGroup, access: folium.FeatureGroup) -> None:
    import folium

    villages = _wgs(plan.villages)
    sources = _position_sources(plan)
    villages["position_source"] = [sources.get(v, "") for v in villages["village_id"]]
    stations = _wgs(plan.stations).set_index("site_id").geometry
    colour = {sid: _PALETTE[i % len(_PALETTE)] for i, sid in enumerate(plan.stations["site_id"])}
    keys = [
        "village_id",
        "township_id",
        "population",
        "inbound_parcels_per_day",
        "outbound_parcels_per_day",
        "station_id",
        "distance_km",
        *(["position_source"] if sources else []),
        "source",
    ]
    for row in villages.to_dict(orient="records"):
        point = row["geometry"]
        covered = bool(row["covered"])
        fill = colour.get(row["station_id"], _UNCOVERED)
        real = row["position_source"] not in ("", "generated")
        folium.CircleMarker(
            location=(point.y, point.x),
            radius=4 if covered else 7,
            color="#222" if not covered or real else fill,
            weight=2 if covered and real else 1 if covered else 3,
            fill=True,
            fill_color=fill,
            fill_opacity=0.9,
            tooltip=html.escape(
                f"{row['name']} ({'station ' + str(row['station_id']) if covered else 'NOT COVERED'})"
            ),
            popup=folium.Popup(_popup_html(str(row["name"]), row, keys), max_width=360),
        ).add_to(layer)
        if covered and row["station_id"] in stations.index:
            st = stations[row["station_id"]]
            folium.PolyLine(
                [(point.y, point.x), (st.y, st.x)], color=fill, weight=1, opacity=0.7
            ).add_to(access)


def _add_points(
    frame: gpd.GeoDataFrame,
    layer: folium.FeatureGroup,
    style: dict[str, Any],
    title_key: str,
    keys: list[str],
) -> None:
    """Draw markers with core Leaflet only (a coloured symbol in a DivIcon), so maps work offline."""
    import folium

    for row in _wgs(frame).to_dict(orient="records"):
        point = row["geometry"]
        color = style["color"](row) if callable(style["color"]) else style["color"]
        size = style["size"]
        icon = folium.DivIcon(
            html=(
                f"<div class='ruralnet-{style['kind']}' style='font-size:{size}px;line-height:{size}px;"
                f"color:{color};text-shadow:0 0 2px #fff,0 0 2px #fff'>{style['symbol']}</div>"
            ),
            icon_size=(size, size),
            icon_anchor=(size // 2, size // 2),
        )
        folium.Marker(
            location=(point.y, point.x),
            icon=icon,
            tooltip=html.escape(str(row.get(title_key))),
            popup=folium.Popup(_popup_html(str(row.get(title_key)), row, keys), max_width=360),
        ).add_to(layer)


def _add_bus_lines(plan: Plan, layer: folium.FeatureGroup) -> None:
    import folium

    lines = plan.bus_lines
    if len(lines) == 0:
        return
    keys = [
        "line_id",
        "stops",
        "km",
        "trips_per_day",
        "capacity_parcels_per_trip",
        "fee_yuan_per_parcel",
        "figures_from_defaults",
        "parcels_per_day",
        "load_factor",
    ]
    for row in _wgs(lines[lines.geometry.notna()]).to_dict(orient="records"):
        coords = [(y, x) for x, y in np.asarray(row["geometry"].coords)]
        folium.PolyLine(
            coords,
            color=_BUS_LINE,
            weight=5,
            opacity=0.35,
            tooltip=html.escape(
                f"bus line {row['line_id']}: {row['parcels_per_day']:.0f} parcels/day, busiest leg {row['load_factor']:.0%} full"
            ),
            popup=folium.Popup(_popup_html(f"bus line {row['line_id']}", row, keys), max_width=360),
        ).add_to(layer)


def _add_links(plan: Plan, layers: dict[str, folium.FeatureGroup]) -> None:
    import folium

    keys = ["from_id", "to_id", "tier", "mode", "line_id", "km", "parcels_per_day", "yuan_per_year"]
    for row in _wgs(plan.links).to_dict(orient="records"):
        style = _MODE_STYLE.get(row["mode"], _MODE_STYLE["van"])
        coords = [(y, x) for x, y in np.asarray(row["geometry"].coords)]
        folium.PolyLine(
            coords,
            color=style["color"],
            dash_array=style["dash_array"],
            weight=4 if row["tier"] == "trunk" else 2,
            opacity=0.8,
            tooltip=html.escape(
                f"{row['from_id']} → {row['to_id']} ({row['mode']}, {row['parcels_per_day']:.0f} parcels/day)"
            ),
            popup=folium.Popup(_popup_html(f"{row['tier']} link", row, keys), max_width=360),
        ).add_to(layers[row["mode"]])


def _add_cold_chain(plan: Plan, layer: folium.FeatureGroup, _: Any) -> None:
    """Cold-capable sites (rings) and cold van legs (straight lines); every figure is EST."""
    import folium

    cold, p = plan.cold_chain, plan.problem
    assert cold is not None
    at = {
        "village": _wgs(plan.villages).set_index("village_id").geometry,
        "station": _wgs(plan.stations).set_index("site_id").geometry,
        "centre": _wgs(plan.centres).set_index("site_id").geometry,
        "hub": _wgs(plan.hubs).set_index("hub_id").geometry,
    }
    ends = {
        "feeder": ("station", "centre"),
        "pickup": ("village", "centre"),
        "trunk": ("centre", "hub"),
    }
    ids = {
        "village": p.village_ids,
        "station": p.station_ids,
        "centre": p.centre_ids,
        "hub": p.hub_ids,
    }
    estimated = _("estimated (EST)")
    per_day = _("cold parcels/day")
    van, trips, yearly = _("cold van"), _("trips/day"), _("yuan/year")
    for leg in cold.legs:
        (a_kind, b_kind), (a, b) = ends[leg.tier], (leg.origin, leg.destination)
        one, two = at[a_kind][ids[a_kind][a]], at[b_kind][ids[b_kind][b]]
        text = (
            f"{van}: {ids[a_kind][a]} → {ids[b_kind][b]}, {leg.how}, "
            f"{leg.parcels_per_day:.1f} {per_day}, {leg.trips_per_day} {trips}, "
            f"{leg.yuan_per_year:,.0f} {yearly} ({estimated})"
        )
        folium.PolyLine(
            [(one.y, one.x), (two.y, two.x)],
            color=_COLD,
            weight=3,
            opacity=0.9,
            dash_array="2 6" if leg.how != "plan van" else None,
            tooltip=html.escape(text),
        ).add_to(layer)
    r = cold.rates
    kinds = {
        "station": (N_("cold-capable station"), cold.cold_station, r.station_capacity,
                    r.station_yuan_per_year),
        "centre": (N_("cold-capable centre"), cold.cold_centre, r.centre_capacity,
                   r.centre_yuan_per_year),
        "hub": (N_("cold-capable hub"), cold.cold_hub, r.hub_capacity, r.hub_yuan_per_year),
    }  # fmt: skip
    for kind, (label, flags, capacity, yuan) in kinds.items():
        for k in np.flatnonzero(flags):
            point = at[kind][ids[kind][k]]
            text = (
                f"{_(label)} {ids[kind][k]}: {capacity:,.0f} {per_day}, "
                f"{yuan:,.0f} {yearly} ({estimated})"
            )
            folium.CircleMarker(
                location=(point.y, point.x),
                radius=11,
                color=_COLD,
                weight=3,
                fill=False,
                tooltip=html.escape(text),
                popup=folium.Popup(html.escape(text), max_width=360),
            ).add_to(layer)


def _inline_leaflet(m: folium.Map) -> None:
    """Put Leaflet (and jQuery, which folium's popups use) into the page instead of a CDN link."""
    import folium

    static = resources.files("ruralnet") / "static"
    m.default_js = []
    m.default_css = []
    root = m.get_root()
    css = (static / "leaflet" / "leaflet.css").read_text(encoding="utf-8")
    root.header.add_child(folium.Element(f"<style>{css}</style>"), name="leaflet_css_inline")
    for name, path in (("leaflet", "leaflet/leaflet.js"), ("jquery", "jquery/jquery.min.js")):
        js = (static / path).read_text(encoding="utf-8")
        root.header.add_child(folium.Element(f"<script>{js}</script>"), name=f"{name}_js_inline")


def _blank_base(m: folium.Map, attribution: str, name: str = "Blank (offline)") -> None:
    """Add a plain base layer that needs no network, so the map stays readable offline."""
    import folium

    blank = "data:image/gif;base64,R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw=="
    folium.TileLayer(
        tiles=blank,
        attr=html.escape(attribution),
        name=name,
        overlay=False,
        show=False,
    ).add_to(m)


def plan_map(plan: Plan, *, m: folium.Map | None = None) -> folium.Map:
    """
    Draw a plan on a folium map with a layer control and a legend.

    Parameters
    ----------
    plan
        A verified plan.
    m
        An existing map to draw onto; a new one fitted to the county when omitted.

    Returns
    -------
    folium.Map
        Displays inline in Jupyter; ``.save("map.html")`` writes a standalone page.
    """
    import folium

    meta = plan.inputs.meta
    _ = translator(plan.scenario.report.language)
    attribution = "Map tiles © OpenStreetMap contributors | ruralnet plan" + (
        " | GENERATED data: see legend" if meta.generated else ""
    )
    if m is None:
        m = folium.Map(tiles=None, control_scale=True, zoom_snap=0.25)
        _inline_leaflet(m)
        folium.TileLayer(
            "OpenStreetMap", attr=html.escape(attribution), name=_("OpenStreetMap (online)")
        ).add_to(m)
        _blank_base(m, attribution, _("Blank (offline)"))
    if plan.inputs.boundary is not None:
        folium.GeoJson(
            _wgs(plan.inputs.boundary[["geometry"]]).to_json(),
            name=_("County boundary"),
            style_function=lambda _f: {"color": "#333", "weight": 2, "fillOpacity": 0.0},
        ).add_to(m)
    folium.GeoJson(
        _wgs(plan.inputs.roads[["highway", "geometry"]]).to_json(),
        name=_("Roads"),
        style_function=lambda f: {
            "color": "#9e9e9e",
            "weight": 2 if f["properties"]["highway"] in _MAJOR_ROADS else 1,
            "opacity": 0.8,
        },
        tooltip=folium.GeoJsonTooltip(["highway"]),
    ).add_to(m)
    groups = {
        # with routes, the straight van links are hidden at first: the loops show the van work
        name: folium.FeatureGroup(
            name=_(name), show=not (name == "Links: van" and plan.routes is not None)
        )
        for name in (
            N_("Access (village → station)"),
            N_("Villages"),
            N_("Links: van"),
            N_("Bus lines"),
            N_("Links: bus"),
        )
    }
    _add_villages(plan, groups["Villages"], groups["Access (village → station)"])
    _add_links(plan, {"van": groups["Links: van"], "bus": groups["Links: bus"]})
    _add_bus_lines(plan, groups["Bus lines"])
    station_keys = [
        "site_id",
        "kind",
        "village_id",
        "centre_id",
        "villages_served",
        "parcels_per_day",
        "yearly_cost_yuan",
        "source",
    ]
    station_style = {
        "color": lambda r: _STATION[r["kind"]],
        "symbol": "&#9679;",
        "size": 18,
        "kind": "station",
    }
    centre_style = {"color": _CENTRE, "symbol": "&#9632;", "size": 22, "kind": "centre"}
    centre_keys = [
        "site_id",
        "township_name",
        "kind",
        "hub_id",
        "stations_served",
        "parcels_per_day",
        "yearly_cost_yuan",
        "opened_phase",
        "source",
    ]
    phased = len(plan.problem.phases) > 1
    for name in plan.problem.phases.names if phased else [None]:
        suffix = f" opened {name}" if phased else ""
        shown = _(" opened {phase}").format(phase=name) if phased else ""
        groups[f"Stations{suffix}"] = folium.FeatureGroup(name=_("Stations") + shown)
        groups[f"Centres{suffix}"] = folium.FeatureGroup(name=_("Centres") + shown)
        stations = (
            plan.stations if not phased else plan.stations[plan.stations["opened_phase"] == name]
        )
        centres = plan.centres if not phased else plan.centres[plan.centres["opened_phase"] == name]
        _add_points(
            stations,
            groups[f"Stations{suffix}"],
            station_style,
            "site_id",
            [*station_keys, "opened_phase"],
        )
        _add_points(centres, groups[f"Centres{suffix}"], centre_style, "township_name", centre_keys)
    groups["Hub"] = folium.FeatureGroup(name=_("Hub"))
    _add_points(
        plan.hubs,
        groups["Hub"],
        {"color": _HUB, "symbol": "&#9733;", "size": 30, "kind": "hub"},
        "hub_id",
        ["hub_id", "name", "status", "source"],
    )
    if plan.cold_chain is not None:  # [cold_chain]: its layer only when enabled
        groups["Cold chain"] = folium.FeatureGroup(name=_("Cold chain"))
        _add_cold_chain(plan, groups["Cold chain"], _)
    if plan.lockers is not None:  # [lockers]: its layer only when enabled
        from ruralnet.lockers import lockers_table

        groups["Smart lockers"] = folium.FeatureGroup(name=_("Smart lockers"))
        _add_points(
            lockers_table(plan),
            groups["Smart lockers"],
            {"color": _LOCKER, "symbol": "&#9638;", "size": 16, "kind": "locker"},
            "site_id",
            ["site_id", "kind", "station_id", "township_id", "groups", "compartments",
             "capacity_parcels_per_day", "delivered_parcels_per_day", "locker_parcels_per_day",
             "yuan_per_year"],
        )  # fmt: skip
    for group in groups.values():
        group.add_to(m)
    if plan.routes is not None:
        add_routes_layer(plan.routes, m, name=_("Van routes"))
    folium.LayerControl(collapsed=False).add_to(m)
    m.get_root().html.add_child(folium.Element(_legend(plan)))
    minx, miny, maxx, maxy = _wgs(plan.villages).total_bounds
    m.fit_bounds([(miny, minx), (maxy, maxx)])
    return m


_ROUTE_PALETTE = ("#e41a1c", "#377eb8", "#4daf4a", "#984ea3", "#ff7f00", "#a65628", "#f781bf")


def add_routes_layer(
    route_plan: RoutePlan, m: folium.Map, *, name: str = "Van routes", show: bool = True
) -> folium.FeatureGroup:
    """
    Draw the routes on a folium map as one layer of coloured polylines (core Leaflet only).

    Parameters
    ----------
    route_plan
        Routes from :func:`build_routes`, with drawings.
    m
        The map, e.g. from :func:`plan_map`. Add the layer before the map's
        ``LayerControl`` is rendered so the control lists it.
    name
        Layer name in the layer control.
    show
        Whether the layer is on when the page opens.

    Returns
    -------
    folium.FeatureGroup
        The layer, already added to ``m``.
    """
    import folium

    layer = folium.FeatureGroup(name=name, show=show)
    settings = route_plan.settings
    fleet = fleet_table(route_plan).set_index("depot_id")
    for k, route in enumerate(route_plan.routes):
        if not route_plan.paths:
            break
        depot = fleet.loc[route.centre_id]
        row = {
            **route_row(route, settings),
            "depot fleet": f"{depot['vans']} vans, {depot['loops_per_van']:.1f} loops/van, "
            f"{depot['van_hours']:.1f} van-h/day, shift use {depot['shift_use']:.0%}",
        }
        minutes = round(route.start_hours * 60)
        start = f"{minutes // 60:02d}:{minutes % 60:02d}"
        tip = (
            f"{route.route_id} ({route.tier}; van {route.vehicle}, loop {route.trip}, loads at "
            f"{start} h into the shift): {len(route.stops)} stops, {route.km:.1f} km, "
            f"{route.parcels_delivered:.0f} out / {route.parcels_picked_up:.0f} back, "
            f"max load {route.max_load:.0f}/{settings.capacity_parcels:.0f}"
        )
        cells = "".join(
            f"<tr><th style='text-align:left;padding-right:6px'>{html.escape(key)}</th>"
            f"<td>{html.escape(' → '.join(val) if isinstance(val, list) else str(val))}</td></tr>"
            for key, val in row.items()
        )
        folium.PolyLine(
            [(lat, lon) for lon, lat in route_plan.paths[k]],
            color=_ROUTE_PALETTE[(route.vehicle - 1) % len(_ROUTE_PALETTE)],
            weight=3,
            opacity=0.85,
            dash_array="6 4" if route.tier == "trunk" else None,
            tooltip=html.escape(tip),
            popup=folium.Popup(f"<b>van route</b><table>{cells}</table>", max_width=420),
        ).add_to(layer)
    layer.add_to(m)
    return layer


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
            _wgs(boundary).to_json(),
            style_function=lambda _f: {"color": "#333", "weight": 2, "fillOpacity": 0.0},
        ).add_to(group)
    feats = gpd.read_file(folder / "plan.geojson")
    role = feats["role"]
    villages = feats[role == "village"]
    covered = villages["station_id"].notna() & (villages["station_id"].astype(str) != "")
    dot = {"fillOpacity": 0.8, "weight": 1}
    parts = ((villages[covered], "#888", 3), (villages[~covered], _UNCOVERED, 6))
    for part, colour, radius in parts:
        if len(part):
            style = {**dot, "color": colour, "fillColor": colour}
            _county_layer(part, ["name", "station_id"], style, radius=radius).add_to(group)
    trunk = feats[(role == "link") & (feats["tier"] == "trunk")]
    for mode, links in trunk.groupby("mode"):
        look = _MODE_STYLE.get(str(mode), _MODE_STYLE["van"])
        style = {"color": look["color"], "weight": 2, "dashArray": look["dash_array"]}
        _county_layer(links, ["from_id", "to_id", "mode"], style).add_to(group)
    stations = feats[role == "station"]
    for kind, colour in _STATION.items():
        part = stations[stations["kind"] == kind]
        if len(part):
            style = {**dot, "color": colour, "fillColor": colour}
            _county_layer(part, ["site_id", "kind"], style, radius=4).add_to(group)
    for kind, colour, radius in (("centre", _CENTRE, 7), ("hub", _HUB, 9)):
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
        f"<div><span style='color:{_STATION['existing']}'>&#9679;</span>/"
        f"<span style='color:{_STATION['new']}'>&#9679;</span> station upgraded/new, "
        f"<span style='color:{_CENTRE}'>&#11044;</span> centre, "
        f"<span style='color:{_HUB}'>&#11044;</span> county hub (largest), grey: villages, "
        f"<span style='color:{_UNCOVERED}'>&#9679;</span> not covered; lines: trunk links</div>"
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

    m = folium.Map(tiles=None, control_scale=True, zoom_snap=0.25)
    _inline_leaflet(m)
    attribution = "Map tiles © OpenStreetMap contributors | ruralnet plans"
    folium.TileLayer(
        "OpenStreetMap", attr=html.escape(attribution), name="OpenStreetMap (online)"
    ).add_to(m)
    _blank_base(m, attribution)
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
