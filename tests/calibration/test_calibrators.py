"""Recalibrators fix miscalibration on rows they never saw, and keep the estimator contract."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from driftline.calibration import (
    IdentityCalibrator,
    IsotonicCalibrator,
    PlattCalibrator,
    TemperatureCalibrator,
    calibration_report,
)
from driftline.errors import InputError

ALL = [IdentityCalibrator, PlattCalibrator, IsotonicCalibrator, TemperatureCalibrator]
FIXERS = [PlattCalibrator, IsotonicCalibrator, TemperatureCalibrator]


@pytest.mark.parametrize("make", FIXERS)
@pytest.mark.parametrize("factor", [3.0, 1 / 3])
def test_binary_recalibration_halves_held_out_ece(make, factor, synth) -> None:
    # Fit on one sample, measure on another: the improvement must hold on new rows.
    p_fit, y_fit = synth.calibrated_binary(4000, 10)
    p_new, y_new = synth.calibrated_binary(4000, 11)
    calibrator = make().fit(synth.pushed(p_fit, factor), y_fit, classes=[0, 1])
    before = calibration_report(y_new, synth.pushed(p_new, factor))
    after = calibration_report(y_new, calibrator.transform(synth.pushed(p_new, factor)))
    assert before.ece > 0.08
    assert after.ece < before.ece / 2
    assert after.log_loss < before.log_loss
    assert not after.miscalibrated or after.ece < 1.5 * after.ece_chance


@pytest.mark.parametrize("make", FIXERS)
def test_multiclass_recalibration_lowers_held_out_ece(make, synth) -> None:
    z_fit, y_fit = synth.calibrated_multiclass(4000, 3, 12)
    z_new, y_new = synth.calibrated_multiclass(4000, 3, 13)
    calibrator = make().fit(synth.softmax(2.5 * z_fit), y_fit, classes=[0, 1, 2])
    before = calibration_report(y_new, synth.softmax(2.5 * z_new))
    out = calibrator.transform(synth.softmax(2.5 * z_new))
    after = calibration_report(y_new, out)
    assert np.allclose(out.sum(axis=1), 1.0)
    assert after.ece < before.ece / 2
    assert after.classwise_ece is not None and before.classwise_ece is not None
    assert after.classwise_ece < before.classwise_ece


@pytest.mark.parametrize("true_t", [0.5, 2.0, 4.0])
def test_temperature_recovers_a_known_temperature(true_t, synth) -> None:
    # The model reports softmax(z / T) while softmax(z) is the truth: fitting
    # must find T again. Over 5,000 rows its sampling error is a few percent.
    z, y = synth.calibrated_multiclass(5000, 5, 14)
    calibrator = TemperatureCalibrator().fit(synth.softmax(z / true_t), y, classes=range(5))
    assert calibrator.temperature_ * true_t == pytest.approx(1.0, rel=0.08)


def test_temperature_on_binary_matches_logit_scaling(synth) -> None:
    p, y = synth.calibrated_binary(5000, 15)
    calibrator = TemperatureCalibrator().fit(synth.pushed(p, 3.0), y, classes=[0, 1])
    assert calibrator.temperature_ == pytest.approx(3.0, rel=0.08)
    # Dividing log-probabilities by T is sigmoid(logit / T) for two classes.
    out = calibrator.transform(synth.pushed(p, 3.0))[:, 1]
    expected = synth.sigmoid(synth.logit(synth.pushed(p, 3.0)) / calibrator.temperature_)
    assert np.allclose(out, expected, atol=1e-9)


def test_temperature_and_platt_keep_the_ranking(synth) -> None:
    z, y = synth.calibrated_multiclass(1000, 4, 16)
    p = synth.softmax(3 * z)
    out = TemperatureCalibrator().fit(p, y).transform(p)
    assert (np.argmax(out, axis=1) == np.argmax(p, axis=1)).all()
    pb, yb = synth.calibrated_binary(1000, 17)
    platt = PlattCalibrator().fit(synth.pushed(pb), yb).transform(synth.pushed(pb))[:, 1]
    order = np.argsort(pb)
    assert (np.diff(platt[order]) >= -1e-12).all()


def test_platt_slope_undoes_the_push(synth) -> None:
    p, y = synth.calibrated_binary(6000, 18)
    platt = PlattCalibrator().fit(synth.pushed(p, 3.0), y, classes=[0, 1])
    assert platt.coef_[0] == pytest.approx(1 / 3, rel=0.1)
    assert abs(platt.intercept_[0]) < 0.1


def test_isotonic_is_monotone_and_never_certain(synth) -> None:
    p, y = synth.calibrated_binary(2000, 19)
    iso = IsotonicCalibrator().fit(p, y)
    grid = np.linspace(0, 1, 501)
    out = iso.transform(grid)[:, 1]
    assert (np.diff(out) >= 0).all()
    assert out.min() >= iso.eps and out.max() <= 1 - iso.eps


@pytest.mark.parametrize("make", ALL)
def test_estimator_contract(make, synth) -> None:
    params = list(inspect.signature(make.__init__).parameters.values())[1:]
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params)
    est = make()
    assert not [k for k in vars(est) if k.endswith("_")]
    assert {p.name for p in params} == set(vars(est))
    p, y = synth.calibrated_binary(300, 20)
    fitted = est.fit(p, y)
    assert fitted is est and est.classes_ == [0, 1]
    out = est.transform(p)
    assert out.shape == (300, 2) and np.allclose(out.sum(axis=1), 1.0)
    assert est.describe()["method"] == make.method


def test_transform_refuses_before_fit_and_wrong_width(synth) -> None:
    with pytest.raises(InputError, match="not fitted"):
        PlattCalibrator().transform([0.2, 0.4])
    p, y = synth.calibrated_binary(100, 21)
    fitted = TemperatureCalibrator().fit(p, y)
    with pytest.raises(InputError, match="fitted on 2 classes"):
        fitted.transform([[0.2, 0.3, 0.5]])


def test_string_classes_keep_their_order(synth) -> None:
    p, y = synth.calibrated_binary(500, 22)
    labels = np.where(y == 1, "churn", "stay")
    # Columns in the model's order: "stay" first would be wrong here, so name them.
    fitted = PlattCalibrator().fit(np.column_stack([p, 1 - p]), labels, classes=["churn", "stay"])
    assert fitted.classes_ == ["churn", "stay"]
    assert fitted.transform(np.column_stack([p, 1 - p])).shape == (500, 2)
