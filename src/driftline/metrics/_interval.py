"""A metric's value with its confidence interval."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from driftline.io import json_number

__all__ = ["Interval"]


@dataclass(frozen=True)
class Interval:
    """A metric's value on all rows and its confidence interval."""

    value: float
    low: float
    high: float

    def to_dict(self) -> dict[str, float | None]:
        return {
            "value": json_number(self.value),
            "low": json_number(self.low),
            "high": json_number(self.high),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Interval:
        def get(key: str) -> float:
            v = data.get(key)
            return math.nan if v is None else float(v)

        return cls(get("value"), get("low"), get("high"))

    def __str__(self) -> str:
        if not math.isfinite(self.value):
            return "n/a"
        if not math.isfinite(self.low):
            return f"{self.value:.3f}"
        return f"{self.value:.3f} ({self.low:.3f} to {self.high:.3f})"
