"""Plain data of daily van routes, shared by the router and its independent checker.

numpy only: :mod:`ruralnet.routes.engine` builds these records with OR-Tools, and
:mod:`ruralnet.routes.verify` re-checks them without importing the router. Parcels are per
day, distances road km, money yuan.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["CentreStops", "Route", "RoutePlan", "RouteSettings", "SearchInfo"]


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
        Longest working day of one van, hours (EST: 8 h).
    speed_kmh
        Average rural driving speed, km/h (EST: 40 km/h, so 8 h = 320 km).
    stop_minutes
        Time at each stop to hand over and collect parcels, minutes (EST: 0, i.e. the shift
        limit is a pure distance limit).
    trips_per_van
        Loops one van may drive in a day, returning to the centre in between (1: one loop
        per van-day, as the ``[van].yuan_per_parcel_km`` derivation assumes).
    """

    capacity_parcels: float
    yuan_per_km: float
    fixed_yuan_per_day: float
    co2_kg_per_km: float = 0.0
    days_per_year: float = 365.0
    shift_hours: float = 8.0
    speed_kmh: float = 40.0
    stop_minutes: float = 0.0
    trips_per_van: int = 1

    @property
    def max_route_km(self) -> float:
        """Longest loop a van can drive in one shift with no stop time."""
        return self.shift_hours * self.speed_kmh

    def route_hours(self, km: float, n_stops: int) -> float:
        """Driving plus stop time of one loop, hours."""
        return km / self.speed_kmh + n_stops * self.stop_minutes / 60.0


@dataclass(frozen=True)
class CentreStops:
    """One centre and the stations it serves by van: the routing instance.

    ``km`` is the road distance matrix with the centre at row and column 0 and station
    ``i`` at ``i + 1``; ``deliveries[i]`` parcels go out to station ``i`` and
    ``pickups[i]`` parcels come back from it every day.
    """

    centre_id: str
    station_ids: tuple[str, ...]
    deliveries: np.ndarray
    pickups: np.ndarray
    km: np.ndarray

    def __len__(self) -> int:
        return len(self.station_ids)


@dataclass(frozen=True)
class Route:
    """One van loop from a centre through stations and back.

    ``stops`` are station ids in visiting order; ``delivered[k]`` and ``picked_up[k]`` are
    the parcels handed over and collected at ``stops[k]``. ``kind`` is ``"loop"`` for a
    routed loop and ``"direct"`` for a full-load out-and-back trip of a station bigger than
    one van (see :mod:`ruralnet.routes.engine`). ``vehicle`` numbers the centre's vans from 1;
    ``trip`` numbers a van's loops in the day. ``cost_yuan_per_day`` is the km cost plus
    the van's fixed cost shared over its trips.
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

    @property
    def route_id(self) -> str:
        """``centre/vehicle.trip``, e.g. ``C-371502005-1/3.1``."""
        return f"{self.centre_id}/{self.vehicle}.{self.trip}"

    @property
    def parcels_delivered(self) -> float:
        """Parcels on board leaving the centre."""
        return float(sum(self.delivered))

    @property
    def parcels_picked_up(self) -> float:
        """Parcels on board back at the centre."""
        return float(sum(self.picked_up))

    @property
    def loads(self) -> np.ndarray:
        """Parcels on board leaving the centre and after each stop."""
        change = np.asarray(self.picked_up, float) - np.asarray(self.delivered, float)
        return self.parcels_delivered + np.concatenate([[0.0], np.cumsum(change)])

    @property
    def max_load(self) -> float:
        """Most parcels on board at any point of the loop."""
        return float(np.max(self.loads))


@dataclass(frozen=True)
class SearchInfo:
    """How the route search of one centre went."""

    centre_id: str
    objective: float  # the router's own integer objective, for comparing runs
    seconds: float
    hit_time_limit: bool
    vehicles_offered: int


@dataclass(frozen=True)
class RoutePlan:
    """Daily van routes of every centre, with the instances they were built from.

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
        """Vans needed each day (distinct centre and vehicle pairs)."""
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
        """Return the routes of one centre."""
        return tuple(r for r in self.routes if r.centre_id == centre_id)
