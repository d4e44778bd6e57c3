"""Features that predict the label suspiciously well on their own (a sign of leakage).

Each feature is cut into at most 20 bins (quantiles for numbers, one per
category for text, one for missing values), and each row's class
probabilities are the class shares of its bin in the other folds: an
out-of-fold one-feature model, so an identifier with one value per row
cannot look predictive by memorizing. Its AUC (one class against the rest,
averaged, for more than two classes) says how well the feature alone
separates the labels.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["single_feature_auc"]

_BINS = 20


def _bins(series: pd.Series) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        values = series.to_numpy(dtype=float)
        finite = values[np.isfinite(values)]
        if len(finite) == 0:
            return np.zeros(len(values), dtype=int)
        edges = np.unique(np.quantile(finite, np.linspace(0, 1, _BINS + 1)[1:-1]))
        codes = np.searchsorted(edges, values, side="right") + 1
        return np.where(np.isfinite(values), codes, 0)
    codes, _ = pd.factorize(series.astype(object), use_na_sentinel=True)
    return codes + 1  # missing (-1) becomes 0


def single_feature_auc(
    frame: pd.DataFrame, y: np.ndarray, n_classes: int, *, folds: int = 5, seed: int = 0
) -> dict[str, float]:
    """Each column's out-of-fold AUC as the only feature."""
    from sklearn.metrics import roc_auc_score

    n = len(y)
    fold = np.random.default_rng(seed).permutation(n) % folds
    onehot = np.eye(n_classes)[y]
    prior = onehot.mean(axis=0)
    out: dict[str, float] = {}
    for column in frame.columns:
        codes = _bins(frame[column])
        width = int(codes.max()) + 1
        counts = np.zeros((folds, width, n_classes))
        np.add.at(counts, (fold, codes), onehot)
        total = counts.sum(axis=0)
        held = total[None, :, :] - counts  # every fold but its own
        smoothed = held + prior  # one pseudo-row at the prior: an unseen bin predicts the prior
        probs = smoothed / smoothed.sum(axis=2, keepdims=True)
        p = probs[fold, codes]
        try:
            if n_classes == 2:
                auc = float(roc_auc_score(y, p[:, 1]))
            else:
                auc = float(roc_auc_score(y, p, multi_class="ovr", labels=np.arange(n_classes)))
        except ValueError:
            continue
        out[str(column)] = max(auc, 1.0 - auc)
    return out
