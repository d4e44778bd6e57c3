"""Predictions of 3 models over 4 days, as the compaction tests of the store and of the
server write them into an inference log, and the request ids each model should end with."""

from __future__ import annotations

import collections
import datetime as dt
from typing import Any

MODELS = ("a", "b", "c")


def prediction(i: int) -> dict[str, Any]:
    """The ``i``-th prediction: one of 3 models, on one of 4 days."""
    return {
        "kind": "prediction",
        "request_id": f"r{i}",
        "timestamp": dt.datetime(2026, 11, 1 + i % 4, 12, tzinfo=dt.UTC).isoformat(),
        "model": MODELS[i % 3],
        "version": 1,
        "route": "champion",
        "latency_ms": 0.5,
        "inputs": {"x": float(i)},
        "prediction": i % 2,
    }


def expected_ids(n: int) -> dict[str, collections.Counter[str]]:
    """Each model's request ids among the first ``n`` predictions, each once."""
    return {m: collections.Counter(f"r{i}" for i in range(n) if MODELS[i % 3] == m) for m in MODELS}
