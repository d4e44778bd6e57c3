"""The decision rules, tested on predictions whose truth we know, over many seeds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from driftline.gate import Evidence, GatePolicy, judge
from driftline.gate._slicing import slice_masks
from driftline.metrics import Predictions

CLASSES = np.array([0, 1])


def labels_from(y: np.ndarray, correct: np.ndarray) -> Predictions:
    """Predictions right exactly where ``correct`` says, with mildly confident probabilities."""
    pred = np.where(correct, y, 1 - y)
    p1 = np.where(pred == 1, 0.8, 0.2)
    return Predictions(pred, np.column_stack([1 - p1, p1]), CLASSES, "binary")


def evidence(
    y: np.ndarray,
    cand: Predictions,
    base: Predictions | None,
    frame: pd.DataFrame,
    policy: GatePolicy,
) -> Evidence:
    slices = slice_masks(policy.slices, frame) if policy.slices is not None else []
    return Evidence(y_true=y, frame=frame, candidate=cand, baseline=base, slices=slices)


def pair(n: int, p_base: float, p_cand: float, agree: float, rng: np.random.Generator):
    """Labels and two models' correctness: the candidate copies the baseline's verdict on a
    share ``agree`` of rows and is right with probability ``p_cand`` elsewhere.

    The baseline is right with probability ``p_base``; the true difference in accuracy is
    ``(1 - agree) * (p_cand - p_base)``.
    """
    y = rng.integers(0, 2, n)
    base_ok = rng.random(n) < p_base
    copy = rng.random(n) < agree
    cand_ok = np.where(copy, base_ok, rng.random(n) < p_cand)
    return y, base_ok, cand_ok


POLICY = GatePolicy.from_toml(
    """
    min_rows = 100
    n_resamples = 400
    quality = { must_pass = false }
    [regression]
    accuracy = { max_drop = 0.01 }
    [slices]
    segments = ["region"]
    """
)


def frame_of(n: int, rng: np.random.Generator) -> pd.DataFrame:
    return pd.DataFrame({"region": rng.choice(["a", "b", "c", "d"], n)})


def test_slightly_better_within_noise_is_not_a_regression() -> None:
    rng = np.random.default_rng(5)
    n = 2000
    y, base_ok, _ = pair(n, 0.8, 0.8, 1.0, rng)
    frame = frame_of(n, rng)
    # The candidate fixes 30 of the baseline's errors and makes 20 new ones; on region "a"
    # it fixes 5 and breaks 8, so "a" is worse by its point estimate.
    in_a = frame["region"].to_numpy() == "a"
    cand_ok = base_ok.copy()
    for where, fixes, breaks in ((in_a, 5, 8), (~in_a, 25, 12)):
        cand_ok[rng.choice(np.flatnonzero(~base_ok & where), fixes, replace=False)] = True
        cand_ok[rng.choice(np.flatnonzero(base_ok & where), breaks, replace=False)] = False
    ev = evidence(y, labels_from(y, cand_ok), labels_from(y, base_ok), frame, POLICY)
    result = judge(POLICY, ev, seed=0)
    [acc] = result.metrics
    assert acc.difference is not None and acc.difference.value == pytest.approx(10 / n)
    assert acc.difference.low < 0 < acc.difference.high  # within noise
    # Some slice is worse by its point estimate, yet not significantly: nothing fails.
    [a] = [s for s in result.slices if s.slice == "region a"]
    assert a.difference is not None and a.difference.value < 0
    assert all(c.passed for c in result.criteria), [c.sentence for c in result.criteria]


def test_identical_predictions_have_a_zero_width_paired_interval() -> None:
    # Shared resamples: a model compared with itself differs by exactly 0 in every resample.
    rng = np.random.default_rng(1)
    y, base_ok, _ = pair(500, 0.7, 0.7, 1.0, rng)
    p = labels_from(y, base_ok)
    result = judge(POLICY, evidence(y, p, p, frame_of(500, rng), POLICY), seed=0)
    d = result.metrics[0].difference
    assert d is not None and (d.value, d.low, d.high) == (0.0, 0.0, 0.0)
    assert result.metrics[0].candidate.high - result.metrics[0].candidate.low > 0.05


def test_paired_interval_covers_the_true_difference() -> None:
    policy = GatePolicy.from_toml(
        "n_resamples = 300\nquality={must_pass=false}\n[regression]\naccuracy={max_drop=0.02}"
    )
    covered, seeds = 0, 100
    truth = (1 - 0.6) * (0.85 - 0.8)
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        y, base_ok, cand_ok = pair(600, 0.8, 0.85, 0.6, rng)
        # The population difference, not this sample's: the baseline's own rate is 0.8.
        ev = evidence(
            y,
            labels_from(y, cand_ok),
            labels_from(y, base_ok),
            pd.DataFrame(index=range(600)),
            policy,
        )
        d = judge(policy, ev, seed=seed).metrics[0].difference
        assert d is not None
        covered += d.low <= truth <= d.high
    assert 0.89 <= covered / seeds <= 0.99


def test_equal_models_rarely_fail_on_a_slice_and_a_real_drop_is_caught() -> None:
    """No slice worse: Bonferroni over 4 slices keeps false failures near 5% or under."""
    policy = GatePolicy.from_toml(
        "n_resamples = 300\nquality={must_pass=false}\n[slices]\nsegments=['region']"
    )
    false_fail = caught = 0
    seeds = 100
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        n = 800
        y, base_ok, cand_ok = pair(n, 0.8, 0.8, 0.5, rng)
        frame = frame_of(n, rng)
        ev = evidence(y, labels_from(y, cand_ok), labels_from(y, base_ok), frame, policy)
        false_fail += not judge(policy, ev, seed=seed).passed
        # Plant a drop: on region "a" (about 200 rows) the candidate loses a fifth of its
        # right answers, about 0.16 of accuracy.
        hurt = cand_ok & (frame["region"].to_numpy() == "a") & (rng.random(n) < 0.2)
        ev = evidence(y, labels_from(y, cand_ok & ~hurt), labels_from(y, base_ok), frame, policy)
        failed = judge(policy, ev, seed=seed).criteria
        caught += any(c.slice == "region a" and not c.passed for c in failed)
    assert false_fail / seeds <= 0.08
    assert caught / seeds >= 0.85


def test_non_inferiority_needs_evidence() -> None:
    """A candidate truly 0.05 worse fails; one truly equal and in close agreement passes."""
    policy = GatePolicy.from_toml(
        "n_resamples = 200\nquality={must_pass=false}\n[regression]\naccuracy={max_drop=0.02}"
    )
    worse = equal = 0
    for seed in range(20):
        rng = np.random.default_rng(seed)
        y, base_ok, cand_ok = pair(1000, 0.85, 0.80, 0.0, rng)
        blank = pd.DataFrame(index=range(1000))
        ev = evidence(y, labels_from(y, cand_ok), labels_from(y, base_ok), blank, policy)
        worse += not judge(policy, ev, seed=seed).passed
        y, base_ok, cand_ok = pair(1000, 0.85, 0.85, 0.9, rng)
        ev = evidence(y, labels_from(y, cand_ok), labels_from(y, base_ok), blank, policy)
        equal += judge(policy, ev, seed=seed).passed
    assert worse >= 19 and equal >= 19


def test_what_cannot_be_evaluated_fails_with_a_reason() -> None:
    rng = np.random.default_rng(0)
    y, ok, _ = pair(300, 0.8, 0.8, 1.0, rng)
    no_proba = Predictions(np.where(ok, y, 1 - y), None, CLASSES, "binary")
    policy = GatePolicy.from_toml(
        """
        [thresholds]
        log_loss = { max = 0.5 }
        [regression]
        accuracy = { max_drop = 0.01 }
        [calibration]
        max_ece = 0.05
        [slices]
        segments = ["city"]
        """
    )
    frame = frame_of(300, rng)
    ev = Evidence(
        y_true=y,
        frame=frame,
        candidate=no_proba,
        baseline=None,
        baseline_missing="model 'm' has no alias 'champion'",
        quality=None,
        quality_missing="no training data",
        slices=slice_masks(policy.slices, frame),  # type: ignore[arg-type]
    )
    result = judge(policy, ev)
    failed = {c.kind: c.sentence for c in result.criteria if not c.passed}
    assert set(failed) == {
        "quality",
        "threshold",
        "regression",
        "calibration",
        "slice_size",
        "slice_regression",
    }
    assert "log loss needs probabilities and the model has no predict_proba" in failed["threshold"]
    assert "no alias 'champion'" in failed["regression"]
    assert "no probabilities" in failed["calibration"]
    assert "the data has no column 'city'" in failed["slice_size"]
    assert "no training data" in failed["quality"]
    # Each says what to do about it.
    for kind, sentence in failed.items():
        if kind == "slice_regression":
            assert (
                sentence
                == "No slice has enough rows to compare with the baseline. Judge on more labelled rows."
            )
        else:
            assert ". The gate fails until it can: " in sentence, sentence


def test_calibration_ceiling() -> None:
    rng = np.random.default_rng(2)
    n = 3000
    p_true = rng.uniform(0.05, 0.95, n)
    y = (rng.random(n) < p_true).astype(int)
    policy = GatePolicy.from_toml("quality={must_pass=false}\n[calibration]\nmax_ece = 0.05")

    def model(p: np.ndarray) -> Predictions:
        return Predictions((p > 0.5).astype(int), np.column_stack([1 - p, p]), CLASSES, "binary")

    honest = judge(policy, Evidence(y, pd.DataFrame(index=range(n)), model(p_true), None))
    overconfident = np.clip(0.5 + 2.0 * (p_true - 0.5), 0.01, 0.99)
    bold = judge(policy, Evidence(y, pd.DataFrame(index=range(n)), model(overconfident), None))
    assert honest.passed and not bold.passed
    [c] = [c for c in bold.criteria if c.kind == "calibration"]
    assert (
        c.figure is not None
        and c.figure > 0.1
        and "above the 0.05 allowed. Recalibrate it" in c.sentence
    )


def test_regressors_are_judged_on_their_own_metrics() -> None:
    rng = np.random.default_rng(4)
    n = 600
    y = rng.normal(size=n)
    base = Predictions(y + rng.normal(scale=0.5, size=n), None, None, "regression")
    cand = Predictions(y + rng.normal(scale=0.3, size=n), None, None, "regression")
    policy = GatePolicy.default("regression")
    policy = GatePolicy.from_dict(
        {**policy.to_dict(), "quality": {"must_pass": False}, "thresholds": {"rmse": {"max": 0.4}}}
    )
    result = judge(policy, Evidence(y, pd.DataFrame(index=range(n)), cand, base), seed=0)
    assert result.passed, [c.sentence for c in result.criteria]
    names = [c.name for c in result.criteria]
    assert names == [
        "evaluation size",
        "RMSE ≤ 0.4",
        "R² not worse than baseline by more than 0.01",
    ]
