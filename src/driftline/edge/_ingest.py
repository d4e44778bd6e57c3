"""Bring an edge bundle's prediction logs into the inference log, each prediction once.

The runner gives every prediction an id; ingesting reads the files (a folder
means its ``predictions.log`` and rotated ``predictions.log.N``, oldest
first), leaves out the ids the log already holds for those days, and appends
the rest as route ``edge``. One ingest at a time per workspace (a ``flock``),
so two copies of the same file sent at once still add each prediction once;
after a crash half-way, ingesting again adds what is missing and nothing twice.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import fcntl
import json
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from driftline import audit, registry
from driftline.edge._words import ingested_sentence
from driftline.errors import DataNotFoundError, InputError
from driftline.store import InferenceLog

if TYPE_CHECKING:
    from driftline.store import Context

__all__ = ["ROUTE", "IngestReport", "ingest"]

ROUTE = "edge"
LOG_NAME = "predictions.log"


@dataclasses.dataclass(frozen=True)
class IngestReport:
    """What an ingest read, added and left out."""

    model: str
    files: int
    read: int
    added: int
    duplicates: int
    unreadable: int
    versions: list[int]
    first: dt.datetime | None
    last: dt.datetime | None

    @property
    def sentence(self) -> str:
        return ingested_sentence(
            self.model, self.added, self.duplicates, self.unreadable, self.files
        )

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["first"] = self.first.isoformat() if self.first else None
        d["last"] = self.last.isoformat() if self.last else None
        d["sentence"] = self.sentence
        return d


def log_files(paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]) -> list[Path]:
    """The files to read: those given, and each folder's prediction logs, oldest first."""
    given = [paths] if isinstance(paths, str | os.PathLike) else list(paths)
    found: list[Path] = []
    for item in map(Path, given):
        if item.is_dir():
            rotated = sorted(
                item.glob(f"{LOG_NAME}.*"),
                key=lambda p: int(p.suffix[1:]) if p.suffix[1:].isdigit() else 0,
                reverse=True,
            )
            found += [*rotated, *([item / LOG_NAME] if (item / LOG_NAME).exists() else [])]
        elif item.is_file():
            found.append(item)
        else:
            raise DataNotFoundError(
                f"there is no file or folder at {str(item)!r}; give the bundle's log folder "
                "or its predictions.log files",
                path=str(item),
            )
    return found


def _parse(line: bytes, model: str) -> dict[str, Any] | None:
    """A log line as an inference-log record, or None when it cannot be read."""
    try:
        raw = json.loads(line)
        when = dt.datetime.fromisoformat(raw["time"])
        rid, version, inputs = raw["id"], raw["version"], raw["inputs"]
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(rid, str) or not rid or not isinstance(inputs, dict):
        return None
    if isinstance(version, bool) or not isinstance(version, int) or "prediction" not in raw:
        return None
    if raw.get("model") != model:
        raise InputError(
            f"the log holds predictions of model {raw.get('model')!r}, not {model!r}; "
            f"ingest it as {raw.get('model')}@ALIAS"
        )
    when = when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)
    return {
        "kind": "prediction",
        "request_id": rid,
        "timestamp": when.isoformat(),
        "model": model,
        "version": version,
        "route": ROUTE,
        "latency_ms": raw.get("latency_ms"),
        "inputs": inputs,
        "prediction": raw["prediction"],
        "probabilities": raw.get("probabilities"),
    }


def _read(files: list[Path], model: str) -> tuple[list[dict[str, Any]], int, int]:
    """Records of every readable line (each id once), lines read, and lines unreadable."""
    records: dict[str, dict[str, Any]] = {}
    read = unreadable = 0
    for path in files:
        with open(path, "rb") as f:
            for line in f:
                if not line.strip():
                    continue
                read += 1
                record = _parse(line, model)
                if record is None:
                    unreadable += 1
                else:
                    records.setdefault(record["request_id"], record)
    return list(records.values()), read, unreadable


@contextlib.contextmanager
def _one_at_a_time(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "ingest.lock", "a+b") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)  # the kernel releases it if we are killed
        yield


def _known_ids(log: InferenceLog, model: str, first: dt.datetime, last: dt.datetime) -> set[str]:
    """Request ids the log holds for ``model`` on the days from ``first`` to ``last``."""
    reader = log.reader(model, since=first, until=last)
    lo, hi = first.date().isoformat(), last.date().isoformat()
    known: set[str] = set()
    for day in reader.days():
        if lo <= day <= hi:
            table = reader.day(day)
            if table is not None:
                known.update(str(v) for v in table.column("request_id").to_pylist())
    return known


def ingest(
    ctx: Context,
    ref: str,
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    actor: str | None = None,
) -> IngestReport:
    """Append the predictions of an edge bundle's log files to ``ref``'s inference log."""
    mv = registry.get(ctx, ref)
    files = log_files(paths)
    records, read, unreadable = _read(files, mv.name)
    versions = sorted({int(r["version"]) for r in records})
    for number in versions:
        registry.get(ctx, f"{mv.name}:{number}")  # a version this workspace does not know: stop
    times = [dt.datetime.fromisoformat(r["timestamp"]) for r in records]
    first, last = (min(times), max(times)) if times else (None, None)
    log = InferenceLog.open(ctx.settings)
    try:
        with _one_at_a_time(log.root):
            known = _known_ids(log, mv.name, first, last) if first and last else set()
            new = [r for r in records if r["request_id"] not in known]
            for future in [log.append(r) for r in new]:
                future.result()
    finally:
        log.close()  # seals the segment, so compaction can take it
    report = IngestReport(
        mv.name,
        len(files),
        read,
        len(new),
        read - unreadable - len(new),  # in the log already, or twice in these files
        unreadable,
        versions,
        first,
        last,
    )
    if new:
        with ctx.db.write() as s:
            audit.append(
                s,
                actor=actor or ctx.settings.actor,
                action="log.ingest",
                subject=mv.name,
                payload={"route": ROUTE, "added": len(new), "versions": versions},
            )
    return report
