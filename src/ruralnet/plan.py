"""A solved, verified plan: tables for people, one summary, and delegations to export and maps."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ruralnet import __version__
from ruralnet.assemble import Assembly
from ruralnet.data import Inputs
from ruralnet.network import road_path
from ruralnet.problem import LinkOptions, Problem, Solution
from ruralnet.routes.data import RoutePlan
from ruralnet.scenario import Scenario
from ruralnet.verify import VerificationReport

if TYPE_CHECKING:
    import folium

__all__ = ["Plan"]


def _points(
    frame: gpd.GeoDataFrame, id_col: str, ids: list[str] | tuple[str, ...]
) -> gpd.GeoDataFrame:
    return frame.set_index(id_col).loc[list(ids)].reset_index()


@dataclass(frozen=True)
class Plan:
    """Scenario, data, problem, solution and verification of one run.

    Build it with :func:`ruralnet.solve`; it is only made for a plan that passed
    :func:`ruralnet.verify.verify`. Tables are GeoDataFrames in the dataset's metric CRS.
    """

    scenario: Scenario
    inputs: Inputs
    assembly: Assembly
    solution: Solution
    verification: VerificationReport
    all_van: VerificationReport | None = None
    routes: RoutePlan | None = None

    @property
    def problem(self) -> Problem:
        """The optimisation problem that was solved."""
        return self.assembly.problem

    def _first_phase(self, family: str) -> list[str | None]:
        """Name of the first phase in which each entity of ``family`` is open (or served)."""
        names = self.problem.phases.names
        steps = self.solution.phases or (self.solution,)
        flags = [
            (sol.village_station >= 0) if family == "village" else getattr(sol, family)
            for sol in steps
        ]
        stacked = np.vstack(flags)
        first = np.argmax(stacked, axis=0)
        return [names[k] if stacked[k, i] else None for i, k in enumerate(first)]

    @cached_property
    def villages(self) -> gpd.GeoDataFrame:
        """Every village with its serving station (``station_id``) and road distance to it."""
        p, s = self.problem, self.solution
        frame = self.inputs.villages.set_index("village_id").loc[list(p.village_ids)].reset_index()
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
        frame["covered_from_phase"] = self._first_phase("village")
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

    @cached_property
    def stations(self) -> gpd.GeoDataFrame:
        """Opened village service stations, with kind (existing upgraded / new) and centre."""
        p, s = self.problem, self.solution
        opened = np.flatnonzero(s.open_station)
        frame = _points(self.inputs.station_sites, "site_id", [p.station_ids[i] for i in opened])
        villages = self.villages
        frame["centre_id"] = [p.centre_ids[s.station_centre[i]] for i in opened]
        served = villages[villages["covered"]].groupby("station_id")
        frame["villages_served"] = frame["site_id"].map(served.size()).fillna(0).astype(int)
        parcels = served["inbound_parcels_per_day"].sum() + served["outbound_parcels_per_day"].sum()
        frame["parcels_per_day"] = frame["site_id"].map(parcels).fillna(0.0)
        frame["capacity_parcels_per_day"] = p.station_capacity[opened]
        frame["yearly_cost_yuan"] = p.station_yearly_yuan[opened]
        first = self._first_phase("open_station")  # once, not once per station
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

    @cached_property
    def centres(self) -> gpd.GeoDataFrame:
        """Opened township co-delivery centres, with the hub that feeds them."""
        p, s = self.problem, self.solution
        opened = np.flatnonzero(s.open_centre)
        frame = _points(self.inputs.centre_sites, "site_id", [p.centre_ids[i] for i in opened])
        names = self.inputs.townships.set_index("township_id")["name"]
        frame["township_name"] = frame["township_id"].map(names)
        frame["hub_id"] = [p.hub_ids[s.centre_hub[i]] for i in opened]
        stations = self.stations.groupby("centre_id")
        frame["stations_served"] = frame["site_id"].map(stations.size()).fillna(0).astype(int)
        frame["parcels_per_day"] = (
            frame["site_id"].map(stations["parcels_per_day"].sum()).fillna(0.0)
        )
        frame["capacity_parcels_per_day"] = p.centre_capacity[opened]
        frame["yearly_cost_yuan"] = p.centre_yearly_yuan[opened]
        first = self._first_phase("open_centre")
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

    @cached_property
    def hubs(self) -> gpd.GeoDataFrame:
        """Open county hubs."""
        p, s = self.problem, self.solution
        opened = np.flatnonzero(s.open_hub)
        frame = _points(self.inputs.hubs, "hub_id", [p.hub_ids[i] for i in opened])
        frame["yearly_cost_yuan"] = p.hub_yearly_yuan[opened]
        return frame[["hub_id", "name", "status", "yearly_cost_yuan", "source", "geometry"]]

    def _link_rows(
        self,
        tier: str,
        options: LinkOptions,
        flows: tuple[np.ndarray, np.ndarray],
        ends: tuple[pd.Series, pd.Series],
    ) -> list[dict[str, Any]]:
        p = self.problem
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

    @cached_property
    def links(self) -> gpd.GeoDataFrame:
        """Transport links in use: hub -> centre (``trunk``) and centre -> station (``feeder``)."""
        s = self.solution
        hubs = self.inputs.hubs.set_index("hub_id").geometry
        centres = self.inputs.centre_sites.set_index("site_id").geometry
        stations = self.inputs.station_sites.set_index("site_id").geometry
        rows = self._link_rows(
            "trunk", self.problem.trunk, (s.trunk_in, s.trunk_out), (hubs, centres)
        )
        rows += self._link_rows(
            "feeder", self.problem.feeder, (s.feeder_in, s.feeder_out), (centres, stations)
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
        return gpd.GeoDataFrame(rows, columns=columns, geometry="geometry", crs=self.inputs.crs)

    @cached_property
    def bus_lines(self) -> gpd.GeoDataFrame:
        """Bus lines with parcels carried and their busiest leg's load factor, drawn along the roads."""
        p, s, buses = self.problem, self.solution, self.assembly.buses
        load: dict[tuple[int, int, bool], float] = {}
        carried = np.zeros(len(p.bus.ids))
        for options, f_in, f_out in (
            (p.feeder, s.feeder_in, s.feeder_out),
            (p.trunk, s.trunk_in, s.trunk_out),
        ):
            for o in np.flatnonzero(options.line >= 0):
                line, fwd = int(options.line[o]), bool(options.forward[o])
                carried[line] += f_in[o] + f_out[o]
                for leg in range(int(options.leg_first[o]), int(options.leg_last[o]) + 1):
                    load[(line, leg, fwd)] = load.get((line, leg, fwd), 0.0) + f_in[o]
                    load[(line, leg, not fwd)] = load.get((line, leg, not fwd), 0.0) + f_out[o]
        rows = []
        for i, line_id in enumerate(p.bus.ids):
            stops = np.flatnonzero(buses.stop_line == i)
            path = np.vstack(
                [
                    road_path(
                        self.assembly.network,
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
        return gpd.GeoDataFrame(rows, columns=columns, geometry="geometry", crs=self.inputs.crs)

    def summary(self) -> dict[str, Any]:
        """
        Sum up the plan in numbers, as written to ``summary.json``.

        Returns
        -------
        dict
            Costs (yuan/year, recomputed by the verifier), counts, coverage, solver figures,
            data notes, and ``verified``.
        """
        from ruralnet.report import bus_share, policy_targets, transport_figures
        from ruralnet.routes.outputs import route_kpis

        s, p, v = self.solution, self.problem, self.verification
        villages, stations = self.villages, self.stations
        covered = villages[villages["covered"]]
        links = self.links
        meta = self.inputs.meta
        return {
            "scenario": self.scenario.scenario.name,
            "dataset": meta.name,
            "total_cost_yuan_per_year": round(v.total_yuan, 2),
            "cost_yuan_per_year": {k: round(val, 2) for k, val in v.cost_parts.items()},
            "villages": len(p.village_ids),
            "villages_covered": len(covered),
            "coverage_share": round(v.coverage_share, 6),
            "coverage_target": p.coverage_target,
            "stations_opened": len(stations),
            "stations_upgraded_existing": int((stations["kind"] == "existing").sum()),
            "stations_new": int((stations["kind"] == "new").sum()),
            "centres_opened": len(self.centres),
            "townships": len(p.township_ids),
            "hubs_open": len(self.hubs),
            "parcels_per_day": round(float(np.sum(p.parcels)), 2),
            "parcels_per_day_by_mode": {
                tier: {
                    mode: round(float(g["parcels_per_day"].sum()), 2)
                    for mode, g in t.groupby("mode")
                }
                for tier, t in links.groupby("tier")
            },
            "bus_load_factor": {
                row.line_id: round(row.load_factor, 4) for row in self.bus_lines.itertuples()
            },
            "all_van_cost_yuan_per_year": round(self.all_van.total_yuan, 2)
            if self.all_van
            else None,
            "saving_vs_all_van_yuan_per_year": (
                round(self.all_van.total_yuan - v.total_yuan, 2) if self.all_van else None
            ),
            "mean_access_km": round(float(covered["distance_km"].mean()), 3)
            if len(covered)
            else None,
            "max_access_km": round(float(covered["distance_km"].max()), 3)
            if len(covered)
            else None,
            "solver": {
                "backend": s.solver,
                "status": s.status.value,
                "objective": round(s.objective, 2),
                "best_bound": round(s.best_bound, 2),
                "gap": round(s.gap, 8),
                "seconds": round(s.seconds, 2),
            },
            "road_network": {
                "kept_km": round(self.assembly.network.length_km, 1),
                "dropped_km": round(self.assembly.network.dropped_km, 1),
                "components": self.assembly.network.components,
            },
            "phases": self._phase_summary(),
            "transport_per_day": {
                k: round(val, 3) if isinstance(val, float) else val
                for k, val in transport_figures(self).items()
            },
            "routes": route_kpis(self.routes) if self.routes is not None else None,
            "bus_share_of_parcel_rides": round(bus_share(self), 6),
            "targets": policy_targets(self),
            "generated_data": list(meta.generated),
            "attribution": list(meta.attribution),
            "ruralnet_version": __version__,
            "verified": v.ok,
        }

    def _phase_summary(self) -> list[dict[str, Any]]:
        p, s, v = self.problem, self.solution, self.verification
        steps = s.phases or (s,)
        reports = v.phases or (v,)
        one_off = (p.station_one_off_yuan, p.centre_one_off_yuan, p.hub_one_off_yuan)
        rows = []
        for k, (sol, report) in enumerate(zip(steps, reports, strict=True)):
            spent = 0.0
            if all(c is not None for c in one_off):
                for family, cost in zip(
                    ("open_station", "open_centre", "open_hub"), one_off, strict=True
                ):
                    before = (
                        getattr(steps[k - 1], family) if k else np.zeros_like(getattr(sol, family))
                    )
                    spent += float(np.sum(cost[getattr(sol, family) & ~before]))
            budget = float(p.phases.budget_yuan[k])
            rows.append(
                {
                    "name": p.phases.names[k],
                    "coverage_target": float(p.phases.coverage_target[k])
                    if s.phases
                    else p.coverage_target,
                    "coverage_share": round(report.coverage_share, 6),
                    "demand_factor": float(p.phases.demand_factor[k]),
                    "stations_open": int(sol.open_station.sum()),
                    "centres_open": int(sol.open_centre.sum()),
                    "cost_yuan_per_year": round(report.total_yuan, 2),
                    "one_off_spending_yuan": round(spent, 2),
                    "budget_yuan": budget if np.isfinite(budget) else None,
                }
            )
        return rows

    def with_routes(self, **options: Any) -> Plan:
        """
        Return this plan with its daily van routes; see :func:`ruralnet.routes.build.build_routes`.

        Parameters
        ----------
        **options
            Passed to :func:`~ruralnet.routes.build.build_routes` (time limit, shift hours, ...).

        Returns
        -------
        Plan
            The same plan with ``routes`` set (verified by :func:`ruralnet.routes.verify.verify_routes`).
        """
        from ruralnet.routes.build import build_routes

        return replace(self, routes=build_routes(self, **options))

    def kpis(self) -> pd.DataFrame:
        """
        Key figures against the scenario's targets.

        Returns
        -------
        pandas.DataFrame
            Columns ``kpi``, ``value``, ``target``, ``met``.
        """
        from ruralnet.report import kpi_table

        return kpi_table(self)

    def to_geojson(self, path: str | Path) -> Path:
        """Write the plan as one RFC 7946 FeatureCollection; see :func:`ruralnet.export.write_geojson`."""
        from ruralnet.export import write_geojson

        return write_geojson(self, path)

    def write(self, folder: str | Path, *, with_map: bool = True) -> list[Path]:
        """Write every output file into ``folder``; see :func:`ruralnet.export.write_plan`."""
        from ruralnet.export import write_plan

        return write_plan(self, folder, with_map=with_map)

    def map(self, m: folium.Map | None = None) -> folium.Map:
        """Draw the plan on a folium map; see :func:`ruralnet.maps.plan_map`."""
        from ruralnet.maps import plan_map

        return plan_map(self, m=m)
