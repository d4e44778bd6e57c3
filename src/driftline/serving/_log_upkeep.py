"""The server's log upkeep: compact on a schedule, and count what compaction finds damaged.

Every ``log_compact_seconds`` the open segment is sealed and the closed ones
are compacted into the log store by a child process at a lower CPU priority
(``compaction_command``): decoding JSON and encoding Parquet hold the GIL, and
in the server's own process every request would wait behind them. The first
run is at start, for what a previous process left; a round with no segment but
the one being written starts no child. Several workers sharing one
log folder take turns (compaction holds a lock), and a failure (the bucket out
of reach, the child killed) is logged once and counted, then tried again next
time: the segments stay until their files are published. Stopping the server
ends a running child: compaction survives that at any moment, and the next
start finishes the work.

A child at low priority takes only the CPU the server leaves. Where the server
keeps its cores busy, that can be too little to keep up, and the log would grow
without end; once more than ``CATCH_UP`` segments' worth waits, the child runs at
the server's own priority until the log has caught up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from prometheus_client import CollectorRegistry, Counter, Gauge

from driftline.store import (
    Compaction,
    CompactionFailed,
    InferenceLog,
    compaction_command,
    compaction_result,
    waiting_bytes,
)

__all__ = ["LogUpkeep"]

logger = logging.getLogger("driftline.serving")
log_logger = logging.getLogger("driftline.log")
_GRACE_S = 10.0  # how long a child asked to stop may take before it is killed
CATCH_UP = 4  # segments waiting before compaction stops yielding to requests


class LogUpkeep:
    def __init__(self, log: InferenceLog, registry: CollectorRegistry, every_s: float) -> None:
        self.log = log
        self.every_s = every_s
        self._task: asyncio.Task[None] | None = None
        self.child: asyncio.subprocess.Process | None = None  # the compaction running now
        self._behind = False  # whether the last child ran at full priority to catch up
        self.corrupt = Counter(
            "driftline_log_corrupt_lines",
            "Inference log lines that failed their checksum and were left out, found by compaction.",
            registry=registry,
        )
        self.compacted = Counter(
            "driftline_log_compacted_rows",
            "Predictions and labels moved from log segments into the log store.",
            registry=registry,
        )
        self.failures = Counter(
            "driftline_log_compaction_failures",
            "Compactions that failed (the segments stay and are tried again).",
            registry=registry,
        )
        self.runs = Counter(
            "driftline_log_compactions",
            "Compactions started, finished or not.",
            registry=registry,
        )
        self.running = Gauge(
            "driftline_log_compacting",
            "1 while a compaction of the inference log runs.",
            registry=registry,
        )

    def start(self) -> None:
        if self.every_s > 0:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Stop the schedule; a compaction running now is ended (see :meth:`_in_child`)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            await self.compact()
            await asyncio.sleep(self.every_s)  # a schedule, not a wait for some other event

    async def compact(self) -> None:
        """Seal the open segment and compact what is closed, without blocking requests."""
        self.log.rotate()
        if not await asyncio.to_thread(self.log.others_waiting):
            return  # nothing to move: no process started for nothing
        self.runs.inc()
        self.running.set(1)
        try:
            done = await self._in_child()
        except CompactionFailed as exc:
            self.failures.inc()
            logger.warning("could not compact the inference log (will try again): %s", exc)
            if exc.detail and exc.detail != str(exc):
                logger.debug("the compaction process said:\n%s", exc.detail)
            return
        except OSError as exc:  # the child could not be started (no memory, no processes)
            self.failures.inc()
            logger.warning("could not start compacting the inference log (will try again): %s", exc)
            return
        finally:
            self.running.set(0)
        self.compacted.inc(done.predictions + done.labels)
        self.corrupt.inc(done.corrupt)

    def _nice(self) -> int | None:
        behind = waiting_bytes(self.log.segments) > CATCH_UP * self.log.segment_bytes
        if behind != self._behind:
            self._behind = behind
            logger.warning(
                "the inference log's compaction %s",
                "is behind: it runs at the server's priority until it catches up"
                if behind
                else "has caught up: it runs at low priority again",
            )
        return 0 if behind else None  # None: compaction's own low priority

    async def _in_child(self) -> Compaction:
        nice = await asyncio.to_thread(self._nice)  # a look at each segment's lock: off the loop
        child = await asyncio.create_subprocess_exec(
            *compaction_command(self.log.segments, self.log.store, nice=nice),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        self.child = child
        try:
            out, err = await child.communicate()
        except asyncio.CancelledError:
            await _end(child)  # the server is stopping
            raise
        finally:
            self.child = None
        assert child.returncode is not None  # communicate() waited for it
        done = compaction_result(child.returncode, out, err)
        for line in err.decode(errors="replace").splitlines():
            if line.strip():  # what it warned of (damaged segments), as this process's own
                log_logger.warning("%s", line)
        return done


async def _end(child: asyncio.subprocess.Process) -> None:
    """Ask the child to stop, then make it: either way it leaves nothing half-done in sight."""
    if child.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        child.terminate()
    try:
        await asyncio.wait_for(child.wait(), _GRACE_S)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            child.kill()
        await child.wait()
