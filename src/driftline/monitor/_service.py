"""Run monitoring over logged predictions, window by window.

For each window: drift of the inputs against the version's reference profile,
missing values (and data quality when available), and, given a labelled
reference, the model's estimated performance beside the realized one where
labels have arrived (``_performance.py``), stored in the metadata database;
then alert rules turn the window's metrics into alerts. Re-running
over the same windows replaces their results but judges alerts only on
windows newer than any judged before, so a re-run never re-opens old alerts.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as pads
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from driftline import audit, registry
from driftline.drift import drift
from driftline.errors import InputError
from driftline.io import json_number, open_table
from driftline.monitor._performance import PerformanceMonitor, prepare
from driftline.monitor._rules import DEFAULT_RULES, OUTCOME, AlertRule, rule_value
from driftline.monitor._sources import DatasetSource, LogSource, Source
from driftline.monitor._windows import parse_period, windows
from driftline.monitor._words import (
    alert_sentence,
    performance_sentence,
    resolved_sentence,
    run_headline,
    window_sentence,
)
from driftline.privacy import Redactor
from driftline.quality import Finding, check_quality
from driftline.store import AlertRow, MonitorWindowRow, as_utc

if TYPE_CHECKING:
    from driftline.registry import ModelVersion
    from driftline.stats import Profile
    from driftline.store import Context

__all__ = ["Alert", "MonitorRun", "WindowResult", "alerts", "run"]


@dataclasses.dataclass(frozen=True)
class WindowResult:
    start: dt.datetime
    end: dt.datetime
    rows: int
    evaluated: bool
    # Numbers by name (rows, drift_share, ...); with performance estimation
    # also the nested "estimated", "realized" and "reference" tables.
    metrics: dict[str, Any]
    # Largest change first, so that a sentence can name the one that moved most.
    drifted_columns: list[str]
    columns: int = 0  # input columns compared with the training data
    # Data-quality findings worth a word (warnings and critical), most severe first.
    problems: list[Finding] = dataclasses.field(default_factory=list)
    min_rows: int = 0  # rows a window needs to be judged

    @property
    def sentence(self) -> str:
        """The window in one sentence: when, how many predictions, what moved."""
        return window_sentence(self)

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["start"], d["end"] = self.start.isoformat(), self.end.isoformat()
        d["problems"] = [f.to_dict() for f in self.problems]
        d["sentence"] = self.sentence
        return d


@dataclasses.dataclass(frozen=True)
class Alert:
    id: int
    model: str
    rule: str
    severity: str
    status: str
    message: str
    metric: str
    value: float
    threshold: float
    opened_at: dt.datetime
    resolved_at: dt.datetime | None
    # Why it resolved, in a sentence; only on the run that resolved it.
    resolution: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["opened_at"] = self.opened_at.isoformat()
        d["resolved_at"] = self.resolved_at.isoformat() if self.resolved_at else None
        return d


@dataclasses.dataclass(frozen=True)
class MonitorRun:
    model: str
    version: int
    window: str
    windows: list[WindowResult]
    opened: list[Alert]
    resolved: list[Alert]
    # How performance was estimated (method, reference values), or None.
    performance: dict[str, Any] | None = None
    # Read from the inference log: what it could not read ("corrupt_lines"), else None.
    log: dict[str, Any] | None = None

    @property
    def headline(self) -> str:
        """The run in one sentence: what was watched, where the inputs moved, which alerts."""
        return run_headline(self)

    @property
    def performance_sentence(self) -> str | None:
        """How performance was estimated, in words; None when it was not."""
        return performance_sentence(self.performance) if self.performance else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "headline": self.headline,
            "model": self.model,
            "version": self.version,
            "window": self.window,
            "windows": [w.to_dict() for w in self.windows],
            "opened": [a.to_dict() for a in self.opened],
            "resolved": [a.to_dict() for a in self.resolved],
            "performance": self.performance,
            "performance_sentence": self.performance_sentence,
            "log": self.log,
        }


def _dataset(data: Any, time_column: str, text: Collection[str] = ()) -> pads.Dataset:
    """The predictions as an Arrow dataset: a file is filtered window by window, not loaded."""
    dataset = open_table(data, text=text, what="the prediction log").to_dataset()
    if time_column not in dataset.schema.names:
        raise InputError(
            f"the prediction log has no time column {time_column!r}; its columns are: "
            f"{', '.join(dataset.schema.names)} (choose one with --time-column)"
        )
    kind = dataset.schema.field(time_column).type
    if not pa.types.is_timestamp(kind):
        # Text or numbers: parse once into a timestamp column, in memory.
        frame = dataset.to_table().to_pandas()
        try:
            frame[time_column] = pd.to_datetime(frame[time_column], utc=True)
        except (ValueError, TypeError) as exc:
            raise InputError(f"column {time_column!r} does not hold date-times: {exc}") from exc
        dataset = open_table(frame, what="the prediction log").to_dataset()
    return dataset


def _from_log(
    ctx: Context,
    mv: ModelVersion,
    since: dt.datetime | None,
    until: dt.datetime | None,
    labels: bool,
    outcomes: Sequence[str] = (),
) -> LogSource:
    from driftline.store import InferenceLog

    log = InferenceLog.open(ctx.settings)
    return LogSource(
        log, mv.name, mv.version, since=since, until=until, labels=labels, outcomes=outcomes
    )


def _metrics(
    mv: ModelVersion,
    profile: Profile,
    frame: pd.DataFrame,
    columns: list[str],
    performance: PerformanceMonitor | None = None,
    sensitive: Sequence[str] = (),
) -> tuple[dict[str, Any], dict[str, Any] | None, dict[str, Any] | None, list[str], list[Finding]]:
    metrics: dict[str, Any] = {"rows": float(len(frame))}
    if performance is not None and not frame.empty:
        metrics.update(performance.window(frame))
    if sensitive and not frame.empty:
        metrics.update(window_fairness(mv, frame, sensitive))
    posted = [c for c in frame.columns if isinstance(c, str) and c.startswith(OUTCOME)]
    if posted:  # per answer; an answer that nothing followed counts 0
        metrics["outcomes"] = {
            c.removeprefix(OUTCOME): float(
                pd.to_numeric(frame[c], errors="coerce").fillna(0).mean()
            )
            for c in posted
        }
    if not columns or frame.empty:
        return metrics, None, None, [], []
    inputs = frame[columns]
    metrics["missing_rate"] = float(inputs.isna().to_numpy().mean())
    report = drift(profile, inputs, columns=columns)
    drifted = report.most_drifted()
    metrics["drift_share"] = len(drifted) / len(columns)
    metrics["drift_detected"] = float(report.drift_detected)
    metrics["drift_score"] = float(report.score)
    quality = check_quality(profile, inputs, signature=mv.signature)
    severities = [f.severity for f in quality.findings]
    metrics["quality_critical"] = float(severities.count("critical"))
    metrics["quality_warnings"] = float(severities.count("warning"))
    problems = [f for f in quality.findings if f.severity != "info"]
    return metrics, report.to_dict(), quality.to_dict(), drifted, problems


def window_fairness(
    mv: ModelVersion, frame: pd.DataFrame, sensitive: Sequence[str]
) -> dict[str, Any]:
    """Disparities between groups among a window's rows whose labels have arrived.

    The answers are the logged predictions; the labels the log's joined
    ``label`` column (or the model's label column in a table passed in).
    Labels and answers are compared as text, as a label posted over HTTP may
    arrive as "1" for the class 1. Nothing is returned without both.
    """
    from driftline.fairness import DISPARITIES, group_fairness

    output = mv.signature.output if mv.signature is not None else None
    column = next(
        (c for c in ("label", output.target if output else None) if c and c in frame.columns),
        None,
    )
    present = [c for c in sensitive if c in frame.columns]
    if column is None or "prediction" not in frame.columns or not present:
        return {}
    known = frame[column].notna() & frame["prediction"].notna()
    if not known.any():
        return {}
    part = frame.loc[known]
    classes = [str(c) for c in (output.classes or ())] if output is not None else []
    labels = _as_text(part[column])
    answers = _as_text(part["prediction"])
    try:
        report = group_fairness(
            labels,
            answers,
            {c: part[c].to_numpy() for c in present},
            positive=classes[1] if len(classes) == 2 else None,
            n_resamples=0,
        )
    except InputError:
        return {}  # not a two-outcome model: no disparity to track
    return {
        "fairness": {
            c: {d: json_number(a.disparities[d].value) for d in DISPARITIES}
            for c, a in report.attributes.items()
        },
        "fairness_labelled": int(known.sum()),
    }


def _as_text(values: pd.Series) -> np.ndarray:
    """Labels as text, a whole number the same whether it came as 1, 1.0 or "1"."""
    return np.asarray(
        [
            str(int(v)) if isinstance(v, float | np.floating) and float(v).is_integer() else str(v)
            for v in values.tolist()
        ],
        dtype=object,
    )


def run(
    ctx: Context,
    ref: str,
    data: Any = None,
    *,
    window: str = "1d",
    time_column: str = "timestamp",
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    rules: Sequence[AlertRule] = DEFAULT_RULES,
    actor: str | None = None,
    reference: Any = None,
    target: str | None = None,
) -> MonitorRun:
    """Monitor ``ref``'s predictions one ``window`` at a time.

    ``data`` is a table or a Parquet/CSV path with a time column; by default
    the workspace's inference log, restricted to this version's answers.

    With ``reference`` (a table or a Parquet/CSV path of labelled rows the
    version was not trained on) and ``target`` (its label column), each
    window also gets the model's estimated performance with a band, and the
    realized performance of its rows whose labels have arrived (the log's
    joined ``label`` column, or ``target`` in ``data``).
    """
    period = parse_period(window)
    mv = registry.get(ctx, ref)
    # Rules on a disparity (demographic_parity_ratio:sex) name the columns to group by.
    sensitive = list(dict.fromkeys(r.sensitive for r in rules if r.sensitive is not None))
    if mv.signature is None or mv.profile_key is None:
        raise InputError(
            f"{mv.ref} was registered without training data, so there is no reference to "
            "compare its traffic with; register it again with train= (CLI: --train)"
        )
    source: Source
    if data is None:
        watched = [r.outcome for r in rules if r.outcome is not None]
        labels = reference is not None or bool(sensitive)
        source = _from_log(ctx, mv, since, until, labels=labels, outcomes=watched)
    else:
        dataset = _dataset(data, time_column, mv.signature.text_columns())
        source = DatasetSource(dataset, time_column)
    present = set(source.names)
    # A column the signature marks personal has no training values kept to compare with.
    marked = mv.signature.personal
    columns = [c for c in mv.signature.names if c in present and c not in marked]
    if data is None:
        # The log holds a hash (or nothing) of a column the privacy policy does not keep as
        # sent: against the raw training data it would always look drifted.
        policy = Redactor.from_settings(ctx.settings).policy
        columns = [c for c in columns if policy.action(c) in ("scan", "keep")]
    if not columns:
        raise InputError(
            f"the prediction log has none of {mv.ref}'s input columns "
            f"({', '.join(mv.signature.names)})"
        )
    performance = prepare(ctx, mv, reference, target) if reference is not None else None
    if target is not None and reference is None:
        raise InputError(
            "target names the label column of the reference: pass reference= too (CLI: --reference)"
        )
    bounds = source.bounds()
    results: list[WindowResult] = []
    if bounds is not None:
        lo = max(bounds[0], since) if since else bounds[0]
        hi = min(bounds[1], until) if until else bounds[1]
        min_rows = min((r.min_rows for r in rules), default=1)
        profile = registry.load_profile(ctx, mv)
        for start, end in windows(lo, hi, period) if lo <= hi else []:
            frame = source.frame(start, end)
            if frame.empty:
                continue
            evaluated = len(frame) >= min_rows
            metrics, report, quality, drifted, problems = (
                _metrics(mv, profile, frame, columns, performance, sensitive)
                if evaluated
                else ({"rows": float(len(frame))}, None, None, [], [])
            )
            results.append(
                WindowResult(
                    start,
                    end,
                    len(frame),
                    evaluated,
                    metrics,
                    drifted,
                    columns=len(columns),
                    problems=problems,
                    min_rows=min_rows,
                )
            )
            _store_window(ctx, mv, results[-1], report, quality)
    opened, resolved = _judge(ctx, mv, results, rules, actor or ctx.settings.actor)
    log = None
    if isinstance(source, LogSource):
        log = {"corrupt_lines": source.corrupt_lines(since, until)}
    return MonitorRun(
        mv.name,
        mv.version,
        window,
        results,
        opened,
        resolved,
        performance.summary() if performance else None,
        log,
    )


def _store_window(
    ctx: Context,
    mv: ModelVersion,
    result: WindowResult,
    report: dict[str, Any] | None,
    quality: dict[str, Any] | None,
) -> None:
    # Findings quote values (an unseen category), and a window can read a file, not the log.
    redactor = Redactor.from_settings(ctx.settings)
    report, quality = redactor.document(report), redactor.document(quality)
    with ctx.db.write() as s:
        s.execute(
            delete(MonitorWindowRow).where(
                MonitorWindowRow.model == mv.name,
                MonitorWindowRow.version == mv.version,
                MonitorWindowRow.window_start == result.start,
                MonitorWindowRow.window_end == result.end,
            )
        )
        s.add(
            MonitorWindowRow(
                model=mv.name,
                version=mv.version,
                window_start=result.start,
                window_end=result.end,
                rows=result.rows,
                evaluated=result.evaluated,
                metrics=result.metrics,
                drift=report,
                quality=quality,
                computed_at=dt.datetime.now(dt.UTC),
            )
        )


def _judge(
    ctx: Context,
    mv: ModelVersion,
    results: list[WindowResult],
    rules: Sequence[AlertRule],
    actor: str,
) -> tuple[list[Alert], list[Alert]]:
    opened: list[Alert] = []
    resolved: list[Alert] = []
    redactor = Redactor.from_settings(ctx.settings)
    with ctx.db.write() as s:
        # Judged by these rules: an alert another part opened (the loop's rollback, at the
        # moment it acted) says nothing of which windows monitoring has looked at.
        judged = s.scalar(
            select(func.max(AlertRow.window_start)).where(
                AlertRow.model == mv.name, AlertRow.rule.in_([r.name for r in rules])
            )
        )
        for rule in rules:
            row = s.scalar(
                select(AlertRow).where(
                    AlertRow.model == mv.name, AlertRow.rule == rule.name, AlertRow.status == "open"
                )
            )
            last = as_utc(judged) if judged else None
            for result in results:
                value = rule_value(result.metrics, rule.metric)
                if not result.evaluated or result.rows < rule.min_rows or value is None:
                    continue
                if last is not None and result.start <= last:
                    continue  # judged by an earlier run
                action = rule.step(row is not None, value)
                if action == "open":
                    row = AlertRow(
                        model=mv.name,
                        rule=rule.name,
                        severity=rule.severity,
                        status="open",
                        message=redactor.text(alert_sentence(rule, mv.ref, result, value)),
                        metric=rule.metric,
                        value=value,
                        threshold=rule.threshold,
                        opened_at=result.start,
                        window_start=result.start,
                    )
                    s.add(row)
                    s.flush()
                    _audit_alert(s, actor, "alert.open", row, value, result)
                    opened.append(_to_alert(row))
                elif action == "resolve" and row is not None:
                    row.status, row.resolved_at = "resolved", result.end
                    row.window_start = result.start
                    _audit_alert(s, actor, "alert.resolve", row, value, result)
                    why = resolved_sentence(rule, mv.ref, result, value)
                    resolved.append(dataclasses.replace(_to_alert(row), resolution=why))
                    row = None
                elif row is not None:
                    row.window_start = result.start
    return opened, resolved


def _audit_alert(
    s: Session, actor: str, action: str, row: AlertRow, value: float, result: WindowResult
) -> None:
    audit.append(
        s,
        actor=actor,
        action=action,
        subject=f"{row.model}/{row.rule}",
        payload={"alert": row.id, "value": value, "window": result.start.isoformat()},
    )


def _to_alert(row: AlertRow) -> Alert:
    return Alert(
        id=row.id,
        model=row.model,
        rule=row.rule,
        severity=row.severity,
        status=row.status,
        message=row.message,
        metric=row.metric,
        value=row.value,
        threshold=row.threshold,
        opened_at=as_utc(row.opened_at),
        resolved_at=as_utc(row.resolved_at) if row.resolved_at else None,
    )


def alerts(ctx: Context, *, model: str | None = None, status: str | None = None) -> list[Alert]:
    """Alerts, newest first."""
    query = select(AlertRow).order_by(AlertRow.opened_at.desc(), AlertRow.id.desc())
    if model:
        query = query.where(AlertRow.model == model)
    if status:
        query = query.where(AlertRow.status == status)
    with ctx.db.read() as s:
        return [_to_alert(r) for r in s.scalars(query)]
