"""What a detector finds: plain data, rendered elsewhere."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from driftline.io import json_number

__all__ = ["ColumnDrift", "DriftResult"]


@dataclass(frozen=True)
class ColumnDrift:
    """The verdict on one column.

    ``statistic`` is the test's own statistic (KS D, chi-square, PSI, ...),
    ``p_value`` its raw p-value and ``p_value_adjusted`` the p-value after the
    correction across columns. ``effect_size`` is measured in ``effect`` units
    and ``threshold`` is the floor it must exceed. ``drifted`` is
    ``p_value_adjusted <= alpha and effect_size > threshold``.
    """

    column: str
    kind: str
    method: str
    statistic: float
    p_value: float
    p_value_adjusted: float
    effect: str
    effect_size: float
    threshold: float
    drifted: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "kind": self.kind,
            "method": self.method,
            "statistic": json_number(self.statistic),
            "p_value": json_number(self.p_value),
            "p_value_adjusted": json_number(self.p_value_adjusted),
            "effect": self.effect,
            "effect_size": json_number(self.effect_size),
            "threshold": self.threshold,
            "drifted": self.drifted,
        }


@dataclass(frozen=True)
class DriftResult:
    """One detector's verdict on a current batch against its reference.

    Column detectors fill ``columns``; dataset-level (multivariate) detectors
    may leave it empty and report only ``p_value`` and ``score``. For column
    detectors ``p_value`` is the smallest adjusted p-value (for Benjamini-
    Hochberg that is Simes' test of "no column changed") and ``score`` the
    share of tested columns that drifted.
    """

    method: str
    drift_detected: bool
    p_value: float
    score: float
    alpha: float
    correction: str
    n_reference: int
    n_current: int
    columns: list[ColumnDrift] = field(default_factory=list)

    @property
    def drifted_columns(self) -> list[str]:
        return [c.column for c in self.columns if c.drifted]

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "drift_detected": self.drift_detected,
            "p_value": json_number(self.p_value),
            "score": json_number(self.score),
            "alpha": self.alpha,
            "correction": self.correction,
            "n_reference": self.n_reference,
            "n_current": self.n_current,
            "columns": [c.to_dict() for c in self.columns],
        }
