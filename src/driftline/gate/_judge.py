"""Judge a candidate against a policy: one :class:`Criterion` per thing it must show.

Pure: predictions, labels and reports in, criteria out; the service
(:mod:`driftline.gate._service`) loads the models and records the decision.

How each criterion decides (``d`` = candidate minus baseline, oriented so
that positive means the candidate is better):

- thresholds: the candidate's point estimate against ``min``/``max``; the
  interval is shown, not used, so that a threshold means what it says.
- regression (non-inferiority): the burden of proof is on the candidate.
  It passes when the lower end of the paired interval of ``d`` is at least
  ``-max_drop``: at the policy's confidence, it is not worse by more than
  the allowance. A candidate whose difference is lost in noise wider than
  the allowance fails: more rows are needed to show it is not worse.
- slices vs baseline: the burden of proof is on the regression, as a slice
  has few rows. A slice fails when the upper end of its paired interval of
  ``d`` is below ``-max_drop``: it is *significantly* worse by more than the
  allowance, at a confidence corrected (Bonferroni) for the number of slices.
- slice thresholds and the gap between slices: point estimates, like thresholds.
- calibration: the candidate's ECE (equal-width bins) at most ``max_ece``.
- data quality: no critical finding.

A criterion that cannot be evaluated fails, and its sentence says why.
"""

from __future__ import annotations

import numpy as np

from driftline.gate import _words as words
from driftline.gate._decision import Comparison, Criterion
from driftline.gate._evidence import (
    Evidence,
    Judgement,
    threshold_criteria,
    verdict,
    why_not,
)
from driftline.gate._policy import GatePolicy
from driftline.gate._slicing import judge_slices
from driftline.metrics import (
    HIGHER_IS_BETTER,
    Paired,
    metric_label,
    paired_bootstrap,
)

__all__ = ["Evidence", "Judgement", "judge"]


def judge(policy: GatePolicy, ev: Evidence, *, seed: int = 0) -> Judgement:
    """Every criterion of ``policy`` on the evidence; see the module docstring."""
    out = Judgement()
    n = len(ev.y_true)
    conf = policy.confidence
    out.criteria.append(
        Criterion(
            name="evaluation size",
            kind="min_rows",
            verdict=verdict(n >= policy.min_rows),
            sentence=words.rows_sentence(n, policy.min_rows),
            figure=float(n),
            threshold=float(policy.min_rows),
        )
    )
    if policy.quality:
        out.criteria.append(_quality(ev))

    # Overall figures: every metric a criterion names, candidate and baseline on shared resamples.
    wanted = [m for m in (*policy.thresholds, *policy.regression)]
    usable = [m for m in dict.fromkeys(wanted) if why_not(m, ev.candidate) is None]
    base = ev.baseline
    usable_b = [m for m in usable if base is not None and why_not(m, base) is None]
    figures: dict[str, Paired] = {}
    alone = [m for m in usable if m not in usable_b]
    common = {"confidence": conf, "n_resamples": policy.n_resamples, "seed": seed}
    if alone:
        figures.update(paired_bootstrap(ev.y_true, ev.candidate, None, alone, **common))  # type: ignore[arg-type]
    if usable_b and base is not None:
        figures.update(paired_bootstrap(ev.y_true, ev.candidate, base, usable_b, **common))  # type: ignore[arg-type]
    for m in usable:
        f = figures[m]
        out.metrics.append(
            Comparison(m, HIGHER_IS_BETTER[m], f.candidate, f.baseline, f.difference)
        )

    for metric, bound in policy.thresholds.items():
        out.criteria += threshold_criteria(
            metric, bound.min, bound.max, figures.get(metric), ev, conf
        )
    for metric, max_drop in policy.regression.items():
        out.criteria.append(_regression(metric, max_drop, figures.get(metric), ev, conf))
    if policy.max_ece is not None:
        out.criteria.append(_calibration(policy.max_ece, ev))
    if policy.slices is not None:
        judge_slices(policy, ev, out, seed=seed)
    for column, bounds in policy.fairness.items():
        for disparity, bound in bounds.items():
            out.criteria += _fairness(column, disparity, bound.min, bound.max, ev)
    if policy.require_audit:
        out.criteria.append(_audit(ev))
    return out


def _fairness(
    column: str, disparity: str, lo: float | None, hi: float | None, ev: Evidence
) -> list[Criterion]:
    out = []
    report = ev.fairness
    attr = report.attributes.get(column) if report is not None else None
    for side, limit in (("min", lo), ("max", hi)):
        if limit is None:
            continue
        sign = "≥" if side == "min" else "≤"
        name = f"{disparity.replace('_', ' ')} of {column} {sign} {limit:g}"
        if attr is None:
            reason = ev.fairness_missing or f"no figures for {column!r}"
            out.append(
                Criterion(
                    name=name,
                    kind="fairness",
                    verdict="fail",
                    sentence=words.cannot_sentence(
                        f"{disparity.replace('_', ' ')} of {ev.candidate_name}",
                        reason,
                        words.NOT_APPLICABLE,
                    ),
                    threshold=limit,
                    metric=disparity,
                    slice=column,
                )
            )
            continue
        iv = attr.disparities[disparity]
        ok = bool(np.isfinite(iv.value)) and (
            iv.value >= limit if side == "min" else iv.value <= limit
        )
        out.append(
            Criterion(
                name=name,
                kind="fairness",
                verdict=verdict(ok),
                sentence=words.fairness_sentence(
                    ev.candidate_name, column, disparity, iv.value, iv.low, iv.high, side, limit, ok
                ),
                figure=iv.value,
                low=iv.low,
                high=iv.high,
                threshold=limit,
                metric=disparity,
                slice=column,
            )
        )
    return out


def _audit(ev: Evidence) -> Criterion:
    found = ev.audit is not None
    passed = found and bool(ev.audit.get("passed"))
    return Criterion(
        name="clean training-data audit",
        kind="audit",
        verdict=verdict(passed),
        sentence=words.audit_sentence(
            ev.candidate_name, found, passed, str(ev.audit.get("headline", "")) if found else ""
        ),
    )


def _regression(
    metric: str, max_drop: float, figure: Paired | None, ev: Evidence, conf: float
) -> Criterion:
    name = f"{metric_label(metric)} not worse than baseline by more than {max_drop:g}"
    reason = None
    if figure is None:
        reason = why_not(metric, ev.candidate) or "it could not be computed"
    elif ev.baseline is None:
        reason = ev.baseline_missing or "there is no baseline to compare with"
    elif figure.difference is None:
        reason = why_not(metric, ev.baseline) or "it could not be computed"
        reason = f"for the baseline, {reason}"
    gain = figure.gain() if figure is not None else None
    diff = figure.difference if figure is not None else None
    if reason is not None or figure is None or gain is None or diff is None or not figure.baseline:
        return Criterion(
            name=name,
            kind="regression",
            verdict="fail",
            sentence=words.cannot_sentence(
                f"{metric_label(metric)} of {ev.candidate_name}",
                reason or "it could not be computed",
                words.NO_BASELINE if ev.baseline is None else words.NOT_APPLICABLE,
                verb=f"be compared with {ev.baseline_name}",
            ),
            threshold=max_drop,
            metric=metric,
        )
    ok = bool(np.isfinite(gain.low)) and gain.low >= -max_drop
    return Criterion(
        name=name,
        kind="regression",
        verdict=verdict(ok),
        sentence=words.regression_sentence(
            metric,
            ev.candidate_name,
            ev.baseline_name,
            (figure.candidate.value, figure.baseline.value),
            (diff.value, diff.low, diff.high),
            -gain.low,
            max_drop,
            conf,
            within=-gain.value <= max_drop,
        ),
        figure=diff.value,
        low=diff.low,
        high=diff.high,
        threshold=max_drop,
        metric=metric,
    )


def _calibration(max_ece: float, ev: Evidence) -> Criterion:
    name = f"calibration error (ECE) ≤ {max_ece:g}"
    p = ev.candidate
    if p.task == "regression" or p.y_proba is None or p.classes is None:
        why = (
            "the model is a regressor"
            if p.task == "regression"
            else "the model gives no probabilities (no predict_proba)"
        )
        return Criterion(
            name=name,
            kind="calibration",
            verdict="fail",
            sentence=words.cannot_sentence(
                f"calibration of {ev.candidate_name}", why, words.NOT_APPLICABLE
            ),
            threshold=max_ece,
            metric="ece",
        )
    from driftline.calibration import calibration_report

    report = calibration_report(ev.y_true, p.y_proba, classes=p.classes)
    ok = report.ece <= max_ece
    return Criterion(
        name=name,
        kind="calibration",
        verdict=verdict(ok),
        sentence=words.calibration_sentence(
            ev.candidate_name, report.ece, report.ece_chance, report.n, max_ece
        ),
        figure=report.ece,
        threshold=max_ece,
        metric="ece",
    )


def _quality(ev: Evidence) -> Criterion:
    name = "data quality"
    report = ev.quality
    if report is None:
        return Criterion(
            name=name,
            kind="quality",
            verdict="fail",
            sentence=words.cannot_sentence(
                "the data check",
                ev.quality_missing or "there is no report",
                words.NO_TRAINING_DATA,
                verb="run",
            ),
        )
    from driftline.quality import problem_words

    critical = report.by_severity("critical")
    warnings = report.by_severity("warning")
    return Criterion(
        name=name,
        kind="quality",
        verdict="fail" if critical else "pass",
        sentence=words.quality_sentence(len(critical), len(warnings), problem_words(critical)),
        figure=float(len(critical)),
        threshold=0.0,
    )
