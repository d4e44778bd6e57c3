"""A stream worker: take what waits, score it in one model call, answer each message once.

The loop, for one consumer of one group:

1. on start, the messages this consumer was given before and never answered
   (it was killed: same ``consumer`` name, so no waiting for a claim);
2. then, every so often, messages idle on other consumers for ``claim_idle``
   (``XAUTOCLAIM``: their worker died);
3. otherwise up to ``batch`` new messages, waiting at most ``block`` seconds
   for the first (micro-batching: whatever is waiting, in one model call).

Each batch is validated message by message against the model's signature
(bad ones go to the dead-letter stream with the reason), scored in one call
to :class:`~driftline.registry.ModelRuntime`, and written with its
acknowledgement in one atomic step (see ``_group``), which also sends the
next read. While the sink holds more than ``max_sink`` results the worker
stops reading and says so. :meth:`StreamWorker.stop` (SIGTERM, Ctrl-C)
finishes the batch in hand, writes it, and returns.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import socket
import threading
import time
from typing import Any

import numpy as np
import pandas as pd

from driftline.errors import ConfigError, UnavailableError
from driftline.privacy import Redactor
from driftline.registry import ModelRuntime, Prediction
from driftline.store import InferenceLog
from driftline.stream import _words as words
from driftline.stream._address import StreamAddress, connect, redis_module
from driftline.stream._group import Answered, Consumer
from driftline.stream._messages import (
    Entry,
    Letter,
    Valid,
    answers,
    decode,
    held_fields,
    letter_fields,
    redact_letter,
)
from driftline.stream._record import log_answers

__all__ = ["StreamOptions", "StreamStats", "StreamWorker"]

logger = logging.getLogger("driftline.stream")
_MAX_RETRY_S = 5.0  # longest wait between attempts to reach a Redis that went away


@dataclasses.dataclass(frozen=True)
class StreamOptions:
    """How a worker reads and writes; every value is checked by :meth:`check`."""

    group: str | None = None  # default: driftline:<model name>, one group per model
    consumer: str | None = None  # default: <host>-<pid>; give a stable name to resume at once
    dead_letter: str | None = None  # default: <source>:dead-letter
    claim_idle: float = 30.0  # seconds a message may sit on a consumer before others claim it
    batch: int = 64  # most messages per model call
    # Read nothing while the sink holds this many results (it may go over by less than a
    # batch: the one in hand is written); 0 never pauses.
    max_sink: int = 100_000
    block: float = 1.0  # longest wait for a new message, and so for a stop to be noticed
    drain: bool = False  # return once the group has answered everything, not wait for more

    def check(self) -> None:
        problems = [
            (self.batch < 1, f"--batch must be at least 1, got {self.batch}"),
            (self.claim_idle <= 0, f"--claim-idle must be above 0 s, got {self.claim_idle:g} s"),
            (self.max_sink < 0, f"--max-sink must be 0 (no limit) or more, got {self.max_sink}"),
            (not 0 < self.block <= 60, f"--block must be within 0 and 60 s, got {self.block:g}"),
            (self.group == "", "--group must not be empty"),
            (self.consumer == "", "--consumer must not be empty"),
        ]
        for bad, message in problems:
            if bad:
                raise ConfigError(message)


@dataclasses.dataclass
class StreamStats:
    """What a worker did: messages read, answered, dead-lettered, left to another consumer."""

    read: int = 0
    answered: int = 0
    dead: int = 0
    skipped: int = 0  # answered by another consumer first (this one was slow, they claimed)
    claimed: int = 0
    batches: int = 0
    pauses: int = 0
    seconds: float = 0.0
    stopped: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class StreamWorker:
    """One consumer scoring ``source`` into ``sink`` with one model version."""

    def __init__(
        self,
        runtime: ModelRuntime,
        source: StreamAddress,
        sink: StreamAddress,
        options: StreamOptions | None = None,
        *,
        log: InferenceLog | None = None,
        client: Any = None,
        redactor: Redactor | None = None,
    ) -> None:
        options = options or StreamOptions()
        options.check()
        self.runtime = runtime
        self.source, self.sink = source, sink
        self.dead_letter = source.beside(
            options.dead_letter or f"{source.stream}:dead-letter", option="--dead-letter"
        )
        self.options = options
        self.group = options.group or f"driftline:{runtime.name}"
        self.name = options.consumer or f"{socket.gethostname()}-{os.getpid()}"
        if len({source.stream, sink.stream, self.dead_letter.stream}) < 3:
            raise ConfigError(
                f"--source, --sink and --dead-letter must be three different streams, got "
                f"{source.stream!r}, {sink.stream!r} and {self.dead_letter.stream!r}"
            )
        # The socket waits out the longest blocking read, with room to spare.
        self.client = client or connect(source, timeout=options.block + 10.0)
        self.consumer = Consumer(self.client, source, sink, self.dead_letter, self.group, self.name)
        self.log = log
        # Dead letters keep the message for a replay, but not the personal values in it.
        self.redactor = redactor
        self.stats = StreamStats()
        self._stop = threading.Event()
        self._why = ""
        self._signalled = False
        self._over_limit = False
        self._sink_length = 0  # as the last write found it
        self._version = str(runtime.version.version)
        idle = options.claim_idle
        self._claim_every = min(max(idle / 2, 0.05), 5.0)

    # -- control -----------------------------------------------------------------

    def stop(self, why: str = "asked to stop") -> None:
        """Finish the batch in hand and return from :meth:`run` (from any thread)."""
        self._why = self._why or why
        self._stop.set()

    def signalled(self, why: str) -> None:
        """:meth:`stop` for a signal handler: plain assignments, no lock.

        The handler runs in the worker's own thread, which may hold the lock
        inside the stop event at that moment; taking it again would hang.
        """
        self._why = self._why or why
        self._signalled = True

    @property
    def stopping(self) -> bool:
        return self._signalled or self._stop.is_set()

    def _sleep(self, seconds: float) -> bool:
        """Wait ``seconds`` unless stopped first; whether stopped."""
        deadline = time.monotonic() + seconds
        while not self.stopping:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self._stop.wait(min(left, 0.1))  # a signal sets no event: look again soon
        return True

    def run(self) -> StreamStats:
        """Score until stopped (or, with ``drain``, until nothing waits); the stats."""
        began = time.monotonic()
        logger.info(
            words.started(
                self.runtime.version.ref,
                self.source.shown,
                self.sink.stream,
                self.group,
                self.name,
                self.options.batch,
                self.log is not None,
            )
        )
        try:
            self._run()
        finally:
            self.stats.seconds = time.monotonic() - began
            self.stats.stopped = self._why
        s = self.stats
        logger.info(
            words.stopped(
                s.seconds, s.answered, s.dead, self.dead_letter.stream, s.skipped, s.stopped
            )
        )
        return self.stats

    def _run(self) -> None:
        errors = redis_module().exceptions
        lost = (errors.ConnectionError, errors.TimeoutError)
        connected, retry = False, 0.1
        while not self.stopping:
            try:
                self.consumer.prepare()
                connected, retry = True, 0.1
                self._resume()
                self._loop()
                return
            except lost as exc:
                if not connected:
                    raise UnavailableError(
                        f"cannot reach Redis at {self.source.shown} ({exc}); check that the "
                        "server runs and that --source names it"
                    ) from exc
                logger.warning(words.lost_connection(self.source.shown, exc, retry))
                self._sleep(retry)
                retry = min(retry * 2, _MAX_RETRY_S)
            except errors.ResponseError as exc:
                if "NOGROUP" not in str(exc):
                    raise
                raise UnavailableError(
                    f"the group {self.group!r} of {self.source.shown} was deleted while the "
                    "worker ran; start the worker again to create it (it then reads the stream "
                    "from its start)"
                ) from exc
        self._why = self._why or "asked to stop"

    def _resume(self) -> None:
        """Answer what this consumer was given before and never answered."""
        after = b"0"
        while not self.stopping:
            entries = self.consumer.own_pending(after, self.options.batch)
            if not entries:
                return
            self._answer(entries, then_read=None)
            after = entries[-1][0]

    def _loop(self) -> None:
        batch, block = self.options.batch, self.options.block
        wait = None if self.options.drain else block
        entries: list[Entry] = []
        next_claim = 0.0
        while True:
            if not entries:
                if self.stopping:
                    return
                if self._over_limit:
                    self._wait_for_sink()
                    continue
                if time.monotonic() >= next_claim:
                    entries, more = self._claim()
                    next_claim = 0.0 if more else time.monotonic() + self._claim_every
                if not entries:
                    entries = self.consumer.read(batch, wait)
                if not entries and self.options.drain:
                    # Done when the group holds nothing unanswered; else wait to claim it.
                    if not self.consumer.pending_count():
                        self.stop("nothing left to read")
                    else:
                        self._sleep(self._claim_every)
                if not entries:
                    continue
            # The next read rides with this write, without waiting: a blocked read would hold
            # the write's reply (and the log records after it) until a message came.
            then_read = None if self.stopping or self._over_limit else batch
            entries = self._answer(entries, then_read=then_read)

    # -- one batch ---------------------------------------------------------------

    def _answer(self, entries: list[Entry], *, then_read: int | None) -> list[Entry]:
        started = time.perf_counter()
        stream = self.source.stream
        valid = decode(self.runtime, entries, stream)
        prediction = self._predict(valid, valid.payload) if valid.payload is not None else None
        if prediction is not None:
            predictions, probabilities = answers(self.runtime, prediction)
        else:
            predictions = probabilities = []
        answered = Answered(
            self.runtime.name,
            self._version,
            valid.ids,
            predictions,
            probabilities,
        )
        if self.redactor is not None:
            valid.letters = [redact_letter(self.redactor, letter) for letter in valid.letters]
        letters = [
            (letter.id, letter.reason.encode(), held_fields(letter)) for letter in valid.letters
        ]
        limit = self.options.max_sink
        if then_read is not None and limit and self._sink_length + len(valid.ids) >= limit:
            then_read = None  # these results fill the sink: read no more until it has room
        written, following = self.consumer.write(answered, letters, then_read=then_read)
        skipped = written.skipped
        dead = [letter for letter in valid.letters if letter.id not in skipped]
        s = self.stats
        s.read += len(entries)
        s.batches += 1
        s.skipped += len(skipped)
        s.dead += len(dead)
        s.answered += len(valid.ids) - sum(1 for mid in valid.ids if mid in skipped)
        if dead:
            logger.warning(words.dead_lettered(len(dead), self.dead_letter.stream, dead[0].reason))
        if self.log is not None and prediction is not None:
            took = time.perf_counter() - started
            log_answers(self.log, self.runtime, stream, valid, prediction, skipped, took)
        self._sink_length = written.sink_length
        self._over_limit = bool(limit) and written.sink_length >= limit
        return following

    def _predict(self, valid: Valid, payload: np.ndarray | pd.DataFrame) -> Prediction | None:
        """One model call for the batch; if it fails, one call per message, to find the culprit."""
        try:
            return self.runtime.predict(payload)
        except Exception:
            pass
        answers: list[Prediction] = []
        keep: list[int] = []
        for i in range(len(valid.ids)):
            part = (
                payload[i : i + 1] if isinstance(payload, np.ndarray) else payload.iloc[i : i + 1]
            )
            try:
                answers.append(self.runtime.predict(part))
                keep.append(i)
            except Exception as exc:
                mid = valid.ids[i]
                valid.letters.append(Letter(mid, words.model_failed(mid.decode(), exc)))
        valid.ids = [valid.ids[i] for i in keep]
        valid.rows = [valid.rows[i] for i in keep]
        if not answers:
            return None
        probs = [a.probabilities for a in answers]
        return Prediction(
            np.concatenate([a.labels for a in answers]),
            np.concatenate(probs) if all(p is not None for p in probs) else None,  # type: ignore[arg-type]
        )

    def _claim(self) -> tuple[list[Entry], bool]:
        """Claim idle messages of stopped consumers; also whether more may wait to be claimed."""
        idle = self.options.claim_idle
        entries, deleted = self.consumer.claim(idle, self.options.batch)
        if deleted:
            stream = self.source.stream
            self.consumer.write_letters(
                [
                    (mid, letter_fields(Letter(mid, words.deleted(mid.decode(), stream)), stream))
                    for mid in deleted
                ]
            )
            self.stats.dead += len(deleted)
        if entries:
            self.stats.claimed += len(entries)
            logger.info(words.claimed(len(entries), idle))
        return entries, bool(entries or deleted)

    def _wait_for_sink(self) -> None:
        limit = self.options.max_sink
        length = self.consumer.sink_length()
        if length < limit:
            self._over_limit = False
            return
        self.stats.pauses += 1
        logger.warning(words.paused(self.sink.stream, length, limit))
        began, delay = time.monotonic(), 0.05
        while not self._sleep(delay):
            delay = min(delay * 2, 1.0)
            length = self.consumer.sink_length()
            if length < limit:
                self._sink_length, self._over_limit = length, False
                logger.info(
                    words.resumed(self.sink.stream, length, limit, time.monotonic() - began)
                )
                return
