"""forget(): every logged record of one person removed, and the removal audited without them.

A person is named by the key their requests were sent with (``key`` in a
``/v1`` request: often a customer id) or by the value of one input column.
The audit chain records that their records were removed, how many and from
where, and names them only by a keyed hash (HMAC-SHA256 with the workspace
secret, which lives outside the database): the record proves the request
was honoured, and who holds the secret can later show that a given person's
request was, while whoever reads the database cannot find out who it was.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from driftline import audit
from driftline.errors import InputError
from driftline.governance._retention import check_model
from driftline.governance._words import forget_sentence, pending_sentence
from driftline.privacy import Redactor
from driftline.store import Forgotten, InferenceLog, Subject, keyed_hash, workspace_secret

if TYPE_CHECKING:
    from driftline.store import Context

__all__ = ["ForgetReport", "forget", "subject_hash"]


def subject_hash(ctx: Context, value: str) -> str:
    """The keyed hash the audit record names a person by: ``hmac-sha256:<hex>``."""
    return keyed_hash(workspace_secret(ctx.home), value)


@dataclasses.dataclass(frozen=True)
class ForgetReport:
    """What forgetting one person removed, and how the audit record names them."""

    subject: str  # the keyed hash, never the value
    column: str | None
    done: Forgotten
    compact_every_s: float = 600.0

    @property
    def match(self) -> str:
        return "the request key" if self.column is None else f"input column `{self.column}`"

    @property
    def complete(self) -> bool:
        """False while records wait in a segment a live server still writes."""
        return not self.done.pending

    @property
    def sentence(self) -> str:
        said = forget_sentence(
            f"the value given for {self.match}",
            self.done.removed,
            self.done.files,
            self.done.segments,
            self.subject,
        )
        if self.done.pending:
            said += " " + pending_sentence(self.done.pending, self.compact_every_s)
        return said

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "column": self.column,
            **self.done.to_dict(),
            "complete": self.complete,
            "sentence": self.sentence,
        }


def forget(
    ctx: Context,
    value: str,
    *,
    column: str | None = None,
    model: str | None = None,
    actor: str | None = None,
) -> ForgetReport:
    """Remove every logged record of the person whose request key (or input ``column``) is ``value``.

    ``model`` limits it to that model's traffic. Predictions, the labels and
    outcomes posted for them, and shadow copies all go; files are rewritten
    atomically (a run killed half-way is finished by running it again). The
    audit chain gets a ``log.forget`` event naming the person by a keyed
    hash. Records in the segment a running server still writes are counted
    as pending (``ForgetReport.complete`` is False): run it again later.
    """
    if not isinstance(value, str) or not value:
        raise InputError(f"give the value to forget as non-empty text, got {value!r}")
    if column is not None and (not isinstance(column, str) or not column.strip()):
        raise InputError(f"--column names an input column, got {column!r}")
    name = check_model(model)
    digest = subject_hash(ctx, value)
    log = InferenceLog.open(ctx.settings)
    # The log holds what the privacy policy made of the value (a keyed hash of a personal
    # column, say): look for that.
    stored = Redactor.from_settings(ctx.settings).stored(column or "request_key", value)
    try:
        done = log.forget(Subject(str(stored), column), model=name)
    finally:
        log.close()
    with ctx.db.write() as s:
        audit.append(
            s,
            actor=actor or ctx.settings.actor,
            action="log.forget",
            subject=name or "log",
            payload={
                "subject": digest,
                "match": "request_key" if column is None else f"input:{column}",
                "removed": dict(sorted(done.removed.items())),
                "files": done.files,
                "segments": done.segments,
                "pending": done.pending,
            },
        )
    return ForgetReport(digest, column, done, ctx.settings.log_compact_seconds)
