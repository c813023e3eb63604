"""Generated counties: real names and boundary where given, seeded geography for the rest.

* :mod:`~ruralnet.synth.county` -- :func:`generate_county` (the shipped Dongchangfu) and
  :func:`generate_synthetic` (benchmarks), written by the one dataset writer,
  :func:`ruralnet.data.write_dataset` (re-exported here).
* :mod:`~ruralnet.synth.roads` -- village layout, townships, roads and bus lines.
"""

from __future__ import annotations

from ruralnet.data import CountyDataset, write_dataset
from ruralnet.synth.county import SynthOptions, dataset_summary, generate_county, generate_synthetic

__all__ = [
    "CountyDataset",
    "SynthOptions",
    "dataset_summary",
    "generate_county",
    "generate_synthetic",
    "write_dataset",
]
