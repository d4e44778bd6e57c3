"""Reading both sides of a data check, and what the reference says each column should be.

The checks work on rows (duplicates, leakage, the domain classifier need
them), so both sides are read into Arrow tables with the same reader as
:class:`~driftline.stats.Profile`. A reference given only as a Profile
contributes its uniform row sample; its exact counts and ranges come from
the profile itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from driftline.errors import InputError
from driftline.schema import ColumnSpec, Signature
from driftline.stats import Kind, Profile, kind_of, numeric_values, string_values
from driftline.stats._input import open_source

__all__ = [
    "Expect",
    "Reference",
    "column_values",
    "csv_types",
    "expectations",
    "read_reference",
    "read_rows",
]

# As in Signature.infer: a text column with more distinct values is free text, not a category.
MAX_CATEGORIES = 100

_SIGNATURE_KINDS: dict[str, Kind] = {
    "integer": "numeric",
    "number": "numeric",
    "boolean": "boolean",
    "category": "categorical",
    "string": "categorical",
    "datetime": "datetime",
}


@dataclass(frozen=True)
class Expect:
    """What the reference says a column holds.

    ``categories`` is the complete list of values seen in training, or None
    when it is unknown or the column is free text.
    """

    name: str
    kind: Kind
    integer: bool = False
    nullable: bool = True
    min: float | None = None
    max: float | None = None
    categories: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Reference:
    """The reference: its rows (all of them, or a sample) and its profile."""

    rows: pa.Table | None
    profile: Profile | None
    sampled: bool

    @property
    def n_rows(self) -> int:
        if self.profile is not None:
            return self.profile.n_rows
        return self.rows.num_rows if self.rows is not None else 0


def read_rows(data: Any, *, what: str, csv_types: dict[str, pa.DataType] | None = None) -> pa.Table:
    """Every row of ``data`` as one Arrow table; unreadable data is an InputError."""
    if isinstance(data, Profile):
        raise InputError(
            f"{what} must be rows (a DataFrame, Arrow table, array or file), got a Profile; "
            f"a data check looks at every row of the batch"
        )
    try:
        source = open_source(data, csv_types=csv_types, what=what)
        if source.table is not None:
            return source.table
        names = list(source.schema.names)
        batches = list(source.batches(names))
        return pa.Table.from_batches(batches, schema=source.schema)
    except (pa.ArrowException, OSError, UnicodeDecodeError) as exc:
        where = f"{what} {str(data)!r}" if isinstance(data, str | Path) else f"the {what}"
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(
            f"cannot read {where}: {first}; give a readable Parquet or CSV file or a table"
        ) from exc


def read_reference(reference: Any, profile: Profile | None) -> Reference:
    """The reference as rows and profile, from rows, a Profile, or only ``profile=``."""
    if isinstance(reference, Profile):
        return Reference(_reservoir_table(reference), reference, sampled=True)
    if reference is None:
        if profile is None:
            return Reference(None, None, sampled=False)
        return Reference(_reservoir_table(profile), profile, sampled=True)
    rows = read_rows(reference, what="reference")
    if rows.num_rows == 0:
        raise InputError("the reference has no rows; pass the data the model was trained on")
    return Reference(rows, profile if profile is not None else Profile.build(rows), sampled=False)


def _reservoir_table(profile: Profile) -> pa.Table:
    arrays: dict[str, pa.Array] = {}
    for name, col in profile.columns.items():
        values = profile.reservoir.values.get(name)
        if values is None:
            values = np.empty(0, dtype=float if col.is_numeric else object)
        if col.kind == "categorical":
            arrays[name] = pa.array(list(values), pa.string())
            continue
        mask = np.isnan(values)
        if col.kind == "boolean":
            arrays[name] = pa.array(values != 0, pa.bool_(), mask=mask)
        elif col.kind == "datetime":
            micros = np.where(mask, 0, np.round(values * 1e6)).astype(np.int64)
            arrays[name] = pa.array(micros, pa.timestamp("us", tz="UTC"), mask=mask)
        else:
            arrays[name] = pa.array(values, pa.float64(), mask=mask)
    return pa.table(arrays) if arrays else pa.table({})


def expectations(
    reference: Reference, signature: Signature | None, target: str | None
) -> dict[str, Expect]:
    """Per input column, what it should hold: from the signature, else the reference."""
    if signature is not None:
        if not isinstance(signature, Signature):
            raise InputError(
                f"signature must be a driftline Signature, got {type(signature).__name__}; "
                f"build one with Signature.infer(training_frame)"
            )
        return {c.name: _from_spec(c) for c in signature.columns if c.name != target}
    out: dict[str, Expect] = {}
    if reference.rows is not None and not reference.sampled:
        for name in reference.rows.column_names:
            if name != target:
                out[name] = _from_rows(name, reference.rows.column(name), reference.profile)
    elif reference.profile is not None:
        for name, col in reference.profile.columns.items():
            if name != target:
                complete = col.kind == "categorical" and col.other == 0
                out[name] = Expect(
                    name=name,
                    kind=col.kind,
                    nullable=col.missing > 0,
                    min=col.min,
                    max=col.max,
                    categories=tuple(col.categories) if complete else None,
                )
    return out


def _from_spec(spec: ColumnSpec) -> Expect:
    return Expect(
        name=spec.name,
        kind=_SIGNATURE_KINDS[spec.kind],
        integer=spec.kind == "integer",
        nullable=spec.nullable,
        min=spec.min,
        max=spec.max,
        categories=spec.categories if spec.kind == "category" else None,
    )


def _from_rows(name: str, column: pa.ChunkedArray, profile: Profile | None) -> Expect:
    try:
        kind = kind_of(name, column.type)
    except InputError as exc:
        raise InputError(f"the reference cannot be checked: {exc}") from exc
    nullable = column.null_count > 0
    if kind == "categorical":
        distinct = pc.unique(string_values(column).drop_null()).to_pylist()
        cats = tuple(sorted(distinct)) if len(distinct) <= MAX_CATEGORIES else None
        return Expect(name=name, kind=kind, nullable=nullable, categories=cats)
    values = numeric_values(name, column, kind)
    present = values[~np.isnan(values)]
    col = profile.columns.get(name) if profile is not None else None
    return Expect(
        name=name,
        kind=kind,
        integer=pa.types.is_integer(column.type),
        nullable=bool(nullable or present.size < values.size),
        min=float(present.min()) if present.size else (col.min if col else None),
        max=float(present.max()) if present.size else (col.max if col else None),
    )


def column_values(table: pa.Table, name: str, kind: Kind) -> np.ndarray:
    """A column as float64 with NaN (numbers, booleans, datetimes) or str objects with None."""
    column = table.column(name)
    if kind == "categorical":
        return np.array(string_values(column).to_pylist(), dtype=object)
    return numeric_values(name, column, kind)


def csv_types(
    expect: dict[str, Expect], target_kind: Kind | None, target: str | None
) -> dict[str, pa.DataType]:
    """Read text columns of a CSV as text, so '02139' stays a zip code and not a number."""
    types = {name: pa.string() for name, e in expect.items() if e.kind == "categorical"}
    if target is not None and target_kind == "categorical":
        types[target] = pa.string()
    return types
