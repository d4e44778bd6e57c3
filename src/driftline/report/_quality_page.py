"""The page of a QualityReport: the verdict, the problems by severity, every column's status."""

from __future__ import annotations

from typing import Any

from driftline.quality import QualityReport, Severity
from driftline.report._page import Page, build_page
from driftline.report._svg import ALERT, CURRENT, histogram, histogram_bins, share_bar
from driftline.stats import Profile

__all__: list[str] = []

SECTIONS: tuple[tuple[Severity, str], ...] = (
    ("critical", "Needs fixing before the model scores this data"),
    ("warning", "Worth a look"),
    ("info", "For the record"),
)
CHECK_NAMES = {
    "missing_column": "missing column",
    "extra_columns": "extra columns",
    "type": "wrong kind of values",
    "out_of_range": "values outside the training range",
    "unseen_categories": "categories never seen in training",
    "missing_values": "more missing values",
    "duplicate_rows": "duplicate rows",
    "constant_column": "a column with one value",
    "class_imbalance": "class imbalance",
    "label_shift": "labels changed",
    "leakage": "possible label leakage",
    "representativeness": "does the training data represent this batch",
}


@build_page.register
def _quality_page(
    report: QualityReport, *, reference: Profile | None = None, current: Profile | None = None
) -> Page:
    sections = []
    for severity, heading in SECTIONS:
        items: list[dict[str, Any]] = []
        for f in report.by_severity(severity):
            share = f.details.get("share")
            bar = None
            if isinstance(share, float | int) and not isinstance(share, bool):
                bar = share_bar(float(share), color=ALERT if severity == "critical" else CURRENT)
            items.append(
                {
                    "check": CHECK_NAMES.get(f.check, f.check),
                    "column": f.column,
                    "message": f.message,
                    "bar": bar,
                }
            )
        if items:
            sections.append({"severity": severity, "heading": heading, "findings": items})
    worst: dict[str, str] = {}
    for f in report.findings:
        if f.column is not None and f.severity != "info":
            worst.setdefault(f.column, f.severity)
    columns = []
    for name in [*report.columns, *([report.target] if report.target else [])]:
        chart = None
        # With both profiles, a flagged column shows how its values moved.
        if (
            name in worst
            and reference is not None
            and current is not None
            and name in reference.columns
            and name in current.columns
        ):
            labels, ref_share, cur_share = histogram_bins(
                reference.columns[name], current.columns[name]
            )
            chart = histogram(labels, ref_share, cur_share, title=f"{name}: training vs batch")
        columns.append({"name": name, "status": worst.get(name, "ok"), "chart": chart})
    counts = {s: len(report.by_severity(s)) for s, _ in SECTIONS}
    status = "bad" if not report.passed else ("warn" if counts["warning"] else "good")
    return Page(
        template="quality.html.j2",
        title="Data quality report",
        headline=report.headline,
        status=status,
        context={
            "report": report,
            "sections": sections,
            "columns": columns,
            "counts": counts,
            "has_charts": any(c["chart"] is not None for c in columns),
            "checks": [CHECK_NAMES.get(c, c.replace("_", " ")) for c in report.checks],
            "skipped": {
                CHECK_NAMES.get(k, k.replace("_", " ")): v for k, v in report.skipped.items()
            },
        },
    )
