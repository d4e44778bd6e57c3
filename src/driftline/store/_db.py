"""The metadata database: SQLite in the workspace by default, PostgreSQL at scale.

Reads use ordinary transactions. Every state change goes through
:meth:`Database.write`, which serializes writers (``BEGIN IMMEDIATE`` on
SQLite, a transaction-scoped advisory lock on PostgreSQL) so that version
numbers and the audit chain's order are decided by one writer at a time, even
across processes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session

from driftline.errors import ConfigError, MissingDependencyError, StorageError

__all__ = ["Database", "as_utc"]

# Any constant works; it names driftline's writer lock among the server's advisory locks.
_PG_WRITE_LOCK = 0x64726966


def as_utc(t: dt.datetime) -> dt.datetime:
    """A stored time as an aware UTC datetime: SQLite hands them back naive."""
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


class Database:
    """A SQLAlchemy engine plus driftline's transaction rules."""

    def __init__(self, url: str) -> None:
        try:
            parsed = make_url(url)
        except ArgumentError as exc:
            raise ConfigError(f"database URL {url!r} is not a SQLAlchemy URL: {exc}") from exc
        self.url = url
        self.dialect = parsed.get_backend_name()
        if self.dialect not in ("sqlite", "postgresql"):
            raise ConfigError(
                f"database {self.dialect!r} is not supported; use sqlite:/// or postgresql+psycopg://"
            )
        kwargs: dict[str, Any] = {}
        if self.dialect == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"timeout": 60}
        else:
            kwargs["pool_pre_ping"] = True
        try:
            self.engine: Engine = create_engine(parsed, **kwargs)
        except (NoSuchModuleError, ModuleNotFoundError) as exc:
            raise MissingDependencyError(
                "the PostgreSQL driver is not installed; install it with: "
                "pip install 'driftline[postgres]'"
            ) from exc
        if self.dialect == "sqlite":
            _sqlite_rules(self.engine)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; nothing it does is committed."""
        try:
            with Session(self.engine, expire_on_commit=False) as session:
                yield session
        except OperationalError as exc:
            raise StorageError(f"metadata database failed: {exc.orig}") from exc

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session whose changes commit together, one writer at a time."""
        try:
            with self.engine.connect() as conn:
                conn.execution_options(driftline_write=True)
                with conn.begin():
                    if self.dialect == "postgresql":
                        conn.execute(
                            text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_WRITE_LOCK}
                        )
                    with Session(bind=conn, expire_on_commit=False) as session:
                        yield session
                        session.flush()
        except OperationalError as exc:
            raise StorageError(f"metadata database failed: {exc.orig}") from exc

    @contextmanager
    def locked_connection(self) -> Iterator[Connection]:
        """A raw connection holding the writer lock, for migrations."""
        with self.engine.connect() as conn:
            conn.execution_options(driftline_write=True)
            with conn.begin():
                if self.dialect == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_WRITE_LOCK})
                yield conn

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_rules(engine: Engine) -> None:
    # pysqlite's own transaction handling defers BEGIN and cannot say IMMEDIATE;
    # take control of it (the recipe from SQLAlchemy's SQLite dialect docs).
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        writing = conn.get_execution_options().get("driftline_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")
