"""The p-median's Benders master LP, kept in one HiGHS instance across cut rounds.

The master is ``min sum_i theta_i`` over ``sum_j y_j = p``, ``0 <= y <= 1`` and the cuts
``theta_i + sum_j max(0, t - d_ij) y_j >= t`` (see :mod:`ruralnet.classic.benders`). Cuts
are added as rows to the same ``highspy.Highs`` model, so every round is a warm-started dual
simplex from the last basis instead of a new model; site bounds can be changed the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import highspy
import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from ruralnet.classic.near_sites import NearSites


_SHORT_ROWS = 8  # nearest sites used for the cut rows when at most 1/8 of the sites


@dataclass(frozen=True)
class MasterPoint:
    """An optimal point of the master LP."""

    objective: float
    y: NDArray[np.float64]
    """Site values."""
    theta: NDArray[np.float64]
    """Client costs."""
    cut_duals: NDArray[np.float64]
    """Duals of the cuts, in the order they were added (>= 0)."""
    cut_values: NDArray[np.float64]
    """Left-hand sides of the cuts at this point, in the same order."""


class CutMaster:
    """The master LP over clients x sites ``dist`` with p sites to open.

    Parameters
    ----------
    dist
        Weighted costs, clients x sites.
    p
        Number of sites to open.
    near
        The clients' nearest sites of ``dist`` (optional): where they are at most an eighth
        of the sites, a cut whose level is within its client's reach finds its sites there
        instead of in the whole row.
    """

    def __init__(self, dist: NDArray[np.float64], p: int, near: NearSites | None = None) -> None:
        self.dist = dist
        # only short rows pay for the sort of _sites_below (vm1748 p = 20, 368 of 1,748 sites
        # per client: 0.2-0.4 s slower with them)
        short = near is not None and _SHORT_ROWS * near.site.shape[1] <= dist.shape[1]
        self.near = near if short else None
        n, m = dist.shape
        self._m = m
        self.client = np.zeros(0, np.int64)
        self.level = np.zeros(0)
        self._known: set[tuple[int, float]] = set()
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", 1)
        h.setOptionValue("simplex_strategy", 1)  # dual simplex: warm after added rows
        no_int, no_val = np.zeros(0, np.int32), np.zeros(0)
        upper = np.r_[np.ones(m), dist.max(axis=1)]
        h.addCols(
            m + n, np.r_[np.zeros(m), np.ones(n)], np.zeros(m + n), upper, 0, no_int, no_int, no_val
        )
        h.addRows(1, np.array([float(p)]), np.array([float(p)]), m, np.zeros(1, np.int32),
                  np.arange(m, dtype=np.int32), np.ones(m))  # fmt: skip
        self._h = h

    @property
    def cuts(self) -> int:
        """Number of cuts in the master."""
        return int(self.client.size)

    @property
    def seconds(self) -> float:
        """HiGHS run time of this model so far (all solves)."""
        return float(self._h.getRunTime())

    def add_cuts(self, client: NDArray[np.int64], level: NDArray[np.float64]) -> int:
        """Add the cuts (client, level) not yet in the master; return how many were new."""
        pairs = sorted(
            {(int(c), float(t)) for c, t in zip(client, level, strict=True)} - self._known
        )
        if not pairs:
            return 0
        self._known.update(pairs)
        c = np.array([q[0] for q in pairs], np.int64)
        t = np.array([q[1] for q in pairs])
        r, j = self._sites_below(c, t)
        per_row = np.bincount(r, minlength=c.size) + 1  # theta_i, then the sites nearer than t
        starts = np.r_[0, np.cumsum(per_row)[:-1]]
        index = np.empty(int(per_row.sum()), np.int32)
        value = np.empty(index.size)
        index[starts], value[starts] = self._m + c, 1.0
        at = np.arange(r.size) - np.r_[0, np.cumsum(per_row - 1)[:-1]][r] + starts[r] + 1
        index[at], value[at] = j, t[r] - self.dist[c[r], j]
        self._h.addRows(c.size, t, np.full(c.size, highspy.kHighsInf), index.size,
                        starts.astype(np.int32), index, value)  # fmt: skip
        self.client, self.level = np.r_[self.client, c], np.r_[self.level, t]
        return c.size

    def _sites_below(
        self, c: NDArray[np.int64], t: NDArray[np.float64]
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """(cut, site) pairs with ``d[c, site] < t``, by cut, then by site (as ``np.nonzero``)."""
        near = self.near
        if near is None:
            return np.nonzero(self.dist[c] < t[:, None])
        within = t <= near.reach[c]
        far, close = np.flatnonzero(~within), np.flatnonzero(within)  # far: whole rows
        r_far, j_far = np.nonzero(self.dist[c[far]] < t[far, None])
        r_near, pos = np.nonzero(near.dist[c[close]] < t[close, None])
        r = np.r_[far[r_far], close[r_near]]
        j = np.r_[j_far, near.site[c[close[r_near]], pos]]
        order = np.lexsort((j, r))
        return r[order], j[order]

    def drop_slack_cuts(self, point: MasterPoint) -> int:
        """Delete the cuts that are slack at ``point`` (zero dual, not tight); return how many.

        Slack rows are basic, so the basis stays valid and the next solve stays warm. A
        dropped cut can be separated again later. ``point`` must be the last solve's, with
        no cut added since.
        """
        if point.cut_duals.size != self.cuts:
            msg = "drop_slack_cuts needs the point of the last solve, with no cut added since"
            raise ValueError(msg)
        lhs = point.cut_values
        slack = (point.cut_duals <= 0.0) & (lhs > self.level + 1e-6 * np.maximum(1.0, self.level))
        if not slack.any():
            return 0
        rows = np.flatnonzero(slack)
        self._h.deleteRows(rows.size, (rows + 1).astype(np.int32))
        self._known.difference_update(
            zip(self.client[rows].tolist(), self.level[rows].tolist(), strict=True)
        )
        self.client, self.level = self.client[~slack], self.level[~slack]
        return int(rows.size)

    def set_site_bounds(self, lower: NDArray[np.float64], upper: NDArray[np.float64]) -> None:
        """Set every site's bounds (0/1 fix a site shut/open)."""
        cols = np.arange(self._m, dtype=np.int32)
        self._h.changeColsBounds(self._m, cols, lower.astype(float), upper.astype(float))

    def solve(self, time_limit: float) -> MasterPoint | None:
        """Solve from the last basis; None when not optimal (time limit, infeasible)."""
        h = self._h
        # HiGHS's time limit counts from the model's creation, not from this run
        h.setOptionValue("time_limit", self.seconds + max(time_limit, 1e-3))
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        sol = h.getSolution()
        x = np.asarray(sol.col_value)
        duals = np.maximum(np.asarray(sol.row_dual)[1:], 0.0)
        return MasterPoint(
            float(h.getInfo().objective_function_value), x[: self._m], x[self._m :], duals,
            np.asarray(sol.row_value)[1:],
        )  # fmt: skip
