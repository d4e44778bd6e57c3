"""Tables of the metadata database. Changing one means adding an Alembic migration."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from driftline.store._figures import window_figures


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        dt.datetime: DateTime(timezone=True),
    }


class ModelRow(Base):
    __tablename__ = "models"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime]


class ModelVersionRow(Base):
    """One registered version. Rows are inserted, never updated: versions are immutable."""

    __tablename__ = "model_versions"
    __table_args__ = (UniqueConstraint("model_id", "version", name="uq_model_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    flavor: Mapped[str] = mapped_column(String(20))
    artifact_key: Mapped[str] = mapped_column(String(300))
    artifact_sha256: Mapped[str] = mapped_column(String(64))
    artifact_size: Mapped[int] = mapped_column(Integer)
    profile_key: Mapped[str | None] = mapped_column(String(300), nullable=True)
    # NULL for versions registered before digests were recorded (revision 0005):
    # their profile is checked against the digest its key names.
    profile_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    signature: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    lineage: Mapped[dict[str, Any]] = mapped_column(JSON)
    card: Mapped[dict[str, Any]] = mapped_column(JSON)
    description: Mapped[str] = mapped_column(Text, default="")
    trusted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime]
    created_by: Mapped[str] = mapped_column(String(200))
    # Faster runtimes converted at registration that agreed with the original:
    # {"onnx": {"key": ..., "sha256": ..., "max_abs_diff": ...}}.
    runtimes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class AliasRow(Base):
    __tablename__ = "aliases"

    model_id: Mapped[int] = mapped_column(ForeignKey("models.id"), primary_key=True)
    alias: Mapped[str] = mapped_column(String(100), primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("model_versions.id"))
    updated_at: Mapped[dt.datetime]


class AuditEventRow(Base):
    """An append-only, hash-chained record of a state change.

    ``time`` and ``payload`` are stored as the exact text that was hashed, so
    no database type conversion can make an honest row fail verification.
    """

    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    time: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    payload: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHeadRow(Base):
    """The last event's number and hash: catches deletion of the chain's tail."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


# The monitoring window columns a chart over time reads (all but the effect sizes).
CHART_COLUMNS = (
    "model",
    "window_start",
    "window_end",
    "rows",
    "drift_share",
    "lead_metric",
    "estimated",
    "estimated_low",
    "estimated_high",
    "realized",
    "reference",
)


class MonitorWindowRow(Base):
    """What monitoring found in one time window of one model version's traffic."""

    __tablename__ = "monitor_windows"
    __table_args__ = (
        UniqueConstraint(
            "model", "version", "window_start", "window_end", name="uq_monitor_window"
        ),
        # Charts read a model's windows over a time range, of every version, and need
        # only these columns: the index holds them all, so the wide rows are not read.
        Index("ix_monitor_windows_chart", *CHART_COLUMNS),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int] = mapped_column(Integer)
    window_start: Mapped[dt.datetime]
    window_end: Mapped[dt.datetime]
    rows: Mapped[int] = mapped_column(Integer)
    evaluated: Mapped[bool] = mapped_column(Boolean)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    drift: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    quality: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    computed_at: Mapped[dt.datetime]
    # What charts draw, copied from metrics and drift as the row is written (_figures.py):
    # a chart over a year aggregates these in the database instead of parsing the JSON.
    drift_share: Mapped[float | None] = mapped_column(Float, nullable=True)
    lead_metric: Mapped[str | None] = mapped_column(String(100), nullable=True)
    estimated: Mapped[float | None] = mapped_column(Float, nullable=True)
    estimated_low: Mapped[float | None] = mapped_column(Float, nullable=True)
    estimated_high: Mapped[float | None] = mapped_column(Float, nullable=True)
    realized: Mapped[float | None] = mapped_column(Float, nullable=True)
    reference: Mapped[float | None] = mapped_column(Float, nullable=True)
    effects: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), nullable=True)


@event.listens_for(MonitorWindowRow, "before_insert")
@event.listens_for(MonitorWindowRow, "before_update")
def _copy_figures(_mapper: Any, _connection: Any, row: MonitorWindowRow) -> None:
    # Filled here rather than by each writer, so that no writer can store a window whose
    # chart columns disagree with its documents.
    for name, value in window_figures(row.metrics, row.drift).items():
        setattr(row, name, value)


class AlertRow(Base):
    """An alert: opened when a rule's threshold is crossed, resolved past its clear level."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model: Mapped[str] = mapped_column(String(100), index=True)
    rule: Mapped[str] = mapped_column(String(100))
    severity: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), index=True)
    message: Mapped[str] = mapped_column(Text)
    metric: Mapped[str] = mapped_column(String(100))
    value: Mapped[float]
    threshold: Mapped[float]
    opened_at: Mapped[dt.datetime]
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    window_start: Mapped[dt.datetime]


class DeploymentRow(Base):
    """How a model is served: which alias answers, and which get a canary share or a shadow copy."""

    __tablename__ = "deployments"

    model: Mapped[str] = mapped_column(String(100), primary_key=True)
    alias: Mapped[str] = mapped_column(String(100))
    canary_alias: Mapped[str | None] = mapped_column(String(100), nullable=True)
    canary_percent: Mapped[float] = mapped_column(default=0.0)
    shadow_alias: Mapped[str | None] = mapped_column(String(100), nullable=True)
    updated_at: Mapped[dt.datetime]
    # Inputs completed from feature views by the request's entity key (revision 0006).
    features: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # The input guard, output hardening and rate limits (revision 0008).
    guard: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class TokenRow(Base):
    """An API token; only the sha256 of its secret is stored."""

    __tablename__ = "tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    secret_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class EvaluationRow(Base):
    """A judgement of one model version on one dataset: an evaluation, a calibration or a gate.

    ``summary`` is the result's versioned ``to_dict()``; ``dataset`` is the
    sha256 of the data judged, so two results on the same rows can be compared.
    """

    __tablename__ = "evaluations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    dataset: Mapped[str] = mapped_column(String(64))
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)
    report_key: Mapped[str | None] = mapped_column(String(300), nullable=True)
    report_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[dt.datetime]
    created_by: Mapped[str] = mapped_column(String(200))


class LoopRunRow(Base):
    """One attempt of the loop to replace a model's champion: retrain, gate, approve, canary.

    ``state`` is where it stands (see ``driftline.loop``); ``step`` and
    ``percent`` the canary step reached; ``details`` what each step found
    (data window, share of rows the model decided itself, the gate's verdict).
    """

    __tablename__ = "loop_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model: Mapped[str] = mapped_column(String(100), index=True)
    state: Mapped[str] = mapped_column(String(30), index=True)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    trigger: Mapped[str] = mapped_column(String(20))
    alert_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    champion: Mapped[int | None] = mapped_column(Integer, nullable=True)
    candidate: Mapped[int | None] = mapped_column(Integer, nullable=True)
    step: Mapped[int] = mapped_column(Integer, default=-1)
    percent: Mapped[float] = mapped_column(default=0.0)
    step_started_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    reason: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    started_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class LoopAnalysisRow(Base):
    """One look of the rollout analysis at a canary step: each check's figures and the decision."""

    __tablename__ = "loop_analyses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("loop_runs.id"), index=True)
    step: Mapped[int] = mapped_column(Integer)
    percent: Mapped[float]
    at: Mapped[dt.datetime]
    decision: Mapped[str] = mapped_column(String(20))
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)
    sentence: Mapped[str] = mapped_column(Text)


class ApprovalRow(Base):
    """A person's approval or rejection of a candidate the loop stopped for."""

    __tablename__ = "loop_approvals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("loop_runs.id"), index=True)
    model: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int] = mapped_column(Integer)
    decision: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[dt.datetime]


class FeatureViewRow(Base):
    """A registered feature view: its declaration, versioned; a change makes a new version."""

    __tablename__ = "feature_views"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    updated_by: Mapped[str] = mapped_column(String(200))


class FeatureMaterializationRow(Base):
    """One run copying a view's latest values into an online store; the last one's end is
    where the next run starts."""

    __tablename__ = "feature_materializations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    view: Mapped[str] = mapped_column(String(100), index=True)
    view_version: Mapped[int] = mapped_column(Integer)
    store: Mapped[str] = mapped_column(String(300))
    since: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    until: Mapped[dt.datetime]
    rows: Mapped[int] = mapped_column(Integer)
    entities: Mapped[int] = mapped_column(Integer)
    ran_at: Mapped[dt.datetime]
    ran_by: Mapped[str] = mapped_column(String(200))


class LogSummaryRow(Base):
    """What a reader made of one settled day of one model's log (its traffic, say), kept so
    that a restart reads a row instead of the day's files.

    ``stamp`` names the files it was made from (``day_stamp``): when the day's files
    differ (a late segment compacted, a person forgotten, the day pruned), the row no
    longer answers for the day and is made again. The files stay the record.
    """

    __tablename__ = "log_summaries"

    log: Mapped[str] = mapped_column(String(500), primary_key=True)
    model: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    stamp: Mapped[str] = mapped_column(String(64))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    made_at: Mapped[dt.datetime]
