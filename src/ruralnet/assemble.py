"""Scenario + Inputs -> Problem: demand, yearly costs and the allowed links, in arrays."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from ruralnet.buses import BusNetwork, build_bus_network, bus_options
from ruralnet.data import Inputs
from ruralnet.errors import InfeasibleError
from ruralnet.network import (
    Pairs,
    RoadNetwork,
    Snap,
    build_network,
    near_pairs,
    paired_distances,
    snap_points,
)
from ruralnet.problem import Arcs, LinkOptions, Mode, Phases, Problem
from ruralnet.scenario import Scenario, annuity_factor

__all__ = ["Assembly", "build_problem", "coverage_fields", "with_coverage_rule"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Assembly:
    """A problem with the road network and snapped points it was built from."""

    problem: Problem
    network: RoadNetwork
    snaps: dict[str, Snap]
    buses: BusNetwork


def village_demand(scenario: Scenario, villages: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """
    Inbound and outbound parcels per day per village.

    Parameters
    ----------
    scenario
        Supplies per-person rates (DOMAIN.md D6, D7) where the data gives only population.
    villages
        The villages layer.

    Returns
    -------
    tuple of numpy.ndarray
        ``(inbound, outbound)`` parcels per day; outbound of ``producing`` villages is
        multiplied by ``[demand].producing_peak_factor`` (capacities are sized for the peak).
    """
    pop = pd.to_numeric(villages["population"], errors="coerce").fillna(0).to_numpy(float)
    demand = scenario.demand

    def pick(column: str, rate: float) -> np.ndarray:
        given = pd.to_numeric(villages[column], errors="coerce").to_numpy(float)
        return np.where(np.isnan(given), pop * rate, given)

    producing = villages["producing"].fillna(False).astype(bool).to_numpy()
    peak = np.where(producing, demand.producing_peak_factor, 1.0)
    return (
        pick("inbound_parcels_per_day", demand.inbound_parcels_per_person_day),
        pick("outbound_parcels_per_day", demand.outbound_parcels_per_person_day) * peak,
    )


def _one_off(kind: np.ndarray, new_yuan: float, upgrade_yuan: float) -> np.ndarray:
    return np.where(kind == "existing", upgrade_yuan, new_yuan).astype(float)


def _phases(scenario: Scenario) -> Phases:
    if not scenario.phases:
        return Phases(coverage_target=np.array([scenario.service.coverage_target]))
    ph = scenario.phases
    return Phases(
        names=tuple(p.name for p in ph),
        coverage_target=np.array([p.coverage_target for p in ph]),
        demand_factor=np.array([p.demand_factor for p in ph]),
        years=np.array([p.years for p in ph]),
        budget_yuan=np.array([np.inf if p.budget_yuan is None else p.budget_yuan for p in ph]),
    )


def _capacity(frame: pd.DataFrame, default: float) -> np.ndarray:
    given = pd.to_numeric(frame["capacity_parcels_per_day"], errors="coerce").to_numpy(float)
    return np.where(np.isnan(given), default, given)


def _van_options(pairs: Pairs, rate: float) -> LinkOptions:
    n = len(pairs.km)
    return LinkOptions(
        upstream=pairs.origin,
        downstream=pairs.target,
        mode=np.full(n, Mode.VAN.value, dtype=object),
        km=pairs.km,
        yuan_per_parcel=rate * pairs.km,
        line=np.full(n, -1),
        leg_first=np.full(n, -1),
        leg_last=np.full(n, -1),
        forward=np.ones(n, dtype=bool),
    )


def _station_townships(
    stations: pd.DataFrame, villages: pd.DataFrame, t_index: dict[str, int]
) -> np.ndarray:
    """Township of each station site: its village's, else the nearest village's."""
    village_town = dict(zip(villages["village_id"], villages["township_id"], strict=True))
    nearest = villages.geometry.iloc[
        villages.sindex.nearest(stations.geometry, return_all=False)[1]
    ]
    fallback = villages["township_id"].to_numpy()[nearest.index.to_numpy()]
    towns = [
        village_town.get(vid, fb) if isinstance(vid, str) else fb
        for vid, fb in zip(stations["village_id"], fallback, strict=True)
    ]
    return np.array([t_index.get(t, -1) for t in towns], dtype=np.int64)


def _snap_all(scenario: Scenario, inputs: Inputs, network: RoadNetwork) -> dict[str, Snap]:
    settings = scenario.network
    layers = {
        "villages": (inputs.villages, "village_id"),
        "station_sites": (inputs.station_sites, "site_id"),
        "centre_sites": (inputs.centre_sites, "site_id"),
        "hubs": (inputs.hubs, "hub_id"),
    }
    return {
        name: snap_points(
            network,
            frame.geometry,
            list(frame[id_col]),
            layer=name,
            warn_m=settings.snap_warn_m,
            max_m=settings.snap_max_m,
        )
        for name, (frame, id_col) in layers.items()
    }


def _needs_own_station(
    scenario: Scenario, villages: pd.DataFrame, parcels: np.ndarray
) -> np.ndarray:
    """Villages that must be served by a station of their own under the scenario's rule."""
    service = scenario.service
    if service.rule == "own_village":
        return np.ones(len(villages), dtype=bool)
    needs = np.zeros(len(villages), dtype=bool)
    if service.share_below_population is not None:
        pop = pd.to_numeric(villages["population"], errors="coerce").to_numpy(float)
        needs |= ~(pop < service.share_below_population)  # no figure: keeps its own
    if service.share_below_parcels_per_day is not None:
        needs |= ~(parcels < service.share_below_parcels_per_day)
    return needs


def _station_villages(stations: pd.DataFrame, villages: pd.DataFrame) -> np.ndarray:
    """Index of the village each station site stands in (``village_id``), -1 for none."""
    v_index = {vid: i for i, vid in enumerate(villages["village_id"])}
    return np.array(
        [v_index.get(vid, -1) if isinstance(vid, str) else -1 for vid in stations["village_id"]],
        dtype=np.int64,
    )


def _access_arcs(
    scenario: Scenario,
    network: RoadNetwork,
    snaps: dict[str, Snap],
    station_village: np.ndarray,
    needs_own: np.ndarray,
) -> Arcs:
    """Village -> station site pairs the coverage rule allows, with their road km.

    A village that needs its own station may use its own sites only, at any distance; the
    others may use every site within ``[service].max_access_km``.
    """
    service = scenario.service
    village_snap, site_snap = snaps["villages"], snaps["station_sites"]
    origin, target, km = [], [], []
    if not np.all(needs_own):
        near = near_pairs(network, village_snap, site_snap, limit_km=service.max_access_km)
        shared = ~needs_own[near.origin]
        origin.append(near.origin[shared])
        target.append(near.target[shared])
        km.append(near.km[shared])
    own_sites = np.flatnonzero(station_village >= 0)
    own_sites = own_sites[needs_own[station_village[own_sites]]]
    if len(own_sites):
        homes = station_village[own_sites]
        own_km = paired_distances(
            network,
            Snap(village_snap.node[homes], village_snap.km[homes]),
            Snap(site_snap.node[own_sites], site_snap.km[own_sites]),
        )
        reached = np.isfinite(own_km)
        origin.append(homes[reached])
        target.append(own_sites[reached])
        km.append(own_km[reached])
    v = np.concatenate([np.zeros(0, dtype=np.int64), *origin]).astype(np.int64)
    s = np.concatenate([np.zeros(0, dtype=np.int64), *target]).astype(np.int64)
    d = np.concatenate([np.zeros(0), *km])
    order = np.lexsort((s, v))
    return Arcs(
        village=v[order],
        station=s[order],
        km=d[order],
        yuan_per_parcel=service.access_yuan_per_parcel_km * d[order],
    )


def coverage_fields(
    scenario: Scenario,
    inputs: Inputs,
    network: RoadNetwork,
    snaps: dict[str, Snap],
    parcels: np.ndarray,
) -> dict[str, Any]:
    """
    Build the problem's fields that follow from the coverage rule ``[service].rule``.

    Parameters
    ----------
    scenario
        Supplies the rule, the service distance and the sharing limits.
    inputs
        The county dataset (villages and station sites, in the problem's order).
    network, snaps
        The road graph and the snapped villages and station sites.
    parcels
        Parcels per day of each village, both directions (base demand).

    Returns
    -------
    dict
        ``access``, ``station_village``, ``needs_own_station`` and ``max_access_km``, ready
        for :class:`~ruralnet.problem.Problem` or :func:`dataclasses.replace`.
    """
    station_village = _station_villages(inputs.station_sites, inputs.villages)
    needs_own = _needs_own_station(scenario, inputs.villages, parcels)
    return {
        "access": _access_arcs(scenario, network, snaps, station_village, needs_own),
        "station_village": station_village,
        "needs_own_station": needs_own,
        "max_access_km": float(scenario.service.max_access_km),
    }


def with_coverage_rule(assembly: Assembly, scenario: Scenario, inputs: Inputs) -> Problem:
    """
    Return the assembled problem under the coverage rule of ``scenario`` (same data and roads).

    Parameters
    ----------
    assembly
        A problem built from ``inputs``.
    scenario
        The scenario whose ``[service]`` rule applies, e.g. the plan's own with
        ``rule = "own_village"`` to price one station per village.
    inputs
        The dataset the assembly was built from.

    Returns
    -------
    Problem
        The same problem with the access arcs and coverage fields of that rule.
    """
    p = assembly.problem
    return replace(
        p, **coverage_fields(scenario, inputs, assembly.network, assembly.snaps, p.parcels)
    )


def _township_centres(
    villages: pd.DataFrame, centres: pd.DataFrame
) -> tuple[tuple[str, ...], dict[str, int], pd.DataFrame]:
    """Townships that have villages, their index, and the centre sites in those townships."""
    # townships that have villages: each needs an open centre
    township_ids = tuple(sorted(set(villages["township_id"])))
    t_index = {t: i for i, t in enumerate(township_ids)}
    centres = centres[centres["township_id"].isin(t_index)]
    lacking = sorted(set(township_ids) - set(centres["township_id"]))
    if lacking:
        msg = (
            f"township(s) {', '.join(lacking)} have villages but no candidate centre site; "
            "add a centre_sites row for each"
        )
        raise InfeasibleError(msg)
    return township_ids, t_index, centres


def _links(
    scenario: Scenario,
    inputs: Inputs,
    network: RoadNetwork,
    snaps: dict[str, Snap],
    centres: pd.DataFrame,
    t_index: dict[str, int],
) -> tuple[LinkOptions, LinkOptions, BusNetwork]:
    """Feeder (centre -> station) and trunk (hub -> centre) options by van and bus."""
    centre_snap = snaps["centre_sites"]
    feeder_km = near_pairs(
        network, centre_snap, snaps["station_sites"], limit_km=scenario.service.max_feeder_km
    )
    trunk_km = near_pairs(network, snaps["hubs"], centre_snap)
    van_rate = scenario.van.yuan_per_parcel_km
    buses = build_bus_network(scenario, inputs.bus_stops, inputs.bus_lines, network)
    feeder = LinkOptions.concat(
        [
            _van_options(feeder_km, van_rate),
            bus_options(scenario, buses, network, centre_snap, snaps["station_sites"]),
        ]
    )
    if scenario.service.feed_within_township:
        station_township = _station_townships(inputs.station_sites, inputs.villages, t_index)
        centre_township = np.array([t_index[t] for t in centres["township_id"]], dtype=np.int64)
        feeder = feeder.subset(
            centre_township[feeder.upstream] == station_township[feeder.downstream]
        )
    trunk = LinkOptions.concat(
        [
            _van_options(trunk_km, van_rate),
            bus_options(scenario, buses, network, snaps["hubs"], centre_snap),
        ]
    )
    return feeder, trunk, buses


def _station_fields(scenario: Scenario, stations: pd.DataFrame) -> dict[str, Any]:
    """Build the problem's station-site fields: ids, yearly yuan, capacity and one-off yuan."""
    rate, s_cost = scenario.finance.discount_rate, scenario.station
    station_one_off = _one_off(
        stations["kind"].to_numpy(), s_cost.new_build_yuan, s_cost.upgrade_yuan
    )
    return {
        "station_ids": tuple(stations["site_id"]),
        "station_yearly_yuan": station_one_off * annuity_factor(rate, s_cost.lifetime_years)
        + s_cost.operating_yuan_per_year,
        "station_capacity": _capacity(stations, s_cost.capacity_parcels_per_day),
        "station_handling_yuan": s_cost.handling_yuan_per_parcel,
        "station_one_off_yuan": station_one_off,
    }


def _centre_fields(
    scenario: Scenario, centres: pd.DataFrame, t_index: dict[str, int]
) -> dict[str, Any]:
    """Build the problem's centre-site fields: ids, townships, yearly yuan and capacity."""
    rate, c_cost = scenario.finance.discount_rate, scenario.centre
    centre_one_off = _one_off(
        centres["kind"].to_numpy(), c_cost.new_build_yuan, c_cost.upgrade_yuan
    )
    return {
        "centre_ids": tuple(centres["site_id"]),
        "centre_township": np.array([t_index[t] for t in centres["township_id"]], dtype=np.int64),
        "centre_yearly_yuan": centre_one_off * annuity_factor(rate, c_cost.lifetime_years)
        + c_cost.operating_yuan_per_year,
        "centre_capacity": _capacity(centres, c_cost.capacity_parcels_per_day),
        "centre_handling_yuan": c_cost.handling_yuan_per_parcel,
        "centre_one_off_yuan": centre_one_off,
    }


def _hub_fields(scenario: Scenario, hubs: pd.DataFrame, peak_parcels: float) -> dict[str, Any]:
    """Build the problem's hub fields; a hub without a capacity takes ``peak_parcels``."""
    rate, h_cost = scenario.finance.discount_rate, scenario.hub
    fixed = (hubs["status"] == "fixed").to_numpy()
    hub_capacity = pd.to_numeric(hubs["capacity_parcels_per_day"], errors="coerce").to_numpy(float)
    hub_one_off = np.where(fixed, 0.0, h_cost.new_build_yuan)
    return {
        "hub_ids": tuple(hubs["hub_id"]),
        "hub_fixed": fixed,
        "hub_yearly_yuan": np.where(
            fixed,
            0.0,
            hub_one_off * annuity_factor(rate, h_cost.lifetime_years)
            + h_cost.operating_yuan_per_year,
        ),
        "hub_capacity": np.where(np.isnan(hub_capacity), peak_parcels, hub_capacity),
        "hub_one_off_yuan": hub_one_off,
    }


def _log_problem(problem: Problem) -> None:
    """Log the problem's size: villages, sites, access arcs and feeder options."""
    log.info(
        "problem: %d villages, %d station sites, %d centre sites, %d access arcs, %d feeder options"
        " (%d by bus)",
        len(problem.village_ids),
        len(problem.station_ids),
        len(problem.centre_ids),
        len(problem.access.village),
        len(problem.feeder),
        int(np.sum(problem.feeder.line >= 0)),
    )


def build_problem(scenario: Scenario, inputs: Inputs) -> Assembly:
    """
    Build the optimisation problem: road distances, yearly costs and allowed links.

    Parameters
    ----------
    scenario
        Costs, service rules and defaults.
    inputs
        The validated county dataset.

    Returns
    -------
    Assembly
        The :class:`~ruralnet.problem.Problem` and the network it was measured on.

    Raises
    ------
    InfeasibleError
        When a township has no villages' centre candidate or no hub is available.
    """
    network = build_network(inputs.roads)
    snaps = _snap_all(scenario, inputs, network)
    villages = inputs.villages
    inbound, outbound = village_demand(scenario, villages)
    township_ids, t_index, centres = _township_centres(villages, inputs.centre_sites)
    centre_rows = centres.index.to_numpy()
    centre_snap = Snap(
        snaps["centre_sites"].node[centre_rows], snaps["centre_sites"].km[centre_rows]
    )
    snaps = {**snaps, "centre_sites": centre_snap}
    total_parcels = float(np.sum(inbound + outbound))
    feeder, trunk, buses = _links(scenario, inputs, network, snaps, centres, t_index)
    phases = _phases(scenario)
    problem = Problem(
        village_ids=tuple(villages["village_id"]),
        village_township=np.array([t_index[t] for t in villages["township_id"]], dtype=np.int64),
        inbound=inbound,
        outbound=outbound,
        township_ids=township_ids,
        **_station_fields(scenario, inputs.station_sites),
        **_centre_fields(scenario, centres, t_index),
        **_hub_fields(scenario, inputs.hubs, total_parcels * phases.demand_factor.max()),
        **coverage_fields(scenario, inputs, network, snaps, inbound + outbound),
        feeder=feeder,
        trunk=trunk,
        bus=buses.lines,
        coverage_target=float(phases.coverage_target[-1]),
        max_new_hubs=scenario.hub.max_open,
        days_per_year=scenario.demand.days_per_year,
        phases=phases,
    )
    if len(scenario.phases) == 1:  # one phase: the problem of that phase, its demand scaled
        problem = problem.for_phase(0)
    _log_problem(problem)
    return Assembly(problem=problem, network=network, snaps=snaps, buses=buses)
