"""CalibratedModel: a fitted classifier whose probabilities pass through a fitted calibrator."""

from __future__ import annotations

from typing import Any

import numpy as np

from driftline.calibration._calibrators import Calibrator
from driftline.calibration._input import plain_classes
from driftline.errors import InputError

__all__ = ["CalibratedModel"]


class CalibratedModel:
    """A fitted classifier with recalibrated probabilities.

    ``predict_proba`` is ``calibrator.transform(model.predict_proba(X))``;
    ``predict`` is the class of highest calibrated probability; ``classes_``
    and ``feature_names_in_`` are the model's. Both parts must be fitted
    already: nothing is learned here. It stores with skops as plain state
    (the model and the calibrator's arrays), and the registry trusts it.

    Example::

        >>> import numpy as np
        >>> from sklearn.linear_model import LogisticRegression
        >>> from driftline.calibration import TemperatureCalibrator
        >>> X, y = np.arange(20.0).reshape(-1, 1), np.arange(20) % 2
        >>> model = LogisticRegression().fit(X, y)
        >>> calibrator = TemperatureCalibrator().fit(model.predict_proba(X), y, classes=[0, 1])
        >>> wrapped = CalibratedModel(model, calibrator)
        >>> wrapped.predict_proba(X).shape, wrapped.classes_.tolist()
        ((20, 2), [0, 1])
    """

    def __init__(self, model: Any, calibrator: Calibrator) -> None:
        if not hasattr(model, "predict_proba") or getattr(model, "classes_", None) is None:
            raise InputError(
                f"{type(model).__name__} gives no probabilities (no predict_proba and classes_); "
                "only a fitted classifier's probabilities can be calibrated"
            )
        fitted = getattr(calibrator, "classes_", None)
        if not isinstance(calibrator, Calibrator) or fitted is None:
            raise InputError(
                f"calibrator must be a fitted driftline calibrator, got {type(calibrator).__name__}"
            )
        ours = plain_classes(model.classes_)
        if [repr(c) for c in fitted] != [repr(c) for c in ours]:
            raise InputError(
                f"the calibrator was fitted on classes {fitted} but the model's are {ours}; "
                "fit it on this model's predict_proba with classes=model.classes_"
            )
        self.model = model
        self.calibrator = calibrator

    @property
    def classes_(self) -> np.ndarray:
        return np.asarray(self.model.classes_)

    @property
    def feature_names_in_(self) -> np.ndarray:
        return np.asarray(self.model.feature_names_in_)

    @property
    def n_features_in_(self) -> int:
        return int(self.model.n_features_in_)

    def predict_proba(self, X: Any) -> np.ndarray:
        return self.calibrator.transform(self.model.predict_proba(X))

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def __repr__(self) -> str:
        return f"CalibratedModel({self.model!r}, {self.calibrator!r})"


# As for the calibrators: stored artifacts name the public import path.
CalibratedModel.__module__ = "driftline.calibration"
