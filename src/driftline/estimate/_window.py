"""MetricEstimate and WindowEstimate: one window's estimated performance, as plain data."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from driftline.io import json_number

__all__ = ["MetricEstimate", "WindowEstimate", "parse_when", "when_value"]


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
            "start": when_value(self.start),
            "end": when_value(self.end),
            "rows": self.rows,
            "labelled": self.labelled,
            "metrics": {name: m.to_dict() for name, m in self.metrics.items()},
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> WindowEstimate:
        return cls(
            start=parse_when(d["start"]),
            end=parse_when(d["end"]),
            rows=int(d["rows"]),
            labelled=int(d["labelled"]),
            metrics={k: MetricEstimate.from_dict(v) for k, v in d["metrics"].items()},
        )


def _float(value: Any) -> float:
    return math.nan if value is None else float(value)


def when_value(value: int | dt.datetime) -> int | str:
    return value.isoformat() if isinstance(value, dt.datetime) else int(value)


def parse_when(value: int | str) -> int | dt.datetime:
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else int(value)
