"""evaluate() on model objects: the figures agree with scikit-learn, the parts are all there."""

from __future__ import annotations

import json
import math
from io import StringIO
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from rich.console import Console
from sklearn import metrics as skm

from driftline.errors import DataNotFoundError, InputError, SchemaError
from driftline.evaluation import EvaluationReport, evaluate

FAST = {"n_resamples": 200, "discover": False}


def rich_text(renderable: object, width: int = 110) -> str:
    out = StringIO()
    Console(file=out, width=width, color_system=None).print(renderable)
    return out.getvalue()


def test_binary_figures_match_sklearn(churn_model, churn_test) -> None:
    report = evaluate(churn_model, churn_test, target="churned", **FAST)
    X, y = churn_test[["age", "tenure"]], churn_test["churned"].to_numpy()
    proba = churn_model.predict_proba(X)[:, 1]
    assert report.task == "binary" and report.version is None
    assert report.model == "LogisticRegression" and report.n_rows == len(churn_test)
    assert report["accuracy"].value == pytest.approx(skm.accuracy_score(y, churn_model.predict(X)))
    assert report["roc_auc"].value == pytest.approx(skm.roc_auc_score(y, proba))
    for iv in report.metrics.values():
        assert iv.low <= iv.value <= iv.high
    # The chart data are the same rows: the confusion matrix is scikit-learn's, and the
    # area under the stored ROC curve is the ROC AUC (thinning the curve costs little).
    assert report.charts.confusion == skm.confusion_matrix(y, churn_model.predict(X)).tolist()
    fpr, tpr = report.charts.roc["fpr"], report.charts.roc["tpr"]
    assert (fpr[0], tpr[0], fpr[-1], tpr[-1]) == (0.0, 0.0, 1.0, 1.0)
    assert np.trapezoid(tpr, fpr) == pytest.approx(report["roc_auc"].value, abs=0.01)
    assert report.charts.positive_rate == pytest.approx(y.mean(), abs=1e-6)
    # Calibration comes with probabilities; no training data, so no data check, and it says so.
    assert report.calibration is not None and report.calibration.n == len(y)
    assert report.quality is None and any("not checked" in n for n in report.notes)
    assert report.headline.startswith("LogisticRegression: accuracy 0.")
    assert "(95% interval " in report.headline
    assert report.headline.endswith(f"on {len(y):,} labelled rows.")


def test_multiclass_per_class_and_weakest(three_classes) -> None:
    df, model = three_classes
    report = evaluate(model, df, target="kind", **FAST)
    pred = model.predict(df[["a", "b"]])
    assert report.task == "multiclass"
    assert set(report.evaluation.per_class) == {"high", "low", "mid"}
    assert report["f1"].value == pytest.approx(skm.f1_score(df["kind"], pred, average="macro"))
    assert report.charts.labels == [str(c) for c in model.classes_]
    assert (
        report.charts.confusion
        == skm.confusion_matrix(df["kind"], pred, labels=model.classes_).tolist()
    )
    f1 = skm.f1_score(df["kind"], pred, average=None, labels=model.classes_)
    weakest = str(model.classes_[int(np.argmin(f1))])
    assert report.weakest_class()[0] == weakest
    assert f"The weakest class is {weakest!r}: F1 " in report.summary()
    text = rich_text(report)
    assert "macro F1" in text and "per class" in text and weakest in text


def test_regression_figures_and_charts(prices) -> None:
    df, model = prices
    report = evaluate(model, df, target="price", **FAST)
    pred = model.predict(df[["rooms", "area"]])
    assert report.task == "regression" and report.calibration is None
    assert report["rmse"].value == pytest.approx(
        math.sqrt(skm.mean_squared_error(df["price"], pred))
    )
    assert report["r2"].value == pytest.approx(skm.r2_score(df["price"], pred))
    assert report.headline.startswith("LinearRegression: RMSE ")
    assert len(report.charts.scatter["actual"]) == 400
    assert sum(report.charts.residuals["counts"]) == len(df)
    assert report.charts.roc is None and report.charts.confusion == []


def test_inputs_of_every_kind_agree(churn_model, churn_test, tmp_path: Path) -> None:
    csv, parquet = tmp_path / "test.csv", tmp_path / "test.parquet"
    churn_test.to_csv(csv, index=False)
    churn_test.to_parquet(parquet)
    import polars as pl

    frames = [
        churn_test,
        pa.Table.from_pandas(churn_test),
        pl.from_pandas(churn_test),
        csv,
        parquet,
    ]
    reports = [evaluate(churn_model, f, target="churned", **FAST) for f in frames]
    values = {r["accuracy"].value for r in reports} | {r["roc_auc"].value for r in reports}
    assert len(values) == 2
    # The fingerprint is of the content: the same rows hash alike, one changed value does not.
    again = evaluate(churn_model, churn_test.copy(), target="churned", **FAST)
    assert again.dataset == reports[0].dataset and len(again.dataset) == 64
    changed = churn_test.copy()
    changed.loc[0, "age"] += 1
    assert evaluate(churn_model, changed, target="churned", **FAST).dataset != again.dataset


def test_text_labels_meet_numeric_classes(churn_model, churn_test) -> None:
    as_text = churn_test.assign(churned=churn_test["churned"].astype(str))
    a = evaluate(churn_model, as_text, target="churned", **FAST)
    b = evaluate(churn_model, churn_test, target="churned", **FAST)
    assert a["accuracy"].value == b["accuracy"].value


def test_rows_without_a_label_are_left_out(churn_model, churn_test) -> None:
    data = churn_test.assign(churned=churn_test["churned"].astype(float))
    data.loc[:9, "churned"] = np.nan
    report = evaluate(churn_model, data, target="churned", **FAST)
    assert report.n_rows == len(data) - 10 and report.dropped_rows == 10
    assert "10 rows without a label were left out." in report.summary()


def test_wrong_input_says_what_to_do(churn_model, churn_test) -> None:
    with pytest.raises(
        InputError,
        match=r"target column 'churn' is not in the data; did you mean 'churned'\?.*age, tenure, region, churned",
    ):
        evaluate(churn_model, churn_test, target="churn", **FAST)
    with pytest.raises(InputError, match=r"lacks the model's input column\(s\) 'tenure'"):
        evaluate(churn_model, churn_test.drop(columns="tenure"), target="churned", **FAST)
    bad = churn_test.assign(churned=churn_test["churned"].astype(object))
    bad.loc[3, "churned"] = "maybe"
    with pytest.raises(InputError, match=r"label\(s\) 'maybe'.*does not know"):
        evaluate(churn_model, bad, target="churned", **FAST)
    with pytest.raises(DataNotFoundError, match="evaluation data: there is no file or folder at"):
        evaluate(churn_model, "nowhere.csv", target="churned", **FAST)
    with pytest.raises(InputError, match="target is required"):
        evaluate(churn_model, churn_test, **FAST)
    with pytest.raises(InputError, match="confidence"):
        evaluate(churn_model, churn_test, target="churned", confidence=95, **FAST)
    with pytest.raises(InputError, match="could not score"):
        evaluate(churn_model, churn_test.assign(age="old"), target="churned", **FAST)
    assert issubclass(SchemaError, InputError)


def test_round_trip_and_json(churn_model, churn_test, three_classes) -> None:
    df, model = three_classes
    for report in (
        evaluate(churn_model, churn_test, target="churned", **FAST),
        evaluate(model, df, target="kind", **FAST),
    ):
        data = report.to_dict()
        text = json.dumps(data, allow_nan=False)  # plain JSON: no NaN, no numpy
        again = EvaluationReport.from_dict(json.loads(text))
        assert again.to_dict() == data
        assert again.summary() == report.summary()
        assert rich_text(again) == rich_text(report)
    with pytest.raises(InputError, match="format 2"):
        EvaluationReport.from_dict({**data, "format": 2})


def test_rich_rendering(churn_model, churn_test) -> None:
    report = evaluate(churn_model, churn_test, target="churned", **FAST)
    text = rich_text(report)
    assert text.splitlines()[0] == report.headline
    for words in ("ROC AUC", "Brier score", "95% interval", "calibrat"):
        assert words in text
    assert "per class" not in text  # binary: precision and recall are of the positive class


def test_reference_data_checks_a_model_object(churn_model, churn_train, churn_test) -> None:
    shifted = churn_test.assign(age=churn_test["age"] + 40)
    report = evaluate(churn_model, shifted, target="churned", reference=churn_train, **FAST)
    assert report.quality is not None and not report.quality.passed
    assert any(f.check == "out_of_range" and f.column == "age" for f in report.quality.findings)
    assert report.quality.headline in report.summary()
    assert not any("not checked" in n for n in report.notes)


def test_intervals_repeat_under_a_seed_and_widen_with_confidence(churn_model, churn_test) -> None:
    a = evaluate(churn_model, churn_test, target="churned", seed=3, **FAST)
    b = evaluate(churn_model, churn_test, target="churned", seed=3, **FAST)
    c = evaluate(churn_model, churn_test, target="churned", seed=4, **FAST)
    narrow = evaluate(churn_model, churn_test, target="churned", seed=3, confidence=0.5, **FAST)
    assert a.to_dict()["evaluation"] == b.to_dict()["evaluation"]
    assert a["accuracy"].low != c["accuracy"].low or a["accuracy"].high != c["accuracy"].high
    for name, iv in a.metrics.items():
        inner = narrow[name]
        assert iv.low <= inner.low <= inner.high <= iv.high, name
    assert "(50% interval " in narrow.headline
