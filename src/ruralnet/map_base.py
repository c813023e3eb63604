"""What every ruralnet map shares: the base map (Leaflet inlined, an offline base layer) and colours.

folium is imported inside the functions (as geopandas does for ``explore``), so the rest of
ruralnet works without it.
"""

from __future__ import annotations

import html
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import folium
    import geopandas as gpd

__all__ = [
    "CENTRE_COLOUR",
    "HUB_COLOUR",
    "MODE_STYLE",
    "STATION_COLOURS",
    "UNCOVERED_COLOUR",
    "blank_base",
    "inline_leaflet",
    "new_map",
    "to_wgs84",
]

STATION_COLOURS = {"existing": "#3182bd", "new": "#e6550d"}
CENTRE_COLOUR = "#6a3d9a"
HUB_COLOUR = "#000000"
UNCOVERED_COLOUR = "#d7191c"
MODE_STYLE = {
    "van": {"color": "#444444", "dash_array": None},
    "bus": {"color": "#1a9850", "dash_array": "8 6"},
}
_BLANK_TILE = "data:image/gif;base64,R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw=="


def to_wgs84(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return the frame in WGS84 longitude/latitude, as Leaflet draws it."""
    return frame.to_crs(4326)


def inline_leaflet(m: folium.Map) -> None:
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


def blank_base(m: folium.Map, attribution: str, name: str = "Blank (offline)") -> None:
    """Add a plain base layer that needs no network, so the map stays readable offline."""
    import folium

    folium.TileLayer(
        tiles=_BLANK_TILE,
        attr=html.escape(attribution),
        name=name,
        overlay=False,
        show=False,
    ).add_to(m)


def new_map(
    attribution: str, *, online: str = "OpenStreetMap (online)", blank: str = "Blank (offline)"
) -> folium.Map:
    """
    Start a self-contained map: Leaflet inlined, OpenStreetMap tiles and a blank offline base.

    Parameters
    ----------
    attribution
        Text shown in the map's corner (escaped here).
    online, blank
        Names of the two base layers in the layer control.

    Returns
    -------
    folium.Map
        A map with no overlays yet; fit its bounds once the layers are drawn.
    """
    import folium

    m = folium.Map(tiles=None, control_scale=True, zoom_snap=0.25)
    inline_leaflet(m)
    folium.TileLayer("OpenStreetMap", attr=html.escape(attribution), name=online).add_to(m)
    blank_base(m, attribution, blank)
    return m
