"""The audit chain's sentences beyond the database verdict: files, anchors, exports, signing."""

from __future__ import annotations

from driftline.audit import VerifyResult
from driftline.audit._words import export_sentence, signed_sentence

HEAD = "0123456789abcdef" + "0" * 48


def test_a_file_verdict_names_the_line_and_the_anchor() -> None:
    broken = VerifyResult(False, 4, HEAD, 5, "event 5 (x y) does not match its hash", "file", 5)
    assert broken.sentence == (
        "The audit export was tampered with at line 5 (event 5): event 5 (x y) does not match its "
        "hash; the 4 events before it are intact. Export the record again from the database or "
        "use a copy you trust, and find out who could change this file."
    )
    unanchored = VerifyResult(True, 3, HEAD, source="file")
    assert unanchored.sentence.endswith(
        "check it with --expect-head HASH (a head you kept) or --public-key FILE."
    )
    anchored = VerifyResult(True, 9, HEAD, source="file", expected_head=HEAD, expected_at=8)
    assert anchored.sentence == (
        "The audit export is intact: all 9 events read as they were written (head "
        "0123456789abcdef…). It holds the head you expected, event 8; the 1 event after it was "
        "added since. Nothing to do."
    )


def test_a_signed_verdict_says_what_the_signature_covers() -> None:
    signed = VerifyResult(
        True, 12, HEAD, key_id="k" * 64, signed_count=9, signed_at="2026-11-20T14:03:00+00:00"
    )
    assert signed.sentence == (
        "The audit record is intact: all 12 events read as they were written (head "
        "0123456789abcdef…). Events 1 to 9 are covered by the head your key signed on 2026-11-20 "
        "14:03 UTC. The 2 events recorded since are not signed yet: sign again with driftline "
        "audit sign --key FILE. Nothing to do."
    )
    unsigned = VerifyResult(False, 7, HEAD, problem="no head in it is signed with your key (kkkk…)")
    assert unsigned.sentence == (
        "The audit record cannot be trusted: no head in it is signed with your key (kkkk…) (7 "
        "events checked). Restore the database from a backup taken before the change, and find "
        "out who could write to it."
    )


def test_export_and_signing_say_what_to_keep() -> None:
    assert export_sentence(0, HEAD, "a.jsonl") == (
        "Exported no events to a.jsonl: the audit record is empty."
    )
    assert export_sentence(2, HEAD, "a.jsonl").startswith(
        f"Exported 2 events to a.jsonl; its head is {HEAD}. Keep that hash somewhere the "
        "database's writers cannot reach"
    )
    assert signed_sentence(5, HEAD, "f" * 64) == (
        "Signed the head of the audit record: events 1 to 5 (head 0123456789abcdef…) are now "
        "covered by key ffffffffffffffff…; check with: driftline audit verify --public-key FILE"
    )
