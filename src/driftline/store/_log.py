"""The inference log: every prediction answered, durable before its response is sent.

Writes go to append-only segment files, one per process, as lines of
``<crc32> <json>``. Records that arrive together are committed as a group: one
``write``. By default the waiting requests are released once their group is
written, which is what ``kill -9`` of the server cannot undo (the data is in
the kernel). A syncer thread keeps one ``fdatasync`` in flight at a time, each
covering every group written before it began; it lets writes gather for
``sync_window_s`` (2 ms) before each, so a lone caller's requests share one
instead of paying one each. A power loss can take at most the groups written
since the last one began, and no request waits for the disk; so the syncer
runs at a lower CPU priority than the threads answering requests.
``wait_for="fsync"`` releases requests only after the fsync, surviving
power loss at the price of the disk's sync latency (about 3 ms per group on
the benchmark machine). A line torn by a crash fails its checksum and is dropped.

Two ways in. :meth:`InferenceLog.append` (any thread) hands a record to a
writer thread that groups what concurrent callers queued. :meth:`InferenceLog.
commit` (a coroutine, for the server) groups the records of every request that
finishes in one turn of the event loop and writes them from the loop itself:
no thread hand-off per request, which on a busy core costs more than the write.

Closed segments (sealed on rotation or shutdown, or left by a dead process)
compact into Parquet partitioned by model and day in the log store
(``_compact``, ``_logstore``): the workspace folder by default, beside the
artifacts on S3 or any fsspec URL when they are there, shared by every host.
Monitoring reads the store and what is not compacted yet (``_logread``).
Labels posted later are log records too, joined to predictions by request id.

Every record passes the log's :class:`~driftline.privacy.Redactor` before it
is encoded (``InferenceLog.open`` builds the workspace's): this is the one
place serving, ``batch --log``, ``stream --log`` and edge ingest write through,
so what the segments, the Parquet files and every reader see is redacted.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import os
import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pyarrow as pa

from driftline.errors import StorageError
from driftline.privacy import Redactor
from driftline.settings import Settings
from driftline.store._compact import META_COLUMNS, Compaction, compact, concat
from driftline.store._forget import Forgotten, Subject, forget
from driftline.store._logread import LogReader, join_labels
from driftline.store._logstore import LogStore
from driftline.store._predictions import Predictions
from driftline.store._retention import Partition, prune
from driftline.store._segments import (
    NEW,
    OPEN,
    SEALED,
    SegmentScan,
    encode,
    lock_exclusive,
    segment_files,
)

__all__ = ["META_COLUMNS", "InferenceLog"]

_STOP = object()
# How much lower the syncer's CPU priority is than the process's, when no request waits on it.
SYNCER_NICE = 10

# Called with None once a group is synced, or with the error that stopped it.
_Done = Callable[[BaseException | None], None]


class _LoopGroup:
    """Records of the requests finishing in one turn of one event loop.

    ``pending`` holds what requests handed over raw (``Predictions``), made into
    lines when the group is written.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.lines: list[bytes] = []
        self.waiters: list[asyncio.Future[None]] = []
        self.pending: list[tuple[Predictions, asyncio.Future[None]]] = []

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
        store: LogStore | None = None,
        segment_bytes: int = 64 * 1024 * 1024,
        max_group: int = 4096,
        wait_for: str = "write",
        redactor: Redactor | None = None,
        sync_window_s: float = 0.002,
    ) -> None:
        if wait_for not in ("write", "fsync"):
            raise ValueError(f"wait_for must be 'write' or 'fsync', got {wait_for!r}")
        self.root = Path(root)
        self.segments = self.root / "segments"
        self.segments.mkdir(parents=True, exist_ok=True)
        self.store = store if store is not None else LogStore(str(self.root / "parquet"))
        self.scan = SegmentScan()  # lines dropped by what this object read, warned once a segment
        self.segment_bytes = segment_bytes
        self.max_group = max_group
        self.wait_for = wait_for
        self.redactor = redactor
        # With wait_for="write", how long the syncer lets writes gather before each
        # fdatasync: one lone caller after another would otherwise cost one each.
        self.sync_window_s = sync_window_s
        self.syncs = 0  # fdatasync rounds so far
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
        self._queue.put((self._encode(record), future))
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
        group.lines.extend(self._encode(r) for r in records)
        waiter: asyncio.Future[None] = loop.create_future()
        group.waiters.append(waiter)
        await waiter

    async def commit_predictions(self, predictions: Predictions) -> None:
        """Like :meth:`commit`, for one request's predictions handed over raw.

        The records are built, redacted and encoded when the group is written,
        before anything of it reaches the file.
        """
        if self._closed:
            raise StorageError("the inference log is closed")
        loop = asyncio.get_running_loop()
        group = self._loop_groups.get(loop)
        if group is None:
            group = self._loop_groups[loop] = _LoopGroup(loop)
            loop.call_soon(self._flush_loop_group, loop)
        waiter: asyncio.Future[None] = loop.create_future()
        group.pending.append((predictions, waiter))
        await waiter

    def _encode(self, record: dict[str, Any]) -> bytes:
        return encode(record if self.redactor is None else self.redactor.record(record))

    def _flush_loop_group(self, loop: asyncio.AbstractEventLoop, *, from_loop: bool = True) -> None:
        group = self._loop_groups.pop(loop, None)
        if group is None:
            return
        if group.pending:
            self._encode_pending(group)
        error = self._commit(group.lines, group.settle_threadsafe)
        if error is not None or self.wait_for == "write":
            (group.settle if from_loop else group.settle_threadsafe)(error)

    def _encode_pending(self, group: _LoopGroup) -> None:
        """Turn the group's raw predictions into lines; a request whose records fail hears why."""
        timestamp = dt.datetime.now(dt.UTC).isoformat()  # once for the group: one moment
        for predictions, waiter in group.pending:
            try:
                group.lines.extend(predictions.lines(timestamp, self.redactor))
            except Exception as exc:  # that request fails alone, as when it encoded its own
                if not waiter.done():
                    waiter.get_loop().call_soon_threadsafe(_fail, waiter, exc)
            else:
                group.waiters.append(waiter)
        group.pending = []

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
        name = f"{stamp:020d}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        # Locked before it is named .open, so no reader ever sees it open and unlocked.
        new = self.segments / f"{name}{NEW}"
        self._file = open(new, "ab", buffering=0)  # noqa: SIM115 - held open across groups
        lock_exclusive(self._file)
        self._path = new.rename(new.with_suffix(OPEN))
        self._written = 0

    def rotate(self) -> None:
        """Seal the open segment now (if it holds anything), so compaction can take it."""
        with self._sync_cond:
            if self._file is not None and self._written:
                self._to_seal.append((self._file, self._path))
                self._file = self._path = None
                self._start_syncer()
                self._sync_cond.notify()

    def others_waiting(self) -> bool:
        """Whether the folder holds any segment but the one this log writes now.

        Compaction's work, if there is any: sealed segments, one handed over to be
        sealed, another process's. A server with nothing else in its folder need
        not start a compaction (a process's imports, on the cores serving requests).
        """
        with self._lock:
            current = self._path
        return any(path != current for path in segment_files(self.segments, closed_only=False))

    def _start_syncer(self) -> None:  # with _lock held
        if self._syncer is None:
            self._syncer = threading.Thread(
                target=self._sync_loop, name="driftline-log-sync", daemon=True
            )
            self._syncer.start()

    def _sync_loop(self) -> None:
        if self.wait_for == "write":
            _yield_cpu()
        while True:
            with self._sync_cond:
                while (
                    self._synced_groups == self._written_groups
                    and not self._to_seal
                    and not self._stopping
                ):
                    self._sync_cond.wait()
                linger = self.wait_for == "write" and not self._stopping and not self._to_seal
            if linger and self.sync_window_s > 0:
                # Nobody waits on this sync: let the next few groups share it.
                time.sleep(self.sync_window_s)
            with self._sync_cond:
                if self._stopping and self._file is not None:
                    self._to_seal.append((self._file, self._path))
                    self._file = self._path = None
                stop = self._stopping
                target = self._written_groups
                seal, self._to_seal = self._to_seal, []
                current = self._file
            # Every group up to target is in a file to seal or in current.
            self.syncs += 1
            error: OSError | None = None
            for file, path in seal:
                try:
                    os.fdatasync(file.fileno())
                    # Renamed while still locked: unlocked and .open, it would look abandoned.
                    if path is not None:
                        path.rename(path.with_suffix(SEALED))
                    file.close()
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

    @classmethod
    def open(cls, settings: Settings, **options: Any) -> InferenceLog:
        """The workspace's log: segments in its folder, compacted into ``settings.log_url``.

        Records are redacted by the workspace's ``[privacy]`` policy on their way in.
        """
        options.setdefault("redactor", Redactor.from_settings(settings))
        return cls(settings.home / "log", store=LogStore.from_settings(settings), **options)

    def records(self, *, closed_only: bool = False) -> Iterator[dict[str, Any]]:
        """Every intact record in the segments not yet compacted, in write order.

        Lines that fail their checksum are left out and counted in ``scan.corrupt``.
        """
        for path in segment_files(self.segments, closed_only=closed_only):
            yield from self.scan.lines(path)

    def compact(self) -> Compaction:
        """Move closed segments into the log store, partitioned by model and day."""
        return compact(self.segments, self.store, self.scan)

    def prune(
        self,
        *,
        before: dt.date,
        model: str | None = None,
        record: Callable[[list[Partition]], None] | None = None,
    ) -> list[Partition]:
        """Delete whole days older than ``before`` from the log store (see ``_retention``)."""
        return prune(
            self.segments, self.store, before=before, model=model, record=record, scan=self.scan
        )

    def forget(self, subject: Subject, *, model: str | None = None) -> Forgotten:
        """Remove every record of one person from segments and files (see ``_forget``)."""
        return forget(self.segments, self.store, subject, model=model)

    def status(self) -> dict[str, Any]:
        """Segments waiting here, where they compact to, and damaged lines found so far."""
        waiting = segment_files(self.segments, closed_only=False)
        scan = SegmentScan()
        for path in waiting:
            for _ in scan.lines(path):
                pass
        dropped = sum(int(note.get("lines", 0)) for note in self.store.dropped())
        sizes = []
        for path in waiting:
            with contextlib.suppress(FileNotFoundError):
                sizes.append(path.stat().st_size)
        return {
            "folder": str(self.segments),
            "store": self.store.url,
            "segments": len(waiting),
            "open": sum(p.suffix == OPEN for p in waiting),
            "bytes": sum(sizes),
            "corrupt_lines": scan.corrupt + dropped,
        }

    def reader(
        self, model: str, *, since: dt.datetime | None = None, until: dt.datetime | None = None
    ) -> LogReader:
        """Read ``model``'s traffic a day at a time (what monitoring does).

        ``since`` and ``until`` leave out the segments' records of other days as they are scanned.
        """
        return LogReader(self.segments, self.store, model, since=since, until=until)

    def read(self, model: str) -> pa.Table:
        """All of a model's predictions, compacted and not, with labels joined by request id."""
        reader = self.reader(model)
        days = reader.days()
        tables = [t for t in (reader.day(d) for d in days) if t is not None]
        if not tables:
            return pa.table({"request_id": pa.array([], pa.string())})
        table = concat(tables)
        return join_labels(table, reader.labels(table.column("request_id"), since=""))


def _yield_cpu() -> None:
    """Lower the calling thread's CPU priority, where the system allows it.

    With ``wait_for="write"`` no request waits for the syncer, yet each fdatasync
    spends CPU in the kernel and each wake-up can take the core from the thread
    answering requests (measured at concurrency 1: 8-9% of the server's core, whose
    loop thread needs 75-85% of it). At a lower priority it gives way when both
    want the core and runs in the gaps (measured: a third fewer syncs, a third less CPU);
    under sustained load its syncs come less often, which widens only what a power
    loss could take, never what a request waits for.
    """
    with contextlib.suppress(AttributeError, OSError):  # not Linux, or not allowed
        me = threading.get_native_id()
        os.setpriority(
            os.PRIO_PROCESS, me, min(19, os.getpriority(os.PRIO_PROCESS, me) + SYNCER_NICE)
        )


def _fail(waiter: asyncio.Future[None], error: BaseException) -> None:
    if not waiter.done():
        waiter.set_exception(error)


def _settle(futures: list[Future[None]], error: BaseException | None) -> None:
    for future in futures:
        if future.done():
            continue
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)
