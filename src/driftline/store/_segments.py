"""Segment files of the inference log: the line format, who still writes a file, reading back.

A line is ``<crc32 as 8 hex digits> <json>\\n``. A line that fails its checksum
(a torn tail after a power loss, a flipped bit, a hand edit) is dropped, and
counted: a log that lost lines must not read like a quiet one.

A writer holds an exclusive ``flock`` on its open segment for as long as it
writes it, so a reader tells a live writer's segment from one a dead process
left behind by asking for the lock; the kernel releases it on ``kill -9``. A
process id would not do: in a container a restarted server has the same one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import logging
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

__all__ = [
    "NEW",
    "OPEN",
    "SEALED",
    "SegmentScan",
    "closed_segments",
    "decode",
    "encode",
    "frame_line",
    "lock_exclusive",
    "segment_files",
    "segment_started",
    "writer_alive",
]

NEW, OPEN, SEALED = ".new", ".open", ".seg"
_JSON = json.JSONEncoder(separators=(",", ":"), default=str, allow_nan=True)
logger = logging.getLogger("driftline.log")


def encode(record: dict[str, Any]) -> bytes:
    return frame_line(_JSON.encode(record).encode("utf-8"))


def frame_line(body: bytes) -> bytes:
    """A segment line for one record's JSON: its checksum, the JSON, a newline."""
    return b"%08x %s\n" % (zlib.crc32(body), body)


def decode(line: bytes) -> dict[str, Any] | None:
    """A record, or None for a torn or corrupt line."""
    if not line.endswith(b"\n") or len(line) < 10 or line[8:9] != b" ":
        return None
    body = line[9:-1]
    try:
        if int(line[:8], 16) != zlib.crc32(body):
            return None
        record = json.loads(body)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


def lock_exclusive(file: IO[bytes]) -> None:
    """Mark ``file`` as written by this process until it is closed."""
    fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def writer_alive(path: Path) -> bool:
    """Whether some process (this one included) still holds ``path`` open for writing."""
    try:
        with open(path, "rb") as f:
            try:
                fcntl.flock(f.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            return False
    except FileNotFoundError:
        return False


def segment_files(folder: Path, *, closed_only: bool) -> list[Path]:
    """Segments in write order; with ``closed_only``, none that a live writer holds."""
    out = []
    with contextlib.suppress(FileNotFoundError):
        for path in sorted(folder.iterdir()):
            if path.suffix == SEALED or (
                path.suffix == OPEN and (not closed_only or not writer_alive(path))
            ):
                out.append(path)
    return out


def closed_segments(folder: Path) -> list[Path]:
    """Segments ready to compact; removes the empty ``.new`` files a crash left behind."""
    with contextlib.suppress(FileNotFoundError):
        for path in folder.iterdir():
            if path.suffix == NEW and not writer_alive(path):
                # Created and killed before its rename to .open: it was never written.
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
    return segment_files(folder, closed_only=True)


@dataclass
class SegmentScan:
    """Reads segments, counting the lines dropped; warns once per segment it found damaged."""

    corrupt: int = 0
    _warned: set[str] = field(default_factory=set)

    def lines(self, path: Path) -> Iterator[dict[str, Any]]:
        """The intact records of ``path``; a segment removed meanwhile yields nothing more.

        A segment listed open and sealed before it was opened is read under its sealed
        name: sealing renames it, and only a compacted segment is gone for good (its
        records are then in the files the store lists after the segments).
        """
        dropped = 0
        f = _open_segment(path)
        if f is None:
            return
        sealed = not f.name.endswith(OPEN)
        try:
            with f:
                for line in f:
                    record = decode(line)
                    if record is not None:
                        yield record
                    elif line.endswith(b"\n") or sealed:
                        dropped += 1
                    # else: the tail of an open segment, a write still under way (or cut
                    # by kill -9 before it returned, so never acknowledged): not damage.
        finally:
            self.corrupt += dropped
            if dropped and path.name not in self._warned:
                self._warned.add(path.name)
                logger.warning(
                    "the inference log segment %s has %d line(s) that failed their checksum; "
                    "they were left out",
                    path.name,
                    dropped,
                )

    def count(self, path: Path) -> tuple[list[dict[str, Any]], int]:
        """All intact records of ``path`` and how many lines it dropped."""
        before = self.corrupt
        records = list(self.lines(path))
        return records, self.corrupt - before


def _open_segment(path: Path) -> IO[bytes] | None:
    """``path`` opened for reading, under its sealed name if it was sealed since it was listed."""
    try:
        return open(path, "rb")
    except FileNotFoundError:
        pass
    if path.suffix == OPEN:
        with contextlib.suppress(FileNotFoundError):
            return open(path.with_suffix(SEALED), "rb")
    return None  # compacted since it was listed


def segment_started(path: Path) -> dt.datetime:
    """When the segment was opened, from its name: no record in it is older."""
    try:
        seconds = int(path.name.split("-", 1)[0]) / 1e9
    except ValueError:
        seconds = 0.0
    return dt.datetime.fromtimestamp(seconds, dt.UTC)
