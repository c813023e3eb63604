"""Van routing: the daily loops from each township centre through the stations it feeds.

Modules, in the order they depend on each other:

* :mod:`~ruralnet.routes.data` -- routing instances and results (plain data, no solver)
* :mod:`~ruralnet.routes.verify` -- the independent route verifier
* :mod:`~ruralnet.routes.engine` -- the router (PyVRP: the only routing-solver import of this package)
* :mod:`~ruralnet.routes.outputs` -- drawings, GeoJSON, tables, key figures
* :mod:`~ruralnet.routes.build` -- a plan's routes: instances, router, drawings
* :mod:`~ruralnet.routes.readback` -- re-checking the routes of a written plan folder
* :mod:`~ruralnet.routes.pricing` -- feeding the routes' cost back into the siting model
  (it re-solves through the pipeline, so it is imported on its own:
  ``from ruralnet.routes.pricing import solve_with_routes``, or ``rn.solve_with_routes``)

The map layer of the routes is :func:`ruralnet.maps.add_routes_layer`.
"""

from __future__ import annotations

from ruralnet.routes.build import (
    MIN_PARCELS,
    build_routes,
    centre_stops,
    hub_stops,
    route_settings,
)
from ruralnet.routes.data import CentreStops, Route, RoutePlan, RouteSettings, SearchInfo
from ruralnet.routes.engine import route_instances
from ruralnet.routes.outputs import (
    fleet_table,
    route_kpis,
    route_paths,
    route_stops_table,
    routes_geojson,
    routes_table,
    write_routes_geojson,
)
from ruralnet.routes.verify import RouteViolation, verify_routes

__all__ = [
    "MIN_PARCELS",
    "CentreStops",
    "Route",
    "RoutePlan",
    "RouteSettings",
    "RouteViolation",
    "SearchInfo",
    "build_routes",
    "centre_stops",
    "fleet_table",
    "hub_stops",
    "route_instances",
    "route_kpis",
    "route_paths",
    "route_settings",
    "route_stops_table",
    "routes_geojson",
    "routes_table",
    "verify_routes",
    "write_routes_geojson",
]
