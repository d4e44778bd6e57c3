"""PerformanceEstimate: estimated (and realized) performance per window, as plain data."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from driftline.io import json_number

__all__ = ["MetricEstimate", "PerformanceEstimate", "WindowEstimate"]


@dataclass(frozen=True)
class MetricEstimate:
    """One metric in one window: the estimate, its band, and the realized value if known.

    ``low``/``high`` bound where the realized value is expected to fall with
    probability ``confidence`` (see :func:`driftline.estimate.estimate_performance`).
    ``realized`` is computed on the window's labelled rows; None without labels.
    """

    value: float
    low: float
    high: float
    realized: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": json_number(self.value),
            "low": json_number(self.low),
            "high": json_number(self.high),
            "realized": json_number(self.realized),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MetricEstimate:
        realized = d.get("realized")
        return cls(
            value=_float(d["value"]),
            low=_float(d["low"]),
            high=_float(d["high"]),
            realized=None if realized is None else _float(realized),
        )


@dataclass(frozen=True)
class WindowEstimate:
    """One window: row range ``[start, end)`` or time range, rows, labelled rows, metrics."""

    start: int | dt.datetime
    end: int | dt.datetime
    rows: int
    labelled: int
    metrics: dict[str, MetricEstimate]

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": _when(self.start),
            "end": _when(self.end),
            "rows": self.rows,
            "labelled": self.labelled,
            "metrics": {name: m.to_dict() for name, m in self.metrics.items()},
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> WindowEstimate:
        return cls(
            start=_parse_when(d["start"]),
            end=_parse_when(d["end"]),
            rows=int(d["rows"]),
            labelled=int(d["labelled"]),
            metrics={k: MetricEstimate.from_dict(v) for k, v in d["metrics"].items()},
        )


@dataclass(frozen=True)
class PerformanceEstimate:
    """How well a model is doing per window of data, estimated before labels arrive.

    ``method`` is ``"cbpe"`` (classifiers: confidence-based estimation from
    calibrated probabilities) or ``"dle"`` (regressors: direct loss
    estimation). ``reference`` holds each metric realized on the labelled
    reference: the level the model had where it is known. ``calibration``
    names the recalibration CBPE applied to the probabilities (``"none"``
    when the raw probabilities were as good on held-out reference rows).

    ``to_frame()`` gives one row per window; render with Rich
    (``rich.print(estimate)``) or serialize with :meth:`to_dict`.
    """

    task: str
    method: str
    metrics: list[str]
    confidence: float
    window: str
    n_reference: int
    reference: dict[str, float]
    windows: list[WindowEstimate] = field(default_factory=list)
    classes: list[Any] | None = None
    calibration: str | None = None

    def to_frame(self) -> Any:
        """A pandas DataFrame: start, end, rows, labelled, then per metric
        ``<m>``, ``<m>_low``, ``<m>_high``, ``<m>_realized``."""
        import pandas as pd

        records = []
        for w in self.windows:
            row: dict[str, Any] = {
                "start": w.start,
                "end": w.end,
                "rows": w.rows,
                "labelled": w.labelled,
            }
            for name in self.metrics:
                m = w.metrics[name]
                row[name] = m.value
                row[f"{name}_low"] = m.low
                row[f"{name}_high"] = m.high
                row[f"{name}_realized"] = math.nan if m.realized is None else m.realized
            records.append(row)
        columns = ["start", "end", "rows", "labelled"]
        for name in self.metrics:
            columns += [name, f"{name}_low", f"{name}_high", f"{name}_realized"]
        return pd.DataFrame.from_records(records, columns=columns)

    def to_dict(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "method": self.method,
            "metrics": list(self.metrics),
            "confidence": self.confidence,
            "window": self.window,
            "n_reference": self.n_reference,
            "reference": {k: json_number(v) for k, v in self.reference.items()},
            "classes": _plain_list(self.classes),
            "calibration": self.calibration,
            "windows": [w.to_dict() for w in self.windows],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PerformanceEstimate:
        return cls(
            task=d["task"],
            method=d["method"],
            metrics=list(d["metrics"]),
            confidence=float(d["confidence"]),
            window=str(d["window"]),
            n_reference=int(d["n_reference"]),
            reference={k: _float(v) for k, v in d["reference"].items()},
            windows=[WindowEstimate.from_dict(w) for w in d["windows"]],
            classes=d.get("classes"),
            calibration=d.get("calibration"),
        )

    def __rich_console__(self, console: Any, options: Any) -> Iterator[Any]:
        from rich.table import Table
        from rich.text import Text

        how = (
            "confidence-based estimation (CBPE)"
            if self.method == "cbpe"
            else "direct loss estimation (DLE)"
        )
        calibrated = (
            f", probabilities recalibrated ({self.calibration})"
            if self.calibration not in (None, "none")
            else ""
        )
        yield Text(
            f"{self.task} model, {how}{calibrated}; {len(self.windows)} windows of {self.window}; "
            f"bands: {self.confidence:.0%}; reference: {self.n_reference:,} labelled rows"
        )
        table = Table(show_edge=False, header_style="bold")
        table.add_column("window")
        table.add_column("rows", justify="right")
        table.add_column("labelled", justify="right")
        table.add_column("metric")
        table.add_column("estimate", justify="right")
        table.add_column("band", justify="right")
        table.add_column("realized", justify="right")
        for i, name in enumerate(self.metrics):
            table.add_row(
                "reference" if i == 0 else "",
                f"{self.n_reference:,}" if i == 0 else "",
                f"{self.n_reference:,}" if i == 0 else "",
                name,
                "",
                "",
                _fmt(self.reference.get(name)),
                end_section=i == len(self.metrics) - 1,
            )
        for w in self.windows:
            for i, name in enumerate(self.metrics):
                m = w.metrics[name]
                table.add_row(
                    _span(w.start, w.end) if i == 0 else "",
                    f"{w.rows:,}" if i == 0 else "",
                    f"{w.labelled:,}" if i == 0 else "",
                    name,
                    _fmt(m.value),
                    f"{_fmt(m.low)}-{_fmt(m.high)}",
                    _fmt(m.realized) if m.realized is not None else "-",
                )
        yield table


def _span(start: int | dt.datetime, end: int | dt.datetime) -> str:
    if isinstance(start, dt.datetime) and isinstance(end, dt.datetime):
        day = start.date() == end.date() or end - start <= dt.timedelta(days=1)
        return f"{start:%Y-%m-%d %H:%M}" + (f"-{end:%H:%M}" if day else f" - {end:%Y-%m-%d}")
    return f"rows {start}-{end}"


def _fmt(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "-"
    return f"{value:.3f}" if abs(value) < 1e4 else f"{value:.3g}"


def _float(value: Any) -> float:
    return math.nan if value is None else float(value)


def _when(value: int | dt.datetime) -> int | str:
    return value.isoformat() if isinstance(value, dt.datetime) else int(value)


def _parse_when(value: int | str) -> int | dt.datetime:
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else int(value)


def _plain_list(values: list[Any] | None) -> list[Any] | None:
    if values is None:
        return None
    return [v.item() if hasattr(v, "item") else v for v in values]
