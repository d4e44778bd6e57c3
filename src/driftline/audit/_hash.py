"""What an event's hash covers, written once for the chain, its verifier and its exports."""

from __future__ import annotations

import hashlib
import json
from typing import Any

__all__ = ["GENESIS", "canonical", "digest"]

# The "previous hash" of the first event.
GENESIS = "0" * 64


def canonical(payload: dict[str, Any]) -> str:
    """The one text of a payload that is hashed and stored."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest(
    seq: int, time: str, actor: str, action: str, subject: str, payload: str, prev: str
) -> str:
    """The hash of one event: its number, time, actor, action, subject, payload text and the
    previous event's hash."""
    body = json.dumps(
        [seq, time, actor, action, subject, payload, prev],
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()
