"""Numbers as people read them: metric names, values with intervals, counts."""

from __future__ import annotations

import math

from driftline.metrics import METRIC_LABELS, Interval, metric_label

__all__ = ["METRIC_NAMES", "fmt_interval", "fmt_value", "interval_parts", "metric_name"]

METRIC_NAMES = METRIC_LABELS
metric_name = metric_label


def _decimals(value: float, width: float) -> int:
    """Enough decimals that the interval's half-width shows, and no more."""
    least = 2 if abs(value) < 1 else 0
    if not math.isfinite(width) or width <= 0:
        return 3 if abs(value) < 1 else 2
    return int(min(4, max(least, -math.floor(math.log10(width / 2)))))


def fmt_value(value: float, decimals: int | None = None) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    if decimals is None:
        decimals = _decimals(value, math.nan)
    return f"{value:,.{decimals}f}"


def interval_parts(iv: Interval) -> tuple[str, str]:
    """The value and its interval, with the same decimals: ("0.87", "0.85 to 0.89").

    The interval is "" when there is none; the value is "n/a" when it is undefined.
    """
    if not math.isfinite(iv.value):
        return "n/a", ""
    if not (math.isfinite(iv.low) and math.isfinite(iv.high)):
        return fmt_value(iv.value), ""
    d = _decimals(iv.value, iv.high - iv.low)
    return fmt_value(iv.value, d), f"{fmt_value(iv.low, d)} to {fmt_value(iv.high, d)}"


def fmt_interval(iv: Interval, confidence: float) -> str:
    """ "0.87 (95% interval 0.85 to 0.89)", or "0.87" when there is no interval."""
    value, band = interval_parts(iv)
    return f"{value} ({100 * confidence:g}% interval {band})" if band else value
