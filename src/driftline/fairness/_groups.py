"""Per-group figures of a binary classifier, and the disparities between groups.

Every figure comes from row weights, so the value (all weights 1) and its
bootstrap interval (weights from :func:`driftline.metrics.resample_blocks`)
come from the same code. Resampling draws whole rows, so a group's size
varies between resamples as it would between samples.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from driftline.errors import InputError
from driftline.fairness._report import AttributeFairness, FairnessReport, GroupFigures
from driftline.metrics import Interval, percentiles, resample_blocks

__all__ = ["MISSING_GROUP", "group_fairness"]

MISSING_GROUP = "(missing)"
FIGURES = ("selection_rate", "tpr", "fpr", "accuracy")
DISPARITIES = (
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "equalized_odds_difference",
)


def _group_keys(values: Any, column: str, n: int) -> np.ndarray:
    series = pd.Series(
        np.asarray(values, dtype=object) if not isinstance(values, pd.Series) else values
    )
    if len(series) != n:
        raise InputError(
            f"the sensitive column {column!r} has {len(series):,} values but there are "
            f"{n:,} predictions; pass one value per row"
        )
    keys = series.astype(object).where(series.notna(), MISSING_GROUP)
    return np.asarray([str(k) for k in keys], dtype=object)


def _divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _figures(
    W: np.ndarray, masks: list[np.ndarray], yt: np.ndarray, yp: np.ndarray
) -> dict[str, np.ndarray]:
    """Each figure per resample and group: arrays of shape (resamples, groups)."""
    pos, neg, hit = yt, 1.0 - yt, (yt == yp).astype(float)
    out: dict[str, list[np.ndarray]] = {f: [] for f in (*FIGURES, "size")}
    for m in masks:
        w = W[:, m]
        size = w.sum(axis=1)
        npos = w @ pos[m]
        nneg = w @ neg[m]
        out["size"].append(size)
        out["selection_rate"].append(_divide(w @ yp[m], size))
        out["tpr"].append(_divide(w @ (yp[m] * pos[m]), npos))
        out["fpr"].append(_divide(w @ (yp[m] * neg[m]), nneg))
        out["accuracy"].append(_divide(w @ hit[m], size))
    return {k: np.stack(v, axis=1) for k, v in out.items()}


def _interval(
    draws: list[dict[str, np.ndarray]], q: list[float], name: str, value: float, col: int | None
) -> Interval:
    if not draws:
        return Interval(value, math.nan, math.nan)
    parts = np.concatenate([d[name] if col is None else d[name][:, col] for d in draws])
    low, high = percentiles(parts, q)
    return Interval(value, low, high)


def _spread(values: np.ndarray) -> np.ndarray:
    """Largest minus smallest across groups, NaN when a group's figure is undefined."""
    with np.errstate(invalid="ignore"):
        return values.max(axis=1) - values.min(axis=1)


def _disparities(fig: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    sel = fig["selection_rate"]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(sel.max(axis=1) > 0, sel.min(axis=1) / sel.max(axis=1), np.nan)
    return {
        "demographic_parity_difference": _spread(sel),
        "demographic_parity_ratio": ratio,
        "equalized_odds_difference": np.maximum(_spread(fig["tpr"]), _spread(fig["fpr"])),
        "tpr_difference": _spread(fig["tpr"]),
        "fpr_difference": _spread(fig["fpr"]),
    }


def group_fairness(
    y_true: Any,
    y_pred: Any,
    sensitive: dict[str, Any],
    *,
    positive: Any = None,
    confidence: float = 0.95,
    n_resamples: int = 1000,
    seed: int = 0,
    min_group_rows: int = 30,
) -> FairnessReport:
    """Per-group figures and disparities of a binary classifier, one attribute at a time.

    Parameters
    ----------
    y_true, y_pred:
        The labels and the model's predicted labels.
    sensitive:
        Attribute name to one value per row (a missing value is its own group).
    positive:
        The favourable outcome; default the larger of the two classes when
        sorted (``1``, ``True``, ``"yes"`` after ``"no"``).

    >>> r = group_fairness([1, 0, 1, 0], [1, 0, 0, 0], {"sex": ["F", "F", "M", "M"]},
    ...                    n_resamples=0)
    >>> r["sex"].disparities["demographic_parity_difference"].value
    0.5
    """
    yt_raw = np.asarray(y_true)
    yp_raw = np.asarray(y_pred)
    if yt_raw.shape != yp_raw.shape or yt_raw.ndim != 1:
        raise InputError(
            f"labels and predictions must be one value per row each, got shapes "
            f"{yt_raw.shape} and {yp_raw.shape}"
        )
    classes = sorted(set(yt_raw.tolist()) | set(yp_raw.tolist()), key=str)
    if positive is None:
        if len(classes) > 2:
            raise InputError(
                f"fairness figures need a model with two outcomes, got {len(classes)} "
                f"classes ({classes[:5]}); judge each class against the rest instead"
            )
        positive = classes[-1] if classes else 1
    n = len(yt_raw)
    if n == 0:
        raise InputError("fairness figures need labelled rows, got none")
    yt = (yt_raw == positive).astype(float)
    yp = (yp_raw == positive).astype(float)
    q = [50 * (1 - confidence), 50 * (1 + confidence)]
    attributes: dict[str, AttributeFairness] = {}
    for column, values in sensitive.items():
        keys = _group_keys(values, column, n)
        groups = sorted(set(keys.tolist()))
        masks = [keys == g for g in groups]
        point = _figures(np.ones((1, n)), masks, yt, yp)
        point_disp = _disparities(point)
        draws: list[dict[str, np.ndarray]] = []
        if n_resamples:
            for W in resample_blocks(n, n_resamples, seed):
                fig = _figures(W, masks, yt, yp)
                draws.append({**fig, **_disparities(fig)})

        figures = {
            g: GroupFigures(
                size=int(masks[i].sum()),
                **{f: _interval(draws, q, f, float(point[f][0, i]), i) for f in FIGURES},
            )
            for i, g in enumerate(groups)
        }
        attributes[column] = AttributeFairness(
            column=column,
            groups=figures,
            disparities={
                k: _interval(draws, q, k, float(v[0]), None) for k, v in point_disp.items()
            },
        )
    return FairnessReport(
        positive=str(positive),
        n=n,
        attributes=attributes,
        confidence=confidence,
        n_resamples=n_resamples,
        min_group_rows=min_group_rows,
    )
