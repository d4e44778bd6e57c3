"""Slices in an evaluation: the planted weak region is found, asked-for slices are judged."""

from __future__ import annotations

import pytest

from driftline.errors import InputError
from driftline.evaluation import EvaluationReport, evaluate
from driftline.report import render_html


def test_discovery_finds_the_planted_weak_region(churn_model, churn_test) -> None:
    report = evaluate(churn_model, churn_test, target="churned", n_resamples=100)
    weak = report.weak_slices
    assert weak is not None and weak.findings, report.summary()
    # In region 'north' most labels are noise (see conftest): it leads the findings.
    top = weak.findings[0]
    assert [c.column for c in top.slice.conditions] == ["region"]
    assert top.slice.mask(churn_test).sum() == (churn_test["region"] == "north").sum()
    assert top.value.value < top.overall and top.adjusted_p <= weak.alpha
    summary = report.summary()
    assert "served significantly worse than the whole" in summary and "region north" in summary
    page = render_html(report)
    assert "Where the model is weakest" in page and "region=north" in page
    assert EvaluationReport.from_dict(report.to_dict()).to_dict() == report.to_dict()


def test_asked_for_slices(churn_model, churn_test) -> None:
    report = evaluate(
        churn_model,
        churn_test,
        target="churned",
        slices=["region=north", "region=south", "age>=60 and region in east,west"],
        discover=False,
        n_resamples=100,
    )
    found = {f.slice.to_text(): f for f in report.slices.findings}
    assert set(found) == {"region=north", "region=south", "age>=60 and region in east,west"}
    assert found["region=north"].rows == (churn_test["region"] == "north").sum()
    assert found["region=north"] in report.slices.significant
    assert found["region=south"] not in report.slices.significant
    assert report.weak_slices is None
    assert "The groups of rows asked about" in render_html(report)


def test_a_slice_on_an_unknown_column_fails_before_scoring(churn_model, churn_test) -> None:
    with pytest.raises(InputError, match=r"column 'city'.*columns available: age, tenure, region"):
        evaluate(churn_model, churn_test, target="churned", slices=["city=Paris"])


class _OverconfidentInTheSouth:
    """Wraps a classifier and pushes its probabilities to the extremes for region 'south'."""

    def __init__(self, model: object) -> None:
        self.model = model
        self.classes_ = model.classes_  # type: ignore[attr-defined]
        self.inner = list(model.feature_names_in_)  # type: ignore[attr-defined]
        self.feature_names_in_ = [*self.inner, "region"]

    def predict_proba(self, X):  # type: ignore[no-untyped-def]
        import numpy as np

        p = self.model.predict_proba(X[self.inner])[:, 1]  # type: ignore[attr-defined]
        south = (X["region"] == "south").to_numpy()
        logit = np.log(np.clip(p, 1e-6, 1 - 1e-6) / np.clip(1 - p, 1e-6, 1))
        p = np.where(south, 1 / (1 + np.exp(-4 * logit)), p)
        return np.column_stack([1 - p, p])

    def predict(self, X):  # type: ignore[no-untyped-def]
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


def test_calibration_is_judged_per_slice(churn_model, churn_test) -> None:
    model = _OverconfidentInTheSouth(churn_model)
    report = evaluate(
        model,
        churn_test,
        target="churned",
        slices=["region=south", "region=east"],
        discover=False,
        n_resamples=50,
    )
    by_slice = report.slice_calibration
    assert len(by_slice) == 2
    south, east = (by_slice[k] for k in sorted(by_slice, key=lambda k: "east" in k))
    assert south.miscalibrated and south.ece > 2 * east.ece
    assert not east.miscalibrated
    assert any(s.startswith("On region") and "south" in s for s in report.sentences())
    back = EvaluationReport.from_dict(report.to_dict())
    assert back.slice_calibration.keys() == by_slice.keys()
    assert "chance alone" in render_html(report)
