"""Each client's k nearest sites, for Lagrangian steps that touch n x k entries, not n x m.

With multipliers capped at each client's k-th nearest distance (``reach``), every site with
``d_ij < lambda_i`` is among the client's k nearest, so ``rho_j = sum_i min(0, d_ij -
lambda_i)`` over these entries is exactly the value over the whole matrix. Any multipliers
give a valid Lagrangian bound, so the cap keeps the bound valid; it can only weaken it where
the best multiplier of a client lies beyond its k nearest sites.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray


@dataclass(frozen=True)
class NearSites:
    """The k nearest sites of every client, nearest first.

    Build it with :meth:`of`.
    """

    site: NDArray[np.int64]
    """Clients x k: the site indices."""
    dist: NDArray[np.float64]
    """Clients x k: their distances, ascending along each row."""
    full: NDArray[np.float64]
    """The whole clients x sites matrix."""

    @property
    def sites(self) -> int:
        """Number of sites (columns of the full matrix)."""
        return int(self.full.shape[1])

    @classmethod
    def of(cls, dist: NDArray[np.float64], k: int) -> NearSites:
        """Return the ``k`` nearest sites (1 <= k <= number of sites) of every row of ``dist``."""
        m = dist.shape[1]
        k = int(min(max(k, 1), m))
        part = np.argpartition(dist, k - 1, axis=1)[:, :k] if k < m else np.indices(dist.shape)[1]
        near = np.take_along_axis(dist, part, axis=1)
        order = np.argsort(near, axis=1, kind="stable")
        site = np.take_along_axis(part, order, axis=1).astype(np.int64)
        return cls(site, np.take_along_axis(near, order, axis=1), dist)

    @property
    def reach(self) -> NDArray[np.float64]:
        """Per client: the k-th nearest distance (multipliers up to it give exact ``rho``)."""
        return self.dist[:, -1]

    def rho(self, lam: NDArray[np.float64], out: NDArray[np.float64]) -> NDArray[np.float64]:
        """Return ``rho_j`` at ``lam <= reach``; ``out`` (clients x k) gets ``min(0, d - lam)``."""
        np.minimum(np.subtract(self.dist, lam[:, None], out=out), 0.0, out=out)
        return np.bincount(self.site.ravel(), weights=out.ravel(), minlength=self.sites)

    def served(self, red: NDArray[np.float64], chosen: NDArray[np.int64]) -> NDArray[np.int64]:
        """Per client: how many ``chosen`` sites have ``red < 0`` (nearer than its multiplier)."""
        mask = np.zeros(self.sites, bool)
        mask[chosen] = True
        return np.count_nonzero((red < 0.0) & mask[self.site], axis=1)


_PER_OPEN_SITE = 4  # k = 4 n / p + 16 nearest sites per client ...
_EXTRA = 16
_DENSE_FROM = 3  # ... unless that is more than a third of the sites


def near_sites_for(dist: NDArray[np.float64], p: int) -> NearSites | None:
    """Return the clients' ``4 ceil(n / p) + 16`` nearest sites, or None if that is > m / 3.

    On rl1304 and vm1748 (benchmarks/README.md) the root's multipliers never reached that
    cap, so the root bound and the first cuts are those of the dense steps, 5-10x faster for
    p >= 50; with 2 n / p + 16 the cap bound and changed them.
    """
    n, m = dist.shape
    k = _PER_OPEN_SITE * -(-n // max(p, 1)) + _EXTRA
    if _DENSE_FROM * k > m:
        return None
    return NearSites.of(dist, k)
