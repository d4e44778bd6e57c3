"""EvaluationReport: how good a model is on some labelled rows, as plain data."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from driftline.errors import InputError
from driftline.evaluation._charts import Charts
from driftline.evaluation._parts import (
    calibration_from_dict,
    calibration_sentence,
    quality_from_dict,
    slices_from_dict,
    slices_sentences,
)
from driftline.evaluation._words import fmt_interval, fmt_value, interval_parts, metric_name
from driftline.fairness import FairnessReport
from driftline.metrics import Evaluation, Interval
from driftline.quality import QualityReport
from driftline.words import plural

__all__ = ["FORMAT", "EvaluationReport"]

FORMAT = 1

# The metric a sentence leads with, then the ones that follow it.
_LEAD = {"binary": "accuracy", "multiclass": "accuracy", "regression": "rmse"}
_FOLLOW = {
    "binary": ("roc_auc", "f1"),
    "multiclass": ("f1", "log_loss"),
    "regression": ("r2", "mae"),
}


@dataclass
class EvaluationReport:
    """A model judged on labelled rows: metrics with intervals, calibration, slices, data quality.

    ``model`` is the registered name (``version`` its number) or, for a model
    object that is not registered, its class name (``version`` None).
    ``dataset`` is the sha256 of the rows' content, so two reports on the
    same rows can be compared. ``evaluation`` holds every metric with its
    bootstrap interval; ``calibration`` (classifiers with probabilities),
    ``slices`` (the slices asked for), ``weak_slices`` (the slices found to
    be served worst) and ``quality`` (the data checked against the training
    data) are None when they were not computed, and ``notes`` says why.

    Render it with Rich (``rich.print(report)``), as HTML with
    :func:`driftline.report.render_html`, or serialize it with :meth:`to_dict`.
    """

    model: str
    version: int | None
    dataset: str
    n_rows: int
    target: str
    evaluation: Evaluation
    charts: Charts = field(default_factory=Charts)
    calibration: Any = None
    # Calibration on each slice asked for and each weak slice found (enough rows only).
    slice_calibration: dict[str, Any] = field(default_factory=dict)
    slices: Any = None
    weak_slices: Any = None
    quality: QualityReport | None = None
    # Group fairness figures for the sensitive columns asked for (binary classifiers).
    fairness: FairnessReport | None = None
    ref: str | None = None
    dropped_rows: int = 0
    seed: int = 0
    notes: list[str] = field(default_factory=list)
    id: int | None = None
    created_at: str | None = None
    created_by: str | None = None

    @property
    def task(self) -> str:
        return self.evaluation.task

    @property
    def confidence(self) -> float:
        return self.evaluation.confidence

    @property
    def label(self) -> str:
        """How the model is named in sentences: "churn:3", or "LogisticRegression"."""
        return f"{self.model}:{self.version}" if self.version is not None else self.model

    @property
    def metrics(self) -> dict[str, Interval]:
        return self.evaluation.metrics

    def __getitem__(self, name: str) -> Interval:
        return self.evaluation.metrics[name]

    # -- words -------------------------------------------------------------------

    def _lead(self) -> str | None:
        lead = _LEAD.get(self.task)
        if lead in self.metrics:
            return lead
        return next(iter(self.metrics), None)

    @property
    def headline(self) -> str:
        """The first sentence: "churn:3: accuracy 0.87 (95% interval 0.85 to 0.89) on 2,000
        labelled rows."."""
        lead = self._lead()
        rows = plural(self.n_rows, "labelled row")
        if lead is None:
            return f"{self.label} was scored on {rows}."
        value = fmt_interval(self.metrics[lead], self.confidence)
        return f"{self.label}: {metric_name(lead)} {value} on {rows}."

    def sentences(self) -> list[str]:
        """The report in plain sentences, most important first."""
        out = [self.headline]
        follow = [m for m in _FOLLOW.get(self.task, ()) if m in self.metrics]
        if follow:
            shown = [
                f"{_macro(m, self.task)}{metric_name(m)} {fmt_interval(self.metrics[m], self.confidence)}"
                for m in follow
            ]
            out.append(_capital("; ".join(shown)) + ".")
        weakest = self.weakest_class()
        if weakest is not None:
            name, iv = weakest
            rows = self.evaluation.support.get(name, 0)
            out.append(
                f"The weakest class is {name!r}: F1 {fmt_interval(iv, self.confidence)} on "
                f"{plural(rows, 'row')}."
            )
        if self.calibration is not None:
            out.append(calibration_sentence(self.calibration))
        for label, report in self.slice_calibration.items():
            if report.miscalibrated:  # a slice well calibrated like the whole needs no words
                out.append(f"On {label} ({report.n:,} rows): {calibration_sentence(report)}")
        out += slices_sentences(self.slices, self.weak_slices)
        if self.fairness is not None:
            out += self.fairness.sentences()
        if self.quality is not None:
            out.append(self.quality.headline)
        if self.dropped_rows:
            were = "was" if self.dropped_rows == 1 else "were"
            out.append(f"{plural(self.dropped_rows, 'row')} without a label {were} left out.")
        return out

    def summary(self) -> str:
        """The report in a few sentences of plain words."""
        return " ".join(self.sentences())

    def weakest_class(self) -> tuple[str, Interval] | None:
        """The class with the lowest F1 (multiclass only)."""
        if self.task != "multiclass":
            return None
        scored = [
            (c, m["f1"])
            for c, m in self.evaluation.per_class.items()
            if "f1" in m and math.isfinite(m["f1"].value)
        ]
        return min(scored, key=lambda cm: cm[1].value) if scored else None

    # -- data ----------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "kind": "evaluation",
            "id": self.id,
            "model": self.model,
            "version": self.version,
            "ref": self.ref,
            "dataset": self.dataset,
            "n_rows": self.n_rows,
            "dropped_rows": self.dropped_rows,
            "target": self.target,
            "task": self.task,
            "seed": self.seed,
            "headline": self.headline,
            "summary": self.sentences(),
            "evaluation": self.evaluation.to_dict(),
            "calibration": _dict_of(self.calibration),
            "slice_calibration": {k: v.to_dict() for k, v in self.slice_calibration.items()},
            "slices": _dict_of(self.slices),
            "weak_slices": _dict_of(self.weak_slices),
            "quality": self.quality.to_dict() if self.quality is not None else None,
            "fairness": self.fairness.to_dict() if self.fairness is not None else None,
            "charts": self.charts.to_dict(),
            "notes": list(self.notes),
            "created_at": self.created_at,
            "created_by": self.created_by,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EvaluationReport:
        """The report again from :meth:`to_dict`'s output (as stored with the version)."""
        if not isinstance(data, Mapping) or data.get("format") != FORMAT:
            got = data.get("format") if isinstance(data, Mapping) else type(data).__name__
            raise InputError(
                f"evaluation report format {got!r} is not readable by this driftline (reads "
                f"format {FORMAT}); upgrade driftline"
            )
        return cls(
            model=str(data["model"]),
            version=None if data.get("version") is None else int(data["version"]),
            dataset=str(data["dataset"]),
            n_rows=int(data["n_rows"]),
            target=str(data["target"]),
            evaluation=Evaluation.from_dict(data["evaluation"]),
            charts=Charts.from_dict(data.get("charts") or {}),
            calibration=calibration_from_dict(data.get("calibration")),
            slice_calibration={
                str(k): calibration_from_dict(v)
                for k, v in (data.get("slice_calibration") or {}).items()
            },
            slices=slices_from_dict(data.get("slices")),
            weak_slices=slices_from_dict(data.get("weak_slices")),
            quality=quality_from_dict(data.get("quality")),
            fairness=(FairnessReport.from_dict(data["fairness"]) if data.get("fairness") else None),
            ref=data.get("ref"),
            dropped_rows=int(data.get("dropped_rows", 0)),
            seed=int(data.get("seed", 0)),
            notes=[str(n) for n in data.get("notes", [])],
            id=data.get("id"),
            created_at=data.get("created_at"),
            created_by=data.get("created_by"),
        )

    # -- rendering -------------------------------------------------------------------

    def __rich_console__(self, console: Any, options: Any) -> Iterator[Any]:
        from rich.table import Table
        from rich.text import Text

        yield Text(self.headline, style="bold")
        yield Text(
            f"{self.task} model · label {self.target!r} · dataset {self.dataset[:12]} · "
            f"{self.evaluation.n_resamples:,} bootstrap resamples",
            style="dim",
        )
        pct = f"{100 * self.confidence:g}%"
        table = Table(show_edge=False, header_style="bold")
        table.add_column("metric")
        table.add_column("value", justify="right")
        table.add_column(f"{pct} interval", justify="right")
        for name, iv in self.metrics.items():
            value, band = interval_parts(iv)
            table.add_row(f"{_macro(name, self.task)}{metric_name(name)}", value, band)
        yield table
        if self.task == "multiclass" and self.evaluation.per_class:
            per = Table(
                show_edge=False, header_style="bold", title="per class", title_justify="left"
            )
            per.add_column("class")
            per.add_column("rows", justify="right")
            names = [n for n in ("precision", "recall", "f1", "roc_auc") if n in _first(self)]
            for n in names:
                per.add_column(metric_name(n), justify="right")
            weakest = self.weakest_class()
            for c, m in self.evaluation.per_class.items():
                per.add_row(
                    c,
                    f"{self.evaluation.support.get(c, 0):,}",
                    *(fmt_value(m[n].value, 3) for n in names),
                    style="red" if weakest is not None and weakest[0] == c else None,
                )
            yield per
        fair = set(self.fairness.sentences()) if self.fairness is not None else set()
        if self.fairness is not None:
            yield from self.fairness.__rich_console__(console, options)
        for sentence in self.sentences()[1:]:
            if sentence.startswith("The weakest class") or sentence in fair:
                continue
            yield Text(sentence)
        for note in self.notes:
            yield Text(f"note: {note}", style="dim")


def _first(report: EvaluationReport) -> dict[str, Interval]:
    return next(iter(report.evaluation.per_class.values()), {})


def _macro(name: str, task: str) -> str:
    return "macro " if task == "multiclass" and name in ("precision", "recall", "f1") else ""


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _dict_of(part: Any) -> Any:
    if part is None:
        return None
    if isinstance(part, Mapping):
        return dict(part)
    return part.to_dict()
