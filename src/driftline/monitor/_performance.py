"""Performance per monitoring window: estimated before the labels arrive, realized after.

The estimator (CBPE for classifiers, DLE for regressors, see
:mod:`driftline.estimate`) is fitted once per run on a labelled reference
the caller gives: data the version did not train on, with the true labels.
Not the training data: a model is overconfident on what it was fitted to, so
its probabilities there would promise too much. Not the profile's row
sample either: it comes from the training data too.

Each window's predictions are the logged ones when the log holds them (the
``prediction`` and ``probabilities`` columns the server writes), else the
model scores the window's inputs. Labels joined to the log (``label``), or
the target column in a table passed in, give the realized metrics of the
rows whose labels have arrived, stored beside the estimate::

    metrics["estimated"] = {"accuracy": {"value": 0.87, "low": 0.84, "high": 0.90}, ...}
    metrics["realized"]  = {"accuracy": 0.88, ...}       # only with labelled rows
    metrics["labelled"]  = 312                           # rows with a label
    metrics["reference"] = {"accuracy": 0.91, ...}       # realized on the reference
    metrics["performance_drop"] = 0.044                  # worst significant relative fall
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from driftline import registry
from driftline.errors import InputError
from driftline.estimate import (
    CBPE,
    DEFAULT_METRICS,
    DLE,
    Scored,
    estimate_window,
    fit_estimator,
    scored,
)
from driftline.io import json_number, read_frame

if TYPE_CHECKING:
    from driftline.registry import ModelVersion
    from driftline.store import Context

__all__ = ["PerformanceMonitor", "drops", "prepare"]

_LABEL = "label"  # the column the inference log joins posted labels into


@dataclass(frozen=True)
class PerformanceMonitor:
    """A fitted estimator and what is needed to score a window."""

    estimator: CBPE | DLE
    model: Any
    features: list[str]
    task: str
    classes: np.ndarray | None
    target: str

    def summary(self) -> dict[str, Any]:
        return {
            "method": "dle" if isinstance(self.estimator, DLE) else "cbpe",
            "task": self.task,
            "metrics": list(self.estimator.metrics),
            "reference": _plain(self.estimator.reference_),
            "n_reference": int(self.estimator.n_reference_),
            "calibration": getattr(self.estimator, "calibration_", None),
        }

    def window(self, frame: pd.DataFrame) -> dict[str, Any]:
        """The performance entries of one window's ``metrics``."""
        part = self._scored(frame)
        labels = self._labels(frame)
        values = estimate_window(self.estimator, part, labels)
        out: dict[str, Any] = {
            "estimated": {
                name: {
                    "value": json_number(m.value),
                    "low": json_number(m.low),
                    "high": json_number(m.high),
                }
                for name, m in values.items()
            },
            "labelled": 0 if labels is None else int(pd.notna(pd.Series(labels)).sum()),
            "reference": _plain(self.estimator.reference_),
        }
        if out["labelled"]:
            out["realized"] = {name: json_number(m.realized) for name, m in values.items()}
        worst = drops(out)
        if worst:
            out["performance_drop"] = max(worst.values())
        return out

    def _scored(self, frame: pd.DataFrame) -> Scored:
        logged = self._logged(frame)
        if logged is not None:
            return logged
        try:
            return scored(frame, model=self.model, features=self.features, where="the window")
        except InputError as exc:
            raise InputError(
                f"cannot score the window's rows to estimate performance: {exc}"
            ) from exc

    def _logged(self, frame: pd.DataFrame) -> Scored | None:
        """The answers the server logged, when every row has them."""
        pred = _complete(frame, "prediction")
        if self.task == "regression":
            if pred is None or pred.dtype.kind not in "iuf" or not set(self.features) <= set(frame):
                return None
            return Scored(self.task, pred.astype(float), None, None, frame[self.features])
        proba = _complete(frame, "probabilities")
        if proba is None or self.classes is None:
            return None
        try:
            matrix = np.asarray([list(p) for p in proba], dtype=float)
        except (TypeError, ValueError):
            return None
        if matrix.ndim != 2 or matrix.shape[1] != len(self.classes):
            return None
        return Scored(self.task, pred, matrix, self.classes, frame[[]])

    def _labels(self, frame: pd.DataFrame) -> np.ndarray | None:
        for column in (_LABEL, self.target):
            if column in frame.columns:
                return frame[column].to_numpy(dtype=object)
        return None


def prepare(
    ctx: Context, mv: ModelVersion, reference: Any, target: str | None
) -> PerformanceMonitor:
    """Score the labelled ``reference`` with ``mv``'s model and fit the estimator on it."""
    if not target:
        raise InputError(
            "a reference for performance estimation needs its label column: pass target= "
            "(CLI: --target)"
        )
    # A CSV keeps as text what the model knows as text, the label too when its classes are.
    text = mv.signature.text_columns(target) if mv.signature is not None else []
    frame = read_frame(reference, text=text, what="the reference")
    if target not in frame.columns:
        raise InputError(
            f"the reference has no label column {target!r}; its columns are: "
            f"{', '.join(map(str, frame.columns))}"
        )
    frame = frame[frame[target].notna()]
    if frame.empty:
        raise InputError(f"the reference's label column {target!r} holds no labels")
    features = list(mv.signature.names) if mv.signature is not None else []
    model = registry.load_model(ctx, mv)
    ref = scored(frame, model=model, features=features, where="the reference")
    estimator = fit_estimator(ref, frame[target].to_numpy(), metrics=DEFAULT_METRICS[ref.task])
    return PerformanceMonitor(estimator, model, features, ref.task, ref.classes, target)


def drops(entries: dict[str, Any]) -> dict[str, float]:
    """Each estimated metric's relative fall from its reference value (0.1 = 10% worse).

    A fall counts only when the whole band lies on the worse side of the
    reference value: beyond what a window of this size shows by chance (at
    100 rows without any shift, F1's point estimate alone fell 5% below the
    reference in 8% of windows; with the band, in none). Otherwise it is 0.
    """
    from driftline.metrics import HIGHER_IS_BETTER

    out = {}
    for name, est in (entries.get("estimated") or {}).items():
        ref = (entries.get("reference") or {}).get(name)
        value, low, high = est.get("value"), est.get("low"), est.get("high")
        if ref is None or value is None or ref == 0:
            continue
        higher = HIGHER_IS_BETTER.get(name, True)
        change = (ref - value) / abs(ref) if higher else (value - ref) / abs(ref)
        beyond = (high is not None and high < ref) if higher else (low is not None and low > ref)
        out[name] = float(change) if beyond else 0.0
    return out


def _complete(frame: pd.DataFrame, column: str) -> np.ndarray | None:
    if column not in frame.columns:
        return None
    values = frame[column]
    if values.isna().any():
        return None
    return values.to_numpy()


def _plain(values: dict[str, float]) -> dict[str, float | None]:
    return {k: json_number(v) for k, v in values.items()}
