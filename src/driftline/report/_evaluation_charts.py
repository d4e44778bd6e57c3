"""Inline SVG charts of a model's evaluation: intervals, confusion, curves, residuals.

Like :mod:`driftline.report._svg`: no script, no network, every label
escaped here, colors from the page's palette. Each function takes plain
numbers (what an :class:`~driftline.evaluation.EvaluationReport` stores), so
a gate or dashboard page can draw the same pictures.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from driftline.report._svg import ALERT, CURRENT, QUIET, REFERENCE

__all__ = [
    "Bar",
    "confusion_heatmap",
    "curve_chart",
    "interval_bars",
    "residual_histogram",
    "scatter_chart",
]

GRID = "#e2e8f0"
AXIS = "#cbd5e1"
GOOD = "#15803d"
# Bars of one group, in order (e.g. precision, recall, F1 of a class).
SERIES = (REFERENCE, "#60a5fa", CURRENT)


@dataclass(frozen=True)
class Bar:
    """One bar: a value with its interval, on an axis from ``lo`` to ``hi``."""

    label: str
    value: float
    low: float = math.nan
    high: float = math.nan
    lo: float = 0.0
    hi: float = 1.0
    text: str = ""  # the value as printed beside the bar
    color: str = CURRENT


def _f(x: float) -> str:
    return f"{x:.1f}"


def _short(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def _open(width: float, height: float, title: str) -> list[str]:
    return [
        # Never drawn larger than designed: small charts stay small, text stays legible.
        f'<svg class="chart" viewBox="0 0 {_f(width)} {_f(height)}" role="img" '
        f'style="max-width: {width:.0f}px" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]


def interval_bars(groups: Sequence[tuple[str, Sequence[Bar]]], *, title: str) -> Markup:
    """Horizontal bars with interval whiskers; each group a labelled row of one or more bars.

    Every bar has its own axis (``lo`` to ``hi``), so metrics of different
    scales share one chart; the printed value says the number.
    """
    groups = [(g, [b for b in bars if math.isfinite(b.value)]) for g, bars in groups]
    groups = [(g, bars) for g, bars in groups if bars]
    if not groups:
        return Markup("")
    width, label_w, value_w, bar_h, gap = 560, 150, 130, 12, 10
    span = width - label_w - value_w - 10
    height = sum(len(bars) * (bar_h + 3) + gap for _, bars in groups) + 8
    parts = _open(width, height, title)
    y = 6.0
    for name, bars in groups:
        parts.append(
            f'<text x="{label_w - 8}" y="{_f(y + bar_h - 2)}" text-anchor="end" class="tick">'
            f"{escape(_short(name, 24))}</text>"
        )
        for bar in bars:
            scale = span / ((bar.hi - bar.lo) or 1.0)

            def at(v: float, bar: Bar = bar, scale: float = scale) -> float:
                return label_w + scale * (min(max(v, bar.lo), bar.hi) - bar.lo)

            x0 = at(max(bar.lo, min(0.0, bar.hi)))
            x1 = at(bar.value)
            left, w = min(x0, x1), max(1.0, abs(x1 - x0))
            tip = f"{bar.label}: {bar.text or f'{bar.value:.3f}'}"
            parts.append(
                f'<rect x="{_f(label_w)}" y="{_f(y)}" width="{_f(span)}" height="{bar_h}" '
                f'fill="#f8fafc"/>'
                f'<rect x="{_f(left)}" y="{_f(y)}" width="{_f(w)}" height="{bar_h}" '
                f'fill="{bar.color}"><title>{escape(tip)}</title></rect>'
            )
            if math.isfinite(bar.low) and math.isfinite(bar.high):
                a, b, mid = at(bar.low), at(bar.high), y + bar_h / 2
                parts.append(
                    f'<path d="M{_f(a)} {_f(mid)}H{_f(b)}M{_f(a)} {_f(y + 2)}V{_f(y + bar_h - 2)}'
                    f'M{_f(b)} {_f(y + 2)}V{_f(y + bar_h - 2)}" stroke="#0f172a" '
                    f'stroke-width="1.3" fill="none"/>'
                )
            parts.append(
                f'<text x="{_f(label_w + span + 8)}" y="{_f(y + bar_h - 2)}" class="tick">'
                f"{escape(_short(bar.text or f'{bar.value:.3f}', 24))}</text>"
            )
            y += bar_h + 3
        y += gap
    parts.append("</svg>")
    return Markup("".join(parts))


def _mix(share: float) -> str:
    """White to the page's blue, by ``share`` (0 to 1)."""
    share = min(1.0, max(0.0, share))
    r = round(255 + (0x25 - 255) * share)
    g = round(255 + (0x63 - 255) * share)
    b = round(255 + (0xEB - 255) * share)
    return f"#{r:02x}{g:02x}{b:02x}"


def confusion_heatmap(
    labels: Sequence[str], matrix: Sequence[Sequence[int]], *, title: str
) -> Markup:
    """Rows are the true classes, columns the predicted ones; shade is the share of the row."""
    k = len(labels)
    if not k or len(matrix) != k:
        return Markup("")
    cell = max(22.0, min(72.0, 420.0 / k))
    left, top = 110.0, 64.0
    width = left + cell * k + 12
    height = top + cell * k + 12
    parts = _open(width, height, title)
    parts.append(
        f'<text x="{_f(left + cell * k / 2)}" y="12" text-anchor="middle" class="tick">'
        f"predicted</text>"
        f'<text x="10" y="{_f(top + cell * k / 2)}" class="tick">true</text>'
    )
    show_counts = cell >= 30
    for j, name in enumerate(labels):
        x = left + cell * j + cell / 2
        parts.append(
            f'<text x="{_f(x)}" y="{_f(top - 8)}" text-anchor="end" class="tick" '
            f'transform="rotate(-35 {_f(x)} {_f(top - 8)})">{escape(_short(name, 12))}</text>'
        )
    for i, name in enumerate(labels):
        row = [int(v) for v in matrix[i]]
        total = sum(row)
        y = top + cell * i
        parts.append(
            f'<text x="{_f(left - 6)}" y="{_f(y + cell / 2 + 4)}" text-anchor="end" '
            f'class="tick">{escape(_short(name, 14))}</text>'
        )
        for j, count in enumerate(row):
            share = count / total if total else 0.0
            x = left + cell * j
            edge = f' stroke="{GOOD}" stroke-width="1.5"' if i == j else f' stroke="{GRID}"'
            parts.append(
                f'<rect x="{_f(x)}" y="{_f(y)}" width="{_f(cell)}" height="{_f(cell)}" '
                f'fill="{_mix(share)}"{edge}><title>true {escape(name)}, predicted '
                f"{escape(labels[j])}: {count:,} rows ({100 * share:.1f}% of the row)"
                f"</title></rect>"
            )
            if show_counts:
                ink = "#ffffff" if share > 0.55 else "#0f172a"
                parts.append(
                    f'<text x="{_f(x + cell / 2)}" y="{_f(y + cell / 2 + 4)}" '
                    f'text-anchor="middle" font-size="11" fill="{ink}">{_count(count)}</text>'
                )
    parts.append("</svg>")
    return Markup("".join(parts))


def _count(n: int) -> str:
    return f"{n / 1000:.1f}k" if n >= 10_000 else f"{n:,}"


def _axes(
    parts: list[str], x0: float, y0: float, w: float, h: float, x_label: str, y_label: str
) -> None:
    parts.append(
        f'<rect x="{_f(x0)}" y="{_f(y0)}" width="{_f(w)}" height="{_f(h)}" fill="none" '
        f'stroke="{AXIS}"/>'
        f'<text x="{_f(x0 + w / 2)}" y="{_f(y0 + h + 30)}" text-anchor="middle" class="tick">'
        f"{escape(x_label)}</text>"
        f'<text x="{_f(x0 - 40)}" y="{_f(y0 + h / 2)}" text-anchor="middle" class="tick" '
        f'transform="rotate(-90 {_f(x0 - 40)} {_f(y0 + h / 2)})">{escape(y_label)}</text>'
    )


def _ticks(
    parts: list[str], x0: float, y0: float, w: float, h: float, xs: tuple[float, float],
    ys: tuple[float, float],
) -> None:  # fmt: skip
    for k in range(5):
        fx = xs[0] + (xs[1] - xs[0]) * k / 4
        fy = ys[0] + (ys[1] - ys[0]) * k / 4
        px = x0 + w * k / 4
        py = y0 + h - h * k / 4
        parts.append(
            f'<text x="{_f(px)}" y="{_f(y0 + h + 14)}" text-anchor="middle" class="tick">'
            f"{_tick(fx)}</text>"
            f'<text x="{_f(x0 - 5)}" y="{_f(py + 4)}" text-anchor="end" class="tick">'
            f"{_tick(fy)}</text>"
        )
        if 0 < k < 4:
            parts.append(
                f'<path d="M{_f(px)} {_f(y0)}V{_f(y0 + h)}M{_f(x0)} {_f(py)}H{_f(x0 + w)}" '
                f'stroke="{GRID}" stroke-width="0.7"/>'
            )


def _tick(v: float) -> str:
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= size:
            return f"{v / size:.3g}{suffix}"
    return f"{v:.3g}"


def curve_chart(
    x: Sequence[float],
    y: Sequence[float],
    *,
    title: str,
    x_label: str,
    y_label: str,
    baseline: Sequence[tuple[float, float]] = (),
    baseline_label: str = "",
) -> Markup:
    """A curve on the unit square (ROC, precision-recall), a dashed no-skill line beside it."""
    if len(x) < 2 or len(x) != len(y):
        return Markup("")
    size, x0, y0 = 260.0, 58.0, 10.0
    parts = _open(x0 + size + 16, y0 + size + 40, title)
    _ticks(parts, x0, y0, size, size, (0.0, 1.0), (0.0, 1.0))
    _axes(parts, x0, y0, size, size, x_label, y_label)

    def point(a: float, b: float) -> str:
        return f"{_f(x0 + size * a)} {_f(y0 + size * (1 - b))}"

    if len(baseline) >= 2:
        d = "M" + "L".join(point(a, b) for a, b in baseline)
        parts.append(
            f'<path d="{d}" stroke="{QUIET}" stroke-dasharray="4 3" fill="none">'
            f"<title>{escape(baseline_label)}</title></path>"
        )
    d = "M" + "L".join(point(a, b) for a, b in zip(x, y, strict=True))
    parts.append(f'<path d="{d}" stroke="{CURRENT}" stroke-width="2" fill="none"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


def scatter_chart(actual: Sequence[float], predicted: Sequence[float], *, title: str) -> Markup:
    """Predicted against actual values; the dashed diagonal is a perfect prediction."""
    pairs = [
        (float(a), float(p))
        for a, p in zip(actual, predicted, strict=True)
        if math.isfinite(a) and math.isfinite(p)
    ]
    if not pairs:
        return Markup("")
    lo = min(min(a, p) for a, p in pairs)
    hi = max(max(a, p) for a, p in pairs)
    if hi == lo:
        lo, hi = lo - 1, hi + 1
    pad = (hi - lo) * 0.04
    lo, hi = lo - pad, hi + pad
    size, x0, y0 = 300.0, 64.0, 10.0
    parts = _open(x0 + size + 16, y0 + size + 40, title)
    _ticks(parts, x0, y0, size, size, (lo, hi), (lo, hi))
    _axes(parts, x0, y0, size, size, "actual", "predicted")

    def px(v: float) -> float:
        return x0 + size * (v - lo) / (hi - lo)

    def py(v: float) -> float:
        return y0 + size * (1 - (v - lo) / (hi - lo))

    parts.append(
        f'<path d="M{_f(px(lo))} {_f(py(lo))}L{_f(px(hi))} {_f(py(hi))}" stroke="{QUIET}" '
        f'stroke-dasharray="4 3"/>'
    )
    parts += [
        f'<circle cx="{_f(px(a))}" cy="{_f(py(p))}" r="2.2" fill="{CURRENT}" fill-opacity="0.45"/>'
        for a, p in pairs
    ]
    parts.append("</svg>")
    return Markup("".join(parts))


def residual_histogram(edges: Sequence[float], counts: Sequence[float], *, title: str) -> Markup:
    """Rows per range of (predicted - actual); the red line is zero error."""
    if len(counts) == 0 or len(edges) != len(counts) + 1:
        return Markup("")
    width, height, x0, y0, bottom = 560.0, 190.0, 44.0, 10.0, 40.0
    w, h = width - x0 - 12, height - y0 - bottom
    lo, hi = float(edges[0]), float(edges[-1])
    span = (hi - lo) or 1.0
    peak = max(counts) or 1
    parts = _open(width, height, title)
    parts.append(
        f'<line x1="{_f(x0)}" y1="{_f(y0 + h)}" x2="{_f(x0 + w)}" y2="{_f(y0 + h)}" '
        f'stroke="{AXIS}"/>'
    )
    for i, count in enumerate(counts):
        a = x0 + w * (float(edges[i]) - lo) / span
        b = x0 + w * (float(edges[i + 1]) - lo) / span
        bh = h * count / peak
        parts.append(
            f'<rect x="{_f(a + 0.5)}" y="{_f(y0 + h - bh)}" width="{_f(max(0.5, b - a - 1))}" '
            f'height="{_f(bh)}" fill="{CURRENT}"><title>{_tick(float(edges[i]))} to '
            f"{_tick(float(edges[i + 1]))}: {int(count):,} rows</title></rect>"
        )
    for k in range(5):
        v = lo + span * k / 4
        parts.append(
            f'<text x="{_f(x0 + w * k / 4)}" y="{_f(y0 + h + 14)}" text-anchor="middle" '
            f'class="tick">{_tick(v)}</text>'
        )
    if lo <= 0 <= hi:
        zx = x0 + w * (0 - lo) / span
        parts.append(
            f'<line x1="{_f(zx)}" y1="{_f(y0)}" x2="{_f(zx)}" y2="{_f(y0 + h)}" '
            f'stroke="{ALERT}" stroke-dasharray="4 3"/>'
        )
    parts.append(
        f'<text x="{_f(x0 + w / 2)}" y="{_f(height - 6)}" text-anchor="middle" class="tick">'
        f"prediction minus actual value</text>"
    )
    parts.append("</svg>")
    return Markup("".join(parts))
