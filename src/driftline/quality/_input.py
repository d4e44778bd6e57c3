"""Reading both sides of a data check, and what the reference says each column should be.

The checks work on rows (duplicates, leakage, the domain classifier need
them), so both sides are read whole into Arrow tables by :mod:`driftline.io`,
the reader of every table in driftline. A reference given only as a Profile
contributes its uniform row sample; its exact counts and ranges come from
the profile itself.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from driftline.errors import InputError
from driftline.io import read_table
from driftline.schema import ColumnSpec, Signature
from driftline.stats import Kind, Profile, kind_of, numeric_values, string_values

__all__ = [
    "Expect",
    "Reference",
    "column_values",
    "expectations",
    "read_reference",
    "read_rows",
    "text_columns",
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


def read_rows(data: Any, *, what: str, text: Collection[str] = ()) -> pa.Table:
    """Every row of ``data`` as one Arrow table; ``text`` names the columns a CSV keeps as text."""
    if isinstance(data, Profile):
        raise InputError(
            f"{what} must be rows (a DataFrame, Arrow table, array or file), got a Profile; "
            f"a data check looks at every row of the batch"
        )
    return read_table(data, text=text, what=what)


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


def text_columns(
    expect: dict[str, Expect], target_kind: Kind | None, target: str | None
) -> list[str]:
    """The columns the reference knows as text (and the label, if text): a CSV keeps them so."""
    names = [name for name, e in expect.items() if e.kind == "categorical"]
    if target is not None and target_kind == "categorical":
        names.append(target)
    return names
