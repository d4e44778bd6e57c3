"""GateDecision: what the gate decided, criterion by criterion, as plain data."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from driftline.errors import InputError
from driftline.gate._policy import GatePolicy
from driftline.gate._words import headline
from driftline.io import json_number
from driftline.metrics import Interval

__all__ = ["Comparison", "Criterion", "GateDecision", "Kind", "SliceComparison", "Verdict"]

FORMAT = 1
Verdict = Literal["pass", "fail"]
Kind = Literal[
    "min_rows",
    "threshold",
    "regression",
    "slice_size",
    "slice_threshold",
    "slice_gap",
    "slice_regression",
    "calibration",
    "quality",
    "fairness",
    "audit",
]


def _interval(d: Mapping[str, Any] | None) -> Interval | None:
    return None if d is None else Interval.from_dict(d)


@dataclass(frozen=True)
class Criterion:
    """One thing the candidate had to show, what was measured, and the verdict.

    ``figure`` is the measured value (None when it could not be measured),
    ``low``/``high`` its interval, ``threshold`` the limit it was held to;
    ``sentence`` says it all in plain words, including why a criterion that
    could not be evaluated failed.
    """

    name: str
    kind: Kind
    verdict: Verdict
    sentence: str
    figure: float | None = None
    low: float | None = None
    high: float | None = None
    threshold: float | None = None
    metric: str | None = None
    slice: str | None = None

    @property
    def passed(self) -> bool:
        return self.verdict == "pass"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "verdict": self.verdict,
            "sentence": self.sentence,
            "figure": json_number(self.figure),
            "low": json_number(self.low),
            "high": json_number(self.high),
            "threshold": json_number(self.threshold),
            "metric": self.metric,
            "slice": self.slice,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Criterion:
        return cls(
            name=d["name"],
            kind=d["kind"],
            verdict=d["verdict"],
            sentence=d["sentence"],
            figure=d.get("figure"),
            low=d.get("low"),
            high=d.get("high"),
            threshold=d.get("threshold"),
            metric=d.get("metric"),
            slice=d.get("slice"),
        )


@dataclass(frozen=True)
class Comparison:
    """One metric of the candidate and the baseline on the same rows.

    ``difference`` is candidate minus baseline, its interval from a paired
    bootstrap (the same resampled rows for both models).
    """

    metric: str
    higher_is_better: bool
    candidate: Interval
    baseline: Interval | None = None
    difference: Interval | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "higher_is_better": self.higher_is_better,
            "candidate": self.candidate.to_dict(),
            "baseline": self.baseline.to_dict() if self.baseline else None,
            "difference": self.difference.to_dict() if self.difference else None,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Comparison:
        return cls(
            metric=d["metric"],
            higher_is_better=bool(d["higher_is_better"]),
            candidate=Interval.from_dict(d["candidate"]),
            baseline=_interval(d.get("baseline")),
            difference=_interval(d.get("difference")),
        )


@dataclass(frozen=True)
class SliceComparison(Comparison):
    """A :class:`Comparison` on the rows of one slice."""

    slice: str = ""
    rows: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"slice": self.slice, "rows": self.rows, **super().to_dict()}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SliceComparison:
        base = Comparison.from_dict(d)
        return cls(
            metric=base.metric,
            higher_is_better=base.higher_is_better,
            candidate=base.candidate,
            baseline=base.baseline,
            difference=base.difference,
            slice=d["slice"],
            rows=int(d["rows"]),
        )


@dataclass
class GateDecision:
    """Whether ``candidate`` may replace ``baseline``: passed only when every criterion passed.

    ``metrics`` and ``slices`` hold the figures behind the criteria (candidate
    and baseline side by side); ``dataset`` is the sha256 of the rows judged.
    """

    model: str
    candidate: str
    baseline: str | None
    criteria: list[Criterion]
    policy: GatePolicy
    dataset: str
    n_rows: int
    task: str
    metrics: list[Comparison] = field(default_factory=list)
    slices: list[SliceComparison] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seed: int = 0
    decided_at: str = ""

    @property
    def passed(self) -> bool:
        return bool(self.criteria) and all(c.passed for c in self.criteria)

    @property
    def failed(self) -> list[Criterion]:
        return [c for c in self.criteria if not c.passed]

    @property
    def headline(self) -> str:
        """The verdict in one sentence, and what to do."""
        failed = [c.name for c in self.failed]
        return headline(self.candidate, self.baseline, failed, len(self.criteria))

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "kind": "gate",
            "passed": self.passed,
            "headline": self.headline,
            "model": self.model,
            "candidate": self.candidate,
            "baseline": self.baseline,
            "dataset": self.dataset,
            "n_rows": self.n_rows,
            "task": self.task,
            "seed": self.seed,
            "decided_at": self.decided_at,
            "criteria": [c.to_dict() for c in self.criteria],
            "metrics": [m.to_dict() for m in self.metrics],
            "slices": [s.to_dict() for s in self.slices],
            "notes": list(self.notes),
            "policy": self.policy.to_dict(),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> GateDecision:
        if d.get("format") != FORMAT:
            raise InputError(
                f"gate decision format {d.get('format')!r} is not readable by this driftline "
                f"(reads format {FORMAT}); upgrade driftline"
            )
        return cls(
            model=d["model"],
            candidate=d["candidate"],
            baseline=d.get("baseline"),
            criteria=[Criterion.from_dict(c) for c in d["criteria"]],
            policy=GatePolicy.from_dict(d["policy"]),
            dataset=d["dataset"],
            n_rows=int(d["n_rows"]),
            task=d["task"],
            metrics=[Comparison.from_dict(m) for m in d.get("metrics", [])],
            slices=[SliceComparison.from_dict(s) for s in d.get("slices", [])],
            notes=list(d.get("notes", [])),
            seed=int(d.get("seed", 0)),
            decided_at=d.get("decided_at", ""),
        )

    def __rich_console__(self, console: Any, options: Any) -> Iterator[Any]:
        from rich.table import Table
        from rich.text import Text

        yield Text(self.headline, style="bold green" if self.passed else "bold red")
        yield Text(
            f"{self.n_rows:,} labelled rows (dataset {self.dataset[:12]}), {self.task} model",
            style="dim",
        )
        table = Table(show_edge=False, header_style="bold", expand=True)
        table.add_column("verdict", no_wrap=True)
        table.add_column("criterion", ratio=1)
        table.add_column("what was found", ratio=2, overflow="fold")
        for c in self.criteria:
            style = "green" if c.passed else "bold red"
            table.add_row(Text(c.verdict.upper(), style=style), c.name, c.sentence)
        yield table
        for note in self.notes:
            yield Text(f"note: {note}", style="dim")
