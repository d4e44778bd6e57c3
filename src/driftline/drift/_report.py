"""DriftReport: the answer of :func:`driftline.drift.drift`, as plain data."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from driftline.drift._result import ColumnDrift, DriftResult
from driftline.drift._words import column_sentence, headline, p_text, rows_sentence
from driftline.io import json_number

__all__ = ["DriftReport"]

_SAID = 5  # moved columns said in words under the table


@dataclass(frozen=True)
class DriftReport:
    """Did the data drift, where, and by how much.

    ``columns`` holds the per-column verdicts of one column detector;
    ``multivariate`` the results of dataset-level detectors (a kernel test of
    whole rows, the model's outputs), each a :class:`DriftResult`.

    The column family and each dataset-level test are ``k`` families tested
    together, and Holm's step-down procedure across them keeps the chance of
    any false alarm at most ``alpha``: the family with the smallest p-value is
    judged at ``alpha / k``, the next at ``alpha / (k - 1)`` once the first
    rejected, and so on. Each family's ``alpha`` (and, for columns, their
    ``drifted`` verdicts) are those of the level it was judged at.
    ``drift_detected`` is true when any family drifted; ``p_value`` is the
    smallest Holm-adjusted p-value, ``min(1, k * min(p))``, so ``drift_detected``
    implies ``p_value <= alpha``; ``score`` is the share of tested columns
    that drifted.

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
        """One report from a column detector's result and any dataset-level results.

        The families' verdicts are decided again here, by Holm's procedure at
        the column detector's ``alpha`` (with no dataset-level result: exactly
        the column detector's verdicts).
        """
        members = [columns, *(multivariate or [])]
        alpha = columns.alpha
        levels = holm_levels([m.p_value for m in members], alpha)
        columns = _judge_columns(columns, levels[0])
        judged = [_judge_test(r, level) for r, level in zip(members[1:], levels[1:], strict=True)]
        k = len(members)
        p_value = min(1.0, min(m.p_value for m in members) * k)
        return cls(
            drift_detected=columns.drift_detected or any(r.drift_detected for r in judged),
            p_value=p_value,
            score=columns.score,
            method=columns.method,
            alpha=alpha,
            correction=columns.correction,
            n_reference=columns.n_reference,
            n_current=columns.n_current,
            columns=list(columns.columns),
            multivariate=judged,
        )

    @property
    def drifted_columns(self) -> list[str]:
        return [c.column for c in self.columns if c.drifted]

    def most_drifted(self) -> list[str]:
        """The drifted columns, the largest change first (effect size against its floor)."""
        moved = [c for c in self.columns if c.drifted]
        return [c.column for c in sorted(moved, key=_size, reverse=True)]

    @property
    def headline(self) -> str:
        """What moved, how much, and what to do: "3 of 20 columns moved away ..."."""
        return headline(self.most_drifted(), [c.column for c in self.columns], self.drift_detected)

    def sentences(self) -> list[str]:
        """The headline, then how each moved column moved, then each whole-row test."""
        by_name = {c.column: c for c in self.columns}
        return [
            self.headline,
            *(column_sentence(by_name[n]) for n in self.most_drifted()),
            *(rows_sentence(r) for r in self.multivariate),
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "headline": self.headline,
            "summary": self.sentences(),
            "drift_detected": self.drift_detected,
            "p_value": json_number(self.p_value),
            "score": json_number(self.score),
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

        yield Text(self.headline, style="bold red" if self.drift_detected else "bold green")
        yield Text(
            f"method {self.method}, {p_text(self.p_value)} after correction; rows: "
            f"{self.n_reference:,} reference, {self.n_current:,} current",
            style="dim",
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
        moved = self.most_drifted()
        by_name = {c.column: c for c in self.columns}
        for column in moved[:_SAID]:  # the table holds the rest
            yield Text(column_sentence(by_name[column]))
        for result in self.multivariate:
            yield Text(rows_sentence(result))


def holm_levels(p_values: list[float], alpha: float) -> list[float]:
    """The level each family is judged at by Holm's step-down procedure.

    Sorted by p-value, the i-th smallest (from 0) is judged at
    ``alpha / (k - i)`` as long as every smaller one was rejected. The
    procedure stops at the first acceptance: that family and every later one
    keep the level it stopped at, which their p-values (no smaller) exceed.
    """
    k = len(p_values)
    levels = [0.0] * k
    level = alpha / k
    stopped = False
    for rank, i in enumerate(sorted(range(k), key=lambda j: p_values[j])):
        if not stopped:
            level = alpha / (k - rank)
            stopped = not p_values[i] <= level
        levels[i] = level
    return levels


def _judge_test(result: DriftResult, level: float) -> DriftResult:
    # A dataset-level test drifts on its p-value; its per-output rows (if any) follow.
    columns = [
        replace(c, drifted=bool(c.p_value_adjusted <= level and c.effect_size > c.threshold))
        for c in result.columns
    ]
    return replace(result, alpha=level, drift_detected=result.p_value <= level, columns=columns)


def _judge_columns(result: DriftResult, level: float) -> DriftResult:
    if level == result.alpha:
        return result
    columns = [
        replace(c, drifted=bool(c.p_value_adjusted <= level and c.effect_size > c.threshold))
        for c in result.columns
    ]
    drifted = sum(c.drifted for c in columns)
    return replace(
        result,
        alpha=level,
        drift_detected=drifted > 0,
        score=drifted / len(columns) if columns else 0.0,
        columns=columns,
    )


def _size(c: ColumnDrift) -> float:
    # Effects come in different units (standard deviations, distances): their floors scale them.
    size = c.effect_size if math.isfinite(c.effect_size) else 0.0
    return size / c.threshold if c.threshold > 0 else size


def _fmt(value: float) -> str:
    if value is None or math.isnan(value):
        return "-"
    if math.isinf(value):
        return "inf"
    if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e5):
        return f"{value:.2e}"
    return f"{value:.3f}"
