"""The page of a DriftReport: which columns changed, how much, and what they look like now."""

from __future__ import annotations

import math
from typing import Any

from driftline.drift import DriftReport
from driftline.report._render import Page, build_page
from driftline.report._svg import effect_chart, histogram, histogram_bins
from driftline.stats import Profile

__all__: list[str] = []

# How each effect size reads to someone who is not a statistician.
EFFECTS = {
    "wasserstein_normed": "how far values moved, in standard deviations",
    "js_distance": "how different the mix of values is (0 = same, 1 = disjoint)",
    "ks_statistic": "largest gap between the two cumulative distributions",
    "psi": "population stability index",
}


def headline(report: DriftReport) -> str:
    """The first sentence, e.g. "3 of 20 columns changed: income, age, region."."""
    changed, total = report.drifted_columns, len(report.columns)
    rows_moved = any(r.drift_detected for r in report.multivariate)
    if changed:
        return f"{len(changed)} of {total} columns changed: {', '.join(changed)}."
    if rows_moved:
        return f"The rows as a whole changed, though none of the {total} columns did on its own."
    return f"No column changed: 0 of {total} columns drifted."


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
        headline=headline(report),
        status=status,
        context={
            "report": report,
            "columns": rows,
            "effect_chart": chart,
            "multivariate": multivariate,
            "has_charts": any(r["chart"] is not None for r in rows),
        },
    )
