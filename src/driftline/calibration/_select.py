"""fit_calibrator(): fit one recalibrator, or choose one by cross-validated log loss.

With ``method="auto"`` every candidate (identity always among them) is
fitted on k-1 folds and scored on the held-out fold, row by row. The
simplest candidate whose log loss is within one standard error of the best
(a paired comparison, row by row) and no worse than identity's wins, so a
recalibrator must earn its place: on probabilities that are already
calibrated, identity is kept.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from driftline.calibration._calibrators import (
    Calibrator,
    IdentityCalibrator,
    IsotonicCalibrator,
    PlattCalibrator,
    TemperatureCalibrator,
)
from driftline.calibration._input import as_proba, clip_log, label_index
from driftline.errors import InputError

__all__ = ["METHODS", "Method", "fit_calibrator", "make_calibrator"]

Method = Literal["auto", "identity", "platt", "isotonic", "temperature"]
METHODS: tuple[str, ...] = ("auto", "identity", "platt", "isotonic", "temperature")

# Simplest first: ties (within noise) go to the earlier one.
_ORDER = ("identity", "temperature", "platt", "isotonic")

# Isotonic regression fits a step per distinct value: with little data it
# memorizes noise (Niculescu-Mizil & Caruana, 2005, saw it overfit below ~1,000 rows).
MIN_ISOTONIC_ROWS = 1000
MIN_ISOTONIC_PER_CLASS = 100
MIN_ROWS = 20
FOLDS = 5


def make_calibrator(method: str) -> Calibrator:
    makers: dict[str, type[Calibrator]] = {
        "identity": IdentityCalibrator,
        "platt": PlattCalibrator,
        "isotonic": IsotonicCalibrator,
        "temperature": TemperatureCalibrator,
    }
    if method not in makers:
        raise InputError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    return makers[method]()


def _row_losses(p: np.ndarray, idx: np.ndarray) -> np.ndarray:
    return np.asarray(-clip_log(p[np.arange(len(p)), idx]))


def fit_calibrator(
    y_true: Any,
    y_proba: Any,
    *,
    classes: Any = None,
    method: str = "auto",
    seed: int = 0,
) -> Calibrator:
    """A recalibrator fitted to ``y_proba`` (n×k, columns in ``classes`` order) and ``y_true``.

    ``method`` is ``"platt"``, ``"isotonic"``, ``"temperature"``,
    ``"identity"`` or ``"auto"``: choose by cross-validated log loss. The
    returned calibrator's ``selection_`` says what was chosen and why
    (``method``, ``reason``, and per candidate its log loss and standard error).

    Example::

        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> p = rng.uniform(0.05, 0.95, size=2000)
        >>> y = (rng.uniform(size=2000) < p).astype(int)
        >>> pushed = 1 / (1 + ((1 - p) / p) ** 3)  # three times too sure
        >>> fit_calibrator(y, pushed, classes=[0, 1]).selection_["method"]
        'temperature'
    """
    if method not in METHODS:
        raise InputError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    p = as_proba(y_proba)
    n, k = p.shape
    idx, order = label_index(y_true, classes, k)
    if len(idx) != n:
        raise InputError(f"got {len(idx)} labels for {n} rows of probabilities")
    counts = np.bincount(idx, minlength=k)
    if n < MIN_ROWS:
        raise InputError(
            f"calibration needs at least {MIN_ROWS} labelled rows, got {n}; give more data"
        )
    if method != "auto":
        chosen = make_calibrator(method).fit(p, idx, classes=list(range(k)))
        chosen.classes_ = order
        chosen.selection_ = {
            "method": method,
            "reason": f"{method} was asked for",
            "candidates": {},
            "skipped": {},
            "rows": n,
        }
        return chosen

    skipped: dict[str, str] = {}
    candidates = list(_ORDER)
    if n < MIN_ISOTONIC_ROWS or counts.min() < MIN_ISOTONIC_PER_CLASS:
        candidates.remove("isotonic")
        skipped["isotonic"] = (
            f"needs at least {MIN_ISOTONIC_ROWS:,} rows and {MIN_ISOTONIC_PER_CLASS} of every "
            f"class, got {n:,} rows and {int(counts.min())} of the rarest class"
        )
    present = counts[counts > 0]
    folds = min(FOLDS, int(present.min()))
    if folds < 2 or len(present) < 2:
        raise InputError(
            "calibration needs at least two rows of each of two classes among the labels, "
            f"got class counts {dict(zip(map(str, order), counts.tolist(), strict=True))}"
        )
    losses = _cross_validated(p, idx, candidates, folds, seed)
    mean = {c: float(v.mean()) for c, v in losses.items()}
    best = min(candidates, key=lambda c: mean[c])
    se = {c: float(np.std(losses[c] - losses[best], ddof=1) / np.sqrt(n)) for c in candidates}
    eligible = [
        c for c in candidates if mean[c] <= mean["identity"] and mean[c] - mean[best] <= se[c]
    ]
    winner = next(c for c in _ORDER if c in eligible)
    reason = _reason(winner, best, mean, se, folds, n)
    chosen = make_calibrator(winner).fit(p, idx, classes=list(range(k)))
    chosen.classes_ = order
    chosen.selection_ = {
        "method": winner,
        "reason": reason,
        "candidates": {c: {"log_loss": mean[c], "se_vs_best": se[c]} for c in candidates},
        "skipped": skipped,
        "rows": n,
        "folds": folds,
    }
    return chosen


def _cross_validated(
    p: np.ndarray, idx: np.ndarray, candidates: list[str], folds: int, seed: int
) -> dict[str, np.ndarray]:
    """Held-out log loss of every row under every candidate."""
    from sklearn.model_selection import StratifiedKFold

    k = p.shape[1]
    out = {c: np.empty(len(p)) for c in candidates}
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(p, idx):
        for c in candidates:
            fitted = make_calibrator(c).fit(p[train], idx[train], classes=list(range(k)))
            out[c][test] = _row_losses(fitted.transform(p[test]), idx[test])
    return out


def _reason(
    winner: str, best: str, mean: dict[str, float], se: dict[str, float], folds: int, n: int
) -> str:
    where = f"{folds}-fold cross-validated log loss on {n:,} rows"
    if winner == "identity":
        if best == "identity":
            return f"no recalibration: leaving the probabilities unchanged has the lowest {where} ({mean['identity']:.4f})"
        return (
            f"no recalibration: the best, {best} ({mean[best]:.4f}), is within noise "
            f"(one standard error, {se['identity']:.4f}) of unchanged ({mean['identity']:.4f}) in {where}"
        )
    text = f"{winner}: {where} {mean[winner]:.4f} against {mean['identity']:.4f} unchanged"
    if winner != best:
        text += f"; {best} ({mean[best]:.4f}) was not better beyond noise, and {winner} is simpler"
    return text
