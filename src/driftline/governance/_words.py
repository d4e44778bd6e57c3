"""Governance in plain words: what retention deleted, what forgetting removed, a card's lines."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from driftline.words import listing, plural

__all__ = [
    "age_text",
    "at",
    "deployed_sentence",
    "forget_sentence",
    "pending_sentence",
    "prune_sentence",
    "rows_text",
]

_ORDER = {"predictions": 0, "labels": 1, "outcomes": 2}
_NOUNS = {
    "predictions": ("prediction", "predictions"),
    "labels": ("label", "labels"),
    "outcomes": ("outcome", "outcomes"),
}


def age_text(age: dt.timedelta) -> str:
    """A retention age as people say it: "90 days", "36 hours", "1 day and 12 hours".

    >>> age_text(dt.timedelta(days=90)), age_text(dt.timedelta(hours=36))
    ('90 days', '1 day and 12 hours')
    """
    days, rest = age.days, age.seconds
    hours, minutes = rest // 3600, rest % 3600 // 60
    parts = [
        plural(n, unit) for n, unit in ((days, "day"), (hours, "hour"), (minutes, "minute")) if n
    ]
    return listing(parts) if parts else plural(age.seconds, "second")


def rows_text(rows: Mapping[str, int]) -> str:
    """Counts of records by kind: "1,200 predictions and 30 labels".

    >>> rows_text({"labels": 30, "predictions": 1200}), rows_text({"predictions": 1})
    ('1,200 predictions and 30 labels', '1 prediction')
    """
    parts = []
    for kind, n in sorted(rows.items(), key=lambda kv: (_ORDER.get(kv[0], len(_ORDER)), kv[0])):
        what = kind.removesuffix("s")  # the log's folders are plural: "outcomes", "clicks"
        one, many = _NOUNS.get(kind, (f"{what} record", f"{what} records"))
        parts.append(plural(n, one, many))
    return listing(parts, limit=len(parts)) if parts else "no records"


def prune_sentence(
    age: dt.timedelta,
    cutoff: dt.date,
    days: list[str],
    models: list[str],
    rows: Mapping[str, int],
    files: int,
) -> str:
    """What retention did, with its numbers.

    >>> prune_sentence(dt.timedelta(days=90), dt.date(2026, 9, 7), ["2026-09-01", "2026-09-06"],
    ...                ["churn"], {"predictions": 1200, "labels": 30}, 14)
    'Deleted 2 days (2026-09-01 to 2026-09-06) of the inference log of churn, older than 90 days (before 2026-09-07): 1,200 predictions and 30 labels in 14 files. The audit record lists each day.'
    """
    older = f"older than {age_text(age)} (before {cutoff.isoformat()})"
    if not days:
        return f"Nothing to delete: no day of the inference log is {older}."
    whose = f"of {listing(models)}" if models else "of records sent without a model"
    first, last = min(days), max(days)
    when = first if first == last else f"{first} to {last}"
    return (
        f"Deleted {plural(len(days), 'day')} ({when}) of the inference log {whose}, {older}: "
        f"{rows_text(rows)} in {plural(files, 'file')}. The audit record lists each day."
    )


def forget_sentence(
    match: str, rows: Mapping[str, int], files: int, segments: int, digest: str
) -> str:
    """What forgetting one person did; the person is named by a keyed hash only."""
    if not sum(rows.values()):
        return (
            f"No logged record matches {match}: nothing to remove. The request is recorded in "
            f"the audit record under the keyed hash {digest[:28]}…."
        )
    places = []
    if files:
        places.append(plural(files, "log file"))
    if segments:
        places.append(plural(segments, "segment"))
    return (
        f"Removed {rows_text(rows)} matching {match} from {listing(places)}. The audit record "
        f"names this person only by the keyed hash {digest[:28]}…."
    )


def pending_sentence(pending: int, every_s: float) -> str:
    """Records a running server still holds in its open segment, and what to do."""
    sealed = (
        f"the server seals its segment every {every_s:g} seconds"
        if every_s
        else "stop the server, or set log_compact_seconds so it seals its segment"
    )
    return (
        f"{plural(pending, 'more record')} of this person {'is' if pending == 1 else 'are'} in "
        "the segment a running server is still writing, which cannot be rewritten under it: "
        f"run the same driftline forget again once it is sealed ({sealed})."
    )


def at(time: str) -> str:
    """An audit event's ISO time as people read it.

    >>> at("2026-11-20T14:03:11.520000+00:00")
    '2026-11-20 14:03 UTC'
    """
    return f"{time[:16].replace('T', ' ')} UTC" if len(time) >= 16 else time


def deployed_sentence(role: str, before: str) -> str:
    """How serving this version changed: a deployment's meaning for it.

    >>> deployed_sentence("answers 5% of the traffic as the canary challenger", "")
    'deployed: it answers 5% of the traffic as the canary challenger'
    >>> deployed_sentence("", "answers the traffic as champion")
    'no longer served (it answered the traffic as champion)'
    """
    if not role:
        return f"no longer served (it {_past(before)})"
    return f"deployed: it {role}" if not before else f"now it {role} (before, it {_past(before)})"


def _past(role: str) -> str:
    return role.replace("answers", "answered").replace("gets", "got")
