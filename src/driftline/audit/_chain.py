"""Append events to the chain, read them, and verify it in the database.

Each event's hash covers its number, time, actor, action, subject, payload and
the previous event's hash, so editing, deleting or reordering any stored row
breaks the chain at that row. The head row (last number and hash) also catches
deletion of the newest events. A writer who can rewrite every row and the head
can forge a consistent chain; anchoring the head elsewhere closes that door:
the hash ``driftline audit verify`` prints (``--expect-head``), or a head
signed with a key kept outside the workspace (``driftline audit sign``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
from collections.abc import Iterator
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from driftline.audit._hash import GENESIS, canonical, digest
from driftline.audit._keys import PublicKey
from driftline.audit._verify import Link, VerifyResult, Walk, walk
from driftline.store import AuditEventRow, AuditHeadRow, Database

__all__ = ["AuditEvent", "append", "events", "links", "verify"]


@dataclasses.dataclass(frozen=True)
class AuditEvent:
    """One recorded state change."""

    seq: int
    time: str
    actor: str
    action: str
    subject: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def append(
    session: Session,
    *,
    actor: str,
    action: str,
    subject: str,
    payload: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an event in ``session``'s transaction.

    Call it inside :meth:`Database.write` with the state change it records, so
    both commit or neither does, and writers are serialized.
    """
    head = session.get(AuditHeadRow, 1)
    seq = (head.seq if head else 0) + 1
    prev = head.hash if head else GENESIS
    time = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
    text = canonical(payload or {})
    hashed = digest(seq, time, actor, action, subject, text, prev)
    session.add(
        AuditEventRow(
            seq=seq,
            time=time,
            actor=actor,
            action=action,
            subject=subject,
            payload=text,
            prev_hash=prev,
            hash=hashed,
        )
    )
    if head is None:
        session.add(AuditHeadRow(id=1, seq=seq, hash=hashed))
    else:
        head.seq, head.hash = seq, hashed
    session.flush()
    return AuditEvent(seq, time, actor, action, subject, payload or {}, prev, hashed)


def _to_event(row: AuditEventRow) -> AuditEvent:
    try:
        payload = json.loads(row.payload)
    except ValueError:
        payload = {"unreadable": row.payload}
    return AuditEvent(
        row.seq, row.time, row.actor, row.action, row.subject, payload, row.prev_hash, row.hash
    )


def events(
    db: Database,
    *,
    subject: str | None = None,
    action: str | None = None,
    limit: int | None = None,
) -> list[AuditEvent]:
    """Events, newest last; filtered by subject prefix and action when given."""
    query = select(AuditEventRow).order_by(AuditEventRow.seq.desc())
    if subject:
        query = query.where(AuditEventRow.subject.startswith(subject, autoescape=True))
    if action:
        query = query.where(AuditEventRow.action == action)
    if limit:
        query = query.limit(limit)
    with db.read() as session:
        rows = list(session.scalars(query))
    return [_to_event(r) for r in reversed(rows)]


def links(session: Session, *, after: int = 0, batch: int = 5000) -> Iterator[Link]:
    """The stored events after number ``after`` in order, as they were hashed, a batch at a time."""
    last = after
    while True:
        chunk = list(
            session.scalars(
                select(AuditEventRow)
                .where(AuditEventRow.seq > last)
                .order_by(AuditEventRow.seq)
                .limit(batch)
            )
        )
        if not chunk:
            return
        for row in chunk:
            yield Link(
                row.seq,
                row.time,
                row.actor,
                row.action,
                row.subject,
                row.payload,
                row.prev_hash,
                row.hash,
            )
        last = chunk[-1].seq


def verify(
    db: Database,
    *,
    expect_head: str | None = None,
    public_key: str | os.PathLike[str] | None = None,
) -> VerifyResult:
    """Recompute the chain and name the first event that was edited, deleted or moved.

    ``expect_head`` is a head hash kept elsewhere: it must be in the chain.
    ``public_key`` is the PEM file of a signing key: every head it signed
    must match the chain, and at least one must exist.
    """
    key = PublicKey.load(public_key) if public_key is not None else None
    walker = Walk(source="database", expect_head=expect_head, key=key)
    with db.read() as session:
        head = session.get(AuditHeadRow, 1)
        count = session.scalar(select(func.count()).select_from(AuditEventRow)) or 0
        failed = walk(links(session), walker)
        if failed is not None:
            return failed
        if head is None and count:
            return walker.broken(1, "the chain's head record was deleted")
        if head is not None and (head.seq != walker.checked or head.hash != walker.prev):
            return walker.broken(
                walker.checked + 1,
                f"the chain ends at event {walker.checked} but {head.seq} were recorded: "
                f"events after {walker.checked} were deleted",
            )
    return walker.result()
