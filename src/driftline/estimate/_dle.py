"""DLE: a regressor's error estimated by a model of its loss.

On the labelled reference, the absolute error ``|y - ŷ|`` and the squared
error ``(y - ŷ)²`` of every row are known. Two gradient-boosted trees
(scikit-learn's ``HistGradientBoostingRegressor``) learn them from the
inputs and the prediction; on a window without labels their mean predictions
estimate the MAE and the MSE (RMSE is its square root). This is NannyML's
direct loss estimation. Like CBPE it holds under covariate shift, where
``P(y | x)`` does not change: a model that is less sure in some region of the
inputs (heteroscedastic noise, a poor fit there) has larger errors there,
and a window that moves into that region is estimated to do worse.

The band: the realized MAE of a window is a mean of row errors, each
scattered around its estimate; so the band is the estimate plus or minus
``z`` standard errors, the variance of each row's error estimated from the
two loss models (``E[e²] - E[|e|]²`` for the absolute error; the squared
error's scatter in proportion to its estimate). The scale of both is fitted
on the reference with cross-fitting: the loss models are trained on some
folds and judged on the rows held out, so the band reflects how wrong they
are on rows they did not see. Like CBPE's, the band is a prediction interval
for the value the window will have once its labels arrive; it does not cover
a loss model that extrapolates badly far outside the reference.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from driftline.errors import InputError
from driftline.estimate._checks import check_confidence, check_metrics, labelled
from driftline.estimate._window import MetricEstimate

__all__ = ["DLE", "DLE_METRICS"]

DLE_METRICS = ("mae", "rmse")
# HistGradientBoosting takes at most 255 categories a column; the rest count as missing.
_MAX_CATEGORIES = 250
# Below this many rows OpenMP threads cost more than they bring: on a busy
# 2-core machine a 5,000-row fit took 3.5 s with them and 0.04 s without.
_THREADED_ROWS = 200_000


def _threads(rows: int) -> Any:
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=None if rows >= _THREADED_ROWS else 1, user_api="openmp")


class DLE:
    """Direct loss estimation for a regressor.

    Parameters
    ----------
    metrics:
        Any of mae, rmse.
    confidence:
        Share of the realized values the band should hold.
    n_folds:
        Folds of the cross-fitting that sizes the band.
    max_iter:
        Boosting rounds of each loss model.
    seed:
        Seed of the folds and the trees.

    Learned state: ``features_``, ``categories_`` (of text columns),
    ``loss_models_`` (absolute, squared),
    ``scale_`` (band variance factors), ``reference_`` (metrics realized on
    the reference), ``n_reference_``.
    """

    def __init__(
        self,
        *,
        metrics: Sequence[str] = ("mae", "rmse"),
        confidence: float = 0.95,
        n_folds: int = 3,
        max_iter: int = 100,
        seed: int = 0,
    ) -> None:
        self.metrics = metrics
        self.confidence = confidence
        self.n_folds = n_folds
        self.max_iter = max_iter
        self.seed = seed

    def fit(self, X: pd.DataFrame, y_true: Any, y_pred: Any) -> DLE:
        """Learn the loss models from the reference's inputs, labels and predictions."""
        from sklearn.model_selection import KFold

        check_metrics(self.metrics, DLE_METRICS, "a regressor")
        check_confidence(self.confidence)
        truth = _numbers(y_true, "the reference's target")
        pred = _numbers(y_pred, "the reference's predictions")
        if len(truth) != len(pred) or len(truth) != len(X):
            raise InputError(
                f"the reference has {len(X)} rows, {len(truth)} targets and {len(pred)} predictions"
            )
        if len(truth) < 10 * self.n_folds:
            raise InputError(
                f"direct loss estimation needs at least {10 * self.n_folds} labelled reference "
                f"rows, got {len(truth)}"
            )
        self._learn_encoding(X)
        matrix = self._matrix(X, pred)
        error = pred - truth
        targets = (np.abs(error), error**2)
        held_abs, held_sq = np.empty(len(truth)), np.empty(len(truth))
        splitter = KFold(self.n_folds, shuffle=True, random_state=self.seed)
        with _threads(len(matrix)):
            for train, test in splitter.split(matrix):
                a, s = (self._tree().fit(matrix[train], t[train]) for t in targets)
                held_abs[test], held_sq[test] = _moments(
                    a.predict(matrix[test]), s.predict(matrix[test])
                )
            self.loss_models_ = tuple(self._tree().fit(matrix, t) for t in targets)
        # Band scale: how far the real row errors fall from held-out estimates,
        # relative to the scatter the loss models themselves imply.
        implied_abs = held_sq - held_abs**2
        seen_abs = (targets[0] - held_abs) ** 2
        self.scale_ = {
            "mae": float(seen_abs.sum() / implied_abs.sum()) if implied_abs.sum() > 0 else 1.0,
            "mse": float(((targets[1] - held_sq) ** 2).sum() / max((held_sq**2).sum(), 1e-300)),
        }
        self.scale_["abs_variance"] = float(seen_abs.mean())
        self.reference_ = {
            name: v
            for name, v in {
                "mae": float(targets[0].mean()),
                "rmse": float(np.sqrt(targets[1].mean())),
            }.items()
            if name in self.metrics
        }
        self.n_reference_ = len(truth)
        return self

    def estimate(
        self, X: pd.DataFrame, y_pred: Any, *, y_true: Any = None
    ) -> dict[str, MetricEstimate]:
        """Estimated metrics of one window, with bands; realized too where ``y_true`` has labels."""
        if not hasattr(self, "loss_models_"):
            raise InputError("call fit(reference inputs, targets, predictions) before estimate()")
        from scipy.stats import norm

        pred = _numbers(y_pred, "the current predictions")
        if len(pred) == 0:
            raise InputError("the window has no rows")
        matrix = self._matrix(X, pred)
        with _threads(len(matrix)):
            a, s = _moments(*(m.predict(matrix) for m in self.loss_models_))
        n = len(pred)
        z = float(norm.ppf(0.5 + self.confidence / 2))
        out: dict[str, MetricEstimate] = {}
        realized = self._realized(y_true, pred)
        if "mae" in self.metrics:
            spread = np.maximum(s - a**2, 0.0)
            var = (
                self.scale_["mae"] * spread.sum() / n**2
                if spread.sum() > 0
                else self.scale_["abs_variance"] / n
            )
            value, half = float(a.mean()), z * float(np.sqrt(var))
            out["mae"] = MetricEstimate(
                value, max(value - half, 0.0), value + half, _get(realized, "mae")
            )
        if "rmse" in self.metrics:
            mse = float(s.mean())
            half = z * float(np.sqrt(self.scale_["mse"] * (s**2).sum() / n**2))
            out["rmse"] = MetricEstimate(
                float(np.sqrt(mse)),
                float(np.sqrt(max(mse - half, 0.0))),
                float(np.sqrt(mse + half)),
                _get(realized, "rmse"),
            )
        return out

    # -- steps ---------------------------------------------------------------------

    def _tree(self) -> Any:
        from sklearn.ensemble import HistGradientBoostingRegressor

        # No early stopping: it stops when rows like the reference's are fitted,
        # before the trees have learned the edges of the reference, which is where
        # shifted windows go (in the benchmark's strong shift it doubled the error).
        return HistGradientBoostingRegressor(
            max_iter=self.max_iter,
            learning_rate=0.05,
            max_leaf_nodes=15,
            min_samples_leaf=40,
            l2_regularization=1.0,
            early_stopping=False,
            categorical_features=[name in self.categories_ for name in self.features_] + [False],
            random_state=self.seed,
        )

    def _learn_encoding(self, X: pd.DataFrame) -> None:
        self.features_: list[str] = []
        self.categories_: dict[str, list[Any]] = {}
        for name in X.columns:
            column = X[name]
            if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
                self.features_.append(str(name))
            elif pd.api.types.is_datetime64_any_dtype(column):
                continue  # a time stamp says when, not what: no basis to extrapolate from
            else:
                counts = column.astype("string").value_counts()
                self.categories_[str(name)] = counts.index[:_MAX_CATEGORIES].tolist()
                self.features_.append(str(name))

    def _matrix(self, X: pd.DataFrame, pred: np.ndarray) -> np.ndarray:
        missing = [c for c in self.features_ if c not in X.columns]
        if missing:
            raise InputError(
                f"the current data lacks the input column(s) {', '.join(missing)} the reference has"
            )
        if len(X) != len(pred):
            raise InputError(f"the window has {len(X)} rows but {len(pred)} predictions")
        columns = []
        for name in self.features_:
            column = X[name]
            if name in self.categories_:
                codes = {c: float(i) for i, c in enumerate(self.categories_[name])}
                # Unseen categories become missing values, which the trees route on their own.
                text = column.astype("string").tolist()
                columns.append(np.array([codes.get(v, np.nan) for v in text], dtype=float))
            else:
                columns.append(pd.to_numeric(column, errors="coerce").to_numpy(dtype=float))
        columns.append(pred)
        return np.column_stack(columns)

    def _realized(self, y_true: Any, pred: np.ndarray) -> dict[str, float] | None:
        if y_true is None:
            return None
        known = labelled(y_true, len(pred))
        if not known.any():
            return None
        from driftline.metrics import metric_value

        truth = _numbers(np.asarray(y_true, dtype=object)[known], "the current data's target")
        return {
            name: float(metric_value(name, truth, y_pred=pred[known], task="regression"))
            for name in self.metrics
        }


def _moments(abs_pred: np.ndarray, sq_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # Losses are never negative, and E[e²] >= E[|e|]² always.
    a = np.maximum(abs_pred, 0.0)
    return a, np.maximum(sq_pred, a**2)


def _numbers(values: Any, what: str) -> np.ndarray:
    try:
        out = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"{what} must be numbers for a regressor") from None
    if out.ndim != 1:
        raise InputError(f"{what} must be one number per row, got shape {out.shape}")
    if not np.isfinite(out).all():
        row = int(np.argwhere(~np.isfinite(out))[0][0])
        raise InputError(f"{what} is missing or infinite in row {row}")
    return out


def _get(values: dict[str, float] | None, name: str) -> float | None:
    return None if values is None else values[name]
