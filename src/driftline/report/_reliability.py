"""The reliability diagram as inline SVG: what the model said against what happened.

Points on the dashed diagonal are calibrated; below it the model said more
than happened (overconfident where it is sure), above it less. Each point
is a bin, its size the number of rows, its whisker the interval on the
observed frequency; the bars underneath show where the predictions fall.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from driftline.calibration import CalibrationReport
from driftline.report._svg import CURRENT, QUIET, REFERENCE

__all__ = ["reliability_svg"]

_LEFT, _RIGHT, _TOP, _SIDE = 46, 14, 14, 280
_HIST, _AXIS = 46, 50


def _x(v: float) -> float:
    return _LEFT + v * _SIDE


def _y(v: float) -> float:
    return _TOP + (1 - v) * _SIDE


def reliability_svg(
    report: CalibrationReport,
    *,
    other: CalibrationReport | None = None,
    labels: Sequence[str] = ("before", "after"),
    title: str | None = None,
) -> Markup:
    """The reliability diagram of ``report``; with ``other``, both on one chart.

    With two reports, ``report`` is drawn grey and ``other`` blue, named by
    ``labels`` (e.g. before and after recalibration). Returns markup that is
    safe to insert into a page as is.
    """
    series: list[tuple[CalibrationReport, str, str | None]] = [(report, CURRENT, None)]
    if other is not None:
        series = [(report, REFERENCE, labels[0]), (other, CURRENT, labels[1])]
    axis = (
        f"predicted probability of class {report.positive!r}"
        if report.task == "binary"
        else "confidence (probability of the predicted class)"
    )
    name = title or "reliability diagram: predicted probability against observed frequency"
    width = _LEFT + _SIDE + _RIGHT
    hist_top = _TOP + _SIDE + _AXIS
    height = hist_top + _HIST + 20 + (18 if other is not None else 0)
    parts = [
        f'<svg class="chart reliability" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(name)}" style="max-width: 440px">',
        f"<title>{escape(name)}</title>",
        f'<rect x="{_LEFT}" y="{_TOP}" width="{_SIDE}" height="{_SIDE}" fill="none" '
        f'stroke="#cbd5e1"/>',
    ]
    for t in (0.0, 0.2, 0.4, 0.6, 0.8, 1.0):
        parts.append(
            f'<line x1="{_x(t):.1f}" y1="{_TOP + _SIDE}" x2="{_x(t):.1f}" '
            f'y2="{_TOP + _SIDE + 4}" stroke="#94a3b8"/>'
            f'<text x="{_x(t):.1f}" y="{_TOP + _SIDE + 15}" text-anchor="middle" '
            f'class="tick">{t:.1f}</text>'
            f'<line x1="{_LEFT - 4}" y1="{_y(t):.1f}" x2="{_LEFT}" y2="{_y(t):.1f}" '
            f'stroke="#94a3b8"/>'
            f'<text x="{_LEFT - 7}" y="{_y(t) + 4:.1f}" text-anchor="end" '
            f'class="tick">{t:.1f}</text>'
        )
    parts.append(
        f'<line x1="{_x(0)}" y1="{_y(0)}" x2="{_x(1)}" y2="{_y(1)}" stroke="{QUIET}" '
        f'stroke-dasharray="5 4"><title>perfect calibration</title></line>'
        f'<text x="{_x(0.5):.1f}" y="{_TOP + _SIDE + 29}" text-anchor="middle" '
        f'class="tick">{escape(axis)}</text>'
        f'<text transform="translate(12 {_y(0.5):.1f}) rotate(-90)" text-anchor="middle" '
        f'class="tick">observed frequency</text>'
    )
    biggest = max((b.count for r, _, _ in series for b in r.bins), default=1) or 1
    for r, color, label in series:
        parts.extend(_points(r, color, label, biggest))
    parts.extend(_histogram(series, hist_top))
    if other is not None:
        y = height - 6
        for i, (_, color, label) in enumerate(series):
            x = _LEFT + i * 120
            parts.append(
                f'<circle cx="{x + 5}" cy="{y - 4}" r="5" fill="{color}"/>'
                f'<text x="{x + 14}" y="{y}" class="tick">{escape(str(label))}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def _points(report: CalibrationReport, color: str, label: str | None, biggest: int) -> list[str]:
    bins = report.bins
    if not bins:
        return []
    out = []
    path = " ".join(f"{_x(b.mean_predicted):.1f},{_y(b.observed):.1f}" for b in bins)
    out.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="1.5"/>')
    prefix = f"{label}: " if label else ""
    for b in bins:
        cx, cy = _x(b.mean_predicted), _y(b.observed)
        radius = 2.5 + 4.5 * (b.count / biggest) ** 0.5
        tip = (
            f"{prefix}{b.lower:.2f}–{b.upper:.2f}: {b.count:,} rows; said "
            f"{100 * b.mean_predicted:.1f}%, happened {100 * b.observed:.1f}% "
            f"({100 * report.confidence:.0f}% interval {100 * b.low:.0f}–{100 * b.high:.0f}%)"
        )
        out.append(
            f'<line x1="{cx:.1f}" y1="{_y(b.low):.1f}" x2="{cx:.1f}" y2="{_y(b.high):.1f}" '
            f'stroke="{color}" stroke-opacity="0.6"/>'
            f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{radius:.1f}" fill="{color}" '
            f'fill-opacity="0.85"><title>{escape(tip)}</title></circle>'
        )
    return out


def _histogram(series: list[tuple[CalibrationReport, str, str | None]], top: float) -> list[str]:
    """Share of rows in each bin, per series, as thin bars on the same x axis."""
    out = [
        f'<text x="{_LEFT}" y="{top - 4}" class="tick">where the predictions fall</text>',
        f'<line x1="{_LEFT}" y1="{top + _HIST}" x2="{_LEFT + _SIDE}" y2="{top + _HIST}" '
        f'stroke="#cbd5e1"/>',
    ]
    shares = [(r, color, [b.count / max(r.n, 1) for b in r.bins]) for r, color, _ in series]
    peak = max((s for _, _, ss in shares for s in ss), default=1.0) or 1.0
    for i, (r, color, ss) in enumerate(shares):
        for b, share in zip(r.bins, ss, strict=True):
            x0, x1 = _x(b.lower), _x(b.upper)
            w = max(1.0, (x1 - x0) / len(shares) - 1)
            h = _HIST * share / peak
            out.append(
                f'<rect x="{x0 + i * w + 0.5:.1f}" y="{top + _HIST - h:.1f}" width="{w:.1f}" '
                f'height="{h:.1f}" fill="{color}"><title>{b.count:,} rows '
                f"({100 * share:.1f}%)</title></rect>"
            )
    return out
