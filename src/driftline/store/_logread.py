"""Reading the log back: a model's predictions a day at a time, labels joined by request id.

Two sources make one log: the Parquet files in the log store (every host's
compacted traffic) and this host's segments not yet compacted. The segments
are scanned first, then the store is listed: a segment compacted meanwhile
had its files published before it was deleted, so the listing shows them, and
the part of a segment whose file is listed is taken from the file alone. That
is what keeps a read during a compaction, or after one killed half-way, from
counting a prediction twice or missing one.

Memory follows what is read: one day of one model's traffic, the labels of
the days asked for, and the segments not yet compacted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads

from driftline.store._compact import concat, parse_timestamp, records_table
from driftline.store._logstore import NO_MODEL, LogStore
from driftline.store._segments import SegmentScan, segment_files, segment_started

__all__ = ["LogReader", "join_labels", "join_outcomes"]

_TICK = dt.timedelta(microseconds=1)
_Local = dict[str, dict[str, list[dict[str, Any]]]]  # day -> segment -> records


class LogReader:
    """One model's slice of the log, read on demand."""

    def __init__(
        self,
        folder: Path,
        store: LogStore,
        model: str,
        *,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
    ) -> None:
        self.store = store
        self.model = model
        # Days outside [since, until] are skipped as the segments are scanned; labels
        # are kept from the day before ``since``, since they come after their predictions.
        self._first = since.astimezone(dt.UTC).date().isoformat() if since else ""
        self._label_first = (
            (since.astimezone(dt.UTC) - dt.timedelta(days=1)).date().isoformat() if since else ""
        )
        self._last = until.astimezone(dt.UTC).date().isoformat() if until else "9999"
        self.scan = SegmentScan()
        self._local_corrupt: dict[str, int] = {}
        self._predictions: _Local = {}
        self._labels: dict[str, _Local] = {model: {}, NO_MODEL: {}}
        self._posted: dict[str, _Local] = {"outcome": {}, "failure": {}}  # this model's
        self._label_tables: dict[str, pa.Table] = {}  # path -> (request_id, label, timestamp)
        self._days: dict[tuple[str, int | None], pa.Table | None] = {}  # for window()
        self._known_days: list[str] | None = None
        self._label_days: dict[str, list[str]] = {}
        self._label_files: dict[tuple[str, str], dict[str, str]] = {}
        self._scan_local(folder)

    def _scan_local(self, folder: Path) -> None:
        for path in segment_files(folder, closed_only=False):
            before = self.scan.corrupt
            opened = segment_started(path)
            for record in self.scan.lines(path):
                model = record.get("model") or NO_MODEL
                kind = record.get("kind", "prediction")
                when = parse_timestamp(record.get("timestamp"))
                if when is None and kind != "prediction":
                    when = opened
                if when is None or "request_id" not in record:
                    continue
                day = when.date().isoformat()
                if kind == "prediction" and model == self.model:
                    if not self._first <= day <= self._last:
                        continue
                    target = self._predictions
                elif kind == "label" and model in self._labels:
                    if day < self._label_first:
                        continue
                    target = self._labels[model]
                elif kind in self._posted and model == self.model:
                    if day < self._label_first:
                        continue
                    target = self._posted[kind]
                else:
                    continue
                record["timestamp"] = when
                target.setdefault(day, {}).setdefault(path.stem, []).append(record)
            if self.scan.corrupt > before:
                self._local_corrupt[path.stem] = self.scan.corrupt - before

    # -- predictions ---------------------------------------------------------------

    def days(self) -> list[str]:
        """Days holding predictions of the model, oldest first (listed once per reader)."""
        if self._known_days is None:
            published = self.store.days("predictions", self.model)
            self._known_days = sorted(set(published) | set(self._predictions))
        return self._known_days

    def local_days(self) -> set[str]:
        """Days with records of the model (predictions or failures) in segments not yet compacted."""
        return set(self._predictions) | set(self._posted["failure"])

    def columns(self, day: str) -> list[str]:
        """Column names of one day's predictions, read from one file's footer."""
        files = self.store.files("predictions", self.model, day)
        names: list[str] = []
        if files:
            names = list(self.store.schema(next(iter(files.values()))).names)
        for records in self._predictions.get(day, {}).values():
            names += records_table(records[:1], "prediction").column_names
            break
        return list(dict.fromkeys(names))

    def day(
        self,
        day: str,
        *,
        version: int | None = None,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
        columns: Sequence[str] | None = None,
    ) -> pa.Table | None:
        """One day's predictions (of ``version``, in ``[start, end)``), or None when there are none.

        With ``columns``, only those are read (each must be a column every record has,
        such as the meta columns).
        """
        condition = None
        if version is not None:
            condition = pads.field("version") == version
        if start is not None:
            after = pads.field("timestamp") >= pa.scalar(start, pa.timestamp("us", tz="UTC"))
            condition = after if condition is None else condition & after
        if end is not None:
            before = pads.field("timestamp") < pa.scalar(end, pa.timestamp("us", tz="UTC"))
            condition = before if condition is None else condition & before
        files = self.store.files("predictions", self.model, day)
        names = list(columns) if columns is not None else None
        tables = [
            self.store.read(path, columns=names, filters=condition) for path in files.values()
        ]
        for segment, records in self._predictions.get(day, {}).items():
            # A segment with a file here was compacted since the scan: the file has its rows.
            if segment not in files:
                local = records_table(records, "prediction")
                local = local.filter(condition) if condition is not None else local
                tables.append(local.select(names) if names is not None else local)
        tables = [t for t in tables if t.num_rows]
        return concat(tables) if tables else None

    def window(
        self,
        start: dt.datetime,
        end: dt.datetime,
        *,
        version: int | None = None,
        labels: bool = False,
    ) -> pa.Table | None:
        """Predictions in ``[start, end)``, with their labels when asked; None when there are none.

        Windows are read in time order: the days a window covers stay in
        memory for the next ones (hourly windows read each day once), the
        days before it are let go.
        """
        first = start.astimezone(dt.UTC).date().isoformat()
        last = (end - _TICK).astimezone(dt.UTC).date().isoformat()
        for key in [k for k in self._days if not first <= k[0] <= last]:
            del self._days[key]
        lo = pa.scalar(start, pa.timestamp("us", tz="UTC"))
        hi = pa.scalar(end, pa.timestamp("us", tz="UTC"))
        parts = []
        for day in (d for d in self.days() if first <= d <= last):
            if (day, version) not in self._days:
                self._days[(day, version)] = self.day(day, version=version)
            table = self._days[(day, version)]
            if table is not None:
                times = table.column("timestamp")
                part = table.filter(pc.and_(pc.greater_equal(times, lo), pc.less(times, hi)))
                if part.num_rows:
                    parts.append(part)
        if not parts:
            return None
        table = concat(parts)
        if labels:
            since = (dt.date.fromisoformat(first) - dt.timedelta(days=1)).isoformat()
            table = join_labels(table, self.labels(table.column("request_id"), since=since))
        return table

    # -- labels --------------------------------------------------------------------

    def labels(self, request_ids: pa.Array, *, since: str) -> pa.Table:
        """The latest label posted for each of ``request_ids``, from labels posted on or after ``since``.

        Labels come after their predictions, so a window's labels were posted
        on its days or later (``since`` leaves a day for clocks that differ).
        Files read stay cached for later windows; older ones are dropped.
        """
        for path in [p for p, t in self._label_tables.items() if _day_of(p) < since]:
            del self._label_tables[path]
        found = []
        for model, local in self._labels.items():
            if model not in self._label_days:  # listed once per reader, like the predictions
                published = self.store.days("labels", model)
                self._label_days[model] = sorted(set(published) | set(local))
            for day in (d for d in self._label_days[model] if d >= since):
                files = self._label_files.get((model, day))
                if files is None:
                    files = self._label_files[(model, day)] = self.store.files("labels", model, day)
                for path in files.values():
                    table = self._label_tables.get(path)
                    if table is None:
                        table = self._label_tables[path] = self.store.read(
                            path, columns=["request_id", "label", "timestamp"]
                        )
                    found.append(table)
                for segment, records in local.get(day, {}).items():
                    if segment not in files:
                        found.append(records_table(records, "label"))
        if not found:
            return pa.table({"request_id": pa.array([], pa.string()), "label": pa.array([])})
        table = concat(found)
        table = table.filter(pc.is_in(table.column("request_id"), value_set=request_ids))
        # A label posted again replaces the earlier one: keep each id's latest.
        table = table.sort_by("timestamp")
        latest: dict[Any, int] = {}
        for i, rid in enumerate(table.column("request_id").to_pylist()):
            latest[rid] = i
        return table.take(pa.array(sorted(latest.values()), pa.int64())).select(
            ["request_id", "label"]
        )

    # -- outcomes and failures -------------------------------------------------------

    def posted(self, kind: str, *, first: str, last: str = "9999") -> pa.Table | None:
        """The model's ``outcome`` or ``failure`` records of days ``first`` to ``last``.

        Outcomes name the request they follow (``request_id``, ``name``, ``value``);
        failures are requests a version could not answer (``version``, ``route``,
        ``rows``, ``error``). None when there are none.
        """
        if kind not in self._posted:
            raise ValueError(f"kind must be 'outcome' or 'failure', got {kind!r}")
        local = self._posted[kind]
        days = sorted(set(self.store.days(f"{kind}s", self.model)) | set(local))
        tables = []
        for day in (d for d in days if first <= d <= last):
            files = self.store.files(f"{kind}s", self.model, day)
            tables += [self.store.read(path) for path in files.values()]
            for segment, records in local.get(day, {}).items():
                if segment not in files:  # compacted since the scan: the file has its rows
                    tables.append(records_table(records, kind))
        tables = [t for t in tables if t.num_rows]
        return concat(tables) if tables else None

    # -- damage --------------------------------------------------------------------

    def corrupt_lines(self, lo: dt.datetime | None = None, hi: dt.datetime | None = None) -> int:
        """Lines of the log that failed their checksum, here and in segments compacted already.

        Compacted ones count when their segment's records span ``[lo, hi]``
        (or always, when the span is unknown): a damaged line names no model.
        """
        total = sum(self._local_corrupt.values())
        for note in self.store.dropped():
            if note.get("segment") in self._local_corrupt:
                continue  # compacted since the scan: counted above
            first, last = parse_timestamp(note.get("from")), parse_timestamp(note.get("to"))
            if lo is not None and last is not None and last < lo:
                continue
            if hi is not None and first is not None and first > hi:
                continue
            total += int(note.get("lines", 0))
        return total


def join_labels(table: pa.Table, labels: pa.Table) -> pa.Table:
    """``table`` with a ``label`` column where a label arrived (rows keep their order)."""
    if not labels.num_rows:
        return table
    found = dict(
        zip(
            labels.column("request_id").to_pylist(), labels.column("label").to_pylist(), strict=True
        )
    )
    column = [found.get(rid) for rid in table.column("request_id").to_pylist()]
    return table.append_column("label", pa.array(column, labels.schema.field("label").type))


def join_outcomes(table: pa.Table, posted: pa.Table | None, names: Sequence[str]) -> pa.Table:
    """``table`` with an ``outcome:NAME`` column per name: the value last posted for each row's
    request id, null where none was (rows keep their order)."""
    latest: dict[str, dict[Any, Any]] = {name: {} for name in names}
    if posted is not None and posted.num_rows:
        ordered = posted.sort_by("timestamp")
        for rid, name, value in zip(
            ordered.column("request_id").to_pylist(),
            ordered.column("name").to_pylist(),
            ordered.column("value").to_pylist(),
            strict=True,
        ):
            if name in latest:
                latest[name][rid] = value
    ids = table.column("request_id").to_pylist()
    for name in names:
        values = [latest[name].get(rid) for rid in ids]
        table = table.append_column(f"outcome:{name}", pa.array(values, pa.float64()))
    return table


def _day_of(path: str) -> str:
    part = next((p for p in path.split("/") if p.startswith("date=")), "date=")
    return part[len("date=") :]
