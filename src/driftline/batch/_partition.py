"""Scoring one partition: validate, predict, set rejects aside, profile; the same on every engine.

A :class:`Scorer` holds a loaded :class:`~driftline.registry.ModelRuntime` and
the model's reference profile; :meth:`Scorer.score` turns one chunk of input
rows into a :class:`Scored` partition: the predictions beside each row's key,
the rows that broke the signature with their reason, and the profile of the
scored rows against the reference (inputs, and the prediction under the
target's name), computed here, on the way, not by a second pass. The local
engine calls it in the process; the Ray engine calls it in each actor.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from driftline.errors import SchemaError
from driftline.registry import ModelRuntime, Prediction
from driftline.schema import row_problems
from driftline.stats import Profile

__all__ = ["ROW", "Chunk", "Scored", "Scorer", "probability_column"]

ROW = "row"  # the stable row number: 0 for the input's first row, file after file
REASON = "reason"
PREDICTION = "prediction"
Chunk = tuple[int, int, pa.Table]  # partition index, its first row, its rows


def probability_column(label: Any) -> str:
    return f"probability_{label}"


@dataclasses.dataclass
class Scored:
    """One partition scored: what the committer writes, and what the log receives."""

    index: int
    first_row: int
    rows: int
    output: pa.Table
    rejects: pa.Table | None
    profile: Profile | None
    log: list[dict[str, Any]] | None = None
    # What the profile is computed from, until it is (then dropped).
    accepted: pa.Table | None = dataclasses.field(default=None, repr=False)
    labels: pa.ChunkedArray | None = dataclasses.field(default=None, repr=False)

    @property
    def rejected(self) -> int:
        return 0 if self.rejects is None else self.rejects.num_rows


class Scorer:
    """A model version loaded once, scoring partition after partition."""

    def __init__(
        self,
        runtime: ModelRuntime,
        reference: Profile | None,
        *,
        key: str | None = None,
        log: bool = False,
        run_id: str = "",
    ) -> None:
        self.runtime = runtime
        self.signature = runtime.signature
        self.key = key
        self.log = log
        self.run_id = run_id
        self.reference = reference
        self.profiled = _profiled_columns(runtime, reference)

    def score(self, chunk: pa.Table, index: int, first_row: int) -> Scored:
        """Predict, set rejects aside and profile one partition."""
        return self.profile(self.predict(chunk, index, first_row))

    def profile(self, scored: Scored) -> Scored:
        """Add the profile of the scored rows (which the local engine does in a second thread)."""
        if scored.accepted is not None and scored.labels is not None:
            scored.profile = self._profile(scored.accepted, scored.labels, scored.index)
        scored.accepted = scored.labels = None
        return scored

    def predict(self, chunk: pa.Table, index: int, first_row: int) -> Scored:
        """Validate and predict one partition; its profile is left to :meth:`profile`."""
        n = chunk.num_rows
        rows = pa.array(np.arange(first_row, first_row + n, dtype=np.int64))
        columns = self._columns(chunk) if n and not self.log else None
        prediction = self.runtime.predict_columns(columns) if columns is not None else None
        if prediction is not None:  # every row passed: no frame made, nothing rejected
            output = self._output(chunk.column(self.key) if self.key else rows, prediction)
            labels = output.column(PREDICTION)
            return Scored(index, first_row, n, output, None, None, None, chunk, labels)
        frame = chunk.select(self.signature.names).to_pandas(date_as_object=False)
        ok, reasons = self._check(frame)
        good = frame if ok.all() else frame[ok].reset_index(drop=True)
        prediction = self.runtime.predict(self.runtime.prepare(good)) if len(good) else self._none()
        keep = pa.array(ok)
        key = chunk.column(self.key) if self.key else rows
        output = self._output(key.filter(keep) if not ok.all() else key, prediction)
        rejects = None
        if not ok.all():
            bad = pa.array(~ok)
            table = chunk.filter(bad)
            if ROW not in table.column_names:
                table = table.append_column(ROW, rows.filter(bad))
            why = [reasons[i] for i in np.flatnonzero(~ok)]
            rejects = table.append_column(REASON, pa.array(why, pa.string()))
        accepted = chunk if ok.all() else chunk.filter(keep)
        log = self._records(good, prediction, key.filter(keep)) if self.log else None
        labels = output.column(PREDICTION)
        return Scored(index, first_row, n, output, rejects, None, log, accepted, labels)

    def _columns(self, chunk: pa.Table) -> dict[str, np.ndarray] | None:
        """Each input as a numpy array when every value passes the signature outright.

        The common partition (typed numbers, text with nothing missing) is
        checked column by column on its Arrow arrays and goes to the model with
        no frame made. None sends any other through the frame, whose checks
        give each failing row its reason.
        """
        columns: dict[str, np.ndarray] = {}
        for spec in self.signature.columns:
            column = chunk.column(spec.name)
            kind = column.type
            if column.null_count:
                return None
            if spec.kind in ("category", "string"):
                if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
                    return None
                columns[spec.name] = _text(column)
            elif pa.types.is_integer(kind) or pa.types.is_floating(kind) or kind == pa.bool_():
                values = column.to_numpy()
                if not spec.passes(values):
                    return None
                columns[spec.name] = values
            else:
                return None
        return columns

    def _check(self, frame: pd.DataFrame) -> tuple[np.ndarray, list[str | None]]:
        try:
            self.signature.validate(frame, allow_extra=True)
        except SchemaError as exc:
            reasons = row_problems(self.signature, frame)
            if all(r is None for r in reasons):  # the two must agree; if not, lose nothing
                reasons = [str(exc)] * len(frame)
            return np.array([r is None for r in reasons], dtype=bool), reasons
        return np.ones(len(frame), dtype=bool), []

    def _none(self) -> Prediction:
        """The prediction of no rows, typed as the model's are (a partition all rejected)."""
        runtime = self.runtime
        if runtime.classes is None:
            return Prediction(np.empty(0, dtype=np.float64))
        labels = np.asarray(runtime.classes)[:0]
        answers_proba = runtime.onnx is not None or hasattr(runtime.model, "predict_proba")
        probs = np.empty((0, len(runtime.classes))) if answers_proba else None
        return Prediction(labels, probs)

    def _output(self, key: pa.Array | pa.ChunkedArray, prediction: Any) -> pa.Table:
        labels = _labels(prediction.labels, self.runtime.classes)
        columns: dict[str, Any] = {self.key or ROW: key, PREDICTION: labels}
        probs = prediction.probabilities
        if probs is not None and self.runtime.classes is not None:
            for j, label in enumerate(self.runtime.classes):
                columns[probability_column(label)] = pa.array(probs[:, j], pa.float64())
        return pa.table(columns)

    def _profile(self, accepted: pa.Table, labels: pa.ChunkedArray, index: int) -> Profile | None:
        if self.reference is None:
            return None
        inputs, target = self.profiled
        table = accepted.select(inputs)
        if target is not None:
            table = table.append_column(target, labels)
        # Seeded by partition, so a partition scored again (a resumed run, another
        # engine) gets the very same profile, and merged samples stay independent.
        return Profile.build(table, reference=self.reference, seed=index)

    def _records(
        self, good: pd.DataFrame, prediction: Any, keys: pa.Array | pa.ChunkedArray
    ) -> list[dict[str, Any]]:
        now = dt.datetime.now(dt.UTC).isoformat()
        labels = prediction.labels.tolist()
        probs = prediction.probabilities.tolist() if prediction.probabilities is not None else None
        ids = [f"{self.run_id}-{k}" for k in keys.to_pylist()]
        inputs = _plain_records(good)
        name, version = self.runtime.name, self.runtime.version.version
        return [
            {
                "kind": "prediction",
                "request_id": ids[i],
                "timestamp": now,
                "model": name,
                "version": version,
                "route": "batch",
                "latency_ms": None,
                "inputs": inputs[i],
                "prediction": labels[i],
                "probabilities": probs[i] if probs is not None else None,
            }
            for i in range(len(labels))
        ]


def _profiled_columns(
    runtime: ModelRuntime, reference: Profile | None
) -> tuple[list[str], str | None]:
    if reference is None:
        return [], None
    inputs = [n for n in runtime.names if n in reference.columns]
    output = runtime.signature.output
    target = output.target if output is not None else None
    return inputs, target if target is not None and target in reference.columns else None


def _labels(labels: np.ndarray, classes: list[Any] | None) -> pa.Array:
    """Predicted labels as Arrow, text built once per class rather than once per row."""
    if labels.dtype.kind != "U" or not classes or not all(isinstance(c, str) for c in classes):
        return pa.array(labels)
    codes = np.full(len(labels), -1, dtype=np.int32)
    for j, label in enumerate(classes):
        codes[labels == label] = j
    if (codes < 0).any():  # a label outside the classes: write what the model said
        return pa.array(labels)
    dictionary = pa.array(classes, pa.string())
    return pa.DictionaryArray.from_arrays(pa.array(codes), dictionary).dictionary_decode()


def _text(column: pa.ChunkedArray) -> np.ndarray:
    """A text column without missing values as an object array of ``str``.

    Each distinct value becomes a Python string once, not once per row.
    """
    encoded = column.combine_chunks().dictionary_encode()
    words = np.array(encoded.dictionary.to_pylist(), dtype=object)
    return words[encoded.indices.to_numpy()]


def _plain_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = frame.to_dict(orient="records")  # type: ignore[assignment]
    for record in records:
        for k, v in record.items():
            if isinstance(v, np.generic):
                record[k] = v.item()
            elif isinstance(v, pd.Timestamp):
                record[k] = v.isoformat()
            elif isinstance(v, float) and v != v:  # NaN: JSON has no such number
                record[k] = None
    return records
