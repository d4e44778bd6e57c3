"""Every metric as a function of row weights.

A metric here takes a weight matrix ``W`` of shape (b, n): row ``j`` of ``W``
says how many times each of the n rows counts in evaluation ``j``. All ones
gives the plain value; multinomial counts give bootstrap resamples. One code
path for both means an interval is always around the same number that is
reported, and b resamples cost a few matrix products instead of b calls.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = [
    "CLASSIFICATION_METRICS",
    "HIGHER_IS_BETTER",
    "METRIC_LABELS",
    "REGRESSION_METRICS",
    "Encoded",
    "macro_average",
    "metric_label",
    "scorer",
]

CLASSIFICATION_METRICS = (
    "accuracy",
    "precision",
    "recall",
    "f1",
    "roc_auc",
    "pr_auc",
    "log_loss",
    "brier",
)
REGRESSION_METRICS = ("mae", "rmse", "r2", "mape")
# Metrics that need probabilities, not just labels.
PROBABILITY_METRICS = frozenset({"roc_auc", "pr_auc", "log_loss", "brier"})
HIGHER_IS_BETTER: dict[str, bool] = {
    "accuracy": True,
    "precision": True,
    "recall": True,
    "f1": True,
    "roc_auc": True,
    "pr_auc": True,
    "log_loss": False,
    "brier": False,
    "mae": False,
    "rmse": False,
    "r2": True,
    "mape": False,
}
# How people write each metric, for sentences and tables.
METRIC_LABELS: dict[str, str] = {
    "accuracy": "accuracy",
    "precision": "precision",
    "recall": "recall",
    "f1": "F1",
    "roc_auc": "ROC AUC",
    "pr_auc": "PR AUC",
    "log_loss": "log loss",
    "brier": "Brier score",
    "mae": "MAE",
    "rmse": "RMSE",
    "r2": "R²",
    "mape": "MAPE",
}
_EPS = np.finfo(np.float64).eps
_LOG_CLIP = 1e-15


@dataclass(frozen=True)
class Encoded:
    """Labels as class positions (classification) or floats (regression)."""

    task: str
    y_true: np.ndarray
    y_pred: np.ndarray
    y_proba: np.ndarray | None = None  # (n, k), columns in class order
    n_classes: int = 0


def metric_label(name: str) -> str:
    """A metric's name as people write it: ``"roc_auc"`` -> ``"ROC AUC"``."""
    return METRIC_LABELS.get(name, name.replace("_", " "))


def macro_average(per_class: list[np.ndarray]) -> np.ndarray:
    """Mean over the classes whose value is defined (a class absent from a sample has no AUC)."""
    stacked = np.stack(per_class)
    defined = np.isfinite(stacked)
    count = defined.sum(axis=0)
    total = np.where(defined, stacked, 0.0).sum(axis=0)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    # 0/0 is 0, as scikit-learn's default zero_division: a class never
    # predicted has precision 0, not an undefined hole in the report.
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)


def _mean(W: np.ndarray, values: np.ndarray) -> np.ndarray:
    return (W @ values) / W.sum(axis=1)


def _counts(W: np.ndarray, truth: np.ndarray, pred: np.ndarray) -> tuple[np.ndarray, ...]:
    """Weighted true positives, false positives and false negatives, per class: (b, k)."""
    tp = W @ (truth & pred).astype(float)
    fp = W @ (~truth & pred).astype(float)
    fn = W @ (truth & ~pred).astype(float)
    return tp, fp, fn


def _onehot(labels: np.ndarray, k: int) -> np.ndarray:
    out = np.zeros((len(labels), k), dtype=bool)
    out[np.arange(len(labels)), labels] = True
    return out


class _Ranked:
    """A score sorted once, so AUCs of any weights are cumulative sums over tie groups."""

    def __init__(self, score: np.ndarray, positive: np.ndarray) -> None:
        order = np.argsort(score, kind="mergesort")
        sorted_score = score[order]
        self.order = order
        self.starts = np.flatnonzero(np.r_[True, sorted_score[1:] != sorted_score[:-1]])
        self.positive = positive[order].astype(float)

    def aucs(self, W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """ROC AUC and average precision (scikit-learn's definitions) for each row of W."""
        # Written with in-place operations: this is the hot loop of the bootstrap.
        Ws = W[:, self.order]
        ties = len(self.starts) < Ws.shape[1]
        neg = np.add.reduceat(Ws, self.starts, axis=1) if ties else Ws.copy()
        np.multiply(Ws, self.positive, out=Ws)
        pos = np.add.reduceat(Ws, self.starts, axis=1) if ties else Ws
        neg -= pos  # weight per tie group, ascending score
        n_pos, n_neg = pos.sum(axis=1), neg.sum(axis=1)
        below = np.cumsum(neg, axis=1)
        below -= neg  # negatives strictly below each group
        neg *= 0.5
        neg += below
        wins = np.einsum("ij,ij->i", pos, neg)
        # Average precision: thresholds from the highest score down; each group's
        # gain in recall times the precision of everything at or above it.
        tp = np.cumsum(pos, axis=1)
        tp -= pos
        np.subtract(n_pos[:, None], tp, out=tp)
        np.subtract(n_neg[:, None], below, out=below)  # false positives at or above
        below += tp
        np.maximum(below, 1e-300, out=below)  # 0 only where pos is 0 too
        tp /= below
        ap = np.einsum("ij,ij->i", pos, tp)
        with np.errstate(divide="ignore", invalid="ignore"):
            roc = np.where(n_pos * n_neg > 0, wins / (n_pos * n_neg), np.nan)
            ap = np.where(n_pos > 0, ap / n_pos, np.nan)
        return roc, ap


class _Classification:
    def __init__(self, enc: Encoded) -> None:
        k = enc.n_classes
        self.binary = k == 2
        self.truth = _onehot(enc.y_true, k)
        self.pred = _onehot(enc.y_pred, k)
        self.correct = (enc.y_true == enc.y_pred).astype(float)
        self.proba = enc.y_proba
        self.ranked: list[_Ranked] = []
        if enc.y_proba is not None:
            p = np.clip(enc.y_proba, 0.0, 1.0)
            p_true = p[np.arange(len(enc.y_true)), enc.y_true]
            self.nll = -np.log(np.clip(p_true, _LOG_CLIP, 1.0))
            if self.binary:
                self.sq = (p[:, 1] - (enc.y_true == 1)) ** 2
                self.ranked = [_Ranked(p[:, 1], self.truth[:, 1])]
            else:
                self.sq = ((p - self.truth) ** 2).sum(axis=1)
                self.ranked = [_Ranked(p[:, c], self.truth[:, c]) for c in range(k)]

    def scores(
        self, W: np.ndarray, names: tuple[str, ...]
    ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """Overall metrics (b,) and per-class metrics (b, k) for each row of W."""
        tp, fp, fn = _counts(W, self.truth, self.pred)
        per = {
            "precision": _ratio(tp, tp + fp),
            "recall": _ratio(tp, tp + fn),
            "f1": _ratio(2 * tp, 2 * tp + fp + fn),
        }
        out = {"accuracy": _mean(W, self.correct)}
        for name in ("precision", "recall", "f1"):
            # Binary: the positive class (the second); multiclass: macro average.
            out[name] = per[name][:, 1] if self.binary else per[name].mean(axis=1)
        if self.proba is not None:
            out["log_loss"] = _mean(W, self.nll)
            out["brier"] = _mean(W, self.sq)
            if {"roc_auc", "pr_auc"} & set(names) or not self.binary:
                roc, ap = zip(*(r.aucs(W) for r in self.ranked), strict=True)
                out["roc_auc"], out["pr_auc"] = macro_average(list(roc)), macro_average(list(ap))
                if not self.binary:
                    per["roc_auc"], per["pr_auc"] = np.stack(roc, axis=1), np.stack(ap, axis=1)
        return {k: out[k] for k in names if k in out}, per


class _Regression:
    def __init__(self, enc: Encoded) -> None:
        y, e = enc.y_true, enc.y_pred - enc.y_true
        self.columns = {
            "abs": np.abs(e),
            "sq": e**2,
            "y": y,
            "y2": y**2,
            "ape": np.abs(e) / np.maximum(np.abs(y), _EPS),
        }

    def overall(self, W: np.ndarray, names: tuple[str, ...]) -> dict[str, np.ndarray]:
        c = self.columns
        total = W.sum(axis=1)
        sse = W @ c["sq"]
        sst = W @ c["y2"] - (W @ c["y"]) ** 2 / total
        # A total sum of squares of rounding-error size overflows the ratio: R2 is then -inf.
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            r2 = np.where(sst > 0, 1.0 - sse / np.where(sst > 0, sst, 1.0), np.nan)
        values = {
            "mae": (W @ c["abs"]) / total,
            "rmse": np.sqrt(sse / total),
            "r2": r2,
            "mape": (W @ c["ape"]) / total,
        }
        return {k: values[k] for k in names}


Scorer = Callable[[np.ndarray], tuple[dict[str, np.ndarray], dict[str, np.ndarray]]]


def scorer(enc: Encoded, names: tuple[str, ...]) -> Scorer:
    """A function from weights (b, n) to each metric's b values, overall and per class (b, k)."""
    if enc.task == "regression":
        reg = _Regression(enc)
        return lambda W: (reg.overall(W, names), {})
    cls = _Classification(enc)
    return lambda W: cls.scores(W, names)
