"""One answered request's predictions as the server holds them, turned into log lines late.

The request hands the log its raw values (the input matrix, the model's output
arrays, the ids): building a dict per row, redacting it and encoding it happen
when the group of one loop turn is written, once per group where that can be
done once (the timestamp, the finiteness and redaction checks of a matrix),
and with orjson where every number is finite (orjson writes NaN as null, which
would read back as a different value, so those rows take the standard encoder).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson

from driftline.privacy import Redactor
from driftline.store._segments import encode, frame_line

__all__ = ["Predictions"]


@dataclass(slots=True)
class Predictions:
    """What one request writes: one prediction record per row of ``inputs``.

    ``inputs`` is a float matrix with a column per name in ``names``, or one
    dict per row already made plain. The arrays are read when the group is
    written, so the caller must not change them after handing them over.
    """

    model: str
    version: int
    route: str
    request_ids: list[str]
    latency_ms: float
    names: list[str]
    inputs: np.ndarray | list[dict[str, Any]]
    labels: np.ndarray
    probabilities: np.ndarray | None = None
    request_key: str | None = None
    looked_up: list[dict[str, Any]] | None = None  # entity and feature time per row
    guard_ratios: np.ndarray | None = None
    unlike_training: np.ndarray | None = None

    def records(self, timestamp: str) -> list[dict[str, Any]]:
        """The log records, as ``InferenceLog.commit`` takes them."""
        inputs = self.inputs
        if isinstance(inputs, np.ndarray):
            names = self.names
            rows: list[dict[str, Any]] = [dict(zip(names, v, strict=True)) for v in inputs.tolist()]
        else:
            rows = inputs
        if self.looked_up is not None:
            for row, extra in zip(rows, self.looked_up, strict=True):
                row.update(extra)
        labels = self.labels.tolist()
        probs = self.probabilities.tolist() if self.probabilities is not None else None
        ids, latency = self.request_ids, round(self.latency_ms, 3)
        records = [
            {
                "kind": "prediction",
                "request_id": ids[i],
                "timestamp": timestamp,
                "model": self.model,
                "version": self.version,
                "route": self.route,
                "latency_ms": latency,
                "inputs": row,
                "prediction": labels[i],
                "probabilities": probs[i] if probs is not None else None,
            }
            for i, row in enumerate(rows)
        ]
        if self.request_key is not None:  # what forget finds a caller's records by
            for record in records:
                record["request_key"] = self.request_key
        if self.guard_ratios is not None and self.unlike_training is not None:
            for record, ratio, unlike in zip(
                records, self.guard_ratios.tolist(), self.unlike_training.tolist(), strict=True
            ):
                record["guard_score"] = round(ratio, 4)
                record["unlike_training"] = unlike
        return records

    def lines(self, timestamp: str, redactor: Redactor | None) -> list[bytes]:
        """The records redacted and encoded, one segment line each."""
        records = self.records(timestamp)
        matrix = self.inputs if isinstance(self.inputs, np.ndarray) else None
        if redactor is not None:
            # A float matrix the policy keeps whole is checked once, not value by value.
            checked = (
                matrix is not None
                and self.looked_up is None  # looked-up values join the rows unchecked
                and redactor.keeps_numbers(self.names, matrix)
            )
            records = [redactor.record(r, inputs_checked=checked) for r in records]
        if matrix is None or self.looked_up is not None or not self._finite(matrix):
            return [encode(r) for r in records]
        try:
            return [frame_line(orjson.dumps(r)) for r in records]
        except TypeError:  # an integer beyond 64 bits, a value orjson has no form for
            return [encode(r) for r in records]

    def _finite(self, matrix: np.ndarray) -> bool:
        """Whether every number of these records is finite, so orjson writes it exactly."""
        arrays = [matrix, self.labels, self.probabilities, self.guard_ratios]
        for a in arrays:
            if a is None:
                continue
            if a.dtype.kind in "fc" and not np.isfinite(a).all():
                return False
            if a.dtype.kind == "O" and any(
                type(v) is float and not math.isfinite(v) for v in a.ravel().tolist()
            ):
                return False
        return True
