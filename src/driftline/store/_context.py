"""The store handles every service takes: settings, the metadata database, the artifacts.

Services receive a :class:`Context`, never the user's ``Workspace`` facade, so a
service can be imported, called and tested without anything above the store.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import TracebackType

from driftline.errors import NotFoundError
from driftline.settings import Settings
from driftline.store._artifacts import ArtifactStore
from driftline.store._db import Database
from driftline.store._migrate import migrate

__all__ = ["Context"]


@dataclasses.dataclass(frozen=True, eq=False)
class Context:
    """Settings plus open handles on the database and the artifact store."""

    settings: Settings
    db: Database
    artifacts: ArtifactStore

    @classmethod
    def open(cls, settings: Settings, *, create: bool = True) -> Context:
        """Connect to the stores ``settings`` names and bring the database schema up to date.

        With ``create=False`` a missing workspace folder is an error instead of being made.
        """
        if not create and not settings.home.is_dir():
            raise NotFoundError(
                f"no driftline workspace at {settings.home}; create one with "
                "'driftline init' or point DRIFTLINE_HOME at an existing one"
            )
        db = Database(settings.database_url)
        try:
            artifacts = ArtifactStore(
                settings.artifacts_url, s3_endpoint_url=settings.s3_endpoint_url
            )
            migrate(db)
        except BaseException:
            db.dispose()
            raise
        return cls(settings=settings, db=db, artifacts=artifacts)

    @property
    def home(self) -> Path:
        return self.settings.home

    def close(self) -> None:
        self.db.dispose()

    def __enter__(self) -> Context:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
