"""folium maps of a plan: villages by serving station, stations by kind, centres, hubs, links.

folium is imported inside the functions (as geopandas does for ``explore``), so the rest of
ruralnet works without it.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np

from ruralnet.i18n import N_, translator
from ruralnet.map_base import (
    CENTRE_COLOUR,
    HUB_COLOUR,
    MODE_STYLE,
    STATION_COLOURS,
    UNCOVERED_COLOUR,
    new_map,
    to_wgs84,
)
from ruralnet.routes.outputs import fleet_table, route_row

if TYPE_CHECKING:
    import folium

    from ruralnet.plan import Plan
    from ruralnet.routes.data import RoutePlan

__all__ = ["add_routes_layer", "plan_map"]

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
_COLD = "#00acc1"  # [cold_chain]: cold-capable sites and cold van legs
_LOCKER = "#ff7f00"  # [lockers]: sites with smart-locker groups
_BUS_LINE = "#1a9850"
_MAJOR_ROADS = {"motorway", "trunk", "primary", "secondary", "tertiary"}


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
            f"<span style='color:{STATION_COLOURS['existing']}'>&#9679;</span>",
            N_("station, upgraded existing 村邮站"),
        ),
        (f"<span style='color:{STATION_COLOURS['new']}'>&#9679;</span>", N_("station, new")),
        (f"<span style='color:{CENTRE_COLOUR}'>&#9632;</span>", N_("township co-delivery centre")),
        (f"<span style='color:{HUB_COLOUR}'>&#9733;</span>", N_("county hub")),
        ("<span style='color:#888'>&#8226;</span>", N_("village (colour of its station)")),
        (f"<span style='color:{UNCOVERED_COLOUR}'>&#10006;</span>", N_("village not covered")),
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
                    f"<span style='color:{CENTRE_COLOUR}'>&#9632;</span>",
                    text.format(source=label, n=int((seats == label).sum()), total=len(seats)),
                )
            )
    return rows


def _add_villages(plan: Plan, layer: folium.FeatureGroup, access: folium.FeatureGroup) -> None:
    import folium

    villages = to_wgs84(plan.villages)
    sources = _position_sources(plan)
    villages["position_source"] = [sources.get(v, "") for v in villages["village_id"]]
    stations = to_wgs84(plan.stations).set_index("site_id").geometry
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
        fill = colour.get(row["station_id"], UNCOVERED_COLOUR)
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

    for row in to_wgs84(frame).to_dict(orient="records"):
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
    for row in to_wgs84(lines[lines.geometry.notna()]).to_dict(orient="records"):
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
    for row in to_wgs84(plan.links).to_dict(orient="records"):
        style = MODE_STYLE.get(row["mode"], MODE_STYLE["van"])
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
        "village": to_wgs84(plan.villages).set_index("village_id").geometry,
        "station": to_wgs84(plan.stations).set_index("site_id").geometry,
        "centre": to_wgs84(plan.centres).set_index("site_id").geometry,
        "hub": to_wgs84(plan.hubs).set_index("hub_id").geometry,
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


_STATION_KEYS = [
    "site_id",
    "kind",
    "village_id",
    "centre_id",
    "villages_served",
    "parcels_per_day",
    "yearly_cost_yuan",
    "source",
    "opened_phase",
]
_CENTRE_KEYS = [
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
_LOCKER_KEYS = [
    "site_id",
    "kind",
    "station_id",
    "township_id",
    "groups",
    "compartments",
    "capacity_parcels_per_day",
    "delivered_parcels_per_day",
    "locker_parcels_per_day",
    "yuan_per_year",
]


def _add_background(plan: Plan, m: folium.Map, _: Callable[[str], str]) -> None:
    """Draw the county boundary (when the dataset has one) and the roads, major ones thicker."""
    import folium

    if plan.inputs.boundary is not None:
        folium.GeoJson(
            to_wgs84(plan.inputs.boundary[["geometry"]]).to_json(),
            name=_("County boundary"),
            style_function=lambda _f: {"color": "#333", "weight": 2, "fillOpacity": 0.0},
        ).add_to(m)
    folium.GeoJson(
        to_wgs84(plan.inputs.roads[["highway", "geometry"]]).to_json(),
        name=_("Roads"),
        style_function=lambda f: {
            "color": "#9e9e9e",
            "weight": 2 if f["properties"]["highway"] in _MAJOR_ROADS else 1,
            "opacity": 0.8,
        },
        tooltip=folium.GeoJsonTooltip(["highway"]),
    ).add_to(m)


def _flow_groups(plan: Plan, _: Callable[[str], str]) -> dict[str, folium.FeatureGroup]:
    """Draw the access lines, villages, links and bus lines, each into its own layer."""
    import folium

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
    return groups


def _add_site_groups(
    plan: Plan, groups: dict[str, folium.FeatureGroup], _: Callable[[str], str]
) -> None:
    """Add the station and centre layers (a pair per phase in a phased plan) and the hub's."""
    import folium

    station_style = {
        "color": lambda r: STATION_COLOURS[r["kind"]],
        "symbol": "&#9679;",
        "size": 18,
        "kind": "station",
    }
    centre_style = {"color": CENTRE_COLOUR, "symbol": "&#9632;", "size": 22, "kind": "centre"}
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
        _add_points(stations, groups[f"Stations{suffix}"], station_style, "site_id", _STATION_KEYS)
        _add_points(
            centres, groups[f"Centres{suffix}"], centre_style, "township_name", _CENTRE_KEYS
        )
    groups["Hub"] = folium.FeatureGroup(name=_("Hub"))
    _add_points(
        plan.hubs,
        groups["Hub"],
        {"color": HUB_COLOUR, "symbol": "&#9733;", "size": 30, "kind": "hub"},
        "hub_id",
        ["hub_id", "name", "status", "source"],
    )


def _add_option_groups(
    plan: Plan, groups: dict[str, folium.FeatureGroup], _: Callable[[str], str]
) -> None:
    """Add the cold-chain and smart-locker layers, each only when its table is on."""
    import folium

    if plan.cold_chain is not None:
        groups["Cold chain"] = folium.FeatureGroup(name=_("Cold chain"))
        _add_cold_chain(plan, groups["Cold chain"], _)
    if plan.lockers is not None:
        from ruralnet.lockers import lockers_table

        groups["Smart lockers"] = folium.FeatureGroup(name=_("Smart lockers"))
        _add_points(
            lockers_table(plan),
            groups["Smart lockers"],
            {"color": _LOCKER, "symbol": "&#9638;", "size": 16, "kind": "locker"},
            "site_id",
            _LOCKER_KEYS,
        )


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

    _ = translator(plan.scenario.report.language)
    if m is None:
        attribution = "Map tiles © OpenStreetMap contributors | ruralnet plan" + (
            " | GENERATED data: see legend" if plan.inputs.meta.generated else ""
        )
        m = new_map(attribution, online=_("OpenStreetMap (online)"), blank=_("Blank (offline)"))
    _add_background(plan, m, _)
    groups = _flow_groups(plan, _)
    _add_site_groups(plan, groups, _)
    _add_option_groups(plan, groups, _)
    for group in groups.values():
        group.add_to(m)
    if plan.routes is not None:
        add_routes_layer(plan.routes, m, name=_("Van routes"))
    folium.LayerControl(collapsed=False).add_to(m)
    m.get_root().html.add_child(folium.Element(_legend(plan)))
    minx, miny, maxx, maxy = to_wgs84(plan.villages).total_bounds
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
