"""The chain as JSON lines, and its verification from such a file alone (no database).

One event a line, in order: ``seq``, ``time``, ``actor``, ``action``,
``subject``, ``payload`` (as JSON), ``prev_hash`` and ``hash``. A payload
whose stored text is not the canonical form of its JSON (only a row changed
by hand can be) also carries that exact text as ``payload_text``, so the
file verifies exactly as the database does. Anyone can check a file with
the hash of its head kept elsewhere (``--expect-head``) or a public key.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from driftline.audit._chain import links
from driftline.audit._hash import GENESIS, canonical
from driftline.audit._keys import PublicKey
from driftline.audit._verify import Link, VerifyResult, Walk
from driftline.audit._words import export_sentence
from driftline.errors import InputError
from driftline.store import Database

__all__ = ["Export", "export", "verify_file"]

_FIELDS = ("seq", "time", "actor", "action", "subject", "prev_hash", "hash")


@dataclasses.dataclass(frozen=True)
class Export:
    """What an export wrote: how many events, and the head to keep elsewhere."""

    count: int
    head_hash: str
    path: str

    @property
    def sentence(self) -> str:
        return export_sentence(self.count, self.head_hash, self.path)

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "sentence": self.sentence}


def _line(link: Link) -> str:
    doc: dict[str, Any] = {"seq": link.seq, "time": link.time, "actor": link.actor}
    doc.update(action=link.action, subject=link.subject)
    try:
        payload = json.loads(link.payload)
    except ValueError:
        payload = None
    doc["payload"] = payload
    if not isinstance(payload, dict) or canonical(payload) != link.payload:
        doc["payload_text"] = link.payload
    doc.update(prev_hash=link.prev_hash, hash=link.hash)
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n"


def _write(db: Database, out: IO[str]) -> tuple[int, str]:
    count, head = 0, GENESIS
    with db.read() as session:
        for link in links(session):
            out.write(_line(link))
            count, head = count + 1, link.hash
    return count, head


def export(db: Database, path: str | os.PathLike[str]) -> Export:
    """Write every event to ``path`` as JSON lines (``-`` for standard output).

    The file appears whole or not at all: it is written beside its place and
    renamed there once complete.
    """
    where = str(path)
    if where == "-":
        count, head = _write(db, sys.stdout)
        sys.stdout.flush()
        return Export(count, head, where)
    target = Path(path)
    tmp = target.with_name(f".{target.name}.tmp-{uuid.uuid4().hex[:8]}")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            count, head = _write(db, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise InputError(f"cannot write the audit export to {where!r}: {exc.strerror}") from exc
    return Export(count, head, where)


class _NotAnEvent(Exception):
    def __init__(self, line: int, why: str) -> None:
        super().__init__(why)
        self.line = line


def _parse(number: int, raw: bytes) -> Link:
    try:
        doc = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise _NotAnEvent(number, "it is not UTF-8 text") from None
    except ValueError:
        raise _NotAnEvent(number, "it is not JSON") from None
    if not isinstance(doc, dict):
        raise _NotAnEvent(number, "it is not a JSON object")
    missing = [f for f in _FIELDS if f not in doc]
    if "payload" not in doc and "payload_text" not in doc:
        missing.append("payload")
    if missing:
        raise _NotAnEvent(number, f"it has no {', '.join(missing)}")
    seq = doc["seq"]
    if isinstance(seq, bool) or not isinstance(seq, int):
        raise _NotAnEvent(number, f"its seq is {seq!r}, not a whole number")
    text = doc.get("payload_text")
    if not isinstance(text, str):
        payload = doc["payload"]
        if not isinstance(payload, dict):
            raise _NotAnEvent(number, "its payload is not a JSON object")
        text = canonical(payload)
    time, actor, action, subject, prev, hashed = (doc[f] for f in _FIELDS[1:])
    if not all(isinstance(v, str) for v in (time, actor, action, subject, prev, hashed)):
        raise _NotAnEvent(number, "its time, actor, action, subject and hashes are not all text")
    return Link(seq, time, actor, action, subject, text, prev, hashed, line=number)


def _links(f: IO[bytes]) -> Iterator[Link]:
    for number, raw in enumerate(f, 1):
        if raw.strip():
            yield _parse(number, raw)


def verify_file(
    path: str | os.PathLike[str],
    *,
    expect_head: str | None = None,
    public_key: str | os.PathLike[str] | None = None,
) -> VerifyResult:
    """Check an export without the database; the first bad event is named by its line.

    ``expect_head`` and ``public_key`` anchor it as in :func:`driftline.audit.verify`.
    """
    key = PublicKey.load(public_key) if public_key is not None else None
    walker = Walk(source="file", expect_head=expect_head, key=key)
    try:
        f = open(path, "rb")  # noqa: SIM115 - closed below, after the walk
    except FileNotFoundError:
        raise InputError(f"there is no audit export at {str(path)!r}") from None
    except OSError as exc:
        raise InputError(f"cannot read the audit export {str(path)!r}: {exc.strerror}") from exc
    with f:
        try:
            for link in _links(f):
                failed = walker.feed(link)
                if failed is not None:
                    return failed
        except _NotAnEvent as exc:
            return walker.broken(
                walker.expected_seq,
                f"line {exc.line} is not an audit event: {exc}",
                line=exc.line,
            )
    return walker.result()
