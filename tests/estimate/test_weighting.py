"""Importance weighting, the doubly robust estimate, their blend with CBPE, and the choice
made on staged windows."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from driftline.estimate import CBPE, estimate_performance
from driftline.estimate._choose import BLOCKS, pulled
from driftline.estimate._expected import expected_metrics
from driftline.estimate._weights import (
    Reweighter,
    corrected_metrics,
    left_out_recalibrations,
    left_out_weighted_metrics,
    recalibrated_toward,
    toward,
    weighted_auc,
    weighted_metrics,
)
from driftline.metrics import metric_value


def test_weighted_auc_matches_scikit_learn_with_ties() -> None:
    rng = np.random.default_rng(0)
    scores = rng.integers(0, 20, 500) / 20  # many ties
    positive = rng.random(500) < scores
    weights = rng.exponential(1.0, 500)
    expected = roc_auc_score(positive, scores, sample_weight=weights)
    assert weighted_auc(scores, positive, weights) == pytest.approx(expected, abs=1e-12)


def test_unit_weights_give_the_realized_metrics() -> None:
    rng = np.random.default_rng(1)
    raw = rng.dirichlet([1, 1, 1], 400)
    truth = (rng.random(400)[:, None] > raw.cumsum(axis=1)[:, :-1]).sum(axis=1)
    predicted = raw.argmax(axis=1)
    names = ["accuracy", "f1", "roc_auc"]
    got = weighted_metrics(names, np.ones(400), truth, predicted, raw)
    for name in names:
        want = metric_value(name, truth, y_pred=predicted, y_proba=raw, classes=[0, 1, 2])
        assert got[name] == pytest.approx(float(want), abs=1e-9)


@pytest.mark.parametrize("k", [2, 3])
def test_left_out_metrics_are_those_of_the_rows_kept(k: int) -> None:
    rng = np.random.default_rng(3 + k)
    raw = rng.dirichlet(np.ones(k), 2000)
    raw[:300] = raw[0]  # ties across blocks
    truth = (rng.random(2000)[:, None] > raw.cumsum(axis=1)[:, :-1]).sum(axis=1)
    predicted, weights = raw.argmax(axis=1), rng.lognormal(0.0, 1.5, 2000)
    block = np.arange(2000) * BLOCKS // 2000
    names = ["accuracy", "f1", "roc_auc"]
    got = left_out_weighted_metrics(names, weights, truth, predicted, raw, block, BLOCKS)
    for b in range(BLOCKS):
        keep = block != b
        want = weighted_metrics(names, weights[keep], truth[keep], predicted[keep], raw[keep])
        for name in names:
            assert got[b][name] == pytest.approx(want[name], abs=1e-9), (b, name)


@pytest.mark.parametrize("k", [2, 3])
def test_one_newton_step_matches_the_recalibration_refitted_without_each_block(k: int) -> None:
    rng = np.random.default_rng(7 + k)
    raw = rng.dirichlet(np.ones(k), 3000)
    truth = (rng.random(3000)[:, None] > raw.cumsum(axis=1)[:, :-1]).sum(axis=1)
    fitted = np.clip(0.7 * raw + 0.3 / k, 1e-6, 1.0)  # underconfident: theta moves off (1, 0)
    weights, window = rng.lognormal(0.0, 1.0, 3000), rng.dirichlet(np.ones(k), 400)
    block = np.arange(3000) * BLOCKS // 3000
    theta = toward(weights, truth, fitted)
    steps = left_out_recalibrations(theta, weights, truth, fitted, window, block, BLOCKS)
    full = recalibrated_toward(weights, truth, fitted, window)
    for b, got in enumerate(steps):
        keep = block != b
        want = recalibrated_toward(weights[keep], truth[keep], fitted[keep], window)
        # Measured: within 0.0008 of the refit, while leaving a block out moves it 0.005+.
        assert np.abs(got - want).max() < 0.002, b
        assert np.abs(got - want).max() < 0.5 * np.abs(want - full).max(), b


def test_estimates_carried_by_a_few_rows_are_pulled_back_to_cbpe() -> None:
    # The window is like the reference (CBPE is right), but the weights put almost all
    # their mass on 15 rows of one tenth of it, as when the window lies beyond what the
    # reference covers: the weighted and recalibrated estimates are those rows' noise.
    # Leaving their block out moves them as far as they are from CBPE's, so they are
    # pulled back to it; with the weights spread evenly they are kept as they are.
    rng = np.random.default_rng(21)
    names = ["accuracy", "roc_auc"]
    raw_errors: dict[str, list[float]] = {"weighted": [], "recalibrated": []}
    kept_errors: dict[str, list[float]] = {"weighted": [], "recalibrated": []}
    for _ in range(40):
        p = rng.beta(2, 2, 4000)
        truth = (rng.random(4000) < p).astype(int)
        raw = np.column_stack([1 - p, p])
        w_p = rng.beta(2, 2, 500)
        window = np.column_stack([1 - w_p, w_p])
        weights = np.ones(4000)
        weights[rng.choice(np.arange(1200, 1600), 15, replace=False)] = 2000.0
        plain = expected_metrics(names, window, window, window.argmax(1))
        reference = (truth, raw.argmax(1), raw, raw)
        seen = (window, window, window.argmax(1))
        got = pulled(names, weights, reference, seen, plain)[1]
        even = pulled(names, np.ones(4000), reference, seen, plain)[1]
        raw_parts = {
            "weighted": weighted_metrics(names, weights, truth, raw.argmax(1), raw),
            "recalibrated": expected_metrics(
                names, window, recalibrated_toward(weights, truth, raw, window), window.argmax(1)
            ),
        }
        for kind in raw_errors:
            raw_errors[kind].append(abs(raw_parts[kind]["accuracy"] - plain["accuracy"]))
            kept_errors[kind].append(abs(got[kind]["accuracy"] - plain["accuracy"]))
            for m in names:  # even weights: nothing to explain away, nothing pulled
                assert abs(even[kind][m] - plain[m]) < 0.05, (kind, m)
    for kind in raw_errors:
        # One block holding all the weight, its jackknife keeps about 1 - (9/10)^2 = 19%
        # of the difference (measured: 0.17x and 0.25x of the raw estimates' 0.10 and 0.07).
        assert np.mean(kept_errors[kind]) < 0.35 * np.mean(raw_errors[kind]), kind


def _hidden_world(n: int, x2_mean: float, seed: int) -> pd.DataFrame:
    """y depends on x1 and x2; the model's score sees x1 only, so it is right on average
    over the reference's x2 and wrong wherever x2 moves: CBPE cannot see it, weights can."""
    rng = np.random.default_rng(seed)
    x1 = rng.normal(0, 1, n)
    x2 = rng.normal(x2_mean, 1, n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(1.5 * x1 + 1.2 * x2)))).astype(int)
    score = 1 / (1 + np.exp(-1.5 * x1 / np.sqrt(1 + 0.6 * 1.2**2)))  # probit-style average over x2
    return pd.DataFrame({"x1": x1, "x2": x2, "score": score, "y": y})


def test_weighting_sees_a_shift_the_scores_cannot_show() -> None:
    reference = _hidden_world(4000, 0.0, seed=2)
    current = pd.concat(
        [_hidden_world(500, m, seed=10 + i) for i, m in enumerate([-1.0, -0.5, 0.5, 1.0] * 2)],
        ignore_index=True,
    )
    errors = {}
    for weighting in ("none", "weighted", "recalibrated", "corrected", "blend"):
        frame = estimate_performance(
            reference, current, target="y", y_pred_proba="score", window=500,
            metrics=["accuracy", "roc_auc"], weighting=weighting, calibration="isotonic",
        ).to_frame()  # fmt: skip
        errors[weighting] = {
            m: float((frame[m] - frame[f"{m}_realized"]).abs().mean())
            for m in ("accuracy", "roc_auc")
        }
    # Accuracy moves with x2 (measured: 0.68x the error of CBPE alone); the ranking
    # within a window barely does, so ROC AUC only must not get worse.
    assert errors["weighted"]["accuracy"] < 0.8 * errors["none"]["accuracy"], errors
    assert errors["recalibrated"]["accuracy"] < 0.8 * errors["none"]["accuracy"], errors
    assert errors["corrected"]["accuracy"] < 0.8 * errors["none"]["accuracy"], errors
    assert errors["blend"]["accuracy"] < 0.9 * errors["none"]["accuracy"], errors
    assert errors["blend"]["roc_auc"] < 1.05 * errors["none"]["roc_auc"], errors


def test_zero_residuals_leave_cbpe_unchanged() -> None:
    # Reference probabilities equal to its labels leave nothing to correct, whatever the
    # weights: the doubly robust estimate is CBPE's, ROC AUC included (three classes).
    rng = np.random.default_rng(11)
    raw = rng.dirichlet([1, 1, 1], 300)
    truth = rng.integers(0, 3, 300)
    window_raw = rng.dirichlet([2, 1, 1], 120)
    window_proba = rng.dirichlet([1, 2, 1], 120)
    names = ["accuracy", "f1", "roc_auc"]
    got = corrected_metrics(
        names, rng.exponential(1.0, 300), (truth, raw.argmax(1), raw, np.eye(3)[truth]),
        (window_raw, window_proba, window_raw.argmax(1)),
    )  # fmt: skip
    want = expected_metrics(names, window_raw, window_proba, window_raw.argmax(1))
    for name in names:
        assert got[name] == pytest.approx(want[name], abs=1e-12), name


def test_shifted_estimates_are_unbiased_where_cbpe_is_not() -> None:
    # The score ignores x2, which moves: CBPE's probabilities are wrong for the window.
    # With the true density ratio, the weighted, recalibrated and doubly robust
    # estimates are right on average over 40 draws; CBPE is off by several standard
    # errors.
    rng = np.random.default_rng(12)

    def world(n: int, x2_mean: float) -> tuple[np.ndarray, ...]:
        x1, x2 = rng.normal(0, 1, n), rng.normal(x2_mean, 1, n)
        p = 1 / (1 + np.exp(-(1.5 * x1 + 1.2 * x2)))
        score = 1 / (1 + np.exp(-1.5 * x1 / np.sqrt(1 + 0.6 * 1.2**2)))
        return x2, p, (rng.random(n) < p).astype(int), np.column_stack([1 - score, score])

    names = ["accuracy", "roc_auc"]
    errors: dict[str, list[np.ndarray]] = {
        "cbpe": [], "weighted": [], "recalibrated": [], "corrected": []
    }  # fmt: skip
    for _ in range(40):
        ref_x2, _p, truth, raw = world(4000, 0.0)
        _x2, p, _y, window = world(500, 1.0)
        weights = np.exp(ref_x2 - 0.5)  # N(1, 1) over N(0, 1)
        predicted, window_predicted = raw.argmax(1), window.argmax(1)
        # What the window's labels bring on average: the metrics under the true p.
        want = expected_metrics(names, window, np.column_stack([1 - p, p]), window_predicted)
        got = {
            "cbpe": expected_metrics(names, window, window, window_predicted),
            "weighted": weighted_metrics(names, weights, truth, predicted, raw),
            "recalibrated": expected_metrics(
                names, window, recalibrated_toward(weights, truth, raw, window), window_predicted
            ),
            "corrected": corrected_metrics(
                names, weights, (truth, predicted, raw, raw), (window, window, window_predicted)
            ),
        }
        for key, values in got.items():
            errors[key].append(np.array([values[m] - want[m] for m in names]))
    for key, rows in errors.items():
        e = np.array(rows)
        z = np.abs(e.mean(axis=0)) / (e.std(axis=0, ddof=1) / np.sqrt(len(e)))
        if key == "cbpe":
            assert (z > 5).all(), (key, z)  # measured: 6 and 12
        else:
            assert (z < 3).all(), (key, z)


def test_recalibration_toward_a_window_recovers_a_temperature_and_shift() -> None:
    # Labels drawn from sigmoid(2 logit q + 0.5): one step of two parameters undoes it.
    rng = np.random.default_rng(13)
    q = rng.uniform(0.02, 0.98, 20_000)
    true = 1 / (1 + np.exp(-(2 * np.log(q / (1 - q)) + 0.5)))
    truth = (rng.random(20_000) < true).astype(int)
    proba = np.column_stack([1 - q, q])
    got = recalibrated_toward(np.ones(20_000), truth, proba, proba)
    assert np.abs(got[:, 1] - true).max() < 0.01  # measured: 0.0047
    # Three classes drawn from their own probabilities: nothing to undo, whatever the weights.
    p3 = rng.dirichlet([1, 1, 1], 6000)
    labels = (rng.random(6000)[:, None] > p3.cumsum(axis=1)[:, :-1]).sum(axis=1)
    kept = recalibrated_toward(rng.exponential(1.0, 6000), labels, p3, p3)
    assert np.abs(kept - p3).max() < 0.04  # measured: 0.011
    np.testing.assert_allclose(kept.sum(axis=1), 1.0)


def test_blend_band_holds_the_realized_value_under_covariate_shift(worlds: Any) -> None:
    reference = worlds.binary(3000, 1.0, seed=5)
    current = worlds.stacked([worlds.binary(400, s, seed=20 + i) for i, s in enumerate([0.6] * 12)])
    est = estimate_performance(
        reference, current, target="y", y_pred_proba="score", window=400, metrics=["accuracy"],
        confidence=0.9,
    )  # fmt: skip
    frame = est.to_frame()
    inside = (frame["accuracy_low"] <= frame["accuracy_realized"]) & (
        frame["accuracy_realized"] <= frame["accuracy_high"]
    )
    assert inside.mean() >= 0.75  # nominal 90%; binomial 12 windows leaves room
    assert ((frame["accuracy"] - frame["accuracy_realized"]).abs() < 0.08).all()


def test_ids_and_times_are_not_used_to_tell_reference_from_window() -> None:
    frame = pd.DataFrame(
        {
            "row_id": np.arange(300),
            "when": pd.date_range("2026-01-01", periods=300, freq="h"),
            "x": np.random.default_rng(3).normal(size=300),
        }
    )
    reweighter = Reweighter(frame, np.full(300, 0.5))
    assert reweighter.features == ["x"]


def test_without_inputs_the_estimate_is_cbpe_alone(worlds: Any) -> None:
    reference = worlds.binary(2000, 1.0, seed=6)
    cbpe = CBPE(metrics=["accuracy"]).fit(reference["y"], reference["score"], classes=[0, 1])
    assert cbpe.weighting_ == "none"
    with_inputs = CBPE(metrics=["accuracy"]).fit(
        reference["y"], reference["score"], classes=[0, 1], X=reference[["x1", "x2"]]
    )
    assert with_inputs.weighting_ == "blend"
    window = worlds.binary(500, 0.6, seed=7)
    # A window given without its inputs falls back to CBPE's own estimate.
    alone = with_inputs.estimate(window["score"])["accuracy"].value
    assert alone == pytest.approx(
        CBPE(metrics=["accuracy"], weighting="none", calibration=with_inputs.calibration_)
        .fit(reference["y"], reference["score"], classes=[0, 1])
        .estimate(window["score"])["accuracy"]
        .value
    )


def test_staged_windows_keep_isotonic_unless_another_wins_materially(worlds: Any) -> None:
    reference = worlds.binary(4000, 1.0, seed=8)
    kept = CBPE(metrics=["accuracy", "roc_auc"], weighting="none").fit(
        reference["y"], reference["score"], classes=[0, 1]
    )
    # True probabilities: "none" is as good, not materially better; noise must not pick.
    assert kept.calibration_ == "isotonic"
    assert kept.selection_["windows"] >= 60  # five folds of 800 rows
    # Overconfident scores on a small reference: one temperature undoes them, while
    # isotonic, fitted on 400 rows, is a noisy step function; the staged windows see it.
    small = worlds.binary(500, 1.0, seed=8, temperature=2.0)
    moved = CBPE(metrics=["accuracy", "roc_auc"], weighting="none").fit(
        small["y"], small["score"], classes=[0, 1]
    )
    scores = moved.selection_["scores"]
    assert moved.calibration_ in ("temperature", "platt"), scores
    assert scores["isotonic+none"] > 1.1 * scores[f"{moved.calibration_}+none"], scores
    assert scores["none+none"] > 1.5 * scores[f"{moved.calibration_}+none"], scores


def test_more_than_two_classes_keep_one_temperature_by_default(worlds: Any) -> None:
    # One-vs-rest isotonic, renormalized, distorts three classes; the baseline there is a
    # temperature, and true probabilities give no candidate a material win over it.
    reference = worlds.multiclass(4000, 0.0, seed=1)
    proba = reference[["p_ant", "p_bee", "p_cat"]].to_numpy()
    fitted = CBPE(metrics=["accuracy", "roc_auc"], weighting="none").fit(
        reference["y"], proba, classes=["ant", "bee", "cat"]
    )
    assert fitted.calibration_ == "temperature", fitted.selection_


def test_unknown_weighting_is_refused(worlds: Any) -> None:
    from driftline.errors import InputError

    reference = worlds.binary(500, 1.0, seed=9)
    with pytest.raises(InputError, match="weighting must be one of"):
        CBPE(weighting="magic").fit(reference["y"], reference["score"], classes=[0, 1])


def test_prebinned_weights_match_the_classifier_on_raw_inputs() -> None:
    # The domain classifier is fed bins cut at the weighted quantiles scikit-learn
    # itself would choose (its own weighted binning is slow): the weights must not move.
    from sklearn.ensemble import HistGradientBoostingClassifier

    rng = np.random.default_rng(4)
    reference = pd.DataFrame(
        {"x": rng.normal(0, 1, 1500), "k": rng.integers(0, 5, 1500), "z": rng.gamma(2, 1, 1500)}
    )
    window = pd.DataFrame(
        {"x": rng.normal(0.8, 0.5, 120), "k": rng.integers(0, 3, 120), "z": rng.gamma(3, 1, 120)}
    )
    window.loc[:9, "z"] = np.nan
    ref_scores, win_scores = rng.random(1500), rng.random(120)
    reweighter = Reweighter(reference, ref_scores)
    got = reweighter.weights(window, win_scores)

    ref_matrix, win_matrix = reweighter.reference, reweighter._matrix(window, win_scores)
    classifier = HistGradientBoostingClassifier(
        max_iter=40, learning_rate=0.1, max_leaf_nodes=8, min_samples_leaf=20,
        l2_regularization=1.0, early_stopping=False, random_state=0,
    )  # fmt: skip
    side = np.r_[np.zeros(1500), np.ones(120)]
    classifier.fit(
        np.vstack([ref_matrix, win_matrix]), side, sample_weight=np.where(side == 1, 1500 / 120, 1)
    )
    q = np.clip(classifier.predict_proba(ref_matrix)[:, 1], 0.01, 0.99)
    seen = classifier.predict_proba(win_matrix)[:, 1]
    assert got is not None
    np.testing.assert_allclose(got[0], q / (1 - q), rtol=1e-9)
    assert got[1] == pytest.approx(np.minimum(1, (1 - seen) / seen).mean(), rel=1e-9)


def test_overlap_is_near_one_for_a_like_window_and_near_zero_beyond_the_reference() -> None:
    # The overlapping coefficient of N(0, 1) and N(d, 1) is 2 * Phi(-d / 2): 1 at d = 0,
    # 0.62 at d = 1, 0.0027 at d = 6. The domain classifier's estimate follows it.
    from scipy.stats import norm

    rng = np.random.default_rng(8)
    reference = pd.DataFrame({"x": rng.normal(0, 1, 4000)})
    reweighter = Reweighter(reference, np.full(4000, 0.5))
    got = {}
    for d in (0.0, 1.0, 6.0):
        window = pd.DataFrame({"x": rng.normal(d, 1, 1000)})
        weighed = reweighter.weights(window, np.full(1000, 0.5))
        assert weighed is not None
        got[d] = weighed[1]
    # Measured: 0.92, 0.62 and 0.015.
    assert got[0.0] > 0.85, got  # a classifier finds some difference in any two samples
    assert abs(got[1.0] - 2 * norm.cdf(-0.5)) < 0.12, got
    assert got[6.0] < 0.05, got


def test_a_window_beyond_the_reference_keeps_cbpe_value_and_the_estimates_spread() -> None:
    # The window lies six standard deviations past the reference: the reference overlaps
    # almost none of it, so the blend's value is CBPE's; the weighted and recalibrated
    # estimates as computed still disagree with it, and the band must hold that.
    rng = np.random.default_rng(31)

    def rows(n: int, mean: float) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
        x = rng.normal(mean, 1, n)
        p = 1 / (1 + np.exp(-(x - mean)))  # the score does not move with the shift
        y = (rng.random(n) < 1 / (1 + np.exp(-0.5 * x))).astype(int)
        return pd.DataFrame({"x": x}), np.column_stack([1 - p, p]), y

    X_ref, p_ref, y_ref = rows(3000, 0.0)
    X_win, p_win, _ = rows(500, 6.0)
    names = ["accuracy", "roc_auc"]
    blend = CBPE(metrics=names, calibration="isotonic").fit(y_ref, p_ref, classes=[0, 1], X=X_ref)
    alone = CBPE(metrics=names, calibration="isotonic", weighting="none").fit(
        y_ref, p_ref, classes=[0, 1], X=X_ref
    )
    got, cbpe = blend.estimate(p_win, X=X_win), alone.estimate(p_win)
    proba = blend.calibrated(p_win)
    plain = expected_metrics(names, p_win, proba, p_win.argmax(1))
    seen, _ = blend._shifted(X_win, p_win, proba, p_win.argmax(1), plain)
    for m in names:
        spread = np.ptp([plain[m], seen["weighted"][m], seen["recalibrated"][m]])
        assert abs(got[m].value - cbpe[m].value) < 0.02, m  # pulled back: overlap near 0
        assert spread > 0.02, m  # the estimates as computed do disagree
        width, cbpe_width = got[m].high - got[m].low, cbpe[m].high - cbpe[m].low
        assert width >= cbpe_width + spread - 1e-9, m
