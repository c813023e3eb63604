"""The exact p-median pipeline behind :func:`ruralnet.classic.problems.p_median`.

With ``reduce`` (the default) and the radius formulation:

1. Heuristic incumbent (greedy + interchange + perturbations) -> upper bound UB.
2. LP relaxation of the radius model with distance levels generated on demand: each
   client starts with its levels up to its incumbent distance plus two; clients whose
   relaxing 'beyond' variable is positive in the LP get twice as many levels, until none
   is. The truncated LP is a relaxation, so each round's value is a valid lower bound LB,
   and the last one equals the full LP bound. The LPs are solved by PDLP; its approximate
   duals become a rigorous bound and reduced costs through ``LinearModel.safe_bound``.
3. A better incumbent from the LP: the p sites with the largest y, then interchange.
4. Reduced-cost fixing: a site with LB + rc_j > UB - g (g the objective grain, 1 for
   integer data) can only be open in solutions no better than UB; it is removed. A site
   at its upper bound with LB - rc_j > UB - g is fixed open.
5. The MIP over the remaining sites with the LP's levels (still relaxed by the beyond
   variables), started from the incumbent. If its solution uses a beyond variable, those
   clients get more levels and the MIP is solved again.

The proven bound is max(LB, min(UB_at_fixing, MIP bound)): any solution better than
UB_at_fixing survives the fixing, so it is in the MIP's feasible set.
"""

from __future__ import annotations

import logging
import math
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from ruralnet.classic.heuristics import pmedian_heuristic, pmedian_interchange
from ruralnet.classic.mip import RunSettings, build_assignment, build_radius, solve_model

if TYPE_CHECKING:
    from numpy.typing import NDArray

logger = logging.getLogger(__name__)

_INIT_EXTRA_LEVELS = 2
_MAX_ROUNDS = 30
_BEYOND_USED = 1e-4  # PDLP's primal is approximate: ignore smaller 'beyond' values
_TOL = 1e-6


def _cost(dw: NDArray[np.float64], sites: NDArray[np.int64]) -> float:
    return float(dw[:, sites].min(axis=1).sum())


def _hard_radius(dw: NDArray[np.float64], p: int, forced: NDArray[np.int64]) -> NDArray[np.float64]:
    """Per client: a distance its nearest open site provably lies within.

    At most m - p sites are closed, so one of the m - p + 1 nearest is open; a site fixed
    open bounds the distance too.
    """
    m = dw.shape[1]
    cut = np.partition(dw, m - p, axis=1)[:, m - p]
    if forced.size:
        cut = np.minimum(cut, dw[:, forced].min(axis=1))
    return cut


def _grow(dw: NDArray[np.float64], radius: NDArray[np.float64], clients: NDArray[np.int64]) -> None:
    """Double the number of distance levels kept for ``clients`` (at least two more)."""
    for i in clients:
        levels = np.unique(dw[i])
        kept = int(np.searchsorted(levels, radius[i], side="right"))
        radius[i] = levels[min(len(levels), max(kept + 2, 2 * kept)) - 1]


def _initial_radius(dw: NDArray[np.float64], inc: NDArray[np.int64]) -> NDArray[np.float64]:
    """Per client: the level ``_INIT_EXTRA_LEVELS`` above its incumbent distance."""
    h = dw[:, inc].min(axis=1)
    radius = np.empty(len(h))
    for i in range(len(h)):
        levels = np.unique(dw[i])
        k = int(np.searchsorted(levels, h[i], side="left")) + _INIT_EXTRA_LEVELS
        radius[i] = levels[min(k, len(levels) - 1)]
    return radius


def solve_pmedian(
    dw: NDArray[np.float64],
    p: int,
    *,
    grain: float,
    formulation: str,
    reduce: bool,
    run: RunSettings,
) -> dict[str, Any]:
    """Solve the p-median on weighted costs ``dw``; return open sites, bound and stats.

    ``run`` gives the MIP solver, deadline, threads and seed.

    Returns
    -------
    dict
        ``open`` (site indices or None), ``bound`` (proven lower bound), ``stats``.
    """
    m = dw.shape[1]
    stats: dict[str, Any] = {}
    if p == m:
        sites = np.arange(m, dtype=np.int64)
        return {"open": sites, "bound": _cost(dw, sites), "stats": stats}
    state = _Run(dw, p, grain, run, stats)
    if reduce:
        t = time.perf_counter()
        budget = min(10.0, 0.15 * max(run.deadline - t, 0.0))
        sites, cost = pmedian_heuristic(dw, p, seed=run.seed, time_budget_s=budget)
        state.offer(sites, cost)
        stats.update(heuristic=cost, heuristic_seconds=time.perf_counter() - t)
    if formulation == "assignment":
        state.assignment()
    elif reduce:
        state.radius_reduced(cumulative=formulation == "radius_cumulative")
    else:
        state.radius_plain(cumulative=formulation == "radius_cumulative")
    stats["total_bound"] = state.bound
    return {"open": state.inc, "bound": state.bound, "stats": stats}


class _Run:
    """State of one p-median solve: incumbent, proven bound and stats."""

    def __init__(
        self, dw: NDArray[np.float64], p: int, grain: float, run: RunSettings, stats: dict[str, Any]
    ) -> None:
        self.dw, self.p, self.grain = dw, p, grain
        self.run, self.deadline = run, run.deadline
        self.stats = stats
        self.inc: NDArray[np.int64] | None = None
        self.ub = math.inf
        self.bound = -math.inf

    def left(self) -> float:
        return self.deadline - time.perf_counter()

    def offer(self, sites: NDArray[np.int64], cost: float | None = None) -> None:
        """Keep ``sites`` as the incumbent if it is a valid p-set cheaper than the current."""
        sites = np.unique(np.asarray(sites, np.int64))
        if len(sites) != self.p:
            return
        cost = _cost(self.dw, sites) if cost is None else cost
        if cost < self.ub:
            self.inc, self.ub = sites, cost

    def hint(self, y_ids: NDArray[np.int64], cand: NDArray[np.int64]) -> dict[int, float] | None:
        if self.inc is None or not np.isin(self.inc, cand).all():
            return None
        hint = dict.fromkeys(y_ids.tolist(), 0.0)
        hint.update(dict.fromkeys(y_ids[np.isin(cand, self.inc)].tolist(), 1.0))
        return hint

    def mip(
        self, model: Any, y_ids: NDArray[np.int64], cand: NDArray[np.int64], want: NDArray[np.int64]
    ) -> Any:
        out = solve_model(
            model, self.run.options(abs_gap=_mip_gap(self.grain)), want=want,
            hint=self.hint(y_ids, cand),
        )  # fmt: skip
        st = self.stats
        st["mip_seconds"] = st.get("mip_seconds", 0.0) + out.seconds
        st["mip_rounds"] = st.get("mip_rounds", 0) + 1
        st.update(mip_reason=out.reason, nodes=st.get("nodes", 0) + out.nodes)
        st["mip_nonzeros"] = model.num_nonzeros
        if out.values is not None:
            self.offer(cand[out.values[: len(cand)] > 0.5])  # noqa: PLR2004
        return out

    def assignment(self) -> None:
        """Solve the textbook model over pairs within the provable radius (one MIP)."""
        allowed = self.dw <= _hard_radius(self.dw, self.p, np.zeros(0, np.int64))[:, None]
        am = build_assignment(self.dw, allowed=allowed, p=self.p)
        cand = np.arange(self.dw.shape[1])
        out = self.mip(am.model, am.y, cand, am.y)
        self.bound = out.bound

    def radius_plain(self, *, cumulative: bool) -> None:
        """Solve the full radius model, levels up to the provable radius (one MIP)."""
        n = self.dw.shape[0]
        cut = _hard_radius(self.dw, self.p, np.zeros(0, np.int64))
        rm = build_radius(self.dw, cut, np.ones(n, bool), p=self.p, cumulative=cumulative)
        cand = np.arange(self.dw.shape[1])
        out = self.mip(rm.model, rm.y, cand, rm.y)
        self.bound = out.bound

    def radius_reduced(self, *, cumulative: bool) -> None:
        """Level generation, reduced-cost fixing, then MIPs until no 'beyond' is used."""
        dw, p = self.dw, self.p
        n = dw.shape[0]
        assert self.inc is not None
        radius = _initial_radius(dw, self.inc)
        lp = self.lp_levels(radius, cumulative=cumulative)
        if lp is None:
            self.radius_fallback(cumulative=cumulative)
            return
        lb, y_lp, rc = lp
        self.bound = max(self.bound, lb)
        self.stats["lp_bound"] = lb
        top = np.argsort(-y_lp, kind="stable")[:p]
        self.offer(pmedian_interchange(dw, top, deadline=time.perf_counter() + 0.2 * self.left()))
        if self.proven():
            return
        thr = self.ub - self.grain + _TOL * max(1.0, abs(self.ub))
        closed = lb + rc > thr
        forced = np.flatnonzero((lb - rc > thr) & (y_lp > 0.5))  # noqa: PLR2004
        cand = np.flatnonzero(~closed)
        self.stats.update(sites_fixed_closed=int(closed.sum()), sites_fixed_open=int(forced.size))
        ub_at_fixing = self.ub
        if cand.size < p:
            self.bound = max(self.bound, ub_at_fixing)
            return
        sub = dw[:, cand]
        forced_pos = np.flatnonzero(np.isin(cand, forced))
        cut = _hard_radius(sub, p, forced_pos)
        for _ in range(_MAX_ROUNDS):
            if self.left() <= 0:
                return
            hard = radius >= cut
            rm = build_radius(sub, np.minimum(radius, cut), hard, p=p, cumulative=cumulative)
            rm.model._var_lb[0] = np.where(np.isin(np.arange(cand.size), forced_pos), 1.0, 0.0)
            want = np.r_[rm.y, rm.beyond[rm.beyond >= 0]]
            out = self.mip(rm.model, rm.y, cand, want)
            mip_bound = math.inf if out.reason == "infeasible" else out.bound
            self.bound = max(self.bound, min(ub_at_fixing, mip_bound))
            if out.values is None or out.reason not in ("optimal", "infeasible"):
                return
            beyond_vals = out.values[cand.size :]
            grow = np.flatnonzero(rm.beyond >= 0)[beyond_vals > 1e-6]  # noqa: PLR2004
            if grow.size == 0:
                return
            # the MIP optimum was measured with too few levels: its bound stays valid
            logger.debug("MIP used 'beyond' levels of %d clients; growing them", grow.size)
            _grow(sub, radius, grow)
        del n

    def radius_fallback(self, *, cumulative: bool) -> None:
        """Solve the plain model in the time left (the LP phase ran out of time)."""
        if self.left() > 0:
            self.radius_plain(cumulative=cumulative)

    def proven(self) -> bool:
        """Return True when the incumbent meets the bound (after rounding to the grain)."""
        b = self.bound
        if self.grain > 0 and math.isfinite(b):
            b = math.ceil(b / self.grain - _TOL) * self.grain
        return self.ub - b <= _TOL * max(1.0, abs(self.ub))

    def lp_levels(
        self, radius: NDArray[np.float64], *, cumulative: bool
    ) -> tuple[float, NDArray[np.float64], NDArray[np.float64]] | None:
        """LP bound with levels added on demand; (bound, y, reduced costs of y) or None.

        Each round is solved by PDLP (first-order, fast on these degenerate LPs) and its
        duals are turned into a rigorous bound and reduced costs by ``safe_bound``; if
        PDLP fails, HiGHS dual simplex takes over.
        """
        dw, p = self.dw, self.p
        m = dw.shape[1]
        cut = _hard_radius(dw, p, np.zeros(0, np.int64))
        for rnd in range(_MAX_ROUNDS):
            if self.left() <= 0:
                return None
            hard = radius >= cut
            rm = build_radius(
                dw, np.minimum(radius, cut), hard, p=p, integer=False, cumulative=cumulative
            )
            has = np.flatnonzero(rm.beyond >= 0)
            got = self._lp(rm.model, np.r_[rm.y, rm.beyond[has]])
            if got is None:
                return None
            lb, values, rc = got
            self.stats.update(lp_rounds=rnd + 1, lp_nonzeros=rm.model.num_nonzeros)
            self.bound = max(self.bound, lb)
            grow = has[values[m:] > _BEYOND_USED]
            logger.debug("LP round %d: bound %.6f, %d clients need levels", rnd, lb, grow.size)
            if grow.size == 0:
                return lb, values[:m], rc[:m]
            _grow(dw, radius, grow)
        return None

    def _lp(
        self, model: Any, want: NDArray[np.int64]
    ) -> tuple[float, NDArray[np.float64], NDArray[np.float64]] | None:
        """Solve an LP relaxation: (rigorous bound, values of want, reduced costs of want)."""
        st = self.stats
        for solver, alg in (("pdlp", None), ("highs", "dual_simplex")):
            out = solve_model(
                model, self.run.options(solver=solver, lp_algorithm=alg), relax=True, want=want,
                duals=solver == "pdlp",
            )  # fmt: skip
            st["lp_seconds"] = st.get("lp_seconds", 0.0) + out.seconds
            if out.values is None or out.reduced_costs is None:
                continue
            if out.duals is None:
                if out.reason == "optimal":
                    return out.objective, out.values, out.reduced_costs
                continue
            lb, rc = model.safe_bound(out.duals)
            if math.isfinite(lb):
                st["lp_solver"] = solver
                return lb, out.values, rc[want]
        return None


def _mip_gap(grain: float) -> float:
    return 0.999 * grain if grain > 0 else _TOL
