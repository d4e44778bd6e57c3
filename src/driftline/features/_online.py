"""The online store: the latest values of each entity, read by key while a request waits.

One small abstract base and two stores that pass the same tests: SQLite in
the workspace (``_sqlite``: the default, nothing to run) and Redis
(``_redis``: ``redis://``, the ``redis`` extra) when several servers share it
or the entities outgrow a file.

Each entity of a view holds one row: its event time, its created time and its
values as JSON. A write replaces a row only with a newer one (a later event
time, or the same event time written later), so writing the same rows twice,
or an older run after a newer one, changes nothing: materializing is
idempotent and may be repeated after a crash at any point.
"""

from __future__ import annotations

import abc
import dataclasses
import json
from collections.abc import Sequence
from typing import Any

__all__ = ["OnlineStore", "Stored", "decode", "encode"]


@dataclasses.dataclass(frozen=True)
class Stored:
    """One entity's latest values of one view, as the online store holds them."""

    event_us: int
    created_us: int
    values: dict[str, Any]


def encode(values: dict[str, Any]) -> str:
    """An entity's values as the stores keep them."""
    return json.dumps(values, separators=(",", ":"))


def decode(payload: str | bytes) -> dict[str, Any]:
    values: dict[str, Any] = json.loads(payload)
    return values


class OnlineStore(abc.ABC):
    """Where served feature values are looked up; see the module docstring."""

    @abc.abstractmethod
    def describe(self) -> str:
        """Where the store is, without any password: said in messages and recorded with runs."""

    @abc.abstractmethod
    def write(
        self,
        view: str,
        keys: Sequence[str],
        events: Sequence[int],
        createds: Sequence[int],
        payloads: Sequence[str],
    ) -> int:
        """Keep each row unless the store holds a newer one; returns the rows written."""

    @abc.abstractmethod
    def read(self, view: str, keys: Sequence[str]) -> list[Stored | None]:
        """The rows of ``keys``, in their order; None where the store has none."""

    async def aread(self, view: str, keys: Sequence[str]) -> list[Stored | None]:
        """:meth:`read` for a server's event loop (a local store answers without waiting)."""
        return self.read(view, keys)

    def close(self) -> None:  # noqa: B027 - a store with nothing to release keeps this
        """Release connections."""

    def __enter__(self) -> OnlineStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
