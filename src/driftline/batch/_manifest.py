"""What a batch run has committed: its partitions, their digests, and the job they belong to.

The output folder holds one data file per partition and ``_manifest.json``.
A partition is committed when the manifest names it: its files are written
under a temporary name, fsynced and renamed first, then the manifest is
rewritten the same way (and the folder fsynced), so ``kill -9`` at any moment
leaves either the old manifest or the new one, never a half-written file
under a final name. Files a killed run left behind that the manifest does not
name are written again, byte for byte the same, by the next run.

The manifest also holds the job (model version, input fingerprint, chunk
size, key, format): a run that finds a manifest of another job refuses,
rather than mixing two jobs' rows in one folder.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from driftline.errors import InputError
from driftline.io import table_paths

__all__ = [
    "MANIFEST",
    "Job",
    "Manifest",
    "Part",
    "input_fingerprint",
    "remove_leftovers",
    "write_atomic",
]

MANIFEST = "_manifest.json"
FORMAT = 1
_TMP = ".tmp-"
_BLOCK = 1 << 20


@dataclasses.dataclass(frozen=True)
class Job:
    """What makes two runs the same job: the same rows cut the same way, scored by one version."""

    model: str
    version: int
    input: str  # the input's fingerprint
    chunk_rows: int
    key: str | None
    fmt: str

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class Part:
    """One committed partition: rows ``first_row`` to ``first_row + rows - 1`` of the input."""

    index: int
    first_row: int
    rows: int
    scored: int
    rejected: int
    file: str
    sha256: str
    profile_file: str
    profile_sha256: str
    rejects_file: str | None = None
    rejects_sha256: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass
class Manifest:
    job: Job
    parts: dict[int, Part] = dataclasses.field(default_factory=dict)
    complete: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "job": self.job.to_dict(),
            "complete": self.complete,
            "parts": [self.parts[i].to_dict() for i in sorted(self.parts)],
        }

    def digest(self) -> str:
        """sha256 of the committed partitions (files and digests), in order: the output's identity."""
        parts = [self.parts[i].to_dict() for i in sorted(self.parts)]
        body = json.dumps(parts, sort_keys=True, separators=(",", ":")).encode("utf-8")
        return "sha256:" + hashlib.sha256(body).hexdigest()

    def save(self, folder: Path) -> None:
        body = json.dumps(self.to_dict(), indent=1, sort_keys=True).encode("utf-8")
        write_atomic(folder / MANIFEST, body)

    @classmethod
    def load(cls, folder: Path) -> Manifest | None:
        path = folder / MANIFEST
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") != FORMAT:
                raise ValueError(f"format {data.get('format')!r}")
            job = Job(**data["job"])
            parts = {p["index"]: Part(**p) for p in data["parts"]}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InputError(
                f"the output folder {str(folder)!r} holds a batch manifest that cannot be read "
                f"({exc}); give an empty or new folder as the output"
            ) from exc
        return cls(job, parts, bool(data.get("complete")))

    @property
    def rows(self) -> int:
        return sum(p.rows for p in self.parts.values())

    @property
    def scored(self) -> int:
        return sum(p.scored for p in self.parts.values())

    @property
    def rejected(self) -> int:
        return sum(p.rejected for p in self.parts.values())


def write_atomic(path: Path, data: bytes) -> str:
    """Write ``data`` to ``path`` all or nothing; its sha256 (hex).

    Temp name, fsync, rename over the final name, fsync the folder: after a
    crash the final name holds the old bytes or the new ones.
    """
    tmp = path.with_name(f".{path.name}{_TMP}{os.getpid()}")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)
    return hashlib.sha256(data).hexdigest()


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_leftovers(folder: Path) -> int:
    """Delete temp files a killed run left (never a committed file); how many."""
    removed = 0
    for path in folder.rglob(f".*{_TMP}*"):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            removed += 1
    return removed


def input_fingerprint(path: Path) -> str:
    """sha256 over the input's files: their names (relative), sizes and bytes.

    Streams each file in 1 MiB blocks, so memory stays flat; a changed byte,
    an added file or a renamed one changes it.
    """
    files = table_paths(path, what="the input")
    base = path if path.is_dir() else path.parent
    h = hashlib.sha256()
    for file in files:
        h.update(f"{file.relative_to(base).as_posix()}\x1f{file.stat().st_size}\x1e".encode())
        with open(file, "rb") as f:
            while block := f.read(_BLOCK):
                h.update(block)
    return "sha256:" + h.hexdigest()
