"""The page of a GateDecision: the verdict, every criterion, candidate beside baseline."""

from __future__ import annotations

import math
from collections.abc import Sequence

from markupsafe import Markup, escape

from driftline.gate import Comparison, GateDecision
from driftline.metrics import Interval, metric_label
from driftline.report._evaluation_charts import Bar, interval_bars
from driftline.report._page import Page, build_page
from driftline.report._svg import ALERT, CURRENT, REFERENCE
from driftline.stats import Profile

__all__: list[str] = []

GOOD = "#15803d"
_UNIT = {"accuracy", "precision", "recall", "f1", "roc_auc", "pr_auc", "brier"}


def _axis(metric: str, values: Sequence[Interval]) -> tuple[float, float]:
    if metric in _UNIT:
        return 0.0, 1.0
    seen = [v for iv in values for v in (iv.value, iv.low, iv.high) if math.isfinite(v)]
    top = max([*seen, 0.0])
    bottom = min([*seen, 0.0])
    if metric == "r2":
        return bottom, max(top, 1.0)
    return bottom, (top * 1.15) or 1.0


def _text(iv: Interval) -> str:
    if not math.isfinite(iv.value):
        return "n/a"
    if math.isfinite(iv.low) and math.isfinite(iv.high):
        return f"{iv.value:.3f} ({iv.low:.3f}–{iv.high:.3f})"
    return f"{iv.value:.3f}"


def _pair(c: Comparison, label: str, candidate: str, baseline: str | None) -> list[Bar]:
    ivs = [c.candidate] + ([c.baseline] if c.baseline else [])
    lo, hi = _axis(c.metric, ivs)
    bars = [
        Bar(
            f"{label}: {candidate}",
            c.candidate.value,
            c.candidate.low,
            c.candidate.high,
            lo,
            hi,
            _text(c.candidate),
            CURRENT,
        )
    ]
    if c.baseline is not None:
        b = c.baseline
        bars.append(
            Bar(f"{label}: {baseline}", b.value, b.low, b.high, lo, hi, _text(b), REFERENCE)
        )
    return bars


def _gain(c: Comparison) -> Interval | None:
    d = c.difference
    if d is None:
        return None
    return d if c.higher_is_better else Interval(-d.value, -d.high, -d.low)


def difference_chart(
    rows: Sequence[tuple[str, Interval, float | None, bool]], *, title: str
) -> Markup:
    """How much better the candidate is, row by row: a dot, its interval, zero and the allowance.

    Each row is (label, gain interval, allowed drop or None, failed); positive
    is better for the candidate whatever the metric's direction.
    """
    rows = [r for r in rows if math.isfinite(r[1].value)]
    if not rows:
        return Markup("")
    width, label_w, row_h, value_w = 560, 190, 22, 70
    span = width - label_w - value_w
    height = row_h * len(rows) + 30
    ends = [v for _, iv, _, _ in rows for v in (iv.low, iv.high, iv.value) if math.isfinite(v)]
    ends += [-(a or 0.0) for _, _, a, _ in rows]
    reach = max(abs(v) for v in [*ends, 1e-3]) * 1.1

    def at(v: float) -> float:
        return label_w + span * (v + reach) / (2 * reach)

    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>',
        f'<line x1="{at(0):.1f}" y1="4" x2="{at(0):.1f}" y2="{height - 22}" stroke="#94a3b8"/>',
        f'<text x="{at(-reach) + 2:.1f}" y="{height - 6}" class="tick">← candidate worse</text>',
        f'<text x="{at(reach) - 2:.1f}" y="{height - 6}" text-anchor="end" class="tick">'
        f"candidate better →</text>",
    ]
    for i, (label, iv, allowed, failed) in enumerate(rows):
        y = 8 + i * row_h
        mid = y + row_h / 2 - 3
        color = ALERT if failed else GOOD
        short = label if len(label) <= 30 else label[:29] + "…"
        parts.append(
            f'<text x="{label_w - 8}" y="{mid + 4:.1f}" text-anchor="end" class="tick">'
            f"{escape(short)}</text>"
        )
        if allowed is not None:
            x = at(-allowed)
            parts.append(
                f'<line x1="{x:.1f}" y1="{y:.1f}" x2="{x:.1f}" y2="{y + row_h - 6:.1f}" '
                f'stroke="{ALERT}" stroke-dasharray="3 2"><title>allowed drop {allowed:g}'
                f"</title></line>"
            )
        if math.isfinite(iv.low) and math.isfinite(iv.high):
            parts.append(
                f'<line x1="{at(iv.low):.1f}" y1="{mid:.1f}" x2="{at(iv.high):.1f}" '
                f'y2="{mid:.1f}" stroke="{color}" stroke-width="2"/>'
            )
        parts.append(
            f'<circle cx="{at(iv.value):.1f}" cy="{mid:.1f}" r="4" fill="{color}">'
            f"<title>{escape(label)}: {iv.value:+.3f}</title></circle>"
            f'<text x="{label_w + span + 6}" y="{mid + 4:.1f}" class="tick">{iv.value:+.3f}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


@build_page.register
def _gate_page(
    decision: GateDecision, *, reference: Profile | None = None, current: Profile | None = None
) -> Page:
    policy = decision.policy
    pct = f"{100 * policy.confidence:g}"
    cand = decision.candidate
    base = decision.baseline
    criteria = [
        {
            "verdict": c.verdict,
            "tag": "ok" if c.passed else "critical",
            "name": c.name,
            "sentence": c.sentence,
        }
        for c in decision.criteria
    ]
    groups = [
        (metric_label(c.metric), _pair(c, metric_label(c.metric), cand, base))
        for c in decision.metrics
    ]
    metric_chart = interval_bars(groups, title=f"each metric with its {pct}% interval")

    failed = {(c.kind, c.metric, c.slice) for c in decision.failed}
    diffs = []
    for c in decision.metrics:
        gain = _gain(c)
        if gain is not None:
            allowed = policy.regression.get(c.metric)
            diffs.append(
                (metric_label(c.metric), gain, allowed, ("regression", c.metric, None) in failed)
            )
    diff_chart = difference_chart(diffs, title="how much better the candidate is, paired")

    slice_metric = None
    if policy.slices is not None:
        slice_metric = policy.slices.metric or (
            "mae" if decision.task == "regression" else "accuracy"
        )
    main = [s for s in decision.slices if s.metric == slice_metric]
    slice_chart = interval_bars(
        [(s.slice, _pair(s, s.slice, cand, base)) for s in main],
        title=f"{metric_label(slice_metric or '')} on each slice",
    )
    allowed_slice = policy.slices.max_drop if policy.slices is not None else None
    slice_diff = difference_chart(
        [
            (s.slice, g, allowed_slice, ("slice_regression", s.metric, s.slice) in failed)
            for s in main
            if (g := _gain(s)) is not None
        ],
        title="how much better the candidate is on each slice, paired",
    )
    slice_rows = [
        {
            "slice": s.slice,
            "rows": s.rows,
            "candidate": _text(s.candidate),
            "baseline": _text(s.baseline) if s.baseline else "-",
            "difference": (
                f"{s.difference.value:+.3f}"
                if s.difference and math.isfinite(s.difference.value)
                else "-"
            ),
            "failed": any(k[2] == s.slice for k in failed),
        }
        for s in main
    ]
    return Page(
        template="gate.html.j2",
        title="Release gate",
        headline=decision.headline,
        status="good" if decision.passed else "bad",
        context={
            "decision": decision,
            "pct": pct,
            "criteria": criteria,
            "counts": {
                "pass": sum(c.passed for c in decision.criteria),
                "fail": len(decision.failed),
            },
            "metric_chart": metric_chart,
            "diff_chart": diff_chart,
            "slice_metric": metric_label(slice_metric) if slice_metric else None,
            "slice_chart": slice_chart,
            "slice_diff": slice_diff,
            "slice_rows": slice_rows,
            "legend": Markup(
                f'<span style="background: {CURRENT}"></span>candidate {escape(cand)}'
                + (
                    f'<span style="background: {REFERENCE}"></span>baseline {escape(base)}'
                    if base
                    else ""
                )
            ),
            "policy_text": policy.to_toml(),
        },
    )
