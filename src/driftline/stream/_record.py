"""Answers into the inference log, so monitoring watches stream traffic as it watches HTTP.

A batch is logged after its results are written, and only what this worker
wrote (not what another consumer answered first), so the log holds no
prediction that was not delivered, and none twice. The worker waits for the
records to be written before it goes on: a ``kill -9`` can then cost the log
at most the one batch between its write to Redis and its records.
"""

from __future__ import annotations

import datetime as dt

from driftline.errors import StorageError
from driftline.io import json_safe
from driftline.registry import ModelRuntime, Prediction
from driftline.store import InferenceLog
from driftline.stream._messages import Valid

__all__ = ["ROUTE", "log_answers"]

ROUTE = "stream"


def log_answers(
    log: InferenceLog,
    runtime: ModelRuntime,
    stream: str,
    valid: Valid,
    prediction: Prediction,
    skipped: frozenset[bytes],
    took: float,
) -> int:
    """Append one prediction record per message answered here; how many."""
    now = dt.datetime.now(dt.UTC).isoformat()
    labels = json_safe(prediction.labels.tolist())
    probs = prediction.probabilities.tolist() if prediction.probabilities is not None else None
    name, version = runtime.name, runtime.version.version
    latency = round(took * 1000, 3)
    futures = [
        log.append(
            {
                "kind": "prediction",
                "request_id": f"{stream}/{mid.decode()}",
                "timestamp": now,
                "model": name,
                "version": version,
                "route": ROUTE,
                "latency_ms": latency,
                "inputs": valid.rows[i],
                "prediction": labels[i],
                "probabilities": probs[i] if probs is not None else None,
            }
        )
        for i, mid in enumerate(valid.ids)
        if mid not in skipped
    ]
    for future in futures:
        try:
            future.result()
        except OSError as exc:
            raise StorageError(
                f"the inference log could not take {len(futures)} predictions ({exc}); the "
                "worker stopped so that monitoring misses nothing past them: free the log's "
                "disk and start it again"
            ) from exc
    return len(futures)
