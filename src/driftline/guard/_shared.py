"""Rate-limit buckets shared by the workers of a server: a SQLite file, or Redis.

``settings.limits_url`` says where (``DRIFTLINE_LIMITS_URL``):

* ``sqlite:///path`` (the default, ``<home>/limits.db``): the workers of one
  host share the file. Each take is one ``INSERT ... ON CONFLICT ... RETURNING``
  statement, atomic under SQLite's write lock, in a WAL file that is never
  synced (a crash forgets some spending, never a caller's whole budget twice).
* ``redis://host:port/db``: every worker of every host using that Redis shares
  the buckets; one Lua script per take, timed by the Redis server's clock so
  hosts whose clocks differ still agree. The default when the workspace's
  online store is a Redis.
* ``memory``: each worker counts alone (the limit multiplies by the workers).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from driftline.errors import ConfigError
from driftline.guard._limits import Buckets, LocalBuckets

if TYPE_CHECKING:
    from driftline.settings import Settings

__all__ = ["RedisBuckets", "SqliteBuckets", "open_buckets"]

# Forget buckets full again (their caller idle) every this many takes.
_FORGET_EVERY = 4096

_TAKE_SQL = """
INSERT INTO buckets (key, tokens, at, full_at, ok) VALUES (:key, :burst - :n, :now, :now + :n / :rate, 1)
ON CONFLICT (key) DO UPDATE SET
    tokens = CASE WHEN min(:burst, tokens + max(0.0, :now - at) * :rate) >= :n
                  THEN min(:burst, tokens + max(0.0, :now - at) * :rate) - :n
                  ELSE min(:burst, tokens + max(0.0, :now - at) * :rate) END,
    ok = min(:burst, tokens + max(0.0, :now - at) * :rate) >= :n,
    at = max(at, :now),
    full_at = max(at, :now) + (:burst - min(:burst, tokens + max(0.0, :now - at) * :rate)
              + CASE WHEN min(:burst, tokens + max(0.0, :now - at) * :rate) >= :n
                     THEN :n ELSE 0 END) / :rate
RETURNING tokens, ok
"""


class SqliteBuckets:
    """Buckets in a SQLite file, shared by the processes of one host."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit: each take is its own statement, its own transaction.
        self._db = sqlite3.connect(
            self.path, timeout=5.0, isolation_level=None, check_same_thread=False
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS buckets (key TEXT PRIMARY KEY, tokens REAL NOT NULL, "
            "at REAL NOT NULL, full_at REAL NOT NULL, ok INTEGER NOT NULL) WITHOUT ROWID"
        )
        self._lock = threading.Lock()  # one connection, used from the loop and from threads
        self._takes = 0

    def take(self, key: str, n: int, rate: float, burst: float) -> float:
        now = time.time()  # one clock for every process of the host
        args = {"key": key, "n": float(n), "rate": rate, "burst": burst, "now": now}
        with self._lock:
            tokens, ok = self._db.execute(_TAKE_SQL, args).fetchone()
            self._takes += 1
            if self._takes % _FORGET_EVERY == 0:
                self._db.execute("DELETE FROM buckets WHERE full_at < ?", (now,))
        return 0.0 if ok else (n - tokens) / rate

    def close(self) -> None:
        with self._lock:
            self._db.close()


# KEYS[1] the bucket; ARGV rate, burst, n. Returns the wait in seconds as text ("0": taken).
_TAKE_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local rate, burst, n = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1]) or burst
local at = tonumber(b[2]) or now
local avail = math.min(burst, tokens + math.max(0, now - at) * rate)
local wait = 0
if avail >= n then avail = avail - n else wait = (n - avail) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(avail), 'at', tostring(math.max(now, at)))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - avail) / rate * 1000) + 1000)
return tostring(wait)
"""


class RedisBuckets:
    """Buckets in Redis, shared by every server using it; they expire once full again."""

    prefix = "driftline:limit:"

    def __init__(self, url: str) -> None:
        try:
            import redis
        except ImportError:
            raise ConfigError(
                f"rate limits in {url} need the redis package: pip install 'driftline[redis]'"
            ) from None
        self._client = redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        self._script: Any = self._client.register_script(_TAKE_LUA)

    def take(self, key: str, n: int, rate: float, burst: float) -> float:
        return float(self._script(keys=[self.prefix + key], args=[rate, burst, n]))

    def close(self) -> None:
        self._client.close()


def open_buckets(settings: Settings) -> Buckets:
    """The buckets ``settings.limits_url`` names (see the module's docstring)."""
    url = settings.limits_url
    if url == "memory":
        return LocalBuckets()
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisBuckets(url)
    if url.startswith("sqlite:///"):
        return SqliteBuckets(url.removeprefix("sqlite:///"))
    raise ConfigError(
        f"limits_url must be sqlite:///path, redis://host:port/db or memory, got {url!r} "
        "(DRIFTLINE_LIMITS_URL)"
    )
