"""SliceFinding and SliceReport: how a model serves groups of rows, as plain data."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from driftline.errors import InputError
from driftline.io import json_number
from driftline.metrics import HIGHER_IS_BETTER, Interval
from driftline.slices._spec import Slice
from driftline.words import plural

__all__ = ["FORMAT", "SliceFinding", "SliceReport", "metric_text", "sentence"]

_TODO = "Collect more labelled examples like them, or check their labels and inputs."

FORMAT = 1
Kind = Literal["defined", "discovered"]


def _opt(value: Any) -> float | None:
    return None if value is None else float(value)


def metric_text(value: float) -> str:
    """A metric value for a sentence: 0.71, 12.4, 1,250."""
    if not math.isfinite(value):
        return "n/a"
    if abs(value) < 10:
        return f"{value:.2f}"
    if abs(value) < 1000:
        return f"{value:.1f}"
    return f"{value:,.0f}"


def _share_text(share: float) -> str:
    pct = 100 * share
    return f"{pct:.1f}%" if pct < 10 else f"{pct:.0f}%"


def sentence(
    label: str, metric: str, value: Interval | None, overall: float, rows: int, share: float
) -> str:
    """One finding in words: "region North: accuracy 0.71 vs 0.89 overall, 412 rows (4.1%)"."""
    if value is None:
        return f"{label}: too few rows to judge ({rows:,} rows)"
    return (
        f"{label}: {metric} {metric_text(value.value)} vs {metric_text(overall)} overall, "
        f"{rows:,} rows ({_share_text(share)})"
    )


@dataclass(frozen=True)
class SliceFinding:
    """How one slice is served.

    ``value`` is the slice's ``metric`` with its confidence interval (None
    when the slice has too few rows to judge), ``overall`` the metric on all
    rows, ``rows`` and ``share`` the slice's size. ``p_value`` is the
    one-sided test that the slice is served worse than the other rows and
    ``adjusted_p`` that p-value adjusted for every slice tested alongside
    (None when the metric is not a mean over rows, e.g. ROC AUC).
    ``metrics`` holds every metric evaluated on the slice, and ``score`` the
    SliceLine score of a discovered slice.
    """

    slice: Slice
    metric: str
    value: Interval | None
    overall: float
    rows: int
    share: float
    p_value: float | None
    adjusted_p: float | None
    sentence: str
    metrics: dict[str, Interval] = field(default_factory=dict)
    score: float | None = None

    @property
    def judged(self) -> bool:
        return self.value is not None

    @property
    def gap(self) -> float | None:
        """Slice value minus the overall value (negative is worse for accuracy)."""
        return None if self.value is None else self.value.value - self.overall

    @property
    def shortfall(self) -> float | None:
        """How much worse than overall the slice is served, in metric units (negative: better)."""
        gap = self.gap
        if gap is None:
            return None
        return -gap if HIGHER_IS_BETTER.get(self.metric, True) else gap

    def to_dict(self) -> dict[str, Any]:
        return {
            "slice": self.slice.to_dict(),
            "metric": self.metric,
            "value": None if self.value is None else self.value.to_dict(),
            "overall": json_number(self.overall),
            "gap": json_number(self.gap),
            "rows": self.rows,
            "share": self.share,
            "p_value": json_number(self.p_value),
            "adjusted_p": json_number(self.adjusted_p),
            "score": json_number(self.score),
            "sentence": self.sentence,
            "metrics": {k: v.to_dict() for k, v in self.metrics.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SliceFinding:
        value = data.get("value")
        return cls(
            slice=Slice.from_dict(data["slice"]),
            metric=data["metric"],
            value=None if value is None else Interval.from_dict(value),
            overall=math.nan if data.get("overall") is None else float(data["overall"]),
            rows=int(data["rows"]),
            share=float(data["share"]),
            p_value=_opt(data.get("p_value")),
            adjusted_p=_opt(data.get("adjusted_p")),
            sentence=data["sentence"],
            metrics={k: Interval.from_dict(v) for k, v in data.get("metrics", {}).items()},
            score=_opt(data.get("score")),
        )


@dataclass(frozen=True)
class SliceReport:
    """Which groups of rows a model serves worse than the whole.

    ``kind`` is ``"defined"`` (slices named by people, every one reported,
    in the order given) or ``"discovered"`` (found by
    :func:`~driftline.slices.discover_slices`: only slices served
    significantly worse, best-supported first). ``overall`` is ``metric`` on
    all ``n_rows`` rows with its interval; ``n_tested`` is the number of
    slices whose p-values were adjusted together, ``settings`` the search or
    evaluation parameters and ``skipped`` the columns not searched and why.
    """

    kind: Kind
    task: str
    metric: str
    overall: Interval
    n_rows: int
    findings: list[SliceFinding]
    overall_metrics: dict[str, Interval] = field(default_factory=dict)
    confidence: float = 0.95
    alpha: float = 0.05
    correction: str = "bh"
    n_tested: int = 0
    settings: dict[str, Any] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)

    def worst(self) -> SliceFinding | None:
        """The judged slice with the largest shortfall against overall, or None."""
        judged = [f for f in self.findings if f.shortfall is not None]
        if not judged:
            return None
        return max(judged, key=lambda f: f.shortfall or 0.0)

    @property
    def significant(self) -> list[SliceFinding]:
        """Findings whose adjusted p-value is at most ``alpha``."""
        return [f for f in self.findings if f.adjusted_p is not None and f.adjusted_p <= self.alpha]

    @property
    def headline(self) -> str:
        overall = f"{self.metric} {metric_text(self.overall.value)} overall"
        if self.kind == "discovered":
            if not self.findings:
                return (
                    f"No slice is served significantly worse than the whole ({overall}; "
                    f"{self.n_tested:,} slices tested)."
                )
            k = len(self.findings)
            return (
                f"{plural(k, 'slice')} {'is' if k == 1 else 'are'} served significantly worse "
                f"than the whole ({overall}); worst: {self.findings[0].sentence}. {_TODO}"
            )
        judged = [f for f in self.findings if f.judged]
        worse = self.significant
        head = f"{plural(len(self.findings), 'slice')} evaluated"
        if len(judged) < len(self.findings):
            head += f" ({len(self.findings) - len(judged):,} with too few rows to judge)"
        if worse:
            return f"{head}; {len(worse):,} served significantly worse ({overall}). {_TODO}"
        return f"{head}; none served significantly worse ({overall})."

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "kind": self.kind,
            "headline": self.headline,
            "task": self.task,
            "metric": self.metric,
            "overall": self.overall.to_dict(),
            "n_rows": self.n_rows,
            "confidence": self.confidence,
            "alpha": self.alpha,
            "correction": self.correction,
            "n_tested": self.n_tested,
            "settings": dict(self.settings),
            "skipped": dict(self.skipped),
            "overall_metrics": {k: v.to_dict() for k, v in self.overall_metrics.items()},
            "findings": [f.to_dict() for f in self.findings],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SliceReport:
        if data.get("format") != FORMAT:
            raise InputError(
                f"slice report format {data.get('format')!r} is not readable by this "
                f"driftline (reads format {FORMAT}); upgrade driftline"
            )
        return cls(
            kind=data["kind"],
            task=data["task"],
            metric=data["metric"],
            overall=Interval.from_dict(data["overall"]),
            n_rows=int(data["n_rows"]),
            findings=[SliceFinding.from_dict(f) for f in data["findings"]],
            overall_metrics={
                k: Interval.from_dict(v) for k, v in data.get("overall_metrics", {}).items()
            },
            confidence=float(data["confidence"]),
            alpha=float(data["alpha"]),
            correction=data["correction"],
            n_tested=int(data["n_tested"]),
            settings=dict(data.get("settings", {})),
            skipped=dict(data.get("skipped", {})),
        )

    def __rich_console__(self, console: Any, options: Any) -> Iterator[Any]:
        from rich.table import Table
        from rich.text import Text

        bad = bool(self.significant)
        yield Text(self.headline, style="bold red" if bad else "bold")
        if not self.findings:
            return
        pct = round(100 * self.confidence)
        table = Table(show_edge=False, header_style="bold")
        table.add_column("slice", overflow="fold")
        table.add_column("rows", justify="right")
        table.add_column(self.metric, justify="right")
        table.add_column(f"{pct}% interval", justify="right")
        table.add_column("vs overall", justify="right")
        table.add_column("adj. p", justify="right")
        for f in self.findings:
            if f.value is None:
                table.add_row(f.slice.label, f"{f.rows:,}", Text("too few rows", style="dim"))
                continue
            band = (
                f"{metric_text(f.value.low)} to {metric_text(f.value.high)}"
                if math.isfinite(f.value.low)
                else ""
            )
            worse = f.adjusted_p is not None and f.adjusted_p <= self.alpha
            gap = f.gap or 0.0
            table.add_row(
                f.slice.label,
                f"{f.rows:,}",
                Text(metric_text(f.value.value), style="red" if worse else ""),
                band,
                f"{gap:+.3f}" if abs(gap) < 10 else f"{gap:+,.1f}",
                "" if f.adjusted_p is None else f"{f.adjusted_p:.2g}",
            )
        yield table
        for column, reason in self.skipped.items():
            yield Text(f"not searched: {column} ({reason})", style="dim")
