"""The slice criteria: thresholds on every slice, the gap between slices, no slice worse.

Slices come from the policy: every value of a ``segments`` column (a numeric
column with many values is cut at its quartiles) and every ``define`` text,
read by :func:`driftline.slices.parse_slice`.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from driftline.errors import InputError
from driftline.gate import _words as words
from driftline.gate._decision import Criterion, SliceComparison
from driftline.gate._evidence import (
    Evidence,
    Judgement,
    SliceRows,
    threshold_criteria,
    why_not,
)
from driftline.metrics import HIGHER_IS_BETTER, Paired, metric_label, paired_bootstrap

if TYPE_CHECKING:
    from driftline.gate._policy import GatePolicy, SlicePolicy

__all__ = ["SliceRows", "judge_slices", "slice_masks"]

# A numeric segment column with more distinct values than this is cut at its quartiles.
_MAX_LEVELS = 12


def _segment(column: str, frame: pd.DataFrame) -> list[SliceRows]:
    from driftline.slices import Condition, Slice

    if column not in frame.columns:
        return [
            SliceRows(
                f"segments of {column}",
                None,
                f"the data has no column {column!r} (it has {', '.join(map(str, frame.columns))})",
            )
        ]
    series = frame[column]
    present = series.dropna()
    numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
    if numeric and present.nunique() > _MAX_LEVELS:
        edges = np.unique(np.quantile(present.to_numpy(dtype=float), [0.25, 0.5, 0.75]))
        bounds = [None, *edges.tolist(), None]
        conditions = [
            Condition.between(column, low=lo, high=hi) for lo, hi in itertools.pairwise(bounds)
        ]
    else:
        values = sorted(present.unique().tolist(), key=lambda v: (str(type(v)), v))
        conditions = [Condition.equals(column, v) for v in values]
    out = []
    for condition in conditions:
        s = Slice((condition,))
        out.append(SliceRows(s.describe(), s.mask(frame)))
    if series.isna().any():
        s = Slice((Condition.missing(column),))
        out.append(SliceRows(s.describe(), s.mask(frame)))
    return out


def slice_masks(policy: SlicePolicy, frame: pd.DataFrame) -> list[SliceRows]:
    """The slices a policy names, with their rows in ``frame``."""
    from driftline.slices import parse_slice

    out: list[SliceRows] = []
    for column in policy.segments:
        out += _segment(column, frame)
    for text in policy.define:
        try:
            s = parse_slice(text, columns=[str(c) for c in frame.columns])
            out.append(SliceRows(s.describe(), s.mask(frame)))
        except InputError as exc:
            out.append(SliceRows(text, None, str(exc)))
    return out


def _fail(name: str, kind: str, sentence: str, **kw: object) -> Criterion:
    return Criterion(name=name, kind=kind, verdict="fail", sentence=sentence, **kw)  # type: ignore[arg-type]


def judge_slices(policy: GatePolicy, ev: Evidence, out: Judgement, *, seed: int) -> None:
    """Append the slice criteria (and the per-slice figures) to ``out``."""
    sp = policy.slices
    if sp is None:
        return
    conf = policy.confidence
    metric = sp.metric or ("mae" if ev.candidate.task == "regression" else "accuracy")
    needed = list(dict.fromkeys([*sp.thresholds, metric]))
    usable = [m for m in needed if why_not(m, ev.candidate) is None]
    base = ev.baseline
    base_ok = base is not None and why_not(metric, base) is None

    judged: list[tuple[SliceRows, np.ndarray, dict[str, Paired]]] = []
    for i, sl in enumerate(ev.slices):
        if sl.mask is None:
            out.criteria.append(
                _fail(
                    f"slice {sl.label}",
                    "slice_size",
                    words.cannot_sentence(
                        f"the slice {sl.label}", str(sl.problem), words.FIX_SLICE, "be judged"
                    ),
                    slice=sl.label,
                )
            )
            continue
        rows = int(sl.mask.sum())
        if rows < sp.min_rows:
            out.criteria.append(
                _fail(
                    f"rows in {sl.label} ≥ {sp.min_rows}",
                    "slice_size",
                    words.slice_size_sentence(sl.label, rows, sp.min_rows),
                    figure=float(rows),
                    threshold=float(sp.min_rows),
                    slice=sl.label,
                )
            )
            continue
        idx = np.flatnonzero(sl.mask)
        y = ev.y_true[idx]
        cand = ev.candidate.take(idx)
        figures = paired_bootstrap(
            y,
            cand,
            base.take(idx) if base is not None and base_ok else None,
            usable,
            confidence=conf,
            n_resamples=policy.n_resamples,
            seed=seed + i + 1,
        )
        judged.append((sl, idx, figures))
        for m, f in figures.items():
            out.slices.append(
                SliceComparison(
                    metric=m,
                    higher_is_better=HIGHER_IS_BETTER[m],
                    candidate=f.candidate,
                    baseline=f.baseline,
                    difference=f.difference,
                    slice=sl.label,
                    rows=rows,
                )
            )
        for m, bound in sp.thresholds.items():
            out.criteria += threshold_criteria(
                m, bound.min, bound.max, figures.get(m), ev, conf, where=sl.label, rows=rows
            )

    if sp.max_gap is not None:
        out.criteria.append(_gap(sp.max_gap, metric, judged, ev))

    if not sp.compare:
        return
    name = f"no slice significantly worse than baseline on {metric_label(metric)}"
    if not judged:
        out.criteria.append(
            _fail(name, "slice_regression", words.no_slices_sentence(ev.baseline_name))
        )
        return
    if base is None or not base_ok or metric not in usable:
        reason: str | None
        if base is None:
            reason = ev.baseline_missing or "there is no baseline to compare with"
        elif metric not in usable:
            reason = why_not(metric, ev.candidate)
        else:
            reason = f"for the baseline, {why_not(metric, base)}"
        out.criteria.append(
            _fail(
                name,
                "slice_regression",
                words.cannot_sentence(
                    "the slices",
                    str(reason),
                    words.NO_BASELINE if base is None else words.NOT_APPLICABLE,
                    verb=f"be compared with {ev.baseline_name}",
                ),
                metric=metric,
            )
        )
        return
    k = len(judged)
    adjusted = 1 - (1 - conf) / k
    for sl, idx, figures in judged:
        f = figures[metric].at(adjusted)
        gain = f.gain()
        if gain is None or f.baseline is None or f.difference is None:
            continue
        worse = bool(np.isfinite(gain.high)) and gain.high < -sp.max_drop
        out.criteria.append(
            Criterion(
                name=f"{metric_label(metric)} on {sl.label} not worse than baseline",
                kind="slice_regression",
                verdict="fail" if worse else "pass",
                sentence=words.slice_regression_sentence(
                    metric,
                    ev.candidate_name,
                    ev.baseline_name,
                    sl.label,
                    len(idx),
                    (f.candidate.value, f.baseline.value),
                    (f.difference.value, f.difference.low, f.difference.high),
                    adjusted,
                    k,
                    sp.max_drop,
                    worse,
                ),
                figure=f.difference.value,
                low=f.difference.low,
                high=f.difference.high,
                threshold=sp.max_drop,
                metric=metric,
                slice=sl.label,
            )
        )


def _gap(
    max_gap: float,
    metric: str,
    judged: Sequence[tuple[SliceRows, np.ndarray, dict[str, Paired]]],
    ev: Evidence,
) -> Criterion:
    from driftline.metrics import metric_label as label

    name = f"gap in {label(metric)} between slices ≤ {max_gap:g}"
    values = [
        (sl.label, figures[metric].candidate.value)
        for sl, _, figures in judged
        if metric in figures and np.isfinite(figures[metric].candidate.value)
    ]
    if len(values) < 2:
        reason = why_not(metric, ev.candidate) or "fewer than two slices have enough rows"
        return _fail(
            name,
            "slice_gap",
            words.cannot_sentence(
                "the gap between slices",
                reason,
                words.MORE_ROWS if why_not(metric, ev.candidate) is None else words.NOT_APPLICABLE,
                verb="be measured",
            ),
            threshold=max_gap,
            metric=metric,
        )
    lo = min(values, key=lambda v: v[1])
    hi = max(values, key=lambda v: v[1])
    gap = hi[1] - lo[1]
    return Criterion(
        name=name,
        kind="slice_gap",
        verdict="pass" if gap <= max_gap else "fail",
        sentence=words.gap_sentence(metric, ev.candidate_name, lo, hi, len(values), max_gap),
        figure=gap,
        threshold=max_gap,
        metric=metric,
    )
