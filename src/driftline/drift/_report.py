"""DriftReport: the answer of :func:`driftline.drift.drift`, as plain data."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from driftline.drift._result import ColumnDrift, DriftResult, _plain

__all__ = ["DriftReport"]


@dataclass(frozen=True)
class DriftReport:
    """Did the data drift, where, and by how much.

    ``columns`` holds the per-column verdicts of one column detector;
    ``multivariate`` the results of dataset-level detectors (encoders with MMD
    or classifier tests), each a :class:`DriftResult`. ``drift_detected`` is
    true when any column or any dataset-level detector drifted. ``p_value``
    is the smallest of the column family's p-value and the dataset-level
    p-values, Bonferroni-corrected across those families; ``score`` is the
    share of tested columns that drifted.

    Render it with Rich (``rich.print(report)``) or serialize it with
    :meth:`to_dict`.
    """

    drift_detected: bool
    p_value: float
    score: float
    method: str
    alpha: float
    correction: str
    n_reference: int
    n_current: int
    columns: list[ColumnDrift] = field(default_factory=list)
    multivariate: list[DriftResult] = field(default_factory=list)

    @classmethod
    def from_results(
        cls, columns: DriftResult, multivariate: list[DriftResult] | None = None
    ) -> DriftReport:
        """One report from a column detector's result and any dataset-level results."""
        multivariate = list(multivariate or [])
        families = [columns.p_value, *(r.p_value for r in multivariate)]
        p_value = min(1.0, min(families) * len(families))
        return cls(
            drift_detected=columns.drift_detected or any(r.drift_detected for r in multivariate),
            p_value=p_value,
            score=columns.score,
            method=columns.method,
            alpha=columns.alpha,
            correction=columns.correction,
            n_reference=columns.n_reference,
            n_current=columns.n_current,
            columns=list(columns.columns),
            multivariate=multivariate,
        )

    @property
    def drifted_columns(self) -> list[str]:
        return [c.column for c in self.columns if c.drifted]

    def to_dict(self) -> dict[str, Any]:
        return {
            "drift_detected": self.drift_detected,
            "p_value": _plain(self.p_value),
            "score": _plain(self.score),
            "method": self.method,
            "alpha": self.alpha,
            "correction": self.correction,
            "n_reference": self.n_reference,
            "n_current": self.n_current,
            "columns": [c.to_dict() for c in self.columns],
            "multivariate": [r.to_dict() for r in self.multivariate],
        }

    def __rich_console__(self, console: Any, options: Any) -> Iterator[Any]:
        from rich.table import Table
        from rich.text import Text

        verdict = (
            Text("drift detected", style="bold red")
            if self.drift_detected
            else Text("no drift", style="bold green")
        )
        yield Text.assemble(
            verdict,
            f"  method={self.method}  p={_fmt(self.p_value)}  "
            f"drifted columns={len(self.drifted_columns)}/{len(self.columns)}  "
            f"rows: reference={self.n_reference:,} current={self.n_current:,}",
        )
        table = Table(show_edge=False, header_style="bold")
        for name in ("column", "method", "statistic", "p (adj.)", "effect", "size", "floor"):
            table.add_column(name, justify="left" if name in ("column", "method") else "right")
        table.add_column("drifted", justify="center")
        for c in self.columns:
            table.add_row(
                c.column,
                c.method,
                _fmt(c.statistic),
                _fmt(c.p_value_adjusted),
                c.effect,
                _fmt(c.effect_size),
                _fmt(c.threshold),
                Text("yes", style="red") if c.drifted else Text("no", style="green"),
            )
        yield table
        for result in self.multivariate:
            yield Text(
                f"{result.method}: p={_fmt(result.p_value)} score={_fmt(result.score)} "
                f"drift={'yes' if result.drift_detected else 'no'}"
            )


def _fmt(value: float) -> str:
    if value is None or math.isnan(value):
        return "-"
    if math.isinf(value):
        return "inf"
    if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e5):
        return f"{value:.2e}"
    return f"{value:.3f}"
