"""The workspace: settings plus handles on the metadata database and the artifact store.

It is the one argument services take. Its methods are a convenience facade
over the services, so that ``ws.register(...)`` reads naturally.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from driftline.errors import ConfigError, NotFoundError
from driftline.settings import CONFIG_FILE, Settings
from driftline.store import ArtifactStore, Database
from driftline.store._migrate import migrate

if TYPE_CHECKING:
    import pandas as pd

    from driftline.audit import AuditEvent, VerifyResult
    from driftline.evaluation import EvaluationReport
    from driftline.gate import GateDecision
    from driftline.registry import ModelSummary, ModelVersion
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
    """A driftline workspace: models, versions, aliases, audit, artifacts."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.db = Database(settings.database_url)
        self.artifacts = ArtifactStore(
            settings.artifacts_url, s3_endpoint_url=settings.s3_endpoint_url
        )
        migrate(self.db)

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
        if not settings.home.is_dir():
            if create:
                return cls.init(home, **overrides)
            raise NotFoundError(
                f"no driftline workspace at {settings.home}; create one with "
                "'driftline init' or point DRIFTLINE_HOME at an existing one"
            )
        return cls(settings)

    @property
    def home(self) -> Path:
        return self.settings.home

    def close(self) -> None:
        self.db.dispose()

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
        code_revision: str | None = None,
        trust: bool = False,
    ) -> ModelVersion:
        """Register a new version; see :func:`driftline.registry.register`."""
        from driftline import registry

        return registry.register(
            self,
            name,
            model,
            train=train,
            target=target,
            description=description,
            metrics=metrics,
            intended_use=intended_use,
            limitations=limitations,
            parent=parent,
            code_revision=code_revision,
            trust=trust,
        )

    def get(self, ref: str) -> ModelVersion:
        """A version by ``name``, ``name:VERSION`` or ``name@ALIAS``."""
        from driftline import registry

        return registry.get(self, ref)

    def set_alias(self, name: str, version: int, alias: str) -> ModelVersion:
        from driftline import registry

        return registry.set_alias(self, name, version, alias)

    def remove_alias(self, name: str, alias: str) -> None:
        from driftline import registry

        registry.remove_alias(self, name, alias)

    def load_model(self, ref: str | ModelVersion) -> Any:
        """The model object, verified against its recorded sha256."""
        from driftline import registry

        return registry.load_model(self, ref)

    def load_profile(self, ref: str | ModelVersion) -> Profile:
        from driftline import registry

        return registry.load_profile(self, ref)

    def models(self) -> list[ModelSummary]:
        from driftline import registry

        return registry.list_models(self)

    def versions(self, name: str) -> list[ModelVersion]:
        from driftline import registry

        return registry.list_versions(self, name)

    # -- evaluation ------------------------------------------------------------

    def evaluate(
        self, ref: str | ModelVersion, data: Any, *, target: str | None = None, **options: Any
    ) -> EvaluationReport:
        """Judge a version on labelled rows; see :func:`driftline.evaluation.evaluate`."""
        from driftline.evaluation import evaluate

        return evaluate(ref, data, target=target, workspace=self, **options)

    def evaluations(self, ref: str, *, limit: int | None = None) -> list[EvaluationReport]:
        """Stored evaluations of ``ref``, newest first; ``NAME`` means every version."""
        from driftline.evaluation import list_evaluations

        return list_evaluations(self, ref, limit=limit)

    def gate(self, name: str, *, data: Any, target: str, **options: Any) -> GateDecision:
        """May a candidate replace the baseline? See :func:`driftline.gate.run_gate`."""
        from driftline.gate import run_gate

        return run_gate(self, name, data=data, target=target, **options)

    # -- audit -----------------------------------------------------------------

    def audit_events(
        self, *, subject: str | None = None, action: str | None = None, limit: int | None = None
    ) -> list[AuditEvent]:
        from driftline import audit

        return audit.events(self.db, subject=subject, action=action, limit=limit)

    def verify_audit(self) -> VerifyResult:
        from driftline import audit

        return audit.verify(self.db)
