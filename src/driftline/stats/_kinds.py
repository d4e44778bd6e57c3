"""Column kinds and the conversion of Arrow columns into arrays we can count.

A profile knows four kinds of column. Numbers, booleans and datetimes become
float64 arrays (datetimes as seconds since the epoch, UTC), with NaN where a
value is missing; categories become Arrow string arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pyarrow as pa

from driftline.errors import InputError, SchemaError

__all__ = [
    "KINDS",
    "Kind",
    "arrow_indices",
    "arrow_mask",
    "arrow_numpy",
    "arrow_strings",
    "filled",
    "finite_floats",
    "is_numeric_kind",
    "kind_of",
    "numeric_values",
    "one_array",
    "string_values",
]

Kind = Literal["numeric", "boolean", "categorical", "datetime"]
KINDS: tuple[Kind, ...] = ("numeric", "boolean", "categorical", "datetime")

# Seconds per tick of each Arrow time unit.
_UNIT_SECONDS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}


def kind_of(name: str, type_: pa.DataType) -> Kind:
    """The kind a profile gives a column of this Arrow type."""
    if pa.types.is_boolean(type_):
        return "boolean"
    if pa.types.is_integer(type_) or pa.types.is_floating(type_) or pa.types.is_decimal(type_):
        return "numeric"
    if pa.types.is_duration(type_):
        return "numeric"
    if pa.types.is_timestamp(type_) or pa.types.is_date(type_):
        return "datetime"
    if pa.types.is_dictionary(type_):
        return "categorical"
    if (
        pa.types.is_string(type_)
        or pa.types.is_large_string(type_)
        or pa.types.is_string_view(type_)
        or pa.types.is_null(type_)
    ):
        return "categorical"
    raise InputError(
        f"column {name!r} has type {type_}; profiles support numbers, booleans, strings "
        f"and datetimes; drop the column or pass columns=[...] without it"
    )


def is_numeric_kind(kind: str) -> bool:
    """Whether values of this kind are held as numbers (moments, histogram, samples)."""
    return kind in ("numeric", "boolean", "datetime")


def numeric_values(name: str, column: pa.ChunkedArray | pa.Array, kind: Kind) -> np.ndarray:
    """The column as float64, NaN where missing; non-finite numbers count as missing."""
    type_ = column.type
    if _plain_number(type_):
        values = _to_float(column)
        values[~np.isfinite(values)] = np.nan
        return values
    import pyarrow.compute as pc  # here: 30 ms to import, which plain numbers never need

    try:
        if pa.types.is_null(type_):
            return np.full(len(column), np.nan)
        if pa.types.is_timestamp(type_) or pa.types.is_duration(type_):
            ticks = pc.cast(column, pa.int64())
            values = _to_float(ticks) * _UNIT_SECONDS[type_.unit]
        elif pa.types.is_date32(type_):
            values = _to_float(pc.cast(column, pa.int32())) * 86400.0
        elif pa.types.is_date64(type_):
            values = _to_float(pc.cast(column, pa.int64())) * 1e-3
        elif pa.types.is_dictionary(type_):
            values = _to_float(pc.cast(column, type_.value_type))
        else:
            values = _to_float(column)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise SchemaError(
            f"column {name!r} must hold {kind} values (as in the reference profile), "
            f"got Arrow type {type_}; convert the column or build a new reference",
            field=name,
        ) from exc
    # inf would poison every moment of the column; counting it as missing keeps them usable.
    values[~np.isfinite(values)] = np.nan
    return values


def finite_floats(column: pa.ChunkedArray | pa.Array) -> np.ndarray | None:
    """A float64 column with no missing or infinite value, as a read-only view of its buffer.

    None for any other column (take :func:`numeric_values`). Most float columns
    are such: counting them needs no copy, no NaN written, no NaN removed.
    """
    if not pa.types.is_float64(column.type) or column.null_count:
        return None
    values = arrow_numpy(column)
    return values if np.isfinite(values).all() else None


def _plain_number(type_: pa.DataType) -> bool:
    """Integers, floats and booleans: read from their buffers, no Arrow cast."""
    return (
        pa.types.is_integer(type_)
        or pa.types.is_boolean(type_)
        or (pa.types.is_floating(type_) and not pa.types.is_float16(type_))
    )


def _to_float(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    if isinstance(column, pa.ChunkedArray):
        column = one_array(column)
    if _plain_number(column.type):
        # numpy's conversion is Arrow's unsafe cast (int64 past 2**53 rounds to the
        # nearest float), and a copy: the buffer is Arrow's, read-only, and NaNs go in.
        values = arrow_numpy(column).astype(np.float64)
        if column.null_count:
            values[_nulls(column)] = np.nan
        return values
    import pyarrow.compute as pc

    # safe=False: int64 past 2**53 (nanosecond timestamps, big ids) rounds to the nearest
    # float instead of raising; a profile needs no more than float64 precision.
    floats = pc.cast(column, pa.float64(), safe=False)
    # A copy: the buffer is Arrow's, read-only, and we write NaNs into it.
    values = np.array(arrow_numpy(floats), dtype=np.float64, copy=True)
    if floats.null_count:
        values[_nulls(floats)] = np.nan
    return values


def one_array(column: pa.ChunkedArray) -> pa.Array:
    """The column as one array: its only chunk as it is (Arrow's combine copies even one)."""
    if column.num_chunks == 1:
        return column.chunk(0)
    return column.combine_chunks() if column.num_chunks else pa.nulls(0, column.type)


def arrow_numpy(array: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A numeric or boolean Arrow array's values as numpy, read from its buffers.

    Nulls hold whatever the buffer holds (mask them with the validity). A
    view where it can be (read-only). pyarrow's own ``to_numpy`` imports
    pandas on first use, a third of a second that reading Parquet and
    profiling it never needed.
    """
    if isinstance(array, pa.ChunkedArray):
        array = one_array(array)
    n, offset = len(array), array.offset
    data = array.buffers()[1]
    if pa.types.is_boolean(array.type):
        if data is None:
            return np.zeros(n, dtype=bool)
        bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8), bitorder="little")
        return bits[offset : offset + n].astype(bool)
    dtype = np.dtype(array.type.to_pandas_dtype())
    if data is None or n == 0:
        return np.zeros(n, dtype=dtype)
    return np.frombuffer(data, dtype=dtype, count=offset + n)[offset:]


def filled(array: pa.Array, fill: int) -> np.ndarray:
    """An integer Arrow array as int64 numpy, nulls replaced by ``fill``.

    In numpy: ``pc.fill_null`` makes a pyarrow scalar of ``fill``, which imports pandas.
    """
    values = arrow_numpy(array).astype(np.int64)
    if array.null_count:
        values[_nulls(array)] = fill
    return values


def _nulls(array: pa.Array) -> np.ndarray:
    validity = array.buffers()[0]
    if validity is None:
        return np.zeros(len(array), dtype=bool)
    bits = np.unpackbits(np.frombuffer(validity, dtype=np.uint8), bitorder="little")
    return bits[array.offset : array.offset + len(array)] == 0


def string_values(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    """The column as one Arrow string array; nulls stay null."""
    import pyarrow.compute as pc

    if isinstance(column, pa.ChunkedArray):
        column = one_array(column)
    type_ = column.type
    if pa.types.is_dictionary(type_):
        column = column.dictionary_decode()
        type_ = column.type
    if pa.types.is_boolean(type_):
        # "false"/"true" rather than Arrow's spelling, to match boolean profiles.
        column = pc.if_else(column, "true", "false")
    if not pa.types.is_string(column.type):
        column = pc.cast(column, pa.string())
    return column


# Arrays built from their buffers: pa.array() imports pandas on first use (to ask whether
# its argument is a pandas object), about a third of a second a profile never needed.


def arrow_strings(values: Sequence[str]) -> pa.Array:
    """``values`` as an Arrow string array."""
    encoded = [v.encode() for v in values]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int32)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    buffers = [None, pa.py_buffer(offsets.tobytes()), pa.py_buffer(b"".join(encoded))]
    return pa.Array.from_buffers(pa.string(), len(encoded), buffers)


def arrow_mask(mask: np.ndarray) -> pa.Array:
    """A numpy boolean array as an Arrow boolean array (no nulls)."""
    bits = np.packbits(np.asarray(mask, dtype=bool), bitorder="little")
    return pa.Array.from_buffers(pa.bool_(), len(mask), [None, pa.py_buffer(bits.tobytes())])


def arrow_indices(indices: np.ndarray) -> pa.Array:
    """Numpy row indices as an Arrow int64 array (no nulls), for ``take``."""
    data = np.ascontiguousarray(indices, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), len(data), [None, pa.py_buffer(data.tobytes())])
