"""calibration_report: ECE against what sampling allows, bins, Brier, the sentence, round trips."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from rich.console import Console
from sklearn.metrics import brier_score_loss, log_loss

from driftline.calibration import CalibrationReport, calibration_report
from driftline.calibration._report import equal_mass_bins, wilson
from driftline.errors import InputError


def test_perfectly_calibrated_ece_is_within_chance_over_seeds(synth) -> None:
    # ece_chance is the 95th percentile of ECE under perfect calibration, so
    # about 1 seed in 20 may exceed it; more than 4 of 30 (P < 2% if the level
    # is right) would mean the chance level is too low.
    flagged, eces = 0, []
    for seed in range(30):
        p, y = synth.calibrated_binary(2000, seed)
        report = calibration_report(y, p, seed=seed)
        flagged += report.miscalibrated
        eces.append(report.ece)
        assert report.ece_chance < 0.05
    assert flagged <= 4
    # ECE of 2,000 calibrated rows in 10 bins is about 0.024 from sampling alone
    # (measured over 200 seeds), and always below the typical chance level.
    assert np.mean(eces) < 0.03


def test_overconfident_probabilities_get_high_ece_and_say_so(synth) -> None:
    p, y = synth.calibrated_binary(3000, 1)
    report = calibration_report(y, synth.pushed(p, 3.0), classes=[0, 1])
    assert report.ece > 0.1 and report.ece > 3 * report.ece_chance
    assert report.miscalibrated and report.direction == "overconfident"
    assert report.summary.startswith("probabilities are overconfident: when the model gives")
    # The bin quoted shows the direction: it says more extreme than what happened.
    b = max(report.bins, key=lambda b: b.count * abs(b.gap))
    assert abs(b.mean_predicted - 0.5) > abs(b.observed - 0.5)


def test_underconfident_probabilities_are_called_underconfident(synth) -> None:
    p, y = synth.calibrated_binary(3000, 2)
    report = calibration_report(y, synth.pushed(p, 1 / 3), classes=[0, 1])
    assert report.miscalibrated and report.direction == "underconfident"


def test_probabilities_too_high_everywhere(synth) -> None:
    p, y = synth.calibrated_binary(3000, 3)
    report = calibration_report(y, np.clip(p + 0.15, 0, 1))
    assert report.direction == "too high"
    assert "probabilities are too high" in report.summary


def test_ece_by_hand() -> None:
    # Two equal-width bins: [0, 0.5) holds 0.2, 0.2 (one positive), [0.5, 1] holds 0.9, 0.7.
    p = np.array([0.2, 0.2, 0.9, 0.7])
    y = np.array([0, 1, 1, 1])
    report = calibration_report(y, p, n_bins=2)
    # Gaps: |0.2 - 0.5| and |0.8 - 1.0|, each bin half the rows.
    assert report.ece == pytest.approx(0.5 * 0.3 + 0.5 * 0.2)
    assert report.mce == pytest.approx(0.3)
    assert [b.count for b in report.bins] == [2, 2]


def test_equal_mass_bins_have_equal_counts_even_with_ties() -> None:
    rng = np.random.default_rng(0)
    p = np.round(rng.beta(1, 5, size=1003), 2)  # many ties, most mass near 0
    counts = np.bincount(equal_mass_bins(p, 10), minlength=10)
    assert counts.max() - counts.min() <= 1 and counts.sum() == 1003
    y = (rng.random(1003) < p).astype(int)
    report = calibration_report(y, p, strategy="quantile")
    sizes = [b.count for b in report.bins]
    assert len(sizes) == 10 and max(sizes) - min(sizes) <= 1
    # Equal-mass bins are ordered by prediction.
    assert all(a.upper <= b.lower for a, b in zip(report.bins, report.bins[1:], strict=False))


def test_equal_width_bins_sit_on_tenths(synth) -> None:
    p, y = synth.calibrated_binary(500, 4)
    report = calibration_report(y, p)
    for b in report.bins:
        assert b.lower == pytest.approx(round(b.lower, 1)) and b.upper - b.lower == pytest.approx(
            0.1
        )
        assert b.lower <= b.mean_predicted <= b.upper
        assert b.low <= b.observed <= b.high


def test_wilson_interval_covers_at_its_level() -> None:
    rng = np.random.default_rng(0)
    for p, n in ((0.3, 40), (0.05, 100), (0.9, 25)):
        hits = rng.binomial(n, p, size=4000).astype(float)
        low, high = wilson(hits, np.full(4000, float(n)), 0.95)
        coverage = np.mean((low <= p) & (p <= high))
        # Wilson's coverage oscillates around the nominal level for small n.
        assert 0.92 <= coverage <= 0.985, (p, n, coverage)


def test_brier_and_log_loss_match_scikit_learn(synth) -> None:
    p, y = synth.calibrated_binary(800, 5)
    report = calibration_report(y, p)
    assert report.brier == pytest.approx(brier_score_loss(y, p))
    assert report.log_loss == pytest.approx(log_loss(y, p))


def test_multiclass_top_label_and_classwise(synth) -> None:
    z, y = synth.calibrated_multiclass(3000, 4, 6)
    labels = np.array(["a", "b", "c", "d"])[y]
    calibrated = calibration_report(labels, synth.softmax(z), classes=["a", "b", "c", "d"])
    assert calibrated.task == "multiclass" and calibrated.positive is None
    assert calibrated.classwise_ece is not None and calibrated.classwise_ece < 0.03
    assert not calibrated.miscalibrated
    sharp = calibration_report(labels, synth.softmax(3 * z), classes=["a", "b", "c", "d"])
    assert sharp.miscalibrated and sharp.direction == "overconfident"
    assert sharp.ece > 0.1 and "it is right" in sharp.summary
    # Multiclass Brier: summed over classes.
    onehot = np.eye(4)[y]
    assert calibrated.brier == pytest.approx(np.mean(np.sum((synth.softmax(z) - onehot) ** 2, 1)))


def test_round_trip_json_and_rich(synth) -> None:
    p, y = synth.calibrated_binary(400, 7)
    report = calibration_report(
        np.where(y == 1, "yes", "no"), synth.pushed(p), classes=["no", "yes"]
    )
    data = json.loads(json.dumps(report.to_dict()))
    again = CalibrationReport.from_dict(data)
    assert again == report
    assert data["summary"] == report.summary and data["classes"] == ["no", "yes"]
    out = io.StringIO()
    Console(file=out, width=120).print(report)
    text = out.getvalue()
    assert "ECE" in text and "P('yes')" in text and "overconfident" in text


def test_one_column_of_probabilities_is_the_positive_class(synth) -> None:
    p, y = synth.calibrated_binary(300, 8)
    one = calibration_report(y, p)
    two = calibration_report(y, np.column_stack([1 - p, p]))
    assert one == two


@pytest.mark.parametrize(
    ("y", "proba", "match"),
    [
        ([0, 1], [[0.5, 0.5, 0.0]], "labels for 1 rows"),
        ([0, 1], [[0.5, 0.7], [0.5, 0.5]], "sum to 1"),
        ([0, 1], [[1.5, -0.5], [0.5, 0.5]], "from 0 to 1"),
        ([0, 1], [[np.nan, 1.0], [0.5, 0.5]], "from 0 to 1"),
        ([0, None], [0.3, 0.4], "missing"),
        (["a", "b", "c"], [[0.5, 0.5]] * 3, "classes="),
    ],
)
def test_bad_input_is_an_input_error(y, proba, match) -> None:
    with pytest.raises(InputError, match=match):
        calibration_report(np.array(y, dtype=object) if None in y else y, proba)


def test_labels_the_classes_do_not_name() -> None:
    with pytest.raises(InputError, match=r"labels 2 are not among the classes \[0, 1\]"):
        calibration_report([0, 2], [0.3, 0.6], classes=[0, 1])
    with pytest.raises(InputError, match="'1' are not among"):
        calibration_report(["0", "1"], [0.3, 0.6], classes=[0, 1])


def test_bad_options() -> None:
    with pytest.raises(InputError, match="n_bins"):
        calibration_report([0, 1], [0.2, 0.8], n_bins=0)
    with pytest.raises(InputError, match="strategy"):
        calibration_report([0, 1], [0.2, 0.8], strategy="kmeans")  # type: ignore[arg-type]
