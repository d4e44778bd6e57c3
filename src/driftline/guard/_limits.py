"""Token buckets: a steady rate of requests per caller, with room for a short burst."""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["RateLimiter"]

# Buckets idle long enough to be full again are forgotten, so the table stays as
# small as the set of callers of the last minutes.
_SWEEP_EVERY = 4096


class RateLimiter:
    """``take(key, n)`` spends ``n`` inputs from ``key``'s bucket; the wait in seconds when short.

    Each bucket holds up to ``burst`` inputs and refills at ``rate`` a second.
    Inputs, not requests, are counted: a model is copied by the rows it answers,
    and one request can carry many.
    """

    def __init__(
        self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = float(rate)
        self.burst = float(burst)
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)
        self._takes = 0

    def take(self, key: str, n: int = 1) -> float:
        """0 when ``n`` inputs may pass (and are counted), else seconds until they could."""
        now = self.clock()
        tokens, at = self._buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - at) * self.rate)
        self._takes += 1
        if self._takes % _SWEEP_EVERY == 0:
            self._forget(now)
        if tokens >= n:
            self._buckets[key] = (tokens - n, now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (n - tokens) / self.rate

    def _forget(self, now: float) -> None:
        full = self.burst / self.rate
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < full}
