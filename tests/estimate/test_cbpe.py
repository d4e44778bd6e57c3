"""CBPE tracks realized classification performance under covariate shift, within its bands."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from driftline.estimate import CBPE, estimate_performance

METRICS = ["accuracy", "precision", "recall", "f1", "roc_auc"]


def errors(frame: pd.DataFrame, name: str) -> np.ndarray:
    return (frame[name] - frame[f"{name}_realized"]).abs().to_numpy()


def covered(frame: pd.DataFrame, name: str) -> np.ndarray:
    realized = frame[f"{name}_realized"]
    return ((frame[f"{name}_low"] <= realized) & (realized <= frame[f"{name}_high"])).to_numpy()


def test_binary_estimate_tracks_accuracy_as_shift_lowers_it(worlds: Any) -> None:
    # Overconfident scores (temperature 2): CBPE must recalibrate them first.
    reference = worlds.binary(5000, 1.0, seed=1, temperature=2.0)
    spreads = [1.0] * 8 + [0.6] * 8 + [0.3] * 8
    current = worlds.stacked(
        [worlds.binary(500, s, seed=10 + i, temperature=2.0) for i, s in enumerate(spreads)]
    )
    est = estimate_performance(
        reference, current, target="y", y_pred_proba="score", metrics=METRICS, window=500
    )
    frame = est.to_frame()
    assert est.method == "cbpe" and est.calibration not in (None, "none")
    assert len(frame) == 24 and (frame["labelled"] == 500).all()
    # Accuracy truly falls as rows crowd the decision boundary ...
    first, last = frame["accuracy_realized"][:8].mean(), frame["accuracy_realized"][-8:].mean()
    assert first - last > 0.1
    # ... and the estimate falls with it, window by window.
    assert frame["accuracy"][:8].mean() - frame["accuracy"][-8:].mean() > 0.1
    assert np.corrcoef(frame["accuracy"], frame["accuracy_realized"])[0, 1] > 0.8
    assert errors(frame, "accuracy").mean() < 0.03
    assert errors(frame, "f1").mean() < 0.04
    assert errors(frame, "roc_auc").mean() < 0.03
    # Holding the reference value fixed (the naive baseline) is far worse.
    naive = np.abs(est.reference["accuracy"] - frame["accuracy_realized"]).mean()
    assert naive > 3 * errors(frame, "accuracy").mean()
    # The 95% bands hold the realized value in about 95% of windows (all metrics pooled).
    share = np.mean([covered(frame, name).mean() for name in METRICS])
    assert 0.85 <= share <= 1.0


def test_without_recalibration_overconfident_scores_mislead(worlds: Any) -> None:
    reference = worlds.binary(5000, 1.0, seed=1, temperature=2.0)
    current = worlds.binary(4000, 0.6, seed=2, temperature=2.0)
    raw = estimate_performance(
        reference,
        current,
        target="y",
        y_pred_proba="score",
        window=1000,
        calibration="none",
        weighting="none",  # CBPE alone: the weighted estimate would see through the scores
    ).to_frame()
    assert errors(raw, "accuracy").mean() > 0.05  # it promises what it cannot keep
    assert covered(raw, "accuracy").mean() < 0.5


def test_band_coverage_is_nominal_when_probabilities_are_true(worlds: Any) -> None:
    # True probabilities, no recalibration: the band is exactly a 90% prediction interval.
    reference = worlds.binary(2000, 1.0, seed=3)
    current = worlds.binary(300 * 120, 0.7, seed=4)
    est = estimate_performance(
        reference,
        current,
        target="y",
        y_pred_proba="score",
        metrics=["accuracy", "f1", "roc_auc"],
        window=300,
        calibration="none",
        confidence=0.9,
        n_simulations=400,
    ).to_frame()
    for name in ("accuracy", "f1", "roc_auc"):
        assert 0.83 <= covered(est, name).mean() <= 0.96, name
        # Unbiased: the mean error is small against the window-to-window scatter.
        assert abs((est[name] - est[f"{name}_realized"]).mean()) < 0.01, name


def test_multiclass_macro_metrics_track_under_shift(worlds: Any) -> None:
    reference = worlds.multiclass(4000, 0.0, seed=5)
    shifts = [0.0] * 6 + [1.0] * 6 + [-1.5] * 6
    current = worlds.stacked([worlds.multiclass(500, s, seed=20 + i) for i, s in enumerate(shifts)])
    proba = {"ant": "p_ant", "bee": "p_bee", "cat": "p_cat"}
    est = estimate_performance(
        reference, current, target="y", y_pred_proba=proba, metrics=METRICS, window=500
    )
    frame = est.to_frame()
    assert est.task == "multiclass" and est.classes == ["ant", "bee", "cat"]
    for name in METRICS:
        assert errors(frame, name).mean() < 0.035, name
    assert np.corrcoef(frame["accuracy"], frame["accuracy_realized"])[0, 1] > 0.8
    share = np.mean([covered(frame, name).mean() for name in METRICS])
    assert 0.85 <= share <= 1.0


def test_concept_shift_is_invisible_to_it(worlds: Any) -> None:
    # The documented limit: same inputs, labels flipped for a third of the rows.
    reference = worlds.binary(3000, 1.0, seed=6)
    current = worlds.binary(2000, 1.0, seed=7)
    flip = np.random.default_rng(8).random(len(current)) < 1 / 3
    current.loc[flip, "y"] = 1 - current.loc[flip, "y"]
    frame = estimate_performance(
        reference, current, target="y", y_pred_proba="score", metrics=["accuracy"]
    ).to_frame()
    assert frame["accuracy_realized"][0] < frame["accuracy"][0] - 0.15


def test_estimator_contract_and_explicit_predictions(worlds: Any) -> None:
    cbpe = CBPE(metrics=("accuracy",), calibration="none")
    assert not hasattr(cbpe, "classes_") and cbpe.metrics == ("accuracy",)
    data = worlds.binary(3000, 1.0, seed=9)
    proba = data["score"].to_numpy()
    cbpe.fit(data["y"], proba, classes=[0, 1])
    assert cbpe.reference_["accuracy"] == pytest.approx(
        ((proba > 0.5) == data["y"]).mean(), abs=1e-9
    )
    # Predicting positive from 0.2 up is wrong more often, and the estimate knows it.
    argmax = cbpe.estimate(proba)["accuracy"].value
    eager = cbpe.estimate(proba, (proba > 0.2).astype(int))["accuracy"].value
    realized = ((proba > 0.2).astype(int) == data["y"]).mean()
    assert eager < argmax - 0.03 and eager == pytest.approx(realized, abs=0.03)
