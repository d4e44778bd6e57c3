"""Forgetting one person: every logged record of theirs leaves the segments and the Parquet files.

A person is found by the key their requests were sent with (the caller's
key, often a customer id) or by the value of one input column. Their
predictions are found first, everywhere; then every record naming one of
those request ids goes: the predictions, the labels and outcomes posted for
them, the shadow's copies.

Crash-safe: each file concerned is written anew beside itself and renamed
over it (a rename is atomic on a local disk, a PUT whole on an object
store), so ``kill -9`` leaves each file as it was or without the person,
never half-written; running again finishes what a killed run left. It runs
under the compaction lock, so no compaction moves a segment while it is
rewritten. The segment a live server still writes cannot be rewritten
under it: the person's records there are counted as pending, to be removed
by a run after the server seals it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from driftline.store._compact import RESERVED, exclusive
from driftline.store._logstore import NO_MODEL, LogStore
from driftline.store._segments import SEALED, decode, segment_files, writer_alive

__all__ = ["Forgotten", "Subject", "forget"]

KEY_FIELD = "request_key"
_REWRITE = ".forget"  # a segment being rewritten: no reader or compactor takes this suffix
_SHADOW = "~shadow"


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def same(found: Any, value: str) -> bool:
    """Whether a logged value is ``value``: the same text, or the same number."""
    if found is None:
        return False
    if isinstance(found, str):
        return found == value
    if isinstance(found, bool):
        return str(found).lower() == value.lower()
    if isinstance(found, int | float):
        number = _number(value)
        return number is not None and float(found) == number
    return False


@dataclasses.dataclass(frozen=True)
class Subject:
    """Who to forget: whose requests carried key ``value``, or whose input ``column`` was it."""

    value: str
    column: str | None = None

    @property
    def parquet_column(self) -> str:
        if self.column is None:
            return KEY_FIELD
        return f"input:{self.column}" if self.column in RESERVED else self.column

    def matches(self, record: dict[str, Any]) -> bool:
        if record.get("kind", "prediction") != "prediction":
            return False
        if self.column is None:
            return same(record.get(KEY_FIELD), self.value)
        return same((record.get("inputs") or {}).get(self.column), self.value)

    def mask(self, column: pa.ChunkedArray) -> pa.ChunkedArray | None:
        """Which rows of a Parquet column hold the value, as :func:`same` decides; None: none can."""
        kind = column.type
        if pa.types.is_string(kind) or pa.types.is_large_string(kind):
            return pc.equal(column, self.value)
        if pa.types.is_integer(kind) or pa.types.is_floating(kind):
            number = _number(self.value)
            return None if number is None else pc.equal(pc.cast(column, pa.float64()), number)
        if pa.types.is_boolean(kind):
            flag = {"true": True, "false": False}.get(self.value.lower())
            return None if flag is None else pc.equal(column, flag)
        return None


@dataclasses.dataclass(frozen=True)
class Forgotten:
    """What was removed, by kind of record (``predictions``, ``labels``, ...), and what waits."""

    removed: dict[str, int]
    files: int  # Parquet files rewritten or deleted
    segments: int  # segments rewritten or deleted
    pending: int  # records in a segment a live server still writes

    @property
    def records(self) -> int:
        return sum(self.removed.values())

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "records": self.records}


def _lines(path: Path) -> tuple[Path, list[bytes]] | None:
    """A segment's lines; a live segment sealed meanwhile is read under its new name."""
    for candidate in (path, path.with_suffix(SEALED)):
        with contextlib.suppress(FileNotFoundError):
            return candidate, candidate.read_bytes().splitlines(keepends=True)
    return None


def _in_scope(record: dict[str, Any], models: set[str] | None) -> bool:
    return models is None or str(record.get("model") or NO_MODEL) in models


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _replace_segment(path: Path, lines: list[bytes]) -> None:
    if not lines:
        path.unlink(missing_ok=True)
    else:
        tmp = path.with_name(path.name + _REWRITE)
        with open(tmp, "wb") as f:
            f.writelines(lines)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    _fsync_dir(path.parent)


class _Run:
    """One forgetting, under the compaction lock."""

    def __init__(self, store: LogStore, subject: Subject, model: str | None) -> None:
        self.store, self.subject, self.model = store, subject, model
        # Records of other models' traffic stay, whatever their request ids.
        self.scope = None if model is None else {model, NO_MODEL}
        self.removed: Counter[str] = Counter()
        self.request_ids: dict[str, pa.ChunkedArray] = {}  # path -> its request ids, read once
        self.files = self.segments = self.pending = 0

    def models(self, kind: str) -> list[str]:
        if self.model is None:
            return self.store.models(kind)
        # Labels and outcomes sent without a model may belong to this model's requests.
        return [self.model] if kind == "predictions" else [self.model, NO_MODEL]

    def parquet(self, kind: str) -> Iterator[tuple[str, str]]:
        """(key, path) of every published file of ``kind`` in scope; stale temp files go."""
        for model in self.models(kind):
            for day in self.store.days(kind, model):
                for path in self.store.leftovers(kind, model, day):
                    self.store.remove(path)
                folder = LogStore.partition(kind, model, day)
                for name, path in self.store.files(kind, model, day).items():
                    yield f"{folder}/{name}.parquet", path

    def find(self, segments: list[Path]) -> set[str]:
        """The request ids of the person's predictions, in segments and Parquet files."""
        ids: set[str] = set()
        scope = None if self.model is None else {self.model}
        for path in segments:
            found = _lines(path)
            for line in found[1] if found else []:
                record = decode(line)
                if record and _in_scope(record, scope) and self.subject.matches(record):
                    ids.add(str(record.get("request_id")))
        column = self.subject.parquet_column
        for _, file in self.parquet("predictions"):
            table = self.store.read_present(file, ["request_id", column])
            self.request_ids[file] = table.column("request_id")  # the removal reads them again
            if column not in table.column_names:
                continue
            mask = self.subject.mask(table.column(column))
            if mask is not None:
                ids.update(
                    str(i)
                    for i in table.filter(pc.fill_null(mask, False))["request_id"].to_pylist()
                )
        # A shadow's copy answers the same request; a label names the request, not the copy.
        return ids | {f"{i}{_SHADOW}" for i in ids} | {i.removesuffix(_SHADOW) for i in ids}

    def remove_from_segments(self, segments: list[Path], ids: set[str]) -> None:
        raw_value = self.subject.value.encode("utf-8")
        for listed in segments:
            live = writer_alive(listed)
            found = _lines(listed)
            if found is None:
                continue  # compacted and deleted meanwhile: its files are read below
            path, lines = found
            kept, gone, damaged = [], Counter[str](), 0
            for line in lines:
                record = decode(line)
                if record is None:
                    # A damaged line cannot be read, so it cannot be cleared of the value either.
                    if raw_value in line and not live:
                        damaged += 1
                    else:
                        kept.append(line)
                elif str(record.get("request_id")) in ids and _in_scope(record, self.scope):
                    gone[f"{record.get('kind', 'prediction')}s"] += 1
                else:
                    kept.append(line)
            if not gone and not damaged:
                continue
            if live:
                self.pending += sum(gone.values())
                continue
            _replace_segment(path, kept)
            self.removed.update(gone)
            self.segments += 1

    def remove_from_parquet(self, ids: set[str]) -> None:
        wanted = pa.array(sorted(ids), pa.string())
        for kind in self.store.kinds():
            for key, path in self.parquet(kind):
                rids = self.request_ids.get(path)
                if rids is None:
                    rids = self.store.read(path, columns=["request_id"]).column("request_id")
                hit = pc.is_in(pc.cast(rids, pa.string()), value_set=wanted)
                count = pc.sum(hit).as_py() or 0
                if not count:
                    continue
                table = self.store.read(path)
                keep = pc.invert(
                    pc.is_in(pc.cast(table["request_id"], pa.string()), value_set=wanted)
                )
                rest = table.filter(keep)
                if rest.num_rows:
                    self.store.publish_table(key, rest)
                else:
                    self.store.remove(path)
                self.removed[kind] += int(count)
                self.files += 1


def _stale_rewrites(folder: Path) -> Iterable[Path]:
    with contextlib.suppress(FileNotFoundError):
        yield from (p for p in folder.iterdir() if p.name.endswith(_REWRITE))


def forget(
    folder: Path, store: LogStore, subject: Subject, *, model: str | None = None
) -> Forgotten:
    """Remove every record of ``subject`` (of ``model``'s traffic only, when given) from the
    log's segments in ``folder`` and its files in ``store``."""
    run = _Run(store, subject, model)
    with exclusive(folder):
        for path in list(_stale_rewrites(folder)):  # a run killed mid-rewrite left it
            path.unlink(missing_ok=True)
        segments = segment_files(folder, closed_only=False)
        ids = run.find(segments)
        if ids:
            run.remove_from_segments(segments, ids)
            run.remove_from_parquet(ids)
    return Forgotten(dict(run.removed), run.files, run.segments, run.pending)
