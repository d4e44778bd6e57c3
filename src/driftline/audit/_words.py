"""The audit chain's verdicts in plain words: one sentence, its numbers, and what to do."""

from __future__ import annotations

from typing import Protocol

from driftline.words import plural

__all__ = ["export_sentence", "signed_sentence", "verdict", "when"]


class VerifyResult(Protocol):
    """What a verdict is said from (``driftline.audit.VerifyResult``)."""

    @property
    def ok(self) -> bool: ...

    @property
    def checked(self) -> int: ...

    @property
    def head_hash(self) -> str: ...

    @property
    def bad_seq(self) -> int | None: ...

    @property
    def problem(self) -> str | None: ...

    @property
    def source(self) -> str: ...

    @property
    def bad_line(self) -> int | None: ...

    @property
    def expected_head(self) -> str | None: ...

    @property
    def expected_at(self) -> int | None: ...

    @property
    def key_id(self) -> str | None: ...

    @property
    def signed_count(self) -> int | None: ...

    @property
    def signed_at(self) -> str | None: ...


_RESTORE = {
    "database": (
        "Restore the database from a backup taken before the change, and find out who could "
        "write to it."
    ),
    "file": (
        "Export the record again from the database or use a copy you trust, and find out who "
        "could change this file."
    ),
}
_NAMES = {"database": "audit record", "file": "audit export"}


def when(time: str) -> str:
    """An event's ISO time as people read it: "2026-11-20 14:03 UTC"."""
    return f"{time[:16].replace('T', ' ')} UTC" if len(time) >= 16 else time


def _read(checked: int) -> str:
    if checked == 1:
        return "its 1 event reads as it was written"
    return f"all {plural(checked, 'event')} read as they were written"


def verdict(r: VerifyResult) -> str:
    """The verdict on a chain, from the database or a file."""
    name = _NAMES[r.source]
    if not r.ok:
        return _broken(r, name)
    if not r.checked and r.expected_head is None and r.key_id is None:
        if r.source == "database":
            return "The audit record is empty: nothing has been recorded yet."
        return "The audit export is empty: it holds no events."
    out = [f"The {name} is intact: {_read(r.checked)} (head {r.head_hash[:16]}…)."]
    if r.expected_at is not None:
        since = r.checked - r.expected_at
        added = (
            f"; the {plural(since, 'event')} after it {'was' if since == 1 else 'were'} added since"
            if since
            else ""
        )
        out.append(f"It holds the head you expected, event {r.expected_at}{added}.")
    if r.signed_count is not None and r.signed_at is not None:
        out.append(
            f"Events 1 to {r.signed_count} are covered by the head your key signed on "
            f"{when(r.signed_at)}."
        )
        unsigned = r.checked - r.signed_count - 1  # the signing event itself aside
        if unsigned > 0:
            out.append(
                f"The {plural(unsigned, 'event')} recorded since {'is' if unsigned == 1 else 'are'} "
                "not signed yet: sign again with driftline audit sign --key FILE."
            )
    if r.source == "file" and r.expected_head is None and r.key_id is None:
        out.append(
            "Nothing in the file itself shows that its end was not cut or that it was not "
            "rewritten whole: check it with --expect-head HASH (a head you kept) or "
            "--public-key FILE."
        )
    else:
        out.append("Nothing to do.")
    return " ".join(out)


def _broken(r: VerifyResult, name: str) -> str:
    remedy = _RESTORE[r.source]
    if r.bad_seq is None:
        return f"The {name} cannot be trusted: {r.problem} ({plural(r.checked, 'event')} checked). {remedy}"
    where = (
        f"line {r.bad_line} (event {r.bad_seq})" if r.bad_line is not None else f"event {r.bad_seq}"
    )
    before = ""
    if r.checked:
        are = "is" if r.checked == 1 else "are"
        before = f"; the {plural(r.checked, 'event')} before it {are} intact"
    return f"The {name} was tampered with at {where}: {r.problem}{before}. {remedy}"


def export_sentence(count: int, head_hash: str, where: str) -> str:
    """What an export wrote, and the head to keep elsewhere."""
    if not count:
        return f"Exported no events to {where}: the audit record is empty."
    return (
        f"Exported {plural(count, 'event')} to {where}; its head is {head_hash}. Keep that hash "
        f"somewhere the database's writers cannot reach, and check the file later with: "
        f"driftline audit verify --file {where} --expect-head {head_hash}"
    )


def signed_sentence(count: int, head_hash: str, key: str) -> str:
    """What signing did."""
    return (
        f"Signed the head of the audit record: events 1 to {count} (head {head_hash[:16]}…) are "
        f"now covered by key {key[:16]}…; check with: driftline audit verify --public-key FILE"
    )
