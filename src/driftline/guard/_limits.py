"""Token buckets: a steady rate of inputs per caller, with room for a short burst.

The bucket's arithmetic is one (``_refill``); where the buckets live is not.
:class:`LocalBuckets` keeps them in this process: each worker of a server would
count alone and the limit would multiply by the number of workers. So a server
keeps them in a store its workers share (see :func:`open_buckets`): a SQLite
file on this host, or Redis, which hosts sharing the workspace share too.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Protocol

__all__ = ["Buckets", "LocalBuckets", "RateLimiter"]

logger = logging.getLogger("driftline.guard")

# Buckets idle long enough to be full again are forgotten, so the table stays as
# small as the set of callers of the last minutes.
_SWEEP_EVERY = 4096


class Buckets(Protocol):
    """Where buckets live: ``take`` spends ``n`` of ``key``'s inputs, or says how long to wait."""

    def take(self, key: str, n: int, rate: float, burst: float) -> float: ...

    def close(self) -> None: ...


def _refill(tokens: float, at: float, now: float, rate: float, burst: float) -> float:
    # A clock that steps back (another host's, a corrected wall clock) refills nothing.
    return min(burst, tokens + max(0.0, now - at) * rate)


class LocalBuckets:
    """The buckets of this process alone (a single worker, or tests with their own clock)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)
        self._takes = 0

    def take(self, key: str, n: int, rate: float, burst: float) -> float:
        now = self.clock()
        tokens, at = self._buckets.get(key, (burst, now))
        tokens = _refill(tokens, at, now, rate, burst)
        self._takes += 1
        if self._takes % _SWEEP_EVERY == 0:
            self._forget(now, rate, burst)
        if tokens >= n:
            self._buckets[key] = (tokens - n, now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (n - tokens) / rate

    def _forget(self, now: float, rate: float, burst: float) -> None:
        full = burst / rate
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < full}

    def close(self) -> None:
        self._buckets.clear()


class RateLimiter:
    """``take(key, n)`` spends ``n`` inputs from ``key``'s bucket; the wait in seconds when short.

    Each bucket holds up to ``burst`` inputs and refills at ``rate`` a second.
    Inputs, not requests, are counted: a model is copied by the rows it answers,
    and one request can carry many. ``buckets`` is where they live (default:
    this process); ``scope`` keeps apart the limiters sharing one store.

    When the shared store fails (Redis restarting, a locked file past its
    timeout), this worker falls back to buckets of its own until it answers
    again: callers are still held to the rate, per worker, and no answer fails
    because the counter is away.
    """

    def __init__(
        self,
        rate: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        *,
        buckets: Buckets | None = None,
        scope: str = "",
    ) -> None:
        self.rate = float(rate)
        self.burst = float(burst)
        self.scope = scope
        self._fallback = LocalBuckets(clock)
        self._buckets: Buckets = buckets if buckets is not None else self._fallback
        self._failing = False

    def take(self, key: str, n: int = 1) -> float:
        """0 when ``n`` inputs may pass (and are counted), else seconds until they could."""
        if self._buckets is self._fallback:
            return self._fallback.take(key, n, self.rate, self.burst)
        try:
            wait = self._buckets.take(f"{self.scope}{key}", n, self.rate, self.burst)
        except Exception:  # the store is away: hold the rate per worker meanwhile
            if not self._failing:
                logger.exception("the shared rate-limit store failed; limiting per worker")
                self._failing = True
            return self._fallback.take(key, n, self.rate, self.burst)
        self._failing = False
        return wait
