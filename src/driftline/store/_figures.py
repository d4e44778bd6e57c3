"""The few numbers of a monitoring window that charts draw, taken out of its documents.

A window stores what monitoring found as JSON (its metrics, a drift report
with one entry per input column). A chart over a year needs eight numbers
of each of 8,760 windows, and parsing 20 MB of JSON to find them costs more
than the page may take. So the numbers are copied into plain columns when a
window is written (see ``MonitorWindowRow``), and a chart aggregates them in
the database. The documents stay the record; these columns only repeat them.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["FIGURES", "lead_metric", "window_figures"]

# The metric a sentence or chart leads with, in this order, among those a window has.
_LEAD = ("accuracy", "roc_auc", "f1", "rmse", "mae", "r2")
FIGURES = (
    "drift_share",
    "lead_metric",
    "estimated",
    "estimated_low",
    "estimated_high",
    "realized",
    "reference",
    "effects",
)


def lead_metric(values: dict[str, Any]) -> str | None:
    """The metric a sentence or chart leads with among those in ``values``."""
    return next((m for m in _LEAD if m in values), next(iter(values), None))


def _number(value: Any) -> float | None:
    """A finite float, or None: a JSON null, a missing key and NaN all mean unknown."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def window_figures(metrics: dict[str, Any] | None, drift: dict[str, Any] | None) -> dict[str, Any]:
    """The chart columns of a window: its drift share, its lead metric's estimate, band,
    realized value and reference, and each input column's effect size."""
    metrics = metrics or {}
    estimated = metrics.get("estimated") or {}
    realized = metrics.get("realized") or {}
    metric = lead_metric(estimated) or lead_metric(realized)
    one = (estimated.get(metric) or {}) if metric else {}
    effects = {
        str(c["column"]): _number(c.get("effect_size"))
        for c in (drift or {}).get("columns") or ()
        if isinstance(c, dict) and "column" in c
    }
    return {
        "drift_share": _number(metrics.get("drift_share")),
        "lead_metric": metric,
        "estimated": _number(one.get("value")),
        "estimated_low": _number(one.get("low")),
        "estimated_high": _number(one.get("high")),
        "realized": _number(realized.get(metric)) if metric else None,
        "reference": _number((metrics.get("reference") or {}).get(metric)) if metric else None,
        "effects": {c: v for c, v in effects.items() if v is not None} or None,
    }
