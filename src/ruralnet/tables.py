"""Planner tables of a solved plan: villages, stations, centres, hubs, links and bus lines.

Each function takes a :class:`~ruralnet.plan.Plan`; the plan's table properties delegate here.
Tables are GeoDataFrames in the dataset's metric CRS.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ruralnet.network import road_path
from ruralnet.verify import bus_leg_loads

if TYPE_CHECKING:
    from ruralnet.plan import Plan
    from ruralnet.problem import LinkOptions

__all__ = [
    "bus_lines_table",
    "centres_table",
    "first_phase",
    "hubs_table",
    "links_table",
    "stations_table",
    "villages_table",
]


def _points(
    frame: gpd.GeoDataFrame, id_col: str, ids: list[str] | tuple[str, ...]
) -> gpd.GeoDataFrame:
    return frame.set_index(id_col).loc[list(ids)].reset_index()


def first_phase(plan: Plan, family: str) -> list[str | None]:
    """Return the name of the first phase in which each entity of ``family`` is open (or served)."""
    names = plan.problem.phases.names
    steps = plan.solution.phases or (plan.solution,)
    flags = [
        (sol.village_station >= 0) if family == "village" else getattr(sol, family) for sol in steps
    ]
    stacked = np.vstack(flags)
    first = np.argmax(stacked, axis=0)
    return [names[k] if stacked[k, i] else None for i, k in enumerate(first)]


def villages_table(plan: Plan) -> gpd.GeoDataFrame:
    """Return every village with its serving station (``station_id``) and road distance to it."""
    p, s = plan.problem, plan.solution
    frame = plan.inputs.villages.set_index("village_id").loc[list(p.village_ids)].reset_index()
    arc_km = {
        (int(v), int(st)): km
        for v, st, km in zip(p.access.village, p.access.station, p.access.km, strict=True)
    }
    station = s.village_station
    frame["inbound_parcels_per_day"] = p.inbound
    frame["outbound_parcels_per_day"] = p.outbound
    frame["station_id"] = [p.station_ids[i] if i >= 0 else None for i in station]
    frame["distance_km"] = [
        arc_km[(v, int(i))] if i >= 0 else np.nan for v, i in enumerate(station)
    ]
    frame["covered"] = station >= 0
    frame["covered_from_phase"] = first_phase(plan, "village")
    columns = [
        "village_id",
        "name",
        "township_id",
        "population",
        "inbound_parcels_per_day",
        "outbound_parcels_per_day",
        "covered",
        "covered_from_phase",
        "station_id",
        "distance_km",
        "source",
        "geometry",
    ]
    return frame[columns]


def stations_table(plan: Plan) -> gpd.GeoDataFrame:
    """Return the opened village service stations, with kind (existing upgraded / new) and centre."""
    p, s = plan.problem, plan.solution
    opened = np.flatnonzero(s.open_station)
    frame = _points(plan.inputs.station_sites, "site_id", [p.station_ids[i] for i in opened])
    villages = plan.villages
    frame["centre_id"] = [p.centre_ids[s.station_centre[i]] for i in opened]
    served = villages[villages["covered"]].groupby("station_id")
    frame["villages_served"] = frame["site_id"].map(served.size()).fillna(0).astype(int)
    parcels = served["inbound_parcels_per_day"].sum() + served["outbound_parcels_per_day"].sum()
    frame["parcels_per_day"] = frame["site_id"].map(parcels).fillna(0.0)
    frame["capacity_parcels_per_day"] = p.station_capacity[opened]
    frame["yearly_cost_yuan"] = p.station_yearly_yuan[opened]
    first = first_phase(plan, "open_station")  # once, not once per station
    frame["opened_phase"] = [first[i] for i in opened]
    return frame[
        [
            "site_id",
            "kind",
            "village_id",
            "centre_id",
            "villages_served",
            "parcels_per_day",
            "capacity_parcels_per_day",
            "yearly_cost_yuan",
            "opened_phase",
            "source",
            "geometry",
        ]
    ]


def centres_table(plan: Plan) -> gpd.GeoDataFrame:
    """Return the opened township co-delivery centres, with the hub that feeds them."""
    p, s = plan.problem, plan.solution
    opened = np.flatnonzero(s.open_centre)
    frame = _points(plan.inputs.centre_sites, "site_id", [p.centre_ids[i] for i in opened])
    names = plan.inputs.townships.set_index("township_id")["name"]
    frame["township_name"] = frame["township_id"].map(names)
    frame["hub_id"] = [p.hub_ids[s.centre_hub[i]] for i in opened]
    stations = plan.stations.groupby("centre_id")
    frame["stations_served"] = frame["site_id"].map(stations.size()).fillna(0).astype(int)
    frame["parcels_per_day"] = frame["site_id"].map(stations["parcels_per_day"].sum()).fillna(0.0)
    frame["capacity_parcels_per_day"] = p.centre_capacity[opened]
    frame["yearly_cost_yuan"] = p.centre_yearly_yuan[opened]
    first = first_phase(plan, "open_centre")
    frame["opened_phase"] = [first[i] for i in opened]
    return frame[
        [
            "site_id",
            "township_id",
            "township_name",
            "kind",
            "hub_id",
            "stations_served",
            "parcels_per_day",
            "capacity_parcels_per_day",
            "yearly_cost_yuan",
            "opened_phase",
            "source",
            "geometry",
        ]
    ]


def hubs_table(plan: Plan) -> gpd.GeoDataFrame:
    """Return the open county hubs."""
    p, s = plan.problem, plan.solution
    opened = np.flatnonzero(s.open_hub)
    frame = _points(plan.inputs.hubs, "hub_id", [p.hub_ids[i] for i in opened])
    frame["yearly_cost_yuan"] = p.hub_yearly_yuan[opened]
    return frame[["hub_id", "name", "status", "yearly_cost_yuan", "source", "geometry"]]


def _link_rows(
    plan: Plan,
    tier: str,
    options: LinkOptions,
    flows: tuple[np.ndarray, np.ndarray],
    ends: tuple[pd.Series, pd.Series],
) -> list[dict[str, Any]]:
    p = plan.problem
    up_ids, down_ids = (
        (p.centre_ids, p.station_ids) if tier == "feeder" else (p.hub_ids, p.centre_ids)
    )
    f_in, f_out = flows
    rows = []
    for o in np.flatnonzero(f_in + f_out > 1e-6):  # noqa: PLR2004 - solver round-off below
        up, down = up_ids[options.upstream[o]], down_ids[options.downstream[o]]
        line = int(options.line[o])
        parcels = float(f_in[o] + f_out[o])
        rows.append(
            {
                "from_id": up,
                "to_id": down,
                "tier": tier,
                "mode": str(options.mode[o]),
                "line_id": p.bus.ids[line] if line >= 0 else None,
                "km": float(options.km[o]),
                "parcels_in_per_day": float(f_in[o]),
                "parcels_out_per_day": float(f_out[o]),
                "parcels_per_day": parcels,
                "yuan_per_year": float(parcels * options.yuan_per_parcel[o] * p.days_per_year),
                "geometry": shapely.LineString([ends[0][up], ends[1][down]]),
            }
        )
    return rows


def links_table(plan: Plan) -> gpd.GeoDataFrame:
    """Return the transport links in use: hub -> centre (``trunk``) and centre -> station (``feeder``)."""
    s = plan.solution
    hubs = plan.inputs.hubs.set_index("hub_id").geometry
    centres = plan.inputs.centre_sites.set_index("site_id").geometry
    stations = plan.inputs.station_sites.set_index("site_id").geometry
    rows = _link_rows(plan, "trunk", plan.problem.trunk, (s.trunk_in, s.trunk_out), (hubs, centres))
    rows += _link_rows(
        plan, "feeder", plan.problem.feeder, (s.feeder_in, s.feeder_out), (centres, stations)
    )
    columns = [
        "from_id",
        "to_id",
        "tier",
        "mode",
        "line_id",
        "km",
        "parcels_in_per_day",
        "parcels_out_per_day",
        "parcels_per_day",
        "yuan_per_year",
        "geometry",
    ]
    return gpd.GeoDataFrame(rows, columns=columns, geometry="geometry", crs=plan.inputs.crs)


def bus_lines_table(plan: Plan) -> gpd.GeoDataFrame:
    """Return the bus lines with parcels carried and their busiest leg's load factor, drawn along the roads."""
    p, s, buses = plan.problem, plan.solution, plan.assembly.buses
    load = bus_leg_loads(p, s)
    carried = np.zeros(len(p.bus.ids))
    for options, f_in, f_out in (
        (p.feeder, s.feeder_in, s.feeder_out),
        (p.trunk, s.trunk_in, s.trunk_out),
    ):
        for o in np.flatnonzero(options.line >= 0):
            carried[int(options.line[o])] += f_in[o] + f_out[o]
    rows = []
    for i, line_id in enumerate(p.bus.ids):
        stops = np.flatnonzero(buses.stop_line == i)
        path = np.vstack(
            [
                road_path(
                    plan.assembly.network,
                    int(buses.stop_snap.node[a]),
                    int(buses.stop_snap.node[b]),
                )
                for a, b in itertools.pairwise(stops)
            ]
        )
        busiest = max((v for (ln, _leg, _d), v in load.items() if ln == i), default=0.0)
        rows.append(
            {
                "line_id": line_id,
                "stops": len(stops),
                "km": float(buses.leg_km[i].sum()),
                "trips_per_day": float(buses.trips_per_day[i]),
                "capacity_parcels_per_trip": float(buses.capacity_parcels_per_trip[i]),
                "fee_yuan_per_parcel": float(buses.fee_yuan_per_parcel[i]),
                "figures_from_defaults": line_id in buses.defaulted,
                "parcels_per_day": float(carried[i]),
                "busiest_leg_parcels_per_day": busiest,
                "load_factor": busiest / float(p.bus.leg_capacity[i]),
                "geometry": shapely.LineString(path) if len(path) > 1 else None,
            }
        )
    columns = [
        "line_id",
        "stops",
        "km",
        "trips_per_day",
        "capacity_parcels_per_trip",
        "fee_yuan_per_parcel",
        "figures_from_defaults",
        "parcels_per_day",
        "busiest_leg_parcels_per_day",
        "load_factor",
        "geometry",
    ]
    return gpd.GeoDataFrame(rows, columns=columns, geometry="geometry", crs=plan.inputs.crs)
