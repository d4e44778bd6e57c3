"""The answer of a two-sample test on representations: plain data with ``to_dict``."""

from __future__ import annotations

import dataclasses
from typing import Any

from driftline.io import json_safe

__all__ = ["TwoSampleResult"]


@dataclasses.dataclass(frozen=True)
class TwoSampleResult:
    """Whether ``current`` differs from ``reference``, and how sure we are.

    ``statistic`` depends on ``method`` (MMD², the largest KS distance, the
    domain classifier's AUC); ``p_value`` is comparable across methods, and
    ``drifted`` is ``p_value <= alpha`` (a valid p-value gives
    ``P(p <= alpha) <= alpha``, so this keeps the false-alarm rate at alpha). ``n_reference`` and ``n_current``
    count the rows the test used (after any subsampling); ``correction``
    names the multiple-testing correction inside the test ("bonferroni" for
    per-dimension KS). ``details`` holds method-specific numbers (bandwidth,
    per-dimension p-values, AUC). The fields map one to one onto
    ``driftline.drift.DriftResult`` (``drifted`` -> ``drift_detected``,
    ``statistic`` -> ``score``).
    """

    statistic: float
    p_value: float
    drifted: bool
    method: str
    alpha: float
    n_reference: int
    n_current: int
    correction: str = "none"
    details: dict[str, Any] = dataclasses.field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "statistic": float(self.statistic),
            "p_value": float(self.p_value),
            "drifted": bool(self.drifted),
            "method": self.method,
            "alpha": float(self.alpha),
            "n_reference": int(self.n_reference),
            "n_current": int(self.n_current),
            "correction": self.correction,
            "details": json_safe(self.details),
        }
