"""Small inline SVG charts: no script, no network, readable when printed.

Each function returns markup that is safe to insert as is: every label is
escaped here. Colors come from the page's palette so charts and text agree.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
from markupsafe import Markup, escape

from driftline.stats import ColumnProfile

__all__ = ["CURRENT", "REFERENCE", "effect_chart", "histogram", "histogram_bins", "share_bar"]

REFERENCE = "#94a3b8"
CURRENT = "#2563eb"
ALERT = "#dc2626"
QUIET = "#64748b"


def _num(value: float) -> str:
    # Axis labels must stay short: 11.8k rather than 11,794.
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:.3g}"


def histogram_bins(
    reference: ColumnProfile, current: ColumnProfile
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Bin labels and the share of rows in each bin, for the two profiles of one column."""
    ref = reference.counts().astype(float)
    cur = current.counts().astype(float)
    if reference.kind in ("numeric", "datetime"):
        edges = list(reference.edges)
        if reference.kind == "datetime":
            import pandas as pd

            shown = [str(pd.Timestamp(e, unit="s", tz="UTC").date()) for e in edges]
        else:
            shown = [_num(e) for e in edges]
        labels = (
            [f"≤ {shown[0]}"]
            + [f"{a} – {b}" for a, b in itertools.pairwise(shown)]
            + [f"> {shown[-1]}"]
            if shown
            else ["all values"]
        )
    else:
        labels = [*reference.categories, "other"]
        if ref[-1] == 0 and cur[-1] == 0:
            labels, ref, cur = labels[:-1], ref[:-1], cur[:-1]
    ref_share = ref / ref.sum() if ref.sum() else ref
    cur_share = cur / cur.sum() if cur.sum() else cur
    return labels, ref_share, cur_share


def histogram(
    labels: Sequence[str], reference: np.ndarray, current: np.ndarray, *, title: str
) -> Markup:
    """Paired bars per bin: share of reference rows (grey) and of current rows (blue)."""
    n = len(labels)
    width, height, bottom, top = 560, 170, 44, 10
    if not n:
        return Markup("")
    group = (width - 20) / n
    bar = max(2.0, min(18.0, group * 0.38))
    peak = float(max(np.max(reference, initial=0.0), np.max(current, initial=0.0))) or 1.0
    scale = (height - bottom - top) / peak
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<line x1="10" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" '
        f'stroke="#cbd5e1"/>',
    ]
    show_labels = n <= 12
    for i, label in enumerate(labels):
        x = 10 + i * group + group / 2
        for value, color, dx in ((reference[i], REFERENCE, -bar), (current[i], CURRENT, 0.0)):
            h = float(value) * scale
            parts.append(
                f'<rect x="{x + dx:.1f}" y="{height - bottom - h:.1f}" width="{bar:.1f}" '
                f'height="{h:.1f}" fill="{color}"><title>{escape(label)}: '
                f"{'reference' if color == REFERENCE else 'current'} {100 * float(value):.1f}%"
                f"</title></rect>"
            )
        if show_labels:
            short = label if len(label) <= 14 else label[:13] + "…"
            parts.append(
                f'<text x="{x:.1f}" y="{height - bottom + 14 + 11 * (i % 2)}" '
                f'text-anchor="middle" class="tick">{escape(short)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def effect_chart(rows: Sequence[tuple[str, float, float, bool]], *, title: str) -> Markup:
    """One bar per column: its effect size, the floor it must pass as a dashed line."""
    rows = [r for r in rows if r[1] is not None and math.isfinite(r[1])]
    if not rows:
        return Markup("")
    width, label_w, row_h = 560, 150, 22
    height = row_h * len(rows) + 24
    peak = max(max(r[1] for r in rows), 2 * max(r[2] for r in rows)) or 1.0
    span = width - label_w - 60
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    for i, (name, size, floor, drifted) in enumerate(rows):
        y = 8 + i * row_h
        w = max(1.0, span * size / peak)
        color = ALERT if drifted else QUIET
        short = name if len(name) <= 20 else name[:19] + "…"
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 13}" text-anchor="end" class="tick">'
            f"{escape(short)}</text>"
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}" '
            f'fill="{color}"><title>{escape(name)}: {size:.3f} (floor {floor:g})</title></rect>'
            f'<text x="{label_w + w + 4:.1f}" y="{y + 13}" class="tick">{size:.2f}</text>'
        )
    floors = {r[2] for r in rows}
    for floor in floors:
        x = label_w + span * floor / peak
        parts.append(
            f'<line x1="{x:.1f}" y1="4" x2="{x:.1f}" y2="{height - 16}" stroke="{ALERT}" '
            f'stroke-dasharray="4 3"/><text x="{x:.1f}" y="{height - 4}" text-anchor="middle" '
            f'class="tick">floor {floor:g}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def share_bar(share: float, *, color: str = CURRENT) -> Markup:
    """A thin bar filled to ``share`` (0 to 1), for percentages in a sentence."""
    share = min(1.0, max(0.0, float(share)))
    return Markup(
        f'<svg class="share" viewBox="0 0 100 8" preserveAspectRatio="none" '
        f'aria-hidden="true"><rect width="100" height="8" fill="#e2e8f0"/>'
        f'<rect width="{100 * share:.1f}" height="8" fill="{color}"/></svg>'
    )
