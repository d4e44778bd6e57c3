"""prune_log(): the inference log keeps no day older than the retention age, and says so.

Whole days go, never parts of files; a day goes once all of it is older than
the cutoff (now minus the age). The audit chain gets one ``log.prune`` event
per model (what was deleted: the days and the row counts by kind) written
before the files are deleted, so the record never lacks a deletion. The
loop calls this with its policy's age; ``driftline log prune`` does by hand.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections import Counter
from typing import TYPE_CHECKING, Any

from driftline import audit
from driftline.errors import InputError
from driftline.governance._words import age_text, prune_sentence
from driftline.store import NO_MODEL, InferenceLog, Partition, drop_summaries_before

if TYPE_CHECKING:
    from driftline.store import Context

__all__ = ["PruneReport", "check_model", "parse_age", "prune_log"]

_AGE = re.compile(r"^\s*(\d+)\s*([hdw])\s*$")
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}
# Records sent without a model (labels) live in this partition; the chain calls them "log".
_NO_MODEL_SUBJECT = "log"


def parse_age(text: str | dt.timedelta) -> dt.timedelta:
    """``"90d"`` -> 90 days. Units: h, d, w.

    >>> parse_age("90d"), parse_age("2w")
    (datetime.timedelta(days=90), datetime.timedelta(days=14))
    """
    if isinstance(text, dt.timedelta):
        if text <= dt.timedelta(0):
            raise InputError(f"a retention age must be longer than nothing, got {text}")
        return text
    match = _AGE.match(text or "") if isinstance(text, str) else None
    if not match or int(match.group(1)) == 0:
        raise InputError(
            f"retention age {text!r} is not an age: use a number and a unit, like 90d, 12w or "
            "36h (h hours, d days, w weeks)"
        )
    return dt.timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


@dataclasses.dataclass(frozen=True)
class PruneReport:
    """What retention deleted: each day partition with its rows, and the cutoff."""

    older_than: dt.timedelta
    cutoff: dt.date
    partitions: list[Partition]
    model: str | None = None

    @property
    def rows(self) -> dict[str, int]:
        counts: Counter[str] = Counter()
        for p in self.partitions:
            counts[p.kind] += p.rows
        return dict(sorted(counts.items(), key=lambda kv: (kv[0] != "predictions", kv[0])))

    @property
    def days(self) -> list[str]:
        """The calendar days deleted (of one model or more)."""
        return sorted({p.day for p in self.partitions})

    @property
    def sentence(self) -> str:
        models = sorted({p.model for p in self.partitions if p.model != NO_MODEL})
        files = sum(len(p.files) for p in self.partitions)
        return prune_sentence(self.older_than, self.cutoff, self.days, models, self.rows, files)

    def to_dict(self) -> dict[str, Any]:
        return {
            "older_than": age_text(self.older_than),
            "older_than_seconds": self.older_than.total_seconds(),
            "cutoff": self.cutoff.isoformat(),
            "model": self.model,
            "days": self.days,
            "rows": self.rows,
            "files": sum(len(p.files) for p in self.partitions),
            "partitions": [p.to_dict() for p in self.partitions],
            "sentence": self.sentence,
        }


def check_model(model: str | None) -> str | None:
    if model is None:
        return None
    from driftline.registry import parse_ref

    name, selector = parse_ref(model)
    if selector is not None or "@" in model:
        raise InputError(
            f"give a model name such as 'churn', got {model!r}: retention is per model"
        )
    return name


def _audit(
    ctx: Context, who: str, age: dt.timedelta, cutoff: dt.date, found: list[Partition]
) -> None:
    by_model: dict[str, list[Partition]] = {}
    for p in found:
        by_model.setdefault(p.model, []).append(p)
    with ctx.db.write() as s:
        for model, parts in sorted(by_model.items()):
            rows: Counter[str] = Counter()
            for p in parts:
                rows[p.kind] += p.rows
            audit.append(
                s,
                actor=who,
                action="log.prune",
                subject=_NO_MODEL_SUBJECT if model == NO_MODEL else model,
                payload={
                    "older_than": age_text(age),
                    "cutoff": cutoff.isoformat(),
                    "days": sorted({p.day for p in parts}),
                    "rows": dict(sorted(rows.items())),
                    "files": sum(len(p.files) for p in parts),
                },
            )


def prune_log(
    ctx: Context,
    *,
    older_than: str | dt.timedelta,
    model: str | None = None,
    now: dt.datetime | None = None,
    actor: str | None = None,
) -> PruneReport:
    """Delete the inference log's days older than ``older_than`` (``"90d"`` or a timedelta).

    ``model`` limits it to one model (records sent without a model are then
    kept). ``now`` is the time the age counts back from (default: now).
    """
    age = parse_age(older_than)
    name = check_model(model)
    cutoff = ((now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC) - age).date()
    who = actor or ctx.settings.actor
    log = InferenceLog.open(ctx.settings)
    try:
        found = log.prune(
            before=cutoff, model=name, record=lambda parts: _audit(ctx, who, age, cutoff, parts)
        )
        # The dashboard's summaries of those days go too (they would no longer answer).
        drop_summaries_before(ctx.db, log.store.url, cutoff.isoformat(), name)
    finally:
        log.close()
    return PruneReport(older_than=age, cutoff=cutoff, partitions=found, model=name)
