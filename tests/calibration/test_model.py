"""CalibratedModel: a calibrated classifier that stores with skops and loads without trust."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from driftline import Workspace
from driftline.calibration import (
    CalibratedModel,
    IsotonicCalibrator,
    PlattCalibrator,
    TemperatureCalibrator,
    fit_calibrator,
)
from driftline.errors import InputError
from driftline.registry import _flavors


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 600
    df = pd.DataFrame(
        {"age": rng.integers(18, 80, n), "region": rng.choice(["north", "south", "east"], n)}
    )
    logit = 0.05 * (df["age"] - 45) + (df["region"] == "south") * 0.8
    df["label"] = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    return df


@pytest.fixture(scope="module")
def pipeline(frame: pd.DataFrame) -> Pipeline:
    pre = ColumnTransformer(
        [
            ("num", StandardScaler(), ["age"]),
            ("cat", OneHotEncoder(handle_unknown="ignore"), ["region"]),
        ]
    )
    model = Pipeline([("pre", pre), ("nb", GaussianNB())])
    return model.fit(frame[["age", "region"]], frame["label"])


@pytest.mark.parametrize("make", [PlattCalibrator, IsotonicCalibrator, TemperatureCalibrator])
def test_wrapper_predicts_through_the_calibrator(make, frame, pipeline) -> None:
    X = frame[["age", "region"]]
    calibrator = make().fit(pipeline.predict_proba(X), frame["label"], classes=pipeline.classes_)
    model = CalibratedModel(pipeline, calibrator)
    proba = model.predict_proba(X)
    assert np.allclose(proba, calibrator.transform(pipeline.predict_proba(X)))
    assert list(model.classes_) == ["no", "yes"]
    assert list(model.feature_names_in_) == ["age", "region"]
    assert (model.predict(X) == model.classes_[np.argmax(proba, axis=1)]).all()


@pytest.mark.parametrize("method", ["platt", "isotonic", "temperature", "identity"])
def test_skops_file_holds_only_trusted_types(method, frame, pipeline) -> None:
    X = frame[["age", "region"]]
    calibrator = fit_calibrator(
        frame["label"], pipeline.predict_proba(X), classes=pipeline.classes_, method=method
    )
    blob = sio.dumps(CalibratedModel(pipeline, calibrator))
    assert _flavors.untrusted_types(blob) == []
    loaded = _flavors.load("sklearn", blob)
    assert type(loaded).__module__ == "driftline.calibration"
    assert np.array_equal(
        loaded.predict_proba(X), CalibratedModel(pipeline, calibrator).predict_proba(X)
    )


def test_registered_calibrated_model_loads_back_the_same(tmp_path: Path, frame, pipeline) -> None:
    X = frame[["age", "region"]]
    calibrator = TemperatureCalibrator().fit(
        pipeline.predict_proba(X), frame["label"], classes=pipeline.classes_
    )
    model = CalibratedModel(pipeline, calibrator)
    with Workspace.init(tmp_path / "ws", actor="tester") as ws:
        # No trust=, no trusted_types in the settings: our own types are trusted by default.
        version = ws.register("churn", model, train=frame, target="label")
        loaded = ws.load_model(version)
    assert isinstance(loaded, CalibratedModel)
    assert np.array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert loaded.calibrator.temperature_ == calibrator.temperature_
    assert version.signature is not None and version.signature.output is not None
    assert list(version.signature.output.classes or []) == ["no", "yes"]


def test_wrapper_refuses_what_it_cannot_wrap(frame, pipeline) -> None:
    X = frame[["age"]]
    calibrator = PlattCalibrator().fit(
        pipeline.predict_proba(frame[["age", "region"]]), frame["label"]
    )
    with pytest.raises(InputError, match="gives no probabilities"):
        CalibratedModel(LinearRegression().fit(X, frame["age"]), calibrator)
    with pytest.raises(InputError, match="fitted driftline calibrator"):
        CalibratedModel(pipeline, PlattCalibrator())
    other = LogisticRegression().fit(X, frame["label"] == "yes")
    with pytest.raises(InputError, match="fitted on classes"):
        CalibratedModel(other, calibrator)
