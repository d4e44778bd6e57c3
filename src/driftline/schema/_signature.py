"""Infer a model's signature from training data and validate batches against it.

A signature is plain data (``to_dict``/``from_dict``, versioned) so stored
workspaces never depend on Python import paths.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from driftline.errors import InputError, SchemaError

__all__ = ["PERSONAL", "ColumnSpec", "OutputSpec", "Signature"]

Kind = Literal["integer", "number", "boolean", "category", "string", "datetime"]
FORMAT = 1
# A string column with more distinct values than this is free text, not a category.
MAX_CATEGORIES = 100
# What may be written of a column marked personal (the privacy policy's actions).
PERSONAL = ("hash", "redact", "drop")
# Integer columns are int64 wherever they go next (numpy, Arrow, the models).
_INT64_LIMIT = 2.0**63


@dataclasses.dataclass(frozen=True)
class ColumnSpec:
    """One input column: its kind, observed range or categories, and nullability."""

    name: str
    kind: Kind
    nullable: bool = False
    min: float | None = None
    max: float | None = None
    categories: tuple[str, ...] | None = None
    # "hash", "redact" or "drop": what the privacy policy writes of the column's values,
    # unless its own table names the column (see driftline.privacy).
    personal: str | None = None

    def passes(self, values: np.ndarray) -> bool:
        """True when a typed numpy column of numbers or booleans passes outright.

        False means only that the full checks of :meth:`Signature.validate`
        must decide (missing values, text, out-of-range numbers).
        """
        return _numeric_fast(self, values)

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["categories"] = list(self.categories) if self.categories is not None else None
        if self.personal is None:  # signatures stored before the flag read as they were
            del d["personal"]
        return d


@dataclasses.dataclass(frozen=True)
class OutputSpec:
    """What the model answers: a class among ``classes``, or a number."""

    task: Literal["classification", "regression"]
    target: str | None = None
    classes: tuple[Any, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "target": self.target,
            "classes": list(self.classes) if self.classes is not None else None,
        }


@dataclasses.dataclass(frozen=True)
class Signature:
    """Columns, types, ranges, categories and nullability of a model's inputs."""

    columns: tuple[ColumnSpec, ...]
    output: OutputSpec | None = None

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def __getitem__(self, name: str) -> ColumnSpec:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @classmethod
    def infer(
        cls,
        data: pd.DataFrame,
        *,
        target: str | None = None,
        classes: Sequence[Any] | None = None,
    ) -> Signature:
        """Infer a signature from training data; ``target`` is left out of the inputs.

        The task is classification when ``classes`` is given or the target is
        boolean, categorical, string, or integer with few distinct values.
        """
        if not isinstance(data, pd.DataFrame):
            raise InputError(f"training data must be a pandas DataFrame, got {type(data).__name__}")
        if target is not None and target not in data.columns:
            raise InputError(
                f"target column {target!r} is not in the training data; "
                f"columns are: {', '.join(map(str, data.columns))}"
            )
        specs = tuple(
            _infer_column(str(name), data[name]) for name in data.columns if name != target
        )
        output = None
        if target is not None:
            output = _infer_output(data[target], target, classes)
        return cls(columns=specs, output=output)

    @property
    def personal(self) -> dict[str, str]:
        """The columns marked personal, with what is written of them."""
        return {c.name: c.personal for c in self.columns if c.personal is not None}

    def mark_personal(self, columns: Mapping[str, str]) -> Signature:
        """This signature with ``columns`` marked personal (``{"email": "hash"}``).

        A marked column keeps no value of the training data: its categories and
        its range are left out, since the signature is stored in the database.
        """
        unknown = [c for c in columns if c not in self.names]
        if unknown:
            raise InputError(
                f"cannot mark {', '.join(map(repr, unknown))} personal: not an input of the "
                f"model; its inputs are {', '.join(self.names)}"
            )
        for name, action in columns.items():
            if action not in PERSONAL:
                raise InputError(
                    f"a personal column is written as one of {', '.join(PERSONAL)}, got "
                    f"{action!r} for {name!r}; hash keeps joins working, drop writes nothing"
                )
        return dataclasses.replace(
            self,
            columns=tuple(
                dataclasses.replace(
                    c, personal=columns[c.name], categories=None, min=None, max=None
                )
                if c.name in columns
                else c
                for c in self.columns
            ),
        )

    def text_columns(self, target: str | None = None) -> list[str]:
        """The columns known as text, and the label ``target`` (default: ours) if its classes are.

        Readers keep these as text in a CSV (``driftline.io``'s ``text=``), so a
        zip code '02139' keeps its zero; classes 0 and 1 stay whole numbers.
        """
        names = [c.name for c in self.columns if c.kind in ("category", "string")]
        output = self.output
        label = target or (output.target if output is not None else None)
        classes = output.classes if output is not None else None
        if label and classes and all(isinstance(c, str) for c in classes):
            names.append(label)
        return names

    def validate(self, batch: pd.DataFrame, *, allow_extra: bool = False) -> None:
        """Raise :class:`SchemaError` naming the first wrong field and row.

        Checks presence, type and nullability, vectorized per column. Values
        outside the training range and unseen categories are not errors here:
        they are data-quality findings, reported by monitoring.
        """
        missing = [n for n in self.names if n not in batch.columns]
        if missing:
            raise SchemaError(
                f"missing column(s) {', '.join(map(repr, missing))}; expected: {', '.join(self.names)}",
                field=missing[0],
            )
        if not allow_extra:
            extra = [str(c) for c in batch.columns if c not in set(self.names)]
            if extra:
                raise SchemaError(
                    f"unexpected column(s) {', '.join(map(repr, extra))}; "
                    f"expected only: {', '.join(self.names)}",
                    field=extra[0],
                )
        for spec in self.columns:
            _check_column(spec, batch[spec.name])

    def validate_matrix(self, matrix: np.ndarray) -> None:
        """Validate a float matrix whose columns are :attr:`names`, in order.

        The serving fast path for all-numeric models. A column the numpy check
        does not pass outright goes through the same per-column checks as
        :meth:`validate`, so the rules and the field-and-row messages are one.
        """
        if matrix.ndim != 2 or matrix.shape[1] != len(self.columns):
            raise SchemaError(
                f"expected {len(self.columns)} columns ({', '.join(self.names)}), "
                f"got shape {list(matrix.shape)}"
            )
        if self._matrix_passes(matrix):
            return
        for j, spec in enumerate(self.columns):
            column = matrix[:, j]
            if not _numeric_fast(spec, column):
                _check_column(spec, pd.Series(column, name=spec.name))

    def _matrix_passes(self, matrix: np.ndarray) -> bool:
        """The usual case in one pass over the whole matrix: finite floats for number columns.

        False leaves the verdict (and the message) to the per-column checks.
        """
        kinds = self._kinds
        if matrix.dtype.kind != "f" or not kinds <= {"number", "integer"}:
            return False
        if not np.isfinite(matrix).all():
            return False
        return all(
            _numeric_fast(spec, matrix[:, j])
            for j, spec in enumerate(self.columns)
            if spec.kind == "integer"
        )

    @functools.cached_property
    def _kinds(self) -> frozenset[str]:
        return frozenset(c.kind for c in self.columns)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "columns": [c.to_dict() for c in self.columns],
            "output": self.output.to_dict() if self.output else None,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Signature:
        if d.get("format") != FORMAT:
            raise InputError(f"unsupported signature format {d.get('format')!r}; expected {FORMAT}")
        cols = tuple(
            ColumnSpec(
                name=c["name"],
                kind=c["kind"],
                nullable=c["nullable"],
                min=c.get("min"),
                max=c.get("max"),
                categories=tuple(c["categories"]) if c.get("categories") is not None else None,
                personal=c.get("personal"),
            )
            for c in d["columns"]
        )
        out = d.get("output")
        output = (
            OutputSpec(
                task=out["task"],
                target=out.get("target"),
                classes=tuple(out["classes"]) if out.get("classes") is not None else None,
            )
            if out
            else None
        )
        return cls(columns=cols, output=output)


def _kind_of(series: pd.Series) -> Kind:
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "integer"
    if pd.api.types.is_float_dtype(dtype):
        return "number"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    if isinstance(dtype, pd.CategoricalDtype):
        return "category"
    values = series.dropna()
    if len(values) and not all(isinstance(v, str) for v in values.head(1000)):
        raise InputError(
            f"column {series.name!r} mixes types ({sorted({type(v).__name__ for v in values.head(1000)})}); "
            "give it one type before registering"
        )
    return "category" if values.nunique() <= MAX_CATEGORIES else "string"


def _infer_column(name: str, series: pd.Series) -> ColumnSpec:
    kind = _kind_of(series)
    nullable = bool(series.isna().any())
    lo = hi = None
    cats = None
    present = series.dropna()
    if kind in ("integer", "number") and len(present):
        lo, hi = float(present.min()), float(present.max())
    elif kind == "datetime" and len(present):
        lo, hi = float(present.min().timestamp()), float(present.max().timestamp())
    elif kind == "category":
        cats = tuple(sorted(str(v) for v in present.unique()))
    return ColumnSpec(name=name, kind=kind, nullable=nullable, min=lo, max=hi, categories=cats)


def _infer_output(y: pd.Series, target: str, classes: Sequence[Any] | None) -> OutputSpec:
    if classes is not None:
        return OutputSpec("classification", target, tuple(_plain(c) for c in classes))
    kind = _kind_of(y)
    if kind in ("boolean", "category", "string") or (kind == "integer" and y.nunique() <= 20):
        return OutputSpec(
            "classification", target, tuple(_plain(c) for c in sorted(y.dropna().unique()))
        )
    return OutputSpec("regression", target)


def _plain(value: Any) -> Any:
    """numpy scalars to plain Python, so the signature serializes to JSON."""
    return value.item() if isinstance(value, np.generic) else value


def _numeric_fast(spec: ColumnSpec, values: np.ndarray) -> bool:
    """True when a plainly typed column passes; False sends it to the full checks."""
    kind = values.dtype.kind
    if spec.kind == "boolean":
        return kind == "b"
    if spec.kind not in ("integer", "number") or kind not in "iuf":
        return False
    if kind == "f":
        if not np.isfinite(values).all():
            return False  # the full path allows NaN where nullable, and names the row
        if spec.kind == "integer" and not (
            np.array_equal(values, np.floor(values)) and _fits_int64(values).all()
        ):
            return False
    elif kind == "u" and spec.kind == "integer" and values.size and values.max() >= _INT64_LIMIT:
        return False
    return True


def _shown(value: Any) -> str:
    """How a bad value reads in a message: 2.5, not np.float64(2.5); long integers by size."""
    plain = value.item() if isinstance(value, np.generic) else value
    if isinstance(plain, int) and not isinstance(plain, bool) and abs(plain) >= 10**20:
        # Printing a 300-digit number helps nobody (and past 4,300 digits Python refuses).
        return f"an integer of about {int(abs(plain).bit_length() * 0.30103) + 1} digits"
    return repr(plain)


def _first(mask: Any) -> int:
    return int(np.flatnonzero(np.asarray(mask))[0])


def _check_column(spec: ColumnSpec, series: pd.Series) -> None:
    # Fast path: typed numeric and boolean columns are checked on the numpy array
    # directly. Serving validates every request, so this path is hot.
    if _numeric_fast(spec, series.to_numpy()):
        return
    isna = series.isna().to_numpy()
    if not spec.nullable and isna.any():
        row = _first(isna)
        raise SchemaError(
            f"column {spec.name!r} must not be missing (it never was in training), "
            f"got a missing value in row {row}",
            field=spec.name,
            row=row,
        )
    present = series[~isna]
    if not len(present):
        return
    if spec.kind in ("integer", "number"):
        if pd.api.types.is_bool_dtype(present.dtype) or not pd.api.types.is_numeric_dtype(
            present.dtype
        ):
            bad = present.map(lambda v: isinstance(v, bool) or not isinstance(v, int | float))
            # A CSV column turns to text when one value is not a number: name that value,
            # not the first of the numbers that came along with it as text.
            unreadable = bad & pd.to_numeric(present.where(bad), errors="coerce").isna()
            if unreadable.any():
                bad = unreadable
            if present.dtype != object or bad.any():
                row = int(np.flatnonzero(~isna)[_first(bad)]) if bad.any() else _first(~isna)
                value = series.iloc[row]
                raise SchemaError(
                    f"column {spec.name!r} must be a number, got {_shown(value)} in row {row}",
                    field=spec.name,
                    row=row,
                )
        _check_magnitude(spec, series, present, isna)
    elif spec.kind == "boolean":
        bad = ~present.map(lambda v: isinstance(v, bool | np.bool_))
        if bad.any():
            row = int(np.flatnonzero(~isna)[_first(bad)])
            raise SchemaError(
                f"column {spec.name!r} must be true or false, got {_shown(series.iloc[row])} in row {row}",
                field=spec.name,
                row=row,
            )
    elif spec.kind in ("category", "string"):
        if _all_text(present):
            return
        if isinstance(present.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(
            present.dtype
        ):
            bad = ~present.map(lambda v: isinstance(v, str))
        else:
            bad = pd.Series(True, index=present.index)
        if bad.any():
            row = int(np.flatnonzero(~isna)[_first(bad)])
            raise SchemaError(
                f"column {spec.name!r} must be text, got {_shown(series.iloc[row])} in row {row}",
                field=spec.name,
                row=row,
            )
    elif spec.kind == "datetime" and not pd.api.types.is_datetime64_any_dtype(present.dtype):
        unparsed = (
            pd.to_datetime(present, errors="coerce", utc=True, format="mixed").isna().to_numpy()
        )
        if unparsed.any():
            row = int(np.flatnonzero(~isna)[_first(unparsed)])
            raise SchemaError(
                f"column {spec.name!r} must be a date-time, got {_shown(series.iloc[row])} in row {row}",
                field=spec.name,
                row=row,
            )


def _all_text(present: pd.Series) -> bool:
    """True when every value is a str, asked of pandas' C type scan, not value by value.

    A batch of 100,000 rows spent as long checking four text columns one value at a
    time as its model spent predicting them.
    """
    dtype = present.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return pd.api.types.infer_dtype(dtype.categories, skipna=True) == "string"
    return bool(
        pd.api.types.is_string_dtype(dtype)
        and pd.api.types.infer_dtype(present, skipna=True) == "string"
    )


def _check_magnitude(spec: ColumnSpec, series: pd.Series, present: pd.Series, isna: Any) -> None:
    """Numbers must be finite (no models answer infinity) and integers must fit int64."""
    values = _floats(present)
    where = np.flatnonzero(~isna)
    # A JSON integer of 310 digits is no float at all: _floats makes it NaN.
    huge = np.isnan(values)
    if huge.any():
        row = int(where[_first(huge)])
        raise SchemaError(
            f"column {spec.name!r} must be a number within ±1.8e308, "
            f"got {_shown(series.iloc[row])} in row {row}",
            field=spec.name,
            row=row,
        )
    infinite = np.isinf(values)
    if infinite.any():
        row = int(where[_first(infinite)])
        missing = ", or null if it is missing" if spec.nullable else ""
        raise SchemaError(
            f"column {spec.name!r} must be a finite number, got {_shown(series.iloc[row])} "
            f"in row {row}; send a real value{missing}",
            field=spec.name,
            row=row,
        )
    if spec.kind != "integer":
        return
    frac = values != np.floor(values)
    if frac.any():
        row = int(where[_first(frac)])
        raise SchemaError(
            f"column {spec.name!r} must be a whole number, got {_shown(series.iloc[row])} in row {row}",
            field=spec.name,
            row=row,
        )
    outside = ~_fits_int64(values)
    if present.dtype == object:  # Python integers, exactly: 2**63 - 1 fits, 2**63 does not
        exact = [isinstance(v, int) and not isinstance(v, bool) for v in present.tolist()]
        outside = np.array(
            [
                not -(2**63) <= v < 2**63 if whole else out
                for v, whole, out in zip(present.tolist(), exact, outside, strict=True)
            ],
            dtype=bool,
        )
    if outside.any():
        row = int(where[_first(outside)])
        raise SchemaError(
            f"column {spec.name!r} must be a whole number between -9223372036854775808 "
            f"and 9223372036854775807, "
            f"got {_shown(series.iloc[row])} in row {row}",
            field=spec.name,
            row=row,
        )


def _fits_int64(values: np.ndarray) -> np.ndarray:
    return (values >= -_INT64_LIMIT) & (values < _INT64_LIMIT)


def _floats(present: pd.Series) -> np.ndarray:
    """The values as float64; NaN for a Python integer too large for any float."""
    if present.dtype != object:
        return present.to_numpy(dtype=np.float64)
    out = np.empty(len(present), dtype=np.float64)
    for i, value in enumerate(present.tolist()):
        try:
            out[i] = float(value)
        except OverflowError:
            out[i] = np.nan
    return out
