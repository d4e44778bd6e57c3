"""Every estimate sentence, exactly, for given numbers: headline, windows, method."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from driftline.estimate import MetricEstimate, PerformanceEstimate, WindowEstimate

CONFIRM = "Label a sample of {} rows to confirm it, and retrain on recent data if it holds."
DAY = dt.timedelta(days=1)
T = dt.datetime(2024, 12, 3, tzinfo=dt.UTC)


def window(
    start: int | dt.datetime,
    end: int | dt.datetime,
    value: float,
    low: float,
    high: float,
    *,
    realized: float | None = None,
    labelled: int = 0,
) -> WindowEstimate:
    rows = end - start if isinstance(start, int) and isinstance(end, int) else 100
    metrics = {"accuracy": MetricEstimate(value, low, high, realized)}
    return WindowEstimate(start, end, rows, labelled, metrics)


def estimate(
    windows: list[WindowEstimate], reference: dict[str, float] | None = None, **kw: object
) -> PerformanceEstimate:
    return PerformanceEstimate(
        "binary",
        str(kw.get("method", "cbpe")),
        ["accuracy"],
        float(kw.get("confidence", 0.95)),  # type: ignore[arg-type]
        "1,000 rows",
        int(kw.get("n_reference", 2000)),  # type: ignore[call-overload]
        {"accuracy": 0.91} if reference is None else reference,
        windows,
        calibration=kw.get("calibration"),  # type: ignore[arg-type]
    )


CALM = window(0, 1000, 0.90, 0.87, 0.93)
LOW = window(1000, 2000, 0.84, 0.81, 0.87)


@pytest.mark.parametrize(
    ("made", "expected"),
    [
        pytest.param(
            estimate(
                [CALM, LOW, window(2000, 2500, 0.80, 0.74, 0.86, realized=0.79, labelled=500)]
            ),
            "Estimated accuracy ranges from 0.80 to 0.90 across 3 windows; it is clearly worse "
            "than the 0.91 on the reference data in 2 of 3 windows, most of all in rows 2,001 to "
            f"2,500 (0.80). {CONFIRM.format('those')}",
            id="several-windows-worse",
        ),
        pytest.param(
            estimate(
                [window(T, T + DAY, 0.9, 0.87, 0.93), window(T + DAY, T + 2 * DAY, 0.8, 0.75, 0.85)]
            ),
            "Estimated accuracy ranges from 0.80 to 0.90 across 2 windows; it is clearly worse "
            "than the 0.91 on the reference data in 1 of 2 windows, on Wed 4 Dec (0.80). "
            f"{CONFIRM.format('those')}",
            id="one-day-worse",
        ),
        pytest.param(
            estimate([CALM, window(1000, 2000, 0.92, 0.89, 0.95)]),
            "Estimated accuracy ranges from 0.90 to 0.92 across 2 windows; none is clearly worse "
            "than the 0.91 on the reference data. Nothing to do.",
            id="no-window-worse",
        ),
        pytest.param(
            estimate([LOW]),
            "Estimated accuracy is 0.84 (likely between 0.81 and 0.87), clearly worse than the "
            f"0.91 on the reference data. {CONFIRM.format('these')}",
            id="one-window-worse",
        ),
        pytest.param(
            estimate([window(0, 1000, 0.9, 0.87, 0.93, realized=0.905, labelled=1)]),
            "Estimated accuracy is 0.90 (likely between 0.87 and 0.93), within chance of the 0.91 "
            "on the reference data; 1 labelled row measures 0.905. Nothing to do.",
            id="one-window-with-a-label",
        ),
        pytest.param(
            estimate([window(0, 1, math.nan, math.nan, math.nan)]),
            "Accuracy cannot be estimated on this 1 row. Estimate on more rows.",
            id="undefined",
        ),
        pytest.param(
            estimate([CALM], reference={}),
            "Estimated accuracy is 0.90 (likely between 0.87 and 0.93). Nothing to do.",
            id="no-reference-value",
        ),
    ],
)
def test_headline(made: PerformanceEstimate, expected: str) -> None:
    assert made.headline == expected
    assert made.to_dict()["headline"] == expected


def test_window_sentences_and_method() -> None:
    made = estimate([CALM, LOW], calibration="isotonic")
    assert made.sentences()[1:] == [
        "Estimated from the model's own confidence in its answers (confidence-based "
        "estimation, CBPE), fitted on 2,000 labelled reference rows; its probabilities were "
        "recalibrated first (isotonic); each band holds the true value with 95% probability.",
        "Rows 1 to 1,000: estimated accuracy 0.90 (likely between 0.87 and 0.93), within chance "
        "of the 0.91 on the reference data.",
        "Rows 1,001 to 2,000: estimated accuracy 0.84 (likely between 0.81 and 0.87), clearly "
        "worse than the 0.91 on the reference data.",
    ]
    regression = PerformanceEstimate(
        "regression", "dle", ["mae"], 0.9, "all rows", 1, {"mae": 3.2},
        [WindowEstimate(0, 300, 300, 0, {"mae": MetricEstimate(4.1, 3.8, 4.4)})],
    )  # fmt: skip
    assert regression.sentences() == [
        "Estimated MAE is 4.1 (likely between 3.8 and 4.4), clearly worse than the 3.2 on the "
        f"reference data. {CONFIRM.format('these')}",
        "Estimated by a second model that learned where this one errs (direct loss estimation, "
        "DLE), fitted on 1 labelled reference row; each band holds the true value with 90% "
        "probability.",
    ]


def test_a_lower_error_is_not_worse() -> None:
    better = PerformanceEstimate(
        "regression", "dle", ["mae"], 0.95, "all rows", 100, {"mae": 3.2},
        [WindowEstimate(0, 300, 300, 0, {"mae": MetricEstimate(2.5, 2.2, 2.8)})],
    )  # fmt: skip
    assert better.headline == (
        "Estimated MAE is 2.5 (likely between 2.2 and 2.8), clearly better than the 3.2 on the "
        "reference data. Nothing to do."
    )
