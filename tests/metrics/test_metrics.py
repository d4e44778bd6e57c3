"""Metrics agree with scikit-learn, and their intervals cover the truth as often as promised."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression

from driftline.errors import InputError
from driftline.metrics import (
    CLASSIFICATION_METRICS,
    REGRESSION_METRICS,
    Evaluation,
    evaluate_predictions,
    metric_value,
    predict,
)


def _binary(seed: int, n: int = 500, ties: bool = False) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    p = rng.uniform(size=n)
    if ties:
        p = np.round(p, 1)  # many tied scores: AUCs must split ties as scikit-learn does
    y = (rng.uniform(size=n) < p).astype(int)
    return y, p


@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_binary_point_values_match_scikit_learn(seed: int, ties: bool) -> None:
    y, p = _binary(seed, ties=ties)
    pred = (p >= 0.5).astype(int)
    ev = evaluate_predictions(y, y_pred=pred, y_proba=p, n_resamples=0)
    expected = {
        "accuracy": skm.accuracy_score(y, pred),
        "precision": skm.precision_score(y, pred),
        "recall": skm.recall_score(y, pred),
        "f1": skm.f1_score(y, pred),
        "roc_auc": skm.roc_auc_score(y, p),
        "pr_auc": skm.average_precision_score(y, p),
        "log_loss": skm.log_loss(y, np.column_stack([1 - p, p])),
        "brier": skm.brier_score_loss(y, p),
    }
    assert list(ev.metrics) == list(CLASSIFICATION_METRICS)
    for name, value in expected.items():
        assert ev[name].value == pytest.approx(value, abs=1e-9), name


@pytest.mark.parametrize("seed", [0, 1])
def test_multiclass_point_values_match_scikit_learn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, k = 600, 4
    logits = rng.normal(size=(n, k)) * 2
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y = np.array([rng.choice(k, p=row) for row in proba])
    labels = np.array(["ant", "bee", "cat", "dog"])
    pred = proba.argmax(axis=1)
    ev = evaluate_predictions(
        labels[y], y_pred=labels[pred], y_proba=proba, classes=labels, n_resamples=0
    )
    assert ev.task == "multiclass"
    assert ev["accuracy"].value == pytest.approx(skm.accuracy_score(y, pred))
    for name, fn in [("precision", skm.precision_score), ("recall", skm.recall_score)]:
        assert ev[name].value == pytest.approx(fn(y, pred, average="macro", zero_division=0))
    assert ev["f1"].value == pytest.approx(skm.f1_score(y, pred, average="macro"))
    assert ev["roc_auc"].value == pytest.approx(
        skm.roc_auc_score(y, proba, multi_class="ovr", average="macro")
    )
    assert ev["log_loss"].value == pytest.approx(skm.log_loss(y, proba))
    onehot = np.eye(k)[y]
    assert ev["brier"].value == pytest.approx(((proba - onehot) ** 2).sum(axis=1).mean())
    per_f1 = skm.f1_score(y, pred, average=None)
    for i, c in enumerate(labels):
        assert ev.per_class[str(c)]["f1"].value == pytest.approx(per_f1[i])
        assert ev.support[str(c)] == int((y == i).sum())


@settings(max_examples=40, deadline=None)
@given(
    y=st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=3, max_size=40),
    noise=st.floats(0.0, 10.0),
)
def test_regression_point_values_match_scikit_learn(y: list[float], noise: float) -> None:
    truth = np.asarray(y)
    pred = truth + noise * np.cos(np.arange(len(truth)))
    ev = evaluate_predictions(truth, y_pred=pred, n_resamples=0)
    assert list(ev.metrics) == list(REGRESSION_METRICS)
    assert ev["mae"].value == pytest.approx(skm.mean_absolute_error(truth, pred), abs=1e-9)
    assert ev["rmse"].value == pytest.approx(
        math.sqrt(skm.mean_squared_error(truth, pred)), abs=1e-9
    )
    assert ev["mape"].value == pytest.approx(
        skm.mean_absolute_percentage_error(truth, pred), rel=1e-9, abs=1e-9
    )
    if np.var(truth) > 1e-6:
        assert ev["r2"].value == pytest.approx(skm.r2_score(truth, pred), abs=1e-6)


def test_accuracy_interval_covers_the_true_accuracy_as_often_as_promised() -> None:
    # 200 independent samples from a model whose true accuracy is 0.8: a 90%
    # interval must cover 0.8 in about 180 of them (binomial sd ~4.2).
    rng = np.random.default_rng(7)
    covered = 0
    runs = 200
    for seed in range(runs):
        correct = rng.uniform(size=300) < 0.8
        ev = evaluate_predictions(
            np.ones(300, dtype=int),
            y_pred=correct.astype(int),
            classes=[0, 1],
            metrics=["accuracy"],
            confidence=0.9,
            n_resamples=400,
            seed=seed,
        )
        covered += ev["accuracy"].low <= 0.8 <= ev["accuracy"].high
    assert 0.9 * runs - 4 * 4.2 <= covered <= 0.9 * runs + 4 * 4.2


def test_auc_interval_covers_the_population_auc() -> None:
    # Scores N(1, 1) for positives and N(0, 1) for negatives: AUC = Phi(1/sqrt 2) = 0.7602.
    from scipy.stats import norm

    truth = norm.cdf(1 / math.sqrt(2))
    rng = np.random.default_rng(3)
    covered, runs = 0, 100
    for seed in range(runs):
        y = rng.integers(0, 2, size=400)
        score = rng.normal(size=400) + y
        p = 1 / (1 + np.exp(-score))
        ev = evaluate_predictions(
            y, y_proba=p, metrics=["roc_auc"], n_resamples=300, seed=seed, confidence=0.9
        )
        covered += ev["roc_auc"].low <= truth <= ev["roc_auc"].high
    assert 90 - 4 * 3.0 <= covered <= 90 + 4 * 3.0


def test_same_seed_same_interval_and_width_shrinks_with_rows() -> None:
    y, p = _binary(0, n=2000)
    a = evaluate_predictions(y, y_proba=p, seed=1, n_resamples=200)
    b = evaluate_predictions(y, y_proba=p, seed=1, n_resamples=200)
    assert a.to_dict() == b.to_dict()
    small = evaluate_predictions(y[:200], y_proba=p[:200], seed=1, n_resamples=200)
    wide, narrow = (e["accuracy"].high - e["accuracy"].low for e in (small, a))
    assert narrow < wide / 2  # sqrt(10) ~ 3.2x narrower in theory


def test_round_trip_and_json_safety() -> None:
    import json

    y, p = _binary(1)
    ev = evaluate_predictions(y, y_proba=p, n_resamples=50)
    back = Evaluation.from_dict(json.loads(json.dumps(ev.to_dict())))
    assert back.to_dict() == ev.to_dict()
    # A single-class sample has no ROC AUC: stored as null, read back as NaN.
    lone = evaluate_predictions(np.ones(20, dtype=int), y_proba=p[:20], classes=[0, 1])
    assert lone.to_dict()["metrics"]["roc_auc"]["value"] is None
    assert str(lone["roc_auc"]) == "n/a"


def test_predict_scores_classifiers_and_regressors() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = np.where(X[:, 0] > 0, "yes", "no")
    clf = RandomForestClassifier(n_estimators=10, random_state=0).fit(X, y)
    p = predict(clf, X[:50])
    assert p.task == "binary" and p.y_proba is not None
    assert p.classes is not None and p.classes.tolist() == ["no", "yes"]
    ev = evaluate_predictions(y[:50], y_pred=p.y_pred, y_proba=p.y_proba, classes=p.classes)
    assert ev["accuracy"].value == pytest.approx(clf.score(X[:50], y[:50]))
    reg = LinearRegression().fit(X, X[:, 0] * 2)
    r = predict(reg, X)
    assert r.task == "regression" and r.y_proba is None
    assert metric_value("mae", X[:, 0] * 2, y_pred=r.y_pred) < 1e-9
    three = LogisticRegression().fit(X, np.digitize(X[:, 1], [-0.5, 0.5]))
    assert predict(three, X).task == "multiclass"


def test_bad_input_names_the_problem() -> None:
    with pytest.raises(InputError, match="'maybe'"):
        evaluate_predictions(["yes", "maybe"], y_pred=["yes", "no"], classes=["no", "yes"])
    with pytest.raises(InputError, match="unknown metric 'auc'"):
        evaluate_predictions([0, 1], y_pred=[0, 1], metrics=["auc"])
    with pytest.raises(InputError, match="needs probabilities"):
        evaluate_predictions([0, 1], y_pred=[0, 1], metrics=["roc_auc"])
    with pytest.raises(InputError, match="no rows"):
        evaluate_predictions([], y_pred=[])
    with pytest.raises(InputError, match="shape"):
        evaluate_predictions([0, 1, 1], y_proba=np.ones((2, 2)) / 2)


def test_paired_comparison_is_narrower_than_separate_intervals_and_finds_a_real_gain() -> None:
    from driftline.metrics import Predictions, compare_predictions

    rng = np.random.default_rng(11)
    n = 2000
    y = rng.integers(0, 2, size=n)
    base_ok = rng.uniform(size=n) < 0.80
    # The candidate fixes 4% of the baseline's rows and breaks none.
    cand_ok = base_ok | (rng.uniform(size=n) < 0.2)
    classes = np.array([0, 1])
    base = Predictions(np.where(base_ok, y, 1 - y), None, classes, "binary")
    cand = Predictions(np.where(cand_ok, y, 1 - y), None, classes, "binary")
    diff = compare_predictions(y, candidate=cand, baseline=base, n_resamples=400)["accuracy"]
    assert diff.value == pytest.approx(cand_ok.mean() - base_ok.mean())
    assert diff.low > 0  # a real gain is seen as one
    separate = [
        evaluate_predictions(y, y_pred=p.y_pred, metrics=["accuracy"], n_resamples=400)
        for p in (cand, base)
    ]
    paired_width = diff.high - diff.low
    separate_width = sum(e["accuracy"].high - e["accuracy"].low for e in separate)
    assert paired_width < separate_width / 2
    same = compare_predictions(y, candidate=base, baseline=base, n_resamples=50)["accuracy"]
    assert (same.value, same.low, same.high) == (0.0, 0.0, 0.0)
