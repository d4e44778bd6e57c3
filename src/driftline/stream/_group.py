"""The Redis side of a worker: one consumer of one group, and the atomic write of results.

Exactly one result per input rests on one step, :data:`WRITE`, a Lua script
(Redis runs a script as a whole, with nothing in between): for each message
it acknowledges the message (``XACK``) and writes its result only if that
acknowledgement took it off the group's pending list. The pending list is the
idempotence record: a message is pending from its first delivery until the
step that writes its result, and that step happens once. So:

- a worker killed before the step leaves the message pending; it is read
  again (by the same consumer on restart, or claimed by another after
  ``claim_idle``) and answered then;
- a worker killed after the step, before it hears the reply, has answered:
  the message is no longer pending and is never delivered again;
- a slow worker whose messages were claimed by another while it worked
  (both compute a result) writes nothing for those the other answered first:
  their ``XACK`` finds them acknowledged.

The script also returns the sink's length, for backpressure, in the same
round trip; the worker sends the next read with it (a pipeline, the read not
waiting for messages), so under load a batch costs one round trip.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from driftline.errors import ConfigError
from driftline.stream._address import StreamAddress, redis_module
from driftline.stream._messages import Entry

__all__ = ["WRITE", "Answered", "Consumer", "Written"]

# KEYS: source, sink, dead letter. ARGV: group, model, version, the request id's prefix
# ("<source>/"), how many results; then three values a result (id, prediction, probabilities
# or ""), then three a dead letter (id, reason, the message's fields as JSON or "").
# Returns the sink's length and the ids it wrote nothing for: they were not pending.
# The per-message fields are put together here, so the client sends three values a
# message, not fifteen (packing arguments is most of a client's work per message).
WRITE = """
local group, model, version, prefix = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local last_result = 5 + 3 * tonumber(ARGV[5])
local skipped = {}
for i = 6, #ARGV, 3 do
  local id = ARGV[i]
  if redis.call('XACK', KEYS[1], group, id) == 0 then
    skipped[#skipped + 1] = id
  elseif i <= last_result then
    local fields = {'input_id', id, 'request_id', prefix .. id, 'model', model,
                    'version', version, 'prediction', ARGV[i + 1]}
    if ARGV[i + 2] ~= '' then
      fields[11], fields[12] = 'probabilities', ARGV[i + 2]
    end
    redis.call('XADD', KEYS[2], '*', unpack(fields))
  else
    local fields = {'input_id', id, 'source', KEYS[1], 'reason', ARGV[i + 1]}
    if ARGV[i + 2] ~= '' then
      fields[7], fields[8] = 'fields', ARGV[i + 2]
    end
    redis.call('XADD', KEYS[3], '*', unpack(fields))
  end
end
return {redis.call('XLEN', KEYS[2]), skipped}
"""


@dataclasses.dataclass(frozen=True)
class Answered:
    """Results to write: by message id, the prediction and probabilities as JSON."""

    model: str
    version: str
    ids: Sequence[bytes]
    predictions: Sequence[bytes]
    probabilities: Sequence[bytes]  # b"" where the model gives none


@dataclasses.dataclass(frozen=True)
class Written:
    """What one write did: the sink's length after it, and the messages it left alone."""

    sink_length: int
    skipped: frozenset[bytes]


class Consumer:
    """One consumer of a group reading ``source``, writing to ``sink`` and ``dead_letter``."""

    def __init__(
        self,
        client: Any,
        source: StreamAddress,
        sink: StreamAddress,
        dead_letter: StreamAddress,
        group: str,
        name: str,
    ) -> None:
        self.client = client
        self.source, self.sink, self.dead_letter = source, sink, dead_letter
        self.group, self.name = group, name
        self._keys = (source.stream, sink.stream, dead_letter.stream)
        self._sha = ""
        self._cursor = b"0-0"  # where the next claim scan of the pending list starts

    def prepare(self) -> None:
        """Create the group (reading the stream from its start) if missing; load the script."""
        redis = redis_module()
        for address, option in (
            (self.source, "--source"),
            (self.sink, "--sink"),
            (self.dead_letter, "--dead-letter"),
        ):
            kind = self.client.type(address.stream)
            if kind not in (b"stream", b"none"):
                raise ConfigError(
                    f"{option} names {address.shown}, which holds a Redis {kind.decode()}, not a "
                    "stream; give the name of a stream, or of a key that does not exist yet"
                )
        try:
            self.client.xgroup_create(self.source.stream, self.group, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._sha = self.client.script_load(WRITE)

    # -- reading -----------------------------------------------------------------

    def read(self, count: int, block: float | None) -> list[Entry]:
        """Messages never delivered to the group, waiting up to ``block`` seconds for one."""
        reply = self.client.xreadgroup(
            self.group, self.name, {self.source.stream: ">"}, count=count, block=_ms(block)
        )
        return _entries(reply)

    def own_pending(self, after: bytes, count: int) -> list[Entry]:
        """Messages delivered to this consumer earlier and not answered (a restart's backlog)."""
        reply = self.client.xreadgroup(
            self.group, self.name, {self.source.stream: after}, count=count
        )
        return _entries(reply)

    def claim(self, idle: float, count: int) -> tuple[list[Entry], list[bytes]]:
        """Messages pending on other consumers for over ``idle`` seconds, now ours.

        Also returns the ids Redis dropped from the pending list because their
        entries were deleted from the stream (Redis 7 reports them apart).
        """
        reply = self.client.xautoclaim(
            self.source.stream,
            self.group,
            self.name,
            min_idle_time=max(1, int(idle * 1000)),
            start_id=self._cursor,
            count=count,
        )
        self._cursor = reply[0]
        entries = [(mid, fields) for mid, fields in reply[1]]
        deleted = list(reply[2]) if len(reply) > 2 else []
        return entries, deleted

    def pending_count(self) -> int:
        """Messages of the group delivered to some consumer and not answered yet."""
        return int(self.client.xpending(self.source.stream, self.group)["pending"])

    def sink_length(self) -> int:
        return int(self.client.xlen(self.sink.stream))

    # -- writing -----------------------------------------------------------------

    def write(
        self,
        answered: Answered,
        letters: Sequence[tuple[bytes, bytes, bytes]],
        *,
        then_read: int | None = None,
    ) -> tuple[Written, list[Entry]]:
        """Write results and dead letters with their acknowledgements, atomically.

        ``letters`` are (id, reason, the message's fields as JSON). With
        ``then_read``, also read up to that many new messages in the same round
        trip; the read does not wait: if nothing is waiting it returns nothing.
        """
        args: list[bytes | str | int] = [
            self.group,
            answered.model,
            answered.version,
            f"{self.source.stream}/",
            len(answered.ids),
        ]
        for triple in zip(answered.ids, answered.predictions, answered.probabilities, strict=True):
            args += triple
        for triple in letters:
            args += triple
        pipe = self.client.pipeline(transaction=False)
        pipe.evalsha(self._sha, 3, *self._keys, *args)
        if then_read is not None:
            pipe.xreadgroup(self.group, self.name, {self.source.stream: ">"}, count=then_read)
        replies = pipe.execute(raise_on_error=False)
        written = replies[0]
        if isinstance(written, Exception):
            if "NOSCRIPT" not in str(written):  # Redis restarted, or its scripts were flushed
                raise written
            self._sha = self.client.script_load(WRITE)
            written = self.client.evalsha(self._sha, 3, *self._keys, *args)
        entries: list[Entry] = []
        if then_read is not None:
            if isinstance(replies[1], Exception):
                raise replies[1]
            entries = _entries(replies[1])
        length, skipped = written
        return Written(int(length), frozenset(skipped)), entries

    def write_letters(self, letters: Sequence[tuple[bytes, Sequence[bytes | str]]]) -> None:
        """Dead letters for messages no longer pending (deleted, and dropped by a claim)."""
        pipe = self.client.pipeline(transaction=False)
        for _, fields in letters:
            pipe.xadd(self.dead_letter.stream, dict(zip(fields[::2], fields[1::2], strict=True)))
        pipe.execute()


def _ms(seconds: float | None) -> int | None:
    return None if seconds is None else max(1, int(seconds * 1000))


def _entries(reply: Any) -> list[Entry]:
    """The entries of a read of one stream, or none when nothing was waiting."""
    if not reply:
        return []
    if isinstance(reply, dict):  # RESP3 (protocol=3 in the URL): {stream: [entries]}
        return list(next(iter(reply.values()))[0])
    return list(reply[0][1])  # RESP2: [[stream, entries]]
