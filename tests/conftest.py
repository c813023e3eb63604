"""Tiny instances built in code, small enough to check by hand."""

from __future__ import annotations

import numpy as np
import pytest

from ruralnet.problem import Arcs, BusLines, LinkOptions, Mode, Problem


def van_options(pairs: list[tuple[int, int, float]], rate: float) -> LinkOptions:
    up = np.array([p[0] for p in pairs], dtype=np.int64)
    down = np.array([p[1] for p in pairs], dtype=np.int64)
    km = np.array([p[2] for p in pairs], dtype=float)
    n = len(pairs)
    return LinkOptions(
        upstream=up,
        downstream=down,
        mode=np.full(n, Mode.VAN.value, dtype=object),
        km=km,
        yuan_per_parcel=rate * km,
        line=np.full(n, -1),
        leg_first=np.full(n, -1),
        leg_last=np.full(n, -1),
        forward=np.ones(n, dtype=bool),
    )


def line_problem(open_cost: float, *, coverage: float = 1.0, max_km: float = 100.0) -> Problem:
    """Villages at road km 0, 4, 10 send one parcel a day; station sites at km 0 and 10.

    Access costs 1 yuan per parcel-km, one day per year, no handling; one centre at km 0
    with free links, one fixed hub. Opening cost 5: both open, cost 5 + 5 + 4 = 14.
    Opening cost 12: only km 0 opens, cost 12 + 4 + 10 = 26.
    """
    village_km = np.array([0.0, 4.0, 10.0])
    site_km = np.array([0.0, 10.0])
    dist = np.abs(village_km[:, None] - site_km[None, :])
    v, s = np.nonzero(dist <= max_km)
    return Problem(
        village_ids=("V1", "V2", "V3"),
        village_township=np.zeros(3, dtype=np.int64),
        inbound=np.ones(3),
        outbound=np.zeros(3),
        township_ids=("T1",),
        station_ids=("S0", "S10"),
        station_yearly_yuan=np.full(2, open_cost),
        station_capacity=np.full(2, 100.0),
        centre_ids=("C1",),
        centre_township=np.zeros(1, dtype=np.int64),
        centre_yearly_yuan=np.zeros(1),
        centre_capacity=np.full(1, 100.0),
        hub_ids=("H1",),
        hub_fixed=np.ones(1, dtype=bool),
        hub_yearly_yuan=np.zeros(1),
        hub_capacity=np.full(1, 100.0),
        access=Arcs(village=v, station=s, km=dist[v, s], yuan_per_parcel=dist[v, s]),
        feeder=van_options([(0, 0, 0.0), (0, 1, 0.0)], 1.0),
        trunk=van_options([(0, 0, 0.0)], 1.0),
        bus=BusLines(),
        coverage_target=coverage,
        max_new_hubs=1,
        days_per_year=1.0,
        station_handling_yuan=0.0,
        centre_handling_yuan=0.0,
    )


@pytest.fixture
def tiny_problem() -> Problem:
    return line_problem(5.0)
