"""The vectorized metrics CBPE simulates with agree with driftline.metrics on real labels."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from driftline.estimate._confusion import (
    expected_auc,
    from_confusion,
    simulated_auc,
    simulated_confusion,
)
from driftline.metrics import metric_value

NAMES = ("accuracy", "precision", "recall", "f1")


@pytest.mark.parametrize("k", [2, 4])
def test_confusion_metrics_match_metric_value(k: int) -> None:
    rng = np.random.default_rng(k)
    truth = rng.integers(0, k, size=(6, 80))
    pred = rng.integers(0, k, size=80)
    pred[:5] = 0  # and a class that is rarely predicted
    confusion = simulated_confusion(truth, pred, k)
    values = from_confusion(confusion, NAMES)
    for s in range(truth.shape[0]):
        for name in NAMES:
            expected = metric_value(name, truth[s], y_pred=pred, classes=np.arange(k))
            assert values[name][s] == pytest.approx(expected), (name, s)


def test_expected_auc_is_the_pair_expectation_and_the_auc_of_certain_labels() -> None:
    rng = np.random.default_rng(0)
    scores = np.round(rng.random(40), 1)  # many ties
    p = rng.random(40)
    # Brute force: sum over i != j of p_i (1 - p_j) [s_i > s_j] (ties 1/2), over the pair count.
    win = (scores[:, None] > scores[None, :]) + 0.5 * (scores[:, None] == scores[None, :])
    pairs = p[:, None] * (1 - p[None, :])
    np.fill_diagonal(pairs, 0)
    assert expected_auc(scores, p) == pytest.approx((pairs * win).sum() / pairs.sum())
    labels = (rng.random(40) < 0.4).astype(float)
    assert expected_auc(scores, labels) == pytest.approx(roc_auc_score(labels, scores))
    assert np.isnan(expected_auc(scores, np.ones(40)))


def test_simulated_auc_matches_scikit_learn_row_by_row() -> None:
    rng = np.random.default_rng(1)
    scores = np.round(rng.random(60), 2)
    labels = (rng.random((5, 60)) < 0.3).astype(float)
    labels[4] = 0  # one class only: undefined
    got = simulated_auc(scores, labels)
    for s in range(4):
        assert got[s] == pytest.approx(roc_auc_score(labels[s], scores))
    assert np.isnan(got[4])
