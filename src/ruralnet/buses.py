"""Bus lines as a transport mode (客货邮融合): stops on the road graph, legs and link options.

A bus line is an ordered list of stops; leg ``k`` runs from stop ``k`` to stop ``k + 1``.
Each leg carries at most ``capacity_parcels_per_trip × trips_per_day`` parcels per day in each
direction. A facility pair (upstream, downstream) can ride a line when a stop lies within
``[bus].max_transfer_km`` road km of each end; the option then occupies the legs between
those two stops, inbound parcels in one direction and outbound parcels in the other.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from ruralnet.network import RoadNetwork, Snap, near_pairs, paired_distances, snap_points
from ruralnet.problem import BusLines, LinkOptions, Mode
from ruralnet.scenario import Scenario

__all__ = ["BusNetwork", "build_bus_network", "bus_options"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BusNetwork:
    """Bus lines on the road graph: stops snapped, legs measured, figures resolved."""

    lines: BusLines
    stop_line: np.ndarray  # line index of every stop (all lines, in line then seq order)
    stop_position: np.ndarray  # position of the stop on its line, from 0
    stop_snap: Snap
    leg_km: tuple[np.ndarray, ...]  # per line, road km of each leg
    fee_yuan_per_parcel: np.ndarray  # per line
    trips_per_day: np.ndarray  # per line
    capacity_parcels_per_trip: np.ndarray  # per line
    defaulted: tuple[str, ...]  # lines whose figures came from the scenario defaults

    @property
    def empty(self) -> bool:
        """True when there is no usable line."""
        return len(self.lines.ids) == 0


def _line_figures(
    scenario: Scenario, lines: pd.DataFrame | None, ids: list[str]
) -> tuple[np.ndarray, ...]:
    bus = scenario.bus
    table = (
        lines.set_index("line_id").reindex(ids)
        if lines is not None
        else pd.DataFrame(
            index=ids, columns=["trips_per_day", "capacity_parcels_per_trip", "fee_yuan_per_parcel"]
        )
    )

    def column(name: str, default: float) -> np.ndarray:
        return pd.to_numeric(table[name], errors="coerce").fillna(default).to_numpy(float)

    missing = (
        table[["trips_per_day", "capacity_parcels_per_trip", "fee_yuan_per_parcel"]]
        .isna()
        .any(axis=1)
    )
    return (
        column("trips_per_day", bus.trips_per_day),
        column("capacity_parcels_per_trip", bus.capacity_parcels_per_trip),
        column("fee_yuan_per_parcel", bus.fee_yuan_per_parcel),
        np.asarray(missing, dtype=bool),
    )


def build_bus_network(
    scenario: Scenario,
    stops: gpd.GeoDataFrame | None,
    lines: pd.DataFrame | None,
    network: RoadNetwork,
) -> BusNetwork:
    """
    Snap bus stops to the road graph and measure every leg.

    Parameters
    ----------
    scenario
        Supplies ``[bus]`` defaults for lines without their own figures, and snapping limits.
    stops
        The ``bus_stops`` layer (``line_id``, ``seq``, ``stop_id``), or None.
    lines
        ``bus_lines.csv`` as a table, or None.
    network
        The road graph.

    Returns
    -------
    BusNetwork
        Empty when buses are disabled or the dataset has no stops.
    """
    if stops is None or not scenario.bus.enabled or len(stops) == 0:
        return BusNetwork(
            BusLines(),
            np.zeros(0, int),
            np.zeros(0, int),
            Snap(np.zeros(0, int), np.zeros(0)),
            (),
            *(np.zeros(0),) * 3,
            (),
        )
    stops = stops.sort_values(["line_id", "seq"], kind="stable").reset_index(drop=True)
    counts = stops.groupby("line_id", sort=True).size()
    ids = [str(i) for i in counts.index if counts[i] >= 2]  # noqa: PLR2004 - a line needs two stops
    stops = stops[stops["line_id"].isin(ids)].reset_index(drop=True)
    snap = snap_points(
        network,
        stops.geometry,
        [f"{a}/{b}" for a, b in zip(stops["line_id"], stops["stop_id"], strict=True)],
        layer="bus_stops",
        warn_m=scenario.network.snap_warn_m,
        max_m=scenario.network.snap_max_m,
    )
    line_index = {line: i for i, line in enumerate(ids)}
    stop_line = stops["line_id"].map(line_index).to_numpy(np.int64)
    position = stops.groupby("line_id").cumcount().to_numpy(np.int64)
    first = np.flatnonzero(stop_line[:-1] == stop_line[1:])  # leg: stop first -> first + 1
    km = paired_distances(
        network,
        Snap(snap.node[first], snap.km[first]),
        Snap(snap.node[first + 1], snap.km[first + 1]),
    )
    leg_km = [km[stop_line[first] == i] for i in range(len(ids))]
    trips, capacity, fee, defaulted = _line_figures(scenario, lines, ids)
    bus_lines = BusLines(
        ids=tuple(ids),
        n_legs=np.array([len(k) for k in leg_km], dtype=np.int64),
        leg_capacity=trips * capacity,
        stop_ids=tuple(tuple(stops.loc[stop_line == i, "stop_id"]) for i in range(len(ids))),
    )
    return BusNetwork(
        lines=bus_lines,
        stop_line=stop_line,
        stop_position=position,
        stop_snap=snap,
        leg_km=tuple(leg_km),
        fee_yuan_per_parcel=fee,
        trips_per_day=trips,
        capacity_parcels_per_trip=capacity,
        defaulted=tuple(line for line, d in zip(ids, defaulted, strict=True) if d),
    )


def bus_options(
    scenario: Scenario, buses: BusNetwork, network: RoadNetwork, upstream: Snap, downstream: Snap
) -> LinkOptions:
    """
    Every way to ride a bus line from an upstream facility to a downstream one.

    Per (upstream, downstream, line) the pair of stops with the fewest legs between them is
    kept. The cost per parcel is the line's fee plus the transfer handling at both ends.

    Parameters
    ----------
    scenario
        ``[bus]`` transfer distance and handling cost.
    buses
        The snapped bus network.
    network
        The road graph.
    upstream, downstream
        Snapped facilities (e.g. centres and stations).

    Returns
    -------
    LinkOptions
        Bus options, possibly none.
    """
    if buses.empty:
        return _no_options()
    limit = scenario.bus.max_transfer_km
    near_up = near_pairs(network, buses.stop_snap, upstream, limit_km=limit)
    near_down = near_pairs(network, buses.stop_snap, downstream, limit_km=limit)
    boarding = pd.DataFrame(
        {
            "line": buses.stop_line[near_up.origin],
            "board": buses.stop_position[near_up.origin],
            "up": near_up.target,
        }
    )
    alighting = pd.DataFrame(
        {
            "line": buses.stop_line[near_down.origin],
            "alight": buses.stop_position[near_down.origin],
            "down": near_down.target,
        }
    )
    rides = boarding.merge(alighting, on="line")
    rides = rides[rides["board"] != rides["alight"]]
    if rides.empty:
        return _no_options()
    # per (upstream, downstream, line): the fewest legs, then the earliest stops
    rides = rides.assign(legs=(rides["board"] - rides["alight"]).abs())
    rides = rides.sort_values(["up", "down", "line", "legs", "board", "alight"], kind="stable")
    rides = rides.drop_duplicates(["up", "down", "line"])
    up, down, line, board, alight = (
        rides[col].to_numpy(np.int64) for col in ("up", "down", "line", "board", "alight")
    )
    first, last = np.minimum(board, alight), np.maximum(board, alight) - 1
    km = np.array(
        [buses.leg_km[ln][f : la + 1].sum() for ln, f, la in zip(line, first, last, strict=True)]
    )
    return LinkOptions(
        upstream=up,
        downstream=down,
        mode=np.full(len(up), Mode.BUS.value, dtype=object),
        km=km,
        yuan_per_parcel=buses.fee_yuan_per_parcel[line] + scenario.bus.handling_yuan_per_parcel,
        line=line,
        leg_first=first,
        leg_last=last,
        forward=board < alight,
    )


def _no_options() -> LinkOptions:
    empty_int = np.zeros(0, dtype=np.int64)
    return LinkOptions(
        upstream=empty_int,
        downstream=empty_int,
        mode=np.zeros(0, dtype=object),
        km=np.zeros(0),
        yuan_per_parcel=np.zeros(0),
        line=empty_int,
        leg_first=empty_int,
        leg_last=empty_int,
        forward=np.zeros(0, dtype=bool),
    )
