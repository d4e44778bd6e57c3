"""Append events to the chain and verify it.

Each event's hash covers its number, time, actor, action, subject, payload and
the previous event's hash, so editing, deleting or reordering any stored row
breaks the chain at that row. The head row (last number and hash) also catches
deletion of the newest events. A writer who can rewrite every row and the head
can forge a consistent chain; anchoring the head hash elsewhere (``driftline
audit verify`` prints it) closes that door.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from driftline.store import AuditEventRow, AuditHeadRow, Database
from driftline.words import plural

__all__ = ["GENESIS", "AuditEvent", "VerifyResult", "append", "events", "verify"]

GENESIS = "0" * 64


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


@dataclasses.dataclass(frozen=True)
class VerifyResult:
    """The outcome of checking the chain; ``bad_seq`` names the first broken event."""

    ok: bool
    checked: int
    head_hash: str
    bad_seq: int | None = None
    problem: str | None = None

    @property
    def sentence(self) -> str:
        """The verdict on the audit record, and what to do."""
        if self.ok and not self.checked:
            return "The audit record is empty: nothing has been recorded yet."
        if self.ok:
            read = (
                "its 1 event reads as it was written"
                if self.checked == 1
                else f"all {plural(self.checked, 'event')} read as they were written"
            )
            return (
                f"The audit record is intact: {read} (head {self.head_hash[:16]}…). Nothing to do."
            )
        before = ""
        if self.checked:
            are = "is" if self.checked == 1 else "are"
            before = f"; the {plural(self.checked, 'event')} before it {are} intact"
        return (
            f"The audit record was tampered with at event {self.bad_seq}: {self.problem}{before}. "
            "Restore the database from a backup taken before the change, and find out who could "
            "write to it."
        )

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "sentence": self.sentence}


def _canonical(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _digest(
    seq: int, time: str, actor: str, action: str, subject: str, payload: str, prev: str
) -> str:
    body = json.dumps(
        [seq, time, actor, action, subject, payload, prev],
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


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
    text = _canonical(payload or {})
    digest = _digest(seq, time, actor, action, subject, text, prev)
    session.add(
        AuditEventRow(
            seq=seq,
            time=time,
            actor=actor,
            action=action,
            subject=subject,
            payload=text,
            prev_hash=prev,
            hash=digest,
        )
    )
    if head is None:
        session.add(AuditHeadRow(id=1, seq=seq, hash=digest))
    else:
        head.seq, head.hash = seq, digest
    session.flush()
    return AuditEvent(seq, time, actor, action, subject, payload or {}, prev, digest)


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


def _rows(session: Session, batch: int = 5000) -> Iterator[AuditEventRow]:
    last = 0
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
        yield from chunk
        last = chunk[-1].seq


def verify(db: Database) -> VerifyResult:
    """Recompute the chain and name the first event that was edited, deleted or moved."""
    with db.read() as session:
        head = session.get(AuditHeadRow, 1)
        count = session.scalar(select(func.count()).select_from(AuditEventRow)) or 0
        expected_seq, prev, checked = 1, GENESIS, 0
        for row in _rows(session):
            if row.seq != expected_seq:
                return _broken(
                    checked,
                    prev,
                    expected_seq,
                    f"event {expected_seq} is missing: event {row.seq} follows event "
                    f"{expected_seq - 1} (deleted)",
                )
            recomputed = _digest(
                row.seq, row.time, row.actor, row.action, row.subject, row.payload, row.prev_hash
            )
            if recomputed != row.hash:
                return _broken(
                    checked,
                    prev,
                    row.seq,
                    f"event {row.seq} ({row.action} {row.subject}) does not match its hash: "
                    "it was edited or moved",
                )
            if row.prev_hash != prev:
                return _broken(
                    checked,
                    prev,
                    row.seq,
                    f"event {row.seq} ({row.action} {row.subject}) does not follow event "
                    f"{row.seq - 1}: events were deleted or reordered",
                )
            prev, expected_seq, checked = row.hash, expected_seq + 1, checked + 1
        if head is None and count:
            return _broken(checked, prev, 1, "the chain's head record was deleted")
        if head is not None and (head.seq != checked or head.hash != prev):
            return _broken(
                checked,
                prev,
                checked + 1,
                f"the chain ends at event {checked} but {head.seq} were recorded: "
                f"events after {checked} were deleted",
            )
    return VerifyResult(ok=True, checked=checked, head_hash=prev)


def _broken(checked: int, prev: str, seq: int, problem: str) -> VerifyResult:
    return VerifyResult(ok=False, checked=checked, head_hash=prev, bad_seq=seq, problem=problem)
