"""Named slices get the metrics of the whole, with intervals that hold the truth."""

from __future__ import annotations

import io
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from driftline.errors import InputError
from driftline.metrics import Predictions
from driftline.slices import Slice, SliceReport, evaluate_slices

# Accuracy by region in the population the rows are drawn from.
TRUE_ACCURACY = {"North": 0.75, "South": 0.9, "East": 0.9, "West": 0.9}


def _draw(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray, Predictions]:
    rng = np.random.default_rng(seed)
    region = rng.choice(list(TRUE_ACCURACY), n)
    frame = pd.DataFrame({"region": region, "age": rng.integers(18, 90, n)})
    y = rng.integers(0, 2, n)
    wrong = rng.uniform(size=n) > np.vectorize(TRUE_ACCURACY.get)(region)
    return frame, y, Predictions(np.where(wrong, 1 - y, y), None, np.array([0, 1]), "binary")


def test_intervals_hold_the_true_accuracy() -> None:
    runs, held, total = 40, 0, 0
    overall_truth = float(np.mean(list(TRUE_ACCURACY.values())))
    for seed in range(runs):
        frame, y, pred = _draw(1200, seed)
        report = evaluate_slices(
            frame,
            y,
            pred,
            ["region=North", "region=South"],
            metrics=["accuracy"],
            n_resamples=400,
            seed=seed,
        )
        for finding, truth in zip(report.findings, (0.75, 0.9), strict=True):
            assert finding.value is not None
            held += finding.value.low <= truth <= finding.value.high
            total += 1
        held += report.overall.low <= overall_truth <= report.overall.high
        total += 1
    # Nominal 95%; a percentile bootstrap of a proportion undercovers a little.
    assert held / total >= 0.88, held / total


def test_worse_slice_is_flagged_and_better_is_not() -> None:
    frame, y, pred = _draw(3000, 0)
    report = evaluate_slices(frame, y, pred, {"north": "region=North", "south": "region=South"})
    north, south = report.findings
    assert north.slice.name == "north" and north.slice.label == "north (region North)"
    assert north.adjusted_p is not None and north.adjusted_p < 1e-6
    assert south.adjusted_p is not None and south.adjusted_p > 0.05
    assert north.gap is not None and north.gap < -0.1 and south.gap is not None and south.gap > 0
    assert report.worst() is north
    assert report.metric == "accuracy"
    assert set(north.metrics) >= {"accuracy", "precision", "recall", "f1"}
    assert north.sentence.startswith("north (region North): accuracy 0.7")
    assert "1 served significantly worse" in report.headline
    assert report.n_tested == 2


def test_too_few_rows_are_reported_not_dropped() -> None:
    frame, y, pred = _draw(500, 1)
    frame.loc[:9, "region"] = "Island"
    report = evaluate_slices(frame, y, pred, ["region=Island", Slice.parse("age>=60")], min_rows=30)
    island, old = report.findings
    assert not island.judged and island.value is None and island.rows == 10
    assert island.sentence == "region Island: too few rows to judge (10 rows); at least 30 needed"
    assert island.p_value is None and island.gap is None
    assert old.judged and old.rows == int((frame["age"] >= 60).sum())
    assert "1 with too few rows to judge" in report.headline
    again = SliceReport.from_dict(report.to_dict())
    assert again.to_dict() == report.to_dict()
    out = io.StringIO()
    Console(file=out, width=120).print(report)
    assert "too few rows" in out.getvalue() and "region Island" in out.getvalue()


def test_regression_slices(make: SimpleNamespace) -> None:
    frame, y, pred = make.regression(3000, seed=0)
    report = evaluate_slices(
        frame, y, pred, "age>=60 and region=North", metrics=["rmse", "mae"], n_resamples=200
    )
    (finding,) = report.findings
    assert report.metric == "rmse" and set(finding.metrics) == {"rmse", "mae"}
    assert finding.value is not None and finding.value.value > 2 * report.overall.value
    assert finding.adjusted_p is not None and finding.adjusted_p < 1e-6


def test_ranking_metric_first_has_no_test() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"g": rng.choice(["a", "b"], 400)})
    y = rng.integers(0, 2, 400)
    proba = np.clip(y * 0.6 + rng.uniform(0, 0.4, 400), 0, 1)
    pred = Predictions(
        (proba > 0.5).astype(int), np.c_[1 - proba, proba], np.array([0, 1]), "binary"
    )
    report = evaluate_slices(frame, y, pred, ["g=a"], metrics=["roc_auc"], n_resamples=50)
    assert report.metric == "roc_auc" and report.findings[0].p_value is None
    assert report.n_tested == 0


def test_bad_slices_name_the_columns() -> None:
    frame, y, pred = _draw(100, 0)
    with pytest.raises(InputError, match="columns available: region, age"):
        evaluate_slices(frame, y, pred, ["regoin=North"])
    with pytest.raises(InputError, match="no slices"):
        evaluate_slices(frame, y, pred, [])
    with pytest.raises(InputError, match="a slice must be"):
        evaluate_slices(frame, y, pred, [42])
    with pytest.raises(InputError, match="unknown metric"):
        evaluate_slices(frame, y, pred, ["region=North"], metrics=["mae"])


def test_an_overall_evaluation_the_caller_has_is_used_not_computed_again() -> None:
    import dataclasses

    from driftline.metrics import Interval, Predictions, evaluate_predictions
    from driftline.slices import discover_slices, evaluate_slices

    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"region": rng.choice(["north", "south"], 400)})
    y = rng.integers(0, 2, 400)
    pred = Predictions(
        np.where(rng.uniform(size=400) < 0.8, y, 1 - y), None, np.array([0, 1]), "binary"
    )
    settings = {"n_resamples": 50, "seed": 3}
    whole = evaluate_predictions(y, y_pred=pred.y_pred, classes=pred.classes, **settings)
    plain = evaluate_slices(frame, y, pred, ["region=north"], **settings)
    reused = evaluate_slices(frame, y, pred, ["region=north"], overall=whole, **settings)
    # Same settings, same seed: reusing it changes nothing in the report.
    assert reused.to_dict() == plain.to_dict()
    # And it is what the report reads: a marked overall shows through...
    marked = dataclasses.replace(
        whole, metrics={**whole.metrics, "accuracy": Interval(0.123, 0.1, 0.2)}
    )
    assert (
        evaluate_slices(frame, y, pred, ["region=north"], overall=marked, **settings).overall.value
        == 0.123
    )
    assert discover_slices(frame, y, pred, overall=marked, **settings).overall.value == 0.123
    # ...unless its settings differ, and then the whole is evaluated again.
    other = evaluate_slices(
        frame, y, pred, ["region=north"], overall=marked, n_resamples=40, seed=3
    )
    assert other.overall.value == pytest.approx(whole["accuracy"].value)
