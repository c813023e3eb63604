"""Generated counties: real names, boundary and points where given, seeded geography for the rest.

* :mod:`~ruralnet.synth.county` -- :func:`generate_county` (the shipped counties) and
  :func:`generate_synthetic` (benchmarks), written by the one dataset writer,
  :func:`ruralnet.data.write_dataset` (re-exported here).
* :mod:`~ruralnet.synth.real` -- :class:`RealPoints`: real seats and village points to keep.
* :mod:`~ruralnet.synth.layers` -- the layers and their ``source``/``position_source`` columns.
* :mod:`~ruralnet.synth.layout` -- lattice, township seats and cells, village positions.
* :mod:`~ruralnet.synth.roads` -- roads and bus lines.
"""

from __future__ import annotations

from ruralnet.data import CountyDataset, write_dataset
from ruralnet.synth.county import dataset_summary, generate_county, generate_synthetic
from ruralnet.synth.layers import SynthOptions
from ruralnet.synth.real import RealPoints

__all__ = [
    "CountyDataset",
    "RealPoints",
    "SynthOptions",
    "dataset_summary",
    "generate_county",
    "generate_synthetic",
    "write_dataset",
]
