"""CBPE: a classifier's performance estimated from its own (calibrated) confidence.

If the model's probabilities are calibrated, a row scored ``p`` for the
positive class is positive with probability ``p``. So over a window of rows
without labels, the *expected* confusion matrix is known: a row predicted
positive adds ``p`` to the true positives and ``1 - p`` to the false
positives, a row predicted negative ``p`` to the false negatives and
``1 - p`` to the true negatives (multiclass: row ``i`` predicted ``c`` adds
``p_ij`` to cell (true ``j``, predicted ``c``)). Accuracy, precision, recall
and F1 follow from it; ROC AUC from the expected count of correctly ordered
(positive, negative) pairs (:func:`~driftline.estimate._confusion.expected_auc`).
This is the method of NannyML's CBPE.

It holds under covariate shift (the inputs move, ``P(y | x)`` stays), which
is the common case; it cannot see concept shift (the same inputs now mean
another label), which only labels reveal.

Probabilities are rarely calibrated out of the box, so :meth:`CBPE.fit`
recalibrates them on the labelled reference first when that lowers the log
loss on reference rows held out from the recalibration (the choice of
:func:`driftline.calibration.fit_calibrator` with ``method="auto"``, where
leaving them unchanged is a candidate too); otherwise the raw probabilities
are used.

The band: labels are drawn ``n_simulations`` times from the window's
calibrated probabilities and each draw's metric computed; the band holds the
central ``confidence`` share of those values. It is a prediction interval for
the value the metric will have once this window's labels arrive, if the
calibrated probabilities are right for these rows (it does not include the
error of the calibration itself, nor any concept shift).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from driftline.errors import InputError
from driftline.estimate._confusion import (
    CONFUSION_METRICS,
    expected_auc,
    from_confusion,
    simulated_auc,
    simulated_confusion,
)
from driftline.estimate._window import MetricEstimate
from driftline.metrics import macro_average

__all__ = ["CBPE", "CBPE_METRICS"]

CBPE_METRICS = (*CONFUSION_METRICS, "roc_auc")
# Draws x rows held in memory at once by the simulation.
_CELLS = 4_000_000


class CBPE:
    """Confidence-based performance estimation for a classifier.

    Parameters
    ----------
    metrics:
        Any of accuracy, precision, recall, f1, roc_auc.
    calibration:
        ``"auto"`` (recalibrate on the reference when it helps on held-out
        rows), ``"none"``, or a method of :func:`driftline.calibration.fit_calibrator`
        to always apply (``"platt"``, ``"isotonic"``, ``"temperature"``).
    confidence:
        Share of the simulated realized values the band holds.
    n_simulations:
        Label draws per window for the band.
    seed:
        Seed of the draws (and of the cross-fitting folds).

    Learned state: ``classes_``, ``calibrator_`` (None when none applied),
    ``calibration_`` (its name or ``"none"``), ``reference_`` (each metric
    realized on the reference), ``n_reference_``.
    """

    def __init__(
        self,
        *,
        metrics: Sequence[str] = ("accuracy", "f1", "roc_auc"),
        calibration: str = "auto",
        confidence: float = 0.95,
        n_simulations: int = 500,
        seed: int = 0,
    ) -> None:
        self.metrics = metrics
        self.calibration = calibration
        self.confidence = confidence
        self.n_simulations = n_simulations
        self.seed = seed

    def fit(
        self,
        y_true: Any,
        y_proba: Any,
        *,
        classes: Sequence[Any] | np.ndarray,
        y_pred: Any = None,
    ) -> CBPE:
        """Learn the recalibration from the labelled reference's labels and probabilities."""
        check_metrics(self.metrics, CBPE_METRICS, "a classifier")
        check_confidence(self.confidence)
        if isinstance(self.n_simulations, bool) or not (
            isinstance(self.n_simulations, int) and self.n_simulations >= 20
        ):
            raise InputError(
                f"n_simulations must be a whole number of at least 20 (draws behind each band), "
                f"got {self.n_simulations!r}"
            )
        self.classes_ = np.asarray(list(classes), dtype=object)
        if len(self.classes_) < 2:
            raise InputError(f"a classifier needs at least two classes, got {list(classes)!r}")
        proba = self._proba(y_proba, "the reference")
        truth = np.asarray(y_true, dtype=object)
        if len(truth) != len(proba):
            raise InputError(
                f"the reference has {len(truth)} labels but {len(proba)} rows of probabilities"
            )
        index = self._index(truth, "the reference's labels")
        present = np.unique(index)
        if len(present) < 2:
            raise InputError(
                f"the reference's labels are all {self.classes_[present[0]]!r}: estimating "
                "performance needs a reference with every class the model predicts (at least two)"
            )
        labels = self.classes_[index]
        self.calibrator_, self.calibration_ = self._choose_calibrator(labels, proba)
        predicted = self._predicted(y_pred, proba, "the reference")
        self.reference_ = realized(
            self.metrics, labels, self.classes_[predicted], proba, self.classes_
        )
        self.n_reference_ = len(proba)
        return self

    def calibrated(self, y_proba: Any) -> np.ndarray:
        """The probabilities after the learned recalibration (unchanged without one)."""
        proba = self._proba(y_proba, "the current data")
        return self._calibrate(proba)

    def estimate(
        self, y_proba: Any, y_pred: Any = None, *, y_true: Any = None
    ) -> dict[str, MetricEstimate]:
        """Estimated metrics of one window, with bands; realized too where ``y_true`` has labels.

        ``y_true`` may hold missing values (rows whose labels have not arrived).
        """
        if not hasattr(self, "classes_"):
            raise InputError("call fit(reference labels, probabilities) before estimate()")
        raw = self._proba(y_proba, "the current data")
        if len(raw) == 0:
            raise InputError("the window has no rows")
        predicted = self._predicted(y_pred, raw, "the current data")
        proba = self._calibrate(raw)
        k = len(self.classes_)
        names = list(self.metrics)
        # The expected confusion matrix: cell (true j, predicted c) sums p_ij over rows predicted c.
        expected = np.zeros((k, k))
        for c in range(k):
            expected[:, c] = proba[predicted == c].sum(axis=0)
        values = {name: float(v) for name, v in from_confusion(expected, names).items()}
        if "roc_auc" in names:
            values["roc_auc"] = self._expected_auc(raw, proba)
        draws = self._simulate(raw, proba, predicted, names)
        alpha = (1 - self.confidence) / 2
        truth = self._realized(y_true, raw, predicted)
        out = {}
        for name in names:
            sample = draws[name][np.isfinite(draws[name])]
            low, high = (
                (float(np.quantile(sample, alpha)), float(np.quantile(sample, 1 - alpha)))
                if len(sample)
                else (float("nan"), float("nan"))
            )
            out[name] = MetricEstimate(
                values[name], low, high, None if truth is None else truth[name]
            )
        return out

    # -- steps ---------------------------------------------------------------------

    def _proba(self, y_proba: Any, where: str) -> np.ndarray:
        proba = np.asarray(y_proba, dtype=float)
        k = len(self.classes_)
        if proba.ndim == 1 and k == 2:
            proba = np.column_stack([1 - proba, proba])
        if proba.ndim != 2 or proba.shape[1] != k:
            raise InputError(
                f"probabilities of {where} must have one column per class ({k}: "
                f"{', '.join(map(str, self.classes_))}), got shape {proba.shape}"
            )
        if not np.isfinite(proba).all():
            row = int(np.argwhere(~np.isfinite(proba))[0][0])
            raise InputError(f"probabilities of {where} are missing or infinite in row {row}")
        if proba.size and (proba.min() < -1e-9 or proba.max() > 1 + 1e-9):
            raise InputError(f"probabilities of {where} must lie between 0 and 1")
        return np.clip(proba, 0.0, 1.0)

    def _index(self, labels: np.ndarray, where: str) -> np.ndarray:
        lookup = {c: i for i, c in enumerate(self.classes_.tolist())}
        by_text = {str(c): i for i, c in enumerate(self.classes_.tolist())}
        out = np.empty(len(labels), dtype=np.intp)
        for i, label in enumerate(labels.tolist()):
            found = lookup.get(label)
            if found is None:
                found = by_text.get(str(label))
            if found is None:
                raise InputError(
                    f"{where} hold {label!r} (row {i}), which is not a class of the model "
                    f"({', '.join(map(repr, self.classes_.tolist()))})"
                )
            out[i] = found
        return out

    def _predicted(self, y_pred: Any, proba: np.ndarray, where: str) -> np.ndarray:
        if y_pred is None:
            return np.asarray(proba.argmax(axis=1), dtype=np.intp)
        labels = np.asarray(y_pred, dtype=object)
        if len(labels) != len(proba):
            raise InputError(
                f"{where} has {len(labels)} predictions but {len(proba)} rows of probabilities"
            )
        return self._index(labels, f"the predictions of {where}")

    def _choose_calibrator(self, labels: np.ndarray, proba: np.ndarray) -> tuple[Any, str]:
        if self.calibration in (None, "none", "identity"):
            return None, "none"
        from driftline.calibration import fit_calibrator

        # "auto" lets fit_calibrator choose by cross-validated log loss on the
        # reference, with "leave the probabilities alone" among the candidates.
        try:
            calibrator = fit_calibrator(
                labels, proba, classes=list(self.classes_), method=self.calibration, seed=self.seed
            )
        except InputError:
            if self.calibration != "auto":
                raise
            return None, "none"  # too few labelled rows of some class to recalibrate
        method = str(getattr(calibrator, "method", self.calibration))
        if method == "identity":
            return None, "none"
        return calibrator, method

    def _realized(
        self, y_true: Any, raw: np.ndarray, predicted: np.ndarray
    ) -> dict[str, float] | None:
        if y_true is None:
            return None
        known = labelled(y_true, len(raw))
        if not known.any():
            return None
        truth = np.asarray(y_true, dtype=object)[known]
        labels = self.classes_[self._index(truth, "the current data's labels")]
        return realized(
            self.metrics, labels, self.classes_[predicted[known]], raw[known], self.classes_
        )

    def _calibrate(self, proba: np.ndarray) -> np.ndarray:
        if self.calibrator_ is None:
            return proba
        out = np.clip(np.asarray(self.calibrator_.transform(proba), dtype=float), 0.0, 1.0)
        if out.ndim == 1:
            out = np.column_stack([1 - out, out])
        total = out.sum(axis=1, keepdims=True)
        return np.divide(out, total, out=np.full_like(out, 1 / out.shape[1]), where=total > 0)

    def _expected_auc(self, raw: np.ndarray, proba: np.ndarray) -> float:
        # Ranked by the model's own scores (what its realized AUC ranks by),
        # weighted by the calibrated chance that each row is of the class.
        if proba.shape[1] == 2:
            return expected_auc(raw[:, 1], proba[:, 1])
        return float(
            macro_average(
                [np.array([expected_auc(raw[:, j], proba[:, j])]) for j in range(raw.shape[1])]
            )[0]
        )

    def _simulate(
        self, raw: np.ndarray, proba: np.ndarray, predicted: np.ndarray, names: list[str]
    ) -> dict[str, np.ndarray]:
        rng = np.random.default_rng(self.seed)
        n, k = proba.shape
        batch = max(1, min(self.n_simulations, _CELLS // max(n * k, 1)))
        parts: dict[str, list[np.ndarray]] = {name: [] for name in names}
        cumulative = np.cumsum(proba, axis=1)[:, :-1]
        done = 0
        while done < self.n_simulations:
            s = min(batch, self.n_simulations - done)
            u = rng.random((s, n))
            if k == 2:
                draws = (u < proba[:, 1]).astype(np.intp)
            else:
                draws = (u[:, :, None] > cumulative[None, :, :]).sum(axis=2)
            confusion = simulated_confusion(draws, predicted, k)
            for name, values in from_confusion(confusion, names).items():
                parts[name].append(values)
            if "roc_auc" in names:
                if k == 2:
                    auc = simulated_auc(raw[:, 1], draws.astype(float))
                else:
                    auc = macro_average(
                        [simulated_auc(raw[:, j], (draws == j).astype(float)) for j in range(k)]
                    )
                parts["roc_auc"].append(auc)
            done += s
        return {name: np.concatenate(p) for name, p in parts.items()}


def check_confidence(confidence: float) -> None:
    if isinstance(confidence, bool) or not isinstance(confidence, int | float):
        raise InputError(f"confidence must be a number between 0 and 1, got {confidence!r}")
    if not 0 < confidence < 1:
        raise InputError(f"confidence must be between 0 and 1, got {confidence!r}")


def check_metrics(metrics: Sequence[str], known: Sequence[str], what: str) -> None:
    if isinstance(metrics, str) or not len(metrics):
        raise InputError(f"metrics must be a list of metric names, got {metrics!r}")
    unknown = [m for m in metrics if m not in known]
    if unknown:
        raise InputError(
            f"cannot estimate {', '.join(map(repr, unknown))} for {what}; "
            f"estimable: {', '.join(known)}"
        )


def realized(
    metrics: Sequence[str],
    y_true: np.ndarray,
    y_pred: np.ndarray,
    y_proba: np.ndarray,
    classes: np.ndarray,
) -> dict[str, float]:
    """Each metric on labelled rows, by :func:`driftline.metrics.metric_value`."""
    from driftline.metrics import metric_value

    if len(y_true) == 0:
        return {name: float("nan") for name in metrics}
    out = {}
    for name in metrics:
        try:
            out[name] = float(
                metric_value(name, y_true, y_pred=y_pred, y_proba=y_proba, classes=classes)
            )
        except InputError:
            out[name] = float("nan")  # e.g. ROC AUC of rows that are all one class
    return out


def labelled(y_true: Any, n: int) -> np.ndarray:
    """Which of ``n`` labels are known (not None, NaN or NA)."""
    import pandas as pd

    truth = np.asarray(y_true, dtype=object)
    if truth.ndim != 1 or len(truth) != n:
        raise InputError(f"the window has {n} rows but {len(truth)} labels")
    return np.asarray(~pd.isna(pd.Series(truth, dtype=object)).to_numpy(), dtype=bool)
