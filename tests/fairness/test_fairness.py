"""Group fairness figures: agreement with Fairlearn, intervals, sentences with numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from driftline.errors import InputError
from driftline.fairness import FairnessReport, group_fairness
from driftline.fairness._words import (
    four_fifths_sentence,
    odds_sentence,
    small_group_sentence,
)


def _data(seed: int = 0, n: int = 2000) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    sex = rng.choice(["F", "M"], size=n, p=[0.4, 0.6])
    region = rng.choice(["North", "South", "East"], size=n)
    y = rng.random(n) < np.where(sex == "F", 0.35, 0.5)
    # The model approves women less often than their labels warrant.
    flip = rng.random(n) < np.where(sex == "F", 0.3, 0.1)
    pred = np.where(flip, ~y & (sex == "M"), y)
    return y.astype(int), pred.astype(int), {"sex": sex, "region": region}


def test_agrees_with_fairlearn() -> None:
    fairlearn = pytest.importorskip("fairlearn.metrics")
    from sklearn.metrics import accuracy_score

    y, pred, sensitive = _data()
    report = group_fairness(y, pred, sensitive, n_resamples=0)
    for column, values in sensitive.items():
        frame = fairlearn.MetricFrame(
            metrics={
                "selection_rate": fairlearn.selection_rate,
                "tpr": fairlearn.true_positive_rate,
                "fpr": fairlearn.false_positive_rate,
                "accuracy": accuracy_score,
                "count": fairlearn.count,
            },
            y_true=y,
            y_pred=pred,
            sensitive_features=values,
        )
        attr = report[column]
        for group, row in frame.by_group.iterrows():
            figures = attr.groups[str(group)]
            assert figures.size == row["count"]
            for name in ("selection_rate", "tpr", "fpr", "accuracy"):
                assert getattr(figures, name).value == pytest.approx(row[name], abs=1e-12)
        kw = {"y_true": y, "y_pred": pred, "sensitive_features": values}
        assert attr["demographic_parity_difference"].value == pytest.approx(
            fairlearn.demographic_parity_difference(**kw), abs=1e-12
        )
        assert attr["demographic_parity_ratio"].value == pytest.approx(
            fairlearn.demographic_parity_ratio(**kw), abs=1e-12
        )
        assert attr["equalized_odds_difference"].value == pytest.approx(
            fairlearn.equalized_odds_difference(**kw), abs=1e-12
        )


def test_intervals_cover_the_value_and_shrink_with_rows() -> None:
    y, pred, sensitive = _data(n=400)
    small = group_fairness(y, pred, sensitive, n_resamples=300, seed=1)["sex"]
    y, pred, sensitive = _data(n=8000)
    large = group_fairness(y, pred, sensitive, n_resamples=300, seed=1)["sex"]
    for attr in (small, large):
        for iv in attr.disparities.values():
            assert iv.low <= iv.value <= iv.high
        for f in attr.groups.values():
            assert f.selection_rate.low <= f.selection_rate.value <= f.selection_rate.high

    def width(a: object) -> float:
        iv = a.disparities["demographic_parity_ratio"]  # type: ignore[attr-defined]
        return iv.high - iv.low

    assert width(large) < width(small) / 2


def test_same_seed_same_intervals() -> None:
    y, pred, sensitive = _data(n=500)
    a = group_fairness(y, pred, sensitive, n_resamples=100, seed=3).to_dict()
    b = group_fairness(y, pred, sensitive, n_resamples=100, seed=3).to_dict()
    assert a == b


def test_round_trip_and_sentence() -> None:
    y, pred, sensitive = _data()
    report = group_fairness(y, pred, sensitive, n_resamples=50)
    again = FairnessReport.from_dict(report.to_dict())
    assert again.to_dict() == report.to_dict()
    sex = report["sex"]
    ratio = sex["demographic_parity_ratio"].value
    assert ratio < 0.8 and sex.below_four_fifths
    first = report.sentences()[0]
    assert "`sex` = 'F'" in first and f"{ratio:.2f} the rate" in first and "below the 0.8" in first


def test_missing_values_are_a_group_and_text_labels_work() -> None:
    y = np.array(["no", "yes", "yes", "no", "yes", "no"])
    pred = np.array(["no", "yes", "no", "no", "yes", "yes"])
    report = group_fairness(y, pred, {"g": ["a", "a", None, None, "a", None]}, n_resamples=0)
    assert report.positive == "yes"
    assert set(report["g"].groups) == {"a", "(missing)"}
    assert report["g"].groups["(missing)"].fpr.value == pytest.approx(0.5)


def test_bad_input_is_refused_with_numbers() -> None:
    with pytest.raises(InputError, match="two outcomes, got 3"):
        group_fairness([0, 1, 2], [0, 1, 2], {"g": ["a", "b", "c"]})
    with pytest.raises(InputError, match="has 2 values but there are 3"):
        group_fairness([0, 1, 1], [0, 1, 0], {"g": ["a", "b"]})


def test_four_fifths_sentence() -> None:
    s = four_fifths_sentence("sex", "F", 0.31, "M", 0.4366, "approved")
    assert s == (
        "Rows with `sex` = 'F' are predicted 'approved' at 0.71 the rate of rows with "
        "`sex` = 'M' (31% against 44%); below the 0.8 often used as a warning line."
    )
    s = four_fifths_sentence("sex", "F", 0.40, "M", 0.45, "approved")
    assert "at 0.89 the rate" in s and "at or above the 0.8" in s
    assert "cannot be compared" in four_fifths_sentence("sex", "F", 0.0, "M", 0.0, "yes")


def test_odds_and_small_group_sentences() -> None:
    assert "differ by up to 0.30 and false positive rates by up to 0.05" in odds_sentence(
        "sex", 0.3, 0.05
    )
    assert "difference 0.30" in odds_sentence("sex", 0.3, 0.05)
    assert "cannot be measured" in odds_sentence("sex", math.nan, 0.1)
    assert small_group_sentence("r", "x", 1, 30).startswith("Only 1 row has `r` = 'x'")
    assert "Only 12 rows have `r` = 'x' (fewer than 30)" in small_group_sentence("r", "x", 12, 30)
