"""Retention: whole days of the compacted log deleted once they are older than a cutoff.

The log store is partitioned by model and day, and its files are immutable,
so retention deletes whole day partitions and rewrites nothing. Closed
segments are compacted first, under the compaction lock held for the whole
run, so records of an old day still waiting in a segment reach their
partition and go with it, and no compaction can publish into a day while it
is being deleted. A day goes only when all of it is older than the cutoff.

The caller is told what will be deleted (``record``) before anything is,
so the audit chain never lacks a deletion that happened; a run cut short
leaves whole files (each deletion is one file) and the next run deletes the
rest.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from driftline.store._compact import compact_held, exclusive
from driftline.store._logstore import LogStore
from driftline.store._segments import SegmentScan

__all__ = ["Partition", "prune"]


@dataclasses.dataclass(frozen=True)
class Partition:
    """One day of one kind of record (``predictions``, ``labels``, ...) of one model."""

    kind: str
    model: str
    day: str
    files: tuple[str, ...]
    rows: int

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "model": self.model, "day": self.day, "rows": self.rows}


def _expired(store: LogStore, before: dt.date, model: str | None) -> list[Partition]:
    last = before.isoformat()
    found = []
    for kind in store.kinds():
        # Labels sent without a model belong to none: pruned when every model is.
        models = store.models(kind) if model is None else [model]
        for name in models:
            for day in store.days(kind, name):
                if day >= last:
                    continue
                files = tuple(store.files(kind, name, day).values())
                files += tuple(store.leftovers(kind, name, day))
                rows = sum(store.rows(f) for f in files if f.endswith(".parquet"))
                if files:
                    found.append(Partition(kind, name, day, files, rows))
    return found


def prune(
    folder: Path,
    store: LogStore,
    *,
    before: dt.date,
    model: str | None = None,
    record: Callable[[list[Partition]], None] | None = None,
    scan: SegmentScan | None = None,
) -> list[Partition]:
    """Delete every day partition of ``store`` dated before ``before``; returns them.

    The closed segments of ``folder`` are compacted into ``store`` first.

    ``model`` limits it to one model's days (labels sent without a model
    are then kept). ``record`` is called with the partitions before any is
    deleted, and nothing is deleted if it raises.
    """
    with exclusive(folder):
        compact_held(folder, store, scan)
        expired = _expired(store, before, model)
        if expired and record is not None:
            record(expired)
        for partition in expired:
            for path in partition.files:
                store.remove(path)
    return expired
