"""Column kinds and the conversion of Arrow columns into arrays we can count.

A profile knows four kinds of column. Numbers, booleans and datetimes become
float64 arrays (datetimes as seconds since the epoch, UTC), with NaN where a
value is missing; categories become Arrow string arrays.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from driftline.errors import InputError, SchemaError

__all__ = ["KINDS", "Kind", "is_numeric_kind", "kind_of", "numeric_values", "string_values"]

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


def _to_float(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks else pa.array([], column.type)
    # safe=False: int64 past 2**53 (nanosecond timestamps, big ids) rounds to the nearest
    # float instead of raising; a profile needs no more than float64 precision.
    floats = pc.cast(column, pa.float64(), safe=False).to_numpy(zero_copy_only=False)
    # to_numpy may hand out a read-only view of Arrow memory; we write NaNs into it.
    return np.array(floats, dtype=np.float64, copy=True)


def string_values(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    """The column as one Arrow string array; nulls stay null."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks else pa.array([], column.type)
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
