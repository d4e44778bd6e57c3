"""Signing the chain's head, so a consistent rewrite of the database no longer verifies.

The signed head (event count, head hash, time, signature, key id) is itself
appended to the chain as an ``audit.sign`` event, in the same transaction
that read the head, so it always follows the event it signs. Before signing,
the chain is verified (heads this key signed before included): a key must
never bless a chain that was already tampered with.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from typing import TYPE_CHECKING, Any

from driftline.audit._chain import append, links
from driftline.audit._keys import SIGN_ACTION, PublicKey, head_message, key_id, load_private_key
from driftline.audit._verify import Walk
from driftline.audit._words import signed_sentence
from driftline.errors import AuditChainError, InputError
from driftline.store import AuditHeadRow

if TYPE_CHECKING:
    from driftline.store import Context

__all__ = ["SignedHead", "sign_head"]


@dataclasses.dataclass(frozen=True)
class SignedHead:
    """A head signed: events 1 to ``count`` end in ``head_hash``; ``seq`` is the signing event."""

    count: int
    head_hash: str
    time: str
    signature: str
    key_id: str
    seq: int

    @property
    def sentence(self) -> str:
        return signed_sentence(self.count, self.head_hash, self.key_id)

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "sentence": self.sentence}


def sign_head(ctx: Context, key: str | os.PathLike[str], *, actor: str | None = None) -> SignedHead:
    """Verify the chain, then sign its head with the Ed25519 private key in file ``key``.

    A key inside the workspace folder is refused: whoever can rewrite the
    audit record could sign with it too.
    """
    db = ctx.db
    private = load_private_key(key, workspace=ctx.home)
    public = PublicKey(private.public_key(), key_id(private.public_key()))
    walker = Walk(key=public)
    with db.read() as session:  # the long part, without holding up writers
        for link in links(session):
            failed = walker.feed(link)
            if failed is not None:
                raise AuditChainError(f"not signed: {failed.sentence}", seq=failed.bad_seq)
    with db.write() as session:
        for link in links(session, after=walker.checked):  # what was added meanwhile
            failed = walker.feed(link)
            if failed is not None:
                raise AuditChainError(f"not signed: {failed.sentence}", seq=failed.bad_seq)
        head = session.get(AuditHeadRow, 1)
        if head is None or head.seq == 0:
            raise InputError("the audit record is empty: there is no head to sign yet")
        if (head.seq, head.hash) != (walker.checked, walker.prev):
            raise AuditChainError(
                f"not signed: the chain's head record says event {head.seq} but the chain ends "
                f"at event {walker.checked}; check it with: driftline audit verify"
            )
        time = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        signature = private.sign(head_message(head.seq, head.hash, time)).hex()
        signed = SignedHead(head.seq, head.hash, time, signature, public.id, head.seq + 1)
        append(
            session,
            actor=actor or ctx.settings.actor,
            action=SIGN_ACTION,
            subject="audit",
            payload={
                "count": signed.count,
                "head_hash": signed.head_hash,
                "time": time,
                "signature": signature,
                "key_id": public.id,
            },
        )
    return signed
