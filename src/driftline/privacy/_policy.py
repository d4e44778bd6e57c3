"""What is written of each column: the ``[privacy]`` table of ``driftline.toml``.

The policy lives with the workspace's settings, not with a model, because
every writer must apply it and not every writer knows a model: the inference
log, batch rejects, stream dead letters, reports, alerts, crash files. A column
called ``email`` is personal whichever model reads it::

    [privacy]
    region = "GB"                       # phone numbers written without +country are British
    personal = ["customer_id", "email"] # replaced by a keyed hash: joins still match
    detected = "redact"                 # what happens to personal values found in other text
    [privacy.columns]
    notes = "redact"                    # the whole value replaced by [REDACTED]
    ssn = "drop"                        # never written at all
    postcode = "keep"                   # written as it is, not scanned

A model's signature can also mark a column personal at registration
(``driftline models register --personal email=hash``): writers that know the
model add its marks (:meth:`PrivacyPolicy.with_personal`), and this table's own
entry for a column, where it has one, still decides.

A column with no entry is scanned: text for every kind the detector knows,
numbers for payment card numbers; what is found is redacted (``detected =
"hash"`` puts a keyed hash in its place instead, ``"keep"`` turns scanning off).
The same names apply to the log's ``request_key`` and ``label`` fields.
Monitoring leaves out of drift the columns not kept as sent (``hash``,
``redact``, ``drop``): against the raw training data they would always drift.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from driftline.errors import ConfigError

__all__ = ["ACTIONS", "PrivacyPolicy"]

ACTIONS = ("redact", "hash", "drop", "keep")
_DETECTED = ("redact", "hash", "keep")
_KEYS = ("region", "personal", "detected", "columns")


@dataclasses.dataclass(frozen=True)
class PrivacyPolicy:
    """Per-column actions, what to do with values found by scanning, the phone region."""

    columns: Mapping[str, str] = dataclasses.field(default_factory=dict)
    detected: str = "redact"
    region: str = "US"

    def with_personal(self, marked: Mapping[str, str]) -> PrivacyPolicy:
        """This policy and the columns a signature marks personal; the table's own entries win."""
        extra = {name: action for name, action in marked.items() if name not in self.columns}
        if not extra:
            return self
        return dataclasses.replace(self, columns={**extra, **self.columns})

    def action(self, column: str) -> str:
        """``redact``, ``hash``, ``drop``, ``keep``, or ``scan`` for a column not named."""
        return self.columns.get(column, "scan")

    @classmethod
    def from_table(cls, table: Mapping[str, Any]) -> PrivacyPolicy:
        """Read and check a ``[privacy]`` table; a wrong entry is a :class:`ConfigError`."""
        unknown = sorted(set(table) - set(_KEYS))
        if unknown:
            raise ConfigError(
                f"[privacy] has unknown key(s) {', '.join(unknown)}; known: {', '.join(_KEYS)}"
            )
        region = table.get("region", "US")
        if not isinstance(region, str) or len(region) != 2 or not region.isalpha():
            raise ConfigError(
                f"[privacy] region must be a two-letter country code such as 'US' or 'GB', "
                f"got {region!r}"
            )
        detected = table.get("detected", "redact")
        if detected not in _DETECTED:
            raise ConfigError(
                f"[privacy] detected must be one of {', '.join(_DETECTED)}, got {detected!r}"
            )
        personal = table.get("personal", [])
        if not isinstance(personal, list) or not all(isinstance(c, str) for c in personal):
            raise ConfigError(
                f"[privacy] personal must be a list of column names, got {personal!r}"
            )
        columns: dict[str, str] = dict.fromkeys(personal, "hash")
        given = table.get("columns", {})
        if not isinstance(given, Mapping):
            raise ConfigError(f"[privacy.columns] must be a table, got {given!r}")
        for name, action in given.items():
            if action not in ACTIONS:
                raise ConfigError(
                    f"[privacy.columns] {name} must be one of {', '.join(ACTIONS)}, got {action!r}"
                )
            if name in personal and action != "hash":
                raise ConfigError(
                    f"[privacy] column {name} is listed as personal (hashed) and as {action!r} in "
                    "[privacy.columns]; keep one of the two"
                )
            columns[name] = action
        return cls(columns=columns, detected=detected, region=region.upper())
