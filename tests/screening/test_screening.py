"""The training-data audit: cleanlab's label issues exactly, planted problems found."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_digits, load_wine

from driftline.errors import InputError
from driftline.screening import audit_data, echo_finding, label_issues, out_of_fold_probabilities


def _flip(y: np.ndarray, share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    k = len(np.unique(y))
    rows = rng.choice(len(y), round(share * len(y)), replace=False)
    noisy = y.copy()
    noisy[rows] = (noisy[rows] + rng.integers(1, k, len(rows))) % k
    return noisy, rows


@pytest.mark.parametrize("loader", [load_digits, load_wine, load_breast_cancer])
@pytest.mark.parametrize("seed", [0, 1])
def test_label_issues_equal_cleanlabs(loader, seed) -> None:
    cleanlab = pytest.importorskip("cleanlab.filter")
    X, y = loader(return_X_y=True, as_frame=True)
    noisy, _ = _flip(y.to_numpy(), 0.05, seed)
    probs = out_of_fold_probabilities(X, noisy, seed=seed)
    ours = label_issues(noisy, probs)
    theirs = cleanlab.find_label_issues(noisy, probs, n_jobs=1)
    assert ours.sum() > 0
    assert np.array_equal(ours, theirs)


def test_recall_on_planted_flips_is_high() -> None:
    """On digits with 5% of labels flipped, over seeds, most flips are found, few others."""
    X, y = load_digits(return_X_y=True, as_frame=True)
    recalls, precisions = [], []
    for seed in range(4):
        noisy, flipped = _flip(y.to_numpy(), 0.05, seed)
        found = label_issues(noisy, out_of_fold_probabilities(X, noisy, seed=seed))
        hits = found[flipped].sum()
        recalls.append(hits / len(flipped))
        precisions.append(hits / found.sum())
    assert min(recalls) >= 0.75 and np.mean(recalls) >= 0.8
    assert min(precisions) >= 0.6


def test_clean_labels_raise_no_critical_label_finding() -> None:
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    report = audit_data(X.assign(target=y), target="target")
    found = report.by_check("label_issues")
    assert found is None or found.severity != "critical"


def test_planted_problems_are_each_found_with_rows() -> None:
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    rng = np.random.default_rng(3)
    frame = X.assign(target=y, id=[f"r{i}" for i in range(len(X))])
    noisy, flipped = _flip(frame["target"].to_numpy(), 0.05, 3)
    frame["target"] = noisy
    frame["leak"] = noisy * 2.0 + rng.normal(0, 0.001, len(frame))  # the label in disguise
    copy = frame.iloc[[10, 11]].assign(id=["c1", "c2"])
    conflict = frame.iloc[[12]].assign(id=["c3"], target=1 - frame["target"].iloc[12])
    odd = frame.iloc[[13]].assign(id=["odd"], **{"mean radius": 1e4})
    train = pd.concat([frame, copy, conflict, odd], ignore_index=True)
    evaluation = frame.iloc[100:120]

    report = audit_data(
        train.drop(columns=["leak"]), target="target", key="id", eval_data=evaluation
    )
    assert not report.passed
    labels = report.by_check("label_issues")
    assert labels is not None and labels.severity == "critical"
    assert len(set(labels.keys) & {f"r{i}" for i in flipped}) >= 0.7 * len(flipped)
    dup = report.by_check("duplicates")
    assert dup is not None and dup.details["conflicting"] == 1 and dup.severity == "warning"
    assert {"r10", "c1"} <= set(dup.keys) or {"r12", "c3"} <= set(dup.keys)
    leak = report.by_check("eval_leakage")
    assert leak is not None and leak.details["exact"] == 20 and leak.severity == "critical"
    assert "20 evaluation rows (100%) are also in the training data" in leak.message
    outliers = report.by_check("outliers")
    assert outliers is not None and outliers.keys[0] == "odd"

    leaky = audit_data(train, target="target", key="id").findings
    leaks = [f for f in leaky if f.check == "leaky_feature"]
    assert [f.column for f in leaks] == ["leak"] and leaks[0].severity == "critical"


def test_identifier_does_not_look_leaky() -> None:
    rng = np.random.default_rng(0)
    n = 600
    frame = pd.DataFrame({"x": rng.normal(size=n), "serial": np.arange(n)})
    frame["y"] = (frame["x"] + rng.normal(size=n) > 0).astype(int)
    report = audit_data(frame, target="y")
    assert report.by_check("leaky_feature") is None


def test_bad_input_is_refused() -> None:
    frame = pd.DataFrame({"a": range(20), "y": [0, 1] * 10})
    with pytest.raises(InputError, match="no label column 'label'"):
        audit_data(frame, target="label")
    with pytest.raises(InputError, match="must be one of logistic, forest, boosting, got 'svm'"):
        audit_data(frame, target="y", model="svm")
    with pytest.raises(InputError, match="at least 10 labelled rows"):
        audit_data(frame.iloc[:5], target="y")


def test_echo_finding_judges_agreement_against_expected() -> None:
    rng = np.random.default_rng(0)
    pred = rng.integers(0, 2, 500)
    echoed = np.where(rng.random(500) < 0.98, pred, 1 - pred)
    finding = echo_finding("churn", echoed, pred, 0.8, [], [])
    assert finding is not None and finding.severity == "critical"
    assert "where 80% would be expected" in finding.message
    honest = np.where(rng.random(500) < 0.8, pred, 1 - pred)
    finding = echo_finding("churn", honest, pred, 0.8, [], [])
    assert finding is not None and finding.severity == "info"
