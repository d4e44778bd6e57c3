"""Checking the chain: one walk over its events, whether they come from the database or a file.

The walk recomputes each event's hash and checks that it names the previous
event's hash, and names the first event that fails. Two anchors outside the
chain close what a consistent rewrite would leave open: ``expect_head`` (a
head hash kept elsewhere must be in the chain) and ``key`` (a public key:
every head signed with its private key must carry a valid signature and
match the chain, and at least one must exist). Without an anchor, a writer
who rewrites every event and the head can forge a chain that verifies.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from typing import Any, Literal

from driftline.audit._hash import GENESIS, digest
from driftline.audit._keys import SIGN_ACTION, PublicKey, head_message
from driftline.audit._words import verdict

__all__ = ["Link", "Source", "VerifyResult", "Walk", "walk"]

Source = Literal["database", "file"]


@dataclasses.dataclass(frozen=True)
class Link:
    """One event as it was hashed (``payload`` is the exact text); ``line`` in a file, if any."""

    seq: int
    time: str
    actor: str
    action: str
    subject: str
    payload: str
    prev_hash: str
    hash: str
    line: int | None = None


@dataclasses.dataclass(frozen=True)
class VerifyResult:
    """The outcome of checking the chain; ``bad_seq`` names the first broken event.

    From a file, ``bad_line`` is that event's line. A failure of an anchor
    (the expected head is missing, no head is signed with the key) has no
    ``bad_seq``. ``signed_count`` is how many events the newest head signed
    with the key covers, ``expected_at`` the event whose hash was expected.
    """

    ok: bool
    checked: int
    head_hash: str
    bad_seq: int | None = None
    problem: str | None = None
    source: Source = "database"
    bad_line: int | None = None
    expected_head: str | None = None
    expected_at: int | None = None
    key_id: str | None = None
    signed_count: int | None = None
    signed_at: str | None = None

    @property
    def sentence(self) -> str:
        """The verdict on the audit record, and what to do."""
        return verdict(self)

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "sentence": self.sentence}


class Walk:
    """Feed it the events in order; it stops at the first broken one."""

    def __init__(
        self,
        *,
        source: Source = "database",
        expect_head: str | None = None,
        key: PublicKey | None = None,
    ) -> None:
        self.source = source
        self.expect_head = expect_head.strip().lower() if expect_head else None
        self.key = key
        self.expected_seq = 1
        self.prev = GENESIS
        self.checked = 0
        self.expected_at: int | None = 0 if self.expect_head == GENESIS else None
        self.signed: tuple[int, str] | None = None

    def broken(self, seq: int | None, problem: str, *, line: int | None = None) -> VerifyResult:
        return VerifyResult(
            ok=False,
            checked=self.checked,
            head_hash=self.prev,
            bad_seq=seq,
            problem=problem,
            source=self.source,
            bad_line=line,
            expected_head=self.expect_head,
            key_id=self.key.id if self.key else None,
        )

    def feed(self, link: Link) -> VerifyResult | None:
        """Check one event; the failure when it breaks the chain, else None."""
        expected = self.expected_seq
        if link.seq != expected:
            if link.seq > expected:
                problem = (
                    f"event {expected} is missing: event {link.seq} follows event "
                    f"{expected - 1} (deleted)"
                )
            else:
                problem = (
                    f"event {link.seq} comes again after event {expected - 1}: events were "
                    "repeated or reordered"
                )
            return self.broken(expected, problem, line=link.line)
        recomputed = digest(
            link.seq, link.time, link.actor, link.action, link.subject, link.payload, link.prev_hash
        )
        if recomputed != link.hash:
            return self.broken(
                link.seq,
                f"event {link.seq} ({link.action} {link.subject}) does not match its hash: "
                "it was edited or moved",
                line=link.line,
            )
        if link.prev_hash != self.prev:
            return self.broken(
                link.seq,
                f"event {link.seq} ({link.action} {link.subject}) does not follow event "
                f"{link.seq - 1}: events were deleted or reordered",
                line=link.line,
            )
        if self.key is not None and link.action == SIGN_ACTION:
            wrong = self._check_signed_head(link)
            if wrong is not None:
                return self.broken(link.seq, wrong, line=link.line)
        if self.expect_head is not None and link.hash == self.expect_head:
            self.expected_at = link.seq
        self.prev, self.expected_seq, self.checked = link.hash, expected + 1, self.checked + 1
        return None

    def _check_signed_head(self, link: Link) -> str | None:
        if self.key is None:
            return None
        try:
            head = json.loads(link.payload)
        except ValueError:
            return None
        if not isinstance(head, dict) or head.get("key_id") != self.key.id:
            return None  # signed with another key: not this check's business
        count, head_hash = head.get("count"), head.get("head_hash")
        time, signature = head.get("time"), head.get("signature")
        if count != link.seq - 1 or head_hash != link.prev_hash:
            return (
                f"event {link.seq} ({SIGN_ACTION}) holds a head signed for event {count} "
                f"({str(head_hash)[:16]}…), which is not the event before it: the events "
                "before it were rewritten"
            )
        if not (
            isinstance(time, str)
            and isinstance(signature, str)
            and self.key.holds(head_message(count, head_hash, time), signature)
        ):
            return (
                f"event {link.seq} ({SIGN_ACTION}) holds a signature your public key does not "
                "confirm: it was forged"
            )
        self.signed = (count, time)
        return None

    def result(self) -> VerifyResult:
        """The verdict once every event was fed: the anchors are checked last."""
        if self.expect_head is not None and self.expected_at is None:
            return self.broken(
                None,
                f"the head you expected ({self.expect_head[:16]}…) is not in it, which ends at "
                f"event {self.checked} with head {self.prev[:16]}…: events were cut from its "
                "end, or it was rewritten",
            )
        if self.key is not None and self.signed is None:
            return self.broken(
                None,
                f"no head in it is signed with your key ({self.key.id[:16]}…): it was rewritten, "
                "or that key never signed it",
            )
        return VerifyResult(
            ok=True,
            checked=self.checked,
            head_hash=self.prev,
            source=self.source,
            expected_head=self.expect_head,
            expected_at=self.expected_at,
            key_id=self.key.id if self.key else None,
            signed_count=self.signed[0] if self.signed else None,
            signed_at=self.signed[1] if self.signed else None,
        )


def walk(links: Iterable[Link], walker: Walk) -> VerifyResult | None:
    """Feed every link; the first failure, or None when all read as written."""
    for link in links:
        failed = walker.feed(link)
        if failed is not None:
            return failed
    return None
