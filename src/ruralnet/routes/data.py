"""Plain data of daily van routes, shared by the router and its independent checker.

numpy only: :mod:`ruralnet.routes.engine` builds these records with the routing solver, and
:mod:`ruralnet.routes.verify` re-checks them without importing the router. Parcels are per
day, distances road km, times hours from the start of the working day, money yuan.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "CentreStops",
    "Route",
    "RoutePlan",
    "RouteSettings",
    "SearchInfo",
    "split_visits",
]

SPLIT_TOL = 1e-6  # parcels: a station needs another visit only beyond this


def split_visits(deliveries: float, pickups: float, capacity: float) -> int:
    """
    Visits a station needs under the split rule.

    A station is visited ``ceil(max(deliveries, pickups) / capacity)`` times a day, each
    visit handing over an equal share of its deliveries and collecting an equal share of its
    pickups: one visit while everything fits one van, more for a station bigger than a van.
    Each share is then more than half a van-load on its larger side, so two visits of one
    station never fit on one loop.

    Parameters
    ----------
    deliveries, pickups
        Parcels per day to and from the station.
    capacity
        Van capacity in parcels.

    Returns
    -------
    int
        0 for a station with nothing to move, else at least 1.
    """
    most = max(deliveries, pickups)
    if most <= SPLIT_TOL:
        return 0
    return max(1, math.ceil(most / capacity - SPLIT_TOL))


@dataclass(frozen=True)
class RouteSettings:
    """Van and shift figures the routes are built and checked with.

    Attributes
    ----------
    capacity_parcels
        Parcels a van holds at any moment (``[van].capacity_parcels``, T8).
    yuan_per_km
        Energy and wear per van-km (``[van].yuan_per_km``, T1–T4).
    fixed_yuan_per_day
        Driver and vehicle per van-day (``[van].fixed_yuan_per_day``, T5–T6).
    co2_kg_per_km
        Van CO2 per km (``[van].co2_kg_per_km``, E1–E2).
    days_per_year
        Operating days per year (``[demand].days_per_year``).
    shift_hours
        Longest working day of one van and driver, hours (T22, T5–T6).
    speed_kmh
        Average rural driving speed, km/h (EST).
    stop_minutes
        Fixed time at each station stop, minutes (T20: 10).
    stop_minutes_per_parcel
        Time per parcel handed over or collected at a stop, minutes (T20: 0.1).
    loading_minutes
        Time to load the van at the centre before each loop, minutes (T21: 20).
    trips_per_van
        Most loops one van may drive a day, reloading at the centre in between; 0: as many
        as fit the shift (T22).
    """

    capacity_parcels: float
    yuan_per_km: float
    fixed_yuan_per_day: float
    co2_kg_per_km: float = 0.0
    days_per_year: float = 365.0
    shift_hours: float = 8.0
    speed_kmh: float = 40.0
    stop_minutes: float = 10.0
    stop_minutes_per_parcel: float = 0.1
    loading_minutes: float = 20.0
    trips_per_van: int = 0

    def stop_hours(self, parcels: float) -> float:
        """Time at one stop that hands over and collects ``parcels`` in all, hours."""
        return (self.stop_minutes + self.stop_minutes_per_parcel * parcels) / 60.0

    def route_hours(
        self, km: float, handled: list[float] | tuple[float, ...] | np.ndarray
    ) -> float:
        """
        Add up loading, driving and stop time of one loop, hours.

        Parameters
        ----------
        km
            Road km of the loop.
        handled
            Parcels handed over plus collected at each stop, in order.

        Returns
        -------
        float
            ``loading_minutes / 60 + km / speed_kmh + sum of stop_hours``.
        """
        stops = sum(self.stop_hours(float(p)) for p in handled)
        return self.loading_minutes / 60.0 + km / self.speed_kmh + stops


@dataclass(frozen=True)
class CentreStops:
    """One depot and the stops it serves by van: the routing instance.

    ``km`` is the road distance matrix with the depot at row and column 0 and stop ``i``
    at ``i + 1``; ``deliveries[i]`` parcels go out to stop ``i`` and ``pickups[i]`` parcels
    come back from it every day. ``release_hours[i]`` (optional) is the hour from the start
    of the working day at which stop ``i``'s deliveries are ready at the depot, e.g. when a
    bus brings them on a timetable; a loop carrying them may only start loading then.
    ``tier`` is ``"feeder"`` for a township centre and its stations, ``"trunk"`` for the
    county hub and the centres it supplies by van.
    """

    centre_id: str
    station_ids: tuple[str, ...]
    deliveries: np.ndarray
    pickups: np.ndarray
    km: np.ndarray
    release_hours: np.ndarray | None = None
    tier: str = "feeder"

    def __len__(self) -> int:
        return len(self.station_ids)

    def release(self, i: int) -> float:
        """Hour at which stop ``i``'s deliveries are ready at the depot (0 without times)."""
        return 0.0 if self.release_hours is None else float(self.release_hours[i])


@dataclass(frozen=True)
class Route:
    """One van loop from a depot through stops and back.

    ``stops`` are stop ids in visiting order; ``delivered[k]`` and ``picked_up[k]`` are
    the parcels handed over and collected at ``stops[k]``. ``vehicle`` numbers the depot's
    vans from 1; ``trip`` numbers a van's loops in the day (it reloads at the depot in
    between). ``start_hours`` is when loading for the loop begins, from the start of the
    working day; ``hours`` is loading plus driving plus stops. ``cost_yuan_per_day`` is the
    km cost plus the van's fixed cost shared over its loops. ``kind`` is ``"loop"``.
    """

    centre_id: str
    vehicle: int
    trip: int
    kind: str
    stops: tuple[str, ...]
    delivered: tuple[float, ...]
    picked_up: tuple[float, ...]
    km: float
    hours: float
    cost_yuan_per_day: float
    start_hours: float = 0.0
    tier: str = "feeder"

    @property
    def route_id(self) -> str:
        """``depot/vehicle.trip``, e.g. ``C-371502005-1/3.1``."""
        return f"{self.centre_id}/{self.vehicle}.{self.trip}"

    @property
    def end_hours(self) -> float:
        """When the van is back at the depot."""
        return self.start_hours + self.hours

    @property
    def parcels_delivered(self) -> float:
        """Parcels on board leaving the depot."""
        return float(sum(self.delivered))

    @property
    def parcels_picked_up(self) -> float:
        """Parcels on board back at the depot."""
        return float(sum(self.picked_up))

    @property
    def loads(self) -> np.ndarray:
        """Parcels on board leaving the depot and after each stop."""
        change = np.asarray(self.picked_up, float) - np.asarray(self.delivered, float)
        return self.parcels_delivered + np.concatenate([[0.0], np.cumsum(change)])

    @property
    def max_load(self) -> float:
        """Most parcels on board at any point of the loop."""
        return float(np.max(self.loads))


@dataclass(frozen=True)
class SearchInfo:
    """How the route search of one depot went."""

    centre_id: str
    objective: float  # the router's own integer objective, for comparing runs
    seconds: float
    hit_time_limit: bool
    vehicles_offered: int
    iterations: int = 0


@dataclass(frozen=True)
class RoutePlan:
    """Daily van routes of every depot, with the instances they were built from.

    ``paths[k]`` is the drawing of ``routes[k]`` along the roads as WGS84 ``(lon, lat)``
    rows (empty when the plan was built from bare distance matrices).
    """

    settings: RouteSettings
    centres: tuple[CentreStops, ...]
    routes: tuple[Route, ...]
    paths: tuple[np.ndarray, ...] = ()
    searches: tuple[SearchInfo, ...] = field(default_factory=tuple)

    @property
    def vans(self) -> int:
        """Vans needed each day (distinct depot and vehicle pairs): the fleet to buy."""
        return len({(r.centre_id, r.vehicle) for r in self.routes})

    @property
    def km_per_day(self) -> float:
        """Van-km driven per day."""
        return float(sum(r.km for r in self.routes))

    @property
    def cost_yuan_per_day(self) -> float:
        """Fixed van-day costs plus km costs, per day."""
        return float(sum(r.cost_yuan_per_day for r in self.routes))

    @property
    def cost_yuan_per_year(self) -> float:
        """:attr:`cost_yuan_per_day` times the operating days per year."""
        return self.cost_yuan_per_day * self.settings.days_per_year

    def for_centre(self, centre_id: str) -> tuple[Route, ...]:
        """Return the routes of one depot."""
        return tuple(r for r in self.routes if r.centre_id == centre_id)

    def of_tier(self, tier: str) -> RoutePlan:
        """Keep the routes and instances of one tier (``"feeder"`` or ``"trunk"``) only."""
        return RoutePlan(
            settings=self.settings,
            centres=tuple(c for c in self.centres if c.tier == tier),
            routes=tuple(r for r in self.routes if r.tier == tier),
            paths=tuple(p for p, r in zip(self.paths, self.routes, strict=True) if r.tier == tier)
            if self.paths
            else (),
            searches=tuple(
                s
                for s in self.searches
                if s.centre_id in {c.centre_id for c in self.centres if c.tier == tier}
            ),
        )
