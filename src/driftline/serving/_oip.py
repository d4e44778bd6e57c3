"""Open Inference Protocol V2 over REST: the KServe / Triton / MLServer wire format.

Pure codecs, no web framework: bytes in, dataclasses out, and back. They
speak the JSON form and the binary tensor data extension, where the JSON
header (its length in ``Inference-Header-Content-Length``) is followed by the
raw bytes of every tensor that carries ``parameters.binary_data_size``.

The dataclasses are slotted and not frozen: a frozen one's ``__init__`` sets
each field through ``object.__setattr__``, five times slower, and several are
made per request. Nothing changes one after it is built.

Every malformed request raises :class:`~driftline.errors.InputError` naming
the input and the problem; a request that is well formed but does not fit the
model's signature raises :class:`~driftline.errors.SchemaError`.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import orjson
import pandas as pd

from driftline.errors import InputError, SchemaError
from driftline.schema import ColumnSpec, Signature
from driftline.serving._tensors import (
    DATATYPES,
    datatype_of,
    decode_binary,
    decode_json,
    encode_binary,
    encode_json,
)

__all__ = [
    "HEADER_LENGTH",
    "JSON_HEADERS",
    "InferRequest",
    "OutputTensor",
    "RequestedOutput",
    "Tensor",
    "decode_infer_request",
    "encode_infer_response",
    "model_metadata",
    "parse_header_length",
    "prediction_datatype",
    "resolve_outputs",
    "tensors_to_frame",
]

HEADER_LENGTH = "Inference-Header-Content-Length"
# The headers of every JSON answer: one shared dict, which the fast path recognises
# by identity and sends pre-encoded. Read-only.
JSON_HEADERS: dict[str, str] = {"Content-Type": "application/json"}
# numpy refuses arrays whose dimensions multiply past its index type; refuse
# such shapes ourselves so a hostile shape with a zero in it cannot get there.
_MAX_DIMS = 32
_MAX_ELEMENTS = 2**62
_NUMERIC_KINDS = ("integer", "number", "boolean")
# orjson reads integers beyond 64 bits as floats, losing digits a range error must show;
# an integer of 19 digits or more sends the body to Python's exact reader instead.
# (Digits after a point or before an exponent belong to a float: both read it alike.)
_LONG_DIGITS = re.compile(rb"(?<![0-9.])[0-9]{19,}(?![0-9.eE])").search


@dataclasses.dataclass(slots=True)
class Tensor:
    """One decoded input: ``data`` already has ``shape``; BYTES elements are ``bytes``."""

    name: str
    datatype: str
    shape: tuple[int, ...]
    data: np.ndarray[Any, Any]
    parameters: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(slots=True)
class RequestedOutput:
    """An output the client asked for; ``binary_data`` is None when it did not say."""

    name: str
    binary_data: bool | None = None
    parameters: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(slots=True)
class InferRequest:
    """A decoded ``POST /v2/models/{m}/infer`` body."""

    id: str | None
    parameters: dict[str, Any]
    inputs: list[Tensor]
    outputs: list[RequestedOutput]
    binary_data_output: bool = False


@dataclasses.dataclass(slots=True)
class OutputTensor:
    """One output to send back; build it with :meth:`from_array`."""

    name: str
    datatype: str
    shape: tuple[int, ...]
    data: np.ndarray[Any, Any]

    @classmethod
    def from_array(cls, name: str, array: Any) -> OutputTensor:
        """Choose the datatype from the array: int64 -> INT64, float64 -> FP64, text -> BYTES."""
        arr = np.asarray(array)
        if arr.dtype == object:
            arr = _narrow_object(arr)
        return cls(name=name, datatype=datatype_of(arr), shape=tuple(arr.shape), data=arr)


def _narrow_object(arr: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Give an object array (labels, often) the dtype its elements share."""
    flat = arr.ravel().tolist()
    if flat and all(isinstance(v, bool | np.bool_) for v in flat):
        return np.array(flat, dtype=np.bool_).reshape(arr.shape)
    numbers = all(isinstance(v, int | float | np.number) and not isinstance(v, bool) for v in flat)
    if flat and numbers:
        whole = all(isinstance(v, int | np.integer) for v in flat)
        try:
            return np.array(flat, dtype=np.int64 if whole else np.float64).reshape(arr.shape)
        except OverflowError:
            pass  # beyond int64: send the digits as text rather than lose them
    if all(isinstance(v, bytes | str) for v in flat):
        return arr
    # Mixed labels (say 1 and "a") can only travel as text.
    return np.array([str(v) for v in flat], dtype=object).reshape(arr.shape)


# -- request ------------------------------------------------------------------


def parse_header_length(value: str | None) -> int | None:
    """The ``Inference-Header-Content-Length`` header as an integer, None when absent."""
    if value is None:
        return None
    try:
        return int(value.strip(), 10)
    except ValueError as exc:
        raise InputError(f"{HEADER_LENGTH} must be an integer, got {value!r}") from exc


def decode_infer_request(body: bytes, header_length: int | None) -> InferRequest:
    """Decode an inference request body.

    ``header_length`` is the ``Inference-Header-Content-Length`` header as an
    integer, or None when the whole body is JSON.
    """
    if header_length is None:
        header, rest = body, memoryview(b"")
    else:
        if isinstance(header_length, bool) or not isinstance(header_length, int):
            raise InputError(f"{HEADER_LENGTH} must be an integer, got {header_length!r}")
        if not 0 <= header_length <= len(body):
            raise InputError(
                f"{HEADER_LENGTH} is {header_length} but the body has only {len(body)} bytes"
            )
        header, rest = body[:header_length], memoryview(body)[header_length:]
    doc = _load_json(header)
    if not isinstance(doc, dict):
        raise InputError("the inference request must be a JSON object with an 'inputs' array")
    request_id = doc.get("id")
    if request_id is not None and not isinstance(request_id, str):
        raise InputError(f"request 'id' must be a string, got {request_id!r}")
    parameters = _parameters(doc, "the request")
    binary_data_output = _bool_param(parameters, "binary_data_output", "the request")
    raw_inputs = doc.get("inputs")
    if not isinstance(raw_inputs, list) or not raw_inputs:
        raise InputError("the inference request needs a non-empty 'inputs' array")
    inputs: list[Tensor] = []
    offset = 0
    for i, item in enumerate(raw_inputs):
        tensor, used = _decode_input(item, i, rest[offset:], header_length is not None)
        offset += used
        if any(t.name == tensor.name for t in inputs):
            raise InputError(f"input {tensor.name!r} is given twice")
        inputs.append(tensor)
    if offset != len(rest):
        raise InputError(
            f"the body has {len(rest) - offset} byte(s) after the binary data of the inputs; "
            f"check {HEADER_LENGTH} and each input's binary_data_size"
        )
    return InferRequest(
        id=request_id,
        parameters=parameters,
        inputs=inputs,
        outputs=_decode_outputs(doc.get("outputs")),
        binary_data_output=binary_data_output,
    )


def _load_json(header: bytes) -> Any:
    # orjson first (several times faster); what it refuses (NaN and Infinity, which
    # Python reads and validation then names by column and row; bad UTF-8; deep
    # nesting) goes to Python's reader, whose errors the messages below word.
    if not _LONG_DIGITS(header):
        try:
            return orjson.loads(header)
        except orjson.JSONDecodeError:
            pass
    try:
        return json.loads(bytes(header).decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(
            f"the inference request header is not UTF-8 JSON; if the body carries binary "
            f"tensors, send {HEADER_LENGTH}"
        ) from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"the inference request is not valid JSON: {exc}") from exc
    except RecursionError as exc:
        raise InputError("the inference request JSON is nested too deeply") from exc


def _parameters(obj: dict[str, Any], where: str) -> dict[str, Any]:
    params = obj.get("parameters", {})
    if params is None:
        return {}
    if not isinstance(params, dict):
        raise InputError(f"'parameters' of {where} must be a JSON object, got {params!r}")
    return params


def _bool_param(params: dict[str, Any], key: str, where: str) -> bool:
    value = params.get(key, False)
    if not isinstance(value, bool):
        raise InputError(f"parameter {key!r} of {where} must be true or false, got {value!r}")
    return value


def _decode_input(
    item: Any, index: int, rest: memoryview, binary_allowed: bool
) -> tuple[Tensor, int]:
    """Decode ``inputs[index]``; return it and how many binary bytes it used."""
    if not isinstance(item, dict):
        raise InputError(f"inputs[{index}] must be a JSON object, got {item!r}")
    name = item.get("name")
    if not isinstance(name, str) or not name:
        raise InputError(f"inputs[{index}] needs a non-empty string 'name'")
    where = f"input {name!r}"
    datatype = item.get("datatype")
    if not isinstance(datatype, str) or datatype not in DATATYPES:
        raise InputError(
            f"{where} has datatype {datatype!r}; expected one of {', '.join(DATATYPES)}"
        )
    shape = _shape(item.get("shape"), where)
    params = _parameters(item, where)
    if "shared_memory_region" in params:
        raise InputError(f"{where} uses shared memory, which this server does not support")
    size = params.get("binary_data_size")
    if size is None:
        if "data" not in item:
            raise InputError(f"{where} has neither 'data' nor parameters.binary_data_size")
        data = decode_json(item["data"], datatype, shape, where)
        return Tensor(name, datatype, shape, data, params), 0
    if "data" in item:
        raise InputError(f"{where} has both 'data' and parameters.binary_data_size; send one")
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise InputError(f"{where} binary_data_size must be a non-negative integer, got {size!r}")
    if not binary_allowed:
        raise InputError(
            f"{where} has binary_data_size but the request has no {HEADER_LENGTH} header"
        )
    if size > len(rest):
        raise InputError(
            f"{where} binary_data_size is {size} but only {len(rest)} byte(s) of binary data remain"
        )
    data = decode_binary(rest[:size], datatype, shape, where)
    return Tensor(name, datatype, shape, data, params), size


def _shape(shape: Any, where: str) -> tuple[int, ...]:
    if not isinstance(shape, list) or len(shape) > _MAX_DIMS:
        raise InputError(f"{where} 'shape' must be an array of at most {_MAX_DIMS} integers")
    total = 1
    for d in shape:
        if isinstance(d, bool) or not isinstance(d, int) or d < 0:
            raise InputError(f"{where} 'shape' must hold non-negative integers, got {shape!r}")
        total *= max(d, 1)
        if total > _MAX_ELEMENTS:
            raise InputError(f"{where} 'shape' {shape!r} is too large")
    return tuple(shape)


def _decode_outputs(raw: Any) -> list[RequestedOutput]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise InputError(f"'outputs' must be an array, got {raw!r}")
    outputs: list[RequestedOutput] = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise InputError(f"outputs[{i}] must be an object with a string 'name'")
        name = item["name"]
        where = f"output {name!r}"
        params = _parameters(item, where)
        flag = params.get("binary_data")
        if flag is not None and not isinstance(flag, bool):
            raise InputError(f"parameter 'binary_data' of {where} must be true or false")
        if any(o.name == name for o in outputs):
            raise InputError(f"output {name!r} is requested twice")
        outputs.append(RequestedOutput(name, flag, params))
    return outputs


def resolve_outputs(request: InferRequest, available: Sequence[str]) -> tuple[list[str], set[str]]:
    """Which outputs to send, and which of them as binary data.

    All of ``available`` when the request names none; a per-output
    ``binary_data`` overrides the request's ``binary_data_output``.
    """
    for o in request.outputs:
        if o.name not in available:
            raise InputError(
                f"output {o.name!r} is not produced by this model; it produces: {', '.join(available)}"
            )
    if not request.outputs:
        names = list(available)
        return names, set(names) if request.binary_data_output else set()
    binary = {
        o.name
        for o in request.outputs
        if (o.binary_data if o.binary_data is not None else request.binary_data_output)
    }
    return [o.name for o in request.outputs], binary


# -- tensors to rows ------------------------------------------------------------


def tensors_to_frame(inputs: list[Tensor], signature: Signature) -> pd.DataFrame:
    """Turn input tensors into the rows a model's signature describes.

    Two layouts: one tensor per column, named like it, shaped [N] or [N, 1];
    or, when every column is numeric or boolean, a single [N, F] tensor with
    the F columns in signature order.
    """
    names = signature.names
    if len(inputs) == 1 and len(inputs[0].shape) == 2 and _is_matrix(inputs[0], names):
        return _matrix_frame(inputs[0], signature)
    by_name: dict[str, Tensor] = {}
    for t in inputs:
        if t.name in by_name:
            raise SchemaError(f"input {t.name!r} is given twice", field=t.name)
        by_name[t.name] = t
    missing = [n for n in names if n not in by_name]
    if missing:
        raise SchemaError(
            f"missing input tensor(s) {', '.join(map(repr, missing))}; send one tensor per "
            f"column ({', '.join(names)}) shaped [N] or [N, 1]"
            + (f", or one [N, {len(names)}] tensor" if _all_numeric(signature) else ""),
            field=missing[0],
        )
    extra = [n for n in by_name if n not in set(names)]
    if extra:
        raise SchemaError(
            f"unexpected input tensor(s) {', '.join(map(repr, extra))}; expected only: "
            f"{', '.join(names)}",
            field=extra[0],
        )
    for spec in signature.columns:
        shape = by_name[spec.name].shape
        if len(shape) not in (1, 2) or (len(shape) == 2 and shape[1] != 1):
            raise SchemaError(
                f"input {spec.name!r} must be shaped [N] or [N, 1], got {list(shape)}",
                field=spec.name,
            )
    # The row count most inputs agree on, so the message names the odd one out.
    rows = Counter(t.shape[0] for t in by_name.values()).most_common(1)[0][0] if by_name else 0
    columns: dict[str, Any] = {}
    for spec in signature.columns:
        t = by_name[spec.name]
        if t.shape[0] != rows:
            raise SchemaError(
                f"input {t.name!r} has {t.shape[0]} rows but the other inputs have {rows}",
                field=spec.name,
            )
        columns[spec.name] = _column(spec, t.data.reshape(-1), t.datatype, t.name)
    return pd.DataFrame(columns, columns=names)


def _all_numeric(signature: Signature) -> bool:
    return all(c.kind in _NUMERIC_KINDS for c in signature.columns)


def _is_matrix(t: Tensor, names: list[str]) -> bool:
    # A single column's [N, 1] tensor reads the same either way.
    return t.name not in names or (t.shape[1] == len(names) and len(names) > 1)


def _matrix_frame(t: Tensor, signature: Signature) -> pd.DataFrame:
    names = signature.names
    if t.shape[1] != len(names):
        raise SchemaError(
            f"input {t.name!r} has shape {list(t.shape)}; a single 2-D input needs "
            f"{len(names)} columns ({', '.join(names)}), or send one tensor per column"
        )
    for spec in signature.columns:
        if spec.kind not in _NUMERIC_KINDS:
            raise SchemaError(
                f"column {spec.name!r} is {spec.kind}, so it cannot travel in the single numeric "
                f"input {t.name!r}; send one tensor per column instead",
                field=spec.name,
            )
    columns = {
        spec.name: _column(spec, t.data[:, j], t.datatype, t.name)
        for j, spec in enumerate(signature.columns)
    }
    return pd.DataFrame(columns, columns=names)


def _column(spec: ColumnSpec, values: np.ndarray[Any, Any], datatype: str, tensor: str) -> Any:
    """One column's values from a tensor, refusing casts that would change meaning."""
    name = spec.name
    if spec.kind in ("category", "string", "datetime"):
        if datatype != "BYTES":
            raise SchemaError(
                f"column {name!r} is {spec.kind}, so input {tensor!r} must be BYTES, got {datatype}",
                field=name,
            )
        out = np.empty(len(values), dtype=object)
        for row, v in enumerate(values):
            try:
                out[row] = v.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise SchemaError(
                    f"column {name!r} must be UTF-8 text, got {v!r} in row {row}",
                    field=name,
                    row=row,
                ) from exc
        # Datetimes stay text here; the signature parses and checks them.
        return out
    if datatype == "BYTES":
        raise SchemaError(
            f"column {name!r} is {spec.kind}, so input {tensor!r} must be numeric, not BYTES",
            field=name,
        )
    if spec.kind == "boolean":
        if datatype == "BOOL":
            return values.astype(np.bool_)
        # A numeric matrix carries booleans as 0 and 1; anything else is not a boolean.
        _first_bad(values, (values == 0) | (values == 1), spec, "must be true or false (or 0/1)")
        return values == 1
    if datatype == "BOOL":
        raise SchemaError(
            f"column {name!r} must be a number, got BOOL input {tensor!r}", field=name
        )
    if spec.kind == "number":
        return values.astype(np.float64)
    if values.dtype.kind in "iu":
        if values.dtype == np.uint64 and values.size and values.max() > np.iinfo(np.int64).max:
            _first_bad(values, values <= np.iinfo(np.int64).max, spec, "is too large")
        return values.astype(np.int64)
    wide = values.astype(np.float64)
    missing = np.isnan(wide)
    finite = np.isfinite(wide)
    whole = missing | (finite & (wide == np.floor(wide, where=finite, out=np.zeros_like(wide))))
    _first_bad(values, whole, spec, "must be a whole number")
    _first_bad(values, missing | (np.abs(wide) < 2.0**63), spec, "is too large")
    # NaN marks a missing value; the signature decides whether one is allowed.
    return wide if missing.any() else wide.astype(np.int64)


def _first_bad(values: np.ndarray[Any, Any], ok: Any, spec: ColumnSpec, problem: str) -> None:
    bad = np.flatnonzero(~np.asarray(ok))
    if bad.size:
        row = int(bad[0])
        raise SchemaError(
            f"column {spec.name!r} {problem}, got {values[row].item()!r} in row {row}",
            field=spec.name,
            row=row,
        )


# -- response -------------------------------------------------------------------


def encode_infer_response(
    *,
    model_name: str,
    model_version: str | None,
    request_id: str | None,
    outputs: list[OutputTensor],
    binary: set[str],
    parameters: dict[str, Any] | None = None,
) -> tuple[bytes, dict[str, str]]:
    """Encode a response body and its headers; outputs named in ``binary`` go as raw bytes."""
    unknown = binary - {o.name for o in outputs}
    if unknown:
        raise InputError(f"binary output(s) {', '.join(sorted(unknown))} are not among the outputs")
    doc: dict[str, Any] = {"model_name": model_name}
    if model_version is not None:
        doc["model_version"] = model_version
    if request_id is not None:
        doc["id"] = request_id
    if parameters:
        doc["parameters"] = parameters
    tensors: list[dict[str, Any]] = []
    chunks: list[bytes] = []
    for o in outputs:
        where = f"output {o.name!r}"
        entry: dict[str, Any] = {"name": o.name, "datatype": o.datatype, "shape": list(o.shape)}
        if o.name in binary:
            raw = encode_binary(o.data, o.datatype, where)
            entry["parameters"] = {"binary_data_size": len(raw)}
            chunks.append(raw)
        else:
            entry["data"] = encode_json(o.data, o.datatype, where)
        tensors.append(entry)
    doc["outputs"] = tensors
    header = orjson.dumps(doc)
    if not binary:
        return header, JSON_HEADERS
    return b"".join([header, *chunks]), {
        "Content-Type": "application/octet-stream",
        HEADER_LENGTH: str(len(header)),
    }


# -- metadata -------------------------------------------------------------------

_INPUT_DATATYPE = {
    "integer": "INT64",
    "number": "FP64",
    "boolean": "BOOL",
    "category": "BYTES",
    "string": "BYTES",
    "datetime": "BYTES",
}


def prediction_datatype(signature: Signature) -> str:
    """The datatype of the ``predict`` output: the labels' type, or FP64 for numbers."""
    out = signature.output
    if out is None or out.task == "regression" or not out.classes:
        return "FP64"
    if all(isinstance(c, bool) for c in out.classes):
        return "BOOL"
    if all(isinstance(c, int) and not isinstance(c, bool) for c in out.classes):
        return "INT64"
    return "BYTES"


def model_metadata(
    name: str, versions: Iterable[str], platform: str, signature: Signature
) -> dict[str, Any]:
    """The ``GET /v2/models/{name}`` response: one input per column, outputs predict(_proba)."""
    outputs: list[dict[str, Any]] = [
        {"name": "predict", "datatype": prediction_datatype(signature), "shape": [-1]}
    ]
    out = signature.output
    if out is not None and out.task == "classification":
        width = len(out.classes) if out.classes else -1
        outputs.append({"name": "predict_proba", "datatype": "FP64", "shape": [-1, width]})
    return {
        "name": name,
        "versions": list(versions),
        "platform": platform,
        "inputs": [
            {"name": c.name, "datatype": _INPUT_DATATYPE[c.kind], "shape": [-1]}
            for c in signature.columns
        ],
        "outputs": outputs,
    }
