"""Which rows of a batch break a signature, and why: every row, not only the first.

:meth:`Signature.validate` stops at the first wrong field, which is what a
request needs (the whole request is refused). A batch job keeps going: it sets
the failing rows aside with their reason and scores the rest, so it needs the
reason of each row. The rules are :meth:`Signature.validate`'s, applied to
whole columns at once; a test holds the two to the same verdict row by row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from driftline.schema._signature import (
    _INT64_LIMIT,
    Signature,
    _all_text,
    _numeric_fast,
    _shown,
)

if TYPE_CHECKING:
    from driftline.schema._signature import ColumnSpec

__all__ = ["row_problems"]


def row_problems(signature: Signature, batch: pd.DataFrame) -> list[str | None]:
    """For each row of ``batch``, why it breaks ``signature`` (its first problem), or None.

    Columns are checked in signature order, as :meth:`Signature.validate`
    checks them, so a row's reason is the one validating that row alone
    would raise (without its "in row N"). A missing column makes every row
    fail; columns the signature does not know are left alone (a row key, say).

    Example::

        >>> sig = Signature.infer(pd.DataFrame({"age": [30, 40]}))
        >>> row_problems(sig, pd.DataFrame({"age": [31.0, None, 2.5]}))
        [None, "column 'age' must not be missing (it never was in training), got a missing value", "column 'age' must be a whole number, got 2.5"]
    """
    n = len(batch)
    reasons: list[str | None] = [None] * n
    missing = [c for c in signature.names if c not in batch.columns]
    if missing:
        reason = (
            f"missing column(s) {', '.join(map(repr, missing))}; "
            f"expected: {', '.join(signature.names)}"
        )
        return [reason] * n
    open_rows = np.ones(n, dtype=bool)
    for spec in signature.columns:
        column = batch[spec.name]
        if _numeric_fast(spec, column.to_numpy()):
            continue
        for row, reason in _column_problems(spec, column):
            if open_rows[row]:
                reasons[row] = reason
                open_rows[row] = False
    return reasons


def _column_problems(spec: ColumnSpec, series: pd.Series) -> list[tuple[int, str]]:
    """(row, reason) for every row whose value in this column breaks ``spec``."""
    name = spec.name
    isna = series.isna().to_numpy()
    found: list[tuple[int, str]] = []
    if not spec.nullable:
        reason = (
            f"column {name!r} must not be missing (it never was in training), got a missing value"
        )
        found.extend((int(r), reason) for r in np.flatnonzero(isna))
    if spec.kind in ("category", "string") and _all_text(series[~isna]):
        return found
    rows = np.flatnonzero(~isna)
    values = series.to_numpy()[rows]
    if spec.kind in ("integer", "number") and values.dtype.kind in "iuf":
        # Typed numbers (the common case): only the rows that break a rule reach Python.
        rows = rows[_suspect_numbers(spec, values)]
        values = series.to_numpy()[rows]
    for i, value in zip(rows.tolist(), values.tolist(), strict=True):
        problem = _value_problem(spec, value, series.dtype)
        if problem is not None:
            found.append((i, problem))
    return found


def _suspect_numbers(spec: ColumnSpec, values: np.ndarray) -> np.ndarray:
    floats = values.astype(np.float64)
    suspect = ~np.isfinite(floats)
    if spec.kind == "integer":
        suspect |= (floats != np.floor(floats)) | (floats < -_INT64_LIMIT)
        suspect |= floats >= _INT64_LIMIT
    return suspect


def _value_problem(spec: ColumnSpec, value: Any, dtype: Any) -> str | None:
    name = spec.name
    if spec.kind in ("integer", "number"):
        if isinstance(value, bool) or not isinstance(value, int | float | np.number):
            return f"column {name!r} must be a number, got {_shown(value)}"
        return _magnitude(spec, value)
    if spec.kind == "boolean":
        if not isinstance(value, bool | np.bool_):
            return f"column {name!r} must be true or false, got {_shown(value)}"
        return None
    if spec.kind in ("category", "string"):
        text_dtype = isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(dtype)
        if not (text_dtype and isinstance(value, str)):
            return f"column {name!r} must be text, got {_shown(value)}"
        return None
    if spec.kind == "datetime" and not pd.api.types.is_datetime64_any_dtype(dtype):
        parsed = pd.to_datetime(pd.Series([value]), errors="coerce", utc=True, format="mixed")
        if parsed.isna().iloc[0]:
            return f"column {name!r} must be a date-time, got {_shown(value)}"
    return None


def _magnitude(spec: ColumnSpec, value: Any) -> str | None:
    name = spec.name
    try:
        number = float(value)
    except OverflowError:
        return f"column {name!r} must be a number within ±1.8e308, got {_shown(value)}"
    if np.isinf(number):
        missing = ", or null if it is missing" if spec.nullable else ""
        return (
            f"column {name!r} must be a finite number, got {_shown(value)}; "
            f"send a real value{missing}"
        )
    if spec.kind != "integer":
        return None
    if number != np.floor(number):
        return f"column {name!r} must be a whole number, got {_shown(value)}"
    exact = isinstance(value, int) and not isinstance(value, bool)
    fits = -(2**63) <= value < 2**63 if exact else -_INT64_LIMIT <= number < _INT64_LIMIT
    if not fits:
        return (
            f"column {name!r} must be a whole number between -9223372036854775808 "
            f"and 9223372036854775807, got {_shown(value)}"
        )
    return None
