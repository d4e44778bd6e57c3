"""Scoring a model on a table: what it predicts, with what probability, for which task."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from driftline.errors import InputError

__all__ = ["Predictions", "Task", "predict"]

Task = Literal["binary", "multiclass", "regression"]


@dataclass(frozen=True)
class Predictions:
    """A model's answers on some rows.

    ``y_proba`` has one column per class, in the order of ``classes``; it is
    None for regressors and for classifiers without ``predict_proba``.
    """

    y_pred: np.ndarray
    y_proba: np.ndarray | None
    classes: np.ndarray | None
    task: Task

    def __len__(self) -> int:
        return len(self.y_pred)

    def take(self, rows: np.ndarray) -> Predictions:
        """The predictions of some rows (a boolean mask or positions)."""
        proba = None if self.y_proba is None else self.y_proba[rows]
        return Predictions(self.y_pred[rows], proba, self.classes, self.task)


def predict(model: Any, X: Any) -> Predictions:
    """Score ``model`` on ``X`` with its own ``predict`` (and ``predict_proba``).

    A model with ``classes_`` is a classifier; anything else that predicts
    numbers is a regressor.

    >>> from sklearn.linear_model import LogisticRegression
    >>> model = LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
    >>> p = predict(model, [[0.5], [2.5]])
    >>> p.task, p.y_pred.tolist(), p.y_proba.shape
    ('binary', [0, 1], (2, 2))
    """
    if not hasattr(model, "predict"):
        raise InputError(f"{type(model).__name__} has no predict method; pass a fitted model")
    y_pred = np.asarray(model.predict(X))
    if y_pred.ndim == 2 and y_pred.shape[1] == 1:
        y_pred = y_pred.ravel()
    if y_pred.ndim != 1:
        raise InputError(
            f"the model returned predictions of shape {y_pred.shape}; "
            "one prediction per row is supported"
        )
    classes = getattr(model, "classes_", None)
    if classes is None:
        if y_pred.dtype.kind not in "iuf":
            raise InputError(
                "the model predicts labels but has no classes_; "
                "a classifier needs classes_ to be evaluated"
            )
        return Predictions(y_pred.astype(float), None, None, "regression")
    classes = np.asarray(classes)
    task: Task = "binary" if len(classes) == 2 else "multiclass"
    proba = None
    if hasattr(model, "predict_proba"):
        proba = np.asarray(model.predict_proba(X), dtype=float)
        if proba.shape != (len(y_pred), len(classes)):
            raise InputError(
                f"predict_proba returned shape {proba.shape}, expected "
                f"({len(y_pred)}, {len(classes)}) for classes {classes.tolist()}"
            )
    return Predictions(y_pred, proba, classes, task)
