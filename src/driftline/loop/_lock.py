"""One tick at a time per workspace, whoever starts it (cron, ``loop run``, ``serve --loop``).

The lock dies with its holder, so a tick killed with ``kill -9`` blocks no
later one: on PostgreSQL a session advisory lock, released when the
connection drops; on SQLite an ``flock`` on a file in the workspace, released
by the kernel.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from typing import TYPE_CHECKING

from sqlalchemy import text

if TYPE_CHECKING:
    from driftline.store import Context

__all__ = ["tick_lock"]

# Names the loop's lock among the server's advisory locks (the writer lock uses another).
_PG_LOOP_LOCK = 0x6C6F6F70


@contextlib.contextmanager
def tick_lock(ctx: Context) -> Iterator[bool]:
    """Yields True when this process holds the lock, False when another tick does."""
    if ctx.db.dialect == "postgresql":
        with ctx.db.connect() as conn:
            got = bool(
                conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": _PG_LOOP_LOCK}).scalar()
            )
            conn.commit()
            try:
                yield got
            finally:
                if got:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_LOOP_LOCK})
                    conn.commit()
        return
    ctx.home.mkdir(parents=True, exist_ok=True)
    with open(ctx.home / "loop.lock", "a+b") as f:
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)
