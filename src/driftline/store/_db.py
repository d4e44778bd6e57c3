"""The metadata database: SQLite in the workspace by default, PostgreSQL at scale.

Reads use ordinary transactions. Every state change goes through
:meth:`Database.write`, which serializes writers (``BEGIN IMMEDIATE`` on
SQLite, a transaction-scoped advisory lock on PostgreSQL) so that version
numbers and the audit chain's order are decided by one writer at a time, even
across processes.

Every way in (:meth:`Database.connect`, :meth:`~Database.read`,
:meth:`~Database.write`) turns a driver failure into a
:class:`~driftline.errors.StorageError` or
:class:`~driftline.errors.ConfigError` whose message says what failed and
what to do, with the URL's password masked.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DataError, DBAPIError, NoSuchModuleError
from sqlalchemy.exc import IntegrityError as ConstraintError
from sqlalchemy.orm import Session

from driftline.errors import ConfigError, MissingDependencyError, StorageError
from driftline.io import json_safe
from driftline.store._db_faults import database_failure, mask_url

__all__ = ["Database", "as_utc"]

# Any constant works; it names driftline's writer lock among the server's advisory locks.
_PG_WRITE_LOCK = 0x64726966
# Seconds to wait for PostgreSQL to accept a connection before saying it cannot be reached.
_PG_CONNECT_TIMEOUT = 10


def as_utc(t: dt.datetime) -> dt.datetime:
    """A stored time as an aware UTC datetime: SQLite hands them back naive."""
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


def _to_json(value: Any) -> str:
    # Python writes NaN and infinities as tokens PostgreSQL's json type refuses (and SQLite
    # keeps): a number JSON cannot hold is stored as null, the same on both.
    return json.dumps(json_safe(value))


class Database:
    """A SQLAlchemy engine plus driftline's transaction rules."""

    def __init__(self, url: str) -> None:
        try:
            parsed = make_url(url)
        except (ArgumentError, ValueError) as exc:  # ValueError: a port that is not a number
            raise ConfigError(
                f"database URL {mask_url(url)!r} is not a SQLAlchemy URL: {exc}; "
                "write it as sqlite:///path/to/driftline.db or "
                "postgresql+psycopg://user:password@host/database"
            ) from exc
        if parsed.drivername == "postgresql":
            # SQLAlchemy's default driver is psycopg2; driftline's postgres extra installs psycopg 3.
            parsed = parsed.set(drivername="postgresql+psycopg")
        self.url = url
        self.dialect = parsed.get_backend_name()
        if self.dialect not in ("sqlite", "postgresql"):
            raise ConfigError(
                f"database {self.dialect!r} is not supported; use sqlite:/// or postgresql+psycopg://"
            )
        kwargs: dict[str, Any] = {}
        if self.dialect == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                folder = Path(parsed.database).parent
                try:
                    folder.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise StorageError(
                        f"the metadata database at {mask_url(url)} cannot be created: its folder "
                        f"{folder} cannot be made ({exc.strerror}); fix DRIFTLINE_DATABASE_URL "
                        "or DRIFTLINE_HOME"
                    ) from exc
            kwargs["connect_args"] = {"timeout": 60}
        else:
            kwargs["pool_pre_ping"] = True
            if "connect_timeout" not in parsed.query:
                kwargs["connect_args"] = {"connect_timeout": _PG_CONNECT_TIMEOUT}
        try:
            self.engine: Engine = create_engine(parsed, json_serializer=_to_json, **kwargs)
        except (NoSuchModuleError, ModuleNotFoundError) as exc:
            raise MissingDependencyError(
                "the PostgreSQL driver is not installed; install it with: "
                "pip install 'driftline[postgres]'"
            ) from exc
        if self.dialect == "sqlite":
            _sqlite_rules(self.engine)

    @contextmanager
    def faults(self) -> Iterator[None]:
        """Turn a driver failure inside the block into an error with one sentence.

        A broken constraint or a value the column refuses is left alone: that is
        a fault of the code that wrote, not of the database.
        """
        try:
            yield
        except (ConstraintError, DataError):
            raise
        except DBAPIError as exc:
            raise database_failure(exc, self.url) from exc
        except Exception as exc:
            if _driver_failure(exc):  # raised around SQLAlchemy, e.g. on a raw connection
                raise database_failure(exc, self.url) from exc
            raise

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A plain connection, for reading the schema or checking the server answers."""
        with self.faults(), self.engine.connect() as conn:
            yield conn

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; nothing it does is committed."""
        with self.faults(), Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session whose changes commit together, one writer at a time."""
        with (
            self.locked_connection() as conn,
            Session(bind=conn, expire_on_commit=False) as session,
        ):
            yield session
            session.flush()

    @contextmanager
    def locked_connection(self) -> Iterator[Connection]:
        """A raw connection holding the writer lock, for writes and migrations."""
        with self.faults(), self.engine.connect() as conn:
            conn.execution_options(driftline_write=True)
            with conn.begin():
                if self.dialect == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_WRITE_LOCK})
                yield conn

    def dispose(self) -> None:
        self.engine.dispose()


def _driver_failure(exc: BaseException) -> bool:
    """A sqlite3 or psycopg error other than a broken constraint or a refused value."""
    for name in ("sqlite3", "psycopg"):
        driver = sys.modules.get(name)  # not loaded: it raised nothing
        base = getattr(driver, "Error", None)
        if isinstance(base, type) and isinstance(exc, base):
            left_alone = tuple(
                t
                for t in (
                    getattr(driver, "IntegrityError", None),
                    getattr(driver, "DataError", None),
                )
                if isinstance(t, type)
            )
            return not isinstance(exc, left_alone)
    return False


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
