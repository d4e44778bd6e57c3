"""Compaction: closed segments become Parquet in the log store, crash-safe at every step.

For each closed segment, in order: read it (counting damaged lines), write one
file per (kind, model, day) named after the segment, unless that file is
already there, record the damaged-line count, and only then delete the
segment. Records become Arrow a chunk at a time and each file is written a row
group at a time from chunks spilled to local scratch space (``_spill``), so
memory stays bounded however large the segment; a file is published whole, by
a rename or one upload, once it is complete. A ``kill -9`` anywhere leaves either the segment (compacted again
next time, its finished files skipped) or every file and no segment: nothing
is lost and, because readers skip the part of a segment whose file exists
(see ``_logread``), nothing is counted twice.

One compaction at a time per log folder (a ``flock``), so the server's workers
and ``driftline log compact`` may all ask for one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import fcntl
import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa

from driftline.store._logstore import NO_MODEL, LogStore
from driftline.store._segments import SegmentScan, closed_segments, segment_started
from driftline.store._spill import SpilledTable, as_texts

__all__ = [
    "KINDS",
    "META_COLUMNS",
    "RESERVED",
    "Compaction",
    "compact",
    "compact_held",
    "concat",
    "exclusive",
    "parse_timestamp",
    "records_table",
]

# What a record can be: an answer, a label or an outcome posted later by request id, or a
# request a version failed to answer (so that error rates compare between versions).
KINDS = ("prediction", "label", "outcome", "failure")
# Columns of the kinds that are not predictions, in the order their tables hold them.
_COLUMNS = {
    "label": ("request_id", "label", "timestamp"),
    "outcome": ("request_id", "name", "value", "timestamp"),
    "failure": ("request_id", "timestamp", "version", "route", "rows", "error", "latency_ms"),
}
PREDICTION_COLUMNS = ("request_id", "timestamp", "version", "route", "latency_ms", "prediction")
META_COLUMNS = (
    "request_id",
    "timestamp",
    "model",
    "version",
    "route",
    "latency_ms",
    "prediction",
    "probabilities",
    "request_key",
    "guard_score",  # how unlike training the input was, where a deployment guards them
    "unlike_training",
)
# Names an input cannot take as its column: they are the record's own.
RESERVED = frozenset((*META_COLUMNS, "label", "kind"))
_CHUNK = 20_000  # records held before they are turned into Arrow and spilled to disk


@dataclasses.dataclass(frozen=True)
class Compaction:
    """What one compaction moved."""

    segments: int = 0
    predictions: int = 0
    labels: int = 0
    files: int = 0
    corrupt: int = 0  # lines dropped: failed their checksum, or not a record the log knows
    outcomes: int = 0
    failures: int = 0

    def to_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)


@contextmanager
def exclusive(folder: Path) -> Iterator[None]:
    """Hold the log folder's compaction lock: what changes its files takes turns with compaction."""
    folder.mkdir(parents=True, exist_ok=True)
    # Beside the segments, not among them: their folder holds segments only.
    with open(folder.parent / "compact.lock", "a+b") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)  # released by the kernel if we are killed
        yield


def compact(folder: Path, store: LogStore, scan: SegmentScan | None = None) -> Compaction:
    """Move every closed segment of ``folder`` into ``store``."""
    with exclusive(folder):
        return compact_held(folder, store, scan)


def compact_held(folder: Path, store: LogStore, scan: SegmentScan | None = None) -> Compaction:
    """:func:`compact`, by a caller already holding :func:`exclusive`."""
    scan = scan or SegmentScan()
    total = Compaction()
    # Chunks and files being written, on local disk: what a run cut short left is cleared.
    scratch = folder.parent / "compacting"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    try:
        for path in closed_segments(folder):
            done = _compact_one(path, store, scan, scratch)
            total = Compaction(*(a + b for a, b in zip(_values(total), _values(done), strict=True)))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return total


def _values(c: Compaction) -> tuple[int, ...]:
    return dataclasses.astuple(c)


class _Group:
    """Records of one (kind, model, day), turned into Arrow and spilled a chunk at a time.

    ``spill`` is None when the file is already published (a run cut short after
    writing it): its records are counted, not kept.
    """

    def __init__(self, kind: str, spill: SpilledTable | None) -> None:
        self.kind = kind
        self.spill = spill
        self.pending: list[dict[str, Any]] = []
        self.rows = 0

    def add(self, record: dict[str, Any]) -> None:
        self.rows += 1
        if self.spill is not None:
            self.pending.append(record)

    def flush(self) -> None:
        if self.pending and self.spill is not None:
            self.spill.add(records_table(self.pending, self.kind))
        self.pending = []


def _compact_one(path: Path, store: LogStore, scan: SegmentScan, scratch: Path) -> Compaction:
    groups: dict[tuple[str, str, str], _Group] = {}
    before, unusable, pending = scan.corrupt, 0, 0
    first: dt.datetime | None = None
    last: dt.datetime | None = None
    opened = segment_started(path)
    for record in scan.lines(path):
        kind = record.get("kind", "prediction")
        when = parse_timestamp(record.get("timestamp"))
        if when is None and kind != "prediction":
            when = opened  # a label sent without a time: no earlier than its segment
        if kind not in KINDS or when is None or "request_id" not in record:
            unusable += 1
            continue
        record["timestamp"] = when
        first = when if first is None or when < first else first
        last = when if last is None or when > last else last
        model = str(record.get("model") or NO_MODEL)
        where = (f"{kind}s", model, when.date().isoformat())
        group = groups.get(where)
        if group is None:
            done = store.exists(_key(where, path))
            spill = None if done else SpilledTable(scratch, f"{len(groups)}")
            group = groups[where] = _Group(kind, spill)
        group.add(record)
        pending += 1
        if pending >= _CHUNK:  # bounded memory: a chunk of records at a time, over all groups
            for g in groups.values():
                g.flush()
            pending = 0
    corrupt = scan.corrupt - before + unusable
    files = 0
    for where, group in groups.items():
        group.flush()
        if group.spill is not None:
            local = scratch / f"{group.spill.name}.parquet.part"
            group.spill.write_parquet(local)
            store.publish_file(_key(where, path), local)
            files += 1
    if corrupt:
        key = f"dropped/{path.stem}.json"
        if not store.exists(key):
            note = {
                "segment": path.stem,
                "lines": corrupt,
                "from": first.isoformat() if first else None,
                "to": last.isoformat() if last else None,
            }
            store.publish(key, json.dumps(note).encode())
    path.unlink(missing_ok=True)  # last: everything above is published by now
    return Compaction(
        segments=1,
        predictions=sum(g.rows for (k, _, _), g in groups.items() if k == "predictions"),
        labels=sum(g.rows for (k, _, _), g in groups.items() if k == "labels"),
        outcomes=sum(g.rows for (k, _, _), g in groups.items() if k == "outcomes"),
        failures=sum(g.rows for (k, _, _), g in groups.items() if k == "failures"),
        files=files,
        corrupt=corrupt,
    )


def _key(where: tuple[str, str, str], segment: Path) -> str:
    kind, model, day = where
    return f"{LogStore.partition(kind, model, day)}/{segment.stem}.parquet"


def parse_timestamp(value: Any) -> dt.datetime | None:
    try:
        when = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)


def records_table(records: list[dict[str, Any]], kind: str) -> pa.Table:
    """Arrow columns from log records: meta columns, then each input as its own column."""
    columns: dict[str, list[Any]] = {}
    n = len(records)
    if kind in _COLUMNS:
        for name in _COLUMNS[kind]:
            columns[name] = [r.get(name) for r in records]
    else:
        for name in PREDICTION_COLUMNS:
            columns[name] = [r.get(name) for r in records]
        for name in ("probabilities", "request_key", "guard_score", "unlike_training"):
            # kept only when some record has one
            if any(r.get(name) is not None for r in records):
                columns[name] = [r.get(name) for r in records]
        for i, r in enumerate(records):
            for name, value in (r.get("inputs") or {}).items():
                if name in RESERVED:
                    name = f"input:{name}"
                column = columns.get(name)
                if column is None:
                    column = columns[name] = [None] * n
                column[i] = value
    arrays = {}
    for name, values in columns.items():
        if name == "timestamp":
            arrays[name] = pa.array(values, pa.timestamp("us", tz="UTC"))
        else:
            arrays[name] = _array(values)
    return pa.table(arrays)


def _array(values: list[Any]) -> pa.Array:
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        # Mixed kinds in one column (1 and "1"): kept as text rather than refused.
        return pa.array(as_texts(values), pa.string())


def concat(tables: list[pa.Table]) -> pa.Table:
    """One table from several whose column types may differ (int here, float or text there)."""
    if len(tables) == 1:
        return tables[0]
    try:
        return pa.concat_tables(tables, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        kinds: dict[str, set[pa.DataType]] = {}
        for t in tables:
            for f in t.schema:
                if not pa.types.is_null(f.type):
                    kinds.setdefault(f.name, set()).add(f.type)
        mixed = {name for name, found in kinds.items() if len(found) > 1}
        as_text = []
        for t in tables:
            for name in mixed & set(t.column_names):
                i = t.column_names.index(name)
                t = t.set_column(
                    i, name, pa.array(as_texts(t.column(name).to_pylist()), pa.string())
                )
            as_text.append(t)
        return pa.concat_tables(as_text, promote_options="permissive")
