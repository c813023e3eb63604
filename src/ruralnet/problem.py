"""The geo/math boundary: :class:`Problem` in, :class:`Solution` out, plain arrays only.

Everything the optimisation model and the verifier need is here as numpy arrays indexed
by position in the id tuples (``village_ids``, ``station_ids``, ...). No geometry, no
solver. Money is yuan, flows are parcels per day, distances are road km.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum

import numpy as np

__all__ = [
    "Arcs",
    "BusLines",
    "LinkOptions",
    "Mode",
    "Phases",
    "Problem",
    "Solution",
    "SolveStatus",
]


class Mode(StrEnum):
    """How a link moves parcels."""

    VAN = "van"
    BUS = "bus"


class SolveStatus(StrEnum):
    """What the solver achieved."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"  # a plan with a gap: time limit reached
    INTERRUPTED = "interrupted"  # stopped by the user (Ctrl-C): the plan so far, its gap as proven
    INFEASIBLE = "infeasible"
    NO_SOLUTION = "no_solution"


@dataclass(frozen=True)
class Arcs:
    """Allowed village -> station assignments (within the service distance)."""

    village: np.ndarray
    station: np.ndarray
    km: np.ndarray
    yuan_per_parcel: np.ndarray


@dataclass(frozen=True)
class LinkOptions:
    """Ways to move parcels from an upstream facility to a downstream one, one row per way.

    Inbound parcels travel upstream -> downstream, outbound parcels the other way. A bus
    option rides legs ``leg_first..leg_last`` (inclusive) of its line, inbound in the
    line's stop order when ``forward`` is true, against it otherwise.
    """

    upstream: np.ndarray
    downstream: np.ndarray
    mode: np.ndarray  # Mode values as str
    km: np.ndarray
    yuan_per_parcel: np.ndarray
    line: np.ndarray  # bus line index, -1 for a van
    leg_first: np.ndarray
    leg_last: np.ndarray
    forward: np.ndarray

    def __len__(self) -> int:
        return len(self.upstream)

    def subset(self, keep: np.ndarray) -> LinkOptions:
        """Return the options where ``keep`` (a boolean mask) is true."""
        return LinkOptions(
            **{name: getattr(self, name)[keep] for name in self.__dataclass_fields__}
        )

    @staticmethod
    def concat(parts: list[LinkOptions]) -> LinkOptions:
        """Join several option sets, in order."""
        return LinkOptions(
            **{
                name: np.concatenate([getattr(p, name) for p in parts])
                for name in LinkOptions.__dataclass_fields__
            }
        )


@dataclass(frozen=True)
class BusLines:
    """Bus lines: per line, a parcel capacity per leg and direction (hold x trips per day)."""

    ids: tuple[str, ...] = ()
    n_legs: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    leg_capacity: np.ndarray = field(default_factory=lambda: np.zeros(0))
    stop_ids: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class Phases:
    """Periods solved jointly: what is open in one phase stays open in the next.

    ``budget_yuan`` is ``inf`` where a phase has no budget.
    """

    names: tuple[str, ...] = ("plan",)
    coverage_target: np.ndarray = field(default_factory=lambda: np.ones(1))
    demand_factor: np.ndarray = field(default_factory=lambda: np.ones(1))
    years: np.ndarray = field(default_factory=lambda: np.ones(1))
    budget_yuan: np.ndarray = field(default_factory=lambda: np.full(1, np.inf))

    def __len__(self) -> int:
        return len(self.names)


@dataclass(frozen=True)
class Problem:
    """A rural delivery network design instance.

    Yearly costs are annualised one-off costs plus operating costs. Per-parcel costs are
    charged on parcels per day times ``days_per_year``.
    """

    village_ids: tuple[str, ...]
    village_township: np.ndarray
    inbound: np.ndarray
    outbound: np.ndarray
    township_ids: tuple[str, ...]
    station_ids: tuple[str, ...]
    station_yearly_yuan: np.ndarray
    station_capacity: np.ndarray
    centre_ids: tuple[str, ...]
    centre_township: np.ndarray
    centre_yearly_yuan: np.ndarray
    centre_capacity: np.ndarray
    hub_ids: tuple[str, ...]
    hub_fixed: np.ndarray
    hub_yearly_yuan: np.ndarray
    hub_capacity: np.ndarray
    access: Arcs
    feeder: LinkOptions  # centre -> station
    trunk: LinkOptions  # hub -> centre
    bus: BusLines
    coverage_target: float
    max_new_hubs: int
    days_per_year: float
    station_handling_yuan: float
    centre_handling_yuan: float
    phases: Phases = field(default_factory=Phases)
    station_one_off_yuan: np.ndarray | None = None  # build or upgrade, for phase budgets
    centre_one_off_yuan: np.ndarray | None = None
    hub_one_off_yuan: np.ndarray | None = None
    # the coverage rule: which village each station site stands in (-1: none), which villages
    # must be served by a station of their own (一村一站), and the road km within which the
    # others may share a station (多村一站)
    station_village: np.ndarray | None = None
    needs_own_station: np.ndarray | None = None
    max_access_km: float = np.inf

    def for_phase(self, k: int) -> Problem:
        """
        Return the one-phase problem of phase ``k``: its demand and coverage target.

        Parameters
        ----------
        k
            Phase index.

        Returns
        -------
        Problem
            With demand scaled by the phase's factor and a single phase.
        """
        ph = self.phases
        factor = float(ph.demand_factor[k])
        return replace(
            self,
            inbound=self.inbound * factor,
            outbound=self.outbound * factor,
            coverage_target=float(ph.coverage_target[k]),
            phases=Phases(
                names=(ph.names[k],),
                coverage_target=ph.coverage_target[k : k + 1],
                demand_factor=np.ones(1),
                years=ph.years[k : k + 1],
                budget_yuan=ph.budget_yuan[k : k + 1],
            ),
        )

    @property
    def parcels(self) -> np.ndarray:
        """Parcels per day handled for each village, both directions."""
        return self.inbound + self.outbound

    def without_buses(self) -> Problem:
        """Return the same problem with every bus option removed (the all-van counterpart)."""
        return replace(
            self,
            feeder=self.feeder.subset(self.feeder.line < 0),
            trunk=self.trunk.subset(self.trunk.line < 0),
        )

    @property
    def own_village_rule(self) -> bool:
        """True when every village must be served by a station of its own (一村一站)."""
        return self.needs_own_station is not None and bool(np.all(self.needs_own_station))

    @property
    def min_covered(self) -> int:
        """The fewest villages a plan must serve."""
        return int(np.ceil(self.coverage_target * len(self.village_ids) - 1e-9))


@dataclass(frozen=True)
class Solution:
    """A plan as arrays: what is open, who serves whom, and how parcels move.

    ``-1`` marks "none" in the index arrays (an uncovered village, a closed station). For a
    phased problem the arrays describe the last phase, ``phases`` holds every phase's own
    solution (its ``objective`` is that phase's yearly cost), and ``objective`` is the sum of
    the phases' yearly costs weighted by their years.
    """

    open_station: np.ndarray
    open_centre: np.ndarray
    open_hub: np.ndarray
    village_station: np.ndarray
    station_centre: np.ndarray
    centre_hub: np.ndarray
    feeder_in: np.ndarray
    feeder_out: np.ndarray
    trunk_in: np.ndarray
    trunk_out: np.ndarray
    status: SolveStatus
    objective: float
    best_bound: float
    seconds: float
    solver: str
    phases: tuple[
        Solution, ...
    ] = ()  # per phase, for a phased problem; the arrays above are the last

    @property
    def gap(self) -> float:
        """Proven relative gap between the plan's cost and the best bound."""
        if not np.isfinite(self.best_bound) or self.objective == 0:
            return 0.0 if self.objective == self.best_bound else float("inf")
        return max(0.0, (self.objective - self.best_bound) / abs(self.objective))
