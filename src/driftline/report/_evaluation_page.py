"""The page of an EvaluationReport: how good the model is, where it is weak, and why to trust it."""

from __future__ import annotations

import math
from typing import Any

from markupsafe import Markup

from driftline.evaluation import (
    EvaluationReport,
    fmt_interval,
    fmt_value,
    interval_parts,
    metric_name,
)
from driftline.metrics import HIGHER_IS_BETTER, Interval
from driftline.report._evaluation_charts import (
    SERIES,
    Bar,
    confusion_heatmap,
    curve_chart,
    interval_bars,
    residual_histogram,
    scatter_chart,
)
from driftline.report._page import Page, build_page
from driftline.report._quality_page import CHECK_NAMES
from driftline.stats import Profile

__all__: list[str] = []

# Metrics that live between 0 and 1, drawn on that axis.
_UNIT = {"accuracy", "precision", "recall", "f1", "roc_auc", "pr_auc", "brier"}
# Confusion matrices larger than this are left to the table of classes.
MAX_HEATMAP_CLASSES = 25


def _axis(name: str, iv: Interval) -> tuple[float, float]:
    if name in _UNIT:
        return 0.0, 1.0
    top = max(v for v in (iv.value, iv.high, 0.0) if math.isfinite(v))
    if name == "r2":
        bottom = min(v for v in (iv.value, iv.low, 0.0) if math.isfinite(v))
        return bottom, 1.0
    return 0.0, (top * 1.15) or 1.0


def _text(iv: Interval) -> str:
    """ "0.87 (0.85–0.89)": a bar's label."""
    value, band = interval_parts(iv)
    return f"{value} ({band.replace(' to ', '–')})" if band else value


def _bar(name: str, iv: Interval, confidence: float, color: str, label: str = "") -> Bar:
    lo, hi = _axis(name, iv)
    return Bar(
        label=label or metric_name(name),
        value=iv.value,
        low=iv.low,
        high=iv.high,
        lo=lo,
        hi=hi,
        text=_text(iv),
        color=color,
    )


def _metrics(report: EvaluationReport) -> tuple[list[dict[str, Any]], Markup]:
    conf = report.confidence
    macro = report.task == "multiclass"
    rows, groups = [], []
    for name, iv in report.metrics.items():
        shown = ("macro " if macro and name in ("precision", "recall", "f1") else "") + (
            metric_name(name)
        )
        value, band = interval_parts(iv)
        rows.append(
            {
                "name": shown,
                "value": value,
                "interval": band or "-",
                "better": "higher" if HIGHER_IS_BETTER.get(name, True) else "lower",
            }
        )
        groups.append((shown, [_bar(name, iv, conf, "#2563eb")]))
    title = f"each metric with its {100 * conf:g}% interval"
    return rows, interval_bars(groups, title=title)


def _per_class(report: EvaluationReport) -> tuple[list[dict[str, Any]], Markup]:
    ev = report.evaluation
    conf = report.confidence
    names = [n for n in ("precision", "recall", "f1") if n in next(iter(ev.per_class.values()), {})]
    rows, groups = [], []
    for c, m in ev.per_class.items():
        rows.append(
            {
                "name": c,
                "rows": f"{ev.support.get(c, 0):,}",
                "values": [fmt_value(m[n].value, 3) for n in names],
                "weakest": False,
            }
        )
        groups.append(
            (c, [_bar(n, m[n], conf, SERIES[i % 3], metric_name(n)) for i, n in enumerate(names)])
        )
    weakest = report.weakest_class()
    for row in rows:
        row["weakest"] = weakest is not None and row["name"] == weakest[0]
    chart = interval_bars(groups, title=f"{', '.join(map(metric_name, names))} of each class")
    return rows, chart


def _charts(report: EvaluationReport) -> dict[str, Markup | None]:
    c = report.charts
    out: dict[str, Markup | None] = {
        "confusion": None,
        "roc": None,
        "pr": None,
        "scatter": None,
        "residuals": None,
    }
    if c.labels and len(c.labels) <= MAX_HEATMAP_CLASSES:
        out["confusion"] = confusion_heatmap(c.labels, c.confusion, title="confusion matrix")
    if c.roc:
        out["roc"] = curve_chart(
            c.roc["fpr"],
            c.roc["tpr"],
            title="ROC curve",
            x_label="false positive rate",
            y_label="true positive rate",
            baseline=[(0.0, 0.0), (1.0, 1.0)],
            baseline_label="a model that guesses",
        )
    if c.pr:
        rate = c.positive_rate or 0.0
        out["pr"] = curve_chart(
            c.pr["recall"],
            c.pr["precision"],
            title="precision-recall curve",
            x_label="recall",
            y_label="precision",
            baseline=[(0.0, rate), (1.0, rate)],
            baseline_label=f"a model that guesses: precision {rate:.2f}",
        )
    if c.scatter:
        out["scatter"] = scatter_chart(
            c.scatter["actual"], c.scatter["predicted"], title="predicted against actual values"
        )
    if c.residuals:
        out["residuals"] = residual_histogram(
            c.residuals["edges"], c.residuals["counts"], title="how far predictions miss"
        )
    return out


def _calibration(report: EvaluationReport) -> dict[str, Any] | None:
    cal = report.calibration
    if cal is None:
        return None
    from driftline.evaluation import calibration_sentence
    from driftline.report._reliability import reliability_svg

    return {
        "sentence": calibration_sentence(cal),
        "miscalibrated": bool(cal.miscalibrated),
        "chart": reliability_svg(cal),
        "figures": [
            ("expected calibration error (equal-width bins)", f"{cal.ece:.3f}"),
            ("expected calibration error (equal-mass bins)", f"{cal.ece_equal_mass:.3f}"),
            ("what chance alone gives on these rows", f"{cal.ece_chance:.3f}"),
            ("largest gap of a bin", f"{cal.mce:.3f}"),
            ("Brier score", f"{cal.brier:.3f}"),
        ],
        "slices": [
            {
                "label": label,
                "rows": f"{part.n:,}",
                "ece": f"{part.ece:.3f}",
                "chance": f"{part.ece_chance:.3f}",
                "miscalibrated": bool(part.miscalibrated),
                "verdict": part.direction or "miscalibrated"
                if part.miscalibrated
                else "within chance",
            }
            for label, part in report.slice_calibration.items()
        ],
    }


def _slice_rows(part: Any) -> list[dict[str, Any]]:
    """One row per slice of a SliceReport, in the report's order."""
    if part is None:
        return []
    worse = {id(f) for f in part.significant}
    rows = []
    for f in part.findings:
        value = "too few rows to judge"
        if f.value is not None:
            value = fmt_interval(f.value, part.confidence)
        rows.append(
            {
                "slice": f.slice.label,
                "text": f.slice.to_text(),
                "sentence": f.sentence,
                "metric": metric_name(f.metric),
                "value": value,
                "overall": fmt_value(f.overall, 3),
                "rows": f"{f.rows:,}",
                "share": f"{100 * f.share:.1f}%",
                "p": "-" if f.adjusted_p is None else f"{f.adjusted_p:.2g}",
                "worse": id(f) in worse,
            }
        )
    return rows


def _quality(report: EvaluationReport) -> dict[str, Any] | None:
    q = report.quality
    if q is None:
        return None
    findings = [
        {
            "severity": f.severity,
            "check": CHECK_NAMES.get(f.check, f.check.replace("_", " ")),
            "column": f.column,
            "message": f.message[:1].upper() + f.message[1:],
        }
        for f in q.findings
        if f.severity != "info"
    ]
    return {"headline": q.headline, "passed": q.passed, "findings": findings}


def _status(report: EvaluationReport) -> str:
    if report.quality is not None and not report.quality.passed:
        return "bad"
    weak = getattr(report.weak_slices, "findings", None)
    if (report.calibration is not None and report.calibration.miscalibrated) or weak:
        return "warn"
    if report.quality is not None and report.quality.by_severity("warning"):
        return "warn"
    return "good"


@build_page.register
def _evaluation_page(
    report: EvaluationReport, *, reference: Profile | None = None, current: Profile | None = None
) -> Page:
    metrics, metric_chart = _metrics(report)
    per_class: list[dict[str, Any]] = []
    per_class_chart = Markup("")
    if report.task == "multiclass" and report.evaluation.per_class:
        per_class, per_class_chart = _per_class(report)
    class_names = [
        metric_name(n)
        for n in ("precision", "recall", "f1")
        if n in next(iter(report.evaluation.per_class.values()), {})
    ]
    return Page(
        template="evaluation.html.j2",
        title="Model evaluation",
        headline=report.headline,
        status=_status(report),
        context={
            "report": report,
            "pct": f"{100 * report.confidence:g}",
            "sentences": [s for s in report.sentences()[1:]],
            "metrics": metrics,
            "metric_chart": metric_chart,
            "per_class": per_class,
            "per_class_chart": per_class_chart,
            "class_metrics": class_names,
            "charts": _charts(report),
            "calibration": _calibration(report),
            "slices": _slice_rows(report.slices),
            "weak_slices": _slice_rows(report.weak_slices),
            "n_tested": report.weak_slices.n_tested if report.weak_slices is not None else 0,
            "discovered": report.weak_slices is not None,
            "quality": _quality(report),
            "fairness": _fairness(report),
        },
    )


def _fairness(report: EvaluationReport) -> list[dict[str, Any]]:
    """Each sensitive column's groups, figures with intervals, and its sentences."""
    fair = report.fairness
    if fair is None:
        return []
    out = []
    for attr in fair.attributes.values():
        rows = []
        for group, f in attr.groups.items():
            cells = [interval_parts(iv) for iv in (f.selection_rate, f.tpr, f.fpr, f.accuracy)]
            rows.append(
                {
                    "group": group,
                    "rows": f"{f.size:,}",
                    "cells": [f"{v} ({b})" if b else v for v, b in cells],
                }
            )
        out.append(
            {
                "column": attr.column,
                "rows": rows,
                "warning": attr.below_four_fifths,
                "sentences": attr.sentences(fair.positive, fair.min_group_rows),
            }
        )
    return out
