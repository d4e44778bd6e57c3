"""Messages in, results out: the wire format of a stream, and validation against the signature.

An input message carries the model's inputs as a JSON object in a field named
``data``: ``XADD orders * data '{"age": 41, "income": 52.3, "region": "north"}'``.
Other fields are left alone (a producer may add its own). A result, written to
the sink, has the fields

- ``input_id``: the id of the message it answers, in the source stream;
- ``request_id``: ``<source stream>/<input id>``, the id under which the
  inference log holds it (labels posted later join on it);
- ``model`` and ``version``: which registered version answered;
- ``prediction``: the answer as JSON (a class or a number);
- ``probabilities``: a JSON object of each class's probability, for classifiers.

(The write step, a script in Redis, puts these fields together: see ``_group``.)

A message that cannot be scored goes to the dead-letter stream with
``input_id``, ``source``, ``reason`` (one sentence) and ``fields`` (the
message's own fields, as a JSON object of text).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from driftline.errors import SchemaError
from driftline.io import json_safe
from driftline.privacy import Redactor
from driftline.registry import ModelRuntime, Prediction
from driftline.stream._words import (
    bad_json,
    deleted,
    missing_inputs,
    no_data_field,
    not_an_object,
    schema_problem,
    unexpected_inputs,
)

__all__ = [
    "Entry",
    "Letter",
    "Valid",
    "answers",
    "decode",
    "held_fields",
    "letter_fields",
    "redact_letter",
]

# An entry as redis-py returns it: the id, and the fields (empty once deleted from the stream).
Entry = tuple[bytes, dict[bytes, bytes] | None]
_EXACT = 2**53  # integers a float64 holds exactly
_PLAIN = frozenset((float, int, type(None)))
_JSON_KINDS = {list: "array", str: "string", int: "number", float: "number", bool: "boolean"}


@dataclasses.dataclass(frozen=True)
class Letter:
    """A message for the dead-letter stream, and why."""

    id: bytes
    reason: str
    fields: dict[bytes, bytes] | None = None


@dataclasses.dataclass
class Valid:
    """The messages of a batch that passed, as one model input, and those that did not."""

    ids: list[bytes]
    rows: list[dict[str, Any]]
    payload: np.ndarray | pd.DataFrame | None
    letters: list[Letter]


def decode(runtime: ModelRuntime, entries: Sequence[Entry], stream: str) -> Valid:
    """Parse and validate ``entries``; each one that fails becomes a :class:`Letter`."""
    names = runtime.names
    wanted = set(names)
    ids: list[bytes] = []
    rows: list[dict[str, Any]] = []
    letters: list[Letter] = []
    for raw_id, fields in entries:
        mid = raw_id.decode()
        if not fields:  # XADD needs a field, so no fields means the entry was deleted
            letters.append(Letter(raw_id, deleted(mid, stream)))
            continue
        data = fields.get(b"data")
        if data is None:
            shown = [f.decode("utf-8", "replace") for f in fields]
            letters.append(Letter(raw_id, no_data_field(mid, shown, names), fields))
            continue
        try:
            row = json.loads(data)
        except ValueError as exc:  # bad JSON, or bytes that are not UTF-8
            letters.append(Letter(raw_id, bad_json(mid, _short(exc), names), fields))
            continue
        if not isinstance(row, dict):
            kind = "null" if row is None else _JSON_KINDS.get(type(row), type(row).__name__)
            letters.append(Letter(raw_id, not_an_object(mid, kind, names), fields))
            continue
        if row.keys() != wanted:
            missing = [n for n in names if n not in row]
            reason = (
                missing_inputs(mid, missing, names)
                if missing
                else unexpected_inputs(mid, [k for k in row if k not in wanted], names)
            )
            letters.append(Letter(raw_id, reason, fields))
            continue
        ids.append(raw_id)
        rows.append(row)
    valid = Valid(ids, rows, None, letters)
    _validate(runtime, valid, entries)
    return valid


def _short(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:120]


def _validate(runtime: ModelRuntime, valid: Valid, entries: Sequence[Entry]) -> None:
    """Check the rows against the signature as one batch; move each failing row out.

    The signature names the first bad row; that message leaves the batch and the
    rest is checked again, so one poisoned message costs one more pass, not the batch.
    """
    fields = dict(entries)
    while valid.rows:
        matrix = _matrix(valid.rows, runtime.names) if runtime.matrix_inputs else None
        try:
            if matrix is not None:
                runtime.signature.validate_matrix(matrix)
                valid.payload = matrix
            else:
                frame = _frame(valid.rows, runtime.names)
                runtime.signature.validate(frame)
                valid.payload = runtime.prepare(frame)
            return
        except SchemaError as exc:
            bad = [exc.row] if exc.row is not None else list(range(len(valid.rows)))
            for i in reversed(bad):
                mid = valid.ids[i]
                reason = schema_problem(mid.decode(), str(exc), exc.row)
                valid.letters.append(Letter(mid, reason, fields.get(mid)))
                del valid.ids[i], valid.rows[i]
    valid.payload = None


def _matrix(rows: list[dict[str, Any]], names: list[str]) -> np.ndarray | None:
    """The rows as a float64 matrix when every value is a plain number or null; else None.

    Text, booleans or an integer no float holds exactly send the batch down the
    DataFrame path, whose checks name the message and the value.
    """
    table = [[row[n] for n in names] for row in rows]
    kinds = {type(v) for values in table for v in values}
    if not kinds <= _PLAIN:
        return None
    if int in kinds and any(
        type(v) is int and not -_EXACT <= v <= _EXACT for values in table for v in values
    ):
        return None
    return np.array(table, dtype=np.float64)  # None becomes NaN: validation decides on it


def _frame(rows: list[dict[str, Any]], names: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(rows, columns=names)
    for n in names:
        # pandas makes 2**63 - 1 next to 1.5 a float (2**63); the signature checks exactly.
        if frame[n].dtype.kind == "f" and any(
            type(r[n]) is int and not -_EXACT <= r[n] <= _EXACT for r in rows
        ):
            frame[n] = pd.Series([r[n] for r in rows], dtype=object)
    return frame


def answers(runtime: ModelRuntime, prediction: Prediction) -> tuple[list[bytes], list[bytes]]:
    """Each message's ``prediction`` and ``probabilities`` as JSON (empty without classes)."""
    labels = json_safe(prediction.labels.tolist())
    predictions = [json.dumps(label).encode() for label in labels]
    probs = prediction.probabilities
    if probs is None or runtime.classes is None:
        return predictions, [b""] * len(labels)
    keys = [json.dumps(str(c)) for c in runtime.classes]
    if np.isfinite(probs).all():
        # A float's repr is its shortest JSON; one template is much faster than json.dumps.
        template = "{" + ", ".join(f"{k}: %r" for k in keys) + "}"
        return predictions, [(template % tuple(row)).encode() for row in probs.tolist()]
    rows = json_safe(probs.tolist())
    names = [str(c) for c in runtime.classes]
    return predictions, [json.dumps(dict(zip(names, r, strict=True))).encode() for r in rows]


def held_fields(letter: Letter) -> bytes:
    """A dead message's own fields as a JSON object of text (empty if it has none)."""
    if not letter.fields:
        return b""
    held = {
        k.decode("utf-8", "replace"): v.decode("utf-8", "replace") for k, v in letter.fields.items()
    }
    return json.dumps(held, ensure_ascii=False).encode()


def redact_letter(redactor: Redactor, letter: Letter) -> Letter:
    """``letter`` with its reason and held fields passed through the workspace's redactor."""
    fields = None
    if letter.fields:
        fields = {}
        for k, v in letter.fields.items():
            name = k.decode("utf-8", "replace")
            kept = redactor.field(name, v.decode("utf-8", "replace"))
            if kept is not None:
                fields[k] = kept.encode()
    return dataclasses.replace(letter, reason=redactor.text(letter.reason), fields=fields)


def letter_fields(letter: Letter, stream: str) -> list[bytes | str]:
    """The dead-letter entry of a message, as field-value pairs."""
    fields: list[bytes | str] = ["input_id", letter.id, "source", stream, "reason", letter.reason]
    held = held_fields(letter)
    return [*fields, "fields", held] if held else fields
