"""Who is the model failing? Slices of the data, named by people or discovered.

A :class:`Slice` is a conjunction of conditions on columns
(``"age>=60 and region=North"``). :func:`evaluate_slices` gives each slice
the metrics and bootstrap intervals of :mod:`driftline.metrics`, beside
the whole; :func:`discover_slices` searches conjunctions of up to three
conditions for the slices served significantly worse (after SliceLine,
Sagadeeva and Boehm, SIGMOD 2021) and describes each in words. Both return
a :class:`SliceReport`.
"""

from __future__ import annotations

from driftline.slices._condition import Condition
from driftline.slices._discover import discover_slices
from driftline.slices._evaluate import evaluate_slices
from driftline.slices._loss import LOSS_METRICS
from driftline.slices._report import SliceFinding, SliceReport
from driftline.slices._spec import Slice, parse_slice

__all__ = [
    "LOSS_METRICS",
    "Condition",
    "Slice",
    "SliceFinding",
    "SliceReport",
    "discover_slices",
    "evaluate_slices",
    "parse_slice",
]
