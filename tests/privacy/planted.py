"""Synthetic personal values, valid by their own rules, made from a seed (shared by the tests)."""

from __future__ import annotations

import random
import string

_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def luhn_complete(prefix: str, length: int, rng: random.Random) -> str:
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for check in string.digits:
        candidate = body + check
        total = 0
        for i, ch in enumerate(reversed(candidate)):
            d = int(ch) * (2 if i % 2 else 1)
            total += d - 9 if d > 9 else d
        if total % 10 == 0:
            return candidate
    raise AssertionError("unreachable")


def card(rng: random.Random) -> str:
    prefix, length = rng.choice([("4", 16), ("51", 16), ("55", 16), ("37", 15), ("6011", 16)])
    return luhn_complete(prefix, length, rng)


def iban(rng: random.Random) -> str:
    from stdnum import iban as stdnum_iban

    country, length = rng.choice([("DE", 18), ("GB", 18), ("FR", 23), ("NL", 14)])
    if country == "GB":
        bban = "NWBK" + "".join(rng.choice(string.digits) for _ in range(14))
    elif country == "NL":
        bban = "ABNA" + "".join(rng.choice(string.digits) for _ in range(10))
    else:
        bban = "".join(rng.choice(string.digits) for _ in range(length))
    if country == "FR":  # the French BBAN carries a RIB key of its own
        from stdnum.fr import nir  # noqa: F401 - only to fail early if stdnum is missing

        bank = bban[:21]
        bban = bank + f"{97 - (int(bank) * 100) % 97:02d}"
    check = stdnum_iban.calc_check_digits(country + "00" + bban)
    return country + check + bban


def ssn(rng: random.Random) -> str:
    area = rng.choice([a for a in range(1, 900) if a != 666])
    return f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"


def nino(rng: random.Random) -> str:
    first = rng.choice("ABCEGHJKLMNOPRSTWXYZ")
    second = rng.choice("ABCEGHJKLMNPRSTWXYZ")
    if first + second in ("BG", "GB", "KN", "NK", "NT", "TN", "ZZ"):
        first, second = "A", "B"
    digits = "".join(rng.choice(string.digits) for _ in range(6))
    return f"{first}{second}{digits}{rng.choice('ABCD')}"


def dni(rng: random.Random) -> str:
    n = rng.randint(10_000_000, 99_999_999)
    return f"{n}{_DNI_LETTERS[n % 23]}"


def us_phone(rng: random.Random) -> str:
    area = rng.choice(["212", "415", "312", "617", "206", "305"])
    line = f"{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"
    fmt = rng.choice(["({a}) {b}-{c}", "{a}-{b}-{c}", "+1 {a} {b} {c}", "{a}{b}{c}"])
    return fmt.format(a=area, b=line[:3], c=line[3:])


def gb_phone(rng: random.Random) -> str:
    return f"+44 20 7{rng.randint(100, 999)} {rng.randint(1000, 9999)}"


def email(rng: random.Random) -> str:
    user = "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(4, 9)))
    domain = rng.choice(["example.com", "mail.example.org", "test.co.uk"])
    return f"{user}.{rng.randint(1, 999)}@{domain}"


def ip(rng: random.Random) -> str:
    return (
        f"{rng.randint(11, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    )


MAKERS = {
    "EMAIL": email,
    "PHONE": us_phone,
    "CARD": card,
    "IBAN": iban,
    "US_SSN": ssn,
    "UK_NINO": nino,
    "ES_NIF": dni,
    "IP": ip,
}


def values(n: int, seed: int) -> list[tuple[str, str]]:
    """``n`` (kind, value) pairs cycling through the kinds, distinct."""
    rng = random.Random(seed)
    kinds = list(MAKERS)
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    while len(out) < n:
        kind = kinds[len(out) % len(kinds)]
        value = MAKERS[kind](rng)
        if value not in seen:
            seen.add(value)
            out.append((kind, value))
    return out
