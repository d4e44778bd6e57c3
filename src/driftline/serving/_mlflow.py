"""MLflow's scoring protocol (``POST /invocations``), as MLflow 2.x serves it.

A JSON body holds exactly one of ``dataframe_split``, ``dataframe_records``,
``instances`` or ``inputs`` (and optionally ``params``); a CSV body has a
header row. Responses are ``{"predictions": [...]}``.

Parsing checks structure only and returns the rows as the client sent them,
numeric columns typed by the signature where that loses nothing; whether the
rows fit the signature is for :meth:`Signature.validate` to say.
"""

from __future__ import annotations

import io
import json
import math
from typing import Any, Literal

import numpy as np
import pandas as pd

from driftline.errors import InputError
from driftline.io import json_number
from driftline.schema import Signature

__all__ = [
    "CONTENT_TYPES",
    "FORMATS",
    "check_content_type",
    "format_predictions",
    "parse_invocations",
]

CONTENT_TYPES = ("application/json", "text/csv")
FORMATS = ("dataframe_split", "dataframe_records", "instances", "inputs")
_PARAMS = "params"


def check_content_type(content_type: str) -> Literal["json", "csv"]:
    """Which body format a ``Content-Type`` header announces.

    Raises :class:`InputError` naming the supported types for anything else,
    including a charset other than UTF-8 (MLflow answers those with 415).
    """
    mime, *params = (part.strip() for part in (content_type or "").split(";"))
    mime = mime.lower()
    if mime not in CONTENT_TYPES:
        raise InputError(
            f"unsupported content type {content_type!r}; send one of: {', '.join(CONTENT_TYPES)}"
        )
    for param in params:
        key, _, value = param.partition("=")
        key, value = key.strip().lower(), value.strip().strip('"').lower()
        if key != "charset" or value not in ("utf-8", "utf8"):
            raise InputError(
                f"unsupported content type parameter {param!r}; only charset=utf-8 is accepted "
                f"with {', '.join(CONTENT_TYPES)}"
            )
    return "json" if mime == "application/json" else "csv"


def parse_invocations(body: bytes, content_type: str, signature: Signature) -> pd.DataFrame:
    """Parse an ``/invocations`` body into rows, columns in signature order first."""
    kind = check_content_type(content_type)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"the request body is not UTF-8 text (byte {exc.start})") from exc
    if kind == "csv":
        frame = _parse_csv(text, signature)
        return frame[_ordered(list(frame.columns), signature)]
    columns = _parse_json(text, signature)
    kinds = {c.name: c.kind for c in signature.columns}
    ordered = _ordered(list(columns), signature)
    typed = {n: _typed(columns[n], kinds[n]) if n in kinds else columns[n] for n in ordered}
    return pd.DataFrame(typed, columns=ordered)


def _ordered(names: list[str], signature: Signature) -> list[str]:
    known = [n for n in signature.names if n in names]
    return known + [n for n in names if n not in set(known)]


def _parse_json(text: str, signature: Signature) -> dict[str, list[Any]]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"the request body is not valid JSON: {exc}") from exc
    except RecursionError as exc:
        raise InputError("the request JSON is nested too deeply") from exc
    if not isinstance(doc, dict):
        raise InputError(
            f"the request must be a JSON object with exactly one of: {', '.join(FORMATS)}"
        )
    present = [k for k in FORMATS if k in doc]
    if len(present) != 1:
        got = ", ".join(map(repr, doc)) or "none"
        raise InputError(
            f"the request must have exactly one of: {', '.join(FORMATS)}; it has keys {got}"
        )
    unknown = [k for k in doc if k not in FORMATS and k != _PARAMS]
    if unknown:
        raise InputError(
            f"unexpected key(s) {', '.join(map(repr, unknown))}; next to {present[0]!r} "
            f"only {_PARAMS!r} is allowed"
        )
    if _PARAMS in doc and not isinstance(doc[_PARAMS], dict | type(None)):
        raise InputError(f"{_PARAMS!r} must be a JSON object, got {doc[_PARAMS]!r}")
    key = present[0]
    value = doc[key]
    if key == "dataframe_split":
        return _split(value, signature)
    if key == "dataframe_records":
        return _records(value, key)
    if key == "inputs" and isinstance(value, dict):
        return _columnar(value, key)
    return _instances(value, key, signature)


def _split(value: Any, signature: Signature) -> dict[str, list[Any]]:
    where = "dataframe_split"
    if not isinstance(value, dict):
        raise InputError(f"{where} must be an object with 'columns' and 'data'")
    unknown = [k for k in value if k not in ("columns", "data", "index")]
    if unknown:
        raise InputError(
            f"{where} has unexpected key(s) {', '.join(map(repr, unknown))}; "
            "expected 'columns', 'data' and optionally 'index'"
        )
    data = value.get("data")
    if not isinstance(data, list):
        raise InputError(f"{where}.data must be an array of rows")
    # Without columns pandas would number them; the signature's order is the useful reading.
    names = _names(value["columns"], f"{where}.columns") if "columns" in value else signature.names
    index = value.get("index")
    if index is not None and (not isinstance(index, list) or len(index) != len(data)):
        raise InputError(f"{where}.index must be an array with one entry per row of data")
    columns: dict[str, list[Any]] = {n: [] for n in names}
    for r, row in enumerate(data):
        if not isinstance(row, list):
            raise InputError(f"{where}.data row {r} must be an array, got {_kind(row)}")
        if len(row) != len(names):
            source = "columns lists" if "columns" in value else "the model has columns"
            raise InputError(
                f"{where}.data row {r} has {len(row)} values but {source} {len(names)}"
            )
        for n, v in zip(names, row, strict=True):
            columns[n].append(_cell(v, where, n, r))
    return columns


def _records(value: Any, where: str) -> dict[str, list[Any]]:
    if not isinstance(value, list):
        raise InputError(f"{where} must be an array of objects, got {_kind(value)}")
    columns: dict[str, list[Any]] = {}
    for r, record in enumerate(value):
        if not isinstance(record, dict):
            raise InputError(f"{where} item {r} must be an object, got {_kind(record)}")
        for n in record:
            # A key absent from earlier records leaves them missing, as pandas does.
            columns.setdefault(n, [None] * r)
        for n, col in columns.items():
            col.append(_cell(record[n], where, n, r) if n in record else None)
    return columns


def _columnar(value: dict[str, Any], where: str) -> dict[str, list[Any]]:
    length: int | None = None
    columns: dict[str, list[Any]] = {}
    for n, values in value.items():
        if not isinstance(values, list):
            raise InputError(f"{where}[{n!r}] must be an array of values, got {_kind(values)}")
        if length is None:
            length = len(values)
        elif len(values) != length:
            raise InputError(
                f"{where}[{n!r}] has {len(values)} values but the first column has {length}"
            )
        columns[n] = [_cell(v, where, n, r) for r, v in enumerate(values)]
    return columns


def _instances(value: Any, where: str, signature: Signature) -> dict[str, list[Any]]:
    if not isinstance(value, list):
        raise InputError(f"{where} must be an array of rows, got {_kind(value)}")
    if not value:
        return {n: [] for n in signature.names}
    if all(isinstance(v, dict) for v in value):
        return _records(value, where)
    names = signature.names
    if all(not isinstance(v, list | dict) for v in value) and len(names) == 1:
        # One value per row is unambiguous only for a one-column model.
        return {names[0]: [_cell(v, where, names[0], r) for r, v in enumerate(value)]}
    columns: dict[str, list[Any]] = {n: [] for n in names}
    for r, row in enumerate(value):
        if not isinstance(row, list):
            raise InputError(
                f"{where} item {r} must be an array of {len(names)} values in the order "
                f"{', '.join(names)} (or every item an object), got {_kind(row)}"
            )
        if len(row) != len(names):
            raise InputError(
                f"{where} row {r} has {len(row)} values but the model has {len(names)} "
                f"columns ({', '.join(names)})"
            )
        for n, v in zip(names, row, strict=True):
            columns[n].append(_cell(v, where, n, r))
    return columns


def _names(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(n, str) for n in value):
        raise InputError(f"{where} must be an array of column names (strings)")
    if len(set(value)) != len(value):
        dup = next(n for n in value if value.count(n) > 1)
        raise InputError(f"{where} names column {dup!r} more than once")
    return list(value)


def _cell(value: Any, where: str, column: str, row: int) -> Any:
    if isinstance(value, list | dict):
        raise InputError(
            f"{where}: column {column!r} row {row} is {_kind(value)}; expected a single value"
        )
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string"}.get(
        type(value), "an array" if isinstance(value, list) else "an object"
    )


def _parse_csv(text: str, signature: Signature) -> pd.DataFrame:
    if not text.strip():
        raise InputError("the CSV body is empty; send a header row, then one row per record")
    # Text columns are read as text, so a category like "007" keeps its zeros.
    text_columns = {
        c.name: str for c in signature.columns if c.kind in ("category", "string", "datetime")
    }
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=text_columns)
    except (ValueError, TypeError, OverflowError, IndexError) as exc:
        raise InputError(f"the CSV body cannot be read: {exc}") from exc
    names = [str(n) for n in frame.columns]
    if len(set(names)) != len(names):
        raise InputError("the CSV header names a column more than once")
    frame.columns = pd.Index(names)
    # pandas reads whole numbers as int64 (float64 when some are missing), as the
    # JSON formats give them; only "number" columns of whole numbers need widening.
    for spec in signature.columns:
        if spec.kind == "number" and spec.name in frame.columns:
            dtype = frame[spec.name].dtype
            if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
                frame[spec.name] = frame[spec.name].astype(np.float64)
    return frame


def _typed(values: list[Any], kind: str) -> Any:
    """A numeric or boolean column's array when every value already fits its kind."""
    present = [v for v in values if v is not None]
    try:
        if kind == "number" and all(_is_number(v) for v in present):
            return np.array([np.nan if v is None else v for v in values], dtype=np.float64)
        if kind == "integer" and all(_is_whole(v) for v in present):
            if len(present) == len(values):
                return np.array(values, dtype=np.int64)
            if all(-(2**53) <= v <= 2**53 for v in present):  # else float64 rounds them
                # NaN marks the missing values; the signature decides if they are allowed.
                return np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    except OverflowError:
        pass  # too large for a float: left as sent, for the signature to report
    if (
        kind == "boolean"
        and len(present) == len(values)
        and all(isinstance(v, bool | np.bool_) for v in present)
    ):
        return np.array(values, dtype=np.bool_)
    return values


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float | np.integer | np.floating) and not isinstance(
        v, bool | np.bool_
    )


def _is_whole(v: Any) -> bool:
    if not _is_number(v):
        return False
    if isinstance(v, int | np.integer):
        return bool(np.iinfo(np.int64).min <= v <= np.iinfo(np.int64).max)
    return bool(math.isfinite(v) and float(v).is_integer() and abs(v) < 2**63)


def format_predictions(
    predictions: Any, probabilities: Any = None, unlike_training: list[bool] | None = None
) -> bytes:
    """MLflow's response body, ``{"predictions": [...]}``.

    A DataFrame becomes records, as MLflow writes them. Probabilities, when
    given, go under a second key ``"probabilities"`` (one list per row, in
    class order) so MLflow clients that read ``"predictions"`` are unaffected.
    JSON has no NaN: missing values become null.
    """
    doc: dict[str, Any] = {"predictions": _jsonable(predictions)}
    if probabilities is not None:
        doc["probabilities"] = _jsonable(probabilities)
    if unlike_training is not None:  # the input guard's flags, under a key of their own
        doc["unlike_training"] = unlike_training
    return json.dumps(doc, allow_nan=False, ensure_ascii=False).encode("utf-8")


def _jsonable(value: Any) -> Any:
    if isinstance(value, pd.DataFrame):
        return [
            {str(k): _jsonable(v) for k, v in row.items()}
            for row in value.to_dict(orient="records")
        ]
    if isinstance(value, pd.Series | pd.Index):
        return [_jsonable(v) for v in value.tolist()]
    if isinstance(value, np.ndarray):
        return [_jsonable(v) for v in value.tolist()]
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return json_number(value)
    if isinstance(value, pd.Timestamp | np.datetime64):
        return None if pd.isna(value) else pd.Timestamp(value).isoformat()
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value
