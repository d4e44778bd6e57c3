"""The server's log upkeep: compact on a schedule, and count what compaction finds damaged.

Every ``log_compact_seconds`` the open segment is sealed and the closed ones
are compacted into the log store, off the event loop. The first run is at
start, for what a previous process left. Several workers sharing one log
folder take turns (compaction holds a lock), and a failure (the bucket out
of reach) is logged and counted, then tried again next time: the segments
stay until their files are published.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from prometheus_client import CollectorRegistry, Counter

from driftline.errors import DriftlineError
from driftline.store import InferenceLog

__all__ = ["LogUpkeep"]

logger = logging.getLogger("driftline.serving")


class LogUpkeep:
    def __init__(self, log: InferenceLog, registry: CollectorRegistry, every_s: float) -> None:
        self.log = log
        self.every_s = every_s
        self._task: asyncio.Task[None] | None = None
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

    def start(self) -> None:
        if self.every_s > 0:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
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
        try:
            done = await asyncio.to_thread(self.log.compact)
        except (DriftlineError, OSError) as exc:
            self.failures.inc()
            logger.warning("could not compact the inference log (will try again): %s", exc)
            return
        self.compacted.inc(done.predictions + done.labels)
        self.corrupt.inc(done.corrupt)
