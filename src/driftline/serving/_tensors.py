"""Tensor element codecs of the Open Inference Protocol: JSON values and raw bytes.

A tensor travels either as a JSON array (flat or nested, row-major) or, with
the binary tensor data extension, as little-endian bytes after the JSON
header. BYTES elements are ``bytes`` objects in a numpy object array on our
side, and 4-byte little-endian length-prefixed on the wire.
"""

from __future__ import annotations

import itertools
import math
import struct
from collections.abc import Sequence
from typing import Any

import numpy as np

from driftline.errors import InputError
from driftline.io import json_number

__all__ = [
    "DATATYPES",
    "datatype_of",
    "decode_binary",
    "decode_json",
    "element_count",
    "encode_binary",
    "encode_json",
]

# Wire datatype -> numpy dtype of the decoded array. BF16 is Triton's, not in
# the OIP table; numpy has no bfloat16, so it widens losslessly to float32.
DATATYPES: dict[str, np.dtype[Any]] = {
    "BOOL": np.dtype(np.bool_),
    "UINT8": np.dtype(np.uint8),
    "UINT16": np.dtype(np.uint16),
    "UINT32": np.dtype(np.uint32),
    "UINT64": np.dtype(np.uint64),
    "INT8": np.dtype(np.int8),
    "INT16": np.dtype(np.int16),
    "INT32": np.dtype(np.int32),
    "INT64": np.dtype(np.int64),
    "FP16": np.dtype(np.float16),
    "FP32": np.dtype(np.float32),
    "FP64": np.dtype(np.float64),
    "BF16": np.dtype(np.float32),
    "BYTES": np.dtype(object),
}
_WIRE_SIZE = {"BF16": 2}
_INTEGER = {k for k, v in DATATYPES.items() if v.kind in "iu"}
_FLOAT = {"FP16", "FP32", "FP64", "BF16"}
_LENGTH = struct.Struct("<I")


def element_count(shape: Sequence[int]) -> int:
    return math.prod(shape)


_BY_DTYPE = {
    dtype: name for name, dtype in DATATYPES.items() if dtype.kind in "biuf" and name != "BF16"
}


def datatype_of(array: np.ndarray[Any, Any]) -> str:
    """The wire datatype for a numpy array: bool, (u)int8-64, float16-64, text."""
    name = _BY_DTYPE.get(array.dtype)
    if name is not None:
        return name
    if array.dtype.kind in "USO":
        return "BYTES"
    raise InputError(f"cannot send a numpy {array.dtype} array as a tensor")


_END = object()


def _flatten(data: Any, where: str) -> list[Any]:
    """Row-major elements of a flat or nested JSON array, without recursion."""
    if not isinstance(data, list):
        raise InputError(f"{where} 'data' must be a JSON array, got {_json_type(data)}")
    # The usual shapes, in C: flat already, or rows of scalars.
    kinds = set(map(type, data))
    if list not in kinds:
        return data
    if kinds == {list}:
        flat = list(itertools.chain.from_iterable(data))
        if list not in set(map(type, flat)):
            return flat
    out: list[Any] = []
    stack: list[Any] = [iter(data)]
    while stack:
        item = next(stack[-1], _END)
        if item is _END:
            stack.pop()
        elif isinstance(item, list):
            stack.append(iter(item))
        else:
            out.append(item)
    return out


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _number(value: int) -> str:
    """An integer as a message shows it: its digits, or how many when they are too many."""
    if abs(value) < 10**30:
        return str(value)
    return f"an integer of about {int(abs(value).bit_length() * 0.30103) + 1} digits"


def _whole(value: Any) -> Any:
    """A float with no fraction as the integer it is; anything else unchanged."""
    if type(value) is float and value.is_integer():
        return int(value)
    return value


def decode_json(data: Any, datatype: str, shape: Sequence[int], where: str) -> np.ndarray[Any, Any]:
    """Check JSON tensor ``data`` against ``datatype`` and ``shape``; return the array."""
    values = _flatten(data, where)
    count = element_count(shape)
    if len(values) != count:
        raise InputError(
            f"{where} has {len(values)} element(s) in 'data' but shape {list(shape)} needs {count}"
        )
    if datatype == "BYTES":
        out = np.empty(count, dtype=object)
        for i, v in enumerate(values):
            if not isinstance(v, str):
                raise InputError(f"{where} is BYTES, so element {i} must be a string, got {v!r}")
            try:
                out[i] = v.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise InputError(f"{where} element {i} is not valid Unicode text") from exc
        return out.reshape(shape)
    if datatype == "BOOL":
        check, expected = (lambda v: isinstance(v, bool)), "true or false"
        plain: set[type] = {bool}
    elif datatype in _INTEGER:
        if float in set(map(type, values)):
            # JSON has numbers, not integers: 3.0 is the integer 3 (as JSON Schema reads it).
            values = [_whole(v) for v in values]
        check, expected = (lambda v: isinstance(v, int) and not isinstance(v, bool)), "an integer"
        plain = {int}
    else:
        check, expected = (
            (lambda v: isinstance(v, int | float) and not isinstance(v, bool)),
            "a number",
        )
        plain = {int, float}
    if not set(map(type, values)) <= plain:  # JSON gives exact types; one pass in C first
        for i, v in enumerate(values):
            if not check(v):
                raise InputError(
                    f"{where} is {datatype}, so element {i} must be {expected}, got {v!r}"
                )
    dtype = DATATYPES[datatype]
    if datatype in _INTEGER and values:
        info = np.iinfo(dtype)
        lo, hi = min(values), max(values)
        if lo < info.min or hi > info.max:
            bad = lo if lo < info.min else hi
            raise InputError(
                f"{where} is {datatype}, whose range is {info.min}..{info.max}; got {_number(bad)}"
            )
    try:
        with np.errstate(over="ignore"):
            # A float beyond FP16/FP32 range becomes inf, as in the client's own cast.
            return np.array(values, dtype=dtype).reshape(shape)
    except OverflowError as exc:
        raise InputError(f"{where} has a number too large for {datatype}") from exc


def decode_binary(
    raw: bytes | memoryview, datatype: str, shape: Sequence[int], where: str
) -> np.ndarray[Any, Any]:
    """Decode a tensor's raw little-endian bytes (binary tensor data extension)."""
    count = element_count(shape)
    if datatype == "BYTES":
        return _decode_bytes_elements(bytes(raw), count, where).reshape(shape)
    size = _WIRE_SIZE.get(datatype, DATATYPES[datatype].itemsize)
    if len(raw) != count * size:
        raise InputError(
            f"{where} has {len(raw)} bytes of binary data but shape {list(shape)} of "
            f"{datatype} needs {count * size}"
        )
    if datatype == "BOOL":
        as_bytes = np.frombuffer(raw, dtype=np.uint8)
        if as_bytes.size and as_bytes.max() > 1:
            raise InputError(f"{where} is BOOL, so each byte must be 0 or 1")
        return as_bytes.astype(np.bool_).reshape(shape)
    if datatype == "BF16":
        # bfloat16 is the upper half of a float32: shift the bits into place.
        bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
        return bits.view(np.float32).reshape(shape)
    return (
        np.frombuffer(raw, dtype=DATATYPES[datatype].newbyteorder("<"))
        .astype(DATATYPES[datatype])
        .reshape(shape)
    )


def _decode_bytes_elements(raw: bytes, count: int, where: str) -> np.ndarray[Any, Any]:
    if count * _LENGTH.size > len(raw):
        raise InputError(
            f"{where} has {len(raw)} bytes of binary data, too few for {count} BYTES element(s) "
            "(each is a 4-byte little-endian length, then the bytes)"
        )
    out = np.empty(count, dtype=object)
    pos = 0
    for i in range(count):
        if pos + 4 > len(raw):
            raise InputError(
                f"{where} binary BYTES data ends before element {i} of {count} "
                "(each element is a 4-byte little-endian length, then the bytes)"
            )
        (length,) = _LENGTH.unpack_from(raw, pos)
        pos += 4
        if pos + length > len(raw):
            raise InputError(
                f"{where} binary BYTES element {i} declares {length} bytes but only "
                f"{len(raw) - pos} remain"
            )
        out[i] = raw[pos : pos + length]
        pos += length
    if pos != len(raw):
        raise InputError(
            f"{where} has {len(raw) - pos} byte(s) of binary data left after its {count} element(s)"
        )
    return out


def _as_bytes(value: Any, where: str) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    raise InputError(f"{where} is BYTES, so its elements must be str or bytes, got {value!r}")


def encode_binary(array: np.ndarray[Any, Any], datatype: str, where: str) -> bytes:
    """Raw little-endian bytes of ``array`` as ``datatype``."""
    if datatype == "BYTES":
        parts = []
        for v in array.ravel(order="C"):
            b = _as_bytes(v, where)
            parts.append(_LENGTH.pack(len(b)))
            parts.append(b)
        return b"".join(parts)
    if datatype == "BF16":
        raise InputError(f"{where}: BF16 outputs are not supported; send FP32")
    return np.ascontiguousarray(array, dtype=DATATYPES[datatype].newbyteorder("<")).tobytes()


def encode_json(array: np.ndarray[Any, Any], datatype: str, where: str) -> list[Any]:
    """The flat, row-major JSON list for ``array``.

    JSON has no NaN or infinity, so those become null; ask for binary output
    to receive them exactly.
    """
    flat = array.ravel(order="C")
    if datatype == "BYTES":
        out = []
        for i, v in enumerate(flat):
            try:
                out.append(v.decode("utf-8") if isinstance(v, bytes) else _text(v, where))
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"{where} element {i} is not UTF-8 text, so it cannot be sent as JSON; "
                    "request the output as binary data"
                ) from exc
        return out
    values = flat.tolist()
    if datatype in _FLOAT:
        return [json_number(v) for v in values]
    return list(values)


def _text(value: Any, where: str) -> str:
    if isinstance(value, str):
        return value
    raise InputError(f"{where} is BYTES, so its elements must be str or bytes, got {value!r}")
