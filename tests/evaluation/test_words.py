"""Every evaluation, calibration and slice sentence, exactly, for given numbers."""

from __future__ import annotations

import math

import pytest

from driftline.calibration import CalibrationReport, CalibrationResult
from driftline.calibration._report import ReliabilityBin
from driftline.evaluation import EvaluationReport
from driftline.evaluation._parts import slices_sentences
from driftline.metrics import Evaluation, Interval
from driftline.slices import Slice, SliceReport
from driftline.slices._report import SliceFinding, sentence

NAN = math.nan


def test_evaluation_sentences_of_a_classifier() -> None:
    evaluation = Evaluation(
        "binary",
        285,
        {
            "accuracy": Interval(0.944, 0.912, 0.965),
            "roc_auc": Interval(0.99, 0.97, 1.0),
            "f1": Interval(0.955, 0.93, 0.972),
        },
        classes=[0, 1],
    )
    report = EvaluationReport("tumor", 1, "abc", 285, "target", evaluation, dropped_rows=1)
    assert report.sentences() == [
        "tumor:1: accuracy 0.94 (95% interval 0.91 to 0.96) on 285 labelled rows.",
        "ROC AUC 0.99 (95% interval 0.97 to 1.00); F1 0.95 (95% interval 0.93 to 0.97).",
        "1 row without a label was left out.",
    ]


def test_evaluation_sentences_of_a_multiclass_model_and_a_regressor() -> None:
    evaluation = Evaluation(
        "multiclass",
        900,
        {"accuracy": Interval(0.66, 0.63, 0.69), "f1": Interval(0.65, 0.62, 0.68)},
        classes=["a", "mid"],
        per_class={
            "a": {"f1": Interval(0.8, 0.75, 0.85)},
            "mid": {"f1": Interval(0.4, 0.33, 0.47)},
        },
        support={"a": 899, "mid": 1},
    )
    report = EvaluationReport(
        "LogisticRegression", None, "abc", 900, "y", evaluation, dropped_rows=3
    )
    assert report.sentences() == [
        "LogisticRegression: accuracy 0.66 (95% interval 0.63 to 0.69) on 900 labelled rows.",
        "Macro F1 0.65 (95% interval 0.62 to 0.68).",
        "The weakest class is 'mid': F1 0.40 (95% interval 0.33 to 0.47) on 1 row.",
        "3 rows without a label were left out.",
    ]
    regression = Evaluation("regression", 1, {"rmse": Interval(3.2, NAN, NAN)})
    assert EvaluationReport("price", 2, "abc", 1, "y", regression).sentences() == [
        "price:2: RMSE 3.20 on 1 labelled row."
    ]


def calibration(
    ece: float, direction: str | None, *, task: str = "binary", bins: bool = True
) -> CalibrationReport:
    found = [ReliabilityBin(0.8, 0.9, 100, 0.85, 0.70, 0.6, 0.78)] if bins else []
    return CalibrationReport(
        task, 285, [0, 1], 10, "uniform", ece, ece, 0.2, 0.1, 0.3, 0.041, 0.5, 0.5, found,
        direction=direction,  # type: ignore[arg-type]
    )  # fmt: skip


RECALIBRATE = "recalibrate the model (driftline calibrate) before reading them as chances"


@pytest.mark.parametrize(
    ("report", "expected"),
    [
        (
            calibration(0.034, None),
            "probabilities are well calibrated: the gap between what the model says and what "
            "happens (ECE 0.034) is within what chance allows on 285 rows",
        ),
        (
            calibration(0.082, "overconfident"),
            "probabilities are overconfident: when the model gives class 1 an 85% chance, it is "
            "class 1 70% of the time (ECE 0.082 on 285 rows, beyond the 0.041 chance allows); "
            + RECALIBRATE,
        ),
        (
            calibration(0.082, "underconfident", task="multiclass"),
            "probabilities are underconfident: when the model says 85% it is right 70% of the "
            "time (ECE 0.082 on 285 rows, beyond the 0.041 chance allows); " + RECALIBRATE,
        ),
        (
            calibration(0.082, None, bins=False),
            "probabilities are miscalibrated (ECE 0.082 on 285 rows, beyond the 0.041 chance "
            "allows); " + RECALIBRATE,
        ),
    ],
)
def test_calibration_summary(report: CalibrationReport, expected: str) -> None:
    assert report.summary == expected


def test_calibration_result_summary() -> None:
    before, after = calibration(0.082, "overconfident"), calibration(0.021, None)
    made = CalibrationResult("tumor", 1, 3, "isotonic", "lowest log loss", before, after, 500,
                             500, "abc", 0)  # fmt: skip
    assert made.summary == (
        "Isotonic recalibration of tumor:1: the gap between the chances it states and what "
        "happens (ECE) fell from 0.082 to 0.021, and log loss stayed at 0.3, on 500 held-out "
        "rows, and it is registered as tumor:3; judge it before release (driftline gate tumor "
        "--candidate 3)"
    )
    none = CalibrationResult("tumor", 1, None, "identity", "already calibrated", after, after, 1,
                             1, "abc", 0)  # fmt: skip
    assert none.summary == (
        "tumor:1 needs no recalibration (already calibrated); no new version was registered, "
        "and there is nothing to do"
    )


def finding(label: str, value: float, rows: int, adjusted: float | None) -> SliceFinding:
    s = Slice.parse(label)
    iv = Interval(value, value - 0.05, value + 0.05)
    return SliceFinding(
        s, "accuracy", iv, 0.89, rows, rows / 1000, adjusted, adjusted,
        sentence(s.label, "accuracy", iv, 0.89, rows, rows / 1000),
    )  # fmt: skip


def slice_report(kind: str, findings: list[SliceFinding], tested: int = 40) -> SliceReport:
    return SliceReport(
        kind,  # type: ignore[arg-type]
        "binary", "accuracy", Interval(0.89, 0.87, 0.91), 1000, findings, n_tested=tested,
    )  # fmt: skip


TODO = "Collect more labelled examples like them, or check their labels and inputs."


def test_slice_headlines() -> None:
    north = finding("region=North", 0.71, 412, 0.001)
    south = finding("region=South", 0.88, 1, 0.6)
    assert north.sentence == "region North: accuracy 0.71 vs 0.89 overall, 412 rows (41%)"
    assert slice_report("discovered", []).headline == (
        "No slice is served significantly worse than the whole (accuracy 0.89 overall; 40 "
        "slices tested)."
    )
    assert slice_report("discovered", [north]).headline == (
        "1 slice is served significantly worse than the whole (accuracy 0.89 overall); worst: "
        f"region North: accuracy 0.71 vs 0.89 overall, 412 rows (41%). {TODO}"
    )
    assert slice_report("defined", [north, south]).headline == (
        f"2 slices evaluated; 1 served significantly worse (accuracy 0.89 overall). {TODO}"
    )
    assert slice_report("defined", [south]).headline == (
        "1 slice evaluated; none served significantly worse (accuracy 0.89 overall)."
    )


def test_weak_slice_sentences_in_the_evaluation() -> None:
    north = finding("region=North", 0.71, 412, 0.001)
    assert slices_sentences(None, slice_report("discovered", [], tested=1)) == [
        "No group of rows is served significantly worse than the whole (1 group tested)."
    ]
    four = [finding(f"region=R{i}", 0.7, 100, 0.001) for i in range(4)]
    said = slices_sentences(None, slice_report("discovered", four))
    assert said[0] == (
        "4 groups of rows are served significantly worse than the whole: collect more labelled "
        "examples like them, or check their labels and inputs."
    )
    assert said[-1] == "1 more weak slice in the table."
    assert slices_sentences(slice_report("defined", [north]), None) == [
        "region North: accuracy 0.71 vs 0.89 overall, 412 rows (41%), significantly worse than "
        "the rest."
    ]
