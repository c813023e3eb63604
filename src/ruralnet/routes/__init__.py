"""Van routing: the daily loops from each township centre through the stations it feeds.

Modules, in the order they depend on each other:

* :mod:`~ruralnet.routes.data` -- routing instances and results (plain data, no solver)
* :mod:`~ruralnet.routes.verify` -- the independent route verifier
* :mod:`~ruralnet.routes.engine` -- the router (the only OR-Tools import of this package)
* :mod:`~ruralnet.routes.outputs` -- drawings, GeoJSON, tables, key figures
* :mod:`~ruralnet.routes.build` -- a plan's routes: instances, router, drawings
* :mod:`~ruralnet.routes.pricing` -- feeding the routes' cost back into the siting model

The map layer of the routes is :func:`ruralnet.maps.add_routes_layer`.
"""

from __future__ import annotations

from typing import Any

from ruralnet.routes.build import (
    DEFAULT_SHIFT_HOURS,
    DEFAULT_SPEED_KMH,
    MIN_PARCELS,
    build_routes,
    centre_stops,
    route_settings,
)
from ruralnet.routes.data import CentreStops, Route, RoutePlan, RouteSettings, SearchInfo
from ruralnet.routes.engine import route_instances
from ruralnet.routes.outputs import (
    route_kpis,
    route_paths,
    route_stops_table,
    routes_geojson,
    routes_table,
    write_routes_geojson,
)
from ruralnet.routes.verify import RouteViolation, verify_routes

__all__ = [
    "DEFAULT_SHIFT_HOURS",
    "DEFAULT_SPEED_KMH",
    "MIN_PARCELS",
    "CentreStops",
    "RoundReport",
    "Route",
    "RoutePlan",
    "RouteSettings",
    "RouteViolation",
    "SearchInfo",
    "build_routes",
    "centre_stops",
    "feeder_prices",
    "route_instances",
    "route_kpis",
    "route_paths",
    "route_settings",
    "route_stops_table",
    "routes_geojson",
    "routes_table",
    "solve_with_routes",
    "verify_routes",
    "write_routes_geojson",
]

_PRICING = {"RoundReport", "feeder_prices", "solve_with_routes"}


def __getattr__(name: str) -> Any:
    # pricing re-solves through the pipeline, which imports this package's data module:
    # it loads on first use so that importing ruralnet.routes never imports the pipeline
    if name in _PRICING:
        from ruralnet.routes import pricing

        return getattr(pricing, name)
    msg = f"module 'ruralnet.routes' has no attribute {name!r}"
    raise AttributeError(msg)
