"""The page of a calibration: can the probabilities be trusted, before and after recalibration."""

from __future__ import annotations

from typing import Any

from driftline.calibration import CalibrationReport, CalibrationResult
from driftline.report._page import Page, build_page
from driftline.report._reliability import reliability_svg
from driftline.stats import Profile

__all__: list[str] = []

_METRICS = (
    ("ECE, equal-width bins", "ece", "average gap between what the model says and what happens"),
    ("ECE, equal-mass bins", "ece_equal_mass", "the same, with bins of equal numbers of rows"),
    ("MCE", "mce", "the largest gap of any bin"),
    ("Brier score", "brier", "mean squared error of the probabilities"),
    ("log loss", "log_loss", "penalty for confident mistakes"),
    ("ECE chance level", "ece_chance", "ECE that perfectly calibrated probabilities could show"),
)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."


def _bins(report: CalibrationReport) -> list[dict[str, str]]:
    return [
        {
            "range": f"{b.lower:.2f}–{b.upper:.2f}",
            "count": f"{b.count:,}",
            "said": f"{100 * b.mean_predicted:.1f}%",
            "seen": f"{100 * b.observed:.1f}%",
            "interval": f"{100 * b.low:.0f}–{100 * b.high:.0f}%",
        }
        for b in report.bins
    ]


@build_page.register
def _result_page(
    result: CalibrationResult,
    *,
    reference: Profile | None = None,
    current: Profile | None = None,
) -> Page:
    before, after = result.before, result.after
    if result.version is None:
        status = "good" if not before.miscalibrated else "warn"
    elif not after.miscalibrated:
        status = "good"
    else:
        status = "warn" if result.improved else "bad"
    rows = [
        {
            "label": label,
            "help": help_text,
            "before": f"{getattr(before, name):.4f}",
            "after": f"{getattr(after, name):.4f}",
            # Lower is better for each measure but the chance level, which is a yardstick.
            "better": None
            if name == "ece_chance"
            else getattr(after, name) <= getattr(before, name),
        }
        for label, name, help_text in _METRICS
    ]
    candidates = [
        {"method": m, "log_loss": f"{c['log_loss']:.4f}", "chosen": m == result.method}
        for m, c in result.selection.get("candidates", {}).items()
    ]
    return Page(
        template="calibration.html.j2",
        title="Calibration report",
        headline=_sentence(result.summary),
        status=status,
        context={
            "result": result,
            "before_sentence": before.summary + ".",
            "after_sentence": after.summary + ".",
            "metrics": rows,
            "chart": reliability_svg(before, other=after, labels=("before", "after")),
            "before_bins": _bins(before),
            "after_bins": _bins(after),
            "candidates": candidates,
            "skipped": result.selection.get("skipped", {}),
            "reason": _sentence(result.reason),
            "report": None,
        },
    )


@build_page.register
def _report_page(
    report: CalibrationReport,
    *,
    reference: Profile | None = None,
    current: Profile | None = None,
) -> Page:
    status = "warn" if report.miscalibrated else "good"
    rows: list[dict[str, Any]] = [
        {"label": label, "help": help_text, "value": f"{getattr(report, name):.4f}"}
        for label, name, help_text in _METRICS
    ]
    return Page(
        template="calibration.html.j2",
        title="Calibration report",
        headline=_sentence(report.summary),
        status=status,
        context={
            "result": None,
            "report": report,
            "metrics": rows,
            "chart": reliability_svg(report),
            "after_bins": _bins(report),
        },
    )
