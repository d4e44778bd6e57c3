"""Importance weighting: the reference's realized metrics, reweighted to look like a window;
and the doubly robust estimate, CBPE's corrected by the reference's residuals so weighted.

A domain classifier learns to tell reference rows from the window's rows by
their inputs and the model's scores; its odds ``q / (1 - q)`` at a reference
row estimate the density ratio ``p_window(x) / p_reference(x)`` (Sugiyama et
al., 2007; Shimodaira, 2000). The reference rows' labels are known, so any
metric realized on the reference with these weights is an estimate of the
metric on the window. Unlike CBPE it does not trust the model's
probabilities at all: it sees where in input space the model errs more than
its scores admit (a season, a region), as long as the reference holds such
rows. It needs the inputs of both, and a reference covering the window.

Each window's classifier sees its numeric inputs already cut into bins, at
the same weighted quantiles scikit-learn would choose (the window's rows
weigh as much as the reference's): scikit-learn finds them one weighted
percentile at a time, 90% of a window's time on the rainfall table; one
sort a column here. The cuts are the window's own, not the reference's:
with cuts fixed on the reference, rainfall's visibility (up to 2.1 in later
years, 0.8 at most in the reference) put the window's rows in the
reference's top bin, and its few rows there carried the window (accuracy
error 0.072 against 0.048).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from driftline.estimate._confusion import expected_auc, from_confusion
from driftline.metrics import macro_average

__all__ = [
    "Reweighter",
    "corrected_metrics",
    "left_out_recalibrations",
    "left_out_weighted_metrics",
    "recalibrate",
    "recalibrated_toward",
    "toward",
    "weighted_auc",
    "weighted_metrics",
]

# HistGradientBoosting takes at most 255 categories a column; the rest count as missing.
_MAX_CATEGORIES = 250
# Reference rows the domain classifier learns from, at most (the weights are
# still computed for every reference row).
_FIT_ROWS = 10_000
# Odds are clipped to this range: a few reference rows must not carry the window alone.
_MIN_Q, _MAX_Q = 0.01, 0.99
# Bins of a numeric input, as many as the classifier's own binning keeps.
_BINS = 255


class Reweighter:
    """Density-ratio weights of the reference's rows, learned per window by a domain classifier."""

    def __init__(self, X: pd.DataFrame, scores: np.ndarray, *, seed: int = 0) -> None:
        self.seed = seed
        self.features: list[str] = []
        self.categories: dict[str, dict[str, float]] = {}
        for name in X.columns:
            column = X[name]
            if pd.api.types.is_datetime64_any_dtype(column):
                continue  # a time stamp says when, not what: it would tell the sides apart alone
            if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
                values = pd.to_numeric(column, errors="coerce")
                # A counter or an id (strictly increasing) separates any two periods by itself.
                if len(values) > 2 and values.is_monotonic_increasing and values.is_unique:
                    continue
                self.features.append(str(name))
            else:
                counts = column.astype("string").value_counts()
                top = counts.index[:_MAX_CATEGORIES].tolist()
                self.categories[str(name)] = {str(c): float(i) for i, c in enumerate(top)}
                self.features.append(str(name))
        self.reference = self._matrix(X, scores)
        self.numeric = [name not in self.categories for name in self.features] + [True] * (
            self.reference.shape[1] - len(self.features)
        )

    @property
    def usable(self) -> bool:
        return bool(self.features)

    def weights(self, X: pd.DataFrame, scores: np.ndarray) -> tuple[np.ndarray, float] | None:
        """Each reference row's weight toward ``X``'s rows, and how much of the window the
        reference overlaps (:meth:`weights_of`); None when the window lacks inputs."""
        if not self.usable or any(c not in X.columns for c in self.features) or len(X) < 2:
            return None
        return self.weights_of(self.reference, self._matrix(X, scores))

    def weights_of(self, reference: np.ndarray, window: np.ndarray) -> tuple[np.ndarray, float]:
        """Weights of ``reference``'s rows toward ``window``'s (both already encoded), and
        the two sides' overlapping coefficient, ``∫ min(p_window, p_reference)``: the mean
        over the window's rows of ``min(1, (1 - q) / q)``, 1 where the reference holds rows
        like all of the window's, 0 where it holds none (Weitzman, 1970)."""
        from sklearn.ensemble import HistGradientBoostingClassifier

        rng = np.random.default_rng(self.seed)
        fit_rows = (
            rng.choice(len(reference), _FIT_ROWS, replace=False)
            if len(reference) > _FIT_ROWS
            else np.arange(len(reference))
        )
        data = np.vstack([reference[fit_rows], window])
        side = np.r_[np.zeros(len(fit_rows)), np.ones(len(window))]
        # Balanced classes: the odds then estimate the density ratio up to a constant,
        # which the weighted averages divide out.
        balance = np.where(side == 1, len(fit_rows) / len(window), 1.0)
        cuts = [
            _cuts(data[:, j], balance) if numeric else None
            for j, numeric in enumerate(self.numeric)
        ]
        leaf = int(max(20, min(200, len(window) // 20)))
        classifier = HistGradientBoostingClassifier(
            max_iter=40,
            learning_rate=0.1,
            max_leaf_nodes=8,
            min_samples_leaf=leaf,
            l2_regularization=1.0,
            early_stopping=False,
            categorical_features=[not numeric for numeric in self.numeric],
            random_state=self.seed,
        )
        binned = _binned(data, cuts)
        with _one_thread():
            classifier.fit(binned, side, sample_weight=balance)
            q = classifier.predict_proba(_binned(reference, cuts))[:, 1]
            seen = classifier.predict_proba(binned[len(fit_rows) :])[:, 1]
        seen = np.clip(seen, 1e-12, 1.0)
        overlap = float(np.minimum(1.0, (1.0 - seen) / seen).mean())
        q = np.clip(q, _MIN_Q, _MAX_Q)
        return np.asarray(q / (1 - q)), overlap

    def _matrix(self, X: pd.DataFrame, scores: np.ndarray) -> np.ndarray:
        columns = []
        for name in self.features:
            column = X[name]
            if name in self.categories:
                codes = self.categories[name]
                text = column.astype("string").tolist()
                columns.append(np.array([codes.get(str(v), np.nan) for v in text], dtype=float))
            else:
                columns.append(pd.to_numeric(column, errors="coerce").to_numpy(dtype=float))
        s = np.asarray(scores, dtype=float).reshape(len(X), -1)
        # The model's view of the rows: log-odds spread the extremes where it is most sure.
        clipped = np.clip(s[:, 1:] if s.shape[1] == 2 else s, 1e-6, 1 - 1e-6)
        columns.extend(np.log(clipped / (1 - clipped)).T)
        return np.column_stack(columns) if columns else np.empty((len(X), 0))


def _cuts(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The classifier's own cuts of one column: midpoints of its distinct values, or
    (more than ``_BINS`` of them) its weighted quantiles, ``_BINS`` bins."""
    known = ~np.isnan(values)
    order = np.argsort(values[known], kind="stable")
    v, w = values[known][order], weights[known][order]
    distinct = np.unique(v)
    if len(distinct) <= _BINS:
        return np.asarray((distinct[1:] + distinct[:-1]) / 2)
    # The least value whose cumulative weight reaches each share, averaged with the next
    # where it reaches it exactly, as scikit-learn's weighted percentile does.
    total = np.cumsum(w)
    target = np.linspace(0, 1, _BINS + 1)[1:-1] * total[-1]
    at = np.minimum(np.searchsorted(total, target, side="left"), len(v) - 1)
    after = np.minimum(at + 1, len(v) - 1)
    exact = np.isclose(total[at], target, rtol=0, atol=total[-1] * 1e-12)
    return np.unique(np.where(exact, (v[at] + v[after]) / 2, v[at]))


def _binned(matrix: np.ndarray, cuts: list[np.ndarray | None]) -> np.ndarray:
    """``matrix`` with each numeric column replaced by its bin (NaN stays NaN)."""
    out = np.array(matrix, dtype=float, copy=True)
    for j, c in enumerate(cuts):
        if c is None:
            continue
        column = matrix[:, j]
        # Bin i holds cuts[i - 1] < x <= cuts[i], as scikit-learn's own binning does.
        out[:, j] = np.searchsorted(c, column, side="left")
        out[np.isnan(column), j] = np.nan
    return out


@functools.cache
def _controller() -> Any:
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()  # finding the libraries once, not per window


def _one_thread() -> Any:
    return _controller().limit(limits=1, user_api="openmp")


def weighted_metrics(
    names: Sequence[str],
    weights: np.ndarray,
    truth: np.ndarray,
    predicted: np.ndarray,
    raw: np.ndarray,
) -> dict[str, float]:
    """Metrics of labelled rows counted with ``weights`` (class indices, raw probabilities)."""
    k = raw.shape[1]
    confusion = np.zeros((k, k))
    np.add.at(confusion, (truth, predicted), weights)
    out = {name: float(v) for name, v in from_confusion(confusion, list(names)).items()}
    if "roc_auc" in names:
        if k == 2:
            out["roc_auc"] = weighted_auc(raw[:, 1], truth == 1, weights)
        else:
            aucs = [np.array([weighted_auc(raw[:, j], truth == j, weights)]) for j in range(k)]
            out["roc_auc"] = float(macro_average(aucs)[0])
    return out


def left_out_weighted_metrics(
    names: Sequence[str],
    weights: np.ndarray,
    truth: np.ndarray,
    predicted: np.ndarray,
    raw: np.ndarray,
    block: np.ndarray,
    blocks: int,
) -> list[dict[str, float]]:
    """:func:`weighted_metrics` once per block, with that block's rows left out
    (``block`` holds each row's block number): exact, in one pass over the rows, not
    ``blocks`` passes."""
    k = raw.shape[1]
    by_block = np.zeros((blocks, k, k))
    np.add.at(by_block, (block, truth, predicted), weights)
    total = by_block.sum(axis=0)
    out = [
        {name: float(v) for name, v in from_confusion(total - by_block[b], list(names)).items()}
        for b in range(blocks)
    ]
    if "roc_auc" in names:
        if k == 2:
            aucs = [_left_out_auc(raw[:, 1], truth == 1, weights, block, blocks)]
        else:
            aucs = [_left_out_auc(raw[:, j], truth == j, weights, block, blocks) for j in range(k)]
        for b in range(blocks):
            out[b]["roc_auc"] = float(macro_average([np.array([a[b]]) for a in aucs])[0])
    return out


def recalibrated_toward(
    weights: np.ndarray, truth: np.ndarray, fitted: np.ndarray, proba: np.ndarray
) -> np.ndarray:
    """The window's recalibrated probabilities ``proba``, recalibrated once more toward it.

    One temperature and one shift per class, ``softmax(log q / t + b)`` (for two classes
    Platt scaling of the logit), fitted by weighted log loss on the reference's
    cross-fitted probabilities ``fitted`` and labels ``truth`` (class indices), each
    row counted by its density-ratio weight toward the window. Where the window's rows
    sit the recalibration may be off; the weighted reference says how, and a step of
    ``k`` parameters cannot chase the noise of the few rows that carry the weights, as
    a full isotonic refit did (Park et al., 2020, fit a temperature so).
    """
    return recalibrate(toward(weights, truth, fitted), proba)


def left_out_recalibrations(
    theta: np.ndarray,
    weights: np.ndarray,
    truth: np.ndarray,
    fitted: np.ndarray,
    proba: np.ndarray,
    block: np.ndarray,
    blocks: int,
) -> list[np.ndarray]:
    """:func:`recalibrated_toward` once per block, with that block's rows left out.

    Each is one Newton step from ``theta``, the fit on all rows (:func:`toward`):
    the one-step jackknife. The left-out fit's gradient and Hessian are the full
    ones less the block's, summed per block in one pass.
    """
    w = weights / max(float(weights.sum()), 1e-300)
    log_q = np.log(np.clip(fitted, 1e-6, 1.0))
    grad, hessian = _per_row(theta, log_q, np.eye(proba.shape[1])[truth], w)
    size = np.bincount(block, weights=w, minlength=blocks)
    g_block = np.stack([np.bincount(block, weights=g, minlength=blocks) for g in grad.T], axis=1)
    d = len(theta)
    h_rows = hessian.reshape(len(w), d * d)
    h_block = np.stack(
        [np.bincount(block, weights=h, minlength=blocks) for h in h_rows.T], axis=1
    ).reshape(blocks, d, d)
    g_all, h_all = g_block.sum(axis=0), h_block.sum(axis=0)
    drift = theta - np.r_[1.0, np.zeros(d - 1)]
    low, high = _bounds(d)
    out = []
    for b in range(blocks):
        kept = max(1.0 - float(size[b]), 1e-300)
        g = (g_all - g_block[b]) / kept + _RIDGE * drift
        h = (h_all - h_block[b]) / kept + _RIDGE * np.eye(d)
        try:
            step = np.linalg.solve(h, g)
        except np.linalg.LinAlgError:
            step = np.zeros(d)
        out.append(recalibrate(np.clip(theta - step, low, high), proba))
    return out


def toward(weights: np.ndarray, truth: np.ndarray, fitted: np.ndarray) -> np.ndarray:
    """The slope and shifts of :func:`recalibrated_toward`, fitted."""
    k = fitted.shape[1]
    w = weights / max(float(weights.sum()), 1e-300)
    log_ref = np.log(np.clip(fitted, 1e-6, 1.0))
    onehot = np.eye(k)[truth]
    return _newton(lambda t: _weighted_log_loss(t, log_ref, onehot, w), np.r_[1.0, np.zeros(k - 1)])


def recalibrate(theta: np.ndarray, proba: np.ndarray) -> np.ndarray:
    """``proba`` through the slope and shifts ``theta`` of :func:`toward`."""
    return _softmax(np.log(np.clip(proba, 1e-6, 1.0)) * theta[0] + np.r_[0.0, theta[1:]])


# The step's slope and shifts stay in this range (a window of one class would push them
# to infinity); a ridge this small toward no change keeps the Hessian invertible.
_SLOPE, _SHIFT, _RIDGE = (0.05, 20.0), 10.0, 1e-6


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    out = np.exp(z)
    return np.asarray(out / out.sum(axis=1, keepdims=True))


def _weighted_log_loss(
    theta: np.ndarray, log_q: np.ndarray, onehot: np.ndarray, w: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray]:
    """Loss, gradient and Hessian of ``softmax(log_q * theta[0] + [0, theta[1:]])``'s
    weighted log loss (``w`` summing to one), plus a ridge toward (1, 0, ...)."""
    # Sums of products, no BLAS call (a dot product over the reference's rows woke BLAS
    # threads that spun: twice the CPU time, no faster).
    p = _softmax(log_q * theta[0] + np.r_[0.0, theta[1:]])
    loss = -float((w * np.log(np.clip((p * onehot).sum(axis=1), 1e-300, None))).sum())
    error = (p - onehot) * w[:, None]  # d loss / d z
    mean_log = (p * log_q).sum(axis=1)  # per row, E_p[log q]
    grad = np.r_[float((error * log_q).sum()), error[:, 1:].sum(axis=0)]
    pw, rest = p * w[:, None], p[:, 1:]
    hessian = np.empty((len(theta), len(theta)))
    hessian[0, 0] = float((pw * log_q**2).sum() - (w * mean_log**2).sum())
    hessian[0, 1:] = hessian[1:, 0] = (pw[:, 1:] * (log_q[:, 1:] - mean_log[:, None])).sum(axis=0)
    hessian[1:, 1:] = np.diag(pw[:, 1:].sum(axis=0)) - np.einsum("ij,ik->jk", pw[:, 1:], rest)
    drift = theta - np.r_[1.0, np.zeros(len(theta) - 1)]
    loss += _RIDGE * float(drift @ drift) / 2
    return loss, grad + _RIDGE * drift, hessian + _RIDGE * np.eye(len(theta))


def _per_row(
    theta: np.ndarray, log_q: np.ndarray, onehot: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each row's share of :func:`_weighted_log_loss`'s gradient (n, d) and Hessian (n, d, d)."""
    p = _softmax(log_q * theta[0] + np.r_[0.0, theta[1:]])
    error = (p - onehot) * w[:, None]
    mean_log = (p * log_q).sum(axis=1)
    grad = np.column_stack([(error * log_q).sum(axis=1), error[:, 1:]])
    pw, rest = p * w[:, None], p[:, 1:]
    d = len(theta)
    hessian = np.empty((len(w), d, d))
    hessian[:, 0, 0] = (pw * log_q**2).sum(axis=1) - w * mean_log**2
    hessian[:, 0, 1:] = hessian[:, 1:, 0] = pw[:, 1:] * (log_q[:, 1:] - mean_log[:, None])
    hessian[:, 1:, 1:] = -pw[:, 1:, None] * rest[:, None, :]
    idx = np.arange(1, d)
    hessian[:, idx, idx] += pw[:, 1:]
    return grad, hessian


def _bounds(d: int) -> tuple[np.ndarray, np.ndarray]:
    low = np.r_[_SLOPE[0], np.full(d - 1, -_SHIFT)]
    high = np.r_[_SLOPE[1], np.full(d - 1, _SHIFT)]
    return low, high


def _newton(
    objective: Any, theta: np.ndarray, *, steps: int = 50, tolerance: float = 1e-10
) -> np.ndarray:
    """Minimize a convex ``objective`` (returning loss, gradient, Hessian) by Newton steps,
    halved until the loss falls, within the slope and shift bounds."""
    low, high = _bounds(len(theta))
    loss, grad, hessian = objective(theta)
    for _ in range(steps):
        step = np.linalg.solve(hessian, grad)
        size = 1.0
        while size > 1e-8:
            trial = np.clip(theta - size * step, low, high)
            trial_loss, trial_grad, trial_hessian = objective(trial)
            if trial_loss <= loss:
                break
            size /= 2
        else:
            return theta  # no step lowers the loss: at the minimum within the bounds
        done = loss - trial_loss < tolerance
        theta, loss, grad, hessian = trial, trial_loss, trial_grad, trial_hessian
        if done:
            break
    return theta


def corrected_metrics(
    names: Sequence[str],
    weights: np.ndarray,
    reference: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    window: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> dict[str, float]:
    """The doubly robust estimate: CBPE's expected metrics of the window, corrected by the
    reference's calibration residuals weighted toward it.

    ``reference`` is (labels as class indices, predicted indices, raw probabilities,
    recalibrated probabilities fitted without each row: cross-fitted); ``window`` is
    (raw, recalibrated, predicted). Each reference row ``i`` adds
    ``w_i (onehot(y_i) - q_i)`` to the expected confusion column of its prediction,
    scaled to the window's size: where the recalibrated probabilities are right for the
    window's rows, the residuals average out; where the window's rows sit in a region
    the probabilities get wrong, the weighted residuals say by how much. It is right
    when either the probabilities or the weights are (the doubly robust construction of
    Robins et al., 1994). Its scatter is that of the residuals: smaller than the weighted
    estimate's where the probabilities are nearly right, no smaller where they are not.
    """
    truth, ref_predicted, ref_raw, ref_fitted = reference
    raw, proba, predicted = window
    k = proba.shape[1]
    scale = len(proba) / max(float(weights.sum()), 1e-300)
    residual = (np.eye(k)[truth] - ref_fitted) * (weights * scale)[:, None]
    confusion = np.zeros((k, k))
    for c in range(k):
        confusion[:, c] = proba[predicted == c].sum(axis=0)
        confusion[:, c] += residual[ref_predicted == c].sum(axis=0)
    confusion = np.clip(confusion, 0.0, None)
    out = {name: float(v) for name, v in from_confusion(confusion, list(names)).items()}
    if "roc_auc" in names:

        def auc(j: int) -> float:  # class j against the rest; the residual rows signed
            return expected_auc(
                np.r_[raw[:, j], ref_raw[:, j]],
                np.r_[proba[:, j], residual[:, j]],
                np.r_[1 - proba[:, j], -residual[:, j]],
            )

        if k == 2:
            out["roc_auc"] = auc(1)
        else:
            out["roc_auc"] = float(macro_average([np.array([auc(j)]) for j in range(k)])[0])
    return out


def weighted_auc(scores: np.ndarray, positive: np.ndarray, weights: np.ndarray) -> float:
    """ROC AUC with each (positive, negative) pair counted by the product of its rows' weights."""
    wp = np.where(positive, weights, 0.0)
    wn = np.where(positive, 0.0, weights)
    beaten, _ = _pair_sums(scores, wp, wn)
    pairs = wp.sum() * wn.sum()
    if pairs <= 0:
        return float("nan")
    return float((wp * beaten).sum() / pairs)  # no BLAS dot: see _weighted_log_loss


def _left_out_auc(
    scores: np.ndarray, positive: np.ndarray, weights: np.ndarray, block: np.ndarray, blocks: int
) -> np.ndarray:
    """:func:`weighted_auc` once per block, with that block's rows left out.

    From the pairs' sum over all rows, leaving block ``b`` out takes away its
    positives' pairs with every negative and its negatives' pairs with every
    positive; the pairs inside the block were so taken away twice, and are added
    back once.
    """
    wp = np.where(positive, weights, 0.0)
    wn = np.where(positive, 0.0, weights)
    beaten, above = _pair_sums(scores, wp, wn)
    whole = float((wp * beaten).sum())
    from_pos = np.bincount(block, weights=wp * beaten, minlength=blocks)
    from_neg = np.bincount(block, weights=wn * above, minlength=blocks)
    pos = wp.sum() - np.bincount(block, weights=wp, minlength=blocks)
    neg = wn.sum() - np.bincount(block, weights=wn, minlength=blocks)
    inside = np.zeros(blocks)
    for b in range(blocks):
        rows = block == b
        inner, _ = _pair_sums(scores[rows], wp[rows], wn[rows])
        inside[b] = float((wp[rows] * inner).sum())
    pairs = pos * neg
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(pairs > 0, (whole - from_pos - from_neg + inside) / pairs, np.nan)


def _pair_sums(scores: np.ndarray, wp: np.ndarray, wn: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the negatives' weight scored below it (ties count half), and the
    positives' weight scored above it (ties half), in the rows' own order."""
    order = np.argsort(scores, kind="mergesort")
    s = scores[order]
    _, first = np.unique(s, return_index=True)
    counts = np.diff(np.r_[first, len(s)])
    group = np.repeat(np.arange(len(first)), counts)
    tied_n = np.add.reduceat(wn[order], first) if len(s) else np.zeros(0)
    tied_p = np.add.reduceat(wp[order], first) if len(s) else np.zeros(0)
    below = np.cumsum(tied_n) - tied_n
    over = tied_p.sum() - np.cumsum(tied_p)
    beaten, above = np.empty(len(s)), np.empty(len(s))
    beaten[order] = below[group] + 0.5 * tied_n[group]
    above[order] = over[group] + 0.5 * tied_p[group]
    return beaten, above
