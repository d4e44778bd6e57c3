"""The release gate: may a candidate version replace the baseline?

:func:`run_gate` scores both versions on the same labelled rows and holds
the candidate to a :class:`GatePolicy` (TOML): absolute thresholds on
metrics, non-regression against the baseline judged with paired bootstrap
intervals, per-slice thresholds, the gap between slices and no slice
significantly worse, a calibration ceiling, clean data and a minimum number
of rows. The :class:`GateDecision` says, criterion by criterion, what was
measured and why it passed or failed; it is stored with the version and
recorded in the audit chain. A criterion that cannot be evaluated fails.
"""

from __future__ import annotations

from driftline.gate._decision import Comparison, Criterion, GateDecision, SliceComparison
from driftline.gate._evidence import Evidence, Judgement
from driftline.gate._judge import judge
from driftline.gate._policy import Bound, GatePolicy, SlicePolicy
from driftline.gate._service import run_gate

__all__ = [
    "Bound",
    "Comparison",
    "Criterion",
    "Evidence",
    "GateDecision",
    "GatePolicy",
    "Judgement",
    "SliceComparison",
    "SlicePolicy",
    "judge",
    "run_gate",
]
