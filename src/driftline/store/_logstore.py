"""Where the compacted inference log lives: immutable Parquet files on any fsspec URL.

Layout, partitioned by model and day so a reader opens only the days it needs::

    predictions/model=NAME/date=YYYY-MM-DD/<segment>.parquet
    labels/model=NAME/date=YYYY-MM-DD/<segment>.parquet
    dropped/<segment>.json          lines of that segment that failed their checksum

Each file is named after the segment it came from. Segments have names unique
across processes and hosts, so several servers publish into one bucket without
coordination, and compacting a segment again (after a crash) finds its files
already there instead of adding a second copy.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import functools
import io
import json
import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
from fsspec.core import url_to_fs

from driftline.errors import ConfigError, MissingDependencyError, StorageError
from driftline.settings import Settings
from driftline.store._faults import is_missing_bucket, storage_error

_T = TypeVar("_T")

__all__ = ["NO_MODEL", "LogFile", "LogStore"]

# Partition of records that name no model (labels sent without one): joined to any model.
NO_MODEL = "_any"


@dataclasses.dataclass(frozen=True)
class LogFile:
    """One published file as a listing names it.

    ``version`` changes whenever the file is written again under its name (a
    person forgotten rewrites it): the object store's ETag, or on a local disk
    its modification time and inode.
    """

    path: str
    size: int
    version: str


class LogStore:
    """Publish and find the Parquet files of the compacted log."""

    def __init__(self, url: str, *, s3_endpoint_url: str | None = None) -> None:
        self.url = url.rstrip("/")
        options: dict[str, Any] = {}
        s3 = self.url.startswith(("s3://", "s3a://"))
        if s3 and s3_endpoint_url:
            options["client_kwargs"] = {"endpoint_url": s3_endpoint_url}
        self.endpoint = s3_endpoint_url if s3 else None
        try:
            fs, root = url_to_fs(self.url, **options)
        except ImportError as exc:
            raise MissingDependencyError(
                f"the inference log at {self.url!r} needs an fsspec driver: {exc}; "
                "for s3:// install it with: pip install 'driftline[s3]'"
            ) from exc
        except ValueError as exc:
            raise ConfigError(f"inference log URL {self.url!r} is not usable: {exc}") from exc
        self.fs: fsspec.AbstractFileSystem = fs
        self.root = root.rstrip("/")
        protocols = (fs.protocol,) if isinstance(fs.protocol, str) else tuple(fs.protocol)
        self._local = "file" in protocols
        if self._local:
            self._call("creating its folder", os.makedirs, self.root, exist_ok=True)

    def _call(self, doing: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # drivers raise their own types; all are mapped
            raise storage_error(
                exc, url=self.url, endpoint=self.endpoint, doing=doing, local=self._local
            ) from exc

    @classmethod
    def from_settings(cls, settings: Settings) -> LogStore:
        return cls(settings.log_url, s3_endpoint_url=settings.s3_endpoint_url)

    # -- keys ----------------------------------------------------------------------

    @staticmethod
    def partition(kind: str, model: str, day: str) -> str:
        return f"{kind}/model={model}/date={day}"

    def path(self, key: str) -> str:
        return f"{self.root}/{key}"

    # -- writing -------------------------------------------------------------------

    def exists(self, key: str) -> bool:
        path = self.path(key)
        self.fs.invalidate_cache(path.rsplit("/", 1)[0])
        return bool(self._call(f"looking for {key}", self.fs.exists, path))

    def publish(self, key: str, data: bytes) -> None:
        """Write ``data`` at ``key`` whole or not at all, durably, before anything is deleted."""
        path = self.path(key)
        if not self._local:
            self._call(f"writing {key}", self.fs.pipe_file, path, data)  # a PUT is whole
            return

        def write() -> None:
            parent = path.rsplit("/", 1)[0]
            os.makedirs(parent, exist_ok=True)
            tmp = f"{path}.tmp-{uuid.uuid4().hex[:8]}"
            with open(tmp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())  # the segment is deleted next: the copy must be on disk
            os.replace(tmp, path)
            _fsync_dir(parent)

        self._call(f"writing {key}", write)

    def publish_file(self, key: str, local: Path) -> None:
        """Move the finished local file ``local`` to ``key``, whole or not at all, durably.

        What compaction writes a row group at a time: never held in memory whole.
        """
        path = self.path(key)
        if not self._local:
            # An upload becomes visible only once complete (a multipart upload too).
            self._call(f"writing {key}", self.fs.put_file, str(local), path)
            local.unlink(missing_ok=True)
            return

        def move() -> None:
            parent = path.rsplit("/", 1)[0]
            os.makedirs(parent, exist_ok=True)
            with open(local, "rb+") as f:
                os.fsync(f.fileno())  # the segment is deleted next: the copy must be on disk
            try:
                os.replace(local, path)  # same disk: a rename, seen whole or not at all
            except OSError as exc:
                if exc.errno != errno.EXDEV:
                    raise
                tmp = f"{path}.tmp-{uuid.uuid4().hex[:8]}"
                shutil.copyfile(local, tmp)
                with open(tmp, "rb+") as f:
                    os.fsync(f.fileno())
                os.replace(tmp, path)
                local.unlink()
            _fsync_dir(parent)

        self._call(f"writing {key}", move)

    def publish_table(self, key: str, table: pa.Table) -> None:
        buffer = io.BytesIO()
        pq.write_table(table, buffer)
        self.publish(key, buffer.getvalue())

    # -- reading -------------------------------------------------------------------

    def _ls(self, key: str) -> list[str]:
        path = self.path(key)
        self.fs.invalidate_cache(path)  # listings are cached per filesystem; this must be fresh
        try:
            found = self._call(f"listing {key}", self.fs.ls, path, detail=False)
        except StorageError as exc:
            if isinstance(exc.__cause__, FileNotFoundError) and not is_missing_bucket(
                exc.__cause__
            ):
                return []
            raise
        return [str(p).rstrip("/").rsplit("/", 1)[-1] for p in found]

    def kinds(self) -> list[str]:
        """The kinds of records published (``predictions``, ``labels``, ...), by folder."""
        return sorted(n for n in self._ls("") if n != "dropped" and "." not in n)

    def models(self, kind: str) -> list[str]:
        """The models with files of ``kind``."""
        names = self._ls(kind)
        return sorted(n[len("model=") :] for n in names if n.startswith("model="))

    def days(self, kind: str, model: str) -> list[str]:
        """The days (``YYYY-MM-DD``) with files for ``model``, oldest first."""
        names = self._ls(f"{kind}/model={model}")
        return sorted(n[len("date=") :] for n in names if n.startswith("date="))

    def files(self, kind: str, model: str, day: str) -> dict[str, str]:
        """The published files of one partition: segment name -> path."""
        folder = self.partition(kind, model, day)
        return {
            n[: -len(".parquet")]: self.path(f"{folder}/{n}")
            for n in self._ls(folder)
            if n.endswith(".parquet")  # not the .tmp- of a write cut short
        }

    def listing(self, kind: str, model: str) -> dict[str, dict[str, LogFile]]:
        """Every published file of ``model``'s ``kind``, by day then segment, in one listing.

        On an object store that is one recursive listing (a page per thousand
        files), not one per day: a year costs a request, not 365.
        """
        folder = self.path(f"{kind}/model={model}")
        self.fs.invalidate_cache(folder)
        # On a local disk, the folders are walked directly: fsspec's walk costs a stat and
        # a path parse per entry, several times what the disk takes for a year of days.
        find = _find_local if self._local else functools.partial(self.fs.find, detail=True)
        try:
            found = self._call(f"listing {kind}/model={model}", find, folder)
        except StorageError as exc:
            if isinstance(exc.__cause__, FileNotFoundError) and not is_missing_bucket(
                exc.__cause__
            ):
                return {}
            raise
        days: dict[str, dict[str, LogFile]] = {}
        for path, info in found.items():
            parent, name = str(path).rsplit("/", 1)
            day = parent.rsplit("/", 1)[-1]
            if not (day.startswith("date=") and name.endswith(".parquet")):
                continue  # a .tmp- of a write cut short, or something not of the log
            # On a local disk a file written again is a new inode (written beside, renamed over).
            version = info.get("ETag") or f"{info.get('mtime')!r}-{info.get('ino')}"
            days.setdefault(day[len("date=") :], {})[name[: -len(".parquet")]] = LogFile(
                path=str(path), size=int(info.get("size") or 0), version=str(version)
            )
        return days

    def _open_parquet(self, path: str, use: Callable[[Any], _T]) -> _T:
        """``use`` applied to the open file at ``path``; a damaged file or a failing store
        becomes one sentence naming the file."""
        try:
            with self.fs.open(path, "rb") as f:
                return use(f)
        except pa.ArrowException as exc:
            raise _unreadable(path, exc) from exc
        except Exception as exc:  # see _call
            raise storage_error(
                exc,
                url=self.url,
                endpoint=self.endpoint,
                doing=f"reading {path}",
                local=self._local,
            ) from exc

    def read(self, path: str, *, columns: list[str] | None = None, filters: Any = None) -> pa.Table:
        return self._open_parquet(
            path, lambda f: pq.read_table(f, columns=columns, filters=filters)
        )

    def read_present(self, path: str, columns: list[str]) -> pa.Table:
        """Those of ``columns`` that the file has (one open: its footer, then those columns)."""

        def present(f: Any) -> pa.Table:
            parquet = pq.ParquetFile(f)
            names = set(parquet.schema_arrow.names)
            return parquet.read(columns=[c for c in columns if c in names])

        return self._open_parquet(path, present)

    def schema(self, path: str) -> pa.Schema:
        return self._open_parquet(path, pq.read_schema)

    def rows(self, path: str) -> int:
        """How many rows a file holds, from its footer."""
        return self._open_parquet(path, lambda f: int(pq.read_metadata(f).num_rows))

    def remove(self, path: str) -> None:
        """Delete one file; one already gone is no error (a run cut short deleted it)."""
        try:
            self._call(f"deleting {path}", self.fs.rm_file, path)
        except StorageError as exc:
            if not isinstance(exc.__cause__, FileNotFoundError):
                raise
        if self._local:  # an emptied day folder goes too, so listings stop naming the day
            with contextlib.suppress(OSError):
                os.rmdir(path.rsplit("/", 1)[0])

    def leftovers(self, kind: str, model: str, day: str) -> list[str]:
        """Temporary files of writes cut short in one partition (local folders only)."""
        if not self._local:
            return []  # a PUT is whole: object stores hold no half-written files
        folder = self.partition(kind, model, day)
        return [self.path(f"{folder}/{n}") for n in self._ls(folder) if ".tmp-" in n]

    def dropped(self) -> list[dict[str, Any]]:
        """What compaction found damaged: one entry per segment, with its line count."""
        out = []
        for name in self._ls("dropped"):
            if name.endswith(".json"):
                with contextlib.suppress(StorageError, ValueError):  # a damaged note: skip it
                    data = self._call(
                        f"reading dropped/{name}", self.fs.cat_file, self.path(f"dropped/{name}")
                    )
                    out.append(json.loads(data))
        return out


def _find_local(folder: str) -> dict[str, dict[str, Any]]:
    """What ``fs.find(folder, detail=True)`` says of a local folder, in the fields used."""
    found = {}
    with os.scandir(folder) as days:  # FileNotFoundError for a model never logged
        for day in days:
            if not day.is_dir():
                continue
            with contextlib.suppress(FileNotFoundError), os.scandir(day.path) as files:
                for f in files:
                    with contextlib.suppress(FileNotFoundError):  # pruned meanwhile
                        st = f.stat()
                        found[f"{folder}/{day.name}/{f.name}"] = {
                            "size": st.st_size,
                            "mtime": st.st_mtime,
                            "ino": st.st_ino,
                        }
    return found


def _unreadable(path: str, exc: Exception) -> StorageError:
    return StorageError(
        f"could not read {path} of the inference log ({exc}); if the file is damaged, "
        "move it aside and run again to go on without its rows"
    )


def _fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
