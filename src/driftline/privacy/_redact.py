"""Applying the policy to what is about to be written: records, rows, tables, text.

A :class:`Redactor` is built once per writer (``Redactor.from_settings``) and
is cheap per value: a dictionary lookup for the column's action, then, for a
scanned value, the detector's prefilter. The workspace secret is read only
when a hash is first needed, but a secret file others can read is refused at
once, so a misconfigured server stops at start rather than at its first hash.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from driftline.privacy._detect import Detector
from driftline.privacy._policy import PrivacyPolicy
from driftline.privacy._secret import SECRET_FILE, _check_mode, keyed_hash, workspace_secret

if TYPE_CHECKING:
    import pyarrow as pa

    from driftline.settings import Settings

__all__ = ["REDACTED", "Redactor"]

REDACTED = "[REDACTED]"
# Fields of a log record that driftline itself writes: never personal, never scanned.
_OWN_FIELDS = frozenset(
    {"kind", "model", "version", "route", "timestamp", "latency_ms", "probabilities", "rows"}
)
# Fields that identify a request: a personal value in one is hashed whole, so joins hold.
_ID_FIELDS = frozenset({"request_id", "request_key"})
_DROP = object()
# Two models marking one column differently: the stricter mark holds for both.
_STRICTNESS = {"hash": 0, "redact": 1, "drop": 2}
_MAYBE = re.compile(r"[0-9@]").search  # the detector's prefilter: nothing without these
_TAGS = re.compile(r"(<[^>]*>)")
_ATTRIBUTE = re.compile(r'="([^"]*)"')


class Redactor:
    """Rewrite values so that no personal value the policy covers reaches disk."""

    def __init__(
        self, policy: PrivacyPolicy | None = None, *, secret: Callable[[], bytes] | None = None
    ) -> None:
        self.policy = policy or PrivacyPolicy()
        self._table = self.policy  # the [privacy] table alone, before any signature's marks
        self._marked: dict[str, str] = {}
        self.detector = Detector(region=self.policy.region)
        self._secret_source = secret
        self._secret: bytes | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Redactor:
        """The workspace's redactor: its ``[privacy]`` policy and its secret."""
        policy = PrivacyPolicy.from_table(settings.privacy)
        home: Path = settings.home
        if settings.secret is None and (home / SECRET_FILE).exists():
            _check_mode(home / SECRET_FILE)  # refuse a readable secret now, not mid-request
        return cls(policy, secret=lambda: workspace_secret(home, given=settings.secret))

    def mark_personal(self, columns: Mapping[str, str]) -> None:
        """Treat ``columns`` as a model's signature marks them (``{"email": "hash"}``).

        Writers that know which models they write for call this with each model's
        ``signature.personal``; the ``[privacy]`` table's own entries still win.
        """
        changed = False
        for name, action in columns.items():
            old = self._marked.get(name)
            if action in _STRICTNESS and (old is None or _STRICTNESS[action] > _STRICTNESS[old]):
                self._marked[name] = action
                changed = True
        if changed:  # one assignment: a writer in another thread sees one policy or the other
            self.policy = self._table.with_personal(self._marked)

    # -- single values -----------------------------------------------------------

    def hash(self, value: Any) -> str:
        """The keyed hash of ``value`` (integral numbers hash as integers: 42.0 as 42)."""
        if self._secret is None:
            if self._secret_source is None:
                raise RuntimeError("this redactor has no workspace secret to hash with")
            self._secret = self._secret_source()
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return keyed_hash(self._secret, str(value))

    def text(self, text: str) -> str:
        """``text`` with every personal value found replaced (``[EMAIL]``, or its hash)."""
        if self.policy.detected == "keep":
            return text
        findings = self.detector.find(text)
        if not findings:
            return text
        parts, last = [], 0
        for f in findings:
            parts.append(text[last : f.start])
            if self.policy.detected == "hash":
                parts.append(self.hash(text[f.start : f.end]))
            else:
                parts.append(f"[{f.kind}]")
            last = f.end
        parts.append(text[last:])
        return "".join(parts)

    def scan(self, value: Any) -> Any:
        """A value of no named column, with what the detector finds in it redacted."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, int | float):
            if isinstance(value, float) and not math.isfinite(value):
                return value
            if self.policy.detected != "keep" and self.detector.number(value) is not None:
                return None  # a number column stays numeric: the card number becomes missing
            return value
        if isinstance(value, list | tuple):
            return [self.scan(v) for v in value]
        if isinstance(value, Mapping):
            return self.row(value)
        return self.text(str(value))

    def value(self, column: str, value: Any) -> Any:
        """What is written of ``value`` in ``column``; ``drop`` gives a sentinel (see row)."""
        action = self.policy.action(column)
        if action == "scan":
            return self.scan(value)
        if action == "keep" or value is None:
            return value
        if action == "hash":
            return self.hash(value)
        if action == "drop":
            return _DROP
        return REDACTED if isinstance(value, str) else None

    def identifier(self, column: str, value: Any) -> Any:
        """A request id or key: hashed whole when personal, so the same person still matches."""
        action = self.policy.action(column)
        if action == "scan":
            if isinstance(value, str) and self.detector.find(value):
                return self.hash(value)
            return value
        return self.value(column, value)

    def stored(self, column: str, value: Any) -> Any:
        """What the log holds for ``value`` given in ``column`` (forget looks for that)."""
        if column in _ID_FIELDS:
            return self.identifier(column, value)
        out = self.value(column, value)
        return None if out is _DROP else out

    def html(self, page: str) -> str:
        """An HTML page with what is found in its text (not its tags) redacted."""
        parts = _TAGS.split(page)
        # Odd parts are tags, even parts text; quoted attribute values are text too.
        for i in range(0, len(parts), 2):
            parts[i] = self.text(parts[i])
        for i in range(1, len(parts), 2):
            parts[i] = _ATTRIBUTE.sub(lambda m: f'="{self.text(m.group(1))}"', parts[i])
        return "".join(parts)

    def document(self, obj: Any) -> Any:
        """A JSON-like document (a stored report) with what is found in keys and values redacted."""
        if isinstance(obj, str):
            return self.text(obj)
        if isinstance(obj, Mapping):
            return {
                (self.text(k) if isinstance(k, str) else k): self.document(v)
                for k, v in obj.items()
            }
        if isinstance(obj, list | tuple):
            return [self.document(v) for v in obj]
        return self.scan(obj)

    def profile(self, profile: Mapping[str, Any]) -> dict[str, Any]:
        """A saved profile (``Profile.to_dict``) whose category names and sample are safe.

        A category that is personal becomes its keyed hash rather than ``[EMAIL]``:
        two people's addresses stay two categories, so profiles still merge.
        """
        out = dict(profile)
        columns = []
        for column in profile.get("columns", []):
            column = dict(column)
            name = str(column.get("name"))
            action = self.policy.action(name)
            moments = column.get("moments")
            if isinstance(moments, Mapping) and action != "keep":
                # The extremes are values of a row: a card number in a number column, say.
                moments = dict(moments)
                for key in ("min", "max"):
                    if moments.get(key) is not None and (
                        action != "scan" or self.scan(moments[key]) is None
                    ):
                        moments[key] = None
                column["moments"] = moments
            # "known" holds hashes already (a sketch of values seen), never the values.
            if column.get("categories") is not None:
                column["categories"] = self._cells(name, column["categories"])
            columns.append(column)
        out["columns"] = columns
        reservoir = profile.get("reservoir")
        if isinstance(reservoir, Mapping) and isinstance(reservoir.get("values"), Mapping):
            reservoir = dict(reservoir)
            reservoir["values"] = {n: self._sample(n, v) for n, v in reservoir["values"].items()}
            out["reservoir"] = reservoir
        return out

    def _sample(self, column: str, values: Any) -> Any:
        """One column of a profile's sample, as :meth:`_cells` makes it, for less.

        A batch job writes a profile with every partition, so this ran value by
        value for a thousand rows each time. Text is looked at once per distinct
        value; a number short of a card number's twelve digits is what scanning
        leaves it.
        """
        if not isinstance(values, list) or self.policy.action(column) != "scan":
            return self._cells(column, values, pseudonym=False)
        done: dict[str, Any] = {}
        out = []
        for value in values:
            if type(value) is float and abs(value) < 1e12:
                out.append(value)
            elif type(value) is str:
                if value not in done:
                    done[value] = self._cells(column, value, pseudonym=False)
                out.append(done[value])
            else:
                out.append(self._cells(column, value, pseudonym=False))
        return out

    def _cells(self, column: str, obj: Any, *, pseudonym: bool = True) -> Any:
        if isinstance(obj, list | tuple):
            return [self._cells(column, v, pseudonym=pseudonym) for v in obj]
        if isinstance(obj, Mapping):
            return {k: self._cells(column, v, pseudonym=pseudonym) for k, v in obj.items()}
        if not isinstance(obj, str):
            new = self.value(column, obj)
            return None if new is _DROP else new
        action = self.policy.action(column)
        if action == "scan" and pseudonym:
            return self.hash(obj) if self.detector.find(obj) else obj
        new = self.value(column, obj)
        return None if new is _DROP else new

    def field(self, name: str, text: str) -> str | None:
        """A text field of a message (a JSON object of columns, or one column's value).

        None when the policy drops the column.
        """
        if text.startswith("{"):
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = None
            if isinstance(parsed, dict):
                return json.dumps(self.row(parsed), ensure_ascii=False)
        out = self.value(name, text)
        return None if out is _DROP else (out if isinstance(out, str) else json.dumps(out))

    # -- containers --------------------------------------------------------------

    def row(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """A row of named values with each column's action applied; dropped columns gone."""
        out: dict[str, Any] = {}
        columns = self.policy.columns
        for name, value in row.items():
            if name not in columns:
                # The common case, inlined: numbers and short words cost a type check.
                kind = type(value)
                if (kind is float and abs(value) < 1e12) or (kind is str and not _MAYBE(value)):
                    out[name] = value
                    continue
                new = self.scan(value)
            else:
                new = self.value(name, value)
            if new is not _DROP:
                out[name] = new
        return out

    def keeps_numbers(self, names: Sequence[str], matrix: Any) -> bool:
        """Whether :meth:`row` keeps every row of this float matrix (columns ``names``) whole.

        True when no column has an action of its own and every value is a number
        under 1e12 in size, which :meth:`row` keeps without a scan: one check of
        the whole matrix instead of one per value.
        """
        if self.policy.columns and not self.policy.columns.keys().isdisjoint(names):
            return False
        return (
            matrix.dtype.kind == "f"
            and matrix.size > 0
            and bool(abs(matrix).max() < 1e12)  # NaN is not below: those rows are scanned
        )

    def record(self, record: Mapping[str, Any], *, inputs_checked: bool = False) -> dict[str, Any]:
        """A log record (prediction, label, outcome, failure) ready to be written.

        ``inputs_checked`` says that :meth:`keeps_numbers` held for the inputs.
        """
        out: dict[str, Any] = {}
        for key, value in record.items():
            if key in _OWN_FIELDS or value is None or (key == "inputs" and inputs_checked):
                out[key] = value
            elif key == "inputs" and isinstance(value, Mapping):
                out[key] = self.row(value)
            elif key in _ID_FIELDS:
                out[key] = self.identifier(key, value)
            else:
                new = self.value(key, value)
                if new is not _DROP:
                    out[key] = new
        return out

    def table(self, table: pa.Table) -> pa.Table:
        """A table (rejected rows, say) with each column's action applied, row by row."""
        import pyarrow as pa

        rows = [self.row(r) for r in table.to_pylist()]
        names = [n for n in table.column_names if self.policy.action(n) != "drop"]
        return pa.Table.from_pylist(
            [{n: r.get(n) for n in names} for r in rows] if rows else [],
            schema=None if rows else pa.schema([table.schema.field(n) for n in names]),
        )
