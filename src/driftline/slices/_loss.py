"""What each row costs: the per-row loss that slice discovery and slice tests compare.

Only metrics that are a mean over rows have one (accuracy is one minus the
mean misclassification, RMSE the root of the mean squared error); ranking
metrics such as ROC AUC do not, so slices are searched on these and then
reported with every metric of :mod:`driftline.metrics`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from driftline.errors import InputError
from driftline.metrics import (
    HIGHER_IS_BETTER,
    Evaluation,
    Predictions,
    Task,
    encode_labels,
    evaluate_predictions,
)

__all__ = ["LOSS_METRICS", "Loss", "Scored", "choose_metric", "row_loss", "scored"]

# metric -> per-row loss whose mean gives (or is monotone in) the metric
LOSS_METRICS: dict[str, str] = {
    "accuracy": "misclassification",
    "log_loss": "log loss",
    "brier": "squared error of the probabilities",
    "mae": "absolute error",
    "rmse": "squared error",
    "mape": "absolute percentage error",
}
_CLASSIFIER_LOSSES = ("accuracy", "log_loss", "brier")
_REGRESSOR_LOSSES = ("mae", "rmse", "mape")
_LOG_CLIP = 1e-15  # as driftline.metrics


@dataclass(frozen=True)
class Scored:
    """Labels and a model's predictions for the same rows, checked once."""

    y_true: np.ndarray
    predictions: Predictions
    task: Task

    @property
    def n_rows(self) -> int:
        return len(self.y_true)

    def take(self, rows: np.ndarray) -> Scored:
        return Scored(self.y_true[rows], self.predictions.take(rows), self.task)

    def evaluate(self, metrics: Any, *, known: Evaluation | None = None, **kwargs: Any) -> Any:
        """These rows' metrics; ``known`` is their evaluation if the caller already has one.

        ``known`` is used only when it covers these rows, the metrics asked and
        the same confidence and resamples (the caller vouches for the seed).
        """
        if known is not None and _covers(known, self.n_rows, metrics, kwargs):
            names = list(known.metrics) if metrics is None else list(metrics)
            return dataclasses.replace(known, metrics={m: known.metrics[m] for m in names})
        p = self.predictions
        return evaluate_predictions(
            self.y_true,
            y_pred=p.y_pred,
            y_proba=p.y_proba,
            classes=p.classes,
            task=self.task,
            metrics=metrics,
            **kwargs,
        )


def _covers(known: Evaluation, n_rows: int, metrics: Any, kwargs: dict[str, Any]) -> bool:
    return (
        known.n == n_rows
        and known.confidence == kwargs.get("confidence", 0.95)
        and known.n_resamples == kwargs.get("n_resamples", 1000)
        and (metrics is None or all(m in known.metrics for m in metrics))
    )


def scored(y_true: Any, predictions: Any, n_rows: int) -> Scored:
    """Check labels and predictions against each other and the table's row count."""
    if isinstance(y_true, str):
        raise InputError(
            f"y_true must be the labels themselves, got the string {y_true!r}; "
            f"pass frame[{y_true!r}] and drop that column from the frame"
        )
    truth = np.asarray(y_true)
    if truth.ndim != 1 or len(truth) != n_rows:
        raise InputError(
            f"y_true must hold one label per row of the frame ({n_rows} rows), "
            f"got shape {truth.shape}"
        )
    if not isinstance(predictions, Predictions):
        y_pred = np.asarray(predictions)
        if y_pred.ndim != 1:
            raise InputError(
                f"predictions must be driftline.metrics.Predictions or one prediction per row, "
                f"got an array of shape {y_pred.shape}; use driftline.metrics.predict(model, X)"
            )
        enc, labels = encode_labels(truth, y_pred, None, None, None)
        task: Task = enc.task  # type: ignore[assignment]
        if task == "regression":
            predictions = Predictions(y_pred.astype(float), None, None, task)
        else:
            predictions = Predictions(y_pred, None, np.asarray(labels), task)
    if len(predictions) != n_rows:
        raise InputError(
            f"predictions hold {len(predictions)} rows but the frame has {n_rows}; "
            f"score the same rows the frame holds"
        )
    return Scored(truth, predictions, predictions.task)


@dataclass(frozen=True)
class Loss:
    """The per-row loss of one metric, and how its mean turns back into the metric."""

    metric: str
    values: np.ndarray
    binary: bool  # every value is 0 or 1

    @property
    def higher_is_better(self) -> bool:
        return HIGHER_IS_BETTER[self.metric]


def choose_metric(metric: str, data: Scored) -> str:
    regression = data.task == "regression"
    known = _REGRESSOR_LOSSES if regression else _CLASSIFIER_LOSSES
    if metric == "auto":
        return "mae" if regression else "accuracy"
    if metric not in known:
        raise InputError(
            f"slices of a {data.task} model can be searched by {', '.join(known)}, "
            f"got metric {metric!r}; those are the metrics that are a mean over rows"
        )
    if metric in ("log_loss", "brier") and data.predictions.y_proba is None:
        raise InputError(
            f"metric {metric!r} needs predicted probabilities; the model has no predict_proba, "
            f"search by accuracy instead"
        )
    return metric


def row_loss(metric: str, data: Scored) -> Loss:
    """The loss of every row for ``metric`` (one of :data:`LOSS_METRICS`)."""
    metric = choose_metric(metric, data)
    p = data.predictions
    enc, _ = encode_labels(data.y_true, p.y_pred, p.y_proba, p.classes, data.task)
    if metric == "accuracy":
        return Loss(metric, (enc.y_true != enc.y_pred).astype(float), True)
    if metric in ("mae", "rmse", "mape"):
        error = np.abs(enc.y_pred - enc.y_true)
        if metric == "rmse":
            return Loss(metric, error**2, False)
        if metric == "mape":
            error = error / np.maximum(np.abs(enc.y_true), np.finfo(np.float64).eps)
        return Loss(metric, error, False)
    proba = np.clip(np.asarray(enc.y_proba), 0.0, 1.0)
    rows = np.arange(len(enc.y_true))
    if metric == "log_loss":
        return Loss(metric, -np.log(np.clip(proba[rows, enc.y_true], _LOG_CLIP, 1.0)), False)
    truth = np.zeros_like(proba)
    truth[rows, enc.y_true] = 1.0
    if proba.shape[1] == 2:
        return Loss(metric, (proba[:, 1] - truth[:, 1]) ** 2, False)
    return Loss(metric, ((proba - truth) ** 2).sum(axis=1), False)
