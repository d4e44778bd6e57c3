"""PerformanceEstimate: estimated (and realized) performance per window, as plain data."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from driftline.estimate._window import MetricEstimate, WindowEstimate
from driftline.estimate._words import (
    estimate_headline,
    lead_metric,
    method_sentence,
    window_sentence,
    window_words,
)
from driftline.io import json_number

__all__ = ["MetricEstimate", "PerformanceEstimate", "WindowEstimate"]


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

    @property
    def headline(self) -> str:
        """How well the model is estimated to do, against the reference, and what to do."""
        return estimate_headline(self)

    def sentences(self) -> list[str]:
        """The headline, how the estimate was made, then each window of the leading metric."""
        metric = lead_metric(self)
        windows = [window_sentence(self, w, metric) for w in self.windows] if metric else []
        return [self.headline, method_sentence(self), *(windows if len(windows) > 1 else [])]

    def to_dict(self) -> dict[str, Any]:
        return {
            "headline": self.headline,
            "summary": self.sentences(),
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

        yield Text(self.headline, style="bold")
        yield Text(method_sentence(self), style="dim")
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
                    window_words(w.start, w.end) if i == 0 else "",
                    f"{w.rows:,}" if i == 0 else "",
                    f"{w.labelled:,}" if i == 0 else "",
                    name,
                    _fmt(m.value),
                    f"{_fmt(m.low)}-{_fmt(m.high)}",
                    _fmt(m.realized) if m.realized is not None else "-",
                )
        yield table


def _fmt(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "-"
    return f"{value:.3f}" if abs(value) < 1e4 else f"{value:.3g}"


def _float(value: Any) -> float:
    return math.nan if value is None else float(value)


def _plain_list(values: list[Any] | None) -> list[Any] | None:
    if values is None:
        return None
    return [v.item() if hasattr(v, "item") else v for v in values]
