"""Condition: one test on one column, in code, in words and as text.

The value is one of a set (``region=North``, ``region in North,South``), lies
in a range (``age>=60``, ``30<=age<60``), or is missing (``age is missing``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from driftline.errors import InputError
from driftline.slices._frame import Frame, as_frame
from driftline.slices._values import (
    format_number,
    looks_numeric,
    plain_value,
    quote,
    read_number,
    shown,
)

__all__ = ["Condition", "Op", "condition_mask"]

Op = Literal["in", "range", "missing"]
_OPS: tuple[Op, ...] = ("in", "range", "missing")


@dataclass(frozen=True)
class Condition:
    """One test on one column.

    ``op`` is ``"in"`` (the value is one of ``values``), ``"range"`` (it
    lies between ``low`` and ``high``; by default ``[low, high)``, an open end
    is None) or ``"missing"``. Values are compared as the column holds them:
    numbers as numbers (``"2"`` matches 2), text as text. Build them with
    :meth:`equals`, :meth:`isin`, :meth:`between` and :meth:`missing`.
    """

    column: str
    op: Op
    values: tuple[Any, ...] = ()
    low: Any = None
    high: Any = None
    low_inclusive: bool = True
    high_inclusive: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.column, str) or not self.column:
            raise InputError(f"a condition needs a column name, got {self.column!r}")
        if self.op not in _OPS:
            raise InputError(f"condition op must be one of {_OPS}, got {self.op!r}")
        object.__setattr__(self, "values", tuple(plain_value(v) for v in self.values))
        object.__setattr__(self, "low", plain_value(self.low))
        object.__setattr__(self, "high", plain_value(self.high))
        if self.op == "in" and not self.values:
            raise InputError(f"condition on {self.column!r} needs at least one value")
        if self.op == "range":
            # An open end has no inclusivity; fixing it keeps equal ranges equal.
            if self.low is None:
                object.__setattr__(self, "low_inclusive", True)
            if self.high is None:
                object.__setattr__(self, "high_inclusive", False)
            if self.low is None and self.high is None:
                raise InputError(f"range on {self.column!r} needs a low or a high bound")
            low, high = read_number(self.low), read_number(self.high)
            if low is not None and high is not None:
                empty = low > high or (
                    low == high and not (self.low_inclusive and self.high_inclusive)
                )
                if empty:
                    raise InputError(
                        f"range on {self.column!r} holds no value: low {self.low} is not "
                        f"below high {self.high}"
                    )

    @classmethod
    def equals(cls, column: str, value: Any) -> Condition:
        """``column`` equals ``value``."""
        return cls(column, "in", (value,))

    @classmethod
    def isin(cls, column: str, values: Iterable[Any]) -> Condition:
        """``column`` is one of ``values``."""
        return cls(column, "in", tuple(values))

    @classmethod
    def between(
        cls,
        column: str,
        low: Any = None,
        high: Any = None,
        *,
        low_inclusive: bool = True,
        high_inclusive: bool = False,
    ) -> Condition:
        """``low <= column < high`` (either end may be None, i.e. open)."""
        return cls(
            column,
            "range",
            low=low,
            high=high,
            low_inclusive=low_inclusive,
            high_inclusive=high_inclusive,
        )

    @classmethod
    def missing(cls, column: str) -> Condition:
        """``column`` has no value."""
        return cls(column, "missing")

    def mask(self, frame: Any) -> np.ndarray:
        """A boolean array: which rows of ``frame`` meet the condition."""
        return condition_mask(self, as_frame(frame))

    def describe(self) -> str:
        """The condition in plain words: "age 60 or more", "region North"."""
        col = self.column
        if self.op == "missing":
            return f"{col} missing"
        if self.op == "in":
            words = [format_number(read_number(v) if looks_numeric(v) else v) for v in self.values]
            if len(words) == 1:
                sep = " = " if looks_numeric(self.values[0]) else " "
                return f"{col}{sep}{words[0]}"
            if len(words) > 4:
                return f"{col} {', '.join(words[:3])} or {len(words) - 3} others"
            return f"{col} {', '.join(words[:-1])} or {words[-1]}"
        low, high = shown(self.low), shown(self.high)
        if self.high is None:
            return f"{col} {low} or more" if self.low_inclusive else f"{col} over {low}"
        if self.low is None:
            return f"{col} {high} or less" if self.high_inclusive else f"{col} under {high}"
        start = f"{low}" if self.low_inclusive else f"over {low}"
        end = f"{high}" if self.high_inclusive else f"under {high}"
        return f"{col} {start} to {end}"

    def to_text(self) -> str:
        """The condition in the form :func:`~driftline.slices.parse_slice` reads: "age>=60"."""
        col = quote(self.column)
        if self.op == "missing":
            return f"{col} is missing"
        if self.op == "in":
            if len(self.values) == 1:
                return f"{col}={quote(self.values[0])}"
            return f"{col} in {','.join(quote(v) for v in self.values)}"
        low_op = "<=" if self.low_inclusive else "<"
        high_op = "<=" if self.high_inclusive else "<"
        if self.high is None:
            return f"{col}{'>=' if self.low_inclusive else '>'}{quote(self.low)}"
        if self.low is None:
            return f"{col}{high_op}{quote(self.high)}"
        return f"{quote(self.low)}{low_op}{col}{high_op}{quote(self.high)}"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"column": self.column, "op": self.op}
        if self.op == "in":
            out["values"] = list(self.values)
        elif self.op == "range":
            out.update(
                low=self.low,
                high=self.high,
                low_inclusive=self.low_inclusive,
                high_inclusive=self.high_inclusive,
            )
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Condition:
        try:
            return cls(
                column=data["column"],
                op=data["op"],
                values=tuple(data.get("values") or ()),
                low=data.get("low"),
                high=data.get("high"),
                low_inclusive=bool(data.get("low_inclusive", True)),
                high_inclusive=bool(data.get("high_inclusive", False)),
            )
        except KeyError as exc:
            raise InputError(f"a stored condition lacks the field {exc}; got {data!r}") from exc


# --- masks ----------------------------------------------------------------------------------


def condition_mask(c: Condition, data: Frame) -> np.ndarray:
    kind = data.kind(c.column)
    if c.op == "missing":
        return data.missing(c.column)
    if c.op == "in":
        if kind == "categorical" or kind == "boolean":
            wanted = [_as_text(v, kind) for v in c.values]
            return data.text_isin(c.column, wanted)
        numbers = data.numbers(c.column)
        wanted_numbers = [_asnumber(v, c.column, kind) for v in c.values]
        return np.isin(numbers, np.asarray(wanted_numbers, dtype=float))
    if kind not in ("numeric", "datetime"):
        raise InputError(
            f"column {c.column!r} holds {kind} values; a range ({c.to_text()}) needs numbers "
            f"or dates; use {c.column}=value or {c.column} in a,b instead"
        )
    numbers = data.numbers(c.column)
    out = ~np.isnan(numbers)
    if c.low is not None:
        low = _asnumber(c.low, c.column, kind)
        out &= numbers >= low if c.low_inclusive else numbers > low
    if c.high is not None:
        high = _asnumber(c.high, c.column, kind)
        out &= numbers <= high if c.high_inclusive else numbers < high
    return out


def _as_text(value: Any, kind: str) -> str:
    if kind == "boolean":
        if isinstance(value, bool | np.bool_):
            return "true" if value else "false"
        text = str(value).strip().lower()
        return {"1": "true", "0": "false", "yes": "true", "no": "false"}.get(text, text)
    return value if isinstance(value, str) else str(value)


def _asnumber(value: Any, column: str, kind: str) -> float:
    if kind == "datetime" and not isinstance(value, int | float | np.number):
        try:
            stamp = np.datetime64(value, "ns")
        except (ValueError, TypeError) as exc:
            raise InputError(
                f"column {column!r} holds dates; {value!r} is not a date, "
                f"write it as 2024-01-31 or 2024-01-31T12:00"
            ) from exc
        return float(stamp.astype("int64")) * 1e-9
    number = read_number(value)
    if number is None:
        raise InputError(
            f"column {column!r} holds numbers; {value!r} is not a number, "
            f"compare it with a number (e.g. {column}=3 or {column}>=2.5)"
        )
    return float(number)
