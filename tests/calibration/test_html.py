"""The reliability diagram and the calibration page: self-contained, escaped, faithful to the numbers."""

from __future__ import annotations

import re

import numpy as np

from driftline.calibration import CalibrationResult, calibration_report
from driftline.report import reliability_svg, render_html


def _result(synth) -> CalibrationResult:
    p, y = synth.calibrated_binary(2000, 40)
    before = calibration_report(y, synth.pushed(p, 3.0))
    after = calibration_report(y, p)
    return CalibrationResult(
        model="churn<script>",
        parent=1,
        version=2,
        method="temperature",
        reason="temperature: 5-fold cross-validated log loss 0.4 against 0.5 unchanged",
        before=before,
        after=after,
        n_fit=2000,
        n_eval=2000,
        dataset="ab" * 32,
        seed=0,
        selection={
            "candidates": {
                "identity": {"log_loss": 0.5, "se_vs_best": 0.01},
                "temperature": {"log_loss": 0.4, "se_vs_best": 0.0},
            },
            "skipped": {"isotonic": "needs at least 1,000 rows"},
        },
    )


def test_reliability_svg_draws_one_point_per_bin(synth) -> None:
    p, y = synth.calibrated_binary(1000, 41)
    report = calibration_report(np.where(y == 1, "<b>", "a"), p, classes=["a", "<b>"])
    svg = str(reliability_svg(report))
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count("<circle") == len(report.bins)
    assert "<b>" not in svg and "&lt;b&gt;" in svg  # labels are escaped
    both = str(reliability_svg(report, other=report, labels=("before", "after")))
    assert both.count("<circle") == 2 * len(report.bins) + 2  # two series and the legend


def test_point_positions_follow_the_numbers(synth) -> None:
    p, y = synth.calibrated_binary(1000, 42)
    report = calibration_report(y, synth.pushed(p, 3.0))
    svg = str(reliability_svg(report))
    centers = [
        (float(x), float(y)) for x, y in re.findall(r'<circle cx="([\d.]+)" cy="([\d.]+)"', svg)
    ]
    # Overconfident: at the top end, points lie below the diagonal (y grows downwards).
    top = max(centers)
    x_share = (top[0] - 46) / 280
    y_share = 1 - (top[1] - 14) / 280
    assert y_share < x_share


def test_result_page_is_self_contained_and_escaped(synth) -> None:
    page = render_html(_result(synth))
    assert "<script>" not in page and "churn&lt;script&gt;" in page
    assert "src=" not in page and "<link" not in page
    assert "Reliability diagram" in page and page.count("<svg") == 1
    assert "registered as" in page and "overconfident" in page
    assert "not tried: needs at least 1,000 rows" in page


def test_report_page_renders_alone(synth) -> None:
    p, y = synth.calibrated_binary(500, 43)
    page = render_html(calibration_report(y, p))
    assert "well calibrated" in page and "<svg" in page
