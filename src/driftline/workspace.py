"""The Workspace: the one object a user holds, a facade over the services.

``ws.register(...)``, ``ws.evaluate(...)``, ``ws.gate(...)`` read naturally; each
method passes straight through to one service function with the same
parameters (a test holds the two signatures equal). Services never see the
facade: they take the :class:`~driftline.store.Context` it carries,
``ws.context``.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from driftline import audit, batch, dataaudit, edge, evaluation, gate, governance, registry
from driftline import features as _features  # `features` names a parameter below
from driftline.errors import ConfigError
from driftline.settings import CONFIG_FILE, Settings
from driftline.store import ArtifactStore, Context, Database

if TYPE_CHECKING:
    import pandas as pd

    from driftline.audit import AuditEvent, Export, SignedHead, VerifyResult
    from driftline.batch import BatchRun, Engine, Progress
    from driftline.calibration import CalibrationResult
    from driftline.edge import BenchReport, DistillReport, ExportReport, IngestReport
    from driftline.evaluation import EvaluationReport
    from driftline.features import FeatureView, HistoricalResult, Materialized, OnlineStore
    from driftline.gate import GateDecision, GatePolicy
    from driftline.governance import ForgetReport, ModelCard, PruneReport
    from driftline.registry import ModelSummary, ModelVersion
    from driftline.screening import AuditReport
    from driftline.stats import Profile

__all__ = ["Workspace"]

_TEMPLATE = """\
# driftline workspace settings. DRIFTLINE_* environment variables override these.
[workspace]
# database_url = "postgresql+psycopg://user:password@host/driftline"
# artifacts_url = "s3://bucket/driftline"
# s3_endpoint_url = "http://localhost:9000"
# trusted_types = ["mypackage.MyTransformer"]
"""


class Workspace:
    """A driftline workspace: models, versions, aliases, judgements, audit, artifacts."""

    def __init__(self, settings: Settings, *, create: bool = True) -> None:
        self.context = Context.open(settings, create=create)

    # -- opening ---------------------------------------------------------------

    @classmethod
    def init(cls, home: str | os.PathLike[str] | None = None, **overrides: Any) -> Workspace:
        """Create a workspace at ``home`` (or open the one there)."""
        settings = Settings.load(home, **overrides)
        try:
            settings.home.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"cannot create the workspace at {settings.home}: {exc}") from exc
        config = settings.home / CONFIG_FILE
        if not config.exists():
            config.write_text(_TEMPLATE, encoding="utf-8")
        return cls(settings)

    @classmethod
    def open(
        cls,
        home: str | os.PathLike[str] | None = None,
        *,
        create: bool = True,
        **overrides: Any,
    ) -> Workspace:
        """Open the workspace at ``home``, ``DRIFTLINE_HOME`` or ``./.driftline``.

        With ``create=False`` a missing workspace is an error instead of being made.
        """
        settings = Settings.load(home, **overrides)
        if create and not settings.home.is_dir():
            return cls.init(home, **overrides)
        return cls(settings, create=create)

    @property
    def settings(self) -> Settings:
        return self.context.settings

    @property
    def db(self) -> Database:
        return self.context.db

    @property
    def artifacts(self) -> ArtifactStore:
        return self.context.artifacts

    @property
    def home(self) -> Path:
        return self.context.home

    def close(self) -> None:
        self.context.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Workspace({str(self.home)!r})"

    # -- registry --------------------------------------------------------------

    def register(
        self,
        name: str,
        model: Any,
        *,
        train: pd.DataFrame | None = None,
        target: str | None = None,
        description: str = "",
        metrics: Mapping[str, float] | None = None,
        intended_use: str | None = None,
        limitations: Sequence[str] = (),
        parent: str | None = None,
        same_inputs: bool = False,
        code_revision: str | None = None,
        trust: bool = False,
        actor: str | None = None,
        lineage: Mapping[str, Any] | None = None,
        personal: Mapping[str, str] | None = None,
    ) -> ModelVersion:
        """Register a new version; see :func:`driftline.registry.register`."""
        return registry.register(
            self.context,
            name,
            model,
            train=train,
            target=target,
            description=description,
            metrics=metrics,
            intended_use=intended_use,
            limitations=limitations,
            parent=parent,
            same_inputs=same_inputs,
            code_revision=code_revision,
            trust=trust,
            actor=actor,
            lineage=lineage,
            personal=personal,
        )

    def get(self, ref: str) -> ModelVersion:
        """A version by ``name``, ``name:VERSION`` or ``name@ALIAS``."""
        return registry.get(self.context, ref)

    def set_alias(
        self, name: str, version: int, alias: str, *, actor: str | None = None
    ) -> ModelVersion:
        """Point ``alias`` at ``version``; see :func:`driftline.registry.set_alias`."""
        return registry.set_alias(self.context, name, version, alias, actor=actor)

    def remove_alias(self, name: str, alias: str, *, actor: str | None = None) -> None:
        registry.remove_alias(self.context, name, alias, actor=actor)

    def load_model(self, ref: str | ModelVersion) -> Any:
        """The model object, verified against its recorded sha256."""
        return registry.load_model(self.context, ref)

    def load_profile(self, ref: str | ModelVersion) -> Profile:
        """The reference profile of the version's training data."""
        return registry.load_profile(self.context, ref)

    def models(self) -> list[ModelSummary]:
        return registry.list_models(self.context)

    def versions(self, name: str) -> list[ModelVersion]:
        return registry.list_versions(self.context, name)

    # -- judging ---------------------------------------------------------------

    def evaluate(
        self,
        model_or_ref: Any,
        data: Any,
        *,
        target: str | None = None,
        slices: Sequence[Any] | None = None,
        discover: bool = True,
        reference: Any = None,
        confidence: float = 0.95,
        n_resamples: int = 1000,
        seed: int = 0,
        store: bool = True,
        actor: str | None = None,
        sensitive: Sequence[str] | None = None,
    ) -> EvaluationReport:
        """Judge a version on labelled rows; see :func:`driftline.evaluation.evaluate`."""
        return evaluation.evaluate(
            model_or_ref,
            data,
            target=target,
            context=self.context,
            slices=slices,
            discover=discover,
            reference=reference,
            confidence=confidence,
            n_resamples=n_resamples,
            seed=seed,
            store=store,
            actor=actor,
            sensitive=sensitive,
        )

    def evaluations(self, ref: str, *, limit: int | None = None) -> list[EvaluationReport]:
        """Stored evaluations of ``ref``, newest first; ``NAME`` means every version."""
        return evaluation.list_evaluations(self.context, ref, limit=limit)

    def calibrate(
        self,
        ref: str,
        data: Any,
        *,
        target: str,
        method: str = "auto",
        holdout: float = 0.5,
        seed: int = 0,
        n_bins: int = 10,
        actor: str | None = None,
    ) -> CalibrationResult:
        """Recalibrate a version and register the result; see :func:`driftline.evaluation.calibrate`."""
        return evaluation.calibrate(
            self.context,
            ref,
            data,
            target=target,
            method=method,
            holdout=holdout,
            seed=seed,
            n_bins=n_bins,
            actor=actor,
        )

    def gate(
        self,
        name: str,
        *,
        candidate: str | int = "challenger",
        baseline: str | int | None = "champion",
        data: Any,
        target: str,
        policy: GatePolicy | str | Path | None = None,
        seed: int = 0,
        actor: str | None = None,
    ) -> GateDecision:
        """May a candidate replace the baseline? See :func:`driftline.gate.run_gate`."""
        return gate.run_gate(
            self.context,
            name,
            candidate=candidate,
            baseline=baseline,
            data=data,
            target=target,
            policy=policy,
            seed=seed,
            actor=actor,
        )

    def audit_data(
        self,
        data: Any,
        *,
        target: str,
        model: str = "logistic",
        eval_data: Any = None,
        key: str | None = None,
        served_by: str | None = None,
        seed: int = 0,
        record: bool = True,
        actor: str | None = None,
    ) -> AuditReport:
        """Screen training data; see :func:`driftline.dataaudit.audit_training`."""
        return dataaudit.audit_training(
            self.context,
            data,
            target=target,
            model=model,
            eval_data=eval_data,
            key=key,
            served_by=served_by,
            seed=seed,
            record=record,
            actor=actor,
        )

    # -- batch -----------------------------------------------------------------

    def batch_score(
        self,
        ref: str,
        *,
        input: str | os.PathLike[str],
        output: str | os.PathLike[str],
        log: bool = False,
        engine: Engine = "local",
        rejects: str | os.PathLike[str] | None = None,
        key: str | None = None,
        chunk_rows: int = 100_000,
        workers: int | None = None,
        actor: str | None = None,
        progress: Progress | None = None,
    ) -> BatchRun:
        """Score a file or folder in resumable partitions; see :func:`driftline.batch.score`."""
        return batch.score(
            self.context,
            ref,
            input=input,
            output=output,
            log=log,
            engine=engine,
            rejects=rejects,
            key=key,
            chunk_rows=chunk_rows,
            workers=workers,
            actor=actor,
            progress=progress,
        )

    # -- edge and cost ---------------------------------------------------------

    def export(
        self,
        ref: str,
        out: str | os.PathLike[str],
        *,
        format: str = "onnx",
        quantize: str | None = None,
        data: Any = None,
        min_agreement: float = edge.DEFAULT_MIN_AGREEMENT,
        overwrite: bool = False,
        actor: str | None = None,
    ) -> ExportReport:
        """Write a bundle that runs without driftline; see :func:`driftline.edge.export`."""
        return edge.export(
            self.context,
            ref,
            out,
            format=format,
            quantize=quantize,
            data=data,
            min_agreement=min_agreement,
            overwrite=overwrite,
            actor=actor,
        )

    def ingest(
        self,
        ref: str,
        paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
        *,
        actor: str | None = None,
    ) -> IngestReport:
        """Bring an edge bundle's logs into the inference log; see :func:`driftline.edge.ingest`."""
        return edge.ingest(self.context, ref, paths, actor=actor)

    def distill(
        self,
        ref: str,
        data: Any,
        *,
        student: str = "tree",
        holdout: float = 0.2,
        seed: int = 0,
        alias: str | None = None,
        actor: str | None = None,
    ) -> DistillReport:
        """Train and register a smaller student; see :func:`driftline.edge.distill`."""
        return edge.distill(
            self.context,
            ref,
            data,
            student=student,
            holdout=holdout,
            seed=seed,
            alias=alias,
            actor=actor,
        )

    def bench(
        self,
        ref: str,
        *,
        data: Any = None,
        batch_sizes: Sequence[int] = edge.BATCH_SIZES,
        seconds: float = 0.5,
        compiled: bool = True,
    ) -> BenchReport:
        """Latency, throughput and agreement per runtime; see :func:`driftline.edge.bench`."""
        return edge.bench(
            self.context,
            ref,
            data=data,
            batch_sizes=batch_sizes,
            seconds=seconds,
            compiled=compiled,
        )

    # -- features --------------------------------------------------------------

    def register_view(self, view: FeatureView, *, actor: str | None = None) -> FeatureView:
        """Register a feature view; see :func:`driftline.features.register_view`."""
        return _features.register_view(self.context, view, actor=actor)

    def historical(
        self,
        entities: Any,
        features: Sequence[str] | str,
        *,
        timestamp: str | None = None,
        out: str | Path | None = None,
        defaults: bool = False,
        full_names: bool = False,
        memory_limit: str | None = None,
    ) -> HistoricalResult:
        """Training rows, point in time; see :func:`driftline.features.historical`."""
        return _features.historical(
            self.context,
            entities,
            features,
            timestamp=timestamp,
            out=out,
            defaults=defaults,
            full_names=full_names,
            memory_limit=memory_limit,
        )

    def materialize(
        self,
        views: Sequence[str] | None = None,
        *,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        store: OnlineStore | None = None,
        actor: str | None = None,
        memory_limit: str | None = None,
    ) -> list[Materialized]:
        """Copy the latest feature values online; see :func:`driftline.features.materialize`."""
        return _features.materialize(
            self.context,
            views,
            since=since,
            until=until,
            store=store,
            actor=actor,
            memory_limit=memory_limit,
        )

    # -- audit -----------------------------------------------------------------

    def audit_events(
        self, *, subject: str | None = None, action: str | None = None, limit: int | None = None
    ) -> list[AuditEvent]:
        """Audit events, oldest first; filtered by subject prefix and action when given."""
        return audit.events(self.context.db, subject=subject, action=action, limit=limit)

    def verify_audit(
        self,
        *,
        expect_head: str | None = None,
        public_key: str | os.PathLike[str] | None = None,
    ) -> VerifyResult:
        """Recompute the audit chain and name the first event that was tampered with."""
        return audit.verify(self.context.db, expect_head=expect_head, public_key=public_key)

    def export_audit(self, path: str | os.PathLike[str]) -> Export:
        """Write the audit chain as JSON lines; see :func:`driftline.audit.export`."""
        return audit.export(self.context.db, path)

    def sign_audit(self, key: str | os.PathLike[str], *, actor: str | None = None) -> SignedHead:
        """Sign the audit chain's head; see :func:`driftline.audit.sign_head`."""
        return audit.sign_head(self.context, key, actor=actor)

    # -- governance ------------------------------------------------------------

    def model_card(self, ref: str) -> ModelCard:
        """A version's card regenerated now; see :func:`driftline.governance.model_card`."""
        return governance.model_card(self.context, ref)

    def prune_log(
        self,
        *,
        older_than: str | dt.timedelta,
        model: str | None = None,
        now: dt.datetime | None = None,
        actor: str | None = None,
    ) -> PruneReport:
        """Delete the inference log's days older than an age; see :func:`driftline.governance.prune_log`."""
        return governance.prune_log(
            self.context, older_than=older_than, model=model, now=now, actor=actor
        )

    def forget(
        self,
        value: str,
        *,
        column: str | None = None,
        model: str | None = None,
        actor: str | None = None,
    ) -> ForgetReport:
        """Remove every logged record of one person; see :func:`driftline.governance.forget`."""
        return governance.forget(self.context, value, column=column, model=model, actor=actor)
