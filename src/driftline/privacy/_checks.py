"""Validators that turn a candidate into a finding: checksums, number plans, address syntax.

The detector's regular expressions only propose; a candidate counts when its
checksum (Luhn for cards, ISO 7064 for IBANs, each national scheme's own check
digit via ``python-stdnum``), its number plan (``phonenumbers``, for the
configured region) or its syntax (``ipaddress``) holds. ``phonenumbers`` and
``stdnum`` are imported on first use, so ``import driftline`` stays light.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from typing import Any

__all__ = ["card", "digit_kind", "email", "ip", "lettered_kind"]

# Issuer prefixes of the card networks people carry (Visa, Mastercard, Amex, Discover,
# JCB, Diners, UnionPay, Maestro): a Luhn-valid number outside them is more likely an id.
_CARD_PREFIX = re.compile(
    r"^(?:4|5[0-9]|222[1-9]|22[3-9]\d|2[3-6]\d\d|27[01]\d|2720|3[47]|3[0689]|6[0-9])"
)
_SSN_FORMATTED = re.compile(r"^\d{3}-\d{2}-\d{4}$")
_NHS_FORMATTED = re.compile(r"^\d{3}[ -]\d{3}[ -]\d{4}$")
# National ids are counted only in the shapes they are written in, since a check digit alone
# lets one random digit string in ten (or in 97) through.
_NIR_FORMATTED = re.compile(r"^(?:\d{15}|\d \d{2} \d{2} \d{2} \d{3} \d{3} \d{2})$")
_IDNR_FORMATTED = re.compile(r"^(?:\d{11}|\d{2} \d{3} \d{3} \d{3})$")
_DATE = re.compile(r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}$|^\d{1,2}[-/.]\d{1,2}[-/.]\d{4}$")
# UK National Insurance numbers have no check digit: their prefix rules are the check.
_NINO = re.compile(r"^(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\d{6}[A-D]$")


def luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def card(digits: str) -> bool:
    """A payment card number: 13 to 19 digits, a network's prefix, Luhn-valid."""
    return 13 <= len(digits) <= 19 and bool(_CARD_PREFIX.match(digits)) and luhn(digits)


@functools.cache
def _stdnum(name: str) -> Any:
    import importlib

    return importlib.import_module(f"stdnum.{name}")


def _valid(module: str, value: str) -> bool:
    try:
        return bool(_stdnum(module).is_valid(value))
    except Exception:  # a validator that chokes on odd input has not validated it
        return False


@functools.cache
def _lengths(region: str) -> frozenset[int]:
    """How many digits a national number of ``region`` can have (a trunk prefix adds one)."""
    import phonenumbers

    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if meta is None or meta.general_desc is None:
        return frozenset(range(7, 16))
    desc = meta.general_desc
    lengths = set(desc.possible_length or ()) | set(desc.possible_length_local_only or ())
    return frozenset(lengths | {n + 1 for n in lengths})


def _phone(raw: str, region: str) -> bool:
    import phonenumbers

    international = raw.lstrip("( ").startswith("+")
    # Parsing costs some 20 µs; most digit runs are ruled out by their length alone.
    if not international and sum(ch.isdigit() for ch in raw) not in _lengths(region):
        return False
    try:
        number = phonenumbers.parse(raw, None if international else region)
    except phonenumbers.NumberParseException:
        return False
    return bool(phonenumbers.is_valid_number(number))


def digit_kind(raw: str, digits: str, region: str) -> str | None:
    """What a run of digits (with its separators, as written) is, or None."""
    n = len(digits)
    if _DATE.match(raw):
        return None
    if n == 15 and _NIR_FORMATTED.match(raw) and _valid("fr.nir", digits):
        return "FR_NIR"
    if card(digits):
        return "CARD"
    if _SSN_FORMATTED.match(raw) and _valid("us.ssn", digits):
        return "US_SSN"
    if n == 11 and _IDNR_FORMATTED.match(raw) and _valid("de.idnr", digits):
        return "DE_IDNR"
    if n >= 7 and _phone(raw, region):
        return "PHONE"
    if n == 10 and _NHS_FORMATTED.match(raw) and _nhs(digits):
        return "UK_NHS"
    if n == 9 and raw.isdigit():
        if region == "US" and _valid("us.ssn", digits):
            return "US_SSN"
        if region == "NL" and _valid("nl.bsn", digits):
            return "NL_BSN"
    return None


def _nhs(digits: str) -> bool:
    total = sum(int(d) * (10 - i) for i, d in enumerate(digits[:9]))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


def lettered_kind(raw: str) -> str | None:
    """An IBAN or a national id written with letters, or None."""
    compact = raw.replace(" ", "").replace("-", "").upper()
    if compact[:2].isalpha() and compact[2:4].isdigit() and len(compact) >= 15:
        return "IBAN" if _valid("iban", compact) else None
    if _NINO.match(compact):
        return "UK_NINO"
    if len(compact) == 16 and _valid("it.codicefiscale", compact):
        return "IT_FISCAL_CODE"
    if len(compact) == 9 and (_valid("es.dni", compact) or _valid("es.nie", compact)):
        return "ES_NIF"
    return None


def ip(raw: str) -> bool:
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return False
    # 0.0.0.0 and loopback name no one; a version string like 1.2.3.4 does, rarely: keep it.
    return not address.is_unspecified


def email(raw: str) -> bool:
    local, _, domain = raw.rpartition("@")
    return bool(local) and "." in domain and ".." not in raw
