"""Completing a request's inputs from the online store, by its entity key, while it waits.

For each view bound to the deployment, the request's rows carry the view's
key column(s); the features the model needs and the request does not carry
are read from the online store (one read per view and request). What the
store does not have, or has only older than the view's time-to-live,
follows the deployment's policy: the request fails with a sentence naming
the view and the entity, or the feature's default is served. Each row also
says, for the log, which entity it was and the event time of the values
used, so monitoring and evaluation see what the model saw.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from driftline.errors import FeatureLookupError, InputError
from driftline.features._binding import FeatureBinding, check_binding
from driftline.features._catalog import Selection
from driftline.features._keys import key_texts
from driftline.features._online import OnlineStore, Stored
from driftline.features._stores import open_store
from driftline.features._view import format_period
from driftline.features._words import missing_entity_sentence, stale_value_sentence

if TYPE_CHECKING:
    import pandas as pd

    from driftline.store import Context

__all__ = ["Lookup"]


class Lookup:
    """The feature inputs of one deployment, ready to complete its requests."""

    def __init__(
        self,
        model: str,
        binding: FeatureBinding,
        selections: Sequence[Selection],
        inputs: Sequence[str],
        store: OnlineStore,
    ) -> None:
        self.model = model
        self.binding = binding
        self.selections = list(selections)
        self.inputs = list(inputs)
        self.store = store
        keys = {k for s in selections for k in s.view.entities}
        self._consumed = sorted(keys - set(inputs))  # key columns the model does not take

    @classmethod
    def build(
        cls,
        ctx: Context,
        model: str,
        binding: FeatureBinding,
        inputs: Sequence[str],
        store: OnlineStore | None = None,
    ) -> Lookup:
        selections = check_binding(ctx, binding, inputs, model)
        return cls(
            model, binding, selections, inputs, store or open_store(ctx.settings.online_store_url)
        )

    def close(self) -> None:
        self.store.close()

    async def complete(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
        """The request's rows with the missing inputs filled in, and what to log of each row."""
        present = set(frame.columns)
        filled, logged = await self._lookup(present, len(frame), lambda k: frame[k].tolist())
        if not filled and not self._consumed:
            return frame, logged
        out = frame.copy(deep=False)
        for name, values in filled.items():
            out[name] = values
        if self._consumed:
            out = out.drop(columns=[c for c in self._consumed if c in present])
        return out, logged

    async def complete_records(
        self, records: list[dict[str, Any]]
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """:meth:`complete` for JSON records, without a frame: what the numeric fast path uses."""
        present = set(records[0]) if records else set()
        filled, logged = await self._lookup(
            present, len(records), lambda k: [r.get(k) for r in records]
        )
        consumed = set(self._consumed)
        out = []
        for i, record in enumerate(records):
            row = {k: v for k, v in record.items() if k not in consumed}
            for name, values in filled.items():
                row[name] = values[i]
            out.append(row)
        return out, logged

    async def _lookup(
        self, present: set[str], rows: int, column: Callable[[str], list[Any]]
    ) -> tuple[dict[str, list[Any]], list[dict[str, Any]]]:
        """The values of the inputs the request lacks, by name; and what to log of each row."""
        filled: dict[str, list[Any]] = {}
        logged: list[dict[str, Any]] = [{} for _ in range(rows)]
        now_us = time.time_ns() // 1000
        for sel in self.selections:
            fill = [f for f in sel.features if f not in present]
            if not fill:
                continue
            view = sel.view
            for key in view.entities:
                if key not in present:
                    raise InputError(
                        f"the request for {self.model} has no {key!r}, the key by which its "
                        f"inputs {', '.join(fill)} are looked up in feature view {view.name!r}; "
                        "send it with every record"
                    )
            parts = [column(k) for k in view.entities]
            keys = key_texts(parts)
            found = await self.store.aread(view.name, [k or "" for k in keys])
            ttl = view.ttl_period
            oldest = now_us - int(ttl.total_seconds() * 1_000_000) if ttl is not None else None
            defaults = {f: view.feature(f).default for f in fill}
            columns: dict[str, list[Any]] = {f: [] for f in fill}
            for i, stored in enumerate(found):
                usable = stored if keys[i] else None
                values = self._values(
                    view.name, view.entities, parts, i, usable, oldest, now_us, ttl
                )
                source = values if values is not None else defaults
                for f in fill:
                    columns[f].append(source.get(f))
                for k, p in zip(view.entities, parts, strict=True):
                    logged[i][k] = _plain(p[i])
                logged[i][f"{view.name}.as_of"] = (
                    _iso(usable.event_us) if values is not None and usable is not None else None
                )
            filled.update(columns)
        return filled, logged

    def _values(
        self,
        view: str,
        keys: Sequence[str],
        parts: list[list[Any]],
        row: int,
        stored: Stored | None,
        oldest: int | None,
        now_us: int,
        ttl: dt.timedelta | None,
    ) -> dict[str, Any] | None:
        """The stored values to serve, or None to serve defaults (or raise, as the policy says)."""
        if stored is not None and (oldest is None or stored.event_us >= oldest):
            return stored.values
        entity = _entity(keys, [p[row] for p in parts])
        if stored is None:
            if self.binding.on_missing == "fail":
                raise FeatureLookupError(
                    missing_entity_sentence(view, entity, self.model), view=view, entity=entity
                )
            return None
        if oldest is not None and ttl is not None and stored.event_us < oldest:
            if self.binding.on_stale == "fail":
                age = dt.timedelta(microseconds=now_us - stored.event_us)
                raise FeatureLookupError(
                    stale_value_sentence(view, entity, self.model, _age(age), format_period(ttl)),
                    view=view,
                    entity=entity,
                )
            return None
        return stored.values


def _entity(keys: Sequence[str], values: Sequence[Any]) -> str:
    return " and ".join(f"{k} {_plain(v)!r}" for k, v in zip(keys, values, strict=True))


def _plain(value: Any) -> Any:
    item = getattr(value, "item", None)
    return item() if callable(item) else value


def _iso(us: int) -> str:
    return (dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=us)).isoformat()


def _age(age: dt.timedelta) -> str:
    hours = age.total_seconds() / 3600
    if hours < 48:
        return f"{hours:.0f} hours" if hours >= 1 else f"{age.total_seconds() / 60:.0f} minutes"
    return f"{hours / 24:.0f} days"
