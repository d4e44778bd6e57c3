"""Where a monitoring run reads its windows: a table or file given, or the inference log.

Both answer the same three questions: which columns there are, from when to
when there is traffic, and the rows of one window. The log answers them
from its partitions: the days present bound the range without reading a
row, each window reads only its days (one day held at a time, for windows
shorter than a day), and labels are read only when performance is wanted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads

from driftline.errors import InputError
from driftline.store import InferenceLog, LogReader, as_utc, join_outcomes

__all__ = ["DatasetSource", "LogSource", "Source"]

_DAY = dt.timedelta(days=1)


class Source(Protocol):
    names: list[str]

    def bounds(self) -> tuple[dt.datetime, dt.datetime] | None: ...

    def frame(self, start: dt.datetime, end: dt.datetime) -> pd.DataFrame: ...


class DatasetSource:
    """Windows of a table or file, filtered on its time column."""

    def __init__(self, dataset: pads.Dataset, time_column: str) -> None:
        self.dataset = dataset
        self.time_column = time_column
        self.names = list(dataset.schema.names)

    def bounds(self) -> tuple[dt.datetime, dt.datetime] | None:
        times = self.dataset.to_table(columns=[self.time_column]).column(self.time_column)
        lo, hi = pc.min(times).as_py(), pc.max(times).as_py()
        if lo is None:
            return None
        return as_utc(lo), as_utc(hi)

    def frame(self, start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
        kind = self.dataset.schema.field(self.time_column).type
        tz = getattr(kind, "tz", None)
        lo, hi = (start, end) if tz else (start.replace(tzinfo=None), end.replace(tzinfo=None))
        field = pads.field(self.time_column)
        scalar_type = pa.timestamp(kind.unit, tz=tz)
        condition = (field >= pa.scalar(lo, type=scalar_type)) & (
            field < pa.scalar(hi, type=scalar_type)
        )
        return self.dataset.to_table(filter=condition).to_pandas()


class LogSource:
    """One model version's logged traffic, read a window at a time."""

    def __init__(
        self,
        log: InferenceLog,
        model: str,
        version: int,
        *,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        labels: bool = False,
        outcomes: Sequence[str] = (),
    ) -> None:
        self.reader: LogReader = log.reader(model, since=since, until=until)
        self.model, self.version, self.with_labels = model, version, labels
        self.outcomes = list(outcomes)
        first = since.astimezone(dt.UTC).date().isoformat() if since else ""
        last = until.astimezone(dt.UTC).date().isoformat() if until else "9999"
        every = self.reader.days()
        if not every:
            damaged = self.reader.corrupt_lines()
            raise InputError(
                f"the inference log holds no predictions of {model} yet; serve it "
                "(driftline deploy, driftline serve) or pass --data"
                + (
                    f"; {damaged} line(s) of the log failed their checksum and were left out"
                    if damaged
                    else ""
                )
            )
        self.days = [d for d in every if first <= d <= last]
        self.names = self.reader.columns(self.days[-1] if self.days else every[-1])

    def bounds(self) -> tuple[dt.datetime, dt.datetime] | None:
        if not self.days:
            return None
        lo = dt.datetime.fromisoformat(self.days[0]).replace(tzinfo=dt.UTC)
        hi = dt.datetime.fromisoformat(self.days[-1]).replace(tzinfo=dt.UTC) + _DAY
        return lo, hi - dt.timedelta(microseconds=1)

    def corrupt_lines(self, lo: dt.datetime | None, hi: dt.datetime | None) -> int:
        return self.reader.corrupt_lines(lo, hi)

    def frame(self, start: dt.datetime, end: dt.datetime) -> pd.DataFrame:
        table = self.reader.window(start, end, version=self.version, labels=self.with_labels)
        if table is None:
            return pd.DataFrame()
        if self.outcomes:  # posted after the answers: on the window's days or later
            posted = self.reader.posted(
                "outcome", first=start.astimezone(dt.UTC).date().isoformat()
            )
            table = join_outcomes(table, posted, self.outcomes)
        return table.to_pandas()
