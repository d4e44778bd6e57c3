"""Edits, deletions and reorderings made directly in the database are caught and named."""

import pytest
from sqlalchemy import text

from driftline import Workspace, audit


@pytest.fixture
def chained(workspace: Workspace) -> Workspace:
    with workspace.db.write() as s:
        for i in range(1, 7):
            audit.append(
                s, actor="alice", action="test.event", subject=f"thing:{i}", payload={"i": i}
            )
    return workspace


def _sql(ws: Workspace, statement: str, **params: object) -> None:
    with ws.db.engine.begin() as conn:
        conn.execute(text(statement), params)


def test_intact_chain_verifies(chained: Workspace) -> None:
    result = chained.verify_audit()
    assert result.ok and result.checked == 6 and result.bad_seq is None
    assert result.head_hash == chained.audit_events()[-1].hash


def test_empty_chain_verifies(workspace: Workspace) -> None:
    assert workspace.verify_audit().ok


def test_edited_payload_is_caught(chained: Workspace) -> None:
    _sql(chained, "UPDATE audit_events SET payload = :p WHERE seq = 3", p='{"i":300}')
    result = chained.verify_audit()
    assert not result.ok and result.bad_seq == 3
    assert "edited" in (result.problem or "")


def test_edited_actor_is_caught(chained: Workspace) -> None:
    _sql(chained, "UPDATE audit_events SET actor = 'mallory' WHERE seq = 5")
    assert chained.verify_audit().bad_seq == 5


def test_deleted_event_is_caught(chained: Workspace) -> None:
    _sql(chained, "DELETE FROM audit_events WHERE seq = 4")
    result = chained.verify_audit()
    assert result.bad_seq == 4
    assert "missing" in (result.problem or "")


def test_deleted_and_renumbered_event_is_caught(chained: Workspace) -> None:
    _sql(chained, "DELETE FROM audit_events WHERE seq = 4")
    for seq in (5, 6):
        _sql(chained, "UPDATE audit_events SET seq = :new WHERE seq = :old", new=seq - 1, old=seq)
    assert chained.verify_audit().bad_seq == 4


def test_deleted_tail_is_caught(chained: Workspace) -> None:
    _sql(chained, "DELETE FROM audit_events WHERE seq >= 5")
    result = chained.verify_audit()
    assert result.bad_seq == 5
    assert "deleted" in (result.problem or "")


def test_reordered_events_are_caught(chained: Workspace) -> None:
    _sql(chained, "UPDATE audit_events SET seq = -1 WHERE seq = 2")
    _sql(chained, "UPDATE audit_events SET seq = 2 WHERE seq = 3")
    _sql(chained, "UPDATE audit_events SET seq = 3 WHERE seq = -1")
    assert chained.verify_audit().bad_seq == 2


def test_swapped_contents_are_caught(chained: Workspace) -> None:
    # Move event 3's whole content, hash included, into row 2's place and vice versa.
    cols = "time, actor, action, subject, payload, prev_hash, hash"
    with chained.db.engine.begin() as conn:
        two = conn.execute(text(f"SELECT {cols} FROM audit_events WHERE seq = 2")).one()
        three = conn.execute(text(f"SELECT {cols} FROM audit_events WHERE seq = 3")).one()
        for seq, row in ((2, three), (3, two)):
            conn.execute(
                text(
                    "UPDATE audit_events SET time=:time, actor=:actor, action=:action, "
                    "subject=:subject, payload=:payload, prev_hash=:prev_hash, hash=:hash "
                    "WHERE seq=:seq"
                ),
                {**row._asdict(), "seq": seq},
            )
    assert chained.verify_audit().bad_seq == 2


def test_appending_after_verification_keeps_the_chain(chained: Workspace) -> None:
    with chained.db.write() as s:
        audit.append(s, actor="bob", action="test.more", subject="x")
    assert chained.verify_audit().checked == 7


def test_failed_transaction_writes_no_event(chained: Workspace) -> None:
    class Boom(Exception):
        pass

    def change_then_fail() -> None:
        with chained.db.write() as s:
            audit.append(s, actor="bob", action="test.lost", subject="x")
            raise Boom

    with pytest.raises(Boom):
        change_then_fail()
    assert [e.action for e in chained.audit_events()][-1] == "test.event"
    assert chained.verify_audit().ok


def test_the_verdict_in_a_sentence() -> None:
    from driftline.audit import VerifyResult

    head = "0123456789abcdef" + "0" * 48
    assert VerifyResult(True, 0, head).sentence == (
        "The audit record is empty: nothing has been recorded yet."
    )
    assert VerifyResult(True, 1, head).sentence == (
        "The audit record is intact: its 1 event reads as it was written (head 0123456789abcdef…). "
        "Nothing to do."
    )
    assert VerifyResult(True, 9, head).sentence == (
        "The audit record is intact: all 9 events read as they were written (head "
        "0123456789abcdef…). Nothing to do."
    )
    broken = VerifyResult(
        False, 1, head, 2, "event 2 (alias.set m@champion) does not match its hash"
    )
    assert broken.sentence == (
        "The audit record was tampered with at event 2: event 2 (alias.set m@champion) does not "
        "match its hash; the 1 event before it is intact. Restore the database from a backup "
        "taken before the change, and find out who could write to it."
    )
    assert VerifyResult(False, 0, head, 1, "the chain's head record was deleted").sentence == (
        "The audit record was tampered with at event 1: the chain's head record was deleted. "
        "Restore the database from a backup taken before the change, and find out who could "
        "write to it."
    )
