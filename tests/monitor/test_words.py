"""Every monitoring sentence, exactly, for given numbers: alerts, resolutions, windows, runs."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest

from driftline.monitor import Alert, AlertRule, MonitorRun, WindowResult
from driftline.monitor._words import (
    alert_sentence,
    performance_sentence,
    resolved_sentence,
    run_headline,
    window_sentence,
)
from driftline.quality import Finding

T = dt.datetime(2024, 12, 3, 14, tzinfo=dt.UTC)
HOUR = "From Tue 3 Dec 14:00 to 15:00 UTC, "
DRIFT_TODO = (
    "Retrain on recent data, or first see how the columns moved: "
    "driftline drift --model wine:2 recent.csv."
)
CONFIRM = (
    "No labels have arrived yet: label a sample of recent rows to confirm it, and retrain on "
    "recent data if it holds."
)
CHECK = "driftline data check --model wine:2 recent.csv lists every problem."
FELL = {
    "estimated": {"accuracy": {"value": 0.84, "low": 0.81, "high": 0.87}},
    "reference": {"accuracy": 0.91},
    "labelled": 0,
    "performance_drop": 0.0769,
}
CALM = {
    "estimated": {"accuracy": {"value": 0.90, "low": 0.87, "high": 0.93}},
    "reference": {"accuracy": 0.91},
    "labelled": 0,
}


def window(
    metrics: dict[str, Any] | None = None,
    drifted: tuple[str, ...] = (),
    *,
    columns: int = 20,
    problems: tuple[Finding, ...] = (),
    rows: int = 500,
    evaluated: bool = True,
    days: int = 0,
) -> WindowResult:
    start = T.replace(hour=0) if days else T
    end = start + (dt.timedelta(days=days) if days else dt.timedelta(hours=1))
    return WindowResult(
        start,
        end,
        rows,
        evaluated,
        {"rows": float(rows), **(metrics or {})},
        list(drifted),
        columns=columns,
        problems=list(problems),
        min_rows=100,
    )


def finding(check: str, column: str | None, severity: str = "critical") -> Finding:
    return Finding(check, column, severity, "…")  # type: ignore[arg-type]


DRIFTED = {"drift_share": 0.15, "drift_detected": 1.0}

ALERTS = [
    pytest.param(
        AlertRule("input-drift", "drift_share", above=0.1),
        window({**DRIFTED, **FELL}, ("alcohol", "ph", "sugar")),
        0.15,
        f"{HOUR}3 of 20 input columns of wine:2 moved away from the training data, most of all "
        f"`alcohol`; estimated accuracy fell from 0.91 to 0.84. {DRIFT_TODO}",
        id="drift-share-many-columns-and-a-fall",
    ),
    pytest.param(
        AlertRule("input-drift", "drift_share", above=0.01),
        window({**DRIFTED, **CALM}, ("alcohol",)),
        0.05,
        f"{HOUR}1 of 20 input columns of wine:2 moved away from the training data: `alcohol`; "
        f"estimated accuracy 0.90, close to the 0.91 it had on the reference data. {DRIFT_TODO}",
        id="drift-share-one-column",
    ),
    pytest.param(
        AlertRule("input-drift", "drift_score", above=0.1),
        window(DRIFTED, ("a", "b"), days=1),
        0.1,
        "On Tue 3 Dec, 2 of 20 input columns of wine:2 moved away from the training data, most "
        f"of all `a`. {DRIFT_TODO}",
        id="drift-score-daily-window-names-the-day",
    ),
    pytest.param(
        AlertRule("rows-moved", "drift_detected", above=0.5),
        window({"drift_share": 0.0, "drift_detected": 1.0}, columns=1),
        1.0,
        f"{HOUR}the rows sent to wine:2 as a whole moved away from the training data (how the "
        "columns vary together changed), though its only input column did not on its own. "
        f"{DRIFT_TODO}",
        id="drift-detected-whole-rows-one-column",
    ),
    pytest.param(
        AlertRule("rows-moved", "drift_detected", above=0.5),
        window({"drift_share": 0.0, "drift_detected": 1.0}, columns=12),
        1.0,
        f"{HOUR}the rows sent to wine:2 as a whole moved away from the training data (how the "
        "columns vary together changed), though none of the 12 input columns did on its own. "
        f"{DRIFT_TODO}",
        id="drift-detected-whole-rows",
    ),
    pytest.param(
        AlertRule("performance-drop", "performance_drop", above=0.05),
        window({"drift_share": 0.0, "drift_detected": 0.0, **FELL}),
        0.0769,
        f"{HOUR}estimated accuracy of wine:2 fell from 0.91 on the reference data to 0.84 (likely "
        f"between 0.81 and 0.87), 7.7% worse. {CONFIRM}",
        id="performance-drop-without-labels",
    ),
    pytest.param(
        AlertRule("performance-drop", "performance_drop", above=0.05),
        window(
            {"drift_share": 0.1, **FELL, "labelled": 1, "realized": {"accuracy": 0.85}},
            ("alcohol", "ph"),
        ),
        0.0769,
        f"{HOUR}estimated accuracy of wine:2 fell from 0.91 on the reference data to 0.84 (likely "
        "between 0.81 and 0.87), 7.7% worse, while 2 of 20 input columns moved away from the "
        "training data, most of all `alcohol`; the 1 row labelled so far measures 0.85. Retrain "
        "on recent labelled data if the labels still to come confirm it.",
        id="performance-drop-with-one-label-and-drift",
    ),
    pytest.param(
        AlertRule("performance-drop", "performance_drop", above=0.05),
        window(
            {
                "estimated": {"mae": {"value": 4.1, "low": 3.8, "high": 4.4}},
                "reference": {"mae": 3.2},
                "labelled": 0,
                "performance_drop": 0.28,
            }
        ),
        0.28,
        f"{HOUR}estimated MAE of wine:2 rose from 3.2 on the reference data to 4.1 (likely "
        f"between 3.8 and 4.4), 28% worse. {CONFIRM}",
        id="performance-drop-of-an-error-rises",
    ),
    pytest.param(
        AlertRule("floor", "estimated_accuracy", below=0.85),
        window(FELL),
        0.84,
        f"{HOUR}estimated accuracy of wine:2 was 0.84 (likely between 0.81 and 0.87), below the "
        f"alert level of 0.85; it was 0.91 on the reference data. {CONFIRM}",
        id="estimated-metric-below",
    ),
    pytest.param(
        AlertRule("floor", "realized_accuracy", below=0.85),
        window({**FELL, "labelled": 312, "realized": {"accuracy": 0.8}}),
        0.8,
        f"{HOUR}accuracy of wine:2 was 0.8 on the 312 rows whose labels have arrived, below the "
        "alert level of 0.85. Retrain on recent labelled data, or see which inputs moved in the "
        "drift report.",
        id="realized-metric-below",
    ),
    pytest.param(
        AlertRule("gaps", "missing_rate", above=0.01),
        window({"missing_rate": 0.032}, problems=(finding("missing_values", "income", "warning"),)),
        0.032,
        f"{HOUR}3.2% of the input values sent to wine:2 were missing, most of all in `income`, "
        "above the alert level of 1%. Check the system that sends the data: a field may have "
        "been renamed, dropped or left empty.",
        id="missing-rate-names-the-column",
    ),
    pytest.param(
        AlertRule("gaps", "missing_rate", above=0.001),
        window({"missing_rate": 0.0004}),
        0.0004,
        f"{HOUR}under 0.1% of the input values sent to wine:2 were missing, above the alert level "
        "of 0.1%. Check the system that sends the data: a field may have been renamed, dropped "
        "or left empty.",
        id="missing-rate-tiny-share",
    ),
    pytest.param(
        AlertRule("data-quality", "quality_critical", above=0),
        window({"quality_critical": 1.0}, problems=(finding("out_of_range", "mean area"),)),
        1.0,
        f"{HOUR}the data sent to wine:2 had 1 critical problem: values outside the training range "
        f"in `mean area`. Fix the data at its source before trusting the model's answers; {CHECK}",
        id="quality-critical-one",
    ),
    pytest.param(
        AlertRule("data-quality", "quality_critical", above=2),
        window(
            {"quality_critical": 3.0},
            problems=(
                finding("out_of_range", "a"),
                finding("out_of_range", "b"),
                finding("missing_column", "c"),
            ),
        ),
        3.0,
        f"{HOUR}the data sent to wine:2 had 3 critical problems (above the alert level of 2): "
        "values outside the training range in `a` and `b`; `c` missing. Fix the data at its "
        f"source before trusting the model's answers; {CHECK}",
        id="quality-critical-several-kinds",
    ),
    pytest.param(
        AlertRule("warnings", "quality_warnings", above=3),
        window(
            {"quality_warnings": 4.0},
            problems=(
                finding("unseen_categories", "region", "warning"),
                finding("duplicate_rows", None, "warning"),
            ),
        ),
        4.0,
        f"{HOUR}the data sent to wine:2 had 4 data warnings, above the alert level of 3: values "
        "the model never saw in `region`; repeated rows. Look at the data check and fix what "
        f"comes from a fault; {CHECK}",
        id="quality-warnings",
    ),
    pytest.param(
        AlertRule("quiet", "rows", below=100, min_rows=0),
        window(rows=1),
        1.0,
        f"{HOUR}wine:2 answered only 1 prediction, below the alert level of 100. Check that "
        "requests still reach it: is the server running, and do clients call it?",
        id="rows-below-one",
    ),
    pytest.param(
        AlertRule("busy", "rows", above=10_000),
        window(rows=12_000),
        12_000.0,
        f"{HOUR}wine:2 answered 12,000 predictions, above the alert level of 10,000. Check for a "
        "client repeating its requests, and that the servers keep up.",
        id="rows-above",
    ),
]


@pytest.mark.parametrize(("rule", "result", "value", "expected"), ALERTS)
def test_alert_sentence(rule: AlertRule, result: WindowResult, value: float, expected: str) -> None:
    assert alert_sentence(rule, "wine:2", result, value) == expected


def test_every_metric_has_a_template() -> None:
    """No metric falls through to the generic sentence that names it by its code."""
    from driftline.monitor import METRICS

    metrics = copy.deepcopy({**DRIFTED, **FELL, "missing_rate": 0.1, "realized": {}})
    for name in ("accuracy", "precision", "recall", "f1", "roc_auc", "mae", "rmse"):
        metrics["estimated"][name] = {"value": 0.5, "low": 0.4, "high": 0.6}
        metrics["realized"][name] = 0.5
    result = window(metrics, ("a",))
    for metric in METRICS:
        text = alert_sentence(AlertRule("r", metric, above=0), "wine:2", result, 0.5)
        assert "Look at the monitoring results" not in text and "_" not in text, text


RESOLVED = [
    pytest.param(
        AlertRule("input-drift", "drift_share", above=0.1, clear=0.05),
        window({"drift_share": 0.05, "drift_detected": 1.0}, ("alcohol",)),
        0.05,
        f"{HOUR}1 of 20 input columns of wine:2 moved away from the training data: `alcohol` "
        "(5%), no more than the 5% at which it clears: the input-drift alert is resolved.",
        id="drift-share-one-column-left",
    ),
    pytest.param(
        AlertRule("input-drift", "drift_share", above=0.1, clear=0.05),
        window({"drift_share": 0.0, "drift_detected": 0.0}),
        0.0,
        f"{HOUR}no input column of wine:2 moved away from the training data (0%), no more than "
        "the 5% at which it clears: the input-drift alert is resolved.",
        id="drift-share-none-left",
    ),
    pytest.param(
        AlertRule("rows-moved", "drift_detected", above=0.5),
        window({"drift_share": 0.0, "drift_detected": 0.0}),
        0.0,
        f"{HOUR}no input column of wine:2 moved away from the training data: the rows-moved "
        "alert is resolved.",
        id="drift-detected",
    ),
    pytest.param(
        AlertRule("gaps", "missing_rate", above=0.01),
        window({"missing_rate": 0.002}),
        0.002,
        f"{HOUR}0.2% of the input values sent to wine:2 were missing, no more than the 1% at "
        "which it clears: the gaps alert is resolved.",
        id="missing-rate",
    ),
    pytest.param(
        AlertRule("data-quality", "quality_critical", above=0),
        window({"quality_critical": 0.0}),
        0.0,
        f"{HOUR}the data sent to wine:2 had 0 critical problems: the data-quality alert is "
        "resolved.",
        id="quality-critical-back-to-none",
    ),
    pytest.param(
        AlertRule("quiet", "rows", below=100),
        window(rows=250),
        250.0,
        f"{HOUR}wine:2 answered 250 predictions, no less than the 100 at which it clears: the "
        "quiet alert is resolved.",
        id="rows",
    ),
    pytest.param(
        AlertRule("performance-drop", "performance_drop", above=0.05, clear=0.02),
        window(CALM),
        0.0,
        f"{HOUR}the estimated performance of wine:2 was back within chance of the reference "
        "data, no more than the 2% at which it clears: the performance-drop alert is resolved.",
        id="performance-drop",
    ),
    pytest.param(
        AlertRule("floor", "estimated_accuracy", below=0.85, clear=0.87),
        window(CALM),
        0.9,
        f"{HOUR}estimated accuracy of wine:2 was 0.9, no less than the 0.87 at which it clears: "
        "the floor alert is resolved.",
        id="estimated-metric",
    ),
]


@pytest.mark.parametrize(("rule", "result", "value", "expected"), RESOLVED)
def test_resolved_sentence(
    rule: AlertRule, result: WindowResult, value: float, expected: str
) -> None:
    assert resolved_sentence(rule, "wine:2", result, value) == expected


def test_window_sentences() -> None:
    assert window_sentence(window(rows=12, evaluated=False)) == (
        "Tue 3 Dec 14:00 to 15:00 UTC: 12 predictions, too few to judge (at least 100 needed)."
    )
    calm = window({"drift_share": 0.0, "drift_detected": 0.0, "missing_rate": 0.0, **CALM}, rows=1)
    assert window_sentence(calm) == (
        "Tue 3 Dec 14:00 to 15:00 UTC: 1 prediction; the inputs look like the training data; "
        "estimated accuracy 0.90, close to the 0.91 it had on the reference data."
    )
    busy = window(
        {**DRIFTED, "missing_rate": 0.012, **FELL},
        ("alcohol", "ph", "sugar"),
        problems=(
            finding("out_of_range", "alcohol"),
            finding("unseen_categories", "region", "warning"),
            finding("unseen_categories", "grape", "warning"),
        ),
        days=1,
    )
    assert window_sentence(busy) == (
        "Tue 3 Dec: 500 predictions; 3 of 20 input columns moved away from the training data, "
        "most of all `alcohol`; 1.2% of input values missing; estimated accuracy fell from 0.91 "
        "to 0.84; 1 critical data problem: values outside the training range in `alcohol`; 2 "
        "data warnings: values the model never saw in `region` and `grape`."
    )
    assert busy.to_dict()["sentence"] == window_sentence(busy)


def run(
    windows: list[WindowResult], *, opened: int = 0, resolved: int = 0, every: str = "1h"
) -> MonitorRun:
    alert = Alert(
        1, "wine", "input-drift", "warning", "open", "…", "drift_share", 0.2, 0.1, T, None
    )
    return MonitorRun("wine", 2, every, windows, [alert] * opened, [alert] * resolved)


def test_run_headlines() -> None:
    assert run_headline(run([])) == (
        "No predictions of wine:2 in the time range asked for: nothing was watched. Serve the "
        "model, or pass the logged predictions with --data."
    )
    assert run_headline(run([window(rows=12, evaluated=False)])) == (
        "Watched wine:2 over 1 window of 1 hour (12 predictions); the window had too few "
        "predictions to judge. Watch longer windows (--window), or wait for more traffic."
    )
    quiet = window({"drift_share": 0.0, "drift_detected": 0.0})
    assert run_headline(run([quiet], every="1d")) == (
        "Watched wine:2 over 1 window of 1 day (500 predictions); the inputs looked like the "
        "training data in the 1 window judged; no alert opened or resolved. Nothing to do."
    )
    moved = window(DRIFTED, ("a",))
    few = window(rows=3, evaluated=False)
    assert run_headline(run([quiet, moved, few], opened=1, resolved=2, every="90m")) == (
        "Watched wine:2 over 3 windows of 90 minutes (1,003 predictions); the inputs moved away "
        "from the training data in 1 of 2 windows judged; 1 alert opened, 2 resolved. Read the "
        "alerts: driftline alerts list --status open."
    )
    assert run([quiet, quiet], every="2w").headline == (
        "Watched wine:2 over 2 windows of 2 weeks (1,000 predictions); the inputs looked like "
        "the training data in all 2 windows judged; no alert opened or resolved. Nothing to do."
    )


def test_performance_sentence() -> None:
    cbpe = {
        "method": "cbpe",
        "calibration": "isotonic",
        "n_reference": 2000,
        "metrics": ["accuracy", "f1"],
        "reference": {"accuracy": 0.91},
    }
    assert performance_sentence(cbpe) == (
        "Performance was estimated from the model's own confidence in its answers "
        "(confidence-based estimation, CBPE), fitted on 2,000 labelled reference rows, where "
        "accuracy was 0.91; its probabilities were recalibrated first (isotonic)."
    )
    dle = {"method": "dle", "n_reference": 1, "metrics": ["mae"], "reference": {"mae": 3.2}}
    assert performance_sentence(dle) == (
        "Performance was estimated by a second model that learned where this one errs (direct "
        "loss estimation, DLE), fitted on 1 labelled reference row, where MAE was 3.2."
    )
