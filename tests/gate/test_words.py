"""Every gate sentence, exactly, for given numbers: each kind of criterion and the headline."""

from __future__ import annotations

import math

import pytest

from driftline.gate import _words as words

AGAIN = "then run the gate again"


@pytest.mark.parametrize(
    ("n", "required", "expected"),
    [
        (1500, 500, "The gate judged on 1,500 labelled rows, at least the 500 required."),
        (500, 500, "The gate judged on 500 labelled rows, at least the 500 required."),
        (
            1,
            100,
            "The gate had only 1 labelled row, fewer than the 100 required to judge. Judge on "
            "more labelled rows.",
        ),
    ],
)
def test_rows(n: int, required: int, expected: str) -> None:
    assert words.rows_sentence(n, required) == expected


@pytest.mark.parametrize(
    ("args", "kw", "expected"),
    [
        (
            ("accuracy", "churn:3", 0.9456, 0.935, 0.957, 0.75, "min"),
            {},
            "Accuracy of churn:3 is 0.946 (likely between 0.935 and 0.957), at least the 0.75 "
            "required.",
        ),
        (
            ("accuracy", "churn:3", 0.75, 0.70, 0.80, 0.75, "min"),
            {},
            "Accuracy of churn:3 is 0.75 (likely between 0.70 and 0.80), at least the 0.75 "
            "required.",
        ),
        (
            ("f1", "churn:3", 0.62, 0.55, 0.69, 0.7, "min"),
            {"where": "region north", "rows": 1},
            "F1 of churn:3 on region north (1 row) is 0.62 (likely between 0.55 and 0.69), below "
            f"the 0.7 required. Improve the model, {AGAIN}.",
        ),
        (
            ("rmse", "price:2", 3.1, 2.9, 3.3, 3.5, "max"),
            {},
            "RMSE of price:2 is 3.1 (likely between 2.9 and 3.3), at most the 3.5 allowed.",
        ),
        (
            ("rmse", "price:2", 3.8, math.nan, math.nan, 3.5, "max"),
            {},
            f"RMSE of price:2 is 3.8, above the 3.5 allowed. Improve the model, {AGAIN}.",
        ),
        (
            ("roc_auc", "churn:3", math.nan, math.nan, math.nan, 0.8, "min"),
            {"where": "region north", "rows": 40},
            "ROC AUC of churn:3 on region north (40 rows) is undefined on these rows (for "
            "example, only one class is present). Judge on rows that hold every class.",
        ),
    ],
)
def test_threshold(args: tuple, kw: dict, expected: str) -> None:  # type: ignore[type-arg]
    assert words.threshold_sentence(*args, **kw) == expected


def test_cannot() -> None:
    assert words.cannot_sentence(
        "RMSE of churn:3", "RMSE is a regression metric and the model is a classifier",
        words.NOT_APPLICABLE,
    ) == (
        "RMSE of churn:3 cannot be evaluated: RMSE is a regression metric and the model is a "
        "classifier. The gate fails until it can: drop it from the gate policy for this model."
    )  # fmt: skip
    assert words.cannot_sentence(
        "accuracy of churn:3", "no baseline version was given", words.NO_BASELINE,
        verb="be compared with the baseline",
    ) == (
        "Accuracy of churn:3 cannot be compared with the baseline: no baseline version was "
        "given. The gate fails until it can: name a version to compare with (--baseline), or "
        "drop the comparison from the gate policy for a first release."
    )  # fmt: skip


def regression(difference: tuple[float, float, float], worst: float, *, within: bool) -> str:
    return words.regression_sentence(
        "accuracy", "churn:2", "churn:1", (0.93, 0.944), difference, worst, 0.01, 0.95,
        within=within,
    )  # fmt: skip


HEAD = "Accuracy of churn:2 is 0.930 against 0.944 for churn:1 on the same rows"


def test_regression() -> None:
    assert regression((0.006, 0.001, 0.012), -0.001, within=True) == (
        f"{HEAD}; even at worst it is better (difference +0.006, 95% interval +0.001 to +0.012, "
        "same rows resampled for both)."
    )
    assert regression((-0.004, -0.008, 0.001), 0.008, within=True) == (
        f"{HEAD}; at worst it is 0.008 worse, within the 0.01 allowed (difference −0.004, 95% "
        "interval −0.008 to +0.001, same rows resampled for both)."
    )
    assert regression((-0.014, -0.042, 0.014), 0.042, within=False) == (
        f"{HEAD}; it may be as much as 0.042 worse, more than the 0.01 allowed (difference "
        "−0.014, 95% interval −0.042 to +0.014, same rows resampled for both). Keep churn:1; "
        f"improve churn:2, {AGAIN}."
    )
    assert regression((-0.005, -0.03, 0.02), 0.03, within=True) == (
        f"{HEAD}; it may be as much as 0.03 worse, more than the 0.01 allowed (difference "
        "−0.005, 95% interval −0.030 to +0.020, same rows resampled for both). The difference "
        "itself is within the allowance: judge on more labelled rows to narrow the interval, "
        f"{AGAIN}."
    )
    assert regression((0.0, math.nan, math.nan), math.nan, within=True) == (
        f"{HEAD}, but the difference has no interval on these rows, so churn:2 cannot be shown "
        "not to be worse. Judge on more labelled rows."
    )


def test_calibration() -> None:
    assert words.calibration_sentence("churn:3", 0.0342, 0.041, 285, 0.05) == (
        "The probabilities of churn:3 are off by 0.0342 on average (expected calibration error; "
        "chance alone gives up to 0.0410 on 285 rows), at most the 0.05 allowed."
    )
    assert words.calibration_sentence("churn:3", 0.082, 0.0194, 1, 0.05) == (
        "The probabilities of churn:3 are off by 0.0820 on average (expected calibration error; "
        "chance alone gives up to 0.0194 on 1 row), above the 0.05 allowed. Recalibrate it "
        f"(driftline calibrate churn:3), {AGAIN} on the calibrated version."
    )


def test_quality() -> None:
    assert words.quality_sentence(0, 0, "") == (
        "The data check found no critical problem in the rows judged."
    )
    assert words.quality_sentence(0, 1, "") == (
        "The data check found no critical problem in the rows judged (1 warning)."
    )
    assert words.quality_sentence(
        2, 3, "values outside the training range in `age`; `x` missing"
    ) == (
        "The data check found 2 critical problems in the rows judged: values outside the training "
        f"range in `age`; `x` missing. Fix the data, {AGAIN}."
    )


def test_slices() -> None:
    assert words.slice_size_sentence("region north", 1, 30) == (
        "The slice region north has only 1 row, fewer than the 30 needed to judge a slice. Judge "
        "on more rows, or widen the slice in the gate policy."
    )
    assert words.gap_sentence("accuracy", "churn:3", ("south", 0.88), ("north", 0.95), 4, 0.1) == (
        "Accuracy of churn:3 ranges from 0.88 on south to 0.95 on north across 4 slices, a gap "
        "of 0.07, within the 0.1 allowed."
    )
    assert words.gap_sentence("mae", "price:2", ("small", 1.2), ("large", 3.4), 2, 1) == (
        "MAE of price:2 ranges from 1.2 on small to 3.4 on large across 2 slices, a gap of 2.2, "
        f"more than the 1 allowed. Improve the model on large, {AGAIN}."
    )
    assert words.no_slices_sentence("churn:1") == (
        "No slice has enough rows to compare with churn:1. Judge on more labelled rows."
    )


def test_slice_regression() -> None:
    def said(worse: bool, slices: int, max_drop: float) -> str:
        return words.slice_regression_sentence(
            "accuracy", "churn:2", "churn:1", "region north", 201, (0.0348, 0.7413),
            (-0.706, -0.786, -0.612), 0.9875, slices, max_drop, worse,
        )  # fmt: skip

    head = "On region north (201 rows), accuracy of churn:2 is 0.035 against 0.741 for churn:1"
    assert said(True, 4, 0.0) == (
        f"{head}, significantly worse (difference −0.706, 98.75% interval −0.786 to −0.612, "
        f"corrected for 4 slices). Keep churn:1; improve churn:2 on these rows, {AGAIN}."
    )
    assert said(False, 1, 0.02) == (
        f"{head}, not significantly worse by more than the 0.02 allowed (difference −0.706, "
        "98.75% interval −0.786 to −0.612)."
    )


def test_headline() -> None:
    assert words.headline("churn:3", "churn:1", [], 9) == (
        "Gate passed: churn:3 may replace churn:1; all 9 criteria hold. Release it when ready, "
        "e.g. driftline alias set churn 3 champion."
    )
    assert words.headline("churn:3", None, [], 1) == (
        "Gate passed: churn:3 may be released; the 1 criterion holds. Release it when ready, "
        "e.g. driftline alias set churn 3 champion."
    )
    assert words.headline("churn:2", "churn:1", ["accuracy ≥ 0.9"], 1) == (
        "Gate failed: churn:2 may not replace churn:1; 1 of 1 criterion failed (accuracy ≥ 0.9). "
        "Keep churn:1 in service: the failed criteria say what to improve."
    )
    assert words.headline("churn:2", None, ["a", "b", "c", "d"], 6) == (
        "Gate failed: churn:2 may not be released; 4 of 6 criteria failed (a; b; c; ...). Do not "
        "release churn:2: the failed criteria say what to improve."
    )
    assert words.headline("churn:2", "churn:1", [], 0) == (
        "Gate failed: no criterion was judged. Give a gate policy with criteria."
    )
