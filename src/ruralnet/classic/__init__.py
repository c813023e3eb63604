"""Classic facility-location problems on a cost matrix, each result checked by a verifier.

* :func:`p_median`, :func:`facility_location` (UFLP/CFLP), :func:`set_cover`,
  :func:`max_cover` -- :mod:`~ruralnet.classic.problems`, the public face.
* :mod:`~ruralnet.classic.lagrangian` -- the p-median's Lagrangian branch-and-bound.
* :mod:`~ruralnet.classic.benders` -- the Benders method for large p-median instances (the
  ``auto`` default from 1,000 clients and sites): root, Benders LP, then the search of
  :mod:`~ruralnet.classic.cut_tree` on the warm master LP of
  :mod:`~ruralnet.classic.cut_master` (the only highspy import); for large p its steps
  and separation touch only each client's nearest sites (:mod:`~ruralnet.classic.near_sites`).
* :mod:`~ruralnet.classic.pmedian` -- the p-median MIP formulations (radius, assignment).
* :mod:`~ruralnet.classic.mip` -- matrix-built MathOpt models (the only OR-Tools import).
* :mod:`~ruralnet.classic.heuristics` -- greedy, interchange and UFLP heuristics.
* :mod:`~ruralnet.classic.verify` -- the independent verifier.
* :func:`location_routing` -- :mod:`~ruralnet.classic.location_routing` (capacitated
  location-routing, routed with PyVRP), checked by :mod:`~ruralnet.classic.lrp_verify`.
"""

from __future__ import annotations

from ruralnet.classic.location_routing import LocationRoutingResult, location_routing
from ruralnet.classic.problems import (
    ClassicResult,
    Status,
    facility_location,
    max_cover,
    objective_grain,
    p_median,
    set_cover,
)

__all__ = [
    "ClassicResult",
    "LocationRoutingResult",
    "Status",
    "facility_location",
    "location_routing",
    "max_cover",
    "objective_grain",
    "p_median",
    "set_cover",
]
