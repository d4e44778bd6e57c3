"""Cutting the current data into windows: every N rows, or every period of a time column."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from driftline.errors import InputError

__all__ = ["Window", "as_frame", "describe", "period", "split"]

_UNITS = {"s": "seconds", "min": "minutes", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_PERIOD = re.compile(r"^\s*(\d+)\s*(s|min|m|h|d|w)\s*$", re.IGNORECASE)
_EPOCH = pd.Timestamp("1970-01-01", tz="UTC")


@dataclass(frozen=True)
class Window:
    """Rows ``positions`` of the current data, from ``start`` to ``end`` (exclusive)."""

    start: int | dt.datetime
    end: int | dt.datetime
    positions: np.ndarray


def period(value: str | dt.timedelta) -> pd.Timedelta:
    """``"6h"``, ``"1D"``, ``"15min"`` or a timedelta -> a positive Timedelta."""
    if isinstance(value, dt.timedelta):
        out = pd.Timedelta(value)
    else:
        match = _PERIOD.match(value)
        if not match:
            raise InputError(
                f"window {value!r} is neither a number of rows nor a period: use a number and "
                "a unit, like 15min, 6h or 1d"
            )
        out = pd.Timedelta(dt.timedelta(**{_UNITS[match.group(2).lower()]: int(match.group(1))}))
    if out <= pd.Timedelta(0):
        raise InputError(f"window must be a positive period, got {value!r}")
    return out


def describe(window: int | str | dt.timedelta | None) -> str:
    if window is None:
        return "all rows"
    if isinstance(window, int):
        return f"{window:,} rows"
    return str(window)


def split(
    frame: pd.DataFrame,
    window: int | str | dt.timedelta | None,
    time_column: str | None,
) -> list[Window]:
    """The windows of ``frame``, in order; time windows are aligned to the Unix epoch.

    Row windows are consecutive runs of ``window`` rows (the last may be
    shorter); time windows hold the rows of each ``[start, start + period)``
    and empty ones are left out.
    """
    n = len(frame)
    if n == 0:
        raise InputError("the current data has no rows")
    if window is None:
        return [Window(0, n, np.arange(n))]
    if isinstance(window, bool | float):
        raise InputError(f"window must be a number of rows or a period like '1d', got {window!r}")
    if isinstance(window, int | np.integer):
        size = int(window)
        if size < 1:
            raise InputError(f"window must be at least 1 row, got {size}")
        if size > n:
            raise InputError(
                f"a window of {size:,} rows is larger than the current data ({n:,} rows); "
                "pass a smaller window, or window=None for one window over all rows"
            )
        return [
            Window(lo, min(lo + size, n), np.arange(lo, min(lo + size, n)))
            for lo in range(0, n, size)
        ]
    length = period(window)
    if time_column is None:
        raise InputError(
            f"window {window!r} is a period: name the column holding each row's time "
            "with time_column="
        )
    times = _times(frame, time_column)
    if times.isna().any():
        row = int(np.flatnonzero(times.isna().to_numpy())[0])
        raise InputError(f"column {time_column!r} has no time in row {row}")
    slot = ((times - _EPOCH) // length).to_numpy(dtype=np.int64)
    out = []
    for value in np.unique(slot):
        start = (_EPOCH + length * int(value)).to_pydatetime()
        out.append(Window(start, start + length.to_pytimedelta(), np.flatnonzero(slot == value)))
    return out


def _times(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        raise InputError(
            f"the current data has no time column {column!r}; its columns are: "
            f"{', '.join(map(str, frame.columns))}"
        )
    values = frame[column]
    try:
        times = pd.to_datetime(values, utc=True)
    except (ValueError, TypeError) as exc:
        raise InputError(f"column {column!r} does not hold date-times: {exc}") from exc
    return pd.Series(times, index=frame.index)


def as_frame(data: Any, what: str) -> pd.DataFrame:
    """A pandas DataFrame from pandas, polars or Arrow data."""
    if isinstance(data, pd.DataFrame):
        return data
    if hasattr(data, "to_pandas"):
        out = data.to_pandas()
        if isinstance(out, pd.DataFrame):
            return out
    raise InputError(
        f"{what} must be a pandas or polars DataFrame or an Arrow table, got {type(data).__name__}"
    )
