"""Finding personal values in text and numbers, fast when there are none.

One compiled prefilter (is there a digit or an ``@`` at all?) settles most
values of a record in a few hundred nanoseconds; only text that passes meets
the candidate expression, and only its candidates meet the validators
(``_checks``). A run of digits that fails as a whole (two phone numbers
separated by a space look like one long number) is tried again piece by piece
between its spaces, longest pieces first.

Kinds found: ``EMAIL``, ``PHONE`` (valid in the configured region, or written
with ``+country``), ``CARD`` (Luhn), ``IBAN`` (ISO 7064), ``US_SSN``,
``UK_NINO``, ``UK_NHS``, ``DE_IDNR``, ``FR_NIR``, ``NL_BSN``, ``ES_NIF`` (DNI
and NIE), ``IT_FISCAL_CODE`` (each by its check digit or prefix rules), ``IP``
(v4 and v6).
"""

from __future__ import annotations

import dataclasses
import re

from driftline.privacy import _checks

__all__ = ["KINDS", "Detector", "Finding"]

KINDS = (
    "EMAIL",
    "PHONE",
    "CARD",
    "IBAN",
    "US_SSN",
    "UK_NINO",
    "UK_NHS",
    "DE_IDNR",
    "FR_NIR",
    "NL_BSN",
    "ES_NIF",
    "IT_FISCAL_CODE",
    "IP",
)

_ANY = re.compile(r"[0-9@]")
_CANDIDATE = re.compile(
    r"(?P<email>[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,})"
    r"|(?P<ipv6>(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:]))"
    r"|(?P<ipv4>(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d))"
    r"|(?P<lettered>(?<![\w])(?:[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}|[a-z]{2}\d{2}[a-z0-9]{11,30}"
    r"|[A-Za-z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-Da-d]"
    r"|[A-Za-z]{6}\d{2}[A-Za-z]\d{2}[A-Za-z]\d{3}[A-Za-z]"
    r"|[XYZxyz]?\d{7,8}-?[A-Za-z])(?![\w]))"
    r"|(?P<digits>(?<![\w+])\+?\(?\d(?:[ ()./\-]{0,2}\d){6,22}(?![\w]))"
)
_SPLIT = re.compile(r"[ ]+")
_MIN_DIGITS, _MAX_DIGITS = 7, 19


@dataclasses.dataclass(frozen=True, slots=True)
class Finding:
    """One personal value in a text: its kind and where it is."""

    kind: str
    start: int
    end: int


class Detector:
    """Find personal values in text; ``region`` reads phone numbers written without ``+``.

    >>> [f.kind for f in Detector(region="GB").find("mail ann@example.org or 020 7946 0018")]
    ['EMAIL', 'PHONE']
    """

    def __init__(self, *, region: str = "US") -> None:
        self.region = region.upper()

    def find(self, text: str) -> list[Finding]:
        if not _ANY.search(text):
            return []
        found: list[Finding] = []
        for match in _CANDIDATE.finditer(text):
            group = match.lastgroup
            raw = match.group()
            start = match.start()
            if group == "email":
                if _checks.email(raw):
                    found.append(Finding("EMAIL", start, match.end()))
            elif group in ("ipv4", "ipv6"):
                if _checks.ip(raw):
                    found.append(Finding("IP", start, match.end()))
            elif group == "lettered":
                found.extend(self._lettered(raw, start))
            else:
                found.extend(self._digits(raw, start))
        return found

    def _lettered(self, raw: str, start: int) -> list[Finding]:
        kind = _checks.lettered_kind(raw)
        if kind is not None:
            return [Finding(kind, start, start + len(raw))]
        # An IBAN's shape swallowed the capitals after it ("... 0130 00 TO", "AB123456C OK"):
        # drop words from the end until what is left is something.
        words = raw.split(" ")
        for end in range(len(words) - 1, 0, -1):
            part = " ".join(words[:end])
            kind = _checks.lettered_kind(part)
            if kind is not None:
                return [Finding(kind, start, start + len(part))]
        return []

    def _digits(self, raw: str, start: int) -> list[Finding]:
        kind = self._digit_kind(raw)
        if kind is not None:
            return [Finding(kind, start, start + len(raw))]
        # Pieces between spaces, longest first, leftmost first, without overlaps.
        pieces = [(m.start(), m.end()) for m in re.finditer(r"[^ ]+", raw)]
        if len(pieces) < 2:
            return []
        found: list[Finding] = []
        taken = [False] * len(pieces)
        for size in range(len(pieces) - 1, 0, -1):
            for i in range(len(pieces) - size + 1):
                if any(taken[i : i + size]):
                    continue
                a, b = pieces[i][0], pieces[i + size - 1][1]
                kind = self._digit_kind(raw[a:b])
                if kind is not None:
                    found.append(Finding(kind, start + a, start + b))
                    taken[i : i + size] = [True] * size
        return sorted(found, key=lambda f: f.start)

    def _digit_kind(self, raw: str) -> str | None:
        digits = "".join(ch for ch in raw if ch.isdigit())
        if not _MIN_DIGITS <= len(digits) <= _MAX_DIGITS:
            return None
        return _checks.digit_kind(raw.strip("(). -/"), digits, self.region)

    def number(self, value: int | float) -> str | None:
        """The kind of a number that is a personal value (a card number), or None."""
        if isinstance(value, float):
            if not value.is_integer() or not 1e12 <= abs(value) < 1e19:
                return None
            value = int(value)
        if not 10**12 <= value < 10**19:
            return None
        return "CARD" if _checks.card(str(value)) else None
