"""A solved, verified plan: tables for people, one summary, and delegations to export and maps."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ruralnet.assemble import Assembly
from ruralnet.data import Inputs
from ruralnet.problem import Problem, Solution
from ruralnet.routes.data import RoutePlan
from ruralnet.scenario import Scenario
from ruralnet.settings import RouteRules
from ruralnet.verify import VerificationReport

if TYPE_CHECKING:
    import folium
    import geopandas as gpd
    import pandas as pd

    from ruralnet.brands import SeparateBrands
    from ruralnet.cold_verify import ColdChain
    from ruralnet.lockers import LockerPlan

__all__ = ["Counterpart", "Plan"]


@dataclass(frozen=True)
class Counterpart:
    """The same county solved another way and verified: what a plan is compared with.

    E.g. one station in every village (一村一站) beside a plan whose villages share stations.
    """

    problem: Problem
    solution: Solution
    verification: VerificationReport
    compared_with_yuan: float  # the siting-model cost of the plan it was solved beside


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
    own_village: Counterpart | None = None  # under rule = "within_distance": one station each
    routes: RoutePlan | None = None
    separate_brands: SeparateBrands | None = None  # [brands]: each brand on its own
    cold_chain: ColdChain | None = None  # [cold_chain]: cold sites and vans, after siting
    lockers: LockerPlan | None = None  # [lockers]: smart-locker groups, after siting

    @property
    def problem(self) -> Problem:
        """The optimisation problem that was solved."""
        return self.assembly.problem

    @cached_property
    def villages(self) -> gpd.GeoDataFrame:
        """Every village with its serving station (``station_id``) and road distance to it."""
        from ruralnet.tables import villages_table

        return villages_table(self)

    @cached_property
    def stations(self) -> gpd.GeoDataFrame:
        """Opened village service stations, with kind (existing upgraded / new) and centre."""
        from ruralnet.tables import stations_table

        return stations_table(self)

    @cached_property
    def centres(self) -> gpd.GeoDataFrame:
        """Opened township co-delivery centres, with the hub that feeds them."""
        from ruralnet.tables import centres_table

        return centres_table(self)

    @cached_property
    def hubs(self) -> gpd.GeoDataFrame:
        """Open county hubs."""
        from ruralnet.tables import hubs_table

        return hubs_table(self)

    @cached_property
    def links(self) -> gpd.GeoDataFrame:
        """Transport links in use: hub -> centre (``trunk``) and centre -> station (``feeder``)."""
        from ruralnet.tables import links_table

        return links_table(self)

    @cached_property
    def bus_lines(self) -> gpd.GeoDataFrame:
        """Bus lines with parcels carried and their busiest leg's load factor, drawn along the roads."""
        from ruralnet.tables import bus_lines_table

        return bus_lines_table(self)

    def summary(self) -> dict[str, Any]:
        """Sum up the plan in numbers, as written to ``summary.json``; see :func:`ruralnet.report.plan_summary`."""
        from ruralnet.report import plan_summary

        return plan_summary(self)

    def with_routes(self, rules: RouteRules | None = None) -> Plan:
        """Return this plan with its daily van routes; see :func:`ruralnet.routes.build.build_routes`."""
        from ruralnet.routes.build import build_routes

        return replace(self, routes=build_routes(self, rules=rules))

    def with_separate_brands(self) -> Plan:
        """Return this plan with the each-brand-on-its-own baseline; see :func:`ruralnet.brands.separate_brands`."""
        from ruralnet.brands import separate_brands

        return replace(self, separate_brands=separate_brands(self))

    def with_cold_chain(self) -> Plan:
        """Return this plan with its verified cold chain; see :func:`ruralnet.cold_chain.cold_chain`."""
        from ruralnet.cold_chain import cold_chain

        return replace(self, cold_chain=cold_chain(self))

    def with_lockers(self) -> Plan:
        """Return this plan with its verified smart-locker groups; see :func:`ruralnet.lockers.size_lockers`."""
        from ruralnet.lockers import size_lockers

        return replace(self, lockers=size_lockers(self))

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
