"""Recalibrators: learn a map from a model's probabilities to calibrated ones.

Each follows the estimator contract (keyword-only parameters stored as
given, work in ``fit``, learned state ending in ``_``), takes and returns
n×k probability matrices whose columns are the classes in order, and keeps
its state in plain NumPy arrays and numbers, so a calibrated model stores
in a skops file that loads without trusting any code but ours.

- :class:`PlattCalibrator`: logistic regression on the logit (Platt, 1999);
  one-vs-rest and renormalized for more than two classes.
- :class:`IsotonicCalibrator`: a monotone step function (Zadrozny & Elkan,
  2002); flexible, so it needs more data.
- :class:`TemperatureCalibrator`: one temperature dividing the log
  probabilities (Guo et al., 2017); keeps the ranking and the top label.
- :class:`IdentityCalibrator`: leaves probabilities as they are; the
  candidate every other must beat.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

import numpy as np

from driftline.calibration._input import EPS, as_proba, clip_log, label_index
from driftline.errors import InputError

__all__ = [
    "Calibrator",
    "IdentityCalibrator",
    "IsotonicCalibrator",
    "PlattCalibrator",
    "TemperatureCalibrator",
    "fit_logistic",
]


class Calibrator:
    """Base of the recalibrators: ``fit(y_proba, y_true)``, then ``transform(y_proba)``."""

    method: ClassVar[str] = "base"
    classes_: list[Any]
    # Set by fit_calibrator: which method was chosen and why (plain data).
    selection_: dict[str, Any]

    def fit(self, y_proba: Any, y_true: Any, *, classes: Any = None) -> Self:
        """Learn the map from probabilities (n×k, or P(positive) of a binary task) to labels."""
        p = as_proba(y_proba)
        idx, order = label_index(y_true, classes, p.shape[1])
        if len(idx) != len(p):
            raise InputError(f"got {len(idx)} labels for {len(p)} rows of probabilities")
        self._fit(p, idx)
        self.classes_ = order
        return self

    def transform(self, y_proba: Any) -> np.ndarray:
        """Calibrated probabilities, n×k, rows summing to 1."""
        classes = getattr(self, "classes_", None)
        if classes is None:
            raise InputError(f"{type(self).__name__} is not fitted yet: call fit first")
        p = as_proba(y_proba)
        if p.shape[1] != len(classes):
            raise InputError(
                f"{type(self).__name__} was fitted on {len(classes)} classes, "
                f"got {p.shape[1]} probability columns"
            )
        out = self._transform(p)
        return out / out.sum(axis=1, keepdims=True)

    def fit_transform(self, y_proba: Any, y_true: Any, *, classes: Any = None) -> np.ndarray:
        return self.fit(y_proba, y_true, classes=classes).transform(y_proba)

    def describe(self) -> dict[str, Any]:
        """The method and what it learned, as plain data (for cards and reports)."""
        return {"method": self.method}

    def _fit(self, p: np.ndarray, idx: np.ndarray) -> None:
        raise NotImplementedError

    def _transform(self, p: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.endswith("_"))
        return f"{type(self).__name__}({params})"


class IdentityCalibrator(Calibrator):
    """Leaves the probabilities unchanged."""

    method = "identity"

    def __init__(self) -> None:
        pass

    def _fit(self, p: np.ndarray, idx: np.ndarray) -> None:
        pass

    def _transform(self, p: np.ndarray) -> np.ndarray:
        return p.copy()


_NEWTON_STEPS = 50


def expit(z: np.ndarray) -> np.ndarray:
    """The logistic function, without overflow for large negative ``z``."""
    e = np.exp(-np.abs(z))
    return np.asarray(np.where(z >= 0, 1 / (1 + e), e / (1 + e)))


def _log_softmax(z: np.ndarray) -> np.ndarray:
    shifted = z - z.max(axis=1, keepdims=True)
    return np.asarray(shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True)))


def fit_logistic(x: np.ndarray, y: np.ndarray, *, smooth: bool) -> tuple[float, float]:
    """``(a, b)`` minimizing the log loss of sigmoid(a·x + b) against 0/1 targets ``y``.

    With ``smooth``, targets are Platt's (N₊+1)/(N₊+2) and 1/(N₋+2) rather
    than 1 and 0, which keeps a small or separable fit from running to infinity.
    """
    positives = float(y.sum())
    negatives = float(len(y) - positives)
    t = np.where(y > 0.5, (positives + 1) / (positives + 2), 1 / (negatives + 2)) if smooth else y

    def loss(a: float, b: float) -> float:
        z = a * x + b
        # log(1 + e^z) - t z, written to stay finite for large |z|.
        return float(np.mean(np.logaddexp(0.0, z) - t * z))

    # Newton's method with step halving: two parameters, a 2×2 Hessian, a few
    # iterations. Without smoothing, separable data has no finite optimum; the
    # iteration cap stops the walk towards it.
    a, b = 1.0, 0.0
    current = loss(a, b)
    for _ in range(_NEWTON_STEPS):
        q = expit(a * x + b)
        r, h = q - t, q * (1 - q)
        grad = np.array([np.mean(r * x), np.mean(r)])
        hxx, hx, h0 = np.mean(h * x * x), np.mean(h * x), np.mean(h)
        hess = np.array([[hxx, hx], [hx, h0]]) + 1e-12 * np.eye(2)
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            step = grad
        scale = 1.0
        while scale > 1e-6:
            na, nb = a - scale * float(step[0]), b - scale * float(step[1])
            trial = loss(na, nb)
            if trial <= current:
                break
            scale /= 2
        else:
            break
        moved = abs(na - a) + abs(nb - b)
        a, b, current = na, nb, trial
        if moved < 1e-9:
            break
    return a, b


def _logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, EPS, 1 - EPS)
    return np.asarray(np.log(q) - np.log1p(-q))


class PlattCalibrator(Calibrator):
    """Platt scaling: P' = sigmoid(a · logit(P) + b), fitted by maximum likelihood.

    Binary tasks fit the positive class; with more classes each class is
    fitted one-vs-rest and the rows are renormalized. ``smooth`` uses
    Platt's smoothed targets.
    """

    method = "platt"

    def __init__(self, *, smooth: bool = True) -> None:
        self.smooth = smooth

    def _columns(self, k: int) -> list[int]:
        return [1] if k == 2 else list(range(k))

    def _fit(self, p: np.ndarray, idx: np.ndarray) -> None:
        coef, intercept = [], []
        for j in self._columns(p.shape[1]):
            a, b = fit_logistic(_logit(p[:, j]), (idx == j).astype(float), smooth=self.smooth)
            coef.append(a)
            intercept.append(b)
        self.coef_ = np.array(coef)
        self.intercept_ = np.array(intercept)

    def _transform(self, p: np.ndarray) -> np.ndarray:
        cols = self._columns(p.shape[1])
        scaled = expit(self.coef_ * _logit(p[:, cols]) + self.intercept_)
        if p.shape[1] == 2:
            return np.column_stack([1 - scaled[:, 0], scaled[:, 0]])
        return np.clip(scaled, EPS, None)

    def describe(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "slope": [float(v) for v in self.coef_],
            "intercept": [float(v) for v in self.intercept_],
        }


class IsotonicCalibrator(Calibrator):
    """Isotonic regression: the best non-decreasing map from each class's probability to its rate.

    Outputs are kept within ``eps`` of 0 and 1: a step fitted where no
    positive was seen would otherwise say "impossible", and one wrong such
    answer costs an infinite log loss.
    """

    method = "isotonic"

    def __init__(self, *, eps: float = 1e-4) -> None:
        self.eps = eps

    def _columns(self, k: int) -> list[int]:
        return [1] if k == 2 else list(range(k))

    def _fit(self, p: np.ndarray, idx: np.ndarray) -> None:
        from sklearn.isotonic import IsotonicRegression

        if not 0 <= self.eps < 0.5:
            raise InputError(f"eps must be from 0 to below 0.5, got {self.eps!r}")
        xs, ys = [], []
        for j in self._columns(p.shape[1]):
            iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
            iso.fit(p[:, j], (idx == j).astype(float))
            xs.append(np.asarray(iso.X_thresholds_, dtype=float))
            ys.append(np.asarray(iso.y_thresholds_, dtype=float))
        # Plain arrays rather than the sklearn object: interpolation is all predict does.
        self.x_thresholds_ = xs
        self.y_thresholds_ = ys

    def _transform(self, p: np.ndarray) -> np.ndarray:
        cols = self._columns(p.shape[1])
        mapped = np.column_stack(
            [
                np.interp(p[:, j], x, y)
                for j, x, y in zip(cols, self.x_thresholds_, self.y_thresholds_, strict=True)
            ]
        )
        mapped = np.clip(mapped, self.eps, 1 - self.eps)
        if p.shape[1] == 2:
            return np.column_stack([1 - mapped[:, 0], mapped[:, 0]])
        return mapped

    def describe(self) -> dict[str, Any]:
        return {"method": self.method, "steps": [len(x) for x in self.x_thresholds_]}


class TemperatureCalibrator(Calibrator):
    """Temperature scaling: P' = softmax(log P / T) with one T minimizing the log loss.

    T > 1 softens overconfident probabilities, T < 1 sharpens timid ones; the
    order of the classes in every row, and so the predicted label, never
    changes. Two classes are a special case: sigmoid(logit(P) / T).
    """

    method = "temperature"

    def __init__(self, *, min_temperature: float = 0.05, max_temperature: float = 20.0) -> None:
        self.min_temperature = min_temperature
        self.max_temperature = max_temperature

    def _fit(self, p: np.ndarray, idx: np.ndarray) -> None:
        if not 0 < self.min_temperature < self.max_temperature:
            raise InputError(
                "temperatures must satisfy 0 < min_temperature < max_temperature, got "
                f"{self.min_temperature!r} and {self.max_temperature!r}"
            )
        from scipy import optimize

        logp = clip_log(p)
        rows = np.arange(len(p))

        def nll(log_t: float) -> float:
            return float(-np.mean(_log_softmax(logp / np.exp(log_t))[rows, idx]))

        # The loss is smooth in log T; a bounded scalar search cannot wander off.
        result = optimize.minimize_scalar(
            nll,
            bounds=(np.log(self.min_temperature), np.log(self.max_temperature)),
            method="bounded",
            options={"xatol": 1e-6},
        )
        self.temperature_ = float(np.exp(result.x))

    def _transform(self, p: np.ndarray) -> np.ndarray:
        return np.exp(_log_softmax(clip_log(p) / self.temperature_))

    def describe(self) -> dict[str, Any]:
        return {"method": self.method, "temperature": self.temperature_}


# Stored artifacts (skops) name a type by its import path: name the public one,
# so moving a class between private modules never breaks an old workspace.
for _cls in (IdentityCalibrator, PlattCalibrator, IsotonicCalibrator, TemperatureCalibrator):
    _cls.__module__ = "driftline.calibration"
