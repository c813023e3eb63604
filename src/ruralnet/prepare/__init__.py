"""A county dataset from an OpenStreetMap extract and the official village list.

:func:`prepare_dataset` (:mod:`~ruralnet.prepare.dataset`) runs the stages: read the extract
(:mod:`~ruralnet.prepare.osm`), build the road layer (:mod:`~ruralnet.prepare.roads`,
:mod:`~ruralnet.prepare.roadgraph`), locate the listed villages (:mod:`~ruralnet.prepare.places`,
:mod:`~ruralnet.prepare.names`, :mod:`~ruralnet.prepare.coords`), township seats and areas
(:mod:`~ruralnet.prepare.towns`), candidate sites (:mod:`~ruralnet.prepare.sites`) and the
optional planner files (:mod:`~ruralnet.prepare.inputs`).
"""

from __future__ import annotations

from ruralnet.prepare.dataset import OSM_ATTRIBUTION, PrepareOptions, PrepareReport, prepare_dataset

__all__ = ["OSM_ATTRIBUTION", "PrepareOptions", "PrepareReport", "prepare_dataset"]
