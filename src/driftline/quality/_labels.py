"""Checks on the label column: class imbalance, label shift, and features that leak it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial.distance import jensenshannon

from driftline.quality import _words as words
from driftline.quality._finding import Finding, Severity
from driftline.words import percent

__all__ = ["LEAKAGE_SCORE", "check_labels", "check_leakage", "is_classification"]

# A single feature scoring this well on held-out rows is more likely a leak than a signal.
LEAKAGE_SCORE = 0.99
# Smallest class share that makes a warning / an info finding.
RARE_CLASS = 0.05
IMBALANCED = 0.20
# Jensen-Shannon distance (base 2) of class shares that counts as a real label shift,
# the floor driftline.drift uses for categories.
LABEL_SHIFT_FLOOR = 0.1
MAX_LEAKAGE_ROWS = 5000
# As in Signature.infer: integers with few distinct values are class labels.
MAX_INTEGER_CLASSES = 20


def is_classification(labels: np.ndarray, task: str | None = None) -> bool:
    """Whether labels are classes (text, booleans, few whole numbers) or a quantity."""
    if task is not None:
        return task == "classification"
    if labels.dtype == object:
        return True
    present = labels[~np.isnan(labels)]
    whole = bool(np.all(present == np.floor(present)))
    return whole and np.unique(present).size <= MAX_INTEGER_CLASSES


def _counts(labels: Sequence[str]) -> pd.Series:
    return pd.Series(list(labels), dtype=object).value_counts()


def check_labels(
    target: str, reference: Sequence[str], current: Sequence[str] | None, alpha: float
) -> list[Finding]:
    """Class balance of the training labels and, when the batch has labels, their shift."""
    findings = []
    ref = _counts(reference)
    if len(ref) < 2:
        only = ref.index[0] if len(ref) else None
        return [
            Finding(
                "class_imbalance",
                target,
                "critical",
                words.single_class(target, only),
                {"classes": {str(k): int(v) for k, v in ref.items()}},
            )
        ]
    shares = ref / ref.sum()
    rare, rare_share = str(shares.idxmin()), float(shares.min())
    if rare_share < IMBALANCED:
        severity: Severity = "warning" if rare_share < RARE_CLASS else "info"
        findings.append(
            Finding(
                "class_imbalance",
                target,
                severity,
                words.class_imbalance(target, rare, rare_share, int(ref[rare]), int(ref.sum())),
                {"classes": {str(k): int(v) for k, v in ref.items()}, "smallest_share": rare_share},
            )
        )
    if current is None:
        return findings
    cur = _counts(current)
    if cur.empty:
        return findings
    new = cur[~cur.index.isin(ref.index)]
    if len(new):
        findings.append(
            Finding(
                "label_shift",
                target,
                "warning",
                words.new_labels(target, {k: int(v) for k, v in new.items()}),
                {"new_classes": {str(k): int(v) for k, v in new.items()}},
            )
        )
    classes = list(ref.index) + list(new.index)
    table = np.array([[ref.get(c, 0) for c in classes], [cur.get(c, 0) for c in classes]], float)
    p_value = float(stats.chi2_contingency(table)[1]) if table.shape[1] > 1 else 1.0
    distance = float(jensenshannon(table[0] / table[0].sum(), table[1] / table[1].sum(), base=2))
    if p_value <= alpha and distance > LABEL_SHIFT_FLOOR:
        cur_shares = table[1] / table[1].sum()
        moved = int(np.argmax(np.abs(cur_shares - table[0] / table[0].sum())))
        findings.append(
            Finding(
                "label_shift",
                target,
                "warning",
                words.label_shift(
                    target,
                    classes[moved],
                    float(shares.get(classes[moved], 0.0)),
                    float(cur_shares[moved]),
                ),
                {"p_value": p_value, "distance": distance, "classes": classes},
            )
        )
    return findings


def check_leakage(
    target: str,
    labels: np.ndarray,
    features: Mapping[str, np.ndarray],
    *,
    classification: bool,
    seed: int,
) -> list[Finding]:
    """Features that alone predict the label almost perfectly on held-out training rows.

    Each feature gets a depth-limited tree (numbers) or a per-category lookup
    (text), scored out of fold: balanced accuracy for classes, R² for
    quantities. A score of at least ``LEAKAGE_SCORE`` is flagged.
    """
    from sklearn.model_selection import KFold, StratifiedKFold

    rng = np.random.default_rng(seed)
    keep = _label_present(labels)
    if keep.sum() > MAX_LEAKAGE_ROWS:
        chosen = rng.choice(np.flatnonzero(keep), MAX_LEAKAGE_ROWS, replace=False)
        keep = np.zeros(labels.size, dtype=bool)
        keep[chosen] = True
    y = labels[keep]
    if classification:
        codes = pd.factorize(pd.Series(y, dtype=object).astype(str))[0]
        folds = StratifiedKFold(3, shuffle=True, random_state=seed).split(codes, codes)
        y = codes
    else:
        y = y.astype(float)
        folds = KFold(3, shuffle=True, random_state=seed).split(y)
    splits = list(folds)
    findings = []
    for name, values in features.items():
        x = values[keep]
        score = _oof_score(x, y, splits, classification, seed)
        if score is None or score < LEAKAGE_SCORE:
            continue
        measure = "balanced accuracy" if classification else "R²"
        shown = percent(score) if classification else f"{score:.3f}"
        findings.append(
            Finding(
                "leakage",
                name,
                "warning",
                words.leakage(name, target, measure, shown),
                {"score": score, "measure": measure, "n_rows": int(keep.sum())},
            )
        )
    return findings


def _label_present(labels: np.ndarray) -> np.ndarray:
    if labels.dtype == object:
        return np.array([v is not None for v in labels], dtype=bool)
    return ~np.isnan(labels)


def _oof_score(
    x: np.ndarray,
    y: np.ndarray,
    splits: list[tuple[np.ndarray, np.ndarray]],
    classification: bool,
    seed: int,
) -> float | None:
    from sklearn.metrics import balanced_accuracy_score, r2_score
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    predicted = np.empty(y.size, dtype=float)
    for train, test in splits:
        if x.dtype == object:
            predicted[test] = _lookup(x[train], y[train], x[test], classification)
            continue
        if np.all(np.isnan(x[train])):
            return None
        # Regression needs finer steps than classes to reach R² 0.99 on an exact copy.
        model = (
            DecisionTreeClassifier(max_depth=3, random_state=seed)
            if classification
            else DecisionTreeRegressor(max_depth=6, random_state=seed)
        )
        model.fit(x[train].reshape(-1, 1), y[train])
        predicted[test] = model.predict(x[test].reshape(-1, 1))
    if classification:
        return float(balanced_accuracy_score(y, predicted.astype(int)))
    if np.var(y) == 0:
        return None
    return float(r2_score(y, predicted))


def _lookup(
    x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, classification: bool
) -> np.ndarray:
    """Per category, the most common class (or the mean); the overall one for the rest."""
    frame = pd.DataFrame({"x": pd.Series(x_train, dtype=object).fillna("\0missing"), "y": y_train})
    if classification:
        table = frame.groupby("x")["y"].agg(lambda s: int(np.bincount(s.to_numpy()).argmax()))
        fallback = float(np.bincount(y_train.astype(np.int64)).argmax())
    else:
        table = frame.groupby("x")["y"].mean()
        fallback = float(np.mean(y_train))
    keys = pd.Series(x_test, dtype=object).fillna("\0missing")
    return keys.map(table).astype(float).fillna(fallback).to_numpy()
