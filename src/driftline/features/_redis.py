"""The online store in Redis: one string per entity, compared and replaced by a script.

Each entity of a view is the key ``driftline:feature:<view>:<entity>``, its
value ``"<event_us> <created_us> <json>"``. Writes go in batches through one
Lua script that keeps a stored value unless the new one is newer, so a write
is atomic per entity and repeating it changes nothing. Reads are one MGET;
the server reads through the asyncio client, so a lookup never blocks its
event loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from driftline.errors import StorageError, require
from driftline.features._online import OnlineStore, Stored, decode

__all__ = ["RedisStore"]

PREFIX = "driftline:feature:"
_BATCH = 1000
_NEWER_WINS = """
local written = 0
for i, key in ipairs(KEYS) do
  local event, created = tonumber(ARGV[3 * i - 2]), tonumber(ARGV[3 * i - 1])
  local current = redis.call('GET', key)
  local keep = false
  if current then
    local e, c = string.match(current, '^(%-?%d+) (%-?%d+) ')
    e, c = tonumber(e), tonumber(c)
    keep = e > event or (e == event and c >= created)
  end
  if not keep then
    redis.call('SET', key, ARGV[3 * i - 2] .. ' ' .. ARGV[3 * i - 1] .. ' ' .. ARGV[3 * i])
    written = written + 1
  end
end
return written
"""


class RedisStore(OnlineStore):
    """The online store on a Redis server; see the module docstring."""

    def __init__(self, url: str) -> None:
        redis = require("redis", "redis")
        self.url = url
        self._client: Any = redis.Redis.from_url(url)  # type: ignore[attr-defined]
        self._async: Any = None
        self._script: Any = self._client.register_script(_NEWER_WINS)
        self._fail = redis.RedisError  # type: ignore[attr-defined]

    def describe(self) -> str:
        from driftline.store import mask_url

        return mask_url(self.url)

    def _key(self, view: str, key: str) -> str:
        return f"{PREFIX}{view}:{key}"

    def write(
        self,
        view: str,
        keys: Sequence[str],
        events: Sequence[int],
        createds: Sequence[int],
        payloads: Sequence[str],
    ) -> int:
        written = 0
        try:
            for start in range(0, len(keys), _BATCH):
                end = start + _BATCH
                args: list[Any] = []
                for e, c, p in zip(
                    events[start:end], createds[start:end], payloads[start:end], strict=True
                ):
                    args += [e, c, p]
                written += int(
                    self._script(keys=[self._key(view, k) for k in keys[start:end]], args=args)
                )
        except self._fail as exc:
            raise self._unavailable(exc) from exc
        return written

    def read(self, view: str, keys: Sequence[str]) -> list[Stored | None]:
        try:
            raw = self._client.mget([self._key(view, k) for k in keys])
        except self._fail as exc:
            raise self._unavailable(exc) from exc
        return [_parse(v) for v in raw]

    async def aread(self, view: str, keys: Sequence[str]) -> list[Stored | None]:
        if self._async is None:
            import redis.asyncio

            self._async = redis.asyncio.Redis.from_url(self.url)
        try:
            if len(keys) == 1:  # one entity per request, as usual: GET costs less than MGET
                raw = [await self._async.get(self._key(view, keys[0]))]
            else:
                raw = await self._async.mget([self._key(view, k) for k in keys])
        except self._fail as exc:
            raise self._unavailable(exc) from exc
        return [_parse(v) for v in raw]

    def _unavailable(self, exc: BaseException) -> StorageError:
        return StorageError(
            f"the online feature store at {self.describe()} did not answer ({exc}); check that "
            "Redis runs there and DRIFTLINE_ONLINE_STORE_URL"
        )

    def close(self) -> None:
        self._client.close()
        # The asyncio client belongs to the loop that made it; it closes with that loop.


def _parse(raw: bytes | None) -> Stored | None:
    if raw is None:
        return None
    event, created, payload = raw.split(b" ", 2)
    return Stored(int(event), int(created), decode(payload))
