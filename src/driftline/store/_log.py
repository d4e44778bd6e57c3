"""The inference log: every prediction answered, durable before its response is sent.

Writes go to append-only segment files, one per process, as lines of
``<crc32> <json>``. Records that arrive together are committed as a group: one
``write``. By default the waiting requests are released once their group is
written, which is what ``kill -9`` of the server cannot undo (the data is in
the kernel). A syncer thread keeps one ``fdatasync`` in flight at a time, each
covering every group written before it began, so a power loss can take at most
the groups written since the last one finished, and no request waits for the
disk. ``wait_for="fsync"`` releases requests only after the fsync, surviving
power loss at the price of the disk's sync latency (about 3 ms per group on
the benchmark machine). A line torn by a crash fails its checksum and is dropped.

Two ways in. :meth:`InferenceLog.append` (any thread) hands a record to a
writer thread that groups what concurrent callers queued. :meth:`InferenceLog.
commit` (a coroutine, for the server) groups the records of every request that
finishes in one turn of the event loop and writes them from the loop itself:
no thread hand-off per request, which on a busy core costs more than the write.

Closed segments (sealed on rotation or shutdown, or left by a dead process)
compact into Parquet partitioned by model and day, which monitoring reads.
Labels posted later are log records too, joined to predictions by request id.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import json
import os
import queue
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.parquet as pq

from driftline.errors import StorageError

__all__ = ["META_COLUMNS", "InferenceLog"]

META_COLUMNS = (
    "request_id",
    "timestamp",
    "model",
    "version",
    "route",
    "latency_ms",
    "prediction",
    "probabilities",
)
_OPEN, _SEALED = ".open", ".seg"
_STOP = object()
_JSON = json.JSONEncoder(separators=(",", ":"), default=str, allow_nan=True)

# Called with None once a group is synced, or with the error that stopped it.
_Done = Callable[[BaseException | None], None]


def _encode(record: dict[str, Any]) -> bytes:
    body = _JSON.encode(record).encode("utf-8")
    return b"%08x %s\n" % (zlib.crc32(body), body)


def _decode(line: bytes) -> dict[str, Any] | None:
    """A record, or None for a torn or corrupt line."""
    if not line.endswith(b"\n") or len(line) < 10 or line[8:9] != b" ":
        return None
    body = line[9:-1]
    try:
        if int(line[:8], 16) != zlib.crc32(body):
            return None
        record: dict[str, Any] = json.loads(body)
    except ValueError:
        return None
    return record


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _LoopGroup:
    """Records of the requests finishing in one turn of one event loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.lines: list[bytes] = []
        self.waiters: list[asyncio.Future[None]] = []

    def settle(self, error: BaseException | None) -> None:
        """Release the waiters (in the loop's thread)."""
        for waiter in self.waiters:
            if waiter.done():
                continue
            if error is None:
                waiter.set_result(None)
            else:
                waiter.set_exception(error)

    def settle_threadsafe(self, error: BaseException | None) -> None:
        """Release the waiters from another thread."""
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody waits
            self.loop.call_soon_threadsafe(self.settle, error)


class InferenceLog:
    """Append prediction and label records durably; compact and read them as Arrow."""

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        segment_bytes: int = 64 * 1024 * 1024,
        max_group: int = 4096,
        wait_for: str = "write",
    ) -> None:
        if wait_for not in ("write", "fsync"):
            raise ValueError(f"wait_for must be 'write' or 'fsync', got {wait_for!r}")
        self.root = Path(root)
        self.segments = self.root / "segments"
        self.parquet = self.root / "parquet"
        self.segments.mkdir(parents=True, exist_ok=True)
        self.segment_bytes = segment_bytes
        self.max_group = max_group
        self.wait_for = wait_for
        self._closed = False
        # The open segment; _lock guards it, the counters and the hand-over to the syncer.
        # Only the syncer fsyncs and closes files, so nothing holds _lock during disk waits.
        self._lock = threading.Lock()
        self._file: Any = None
        self._path: Path | None = None
        self._written = 0
        self._written_groups = 0
        self._to_seal: list[tuple[Any, Path | None]] = []
        # The writer thread, for append() from any thread.
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        # The event loops' open groups, for commit().
        self._loop_groups: dict[asyncio.AbstractEventLoop, _LoopGroup] = {}
        # The syncer: fsyncs what was written, off the request path.
        self._sync_cond = threading.Condition(self._lock)
        self._synced_groups = 0
        self._awaiting_sync: list[tuple[int, _Done]] = []
        self._syncer: threading.Thread | None = None
        self._stopping = False
        self.groups = 0  # commits so far: a measure of how well writes are grouped

    # -- writing -----------------------------------------------------------------

    def append(self, record: dict[str, Any]) -> Future[None]:
        """Queue ``record``; the future completes once it is on disk. Any thread may call it."""
        if self._closed:
            raise StorageError("the inference log is closed")
        self._start_writer()
        future: Future[None] = Future()
        self._queue.put((_encode(record), future))
        return future

    def write(self, record: dict[str, Any]) -> None:
        """Append and wait until it is durable."""
        self.append(record).result()

    async def commit(self, records: Sequence[dict[str, Any]]) -> None:
        """Append ``records`` from a coroutine; return once they are durable.

        Every request that commits during one turn of the event loop joins one
        group, written by the loop when the turn's other callbacks have run.
        """
        if self._closed:
            raise StorageError("the inference log is closed")
        loop = asyncio.get_running_loop()
        group = self._loop_groups.get(loop)
        if group is None:
            group = self._loop_groups[loop] = _LoopGroup(loop)
            loop.call_soon(self._flush_loop_group, loop)
        group.lines.extend(_encode(r) for r in records)
        waiter: asyncio.Future[None] = loop.create_future()
        group.waiters.append(waiter)
        await waiter

    def _flush_loop_group(self, loop: asyncio.AbstractEventLoop, *, from_loop: bool = True) -> None:
        group = self._loop_groups.pop(loop, None)
        if group is None:
            return
        error = self._commit(group.lines, group.settle_threadsafe)
        if error is not None or self.wait_for == "write":
            (group.settle if from_loop else group.settle_threadsafe)(error)

    def _start_writer(self) -> None:
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._run, name="driftline-log", daemon=True
                    )
                    self._thread.start()

    def _run(self) -> None:
        stopping = False
        while not stopping:
            item = self._queue.get()
            batch = []
            if item is _STOP:
                stopping = True
            else:
                batch.append(item)
            while len(batch) < self.max_group:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stopping = True
                    continue
                batch.append(item)
            if batch:
                futures = [f for _, f in batch]
                error = self._commit(
                    [line for line, _ in batch], functools.partial(_settle, futures)
                )
                if error is not None or self.wait_for == "write":
                    _settle(futures, error)

    def _commit(self, lines: list[bytes], on_sync: _Done) -> StorageError | None:
        """Write one group; the error when that failed.

        With ``wait_for="fsync"``, ``on_sync`` runs in the syncer thread once the
        group is synced (or failed to be).
        """
        data = b"".join(lines)
        try:
            with self._lock:
                if self._file is None or self._written >= self.segment_bytes:
                    if self._file is not None:
                        self._to_seal.append((self._file, self._path))
                    self._open_segment()
                self._file.write(data)
                self._written += len(data)
                self._written_groups += 1
                self.groups += 1
                if self.wait_for == "fsync":
                    self._awaiting_sync.append((self._written_groups, on_sync))
                self._start_syncer()
                self._sync_cond.notify()
        except Exception as exc:  # whatever it is, the waiters must hear of it, not hang
            return StorageError(f"could not write the inference log at {self.root}: {exc}")
        return None

    def _open_segment(self) -> None:
        stamp = time.time_ns()
        self._path = self.segments / f"{stamp:020d}-{os.getpid()}-{uuid.uuid4().hex[:8]}{_OPEN}"
        self._file = open(self._path, "ab", buffering=0)  # noqa: SIM115 - held open across groups
        self._written = 0

    def _start_syncer(self) -> None:  # with _lock held
        if self._syncer is None:
            self._syncer = threading.Thread(
                target=self._sync_loop, name="driftline-log-sync", daemon=True
            )
            self._syncer.start()

    def _sync_loop(self) -> None:
        while True:
            with self._sync_cond:
                while (
                    self._synced_groups == self._written_groups
                    and not self._to_seal
                    and not self._stopping
                ):
                    self._sync_cond.wait()
                if self._stopping and self._file is not None:
                    self._to_seal.append((self._file, self._path))
                    self._file = self._path = None
                stop = self._stopping
                target = self._written_groups
                seal, self._to_seal = self._to_seal, []
                current = self._file
            # Every group up to target is in a file to seal or in current.
            error: OSError | None = None
            for file, path in seal:
                try:
                    os.fdatasync(file.fileno())
                    file.close()
                    if path is not None:
                        path.rename(path.with_suffix(_SEALED))
                except OSError as exc:
                    error = exc
            if current is not None:
                try:
                    os.fdatasync(current.fileno())
                except OSError as exc:
                    error = exc
            with self._sync_cond:
                self._synced_groups = max(self._synced_groups, target)
                done = [d for g, d in self._awaiting_sync if g <= target]
                self._awaiting_sync = [(g, d) for g, d in self._awaiting_sync if g > target]
            failure = (
                None
                if error is None
                else StorageError(f"could not sync the inference log: {error}")
            )
            for callback in done:
                callback(failure)
            if stop:
                with self._sync_cond:
                    if self._synced_groups == self._written_groups and not self._to_seal:
                        return

    def close(self) -> None:
        """Write what is queued, seal the segment, stop the threads."""
        if self._closed:
            return
        self._closed = True
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join()
        for loop in list(self._loop_groups):
            self._flush_loop_group(loop, from_loop=False)
        with self._sync_cond:
            self._stopping = True
            if self._syncer is None and self._file is not None:
                self._start_syncer()
            self._sync_cond.notify()
            syncer = self._syncer
        if syncer is not None:
            syncer.join()  # the syncer seals the segment, fsyncing it

    # -- reading -----------------------------------------------------------------

    def _segment_files(self, *, closed_only: bool) -> list[Path]:
        out = []
        for path in sorted(self.segments.iterdir()):
            if path.suffix == _SEALED:
                out.append(path)
            elif path.suffix == _OPEN:
                pid = int(path.name.split("-")[1])
                dead = not _alive(pid) and path != self._path
                if not closed_only or dead:
                    out.append(path)
        return out

    def records(self, *, closed_only: bool = False) -> Iterator[dict[str, Any]]:
        """Every intact record in the segments not yet compacted, in write order."""
        for path in self._segment_files(closed_only=closed_only):
            with contextlib.suppress(FileNotFoundError), open(path, "rb") as f:
                for line in f:
                    record = _decode(line)
                    if record is not None:
                        yield record

    def compact(self) -> int:
        """Move closed segments into Parquet (``model=NAME/date=YYYY-MM-DD``); returns rows moved."""
        moved = 0
        for path in self._segment_files(closed_only=True):
            rows = [r for r in _read_segment(path) if r.get("kind", "prediction") == "prediction"]
            labels = [r for r in _read_segment(path) if r.get("kind") == "label"]
            by_partition: dict[tuple[str, str], list[dict[str, Any]]] = {}
            for r in rows:
                day = str(r["timestamp"])[:10]
                by_partition.setdefault((str(r["model"]), day), []).append(r)
            for (model, day), part in by_partition.items():
                folder = self.parquet / f"model={model}" / f"date={day}"
                _write_parquet_once(folder / f"{path.stem}.parquet", part)
            if labels:
                _write_parquet_once(self.parquet / "labels" / f"{path.stem}.parquet", labels)
            moved += len(rows)
            path.unlink()
        return moved

    def read(self, model: str) -> pa.Table:
        """A model's predictions, compacted and not, with labels joined by request id."""
        tables = []
        folder = self.parquet / f"model={model}"
        if folder.exists():
            tables.append(pads.dataset(folder, format="parquet", partitioning="hive").to_table())
        pending = [
            r
            for r in self.records()
            if r.get("kind", "prediction") == "prediction" and r.get("model") == model
        ]
        if pending:
            tables.append(_to_table(pending))
        if not tables:
            return pa.table({name: pa.array([], pa.string()) for name in ("request_id",)})
        table = pa.concat_tables(
            [t.drop_columns([c for c in ("date", "model") if c in t.column_names]) for t in tables],
            promote_options="permissive",
        )
        labels = self._labels()
        if labels:
            ids = table.column("request_id").to_pylist()
            table = table.append_column("label", pa.array([labels.get(i) for i in ids]))
        return table

    def _labels(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        folder = self.parquet / "labels"
        if folder.exists():
            t = pads.dataset(folder, format="parquet").to_table(columns=["request_id", "label"])
            found.update(
                zip(t.column("request_id").to_pylist(), t.column("label").to_pylist(), strict=True)
            )
        for r in self.records():
            if r.get("kind") == "label":
                found[r["request_id"]] = r["label"]
        return found


def _settle(futures: list[Future[None]], error: BaseException | None) -> None:
    for future in futures:
        if future.done():
            continue
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)


def _read_segment(path: Path) -> list[dict[str, Any]]:
    with open(path, "rb") as f:
        return [r for r in (_decode(line) for line in f) if r is not None]


def _to_table(records: list[dict[str, Any]]) -> pa.Table:
    flat = []
    for r in records:
        row = {k: r.get(k) for k in META_COLUMNS if k in r}
        row["timestamp"] = dt.datetime.fromisoformat(str(r["timestamp"]))
        for name, value in (r.get("inputs") or {}).items():
            row[name if name not in META_COLUMNS else f"input:{name}"] = value
        flat.append(row)
    return pa.Table.from_pylist(flat)


def _write_parquet_once(target: Path, records: list[dict[str, Any]]) -> None:
    # Named after the segment: a crash between writing and deleting the segment
    # re-runs into the same name, so nothing is counted twice.
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    table = (
        _to_table(records)
        if "inputs" in records[0] or "model" in records[0]
        else pa.Table.from_pylist(records)
    )
    tmp = target.with_suffix(f".tmp-{uuid.uuid4().hex[:8]}")
    pq.write_table(table, tmp)
    os.replace(tmp, target)
