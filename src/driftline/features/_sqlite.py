"""The online store as one SQLite file in the workspace: the default, with nothing to run."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

from driftline.errors import StorageError
from driftline.features._online import OnlineStore, Stored, decode

__all__ = ["SQLiteStore"]

_IN_CHUNK = 500  # keys per SELECT ... IN (...): under SQLite's variable limit


class SQLiteStore(OnlineStore):
    """The online store as one SQLite file (write-ahead log: reads never wait for writes)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(
                f"the online feature store at {self.path} cannot be created ({exc.strerror}); "
                "fix DRIFTLINE_ONLINE_STORE_URL or DRIFTLINE_HOME"
            ) from exc
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []  # every thread's, to close them all
        self._lock = threading.Lock()
        self._conn().execute(
            "CREATE TABLE IF NOT EXISTS online_features ("
            " view TEXT NOT NULL, key TEXT NOT NULL, event_us INTEGER NOT NULL,"
            " created_us INTEGER NOT NULL, payload TEXT NOT NULL,"
            " PRIMARY KEY (view, key)) WITHOUT ROWID"
        )

    def describe(self) -> str:
        return f"sqlite:///{self.path}"

    def _conn(self) -> sqlite3.Connection:
        # One connection per thread: sqlite3 connections are not shared across threads.
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                # Used by its own thread only; closed by whichever thread closes the store.
                conn = sqlite3.connect(
                    self.path, timeout=60, isolation_level=None, check_same_thread=False
                )
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
            except sqlite3.Error as exc:
                raise StorageError(
                    f"the online feature store at {self.path} cannot be opened ({exc}); check "
                    "the file and DRIFTLINE_ONLINE_STORE_URL"
                ) from exc
            self._local.conn = conn
            with self._lock:
                self._opened.append(conn)
        return conn

    def write(
        self,
        view: str,
        keys: Sequence[str],
        events: Sequence[int],
        createds: Sequence[int],
        payloads: Sequence[str],
    ) -> int:
        conn = self._conn()
        before = conn.total_changes
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany(
                "INSERT INTO online_features VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (view, key) DO UPDATE SET event_us = excluded.event_us, "
                "created_us = excluded.created_us, payload = excluded.payload "
                "WHERE (excluded.event_us, excluded.created_us) > "
                "(online_features.event_us, online_features.created_us)",
                zip([view] * len(keys), keys, events, createds, payloads, strict=True),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return conn.total_changes - before

    def read(self, view: str, keys: Sequence[str]) -> list[Stored | None]:
        conn = self._conn()
        if len(keys) == 1:  # the serving path: one entity per request
            row = conn.execute(
                "SELECT event_us, created_us, payload FROM online_features "
                "WHERE view = ? AND key = ?",
                (view, keys[0]),
            ).fetchone()
            return [Stored(row[0], row[1], decode(row[2])) if row else None]
        found: dict[str, Stored] = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), _IN_CHUNK):
            chunk = unique[start : start + _IN_CHUNK]
            marks = ",".join("?" * len(chunk))
            for key, event, created, payload in conn.execute(
                "SELECT key, event_us, created_us, payload FROM online_features "
                f"WHERE view = ? AND key IN ({marks})",
                (view, *chunk),
            ):
                found[key] = Stored(event, created, decode(payload))
        return [found.get(k) for k in keys]

    def close(self) -> None:
        with self._lock:
            opened, self._opened = self._opened, []
        for conn in opened:
            conn.close()
        self._local = threading.local()
