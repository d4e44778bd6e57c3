"""What the feature store says: one template per sentence, each tested with its numbers."""

from __future__ import annotations

from driftline.words import count_of, percent, plural

__all__ = [
    "coverage_sentence",
    "materialized_sentence",
    "missing_entity_sentence",
    "stale_value_sentence",
]


def coverage_sentence(
    view: str, features: int, rows: int, found: int, expired: int, missing: int
) -> str:
    """How many entity rows got values of one view, and why the others did not."""
    head = (
        f"{plural(features, 'feature')} of view '{view}': {count_of(found, rows, 'row')} got values"
    )
    if rows == found:
        return head
    reasons = []
    if missing:
        reasons.append(f"{count_of(missing, rows, 'row')} had no value at or before their time")
    if expired:
        reasons.append(
            f"{count_of(expired, rows, 'row')} had only values older than the view's time-to-live"
        )
    share = percent((rows - found) / rows) if rows else "0%"
    return f"{head}; {' and '.join(reasons)} ({share} left empty)"


def materialized_sentence(view: str, rows: int, entities: int, store: str, since: str) -> str:
    """What one materialization copied into the online store."""
    if rows == 0:
        return f"view '{view}': nothing new {since}; the online store ({store}) is up to date"
    return (
        f"view '{view}': read {plural(rows, 'new row')} {since} and wrote the latest values of "
        f"{plural(entities, 'entity', 'entities')} to the online store ({store})"
    )


def missing_entity_sentence(view: str, entity: str, model: str) -> str:
    """A request whose entity has no values in the online store."""
    return (
        f"no features of view '{view}' for {entity} in the online store, and the deployment of "
        f"{model} fails on missing features; materialize the view (driftline features "
        "materialize) or send the model's inputs in the request"
    )


def stale_value_sentence(view: str, entity: str, model: str, age: str, ttl: str) -> str:
    """A request whose entity's values are older than the view's time-to-live."""
    return (
        f"the features of view '{view}' for {entity} are {age} old, older than the view's "
        f"time-to-live of {ttl}, and the deployment of {model} fails on stale features; "
        "materialize the view again or send the model's inputs in the request"
    )
