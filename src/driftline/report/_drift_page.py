"""The page of a DriftReport: which columns changed, how much, and what they look like now."""

from __future__ import annotations

import math
from typing import Any

from driftline.drift import EFFECTS, DriftReport
from driftline.report._page import Page, build_page
from driftline.report._svg import effect_chart, histogram, histogram_bins
from driftline.stats import Profile

__all__: list[str] = []


def _p(value: float) -> str:
    if value is None or math.isnan(value):
        return "-"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


@build_page.register
def _drift_page(
    report: DriftReport, *, reference: Profile | None = None, current: Profile | None = None
) -> Page:
    order = sorted(report.columns, key=lambda c: (not c.drifted, -(c.effect_size or 0.0)))
    rows: list[dict[str, Any]] = []
    for c in order:
        chart = None
        if (
            reference is not None
            and current is not None
            and c.column in reference.columns
            and c.column in current.columns
        ):
            labels, ref_share, cur_share = histogram_bins(
                reference.columns[c.column], current.columns[c.column]
            )
            chart = histogram(
                labels, ref_share, cur_share, title=f"{c.column}: reference vs current"
            )
        rows.append(
            {
                "name": c.column,
                "kind": c.kind,
                "drifted": c.drifted,
                "effect": EFFECTS.get(c.effect, c.effect),
                "effect_size": "-" if not math.isfinite(c.effect_size) else f"{c.effect_size:.3f}",
                "threshold": f"{c.threshold:g}",
                "p_value": _p(c.p_value_adjusted),
                "method": c.method,
                "chart": chart,
            }
        )
    chart = effect_chart(
        [(c.column, c.effect_size, c.threshold, c.drifted) for c in order],
        title="effect size of each column against its floor",
    )
    multivariate = [
        {
            "method": r.method,
            "drifted": r.drift_detected,
            "p_value": _p(r.p_value),
            "score": f"{r.score:.3f}",
        }
        for r in report.multivariate
    ]
    status = "bad" if report.drift_detected else "good"
    return Page(
        template="drift.html.j2",
        title="Data drift report",
        headline=report.headline,
        status=status,
        context={
            "report": report,
            "columns": rows,
            "effect_chart": chart,
            "multivariate": multivariate,
            "has_charts": any(r["chart"] is not None for r in rows),
        },
    )
