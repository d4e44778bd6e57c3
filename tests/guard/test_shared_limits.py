"""Rate-limit buckets shared by a server's workers: a SQLite file on one host, or Redis."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest

from driftline.errors import ConfigError
from driftline.guard import LocalBuckets, RateLimiter, RedisBuckets, SqliteBuckets, open_buckets
from driftline.settings import Settings


def _spend_together(limiters: list[RateLimiter], tries: int) -> list[float]:
    """Every limiter takes one input ``tries`` times, all at once; the waits, in any order."""
    waits: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(len(limiters))

    def spend(limiter: RateLimiter) -> None:
        start.wait()
        for _ in range(tries):
            wait = limiter.take("token 'checkout'")
            with lock:
                waits.append(wait)

    threads = [threading.Thread(target=spend, args=(limiter,)) for limiter in limiters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return waits


def test_two_workers_on_one_sqlite_file_share_one_budget(tmp_path: Path) -> None:
    # Two connections to the file, as two worker processes have; at 0.01 a second, the
    # burst of 10 is all that passes in the second this takes.
    stores = [SqliteBuckets(tmp_path / "limits.db") for _ in range(2)]
    try:
        limiters = [RateLimiter(0.01, 10, buckets=s, scope="forest:") for s in stores]
        waits = _spend_together(limiters, 25)
        assert sum(w == 0 for w in waits) == 10
        assert all(90 < w <= 100 for w in waits if w)  # one input refills in 100 s
        # Another model's limiter on the same file counts apart.
        other = RateLimiter(0.01, 10, buckets=stores[0], scope="shop:")
        assert other.take("token 'checkout'") == 0
    finally:
        for store in stores:
            store.close()


def test_sqlite_buckets_refill_at_the_rate_and_forget_nothing_they_need(tmp_path: Path) -> None:
    store = SqliteBuckets(tmp_path / "limits.db")
    try:
        limiter = RateLimiter(1000.0, 5, buckets=store)
        assert limiter.take("a", 5) == 0
        assert limiter.take("a") <= 0.001  # empty, or nearly: one input refills in 1 ms
        # At 1000 a second the bucket holds inputs again within moments.
        deadline = time.monotonic() + 5
        while limiter.take("a") and time.monotonic() < deadline:
            pass
        assert time.monotonic() < deadline
    finally:
        store.close()


@pytest.mark.redis
def test_redis_buckets_are_shared_by_every_client_of_the_server(redis_url: str) -> None:
    stores = [RedisBuckets(redis_url) for _ in range(2)]
    try:
        limiters = [RateLimiter(0.01, 10, buckets=s, scope="forest:") for s in stores]
        waits = _spend_together(limiters, 25)
        assert sum(w == 0 for w in waits) == 10
        assert all(90 < w <= 100 for w in waits if w)
    finally:
        for store in stores:
            store.close()


def test_a_store_that_is_away_leaves_each_worker_limiting_alone() -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    store = RedisBuckets(f"redis://127.0.0.1:{port}/0")
    limiter = RateLimiter(0.01, 3, buckets=store)
    assert [limiter.take("a") for _ in range(4)][:3] == [0.0, 0.0, 0.0]
    assert limiter.take("a") > 0  # still held to the rate, by this worker's own buckets
    store.close()


def test_where_limits_count_follows_the_workspace(tmp_path: Path) -> None:
    local = Settings.load(tmp_path, environ={})
    assert local.limits_url == f"sqlite:///{tmp_path / 'limits.db'}"
    shared = Settings.load(tmp_path, environ={"DRIFTLINE_ONLINE_STORE_URL": "redis://r:6379/2"})
    assert shared.limits_url == "redis://r:6379/2"
    alone = Settings.load(tmp_path, environ={"DRIFTLINE_LIMITS_URL": "memory"})
    assert isinstance(open_buckets(alone), LocalBuckets)
    with pytest.raises(ConfigError, match="limits_url must be sqlite:///path, redis://"):
        open_buckets(Settings.load(tmp_path, environ={"DRIFTLINE_LIMITS_URL": "ftp://x"}))
