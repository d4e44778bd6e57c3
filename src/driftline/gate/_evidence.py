"""What the gate's judge looks at and what it finds, and the checks both judges share."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from driftline.gate import _words as words
from driftline.gate._decision import Comparison, Criterion, SliceComparison, Verdict
from driftline.metrics import Paired, Predictions, metric_applicable, metric_label

__all__ = ["Evidence", "Judgement", "SliceRows", "threshold_criteria", "verdict", "why_not"]


def verdict(ok: bool) -> Verdict:
    return "pass" if ok else "fail"


@dataclass(frozen=True)
class SliceRows:
    """A slice's words and rows, or why its rows could not be found."""

    label: str
    mask: np.ndarray | None
    problem: str | None = None


@dataclass
class Evidence:
    """What the judge looks at: labels, both models' predictions, the reports."""

    y_true: np.ndarray
    frame: pd.DataFrame  # the rows' columns (not the label), for slices
    candidate: Predictions
    baseline: Predictions | None
    baseline_missing: str | None = None  # why there is no baseline to compare with
    quality: Any = None  # a QualityReport
    quality_missing: str | None = None
    slices: Sequence[SliceRows] = ()
    fairness: Any = None  # a FairnessReport of the candidate, for the policy's columns
    fairness_missing: str | None = None
    audit: Any = None  # the candidate's training-data audit as recorded, or None
    # How sentences name the two versions ("churn:3", "churn:1").
    candidate_name: str = "the candidate"
    baseline_name: str = "the baseline"


@dataclass
class Judgement:
    """The criteria, and the figures behind them, before they become a :class:`GateDecision`."""

    criteria: list[Criterion] = field(default_factory=list)
    metrics: list[Comparison] = field(default_factory=list)
    slices: list[SliceComparison] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return bool(self.criteria) and all(c.passed for c in self.criteria)


def why_not(metric: str, p: Predictions) -> str | None:
    """Why ``metric`` cannot be computed from these predictions, in words; None when it can."""
    if metric_applicable(metric, p) is None:
        return None
    if p.task == "regression":
        if metric not in ("mae", "rmse", "r2", "mape"):
            return f"{metric_label(metric)} is a classification metric and the model is a regressor"
    elif metric in ("mae", "rmse", "r2", "mape"):
        return f"{metric_label(metric)} is a regression metric and the model is a classifier"
    elif p.y_proba is None:
        return f"{metric_label(metric)} needs probabilities and the model has no predict_proba"
    return f"{metric_label(metric)} does not apply to this model"


def threshold_criteria(
    metric: str,
    low: float | None,
    high: float | None,
    figure: Paired | None,
    ev: Evidence,
    conf: float,
    *,
    where: str = "",
    rows: int | None = None,
) -> list[Criterion]:
    out = []
    for side, limit in (("min", low), ("max", high)):
        if limit is None:
            continue
        sign = "≥" if side == "min" else "≤"
        name = f"{metric_label(metric)}{' on ' + where if where else ''} {sign} {limit:g}"
        kind = "slice_threshold" if where else "threshold"
        if figure is None:
            reason = why_not(metric, ev.candidate) or "it could not be computed"
            on = f" on {where}" if where else ""
            what = f"{metric_label(metric)} of {ev.candidate_name}{on}"
            out.append(
                Criterion(
                    name=name,
                    kind=kind,  # type: ignore[arg-type]
                    verdict="fail",
                    sentence=words.cannot_sentence(what, reason, words.NOT_APPLICABLE),
                    threshold=limit,
                    metric=metric,
                    slice=where or None,
                )
            )
            continue
        iv = figure.candidate
        ok = bool(np.isfinite(iv.value)) and (
            iv.value >= limit if side == "min" else iv.value <= limit
        )
        said = words.threshold_sentence(
            metric,
            ev.candidate_name,
            iv.value,
            iv.low,
            iv.high,
            limit,
            side,
            where=where or None,
            rows=rows,
        )
        out.append(
            Criterion(
                name=name,
                kind=kind,  # type: ignore[arg-type]
                verdict=verdict(ok),
                sentence=said,
                figure=iv.value,
                low=iv.low,
                high=iv.high,
                threshold=limit,
                metric=metric,
                slice=where or None,
            )
        )
    return out
