"""Bring a database to the newest schema; run on every open, cheap when current."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from driftline.errors import StorageError
from driftline.store._db import Database

__all__ = ["current_revision", "head_revision", "known_revisions", "migrate"]

_SCRIPTS = Path(__file__).parent / "migrations"


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_SCRIPTS))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships migrations
        raise StorageError("driftline ships no database migrations; the install is broken")
    return head


def known_revisions() -> set[str]:
    """Every schema revision this driftline can upgrade from."""
    return {script.revision for script in ScriptDirectory.from_config(_config()).walk_revisions()}


def current_revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def migrate(db: Database, *, target: str | None = None) -> str:
    """Upgrade ``db`` to ``target`` (default: newest). Returns the revision reached.

    A database made by a newer driftline than this one is refused rather than
    guessed at.
    """
    want = target or head_revision()
    with db.connect() as probe:
        if current_revision(probe) == want:
            return want
    # Migrate under the writer lock so concurrent first opens do not race.
    with db.locked_connection() as conn:
        have = current_revision(conn)
        if have == want:
            return want
        if have is not None and have not in known_revisions():
            raise StorageError(
                f"the metadata database is at schema revision {have!r}, which this driftline "
                "does not know; it was written by a newer version: upgrade driftline"
            )
        cfg = _config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, want)
    return want
