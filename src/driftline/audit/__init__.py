"""The audit chain: an append-only, hash-chained record of every state change."""

from driftline.audit._chain import GENESIS, AuditEvent, VerifyResult, append, events, verify

__all__ = ["GENESIS", "AuditEvent", "VerifyResult", "append", "events", "verify"]
